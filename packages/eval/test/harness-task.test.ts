import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync, appendFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Completion, GenerateOptions, LanguageModel, LogprobResult } from '@llmkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { EvalError } from '../src/errors.js';
import { loadTask, renderTemplate, runTask, type TaskSpec } from '../src/index.js';
import { multipleChoiceMetrics, regexExtract } from '../src/harness/scoring.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(here, '../../..');
const referencePath = path.resolve(repoRoot, '../shared/reference/metric-vectors.json');
const hasReference = existsSync(referencePath);
if (!hasReference) console.warn(`[harness-task] ${referencePath} is absent: skipping the lm-eval reference-vector check.`);

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(path.join(tmpdir(), 'llmkit-eval-harness-'));
  dirs.push(d);
  return d;
}
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

/** A scripted model: log-likelihood = a function of (context, continuation); completions from a table. */
class ScriptedModel implements LanguageModel {
  calls: string[] = [];
  constructor(
    readonly id: string,
    private readonly ll: (context: string, continuation: string) => number,
    private readonly completions: (prompt: string, options?: GenerateOptions) => string = () => '',
  ) {}
  async *generate() {
    yield { text: '', finishReason: 'stop' as const };
  }
  async complete(prompt: unknown, options?: GenerateOptions): Promise<Completion> {
    this.calls.push(`complete:${String(prompt)}`);
    return { text: this.completions(String(prompt), options), finishReason: 'stop' };
  }
  async logprobs(context: string, continuation: string): Promise<LogprobResult> {
    this.calls.push(`ll:${context}|${continuation}`);
    await new Promise((r) => setTimeout(r, 1));
    const logprob = this.ll(context, continuation);
    return { logprob, tokens: [{ token: continuation, logprob }], isGreedy: false };
  }
}

const quiet = { progress: false as const };

describe('templates and task specs', () => {
  it('renders {{field}}, nested paths, indices and raw single placeholders', () => {
    const doc = { q: 'Who?', meta: { src: 'moby' }, choices: ['a', 'b'], label: 1 };
    expect(renderTemplate('Q: {{q}} ({{ meta.src }}) {{choices[1]}}/{{choices.0}}', doc)).toBe('Q: Who? (moby) b/a');
    expect(renderTemplate('{{choices}}', doc)).toEqual(['a', 'b']);
    expect(renderTemplate('{{ label }}', doc)).toBe(1);
    expect(() => renderTemplate('{{question}}', doc)).toThrow(/no field "question".*q, meta, choices, label/);
  });

  it('loads YAML with JSONL documents relative to the spec file, with lm-eval defaults', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'docs.jsonl'), '{"q":"1+1","a":"2"}\n\n{"q":"2+2","a":"4"}\n');
    writeFileSync(path.join(dir, 'task.yaml'), 'task: add\noutput_type: generate_until\ndataset_path: docs.jsonl\ndoc_to_text: "Q: {{q}}\\nA:"\ndoc_to_target: "{{a}}"\n');
    const task = loadTask(path.join(dir, 'task.yaml'));
    expect(task.name).toBe('add');
    expect(task.docs).toHaveLength(2);
    expect(task.spec.target_delimiter).toBe(' ');
    expect(task.spec.fewshot_delimiter).toBe('\n\n');
    expect(task.spec.num_fewshot).toBe(0);
  });

  it('rejects bad specs and documents with typed errors naming the problem', () => {
    const dir = tempDir();
    writeFileSync(path.join(dir, 'bad.jsonl'), '{"q":1}\n{broken\n');
    const base: TaskSpec = { task: 't', output_type: 'generate_until', doc_to_text: '{{q}}', doc_to_target: '{{a}}', docs: [{ q: 1, a: 2 }] };
    expect(() => loadTask({ ...base, docs: undefined, dataset_path: 'bad.jsonl' }, { baseDir: dir })).toThrow(/bad\.jsonl line 2/);
    expect(() => loadTask({ ...base, output_type: 'multiple_choice' })).toThrow(/doc_to_choice/);
    expect(() => loadTask({ ...base, output_type: 'oops' } as never)).toThrow(/output_type/);
    expect(() => loadTask({ ...base, num_fewshot: 3 })).toThrow(/num_fewshot = 3/);
    expect(() => loadTask({ ...base, docs: undefined })).toThrow(/dataset_path/);
    try {
      loadTask({ ...base, filter: { regex_pattern: '(' } });
    } catch (e) {
      expect(EvalError.isInstance(e) && (e as EvalError).code).toBe('eval_task_spec');
    }
  });
});

