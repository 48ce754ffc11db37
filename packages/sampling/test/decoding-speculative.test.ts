import { describe, expect, it } from 'vitest';
import { createRng } from '@llmkit/core';
import { allPositions, speculativeDecode, type MultiStepFn } from '../src/decoding/speculative.js';
import { generateAll } from '../src/decoding/generate.js';
import type { StepFn } from '../src/types.js';

// Regularised upper incomplete gamma Q(a, x) (Numerical Recipes 6.2), for chi-square p-values.
function logGamma(x: number): number {
  const c = [76.18009172947146, -86.50532032941677, 24.01409824083091, -1.231739572450155, 0.1208650973866179e-2, -0.5395239384953e-5];
  let y = x;
  const t = x + 5.5 - (x + 0.5) * Math.log(x + 5.5);
  let s = 1.000000000190015;
  for (const ci of c) s += ci / ++y;
  return -t + Math.log((2.5066282746310005 * s) / x);
}
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 500; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(-x + a * Math.log(x) - logGamma(a));
  }
  let b = x + 1 - a;
  let c = 1 / 1e-300;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 500; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < 1e-300) d = 1e-300;
    c = b + an / c;
    if (Math.abs(c) < 1e-300) c = 1e-300;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-15) break;
  }
  return Math.exp(-x + a * Math.log(x) - logGamma(a)) * h;
}
/** Pearson chi-square p-value of observed counts against expected probabilities (cells with p = 0 must be empty). */
function chiSquarePValue(counts: number[], probabilities: number[]): number {
  const n = counts.reduce((a, b) => a + b, 0);
  let stat = 0;
  let cells = 0;
  for (let i = 0; i < counts.length; i++) {
    if (probabilities[i] === 0) {
      if (counts[i] > 0) return 0;
      continue;
    }
    const e = n * probabilities[i];
    stat += (counts[i] - e) ** 2 / e;
    cells++;
  }
  return gammaQ((cells - 1) / 2, stat / 2);
}

const softmax = (row: number[], temperature = 1): number[] => {
  const m = Math.max(...row);
  const e = row.map((v) => Math.exp((v - m) / temperature));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((v) => v / s);
};

// Target and draft: fixed logit tables over 5 tokens, next token depending on the last one; they differ.
const TARGET = [
  [2.0, 0.5, -1.0, 1.0, 0.0],
  [0.0, 1.5, 0.3, -0.5, 1.0],
  [1.0, 1.0, 1.0, -2.0, 0.5],
  [-1.0, 0.0, 2.5, 0.5, 0.2],
  [0.3, -0.3, 0.8, 1.2, 0.0],
];
const DRAFT = [
  [1.0, 1.2, 0.0, 0.2, -0.5],
  [0.5, 0.5, 1.0, 0.0, 0.5],
  [0.0, 2.0, 0.5, -1.0, 0.0],
  [0.0, 0.0, 1.0, 1.0, 1.0],
  [1.0, 0.0, 0.0, 0.5, -0.5],
];
const table = (t: number[][]): StepFn => async (seqs) => seqs.map((s) => Float32Array.from(t[s[s.length - 1]]));
const targetStep = table(TARGET);
const draftStep = table(DRAFT);
const target: MultiStepFn = allPositions(targetStep);

async function distributionTest(temperature: number, draws: number, k: number) {
  const config = { temperature };
  const p0 = softmax(TARGET[0], temperature);
  // Second token: sum_x p(x | 0) p(y | x).
  const p1 = [0, 1, 2, 3, 4].map((y) => p0.reduce((acc, px, x) => acc + px * softmax(TARGET[x], temperature)[y], 0));
  const first = [0, 0, 0, 0, 0];
  const second = [0, 0, 0, 0, 0];
  const rng = createRng(1234 + k);
  for (let i = 0; i < draws; i++) {
    const { tokenIds } = await speculativeDecode(target, draftStep, { prompt: [0], k, maxNewTokens: 2, config, rng });
    first[tokenIds[0]]++;
    second[tokenIds[1]]++;
  }
  return { pFirst: chiSquarePValue(first, p0), pSecond: chiSquarePValue(second, p1), first, second };
}

describe('chi-square helper', () => {
  it('matches known chi-square quantiles', () => {
    expect(gammaQ(0.5, 3.841458820694124 / 2)).toBeCloseTo(0.05, 6); // df 1
    expect(gammaQ(2, 13.276704135987622 / 2)).toBeCloseTo(0.01, 6); // df 4
    expect(gammaQ(2, 0.7107230213973241 / 2)).toBeCloseTo(0.95, 6); // df 4, small x (series branch)
  });
});

