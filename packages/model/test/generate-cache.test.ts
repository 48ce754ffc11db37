// KV-cached decoding equals full recomputation (forward, stepFn, generate,
// beam search) on the transformers fixtures of every architecture.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmkit/core';
import { expectClose } from '@llmkit/core/testing';
import { beamSearch, generateAll } from '@llmkit/sampling';
import { DecoderLM } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/checkpoints/', import.meta.url));
const CASES = ['gpt2', 'llama_gqa_untied_bf16', 'llama_tied_llama3_sharded', 'qwen2_bias_f16', 'mistral_window_f16'];
const models = new Map<string, DecoderLM>();

beforeAll(async () => {
  await initBackend();
  for (const name of CASES) models.set(name, await DecoderLM.fromPretrained(join(FIXTURES, name)));
});
afterAll(() => {
  for (const m of models.values()) m.dispose();
});

const IDS = [[5, 17, 88, 42, 3, 61, 12, 7, 95, 33]];

describe.each(CASES)('%s', (name) => {
  it('prefill + one token at a time with the cache equals the full forward (atol 1e-4)', () => {
    const lm = models.get(name)!;
    const full = tf.tidy(() => lm.forward(IDS).arraySync()[0]);
    const cache = lm.createCache();
    const steps: number[][] = tf.tidy(() => lm.forward([IDS[0].slice(0, 3)], { cache }).arraySync()[0]);
    for (let t = 3; t < IDS[0].length; t++) {
      steps.push(tf.tidy(() => lm.forward([[IDS[0][t]]], { cache }).arraySync()[0][0]));
    }
    expect(cache.pastLength).toBe(IDS[0].length);
    expectClose(steps, full, { atol: 1e-4, label: name });
    cache.dispose();
  });

  it('a left-padded batch decodes incrementally with a growing attention mask', () => {
    const lm = models.get(name)!;
    const ids = [
      [0, 0, 17, 88, 42, 3],
      [9, 12, 7, 95, 33, 1],
    ];
    const mask = [
      [0, 0, 1, 1, 1, 1],
      [1, 1, 1, 1, 1, 1],
    ];
    const full = tf.tidy(() => lm.forward(ids, { attentionMask: mask }).arraySync());
    const cache = lm.createCache();
    const prefill = tf.tidy(() => lm.forward(ids.map((r) => r.slice(0, 4)), { cache, attentionMask: mask.map((r) => r.slice(0, 4)) }).arraySync());
    const rows = [prefill[0].slice(), prefill[1].slice()];
    for (let t = 4; t < 6; t++) {
      const out = tf.tidy(() => lm.forward(ids.map((r) => [r[t]]), { cache, attentionMask: mask.map((r) => r.slice(0, t + 1)) }).arraySync());
      rows[0].push(out[0][0]);
      rows[1].push(out[1][0]);
    }
    // compare the non-pad positions
    expectClose(rows[0].slice(2), full[0].slice(2), { atol: 1e-4 });
    expectClose(rows[1], full[1], { atol: 1e-4 });
    cache.dispose();
  });

  it('greedy generate with the cache equals generate without it', async () => {
    const lm = models.get(name)!;
    const options = { maxNewTokens: 12, config: { temperature: 0 } };
    const collect = async (useCache: boolean) => {
      const ids: number[] = [];
      const logprobs: number[] = [];
      for await (const chunk of lm.generate([5, 17, 88], { ...options, useCache })) {
        ids.push(chunk.tokenId);
        logprobs.push(chunk.logprob);
      }
      return { ids, logprobs };
    };
    const cached = await collect(true);
    const plain = await collect(false);
    expect(cached.ids).toEqual(plain.ids);
    expect(cached.ids.length).toBe(12);
    expectClose(cached.logprobs, plain.logprobs, { atol: 1e-4 });
  });
});

describe('stepFn', () => {
  it('handles rollback, a new prompt and repeated calls like recomputation', async () => {
    const lm = models.get('llama_gqa_untied_bf16')!;
    const step = lm.stepFn();
    const plain = lm.stepFn({ useCache: false });
    const seqs = [[1, 2, 3, 4, 5], [1, 2, 3, 4, 5, 6], [1, 2, 3, 9], [1, 2, 3, 9], [7, 8], [7, 8, 10, 11, 12]];
    for (const s of seqs) {
      const [a] = await step([s]);
      const [b] = await plain([s]);
      expectClose(a, b, { atol: 1e-4, label: `[${s}]` });
      expect(step.cache!.pastLength).toBe(s.length);
    }
    step.dispose();
    plain.dispose();
  });

  it('beam search through the cached stepFn (reorder hook) equals beam search without the cache', async () => {
    const lm = models.get('gpt2')!;
    const cached = lm.stepFn();
    const plain = lm.stepFn({ useCache: false });
    const options = { prompt: [5, 17, 88], numBeams: 3, maxNewTokens: 6 };
    const a = await beamSearch(cached, { ...options, hooks: cached });
    const b = await beamSearch(plain, options);
    expect(a.map((h) => h.tokenIds)).toEqual(b.map((h) => h.tokenIds));
    expect(a[0].tokenIds.length).toBe(6);
    expectClose(a.map((h) => h.score), b.map((h) => h.score), { atol: 1e-4 });
    cached.dispose();
    plain.dispose();
  });

  it.each(['gpt2', 'llama_gqa_untied_bf16'])('%s keeps tf.memory flat across generations', async (name) => {
    const lm = models.get(name)!;
    await generateAll(lm.stepFn(), { prompt: [1, 2], maxNewTokens: 3, config: { temperature: 0 } });
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      for await (const chunk of lm.generate([1, 2, 3], { maxNewTokens: 5, seed: i })) void chunk;
    }
    expect(tf.memory().numTensors).toBe(before);
  });
});
