import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { applyLora } from '@llmkit/lora';
import { DPOTrainer, copyReference, loraReference, sequenceLogpsArray } from '../src/index.js';
import { syntheticPairs } from './synthetic-pairs.js';

const CONFIG = {
  model_type: 'llama',
  vocab_size: 12,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
};

const pairs = syntheticPairs;

beforeAll(async () => {
  await initBackend();
});

describe('LoRA policy: the reference is the base model with the adapter disabled', () => {
  it('costs no second copy of the weights and reproduces the base log-probs exactly after training', async () => {
    const model = DecoderLM.fromConfig(CONFIG, { rng: createRng(0) });
    const train = pairs(32, 1);
    const heldOut = pairs(16, 2);
    const sequences = heldOut.flatMap((p) => [p.chosen, p.rejected]);
    const baseLogps = sequenceLogpsArray(model, sequences);
    const baseBytes = model.parameters().reduce((n, p) => n + p.size * 4, 0);

    // a copied reference holds a second set of weights...
    let bytes = tf.memory().numBytes;
    const copy = copyReference(model);
    expect(tf.memory().numBytes - bytes).toBeGreaterThanOrEqual(baseBytes); // weights (+ the copy's rotary tables)
    expect(copy.extraParameters * 4).toBe(baseBytes);
    copy.dispose();

    // ...the LoRA reference none: only the adapter matrices are new
    bytes = tf.memory().numBytes;
    const lora = applyLora(model, { r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'], rng: createRng(3) });
    const reference = loraReference(lora);
    const adapterBytes = lora.trainableParameters().reduce((n, [, p]) => n + p.size * 4, 0);
    expect(reference.extraParameters).toBe(0);
    // adapter matrices (+ whatever small per-layer state @llmkit/lora keeps), far below one copy of the base
    expect(tf.memory().numBytes - bytes).toBeLessThanOrEqual(2 * adapterBytes);
    expect(2 * adapterBytes).toBeLessThan(baseBytes / 5);

    const trainer = new DPOTrainer({ model: lora.model, reference, train, beta: 0.5, maxSteps: 15, batchSize: 4, lr: 2e-2, progress: false });
    bytes = tf.memory().numBytes;
    await trainer.train();
    // training adds optimizer state for the adapters only (two AdamW moments each); no weight copy
    expect(tf.memory().numBytes - bytes).toBeLessThanOrEqual(3 * adapterBytes);
    expect(tf.memory().numBytes - bytes).toBeLessThan(baseBytes / 4);
    expect(trainer.evaluate(heldOut).rewardAccuracy).toBeGreaterThanOrEqual(0.9);

    const policyLogps = sequenceLogpsArray(lora.model, sequences);
    const referenceLogps = reference.run((m) => sequenceLogpsArray(m, sequences));
    expect(policyLogps).not.toEqual(baseLogps); // the adapter changed the policy
    expect(referenceLogps).toEqual(baseLogps); // bit-for-bit the base model's log-probs
    expect(sequenceLogpsArray(lora.model, sequences)).toEqual(policyLogps); // the adapter is back on afterwards
    model.dispose();
  });
});
