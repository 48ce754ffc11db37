import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { tf } from '../tf.js';
import { InvalidArgumentError, NonFiniteError } from '../errors/index.js';
import type { Module } from '../nn/module.js';
import { createRng, getDefaultRng, type Rng } from '../rng/rng.js';
import type { Optimizer } from '../optim/optimizer.js';
import { clipGradNorm, globalGradNorm } from '../optim/clip.js';
import { computeGradients, GradientAccumulator } from '../optim/gradients.js';
import type { LrSchedule } from '../optim/schedules.js';
import { createProgress } from './progress.js';
import { findLatestCheckpoint, loadCheckpoint, saveCheckpoint, type TrainerState } from './checkpoint.js';

/** One row of training metrics, written to the JSONL log and passed to callbacks. */
export interface TrainLogRecord {
  step: number;
  /** Mean loss over the micro-batches of this step. */
  loss?: number;
  /** Learning rate of the first parameter group at this step. */
  lr?: number;
  /** Global L2 norm of the gradient before clipping. */
  gradNorm?: number;
  /** Training throughput (only when `tokensPerBatch` is given). */
  tokensPerSecond?: number;
  /** Wall time of this step in milliseconds. */
  stepMs?: number;
  /** Evaluation loss (on eval steps). */
  evalLoss?: number;
  /** Bytes held by tfjs tensors and the process resident set size. */
  tensorBytes?: number;
  rssBytes?: number;
  numTensors?: number;
}

/** Hooks called by the {@link Trainer}. */
export interface TrainerCallbacks {
  onLog?(record: TrainLogRecord): void;
  onEvaluate?(record: { step: number; evalLoss: number }): void;
  onCheckpoint?(info: { step: number; dir: string }): void;
  /** Return true to stop training after this step. */
  onStepEnd?(record: TrainLogRecord): boolean | void;
}

export interface EarlyStoppingOptions {
  /** Evaluations without improvement before stopping. */
  patience: number;
  /** Improvement smaller than this does not count. Default 0. */
  minDelta?: number;
}

/** Options of {@link Trainer}. `B` is the batch type the loss function takes, `M` the model class. */
export interface TrainerOptions<B, M extends Module = Module> {
  model: M;
  optimizer: Optimizer;
  /** Loss of one micro-batch (runs inside gradient recording; do not dispose inputs you need later). */
  lossFn: (model: M, batch: B) => tf.Scalar;
  /**
   * The micro-batch with global index `index` (0, 1, 2, ...). Draw any randomness
   * from `rng`: the trainer checkpoints its state, so a resumed run sees the
   * same batches as an uninterrupted one.
   */
  getBatch: (index: number, rng: Rng) => B;
  /** Batches for evaluation, e.g. a fixed validation set. The trainer does not dispose them (a fixed set is reused). */
  evalBatches?: () => Iterable<B>;
  /** Release a batch's tensors after use (default: dispose every tf.Tensor found in the batch's own fields). */
  disposeBatch?: (batch: B) => void;
  /** Optimizer steps to run. */
  maxSteps: number;
  /** Micro-batches per optimizer step (gradients averaged). Default 1. */
  gradientAccumulationSteps?: number;
  /** LR multiplier per step (see cosineWithWarmup). Default constant. */
  schedule?: LrSchedule;
  /** Clip the global gradient L2 norm to this (like `max_grad_norm`). Default: no clipping (norm still logged). */
  maxGradNorm?: number;
  /** Evaluate every this many steps (and at the end). Default: only at the end if evalBatches is set. */
  evalInterval?: number;
  earlyStopping?: EarlyStoppingOptions;
  /** Log every this many steps. Default 10. */
  logInterval?: number;
  /** Append metric records to this JSONL file. */
  logFile?: string;
  callbacks?: TrainerCallbacks;
  /** Directory for `checkpoint-<step>/` folders. */
  checkpointDir?: string;
  /** Save every this many steps (and at the end). Requires checkpointDir. */
  checkpointInterval?: number;
  /** Keep only the newest N checkpoints. Default: keep all. */
  saveTotalLimit?: number;
  /** Seed of the data RNG passed to getBatch. Default 0. */
  seed?: number;
  /** Tokens in one micro-batch, for the tokens/s metric. */
  tokensPerBatch?: number | ((batch: B) => number);
  /** Progress bar: true, false or 'auto' (TTY-aware). Default 'auto'. */
  progress?: boolean | 'auto';
  /** Throw NonFiniteError when the loss or gradient norm is NaN/Inf. Default true. */
  stopOnNonFinite?: boolean;
}

export interface TrainResult {
  /** Optimizer steps completed (including resumed ones). */
  step: number;
  stoppedEarly: boolean;
  bestEvalLoss?: number;
  /** Every logged record of this run. */
  history: TrainLogRecord[];
}

