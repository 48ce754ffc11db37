import { describe, expect, it } from 'vitest';
import { createRng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { bestOfN, generate, generateAll, type GenerateChunk } from '../src/decoding/generate.js';
import { TextStopMatcher } from '../src/decoding/stop.js';
import type { StepFn } from '../src/types.js';

// Toy model: next-token logits depend only on the last token.
// argmax: 0 -> 2, 2 -> 1, 1 -> 3, 3 -> 0, so from prompt [0] the greedy chain is 2, 1, 3, 0, 2, 1, ...
const TABLE: number[][] = [
  [0, 1, 3, 2],
  [0, 0, 0, 4],
  [1, 5, 0, 0],
  [2, 0, 1, 0],
];
const toyStep: StepFn = async (sequences) => sequences.map((s) => Float32Array.from(TABLE[s[s.length - 1]]));
const PIECES = ['orld', 'll', 'he', 'o w'];
const decode = (ids: number[]): string => ids.map((id) => PIECES[id]).join('');

async function collect(iterable: AsyncIterable<GenerateChunk>): Promise<GenerateChunk[]> {
  const out: GenerateChunk[] = [];
  for await (const c of iterable) out.push(c);
  return out;
}

describe('generate (greedy)', () => {
  it('follows the hand-computed argmax chain and ends with length', async () => {
    const chunks = await collect(generate(toyStep, { prompt: [0], maxNewTokens: 5, config: { temperature: 0 } }));
    expect(chunks.map((c) => c.tokenId)).toEqual([2, 1, 3, 0, 2]);
    expect(chunks.map((c) => c.finishReason)).toEqual([undefined, undefined, undefined, undefined, 'length']);
    // logprob of token 2 after 0 = 3 - log(e^0 + e^1 + e^3 + e^2)
    expect(chunks[0].logprob).toBeCloseTo(3 - Math.log(1 + Math.E + Math.E ** 3 + Math.E ** 2), 6);
    const all = await generateAll(toyStep, { prompt: [0], maxNewTokens: 5, config: { doSample: false } });
    expect(all.tokenIds).toEqual([2, 1, 3, 0, 2]);
    expect(all.finishReason).toBe('length');
  });

  it('stops on a stop token id (kept in tokenIds) and on eosTokenId', async () => {
    const r = await generateAll(toyStep, { prompt: [0], maxNewTokens: 10, config: { temperature: 0 }, stopTokenIds: [3] });
    expect(r).toMatchObject({ tokenIds: [2, 1, 3], finishReason: 'stop' });
    const e = await generateAll(toyStep, { prompt: [0], maxNewTokens: 10, config: { temperature: 0, eosTokenId: 0 }, decode });
    expect(e).toMatchObject({ tokenIds: [2, 1, 3, 0], finishReason: 'stop', text: 'hello w' });
  });

  it('detects a text stop across token boundaries, trims it and never streams it', async () => {
    const chunks = await collect(generate(toyStep, { prompt: [0], maxNewTokens: 10, config: { temperature: 0 }, decode, stopSequences: ['lo w'] }));
    // 'he' + 'll' + 'o w': the stop 'lo w' spans tokens 1 and 3; the 'l' of 'll' is held back.
    expect(chunks.map((c) => c.text)).toEqual(['he', 'l', '']);
    expect(chunks.at(-1)?.finishReason).toBe('stop');
    const r = await generateAll(toyStep, { prompt: [0], maxNewTokens: 10, config: { temperature: 0 }, decode, stopSequences: ['xyz', 'lo w'] });
    expect(r).toMatchObject({ tokenIds: [2, 1, 3], text: 'hel', finishReason: 'stop' });
    const noStop = await generateAll(toyStep, { prompt: [0], maxNewTokens: 4, config: { temperature: 0 }, decode, stopSequences: ['dd'] });
    expect(noStop).toMatchObject({ text: 'hello world', finishReason: 'length' });
  });

  it('holds back a possible stop prefix and a trailing U+FFFD until safe', () => {
    const m = new TextStopMatcher(['END']);
    expect(m.update('abcE')).toEqual({ delta: 'abc', stopped: false });
    expect(m.update('abcEN\uFFFD')).toEqual({ delta: '', stopped: false });
    expect(m.update('abcENx\u00e9')).toEqual({ delta: 'ENx\u00e9', stopped: false });
    expect(m.update('abcENx\u00e9 END tail')).toEqual({ delta: ' ', stopped: true });
    expect(m.text).toBe('abcENx\u00e9 ');
  });

  it('honours an AbortSignal between steps', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const run = async () => {
      for await (const c of generate(toyStep, { prompt: [0], maxNewTokens: 100, config: { temperature: 0 }, signal: controller.signal })) {
        seen.push(c.tokenId);
        if (seen.length === 2) controller.abort(new Error('user stop'));
      }
    };
    await expect(run()).rejects.toThrow('user stop');
    expect(seen).toEqual([2, 1]);
    const aborted = AbortSignal.abort();
    await expect(generateAll(toyStep, { prompt: [0], maxNewTokens: 3, signal: aborted })).rejects.toMatchObject({ name: 'AbortError' });
  });

  it('samples reproducibly with a seed and validates options', async () => {
    const a = await generateAll(toyStep, { prompt: [0], maxNewTokens: 20, seed: 3 });
    const b = await generateAll(toyStep, { prompt: [0], maxNewTokens: 20, rng: createRng(3) });
    expect(a.tokenIds).toEqual(b.tokenIds);
    expect(a.tokenIds.every((t) => t >= 0 && t < 4)).toBe(true);
    await expect(generateAll(toyStep, { prompt: [], maxNewTokens: 2 })).rejects.toBeInstanceOf(InvalidArgumentError);
    await expect(generateAll(toyStep, { prompt: [0], maxNewTokens: 0 })).rejects.toMatchObject({ code: 'invalid_argument' });
    await expect(generateAll(toyStep, { prompt: [0], maxNewTokens: 2, stopSequences: ['x'] })).rejects.toThrow(/decode/);
    const masked: StepFn = async (seqs) => seqs.map(() => new Float32Array(4).fill(-Infinity));
    await expect(generateAll(masked, { prompt: [0], maxNewTokens: 2, seed: 1 })).rejects.toMatchObject({ code: 'all_tokens_masked' });
    await expect(generateAll(masked, { prompt: [0], maxNewTokens: 2, config: { temperature: 0 } })).rejects.toMatchObject({ code: 'all_tokens_masked' });
  });
});

describe('bestOfN', () => {
  it('returns n completions ranked by total logprob, or by a scorer', async () => {
    const ranked = await bestOfN(toyStep, { prompt: [0], maxNewTokens: 4, n: 6, seed: 11 });
    expect(ranked).toHaveLength(6);
    for (let i = 1; i < ranked.length; i++) expect(ranked[i - 1].score).toBeGreaterThanOrEqual(ranked[i].score);
    for (const r of ranked) expect(r.score).toBe(r.logprob);
    const byCount = await bestOfN(toyStep, { prompt: [0], maxNewTokens: 4, n: 6, seed: 11, scorer: (r) => r.tokenIds.filter((t) => t === 3).length });
    for (let i = 1; i < byCount.length; i++) expect(byCount[i - 1].score).toBeGreaterThanOrEqual(byCount[i].score);
    await expect(bestOfN(toyStep, { prompt: [0], maxNewTokens: 4, n: 0 })).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