describe('speculativeDecode', () => {
  it('first and second tokens follow the target distribution (chi-square, 100k draws, k = 2)', async () => {
    const r = await distributionTest(1, 100_000, 2);
    expect(r.pFirst).toBeGreaterThan(0.001);
    expect(r.pSecond).toBeGreaterThan(0.001);
  });

  it('also at temperature 0.7 with k = 1 (the bonus token path), 50k draws', async () => {
    const r = await distributionTest(0.7, 50_000, 1);
    expect(r.pFirst).toBeGreaterThan(0.001);
    expect(r.pSecond).toBeGreaterThan(0.001);
  });

  it('acceptance rate of the first draft token is sum_x min(p(x), q(x))', async () => {
    const p = softmax(TARGET[0]);
    const q = softmax(DRAFT[0]);
    const analytic = p.reduce((acc, px, x) => acc + Math.min(px, q[x]), 0);
    const rng = createRng(99);
    const n = 40_000;
    let accepted = 0;
    for (let i = 0; i < n; i++) {
      const { stats } = await speculativeDecode(target, draftStep, { prompt: [0], k: 1, maxNewTokens: 1, rng });
      accepted += stats.accepted;
      expect(stats).toMatchObject({ proposed: 1, targetCalls: 1, draftCalls: 1 });
    }
    const rate = accepted / n;
    expect(Math.abs(rate - analytic)).toBeLessThan(4 * Math.sqrt((analytic * (1 - analytic)) / n));
  });

  it('greedy config reproduces greedy target decoding, with stats and stop ids', async () => {
    const r = await speculativeDecode(target, draftStep, { prompt: [4], k: 3, maxNewTokens: 6, config: { temperature: 0 }, seed: 1 });
    // argmax chain of TARGET from 4: 4 -> 3 -> 2 -> 0 -> 0 -> 0 -> 0
    expect(r.tokenIds).toEqual([3, 2, 0, 0, 0, 0]);
    expect(r.finishReason).toBe('length');
    expect(r.stats.targetCalls).toBeLessThanOrEqual(6);
    expect(r.stats.draftCalls).toBeGreaterThan(0);
    expect(r.stats.acceptanceRate).toBeGreaterThanOrEqual(0);
    const s = await speculativeDecode(target, draftStep, { prompt: [4], k: 3, maxNewTokens: 6, config: { temperature: 0 }, stopTokenIds: [2], seed: 1 });
    expect(s).toMatchObject({ tokenIds: [3, 2], finishReason: 'stop' });
    // Identical draft and target: every draft is accepted; k + 1 tokens per target call.
    const same = await speculativeDecode(target, targetStep, { prompt: [0], k: 3, maxNewTokens: 8, seed: 5 });
    expect(same.stats.acceptanceRate).toBe(1);
    expect(same.stats.targetCalls).toBe(2);
    await expect(speculativeDecode(target, draftStep, { prompt: [0], k: 0, maxNewTokens: 2 })).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});

describe('speculativeDecode with a context-dependent processor', () => {
  it('repetitionPenalty 1.5: first and second token distributions equal the target processed ones (50k draws, k = 2)', async () => {
    // transformers' RepetitionPenaltyLogitsProcessor over every id seen (prompt included): logit > 0 -> / 1.5, else * 1.5.
    const penalised = (row: number[], seen: number[]): number[] => row.map((v, i) => (seen.includes(i) ? (v > 0 ? v / 1.5 : v * 1.5) : v));
    const p0 = softmax(penalised(TARGET[0], [0]));
    const p1 = [0, 1, 2, 3, 4].map((y) => p0.reduce((acc, px, x) => acc + px * softmax(penalised(TARGET[x], [0, x]))[y], 0));
    const first = [0, 0, 0, 0, 0];
    const second = [0, 0, 0, 0, 0];
    const rng = createRng(4321);
    for (let i = 0; i < 50_000; i++) {
      const { tokenIds } = await speculativeDecode(target, draftStep, { prompt: [0], k: 2, maxNewTokens: 2, config: { repetitionPenalty: 1.5 }, rng });
      first[tokenIds[0]]++;
      second[tokenIds[1]]++;
    }
    expect(chiSquarePValue(first, p0)).toBeGreaterThan(0.001);
    expect(chiSquarePValue(second, p1)).toBeGreaterThan(0.001);
  });
});

describe('generate sampling (same chi-square helper)', () => {
  it('first token follows softmax(logits / temperature), 30k draws', async () => {
    const rng = createRng(7);
    const counts = [0, 0, 0, 0, 0];
    for (let i = 0; i < 30_000; i++) {
      const { tokenIds } = await generateAll(targetStep, { prompt: [3], maxNewTokens: 1, config: { temperature: 0.7 }, rng });
      counts[tokenIds[0]]++;
    }
    expect(chiSquarePValue(counts, softmax(TARGET[3], 0.7))).toBeGreaterThan(0.001);
  });
});