describe('multiple choice as lm-evaluation-harness', () => {
  it('acc uses the raw log-likelihood, acc_norm divides by the choice length in code points', () => {
    // Hand-derived: lls [-4, -9] over choices "a cat" (5 chars) and "an elephant in the room" (23):
    // argmax(ll) = 0; ll/len = [-0.8, -0.391] -> argmax 1.
    expect(multipleChoiceMetrics([-4, -9], ['a cat', 'an elephant in the room'], [1])).toEqual({ acc: 0, acc_norm: 1, pred: 0, predNorm: 1 });
    // "café" is 4 code points (5 UTF-8 bytes): -3/4 > -3.2/4 -> choice 0 either way; ties pick the first.
    expect(multipleChoiceMetrics([-3, -3], ['café', 'cafe'], [0]).predNorm).toBe(0);
  });

  it.skipIf(!hasReference)('reproduces the lm-eval reference block through runTask (scripted log-likelihoods)', async () => {
    const ref = JSON.parse(readFileSync(referencePath, 'utf8')).lm_eval_harness.multiple_choice;
    const docs = ref.items.map((item: { choices: string[]; gold: number }, i: number) => ({ id: i, choices: item.choices, gold: item.gold }));
    // The reference choices carry their leading space, so the target delimiter is empty.
    const task = loadTask({ task: 'ref', output_type: 'multiple_choice', docs, doc_to_text: 'doc {{id}}', doc_to_choice: '{{choices}}', doc_to_target: '{{gold}}', target_delimiter: '' });
    const model = new ScriptedModel('scripted', (context, continuation) => {
      const item = ref.items[Number(context.slice(4))];
      return item.lls[item.choices.indexOf(continuation)];
    });
    const out = await runTask(task, model, { ...quiet, bootstrapIters: 0 });
    expect(out.metrics.acc!.value).toBe(ref.acc_mean);
    expect(out.metrics.acc_norm!.value).toBe(ref.acc_norm_mean);
    out.samples.forEach((s, i) => {
      expect(s.pred).toBe(ref.items[i].pred);
      expect(s.predNorm).toBe(ref.items[i].pred_norm);
    });
  });

  it('errors before any call when a multiple-choice task meets a model without logprobs', async () => {
    const task = loadTask({ task: 'mc', output_type: 'multiple_choice', docs: [{ q: 'x', c: ['a', 'b'], g: 0 }], doc_to_text: '{{q}}', doc_to_choice: '{{c}}', doc_to_target: '{{g}}' });
    const model = { id: 'chat-only', generate: async function* () {}, complete: async () => ({ text: '', finishReason: 'stop' as const }) };
    await expect(runTask(task, model as LanguageModel, quiet)).rejects.toMatchObject({ code: 'eval_logprobs_unsupported' });
  });

  it('standard errors: mean_stderr hand-derived, bootstrap seeded', async () => {
    // 4 docs, gold always choice 0, the model prefers choice 0 on docs 0 and 1 only: acc = [1,1,0,0],
    // mean 0.5, sample variance (4 * 0.25) / 3 = 1/3, stderr = sqrt(1/3 / 4) = 0.288675...
    const docs = [0, 1, 2, 3].map((i) => ({ i, c: ['yes', 'no'], g: 0 }));
    const task = loadTask({ task: 'se', output_type: 'multiple_choice', docs, doc_to_text: 'd{{i}}', doc_to_choice: '{{c}}', doc_to_target: '{{g}}' });
    const model = new ScriptedModel('se', (ctx, cont) => ((Number(ctx.slice(1)) < 2) === (cont === ' yes') ? -1 : -2));
    const a = await runTask(task, model, { ...quiet, bootstrapIters: 500, seed: 7 });
    const b = await runTask(task, model, { ...quiet, bootstrapIters: 500, seed: 7 });
    expect(a.metrics.acc!.value).toBe(0.5);
    expect(a.metrics.acc!.stderr).toBeCloseTo(Math.sqrt(1 / 3 / 4), 12);
    expect(a.metrics.acc!.bootstrapStderr).toBe(b.metrics.acc!.bootstrapStderr);
    // The bootstrap estimates sqrt(p(1-p)/n) = 0.25 (population variance); loose bounds.
    expect(a.metrics.acc!.bootstrapStderr!).toBeGreaterThan(0.18);
    expect(a.metrics.acc!.bootstrapStderr!).toBeLessThan(0.32);
  });
});

