import { mkdtempSync, readFileSync, rmSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { Module } from '../src/nn/module.js';
import { Linear } from '../src/nn/linear.js';
import { Dropout } from '../src/nn/dropout.js';
import { gelu, crossEntropy } from '../src/nn/functional.js';
import { AdamW } from '../src/optim/adamw.js';
import { cosineWithWarmup } from '../src/optim/schedules.js';
import { createRng, manualSeed, type Rng } from '../src/rng/rng.js';
import { Trainer, type TrainLogRecord } from '../src/train/trainer.js';
import { CheckpointError, NonFiniteError } from '../src/errors/index.js';
import { expectClose } from '../src/testing/index.js';

class Mlp extends Module {
  fc1: Linear;
  drop: Dropout;
  fc2: Linear;
  constructor(rng: Rng, dropout = 0.1) {
    super();
    this.fc1 = new Linear(6, 16, { rng });
    this.drop = new Dropout(dropout);
    this.fc2 = new Linear(16, 4, { rng });
  }
  forward(x: tf.Tensor): tf.Tensor {
    return this.fc2.forward(this.drop.forward(gelu(this.fc1.forward(x))));
  }
}

type Batch = { x: tf.Tensor2D; y: tf.Tensor1D };
const batch = (rng: Rng, size = 8): Batch => ({
  x: tf.tensor2d(rng.normal(size * 6), [size, 6]),
  y: tf.tensor1d(Int32Array.from({ length: size }, () => rng.randint(0, 4)), 'int32'),
});
const lossFn = (m: Module, b: Batch) => crossEntropy((m as Mlp).forward(b.x), b.y) as tf.Scalar;

let root: string;
beforeAll(async () => {
  await initBackend();
  root = mkdtempSync(join(tmpdir(), 'llmkit-trainer-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

function makeTrainer(dir: string, maxSteps: number, initSeed: number, extra: Partial<ConstructorParameters<typeof Trainer<Batch>>[0]> = {}) {
  const model = new Mlp(createRng(initSeed));
  const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2, weightDecay: 0.1 });
  const trainer = new Trainer<Batch>({
    model,
    optimizer,
    lossFn,
    getBatch: (_i, rng) => batch(rng),
    maxSteps,
    gradientAccumulationSteps: 2,
    schedule: cosineWithWarmup({ warmupSteps: 3, totalSteps: 20 }),
    maxGradNorm: 0.5,
    checkpointDir: dir,
    checkpointInterval: 5,
    seed: 123,
    progress: false,
    ...extra,
  });
  return { model, optimizer, trainer };
}

const weights = (m: Module) => m.namedParameters().map(([name, p]) => [name, Array.from(p.dataSync())] as const);

describe('Trainer', () => {
  it('resumes bit-identically: 20 steps == 10 steps + resume + 10 steps', async () => {
    manualSeed(99);
    const a = makeTrainer(join(root, 'a'), 20, 1);
    await a.trainer.train();

    manualSeed(99);
    const b1 = makeTrainer(join(root, 'b'), 10, 1);
    await b1.trainer.train();
    manualSeed(12345); // the checkpoint must restore the default RNG (dropout masks)
    const b2 = makeTrainer(join(root, 'b'), 20, 777); // different init: weights must come from the checkpoint
    const result = await b2.trainer.train({ resumeFrom: 'latest' });
    expect(result.step).toBe(20);
    expect(weights(b2.model)).toEqual(weights(a.model));
    // Optimizer state too: one more identical step must stay identical.
    expect(b2.optimizer.stepCount).toBe(a.optimizer.stepCount);
    expect(readdirSync(join(root, 'b')).sort()).toEqual(['checkpoint-10', 'checkpoint-15', 'checkpoint-20', 'checkpoint-5']);
    for (const t of [a, b1, b2]) {
      t.optimizer.dispose();
      t.model.dispose();
    }
  });

  it('averages gradients over accumulation steps like one big batch', async () => {
    const data = batch(createRng(5), 8);
    const run = async (accumulation: number) => {
      const model = new Mlp(createRng(3), 0);
      const optimizer = new AdamW(model.namedParameters(), { lr: 1e-2 });
      const trainer = new Trainer<Batch>({
        model,
        optimizer,
        lossFn,
        getBatch: (i) => {
          if (accumulation === 1) return { x: data.x.clone(), y: data.y.clone() };
          const half = i % 2;
          return { x: data.x.slice([half * 4, 0], [4, 6]), y: data.y.slice([half * 4], [4]) };
        },
        maxSteps: 3,
        gradientAccumulationSteps: accumulation,
        progress: false,
      });
      await trainer.train();
      const w = weights(model);
      optimizer.dispose();
      model.dispose();
      return w;
    };
    const one = await run(1);
    const two = await run(2);
    one.forEach(([name, values], i) => expectClose(two[i][1], values, { atol: 1e-6, label: name }));
  });

  it('keeps tf.memory().numTensors flat over 500 steps', async () => {
    const counts: number[] = [];
    const { model, optimizer, trainer } = makeTrainer(join(root, 'mem'), 500, 2, {
      checkpointDir: undefined,
      checkpointInterval: undefined,
      gradientAccumulationSteps: 2,
      logInterval: 10,
      callbacks: { onLog: (r: TrainLogRecord) => counts.push(r.numTensors!) },
    });
    await trainer.train();
    expect(counts.length).toBe(50);
    expect(new Set(counts.slice(1)).size).toBe(1);
    optimizer.dispose();
    model.dispose();
  });

  it('evaluates, stops early without improvement, and writes JSONL metrics', async () => {
    const logFile = join(root, 'early', 'log.jsonl');
    const evalData = [batch(createRng(8))];
    const model = new Mlp(createRng(4));
    const optimizer = new AdamW(model.namedParameters(), { lr: 0 }); // lr 0: the eval loss never improves
    const trainer = new Trainer<Batch>({
      model,
      optimizer,
      lossFn,
      getBatch: (_i, rng) => batch(rng),
      evalBatches: () => evalData,
      disposeBatch: (b) => {
        if (!evalData.includes(b)) tf.dispose([b.x, b.y]);
      },
      maxSteps: 50,
      evalInterval: 2,
      earlyStopping: { patience: 2 },
      logInterval: 1,
      logFile,
      progress: false,
    });
    // evaluate() releases its loss scalars and leaves the (reused) eval batches alone.
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) trainer.evaluate();
    expect(tf.memory().numTensors).toBe(before);
    expect(evalData[0].x.isDisposed).toBe(false);
    const result = await trainer.train();
    // Evals at steps 2 (best), 4 (no improvement 1), 6 (no improvement 2 -> stop).
    expect(result.stoppedEarly).toBe(true);
    expect(result.step).toBe(6);
    const lines = readFileSync(logFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(lines).toHaveLength(6);
    expect(Object.keys(lines[1])).toEqual(
      expect.arrayContaining(['step', 'loss', 'lr', 'gradNorm', 'stepMs', 'evalLoss', 'tensorBytes', 'rssBytes', 'numTensors']),
    );
    optimizer.dispose();
    model.dispose();
  });

  it('throws typed errors for a non-finite loss and a missing checkpoint', async () => {
    const model = new Mlp(createRng(4));
    const optimizer = new AdamW(model.namedParameters());
    const trainer = new Trainer<Batch>({
      model,
      optimizer,
      lossFn: (m, b) => tf.mul(lossFn(m, b), Number.NaN) as tf.Scalar,
      getBatch: (_i, rng) => batch(rng),
      maxSteps: 3,
      progress: false,
    });
    await expect(trainer.train()).rejects.toThrow(NonFiniteError);
    const empty = join(root, 'empty');
    const resuming = new Trainer<Batch>({ ...trainer.options, checkpointDir: empty, lossFn });
    await expect(resuming.train({ resumeFrom: 'latest' })).rejects.toThrow(CheckpointError);
    expect(existsSync(empty)).toBe(false);
    optimizer.dispose();
    model.dispose();
  });
});
