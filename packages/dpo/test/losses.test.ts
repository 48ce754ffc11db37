import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmkit/core';
import { maxRelativeError } from '@llmkit/core/testing';
import { DpoError, preferenceLoss, PREFERENCE_LOSS_TYPES, type PreferenceLossType } from '../src/index.js';

// Reference values from TRL 1.13's own loss code, written by tools/fixtures/gen_dpo_losses.py (float64).
interface Case {
  lossType: PreferenceLossType;
  beta: number;
  labelSmoothing: number;
  gamma?: number;
  desirableWeight?: number;
  undesirableWeight?: number;
  source: string;
  losses?: number[];
  chosenRewards?: number[];
  rejectedRewards?: number[];
  meanLoss?: number;
  kl?: number;
  metrics?: Record<string, number>;
}
const fixture = JSON.parse(readFileSync(new URL('./fixtures/dpo-losses.json', import.meta.url), 'utf8')) as {
  versions: { trl: string };
  pairs: Record<string, number[]>;
  kto: { labels: boolean[]; policyLogps: number[]; referenceLogps: number[]; policyKlLogps: number[]; referenceKlLogps: number[] };
  cases: Case[];
};
const p = fixture.pairs;
const pairInputs = {
  policyChosenLogps: p.policyChosenLogps,
  policyRejectedLogps: p.policyRejectedLogps,
  referenceChosenLogps: p.referenceChosenLogps,
  referenceRejectedLogps: p.referenceRejectedLogps,
  chosenLengths: p.chosenLengths,
  rejectedLengths: p.rejectedLengths,
};
const k = fixture.kto;
const pick = (values: number[], want: boolean) => values.filter((_, i) => k.labels[i] === want);
const ktoInputs = {
  policyChosenLogps: pick(k.policyLogps, true),
  policyRejectedLogps: pick(k.policyLogps, false),
  referenceChosenLogps: pick(k.referenceLogps, true),
  referenceRejectedLogps: pick(k.referenceLogps, false),
  policyKlLogps: k.policyKlLogps,
  referenceKlLogps: k.referenceKlLogps,
};
const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const options = (c: Case) => ({
  beta: c.beta,
  labelSmoothing: c.labelSmoothing,
  ...(c.gamma !== undefined ? { simpoGamma: c.gamma } : {}),
  ...(c.desirableWeight !== undefined ? { desirableWeight: c.desirableWeight, undesirableWeight: c.undesirableWeight } : {}),
});
const label = (c: Case) =>
  `${c.lossType} beta=${c.beta} ls=${c.labelSmoothing}${c.gamma !== undefined ? ` gamma=${c.gamma}` : ''}${c.desirableWeight !== undefined ? ` w=${c.desirableWeight}/${c.undesirableWeight}` : ''} [${c.source}]`;

beforeAll(async () => {
  await initBackend();
});