describe('generate-until', () => {
  const docs = [
    { q: 'What is 2+3?', a: '5', cat: 'add' },
    { q: 'What is 7-4?', a: '3', cat: 'sub' },
    { q: 'What is 6+6?', a: '12', cat: 'add' },
    { q: 'What is 9-1?', a: '8', cat: 'sub' },
  ];
  const spec: TaskSpec = {
    task: 'arith',
    output_type: 'generate_until',
    docs,
    doc_to_text: 'Q: {{q}}\nA:',
    doc_to_target: '{{a}}',
    generation_kwargs: { until: ['\n\n', 'Q:'], max_gen_toks: 16 },
    filter: { regex_pattern: 'answer is (\\d+)', group_select: 0 },
    category_field: 'cat',
  };
  const answers: Record<string, string> = {
    'What is 2+3?': ' The answer is 5.\n\nQ: The answer is 9',
    'What is 7-4?': ' I think the answer is 3 Q: answer is 4',
    'What is 6+6?': ' It is 12.',
    'What is 9-1?': ' the answer is 7',
  };
  const answer = (prompt: string) => answers[/Q: (What is [^\n]*)\nA:$/.exec(prompt)![1]!]!;

  it('cuts at stop sequences, extracts by regex, scores exact match and per category', async () => {
    const model = new ScriptedModel('gen', () => 0, answer);
    const out = await runTask(loadTask(spec), model, { ...quiet, bootstrapIters: 0 });
    expect(out.samples.map((s) => s.response)).toEqual([' The answer is 5.', ' I think the answer is 3 ', ' It is 12.', ' the answer is 7']);
    expect(out.samples.map((s) => s.extracted)).toEqual(['5', '3', '[invalid]', '7']);
    expect(out.samples.map((s) => s.metrics.exact_match)).toEqual([1, 1, 0, 0]);
    expect(out.metrics.exact_match!.value).toBe(0.5);
    expect(out.categories).toEqual({ add: { n: 2, metrics: { exact_match: 0.5 } }, sub: { n: 2, metrics: { exact_match: 0.5 } } });
    expect(regexExtract('a 1 b 2', '(\\d)', -1)).toBe('2');
  });

  it('few-shot examples are seeded per document and never the document itself', async () => {
    const task = loadTask({ ...spec, num_fewshot: 2, fewshot_seed: 99 });
    const seen: string[] = [];
    const model = new ScriptedModel('gen', () => 0, (p) => {
      seen.push(p);
      return answer(p);
    });
    const out = await runTask(task, model, { ...quiet, bootstrapIters: 0, concurrency: 3 });
    for (const s of out.samples) {
      const shots = s.context.split('\n\n');
      expect(shots).toHaveLength(3);
      expect(shots[2]).toBe(`Q: ${docs[s.docId]!.q}\nA:`);
      for (const shot of shots.slice(0, 2)) {
        expect(shot).not.toContain(docs[s.docId]!.q);
        const d = docs.find((x) => shot.startsWith(`Q: ${x.q}\nA:`))!;
        expect(shot).toBe(`Q: ${d.q}\nA: ${d.a}`);
      }
    }
    const again = await runTask(task, new ScriptedModel('gen', () => 0, answer), { ...quiet, bootstrapIters: 0 });
    expect(again.samples.map((s) => s.context)).toEqual(out.samples.map((s) => s.context));
    const other = await runTask(loadTask({ ...spec, num_fewshot: 2, fewshot_seed: 5 }), new ScriptedModel('gen', () => 0, answer), { ...quiet, bootstrapIters: 0 });
    expect(other.samples.map((s) => s.context)).not.toEqual(out.samples.map((s) => s.context));
    // With a separate few-shot split, examples come only from it.
    const split = loadTask({ ...spec, num_fewshot: 1, fewshot_docs: [{ q: 'What is 1+1?', a: '2', cat: 'add' }] });
    const s = await runTask(split, new ScriptedModel('gen', () => 0, answer), { ...quiet, bootstrapIters: 0 });
    expect(s.samples[0]!.context).toBe('Q: What is 1+1?\nA: 2\n\nQ: What is 2+3?\nA:');
  });
});

