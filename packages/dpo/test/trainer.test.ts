import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { expectClose } from '@llmkit/core/testing';
import { DecoderLM } from '@llmkit/model';
import {
  DPOTrainer,
  DpoError,
  KTOTrainer,
  ORPOTrainer,
  completionLogps,
  copyReference,
  padSequences,
  precomputeReferenceLogps,
  sequenceLogpsArray,
  type TokenizedKtoExample,
} from '../src/index.js';
import { syntheticPairs } from './synthetic-pairs.js';

const CONFIG = {
  model_type: 'llama',
  vocab_size: 12,
  hidden_size: 16,
  intermediate_size: 32,
  num_hidden_layers: 1,
  num_attention_heads: 2,
  num_key_value_heads: 1,
  max_position_embeddings: 64,
};
const tiny = (seed = 0) => DecoderLM.fromConfig(CONFIG, { rng: createRng(seed) });

const pairs = syntheticPairs;

beforeAll(async () => {
  await initBackend();
});

describe('completion log-probs', () => {
  it('equal DecoderLM.logprobs (lm-eval loglikelihood) for every sequence of a right-padded batch', async () => {
    const model = tiny(1);
    const data = pairs(6, 1).flatMap((p) => [p.chosen, p.rejected]);
    const batch = padSequences(data);
    const { logps } = completionLogps(model, batch);
    const expected: number[] = [];
    for (const s of data) expected.push((await model.logprobs(s.inputIds.slice(0, s.promptLength), s.inputIds.slice(s.promptLength))).logprob);
    expectClose(logps, expected, { atol: 1e-4, rtol: 1e-5 });
    expect(batch.lengths).toEqual(data.map((s) => s.inputIds.length - s.promptLength));
    const tensors = tf.memory().numTensors;
    expectClose(sequenceLogpsArray(model, data, { batchSize: 4 }), expected, { atol: 1e-4, rtol: 1e-5 });
    expect(tf.memory().numTensors).toBe(tensors); // nothing kept
    logps.dispose();
    batch.inputIds.dispose();
    batch.labelMask.dispose();
    model.dispose();
  });
});

