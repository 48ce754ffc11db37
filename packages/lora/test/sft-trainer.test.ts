// SFTTrainer mechanics on a tiny random Llama with a character tokenizer: option validation, the
// too-long error, steps from epochs, packing vs padding, flat tensor count, checkpoint resume, and
// LoRA training where only the adapters move.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError, createRng, initBackend, tf } from '@llmkit/core';
import { CharTokenizer, DecoderLM } from '@llmkit/model';
import { PLAIN_QA_TEMPLATE, SFTTrainer, SequenceTooLongError, applyLora, type MessagesRecord, type SFTConfig } from '../src/index.js';

const tokenizer = CharTokenizer.fromText('QA: \nabcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ');
const CONFIG = {
  model_type: 'llama',
  vocab_size: tokenizer.vocabSize,
  hidden_size: 32,
  intermediate_size: 64,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 64,
};
const WORDS = ['ship', 'whale', 'sea', 'oar', 'mast', 'sail', 'deck', 'harpoon', 'crew', 'wave', 'tide', 'gale'];
const DATA: MessagesRecord[] = WORDS.map((w) => ({
  messages: [
    { role: 'user', content: `upper ${w}` },
    { role: 'assistant', content: w.toUpperCase() },
  ],
}));
const BASE: SFTConfig = { maxLength: 32, learningRate: 1e-2, perDeviceTrainBatchSize: 4, progress: false, loggingSteps: 1 };
const newModel = () => DecoderLM.fromConfig(CONFIG, { rng: createRng(5) });
const dirs: string[] = [];

beforeAll(async () => {
  await initBackend();
});
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

describe('SFTTrainer options', () => {
  it('rejects unknown (e.g. snake_case) options, maxLength past the model, saveSteps without outputDir', () => {
    const model = newModel();
    const make = (args: Record<string, unknown>) => new SFTTrainer({ model, tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, trainDataset: DATA, args: args as SFTConfig });
    expect(() => make({ max_length: 10 })).toThrow(/unknown option "max_length"/);
    expect(() => make({ maxLength: 65 })).toThrow(/max_position_embeddings 64/);
    expect(() => make({ saveSteps: 2 })).toThrow(/outputDir/);
    expect(() => make({ lrSchedulerType: 'poly' })).toThrow(InvalidArgumentError);
    expect(() => new SFTTrainer({ model, tokenizer, trainDataset: DATA })).toThrow(/chat template/);
    model.dispose();
  });

  it('throws SequenceTooLongError for a long example unless truncation is on', () => {
    const model = newModel();
    const long = [...DATA, { messages: [{ role: 'user', content: 'upper ' + 'a'.repeat(40) }, { role: 'assistant', content: 'A' }] } as MessagesRecord];
    expect(() => new SFTTrainer({ model, tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, trainDataset: long, args: BASE })).toThrow(SequenceTooLongError);
    expect(() => new SFTTrainer({ model, tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, trainDataset: long, args: BASE })).toThrow(/example 12 has 56 tokens/); // 'Q: upper ' 9 + 40 a + '\n' + 'A: A\n\n' 6
    // truncated to 32 tokens the long example loses its answer and is dropped (with a warning), not silently kept
    const trainer = new SFTTrainer({ model, tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, trainDataset: long, args: { ...BASE, truncation: true } });
    expect(trainer.stats.examples).toBe(12);
    expect(trainer.stats.droppedExamples).toBe(1);
    model.dispose();
  });

  it('derives maxSteps from epochs, batch size and accumulation', () => {
    const model = newModel();
    // 12 examples / 4 per micro-batch = 3 micro-batches per epoch; 2 epochs / 2 accumulation = 3 steps
    const trainer = new SFTTrainer({
      model,
      tokenizer,
      chatTemplate: PLAIN_QA_TEMPLATE,
      trainDataset: DATA,
      args: { ...BASE, numTrainEpochs: 2, gradientAccumulationSteps: 2 },
    });
    expect(trainer.stats.microBatchesPerEpoch).toBe(3);
    expect(trainer.stats.maxSteps).toBe(3);
    // every example appears once per epoch
    const seen = [0, 1, 2].flatMap((i) => {
      const b = trainer.batchAt(i);
      return Array.from({ length: b.batch }, (_, r) => tokenizer.decode(Array.from(b.inputIds.slice(r * b.length, (r + 1) * b.length))).split('\n')[0]);
    });
    expect(new Set(seen).size).toBe(12);
    model.dispose();
  });
});

