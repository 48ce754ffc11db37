// Chi-square goodness of fit of sample() against the analytically processed distribution.
import { describe, expect, it } from "vitest";
import { createRng } from "@llmkit/core";
import { sample } from "../src/sample.js";
import type { SamplingConfig } from "../src/types.js";

/** ln Gamma(x) (Lanczos, g = 7, n = 9). */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028,
    771.32342877765313, -176.61502916214059, 12.507343278686905,
    -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5)
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  x -= 1;
  let a = c[0];
  const t = x + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (x + i);
  return (
    0.5 * Math.log(2 * Math.PI) + (x + 0.5) * Math.log(t) - t + Math.log(a)
  );
}

/** Regularized upper incomplete gamma Q(a, x): series for x < a + 1, Lentz continued fraction otherwise. */
function gammaQ(a: number, x: number): number {
  if (x <= 0) return 1;
  const lnPre = -x + a * Math.log(x) - lnGamma(a);
  if (x < a + 1) {
    let sum = 1 / a;
    let term = sum;
    for (let n = 1; n < 1000; n++) {
      term *= x / (a + n);
      sum += term;
      if (Math.abs(term) < Math.abs(sum) * 1e-15) break;
    }
    return 1 - sum * Math.exp(lnPre);
  }
  const tiny = 1e-300;
  let b = x + 1 - a;
  let c = 1 / tiny;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 1000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < tiny) d = tiny;
    c = b + an / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return Math.exp(lnPre) * h;
}

/** Chi-square survival function P(X >= x) with `df` degrees of freedom. */
const chiSquareSf = (x: number, df: number): number => gammaQ(df / 2, x / 2);

/** Analytic processed distribution (float64, independent of the implementation under test). */
function expected(
  logits: number[],
  cfg: { temperature?: number; topK?: number; topP?: number; minP?: number }
): number[] {
  const t = cfg.temperature ?? 1;
  const x = logits.map((v) => v / t);
  const keep = x.map(() => true);
  const order = x.map((_, i) => i).sort((a, b) => x[b] - x[a]);
  if (cfg.topK !== undefined)
    for (let j = cfg.topK; j < order.length; j++) keep[order[j]] = false;
  const probs = (): number[] => {
    const m = Math.max(...x.filter((_, i) => keep[i]));
    const e = x.map((v, i) => (keep[i] ? Math.exp(v - m) : 0));
    const s = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / s);
  };
  if (cfg.topP !== undefined) {
    const p = probs();
    let above = 0;
    for (let j = 0; j < order.length; j++) {
      if (j > 0 && above >= cfg.topP) keep[order[j]] = false;
      above += p[order[j]];
    }
  }
  if (cfg.minP !== undefined) {
    const p = probs();
    const pmax = Math.max(...p);
    p.forEach((v, i) => {
      if (v < cfg.minP! * pmax) keep[i] = false;
    });
  }
  return probs();
}

const LOGITS = [
  1.2, -0.3, 2.5, 0.4, 0.0, -1.7, 1.9, 0.8, -0.5, 2.2, -2.4, 0.1, 1.1, -0.9,
  0.6, 1.6,
];
const N = 100_000;

function chiSquareP(
  config: SamplingConfig,
  seed: number
): { p: number; support: number } {
  const probs = expected(LOGITS, config as Parameters<typeof expected>[1]);
  const rng = createRng(seed);
  const x = Float32Array.from(LOGITS);
  const counts = new Array<number>(LOGITS.length).fill(0);
  for (let i = 0; i < N; i++) counts[sample(x, config, rng)]++;
  // Tokens the processors removed must never be drawn.
  probs.forEach((p, i) => {
    if (p === 0) expect(counts[i], `token ${i} removed but drawn`).toBe(0);
  });
  let stat = 0;
  let bins = 0;
  let poolE = 0;
  let poolO = 0;
  probs.forEach((p, i) => {
    if (p === 0) return;
    const e = p * N;
    if (e < 5) {
      poolE += e;
      poolO += counts[i];
      return;
    }
    stat += (counts[i] - e) ** 2 / e;
    bins++;
  });
  if (poolE > 0) {
    stat += (poolO - poolE) ** 2 / poolE;
    bins++;
  }
  return {
    p: chiSquareSf(stat, bins - 1),
    support: probs.filter((p) => p > 0).length,
  };
}

describe("chi-square survival function", () => {
  it("matches known quantiles", () => {
    expect(chiSquareSf(3.841458820694124, 1)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(18.307038053275146, 10)).toBeCloseTo(0.05, 10);
    expect(chiSquareSf(124.34211340400407, 100)).toBeCloseTo(0.05, 9);
    expect(chiSquareSf(2, 2)).toBeCloseTo(Math.exp(-1), 12);
  });
});

describe("sample() distribution (100k draws, chi-square p > 0.001)", () => {
  const configs: [string, SamplingConfig, number][] = [
    ["temperature 1", {}, 16],
    ["temperature 0.7", { temperature: 0.7 }, 16],
    ["temperature 1.8", { temperature: 1.8 }, 16],
    ["top-k 5", { topK: 5 }, 5],
    ["top-k 5 + temperature 0.5", { temperature: 0.5, topK: 5 }, 5],
    ["top-p 0.8", { topP: 0.8 }, 0],
    ["top-p 0.5 + temperature 1.5", { temperature: 1.5, topP: 0.5 }, 0],
    ["min-p 0.1", { minP: 0.1 }, 0],
    ["min-p 0.3 + temperature 1.3", { temperature: 1.3, minP: 0.3 }, 0],
  ];
  configs.forEach(([label, config, support], k) => {
    it(label, () => {
      const r = chiSquareP(config, 1000 + k);
      if (support > 0) expect(r.support).toBe(support);
      expect(r.p).toBeGreaterThan(0.001);
    });
  });

  it("temperature 0 and doSample false are greedy (lowest index on ties)", () => {
    const x = Float32Array.of(1, 3, 0, 3);
    const rng = createRng(1);
    expect(sample(x, { temperature: 0 }, rng)).toBe(1);
    expect(sample(x, { doSample: false, temperature: 0.5 }, rng)).toBe(1);
  });
});
