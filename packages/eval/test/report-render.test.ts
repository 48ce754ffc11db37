import type { Completion, LanguageModel, LogprobResult } from '@llmkit/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { bradleyTerry, loadTask, renderHtmlReport, renderMarkdownReport, runTask, type ArenaRatings, type Battle, type TaskResult } from '../src/index.js';

class ScriptedModel implements LanguageModel {
  constructor(readonly id: string) {}
  async *generate() {
    yield { text: '', finishReason: 'stop' as const };
  }
  async complete(): Promise<Completion> {
    return { text: '', finishReason: 'stop' };
  }
  async logprobs(context: string, continuation: string): Promise<LogprobResult> {
    // Doc i: the model prefers " yes" when i is even; gold is always " yes" -> acc 0.5 over 4 docs (cat a: 1, cat b: 0).
    const even = Number(/\d+/.exec(context)![0]) % 2 === 0;
    const logprob = continuation === ' yes' ? (even ? -1 : -3) : -2;
    return { logprob, tokens: [], isGreedy: false };
  }
}

let result: TaskResult;
let arena: ArenaRatings;

beforeAll(async () => {
  const docs = [0, 1, 2, 3].map((i) => ({ i, cat: i % 2 === 0 ? 'a' : 'b' }));
  const task = loadTask({ task: 'yes-no', output_type: 'multiple_choice', docs, doc_to_text: 'doc {{i}}', doc_to_choice: ['yes', 'no'], doc_to_target: 0, category_field: 'cat' });
  result = await runTask(task, new ScriptedModel('model <x> & "y"'), { progress: false, bootstrapIters: 50 });
  const battles: Battle[] = [];
  const pairs: Array<[string, string, Battle['winner']]> = [
    ['alpha', 'beta', 'model_a'], ['beta', 'gamma', 'model_a'], ['gamma', 'alpha', 'model_b'], ['alpha', 'gamma', 'tie'], ['beta', 'alpha', 'model_a'], ['gamma', 'beta', 'model_a'],
  ];
  for (let r = 0; r < 5; r++) for (const [a, b, w] of pairs) battles.push({ model_a: a, model_b: b, winner: w });
  arena = bradleyTerry(battles, { bootstrapRounds: 30, seed: 1 });
});

describe('renderMarkdownReport', () => {
  it('tables for tasks, categories, arena and extra metrics', () => {
    const md = renderMarkdownReport({ title: 'Nightly', tasks: [result], arena, metrics: { faithfulness: 0.75 } });
    expect(md.startsWith('# Nightly\n')).toBe(true);
    // stderr of [1,0,1,0]: sqrt((4 * 0.25 / 3) / 4) = 0.2887
    expect(md).toContain('| yes-no | model <x> & "y" | 4 | acc | 0.5000 | 0.2887 |');
    expect(md).toContain('### yes-no by category');
    expect(md).toContain('| a | 2 | 1 | 1 |');
    // Odd docs: acc_norm ties at -3/3 = -2/2 = -1 per character and argmax takes the first (yes, gold).
    expect(md).toContain('| b | 2 | 0 | 1 |');
    expect(md).toContain('## Arena ratings (bradley-terry, 30 bootstrap rounds)');
    expect(md).toMatch(/\| 1 \| alpha \| \d+\.\d \| \d+\.\d – \d+\.\d \| 20 \|/);
    expect(md).toContain('| faithfulness | 0.7500 |');
    expect(renderMarkdownReport(result)).toContain('## Tasks');
  });

  it('rejects empty or malformed input', () => {
    expect(() => renderMarkdownReport({})).toThrow(/empty/);
    expect(() => renderMarkdownReport([{ nope: 1 } as never])).toThrow(/runTask results/);
  });
});

describe('renderHtmlReport', () => {
  it('is one self-contained page with escaped text and inline SVG charts', () => {
    const html = renderHtmlReport({ title: 'Nightly <b>', tasks: [result], arena, metrics: { faithfulness: 0.75, contextRecall: 0.5 } });
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect(html).not.toMatch(/<script|<link|<img|\bsrc=|\bhref=|url\(|https?:/i);
    expect(html).toContain('<title>Nightly &lt;b&gt;</title>');
    expect(html).toContain('model &lt;x&gt; &amp; &quot;y&quot;');
    expect(html).not.toContain('model <x>');
    const svgs = html.match(/<svg /g)!.length;
    expect(svgs).toBe(html.match(/<\/svg>/g)!.length);
    expect(svgs).toBe(4); // metric bars, category bars, rating intervals, extra metrics
    // Bars: 2 task metrics + 2 categories + 2 extra metrics; one interval dot per model.
    expect(html.match(/class="bar"/g)!.length).toBe(6);
    expect(html.match(/<circle /g)!.length).toBe(3);
    // The acc bar is half of the plot width (value 0.5 on a 0..1 axis): plot = 640 - 220 - 70 = 350.
    expect(html).toContain('width="175.0" height="18" class="bar"><title>yes-no · model &lt;x&gt; &amp; &quot;y&quot; · acc: 0.5000</title>');
  });
});