describe('DPOTrainer', () => {
  it('learns the preference, logs TRL metric names as JSONL and keeps numTensors flat', async () => {
    const model = tiny(2);
    const dir = mkdtempSync(join(tmpdir(), 'dpo-trainer-'));
    const logFile = join(dir, 'dpo.jsonl');
    const train = pairs(32, 2);
    const heldOut = pairs(16, 3);
    const trainer = new DPOTrainer({ model, train, beta: 0.5, maxSteps: 20, batchSize: 4, lr: 1e-2, logFile, logInterval: 5, progress: false, seed: 1 });
    expect(trainer.reference?.kind).toBe('copy');
    const before = trainer.evaluate(heldOut);
    expect(before.rewardAccuracy).toBe(0); // policy = reference: every reward is 0, no pair is strictly better
    const result = await trainer.train();
    const rows = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(rows).toHaveLength(4);
    for (const key of ['rewards/chosen', 'rewards/rejected', 'rewards/accuracies', 'rewards/margins', 'logps/chosen', 'logps/rejected', 'logits/chosen', 'logits/rejected', 'loss', 'lr', 'gradNorm']) {
      expect(typeof rows[3][key], key).toBe('number');
    }
    expect(rows[3]['rewards/margins']).toBeCloseTo(rows[3]['rewards/chosen'] - rows[3]['rewards/rejected'], 6);
    expect(result.logs.map((r) => r.numTensors)).toEqual(Array(4).fill(result.logs[0].numTensors));
    const tensors = tf.memory().numTensors;
    const after = trainer.evaluate(heldOut);
    expect(tf.memory().numTensors).toBe(tensors);
    expect(after.rewardAccuracy).toBeGreaterThanOrEqual(0.9);
    expect(after.loss).toBeLessThan(before.loss);
    trainer.dispose();
    model.dispose();
  });

  it('caches precomputed reference log-probs to disk and rejects a cache of other data', async () => {
    const model = tiny(3);
    const dir = mkdtempSync(join(tmpdir(), 'dpo-cache-'));
    const cacheFile = join(dir, 'ref.json');
    const train = pairs(10, 4);
    const reference = copyReference(model);
    const seqs = train.flatMap((p) => [p.chosen, p.rejected]);
    const first = precomputeReferenceLogps(reference, seqs, { cacheFile, progress: false });
    expect(existsSync(cacheFile)).toBe(true);
    expectClose(first, sequenceLogpsArray(model, seqs), { atol: 1e-5 });
    // a second run reads the file (same values, no forward pass needed)
    const broken = { kind: 'model' as const, run: () => { throw new Error('must not run'); }, extraParameters: 0, dispose() {} };
    expect(precomputeReferenceLogps(broken, seqs, { cacheFile })).toEqual(first);
    try {
      precomputeReferenceLogps(reference, seqs.slice(1), { cacheFile });
      throw new Error('expected a DpoError');
    } catch (e) {
      expect(DpoError.isInstance(e)).toBe(true);
      expect((e as DpoError).code).toBe('reference_cache');
      expect((e as Error).message).toMatch(/holds reference log-probs of other sequences.*delete it/);
    }
    const trainer = new DPOTrainer({ model, train, reference, referenceCacheFile: cacheFile, maxSteps: 2, batchSize: 2, progress: false, lossType: 'ipo' });
    expect(trainer.precomputeReference().chosen).toEqual(first.filter((_, i) => i % 2 === 0));
    await trainer.train();
    reference.dispose();
    model.dispose();
  });

  it('ORPO (reference-free, NLL + odds ratio) and SimPO train; KTO learns from unpaired examples', async () => {
    const heldOut = pairs(16, 6);
    for (const make of [
      (model: DecoderLM) => new ORPOTrainer({ model, train: pairs(32, 5), beta: 0.5, maxSteps: 15, batchSize: 4, lr: 1e-2, progress: false }),
      (model: DecoderLM) => new DPOTrainer({ model, train: pairs(32, 5), lossType: 'simpo', beta: 2, simpoGamma: 0.5, maxSteps: 15, batchSize: 4, lr: 1e-2, progress: false }),
    ]) {
      const model = tiny(4);
      const trainer = make(model);
      expect(trainer.reference).toBeUndefined();
      const before = trainer.evaluate(heldOut);
      const result = await trainer.train();
      expect(trainer.evaluate(heldOut).rewardAccuracy).toBeGreaterThanOrEqual(0.9);
      expect(result.logs.at(-1)!.loss!).toBeLessThan(result.logs[0].loss! + 1e-9);
      expect(before.loss).toBeGreaterThan(trainer.evaluate(heldOut).loss);
      if (trainer.lossType === 'orpo') expect(typeof result.logs[0].nll_loss).toBe('number');
      model.dispose();
    }
    const model = tiny(5);
    const examples: TokenizedKtoExample[] = pairs(24, 7).flatMap((p) => [
      { promptIds: p.chosen.inputIds.slice(0, p.chosen.promptLength), completionIds: p.chosen.inputIds.slice(p.chosen.promptLength), label: true },
      { promptIds: p.rejected.inputIds.slice(0, p.rejected.promptLength), completionIds: p.rejected.inputIds.slice(p.rejected.promptLength), label: false },
    ]);
    const kto = new KTOTrainer({ model, train: examples, beta: 0.5, maxSteps: 15, batchSize: 6, lr: 1e-2, progress: false, logInterval: 5 });
    const result = await kto.train();
    expect(typeof result.logs.at(-1)!.kl).toBe('number');
    expect(result.logs.map((r) => r.numTensors)).toEqual(Array(3).fill(result.logs[0].numTensors));
    const check = new DPOTrainer({ model, train: heldOut, reference: kto.reference, maxSteps: 0, progress: false });
    expect(check.evaluate(heldOut).rewardAccuracy).toBeGreaterThanOrEqual(0.9);
    kto.dispose();
    model.dispose();
  });

  it('rejects bad options with typed errors', () => {
    const model = tiny(6);
    expect(() => new DPOTrainer({ model, train: [], maxSteps: 1 })).toThrow(/non-empty array of tokenized pairs/);
    expect(() => new DPOTrainer({ model, train: pairs(2, 1), maxSteps: 1, lossType: 'kto' as never })).toThrow(/unpaired; use KTOTrainer/);
    expect(() => new DPOTrainer({ model, train: pairs(2, 1), maxSteps: 1, batchSize: 0 })).toThrow(/batchSize must be a positive integer/);
    expect(() => new DPOTrainer({ model, train: pairs(2, 1), maxSteps: 1, beta: -1 })).toThrow(/beta must be a finite number > 0/);
    expect(() => padSequences([{ inputIds: [1, 2], completionMask: [1, 1], promptLength: 0 }])).toThrow(/starts with a completion token/);
    model.dispose();
    expect(tf.memory().numTensors).toBeGreaterThan(0);
  });
});
