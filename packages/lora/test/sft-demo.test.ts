// Demonstration on the shared pretrained Moby Dick character model (tools/testing/moby-model.ts):
// SFT on a generated instruction set ("Q: upper <word>\nA: <WORD>") raises greedy exact match on
// held-out words (never seen in training) from 0 to a clearly measured value. The full LoRA vs full
// fine-tuning comparison is packages/lora/bench/sft-demo.bench.ts.
import { describe, expect, it } from 'vitest';
import { tf } from '@llmkit/core';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import { PLAIN_QA_TEMPLATE, SFTTrainer } from '../src/index.js';
import { skillData, skillExactMatch } from './fixtures/sft/skills.js';

describe('SFT demonstration on the Moby Dick model', () => {
  it('teaches upper-casing: held-out exact match goes from ~0 to a clear value', { timeout: 300_000 }, async () => {
    const { model, tokenizer, text } = await mobyDickModel();
    const data = skillData(text, { skill: 'upper', trainWords: 600, testWords: 40, seed: 1 });
    const exactMatch = (): Promise<number> => skillExactMatch(model, tokenizer, data.test);
    const before = await exactMatch();
    const trainer = new SFTTrainer({
      model,
      tokenizer,
      chatTemplate: PLAIN_QA_TEMPLATE,
      trainDataset: data.train.map((e) => e.record),
      args: {
        maxLength: 64,
        learningRate: 3e-3,
        maxSteps: 250,
        perDeviceTrainBatchSize: 16,
        warmupRatio: 0.1,
        lrSchedulerType: 'cosine',
        loggingSteps: 50,
        progress: false,
      },
    });
    const tensorsBefore = tf.memory().numTensors;
    const result = await trainer.train();
    // nothing leaked: the only new tensors are AdamW's two moment buffers per trained parameter
    expect(tf.memory().numTensors).toBe(tensorsBefore + 2 * model.trainableParameters().length);
    const after = await exactMatch();
    console.log(`SFT demo (upper-casing, 250 full fine-tuning steps): held-out exact match ${before} -> ${after}; loss ${result.history[0]?.loss?.toFixed(3)} -> ${result.history.at(-1)?.loss?.toFixed(3)}`);
    expect(before).toBeLessThanOrEqual(0.05);
    expect(after).toBeGreaterThanOrEqual(0.3);
    model.dispose();
  });
});
