/**
 * `pretrain`: nanoGPT's train.py loop on core's Trainer -- random windows of
 * a token stream, AdamW with weight decay on matrices only, linear warmup then
 * cosine decay to `minLr`, global-norm clipping, and periodic estimates of the
 * train and validation loss over random batches.
 */
import {
  tf,
  AdamW,
  Trainer,
  cosineWithWarmup,
  createRng,
  paramGroupsWithoutDecay,
  type TrainLogRecord,
  type TrainResult,
} from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { evalLoss, randomWindows, type CausalLMLike, type WindowBatch } from './data.js';

/** Options of {@link pretrain}. Defaults follow nanoGPT's train.py where it has one. */
export interface PretrainOptions {
  /** Training token stream (see packTokens / trainValSplit). */
  train: ArrayLike<number>;
  /** Validation token stream; when given, its loss is estimated every `evalInterval` steps and at the end. */
  val?: ArrayLike<number>;
  /** Tokens per training window (context length). */
  blockSize: number;
  /** Windows per optimizer step. */
  batchSize: number;
  /** Optimizer steps (nanoGPT's max_iters). */
  steps: number;
  /** Peak learning rate. Default 6e-4 (nanoGPT). */
  lr?: number;
  /** Learning rate at the end of the cosine. Default lr / 10 (nanoGPT's min_lr ~= learning_rate / 10). */
  minLr?: number;
  /** Linear warmup steps from 0 to `lr`. Default min(100, steps / 10). */
  warmupSteps?: number;
  /** AdamW weight decay, applied only to parameters of rank >= 2 (nanoGPT configure_optimizers). Default 0.1. */
  weightDecay?: number;
  /** AdamW betas. Default [0.9, 0.95] (nanoGPT). */
  betas?: [number, number];
  /** AdamW epsilon. Default 1e-8. */
  eps?: number;
  /** Clip the global gradient L2 norm to this; 0 disables. Default 1.0 (nanoGPT). */
  gradClip?: number;
  /** Estimate the losses every this many steps (and at step 0 and the end). Default: only at step 0 and the end. */
  evalInterval?: number;
  /** Random batches per loss estimate (nanoGPT's eval_iters). Default 20. */
  evalIters?: number;
  /** Also estimate the loss on `train` at each evaluation, as nanoGPT's estimate_loss. Default true. */
  evalTrain?: boolean;
  /** Estimate the losses before the first step (nanoGPT evaluates at iter 0). Default true. */
  evalAtStart?: boolean;
  /** Seed of the batch sampling (the Trainer's data RNG) and, plus one, of the evaluation batches. Default 1337. */
  seed?: number;
  /** Trainer log interval in steps. Default 10. */
  logInterval?: number;
  /** Append the Trainer's JSONL metrics here. */
  logFile?: string;
  /** Write `checkpoint-<step>/` folders here (at `checkpointInterval` and the end). */
  checkpointDir?: string;
  /** Save every this many steps (needs checkpointDir). */
  checkpointInterval?: number;
  /** Resume from this checkpoint directory, or 'latest' in checkpointDir. */
  resumeFrom?: string;
  /** Progress bar: true, false or 'auto' (TTY-aware). Default false. */
  progress?: boolean | 'auto';
  /** Called with every Trainer log record. */
  onLog?: (record: TrainLogRecord) => void;
  /** Called with every loss estimate. */
  onEval?: (record: PretrainEvalRecord) => void;
}

/** One loss estimate (nanoGPT's `estimate_loss`). */
export interface PretrainEvalRecord {
  /** Optimizer steps done when it was taken (0 = before training). */
  step: number;
  /** Mean loss over `evalIters` random train batches (when evalTrain). */
  trainLoss?: number;
  /** Mean loss over `evalIters` random validation batches (when `val` is given). */
  valLoss?: number;
}

/** Result of {@link pretrain}. */
export interface PretrainResult {
  /** Optimizer steps done (including resumed ones). */
  steps: number;
  /** Last train-loss estimate (evalIters batches) when evalTrain, else the loss of the last step. */
  finalTrainLoss: number;
  /** Last validation-loss estimate (when `val` is given). */
  finalValLoss?: number;
  /** Mean wall time of an optimizer step in this run (evaluation excluded), milliseconds. */
  msPerStep: number;
  /** Loss estimates in step order. */
  history: PretrainEvalRecord[];
  /** The Trainer's log records (every logInterval steps). */
  log: TrainLogRecord[];
  /** The Trainer's own result. */
  trainer: TrainResult;
}