/**
 * A training loop over micro-batches with gradient accumulation, LR schedule,
 * clipping, periodic evaluation, early stopping, JSONL metrics, a progress bar,
 * and checkpoints whose resume is bit-identical to an uninterrupted run.
 *
 * @example
 * const trainer = new Trainer({ model, optimizer: new AdamW(model.namedParameters()), maxSteps: 300,
 *   lossFn: (m, b) => crossEntropy(m.forward(b.x), b.y), getBatch: (i, rng) => sampleBatch(rng) });
 * await trainer.train();
 */
export class Trainer<B, M extends Module = Module> {
  readonly options: TrainerOptions<B, M>;
  private state: TrainerState;
  private dataRng: Rng;

  constructor(options: TrainerOptions<B, M>) {
    validate(options);
    this.options = options;
    this.dataRng = createRng(options.seed ?? 0);
    this.state = {
      version: 1,
      step: 0,
      microIndex: 0,
      dataRng: this.dataRng.getState(),
      defaultRng: getDefaultRng().getState(),
      bestEvalLoss: null,
      evalsWithoutImprovement: 0,
    };
  }

  /** Current optimizer step. */
  get step(): number {
    return this.state.step;
  }

  /**
   * Run training to `maxSteps` (or early stop).
   * @param resumeFrom a `checkpoint-<step>` directory, or `'latest'` for the newest in `checkpointDir`.
   * @throws {CheckpointError} `checkpoint` when the checkpoint is missing or does not match.
   * @throws {NonFiniteError} `non_finite` when the loss or gradient norm is NaN/Inf.
   */
  async train(options: { resumeFrom?: string } = {}): Promise<TrainResult> {
    const o = this.options;
    if (options.resumeFrom) await this.resume(options.resumeFrom);
    const accumulation = o.gradientAccumulationSteps ?? 1;
    const logInterval = o.logInterval ?? 10;
    const history: TrainLogRecord[] = [];
    const trainable = o.model.trainableParameters();
    const progress = createProgress({ total: o.maxSteps, label: 'train', enabled: o.progress ?? 'auto' });
    progress.update(this.state.step);
    o.model.train();
    let stoppedEarly = false;
    const accumulator = new GradientAccumulator();
    try {
      while (this.state.step < o.maxSteps) {
        const started = performance.now();
        const multiplier = o.schedule ? o.schedule(this.state.step) : 1;
        o.optimizer.setLrMultiplier(multiplier);
        let lossSum = 0;
        let tokens = 0;
        for (let micro = 0; micro < accumulation; micro++) {
          const batch = o.getBatch(this.state.microIndex, this.dataRng);
          this.state.microIndex++;
          if (o.tokensPerBatch !== undefined) {
            tokens += typeof o.tokensPerBatch === 'number' ? o.tokensPerBatch : o.tokensPerBatch(batch);
          }
          const { loss, grads } = computeGradients(() => o.lossFn(o.model, batch), trainable);
          lossSum += (await loss.data())[0];
          loss.dispose();
          accumulator.add(grads);
          this.disposeBatch(batch);
        }
        const averaged = accumulator.average();
        accumulator.reset();
        let gradNorm: number;
        let grads = averaged;
        if (o.maxGradNorm !== undefined) {
          const clipped = clipGradNorm(averaged, o.maxGradNorm);
          gradNorm = clipped.norm;
          grads = clipped.grads;
          disposeMap(averaged);
        } else {
          gradNorm = globalGradNorm(averaged);
        }
        const loss = lossSum / accumulation;
        if ((o.stopOnNonFinite ?? true) && (!Number.isFinite(loss) || !Number.isFinite(gradNorm))) {
          disposeMap(grads);
          throw new NonFiniteError(
            `Training step ${this.state.step}: loss ${loss}, gradient norm ${gradNorm}. Lower the learning rate, set maxGradNorm, or check the data; pass stopOnNonFinite: false to continue anyway.`,
          );
        }
        o.optimizer.step(grads);
        disposeMap(grads);
        this.state.step++;
        const stepMs = performance.now() - started;
        const record: TrainLogRecord = { step: this.state.step, loss, lr: o.optimizer.paramGroups[0]?.lr, gradNorm, stepMs };
        if (tokens > 0) record.tokensPerSecond = tokens / (stepMs / 1000);
        const isLast = this.state.step >= o.maxSteps;
        if (o.evalBatches && ((o.evalInterval && this.state.step % o.evalInterval === 0) || isLast)) {
          const evalLoss = this.evaluate();
          record.evalLoss = evalLoss;
          o.callbacks?.onEvaluate?.({ step: this.state.step, evalLoss });
          const minDelta = o.earlyStopping?.minDelta ?? 0;
          if (this.state.bestEvalLoss === null || evalLoss < this.state.bestEvalLoss - minDelta) {
            this.state.bestEvalLoss = evalLoss;
            this.state.evalsWithoutImprovement = 0;
          } else {
            this.state.evalsWithoutImprovement++;
            if (o.earlyStopping && this.state.evalsWithoutImprovement >= o.earlyStopping.patience) stoppedEarly = true;
          }
        }
        if (this.state.step % logInterval === 0 || isLast || record.evalLoss !== undefined || stoppedEarly) {
          const memory = tf.memory();
          record.tensorBytes = memory.numBytes;
          record.numTensors = memory.numTensors;
          record.rssBytes = process.memoryUsage().rss;
          history.push(record);
          if (o.logFile) {
            mkdirSync(dirname(o.logFile), { recursive: true });
            appendFileSync(o.logFile, JSON.stringify(record) + '\n');
          }
          o.callbacks?.onLog?.(record);
        }
        progress.update(this.state.step, { loss, lr: record.lr ?? 0 });
        if (o.callbacks?.onStepEnd?.(record) === true) stoppedEarly = true;
        const checkpointDue = o.checkpointInterval !== undefined && this.state.step % o.checkpointInterval === 0;
        if (o.checkpointDir && (checkpointDue || isLast || stoppedEarly)) await this.saveCheckpoint();
        if (stoppedEarly) break;
      }
    } finally {
      progress.stop();
      accumulator.reset();
    }
    return {
      step: this.state.step,
      stoppedEarly,
      bestEvalLoss: this.state.bestEvalLoss ?? undefined,
      history,
    };
  }

