import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import { RewardModel, rewardLoss, tokenizePreference, trainRewardModel, type TokenizedPair } from '../src/index.js';
import { countE } from './preference-demo.js';

beforeAll(async () => {
  await initBackend();
});

describe('rewardLoss (TRL RewardTrainer)', () => {
  it('is −log σ(r_c − r_r − margin) + c · mean((r_c + r_r)²)', () => {
    // hand-derived: d = 1.2 − 0.2 − 0.5 = 0.5, −log σ(0.5) = log(1 + e^−0.5) = 0.474077;
    // (1.2 + 0.2)² = 1.96, times 0.01 = 0.0196
    const loss = rewardLoss(tf.tensor1d([1.2]), tf.tensor1d([0.2]), { margins: tf.tensor1d([0.5]), centerRewardsCoefficient: 0.01 });
    expect(loss.dataSync()[0]).toBeCloseTo(Math.log1p(Math.exp(-0.5)) + 0.0196, 6);
  });
});

describe('RewardModel on the Moby Dick model', () => {
  it('learns a generated preference (fewer letter "e") and ranks held-out pairs', async () => {
    const { model, tokenizer, text } = await mobyDickModel();
    // pairs from the held-out tail of the corpus: two 12-char continuations of the same 24-char
    // prompt region, the one with at least 2 fewer "e" is chosen
    const rng = createRng(7);
    const start = Math.floor(text.length * 0.9);
    const make = (count: number): TokenizedPair[] => {
      const out: TokenizedPair[] = [];
      while (out.length < count) {
        const i = start + rng.randint(0, text.length - start - 200);
        const prompt = text.slice(i, i + 24);
        const a = text.slice(i + 24, i + 36);
        const j = start + rng.randint(0, text.length - start - 200);
        const b = text.slice(j, j + 12);
        if (Math.abs(countE(a) - countE(b)) < 2) continue;
        const [chosen, rejected] = countE(a) < countE(b) ? [a, b] : [b, a];
        out.push(tokenizePreference({ prompt, chosen, rejected }, { tokenizer }, out.length));
      }
      return out;
    };
    const train = make(160);
    const heldOut = make(60);
    const rm = RewardModel.fromDecoder(model, { rng: createRng(1) });
    expect(rm.namedParameters().map(([n]) => n)).toContain('score.weight');
    expect(rm.namedParameters().some(([n]) => n.startsWith('lm_head'))).toBe(false);
    const before = rm.accuracy(heldOut);
    const logs = await trainRewardModel(rm, { train, maxSteps: 40, batchSize: 8, lr: 1e-3, logInterval: 10, progress: false, centerRewardsCoefficient: 0.01 });
    const after = rm.accuracy(heldOut);
    console.log(`reward model held-out accuracy: ${before.toFixed(3)} before, ${after.toFixed(3)} after 40 steps (${heldOut.length} pairs)`);
    expect(logs.map((l) => l.numTensors)).toEqual(Array(logs.length).fill(logs[0].numTensors));
    expect(after).toBeGreaterThanOrEqual(0.85);
    expect(after).toBeGreaterThan(before);
    model.dispose();
  }, 120_000);
});