function check(owner: string, name: string, value: unknown, ok: (v: number) => boolean, want: string): void {
  if (value !== undefined && (typeof value !== 'number' || !Number.isFinite(value) || !ok(value))) {
    throw new InvalidArgumentError(`${owner}: option "${name}" must be ${want}, got ${String(value)}.`);
  }
}

function validate(model: CausalLMLike, o: PretrainOptions): void {
  const owner = 'pretrain';
  if (!model || typeof (model as { loss?: unknown }).loss !== 'function' || typeof model.trainableParameters !== 'function') {
    throw new InvalidArgumentError(`${owner}: "model" must be a Module with loss(inputIds, targets), e.g. a DecoderLM.`);
  }
  if (!o || typeof o !== 'object') throw new InvalidArgumentError(`${owner}: expected an options object.`);
  const int = (v: number) => Number.isInteger(v);
  for (const name of ['blockSize', 'batchSize', 'steps'] as const) {
    if (o[name] === undefined) throw new InvalidArgumentError(`${owner}: option "${name}" is required.`);
    check(owner, name, o[name], (v) => int(v) && v > 0, 'a positive integer');
  }
  check(owner, 'lr', o.lr, (v) => v > 0, 'a number > 0');
  check(owner, 'minLr', o.minLr, (v) => v >= 0 && v <= (o.lr ?? 6e-4), `a number in [0, lr = ${o.lr ?? 6e-4}]`);
  check(owner, 'warmupSteps', o.warmupSteps, (v) => int(v) && v >= 0 && v <= o.steps, `an integer in [0, steps = ${o.steps}]`);
  check(owner, 'weightDecay', o.weightDecay, (v) => v >= 0, 'a number >= 0');
  check(owner, 'eps', o.eps, (v) => v > 0, 'a number > 0');
  check(owner, 'gradClip', o.gradClip, (v) => v >= 0, 'a number >= 0 (0 disables clipping)');
  check(owner, 'evalInterval', o.evalInterval, (v) => int(v) && v > 0, 'a positive integer');
  check(owner, 'evalIters', o.evalIters, (v) => int(v) && v > 0, 'a positive integer');
  check(owner, 'seed', o.seed, int, 'an integer');
  if (o.betas !== undefined && !(Array.isArray(o.betas) && o.betas.length === 2 && o.betas.every((b) => b >= 0 && b < 1))) {
    throw new InvalidArgumentError(`${owner}: option "betas" must be two numbers in [0, 1), got ${JSON.stringify(o.betas)}.`);
  }
  const streams: Array<['train' | 'val', ArrayLike<number> | undefined]> = [['train', o.train], ['val', o.val]];
  for (const [name, stream] of streams) {
    if (stream === undefined) {
      if (name === 'train') throw new InvalidArgumentError(`${owner}: option "train" (a token stream) is required.`);
      continue;
    }
    if (typeof stream !== 'object' || stream === null || typeof stream.length !== 'number') {
      throw new InvalidArgumentError(`${owner}: option "${name}" must be an Int32Array of token ids.`);
    }
    if (stream.length < o.blockSize + 1) {
      throw new InvalidArgumentError(
        `${owner}: the "${name}" stream has ${stream.length} tokens, fewer than blockSize + 1 = ${o.blockSize + 1}; use a smaller blockSize or more data.`,
      );
    }
  }
}

/**
 * Pretrains a causal LM on random windows of a token stream with core's
 * {@link Trainer}: AdamW (weight decay only on parameters of rank >= 2, like
 * nanoGPT's configure_optimizers), linear warmup to `lr` then cosine decay to
 * `minLr` at `steps` (core's cosineWithWarmup), global-norm clipping, and a
 * train/validation loss estimate over `evalIters` random batches at step 0,
 * every `evalInterval` steps and at the end (nanoGPT's estimate_loss).
 *
 * @throws {InvalidArgumentError} `invalid_argument` naming a bad option or a stream shorter than blockSize + 1.
 * @throws {NonFiniteError} `non_finite` when the loss or gradient norm becomes NaN/Inf.
 * @example
 * const tok = CharTokenizer.fromText(text);
 * const { train, val } = trainValSplit(packTokens(text, { tokenizer: tok }));
 * const model = DecoderLM.fromConfig({ model_type: 'gpt2', vocab_size: tok.vocabSize, n_embd: 128, n_layer: 4, n_head: 4, n_positions: 64 });
 * const result = await pretrain(model, { train, val, blockSize: 64, batchSize: 12, steps: 2000, lr: 1e-3, minLr: 1e-4,
 *   warmupSteps: 100, betas: [0.9, 0.99], evalInterval: 250, evalIters: 50 });
 * result.finalValLoss;
 */