describe(`preferenceLoss equals TRL ${fixture.versions.trl} (float64, relative error <= 1e-6)`, () => {
  it('covers every loss type of the registry', () => {
    const covered = new Set(fixture.cases.map((c) => c.lossType));
    expect([...PREFERENCE_LOSS_TYPES].filter((t) => !covered.has(t))).toEqual([]);
    expect(fixture.cases.length).toBeGreaterThan(60);
  });

  it.each(fixture.cases.map((c) => [label(c), c] as const))('%s', (_name, c) => {
    const inputs = c.lossType === 'kto' ? ktoInputs : pairInputs;
    const out = preferenceLoss(c.lossType, inputs, options(c));
    if (c.losses) expect(maxRelativeError(out.losses, c.losses, 1e-9)).toBeLessThanOrEqual(1e-6);
    if (c.chosenRewards) expect(maxRelativeError(out.chosenRewards, c.chosenRewards, 1e-9)).toBeLessThanOrEqual(1e-6);
    if (c.rejectedRewards) expect(maxRelativeError(out.rejectedRewards, c.rejectedRewards, 1e-9)).toBeLessThanOrEqual(1e-6);
    if (c.meanLoss !== undefined) expect(maxRelativeError(mean(out.losses), c.meanLoss)).toBeLessThanOrEqual(1e-6);
    if (c.kl !== undefined) expect(maxRelativeError(out.kl!, c.kl)).toBeLessThanOrEqual(1e-6);
    if (c.metrics?.['rewards/chosen'] !== undefined) {
      expect(maxRelativeError(mean(out.chosenRewards), c.metrics['rewards/chosen'])).toBeLessThanOrEqual(1e-6);
      expect(maxRelativeError(mean(out.rejectedRewards), c.metrics['rewards/rejected'])).toBeLessThanOrEqual(1e-6);
    }
    if (c.metrics?.['rewards/accuracies'] !== undefined) {
      const acc = mean(out.chosenRewards.map((r, i) => (r > out.rejectedRewards[i] ? 1 : 0)));
      expect(acc).toBe(c.metrics['rewards/accuracies']);
    }
  });

  it('tensor inputs give the same values in float32 (relative error <= 1e-5) and carry gradients', () => {
    for (const c of fixture.cases.filter((x) => x.losses && x.beta === 0.5)) {
      const inputs = c.lossType === 'kto' ? ktoInputs : pairInputs;
      const tensors = Object.fromEntries(Object.entries(inputs).map(([key, v]) => [key, tf.tensor1d(v)]));
      let out;
      try { out = preferenceLoss(c.lossType, tensors as never, options(c)); } catch (e) { throw new Error(label(c) + ': ' + String(e)); }
      expect(out.losses).toBeInstanceOf(tf.Tensor);
      const err = maxRelativeError(out.losses, c.losses!, 1e-4);
      expect(err, label(c)).toBeLessThanOrEqual(1e-5);
      out.losses.dispose();
      out.chosenRewards.dispose();
      out.rejectedRewards.dispose();
      for (const t of Object.values(tensors)) t.dispose();
    }
    // gradient of the mean sigmoid loss w.r.t. the chosen log-probs: d/dx −log σ(β(x − r)) = −β σ(−βd) / B
    const x = tf.tensor1d(p.policyChosenLogps);
    const g = tf.grad((pc: tf.Tensor) =>
      tf.mean(preferenceLoss('sigmoid', { ...pairInputs, policyChosenLogps: pc }, { beta: 0.5 }).losses),
    )(x);
    const d = p.policyChosenLogps.map((v, i) => v - p.referenceChosenLogps[i] - (p.policyRejectedLogps[i] - p.referenceRejectedLogps[i]));
    const expected = d.map((di) => (-0.5 * (1 / (1 + Math.exp(0.5 * di)))) / d.length);
    expect(maxRelativeError(g, expected, 1e-6)).toBeLessThanOrEqual(1e-4);
    x.dispose();
    g.dispose();
  });
});

describe('preferenceLoss input checks', () => {
  const bad = (fn: () => unknown, pattern: RegExp) => {
    try {
      fn();
    } catch (e) {
      expect(DpoError.isInstance(e)).toBe(true);
      expect((e as DpoError).code).toBe('dpo_invalid_argument');
      expect((e as Error).message).toMatch(pattern);
      return;
    }
    throw new Error('expected a DpoError');
  };
  it('rejects unknown types, missing fields, unequal lengths and bad options', () => {
    bad(() => preferenceLoss('dpo' as PreferenceLossType, pairInputs), /Unknown preference loss type "dpo"; use one of sigmoid/);
    bad(() => preferenceLoss('ipo', { ...pairInputs, chosenLengths: undefined }), /needs chosenLengths/);
    bad(() => preferenceLoss('sigmoid', { ...pairInputs, referenceChosenLogps: undefined }), /needs referenceChosenLogps/);
    bad(() => preferenceLoss('sigmoid', { ...pairInputs, policyRejectedLogps: [1, 2] }), /same length/);
    bad(() => preferenceLoss('sigmoid', pairInputs, { beta: 0 }), /beta must be a finite number > 0/);
    bad(() => preferenceLoss('robust', pairInputs, { labelSmoothing: 0.5 }), /labelSmoothing must lie in \[0, 0.5\)/);
    bad(() => preferenceLoss('sigmoid', { ...pairInputs, policyChosenLogps: [Number.NaN, ...p.policyChosenLogps.slice(1)] }), /policyChosenLogps\[0\] is NaN/);
  });
  it('simpo and orpo need no reference; conservative DPO with ε = 0 equals plain DPO', () => {
    const { referenceChosenLogps: _a, referenceRejectedLogps: _b, ...free } = pairInputs;
    expect(preferenceLoss('simpo', free, { beta: 2 }).losses).toHaveLength(p.policyChosenLogps.length);
    expect(preferenceLoss('orpo', free).losses).toHaveLength(p.policyChosenLogps.length);
    // −log σ(0) = log 2 when policy = reference (hand-derived)
    const same = { policyChosenLogps: [-3], policyRejectedLogps: [-4], referenceChosenLogps: [-3], referenceRejectedLogps: [-4] };
    expect(preferenceLoss('sigmoid', same).losses[0]).toBeCloseTo(Math.LN2, 12);
  });
});