describe('request cache and resume', () => {
  const docs = Array.from({ length: 12 }, (_, i) => ({ i, c: ['alpha', 'beta', 'gamma'], g: i % 3 }));
  const spec: TaskSpec = { task: 'resume', output_type: 'multiple_choice', docs, doc_to_text: 'doc {{i}}:', doc_to_choice: '{{c}}', doc_to_target: '{{g}}' };
  const ll = (context: string, continuation: string) => -((Number(/\d+/.exec(context)![0]) * 7 + continuation.length * 3) % 5) - 0.25;

  it('an aborted run resumes with no repeated model calls and identical results', async () => {
    const task = loadTask(spec);
    const reference = await runTask(task, new ScriptedModel('m', ll), { ...quiet, bootstrapIters: 100 });
    const cacheDir = tempDir();
    const controller = new AbortController();
    const first = new ScriptedModel('m', (c, x) => {
      if (first.calls.length === 10) controller.abort(new Error('simulated crash'));
      return ll(c, x);
    });
    await expect(runTask(task, first, { ...quiet, cacheDir, concurrency: 2, signal: controller.signal })).rejects.toThrow(/simulated crash/);
    const firstCalls = new Set(first.calls);
    expect(first.calls.length).toBeGreaterThanOrEqual(10);
    expect(first.calls.length).toBeLessThan(36);

    const second = new ScriptedModel('m', ll);
    const outputPath = path.join(cacheDir, 'out', 'results.json');
    const resumed = await runTask(task, second, { ...quiet, cacheDir, concurrency: 4, bootstrapIters: 100, outputPath });
    for (const call of second.calls) expect(firstCalls.has(call)).toBe(false);
    expect(first.calls.length + second.calls.length).toBe(36);
    expect(resumed.requests).toMatchObject({ total: 36, unique: 36, cached: first.calls.length, modelCalls: second.calls.length });
    expect(resumed.metrics).toEqual(reference.metrics);
    expect(resumed.samples).toEqual(reference.samples);
    expect(JSON.parse(readFileSync(outputPath, 'utf8')).metrics).toEqual(reference.metrics);

    const third = new ScriptedModel('m', ll);
    await runTask(task, third, { ...quiet, cacheDir });
    expect(third.calls).toEqual([]);
    // Another model id never reads this model's answers; resume: false asks again.
    const other = new ScriptedModel('other', ll);
    await runTask(task, other, { ...quiet, cacheDir });
    expect(other.calls).toHaveLength(36);
    const fresh = new ScriptedModel('m', ll);
    await runTask(task, fresh, { ...quiet, cacheDir, resume: false });
    expect(fresh.calls).toHaveLength(36);
  });

  it('a torn last line (crash mid-write) costs exactly that request', async () => {
    const task = loadTask(spec);
    const cacheDir = tempDir();
    await runTask(task, new ScriptedModel('torn', ll), { ...quiet, cacheDir, limit: 4 });
    const file = path.join(cacheDir, readdirSync(cacheDir)[0]!);
    const lines = readFileSync(file, 'utf8').trimEnd().split('\n');
    expect(lines).toHaveLength(12);
    writeFileSync(file, `${lines.slice(0, 11).join('\n')}\n${lines[11]!.slice(0, 30)}`);
    const model = new ScriptedModel('torn', ll);
    const out = await runTask(task, model, { ...quiet, cacheDir, limit: 4 });
    expect(model.calls).toHaveLength(1);
    expect(out.requests.cached).toBe(11);
    appendFileSync(file, '');
    const after = readFileSync(file, 'utf8').split('\n').filter((l) => l.trim() !== '');
    expect(after).toHaveLength(13); // 11 intact + the torn one (isolated on its own line) + the re-answered one
  });

  it('validates options', async () => {
    const task = loadTask(spec);
    await expect(runTask(task, new ScriptedModel('m', ll), { ...quiet, concurrency: 0 })).rejects.toThrow(/concurrency = 0/);
    await expect(runTask(task, new ScriptedModel('m', ll), { ...quiet, limit: 1.5 })).rejects.toThrow(/limit/);
  });
});