  /** Mean loss over `evalBatches` in eval mode (no gradients). */
  evaluate(): number {
    const o = this.options;
    if (!o.evalBatches) throw new InvalidArgumentError('Trainer.evaluate(): no evalBatches option was given.');
    o.model.eval();
    let sum = 0;
    let count = 0;
    try {
      for (const batch of o.evalBatches()) {
        const loss = tf.tidy(() => o.lossFn(o.model, batch));
        sum += loss.arraySync() as number;
        loss.dispose();
        count++;
      }
    } finally {
      o.model.train();
    }
    if (count === 0) throw new InvalidArgumentError('Trainer.evaluate(): evalBatches yielded no batch.');
    return sum / count;
  }

  /** Write `checkpoint-<step>/` into `checkpointDir` now; returns its path. */
  async saveCheckpoint(): Promise<string> {
    const o = this.options;
    if (!o.checkpointDir) throw new InvalidArgumentError('Trainer.saveCheckpoint(): set the checkpointDir option first.');
    this.state.dataRng = this.dataRng.getState();
    this.state.defaultRng = getDefaultRng().getState();
    const dir = await saveCheckpoint(o.checkpointDir, {
      model: o.model,
      optimizer: o.optimizer,
      state: this.state,
      saveTotalLimit: o.saveTotalLimit,
    });
    o.callbacks?.onCheckpoint?.({ step: this.state.step, dir });
    return dir;
  }

  private async resume(resumeFrom: string): Promise<void> {
    const o = this.options;
    const dir = resumeFrom === 'latest' ? findLatestCheckpoint(o.checkpointDir) : resumeFrom;
    const state = await loadCheckpoint(dir, { model: o.model, optimizer: o.optimizer });
    this.state = state;
    this.dataRng.setState(state.dataRng);
    getDefaultRng().setState(state.defaultRng);
  }

  private disposeBatch(batch: B): void {
    if (this.options.disposeBatch) {
      this.options.disposeBatch(batch);
      return;
    }
    if (batch instanceof tf.Tensor) batch.dispose();
    else if (batch && typeof batch === 'object') {
      for (const value of Object.values(batch as Record<string, unknown>)) if (value instanceof tf.Tensor) value.dispose();
    }
  }
}

function disposeMap(map: Map<string, tf.Tensor>): void {
  for (const t of map.values()) t.dispose();
}

function validate<B, M extends Module>(o: TrainerOptions<B, M>): void {
  const positiveInt = (value: number | undefined, name: string) => {
    if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
      throw new InvalidArgumentError(`Trainer: ${name} must be a positive integer, got ${value}.`);
    }
  };
  if (!o.model || !o.optimizer || typeof o.lossFn !== 'function' || typeof o.getBatch !== 'function') {
    throw new InvalidArgumentError('Trainer: model, optimizer, lossFn and getBatch are required.');
  }
  if (!(Number.isInteger(o.maxSteps) && o.maxSteps >= 0)) {
    throw new InvalidArgumentError(`Trainer: maxSteps must be a non-negative integer, got ${o.maxSteps}.`);
  }
  positiveInt(o.gradientAccumulationSteps, 'gradientAccumulationSteps');
  positiveInt(o.evalInterval, 'evalInterval');
  positiveInt(o.logInterval, 'logInterval');
  positiveInt(o.checkpointInterval, 'checkpointInterval');
  positiveInt(o.saveTotalLimit, 'saveTotalLimit');
  if (o.checkpointInterval !== undefined && !o.checkpointDir) {
    throw new InvalidArgumentError('Trainer: checkpointInterval needs checkpointDir.');
  }
  if (o.maxGradNorm !== undefined && !(o.maxGradNorm > 0)) {
    throw new InvalidArgumentError(`Trainer: maxGradNorm must be > 0, got ${o.maxGradNorm}.`);
  }
  if (o.earlyStopping && !o.evalBatches) {
    throw new InvalidArgumentError('Trainer: earlyStopping needs evalBatches to measure the eval loss.');
  }
}