export async function pretrain(model: CausalLMLike, options: PretrainOptions): Promise<PretrainResult> {
  validate(model, options);
  const o = options;
  const lr = o.lr ?? 6e-4;
  const minLr = o.minLr ?? lr / 10;
  const warmupSteps = o.warmupSteps ?? Math.min(100, Math.floor(o.steps / 10));
  const seed = o.seed ?? 1337;
  const evalIters = o.evalIters ?? 20;
  const evalTrain = o.evalTrain ?? true;
  const gradClip = o.gradClip ?? 1.0;
  const train = o.train instanceof Int32Array ? o.train : Int32Array.from(o.train);
  const val = o.val === undefined ? undefined : o.val instanceof Int32Array ? o.val : Int32Array.from(o.val);
  const { blockSize, batchSize } = o;
  const evalRng = createRng(seed + 1);
  const history: PretrainEvalRecord[] = [];

  const estimate = (step: number, valLoss?: number): PretrainEvalRecord => {
    const record: PretrainEvalRecord = { step };
    if (evalTrain) record.trainLoss = evalLoss(model, train, { blockSize, batchSize, iters: evalIters, rng: evalRng });
    if (val) record.valLoss = valLoss ?? evalLoss(model, val, { blockSize, batchSize, iters: evalIters, rng: evalRng });
    history.push(record);
    o.onEval?.(record);
    return record;
  };

  const optimizer = new AdamW(paramGroupsWithoutDecay(model.trainableParameters(), o.weightDecay ?? 0.1), {
    lr,
    betas: o.betas ?? [0.9, 0.95],
    eps: o.eps ?? 1e-8,
  });
  let stepMsSum = 0;
  let stepCount = 0;
  let lastStepLoss = Number.NaN;
  try {
    const trainer = new Trainer<WindowBatch, CausalLMLike>({
      model,
      optimizer,
      lossFn: (m, b) => m.loss(b.x, b.y),
      getBatch: (_index, rng) => randomWindows(train, { blockSize, batchSize, rng }),
      // Fresh random validation batches per evaluation. The Trainer does not dispose evaluation batches
      // (a fixed set would be reused), so each is released once the next one is requested (the Trainer
      // has read its loss by then), the last one when the loop ends.
      evalBatches: val
        ? function* () {
            let previous: WindowBatch | undefined;
            const release = () => {
              if (previous) tf.dispose([previous.x, previous.y]);
            };
            try {
              for (let i = 0; i < evalIters; i++) {
                release();
                previous = randomWindows(val, { blockSize, batchSize, rng: evalRng });
                yield previous;
              }
            } finally {
              release();
            }
          }
        : undefined,
      maxSteps: o.steps,
      schedule: cosineWithWarmup({ warmupSteps, totalSteps: o.steps, minLrRatio: minLr / lr }),
      maxGradNorm: gradClip > 0 ? gradClip : undefined,
      evalInterval: o.evalInterval,
      logInterval: o.logInterval ?? 10,
      logFile: o.logFile,
      checkpointDir: o.checkpointDir,
      checkpointInterval: o.checkpointInterval,
      seed,
      tokensPerBatch: batchSize * blockSize,
      progress: o.progress ?? false,
      callbacks: {
        onLog: o.onLog,
        onEvaluate: ({ step, evalLoss: valLoss }) => {
          estimate(step, valLoss);
        },
        onStepEnd: (record) => {
          stepMsSum += record.stepMs ?? 0;
          stepCount++;
          if (record.loss !== undefined) lastStepLoss = record.loss;
          // Without a validation stream the Trainer does not evaluate: estimate the train loss here.
          if (!val && evalTrain && ((o.evalInterval && record.step % o.evalInterval === 0) || record.step === o.steps)) {
            estimate(record.step);
          }
        },
      },
    });
    if ((o.evalAtStart ?? true) && !o.resumeFrom) estimate(0);
    const result = await trainer.train({ resumeFrom: o.resumeFrom });
    const last = history[history.length - 1];
    return {
      steps: result.step,
      finalTrainLoss: last?.trainLoss ?? lastStepLoss,
      finalValLoss: last?.valLoss,
      msPerStep: stepCount > 0 ? stepMsSum / stepCount : 0,
      history,
      log: result.history,
      trainer: result,
    };
  } finally {
    optimizer.dispose();
  }
}