describe('SFTTrainer training', () => {
  it('lowers the loss with packing, keeps numTensors flat, and evaluates packed = padded', async () => {
    const model = newModel();
    const counts: number[] = [];
    const trainer = new SFTTrainer({
      model,
      tokenizer,
      chatTemplate: PLAIN_QA_TEMPLATE,
      trainDataset: DATA,
      evalDataset: DATA,
      args: { ...BASE, maxLength: 64, packing: true, maxSteps: 30, warmupSteps: 3, lrSchedulerType: 'cosine', perDeviceEvalBatchSize: 64 },
      callbacks: { onStepEnd: () => void counts.push(tf.memory().numTensors) },
    });
    expect(trainer.stats.rows).toBeLessThan(12);
    const before = trainer.evaluate();
    const padded = new SFTTrainer({ model, tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, trainDataset: DATA, evalDataset: DATA, args: { ...BASE, maxLength: 64, perDeviceEvalBatchSize: 64 } });
    // one eval batch holding every example: the packed and padded batches count the same tokens
    expect(padded.evaluate()).toBeCloseTo(before, 5);
    const result = await trainer.train();
    expect(result.step).toBe(30);
    expect(result.bestEvalLoss!).toBeLessThan(before * 0.5);
    expect(counts[counts.length - 1]).toBe(counts[2]);
    model.dispose();
  });

  it('resumes from a checkpoint to the same weights as an uninterrupted run', async () => {
    const outputDir = mkdtempSync(join(tmpdir(), 'llmkit-sft-'));
    dirs.push(outputDir);
    const run = async (dir: string, steps: number, resumeFrom?: string) => {
      const model = newModel();
      const trainer = new SFTTrainer({
        model,
        tokenizer,
        chatTemplate: PLAIN_QA_TEMPLATE,
        trainDataset: DATA,
        args: { ...BASE, maxSteps: steps, outputDir: dir, saveSteps: 2, gradientAccumulationSteps: 2 },
      });
      await trainer.train(resumeFrom ? { resumeFrom } : {});
      const weights = model.namedParameters().map(([, p]) => Array.from(p.dataSync()));
      model.dispose();
      return weights;
    };
    const full = await run(outputDir, 4);
    expect(existsSync(join(outputDir, 'checkpoint-2'))).toBe(true);
    expect(existsSync(join(outputDir, 'trainer_log.jsonl'))).toBe(true);
    const resumed = await run(outputDir, 4, join(outputDir, 'checkpoint-2'));
    expect(resumed).toEqual(full);
  });

  it('trains only the LoRA adapters of a LoraModel and saves them in PEFT format', async () => {
    const model = newModel();
    const baseBefore = Array.from((model.getSubmodule('model.layers.0.self_attn.q_proj') as unknown as { weight: tf.Variable }).weight.dataSync());
    const lora = applyLora(model, { r: 4, loraAlpha: 8, targetModules: ['q_proj', 'v_proj'], rng: createRng(2) });
    const trainer = new SFTTrainer({
      model: lora,
      tokenizer,
      chatTemplate: PLAIN_QA_TEMPLATE,
      trainDataset: DATA,
      evalDataset: DATA,
      args: { ...BASE, maxLength: 64, packing: true, maxSteps: 10 },
    });
    const before = trainer.evaluate();
    await trainer.train();
    expect(trainer.evaluate()).toBeLessThan(before);
    const names = lora.trainableParameters().map(([n]) => n);
    expect(names.length).toBe(8); // A and B of q_proj and v_proj in 2 layers
    expect(names.every((n) => /lora_[AB]/.test(n))).toBe(true);
    const layer = lora.loraLayers().find(([p]) => p === 'model.layers.0.self_attn.q_proj')![1];
    expect(Array.from(layer.weight!.dataSync())).toEqual(baseBefore);
    expect(Math.max(...Array.from(layer.lora_B.get('default')!.weight.dataSync()).map(Math.abs))).toBeGreaterThan(0);
    const dir = mkdtempSync(join(tmpdir(), 'llmkit-sft-lora-'));
    dirs.push(dir);
    await trainer.saveModel(dir);
    expect(existsSync(join(dir, 'adapter_config.json'))).toBe(true);
    expect(existsSync(join(dir, 'adapter_model.safetensors'))).toBe(true);
    model.dispose();
  });
});
