// End to end: a multiple-choice task generated from Moby Dick ("which continuation follows this
// passage", 4 choices) run against the shared pretrained Moby Dick model, locally and through the
// OpenAI-compatible server, then interrupted and resumed.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createRng, type LanguageModel, type LogprobResult } from '@llmkit/core';
import { LocalLanguageModel, OpenAICompatibleModel, serve, type ServerHandle } from '@llmkit/model';
import type { Tokenizer } from '@llmkit/tokenizer';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import { loadTask, runTask, type Task, type TaskResult } from '../src/index.js';

const dirs: string[] = [];
let local: LocalLanguageModel;
let server: ServerHandle;
let task: Task;
let localResult: TaskResult;

/**
 * Passages of ~90 characters from the held-out tail of the book; choices: the true next ~24
 * characters, a real segment from elsewhere in the book (hard for a char model), and two scrambles of
 * the truth (its words reversed, its letters shuffled) that only a model of English rejects.
 */
function mobyDocs(text: string, count: number, seed: number): Array<Record<string, unknown>> {
  const rng = createRng(seed);
  const start = Math.floor(text.length * 0.9);
  const clean = (s: string) => s.replace(/\s+/g, ' ');
  const wordStart = (i: number) => {
    while (i < text.length && text[i] !== ' ') i++;
    return i + 1;
  };
  const ascii = (s: string) => /^[ -~]+$/.test(s);
  const docs: Array<Record<string, unknown>> = [];
  while (docs.length < count) {
    const p = wordStart(start + rng.randint(0, text.length - start - 400));
    const window = clean(text.slice(p, p + 400));
    const cut = window.slice(0, 90).lastIndexOf(' ');
    const context = window.slice(0, cut);
    const truth = window.slice(cut + 1, cut + 25).trimEnd();
    const q = wordStart(rng.randint(0, start - 400));
    const elsewhere = clean(text.slice(q, q + 200)).slice(0, truth.length).trimEnd();
    const reversed = truth.split(' ').reverse().join(' ');
    const letters = [...truth];
    for (let i = letters.length - 1; i > 0; i--) {
      const j = rng.randint(0, i + 1);
      [letters[i], letters[j]] = [letters[j]!, letters[i]!];
    }
    const choices = [truth, elsewhere, reversed, letters.join('')];
    if (truth.length < 16 || !choices.every(ascii) || new Set(choices).size < 4) continue;
    const order = Array.from(rng.permutation(4));
    docs.push({ passage: context, choices: order.map((i) => choices[i]), label: order.indexOf(0), part: docs.length % 2 === 0 ? 'even' : 'odd' });
  }
  return docs;
}

/** Counts calls; optionally aborts after `abortAfter` log-likelihood calls. */
class CountingModel implements LanguageModel {
  calls: string[] = [];
  constructor(
    private readonly inner: LanguageModel,
    private readonly controller?: AbortController,
    private readonly abortAfter = Infinity,
  ) {}
  get id() {
    return this.inner.id;
  }
  generate(...args: Parameters<LanguageModel['generate']>) {
    return this.inner.generate(...args);
  }
  complete(...args: Parameters<LanguageModel['complete']>) {
    return this.inner.complete(...args);
  }
  async logprobs(context: string, continuation: string): Promise<LogprobResult> {
    this.calls.push(`${context}|${continuation}`);
    if (this.calls.length === this.abortAfter) this.controller?.abort(new Error('killed midway'));
    return this.inner.logprobs!(context, continuation);
  }
}

beforeAll(async () => {
  const moby = await mobyDickModel();
  // CharTokenizer implements the part of Tokenizer that LocalLanguageModel and serve() use (encode/decode/tokenToId).
  local = new LocalLanguageModel({ model: moby.model, tokenizer: moby.tokenizer as unknown as Tokenizer, id: 'moby-char-llama' });
  const dir = mkdtempSync(path.join(tmpdir(), 'llmkit-eval-moby-'));
  dirs.push(dir);
  const docs = mobyDocs(moby.text, 20, 11);
  writeFileSync(path.join(dir, 'moby-mc.jsonl'), docs.map((d) => JSON.stringify(d)).join('\n') + '\n');
  writeFileSync(
    path.join(dir, 'moby-mc.yaml'),
    [
      'task: moby-continuation',
      'output_type: multiple_choice',
      'dataset_path: moby-mc.jsonl',
      'doc_to_text: "{{passage}}"',
      'doc_to_choice: "{{choices}}"',
      'doc_to_target: "{{label}}"',
      'category_field: part',
    ].join('\n'),
  );
  task = loadTask(path.join(dir, 'moby-mc.yaml'));
  server = await serve(local, { modelId: 'moby-served' });
  localResult = await runTask(task, local, { progress: false, bootstrapIters: 200 });
});

afterAll(async () => {
  await server?.close();
  dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
});

describe('harness end to end on the Moby Dick model', () => {
  it('beats chance at picking the true continuation', () => {
    expect(localResult.n).toBe(20);
    expect(localResult.requests.total).toBe(80);
    console.log(`[harness-moby] local acc ${localResult.metrics.acc!.value} ± ${localResult.metrics.acc!.stderr?.toFixed(3)}, acc_norm ${localResult.metrics.acc_norm!.value}`);
    expect(localResult.metrics.acc!.value).toBeGreaterThan(0.25);
    expect(Object.keys(localResult.categories!)).toEqual(['even', 'odd']);
  });

  it('gives identical acc / acc_norm through the OpenAI-compatible server (echo + logprobs)', async () => {
    const remote = new OpenAICompatibleModel({ baseURL: server.url, model: 'moby-served' });
    const served = await runTask(task, remote, { progress: false, bootstrapIters: 200, concurrency: 2 });
    expect(served.model).toBe('moby-served');
    expect(served.metrics.acc!.value).toBe(localResult.metrics.acc!.value);
    expect(served.metrics.acc_norm!.value).toBe(localResult.metrics.acc_norm!.value);
    served.samples.forEach((s, i) => {
      const l = localResult.samples[i]!;
      expect(s.pred).toBe(l.pred);
      expect(s.predNorm).toBe(l.predNorm);
      s.loglikelihoods!.forEach((ll, j) => expect(Math.abs(ll - l.loglikelihoods![j]!)).toBeLessThan(1e-3));
    });
  });

  it('killed midway and resumed: identical results, no repeated model calls', async () => {
    const cacheDir = mkdtempSync(path.join(tmpdir(), 'llmkit-eval-moby-cache-'));
    dirs.push(cacheDir);
    const controller = new AbortController();
    const first = new CountingModel(local, controller, 30);
    await expect(runTask(task, first, { progress: false, cacheDir, signal: controller.signal })).rejects.toThrow(/killed midway/);
    expect(first.calls).toHaveLength(30);
    const second = new CountingModel(local);
    const resumed = await runTask(task, second, { progress: false, cacheDir, bootstrapIters: 200 });
    expect(second.calls).toHaveLength(50);
    for (const call of second.calls) expect(first.calls).not.toContain(call);
    expect(resumed.metrics).toEqual(localResult.metrics);
    expect(resumed.samples).toEqual(localResult.samples);
    const third = new CountingModel(local);
    await runTask(task, third, { progress: false, cacheDir });
    expect(third.calls).toHaveLength(0);
  });
});
