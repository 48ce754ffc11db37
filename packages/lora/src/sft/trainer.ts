/**
 * `SFTTrainer`: supervised fine-tuning of a @llmkit/model `DecoderLM` (full fine-tuning) or of a LoRA
 * model wrapping one (only its trainable adapter parameters change), on core's `Trainer` (gradient
 * accumulation, LR schedule, clipping, evaluation, checkpoints, JSONL metrics, progress bar).
 * Option names follow TRL's `SFTConfig` camelCased.
 */
import {
  AdamW,
  InvalidArgumentError,
  Module,
  Trainer,
  constantSchedule,
  constantWithWarmup,
  cosineWithWarmup,
  createProgress,
  createRng,
  linearWithWarmup,
  tf,
  type LrSchedule,
  type Optimizer,
  type TrainResult,
  type TrainerCallbacks,
} from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { join } from 'node:path';
import { LoraModel } from '../lora-model.js';
import { saveAdapter } from '../peft-format.js';
import { collateSft, packBestFitDecreasing, type SftBatch } from './collate.js';
import { type SftRecord } from './formats.js';
import { tokenizeSftExample, type ChatTemplateSource, type SftTokenizer, type TokenizedSftExample } from './tokenize.js';

/** LR schedules by transformers' `lr_scheduler_type` name. */
export type SftLrSchedulerType = 'linear' | 'cosine' | 'constant' | 'constant_with_warmup';

/** Training arguments (TRL `SFTConfig` / transformers `TrainingArguments` names, camelCased). */
export interface SFTConfig {
  /** Folder for `checkpoint-<step>/` folders and `trainer_log.jsonl`. */
  outputDir?: string;
  /** Most tokens per example (and per packed row). Default min(1024, max_position_embeddings). */
  maxLength?: number;
  /** Pack several examples per row (best-fit decreasing) with document-aware attention. Default false (right padding). */
  packing?: boolean;
  /** Loss on assistant tokens / completions only. Default true. */
  completionOnlyLoss?: boolean;
  /** TRL's name for completion-only loss on conversations; same effect as `completionOnlyLoss`. */
  assistantOnlyLoss?: boolean;
  /** Cut examples longer than maxLength instead of throwing SequenceTooLongError. Default false. */
  truncation?: boolean;
  /** Peak learning rate. Default 2e-5 (TRL). */
  learningRate?: number;
  /** AdamW decoupled weight decay. Default 0. */
  weightDecay?: number;
  adamBeta1?: number;
  adamBeta2?: number;
  adamEpsilon?: number;
  /** Passes over the training set (may be fractional). Default 3. Ignored when maxSteps > 0. */
  numTrainEpochs?: number;
  /** Optimizer steps; overrides numTrainEpochs when > 0. */
  maxSteps?: number;
  /** Rows (examples, or packed rows) per micro-batch. Default 8. */
  perDeviceTrainBatchSize?: number;
  /** Rows per evaluation batch. Default perDeviceTrainBatchSize. */
  perDeviceEvalBatchSize?: number;
  /** Micro-batches per optimizer step. Default 1. */
  gradientAccumulationSteps?: number;
  /** Warmup as a fraction of the total steps (ceil). Default 0. */
  warmupRatio?: number;
  /** Warmup steps; wins over warmupRatio. */
  warmupSteps?: number;
  /** Default 'linear' (transformers). */
  lrSchedulerType?: SftLrSchedulerType;
  /** Clip the global gradient norm. Default 1.0. */
  maxGradNorm?: number;
  /** Evaluate every this many steps (and at the end) when an eval dataset is given. */
  evalSteps?: number;
  /** Save a checkpoint every this many steps (and at the end); needs outputDir. */
  saveSteps?: number;
  /** Keep only the newest N checkpoints. */
  saveTotalLimit?: number;
  /** Log every this many steps. Default 10. */
  loggingSteps?: number;
  /** Seed of the data order. Default 42. */
  seed?: number;
  /** Token appended to text / prompt-completion examples. Default: the model config's eos_token_id when it is one number. */
  eosTokenId?: number;
  /** Padding token id (its positions are never trained on). Default pad_token_id, then eos, then 0. */
  padTokenId?: number;
  /** Progress bar: true, false or 'auto'. Default 'auto'. */
  progress?: boolean | 'auto';
}

/**
 * A LoRA model ({@link LoraModel} from `applyLora`) or any wrapper holding the DecoderLM as `.model`
 * with the base parameters frozen (`trainable = false`), so only the adapters train.
 */
export interface WrappedDecoderLM {
  readonly model: DecoderLM;
}

/** Options of {@link SFTTrainer}. */
export interface SFTTrainerOptions extends ChatTemplateSource {
  /** A DecoderLM (full fine-tuning) or a LoraModel from applyLora (only the adapter parameters train). */
  model: DecoderLM | WrappedDecoderLM;
  args?: SFTConfig;
  /** Records in any supported format (messages, ShareGPT, Alpaca, text, prompt-completion), e.g. from readJsonl. */
  trainDataset: readonly (SftRecord | Record<string, unknown>)[];
  evalDataset?: readonly (SftRecord | Record<string, unknown>)[];
  /** Default: the model's tokenizer (`DecoderLM.tokenizer`). */
  tokenizer?: SftTokenizer;
  /** Default AdamW over the trainable parameters with learningRate, weightDecay and the Adam betas/epsilon. */
  optimizer?: Optimizer;
  callbacks?: TrainerCallbacks;
}

/** What the SFTTrainer made of its dataset. */
export interface SftDatasetStats {
  examples: number;
  /** Examples dropped because no token was left to train on (e.g. truncated before the answer). */
  droppedExamples: number;
  /** Rows per epoch (examples, or packed rows). */
  rows: number;
  tokens: number;
  trainedTokens: number;
  /** Fraction of row slots holding real tokens (packing efficiency). */
  fillRatio: number;
  microBatchesPerEpoch: number;
  maxSteps: number;
}

function positiveInt(value: unknown, name: string): void {
  if (value !== undefined && !(Number.isInteger(value) && (value as number) > 0)) {
    throw new InvalidArgumentError(`SFTConfig.${name} must be a positive integer, got ${String(value)}.`);
  }
}

function nonNegative(value: unknown, name: string, max = Infinity): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0 && value <= max)) {
    throw new InvalidArgumentError(`SFTConfig.${name} must be a number in [0, ${max}], got ${String(value)}.`);
  }
}

const KNOWN_KEYS = new Set([
  'outputDir', 'maxLength', 'packing', 'completionOnlyLoss', 'assistantOnlyLoss', 'truncation', 'learningRate', 'weightDecay',
  'adamBeta1', 'adamBeta2', 'adamEpsilon', 'numTrainEpochs', 'maxSteps', 'perDeviceTrainBatchSize', 'perDeviceEvalBatchSize',
  'gradientAccumulationSteps', 'warmupRatio', 'warmupSteps', 'lrSchedulerType', 'maxGradNorm', 'evalSteps', 'saveSteps',
  'saveTotalLimit', 'loggingSteps', 'seed', 'eosTokenId', 'padTokenId', 'progress',
]);

function validateConfig(args: SFTConfig): void {
  if (typeof args !== 'object' || args === null) throw new InvalidArgumentError('SFTTrainer: args must be an SFTConfig object.');
  for (const key of Object.keys(args)) {
    if (!KNOWN_KEYS.has(key)) {
      throw new InvalidArgumentError(`SFTConfig: unknown option "${key}"; options are camelCased TRL names: ${[...KNOWN_KEYS].join(', ')}.`);
    }
  }
  positiveInt(args.maxLength, 'maxLength');
  positiveInt(args.perDeviceTrainBatchSize, 'perDeviceTrainBatchSize');
  positiveInt(args.perDeviceEvalBatchSize, 'perDeviceEvalBatchSize');
  positiveInt(args.gradientAccumulationSteps, 'gradientAccumulationSteps');
  positiveInt(args.evalSteps, 'evalSteps');
  positiveInt(args.saveSteps, 'saveSteps');
  positiveInt(args.saveTotalLimit, 'saveTotalLimit');
  positiveInt(args.loggingSteps, 'loggingSteps');
  if (args.maxSteps !== undefined && !(Number.isInteger(args.maxSteps) && args.maxSteps >= -1)) {
    throw new InvalidArgumentError(`SFTConfig.maxSteps must be an integer (> 0, or -1 to use numTrainEpochs), got ${args.maxSteps}.`);
  }
  if (args.numTrainEpochs !== undefined && !(typeof args.numTrainEpochs === 'number' && args.numTrainEpochs > 0)) {
    throw new InvalidArgumentError(`SFTConfig.numTrainEpochs must be > 0, got ${String(args.numTrainEpochs)}.`);
  }
  nonNegative(args.learningRate, 'learningRate');
  nonNegative(args.weightDecay, 'weightDecay');
  nonNegative(args.warmupRatio, 'warmupRatio', 1);
  if (args.warmupSteps !== undefined && !(Number.isInteger(args.warmupSteps) && args.warmupSteps >= 0)) {
    throw new InvalidArgumentError(`SFTConfig.warmupSteps must be a non-negative integer, got ${args.warmupSteps}.`);
  }
  if (args.maxGradNorm !== undefined && !(args.maxGradNorm > 0)) throw new InvalidArgumentError(`SFTConfig.maxGradNorm must be > 0, got ${args.maxGradNorm}.`);
  if (args.lrSchedulerType !== undefined && !['linear', 'cosine', 'constant', 'constant_with_warmup'].includes(args.lrSchedulerType)) {
    throw new InvalidArgumentError(`SFTConfig.lrSchedulerType must be 'linear', 'cosine', 'constant' or 'constant_with_warmup', got ${JSON.stringify(args.lrSchedulerType)}.`);
  }
  if (args.saveSteps !== undefined && !args.outputDir) throw new InvalidArgumentError('SFTConfig.saveSteps needs outputDir for the checkpoints.');
}

/** The DecoderLM inside `model` (itself, or `.model` of a LoRA wrapper). */
function decoderOf(model: DecoderLM | WrappedDecoderLM): DecoderLM {
  if (model instanceof DecoderLM) return model;
  if (typeof model === 'object' && model !== null && (model as WrappedDecoderLM).model instanceof DecoderLM) return (model as WrappedDecoderLM).model;
  throw new InvalidArgumentError('SFTTrainer: model must be a DecoderLM or a LoraModel (applyLora(lm, config)) holding one as .model.');
}

/**
 * Loss of one SFT micro-batch: mean cross-entropy over its counted targets (packed rows with position
 * and segment ids). Creates its tensors inside, so it can run under gradient recording.
 * @example
 * const loss = sftLoss(lm, collateSft([[example]]));
 */
export function sftLoss(lm: DecoderLM, batch: SftBatch): tf.Scalar {
  return tf.tidy(() => {
    const shape: [number, number] = [batch.batch, batch.length];
    const ids = tf.tensor2d(batch.inputIds, shape, 'int32');
    const targets = tf.tensor2d(batch.targets, shape, 'int32');
    // Right padding under causal attention: real tokens never see the pads, so no attention mask is
    // needed; pad positions carry -100 targets and do not count.
    const options = batch.positionIds && batch.segmentIds
      ? { positionIds: tf.tensor2d(batch.positionIds, shape, 'int32'), segmentIds: tf.tensor2d(batch.segmentIds, shape, 'int32') }
      : {};
    return lm.loss(ids, targets, undefined, options);
  });
}

/**
 * Supervised fine-tuning (TRL's `SFTTrainer`): tokenizes the dataset with the chat template
 * (completion-only labels from the assistant mask), pads or packs it, and trains with core's Trainer.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for bad options (unknown SFTConfig key, maxLength past the model's positions, ...).
 * @throws {SftDatasetError} `sft_dataset` for a malformed record (named by index).
 * @throws {SequenceTooLongError} `sequence_too_long` for an example longer than maxLength without `truncation: true`.
 * @example
 * const trainer = new SFTTrainer({ model: lm, tokenizer, chatTemplate: PLAIN_QA_TEMPLATE, trainDataset: records,
 *   args: { maxLength: 64, learningRate: 1e-3, maxSteps: 100, perDeviceTrainBatchSize: 16, packing: true } });
 * await trainer.train();
 */
export class SFTTrainer {
  readonly model: DecoderLM | WrappedDecoderLM;
  /** The DecoderLM that computes the loss (the model itself or the wrapped one). */
  readonly lm: DecoderLM;
  readonly args: Readonly<SFTConfig>;
  readonly trainer: Trainer<SftBatch, Module>;
  readonly trainExamples: readonly TokenizedSftExample[];
  readonly evalExamples: readonly TokenizedSftExample[];
  readonly stats: SftDatasetStats;
  private readonly units: number[][];
  private readonly batchSize: number;
  private readonly microPerEpoch: number;
  private readonly padTokenId: number;
  private readonly packing: boolean;
  private orderCache: { epoch: number; order: number[] } | undefined;

  constructor(options: SFTTrainerOptions) {
    if (!options || typeof options !== 'object') throw new InvalidArgumentError('SFTTrainer(options) needs { model, trainDataset, args }.');
    const args = options.args ?? {};
    validateConfig(args);
    this.args = args;
    this.model = options.model;
    this.lm = decoderOf(options.model);
    const lm = this.lm;
    const tokenizer = options.tokenizer ?? lm.tokenizer;
    if (!tokenizer) throw new InvalidArgumentError('SFTTrainer: pass options.tokenizer (the model has none).');
    if (!Array.isArray(options.trainDataset) || options.trainDataset.length === 0) {
      throw new InvalidArgumentError('SFTTrainer: trainDataset must be a non-empty array of records (see readJsonl).');
    }
    const maxPositions = lm.config.maxPositionEmbeddings;
    const maxLength = args.maxLength ?? Math.min(1024, maxPositions);
    if (maxLength > maxPositions) {
      throw new InvalidArgumentError(`SFTConfig.maxLength ${maxLength} exceeds the model's max_position_embeddings ${maxPositions}; lower maxLength.`);
    }
    const eos = lm.config.eosTokenId;
    const eosTokenId = args.eosTokenId ?? (typeof eos === 'number' ? eos : undefined);
    this.padTokenId = args.padTokenId ?? lm.config.padTokenId ?? eosTokenId ?? 0;
    this.packing = args.packing ?? false;
    const tokenizeAll = (records: readonly (SftRecord | Record<string, unknown>)[], label: string) => {
      const progress = createProgress({ total: records.length, label, enabled: records.length >= 2000 ? (args.progress ?? 'auto') : false });
      const out: TokenizedSftExample[] = [];
      let dropped = 0;
      try {
        records.forEach((record, index) => {
          const example = tokenizeSftExample(record as Record<string, unknown>, {
            tokenizer,
            maxLength,
            truncation: args.truncation ?? false,
            completionOnlyLoss: args.assistantOnlyLoss ?? args.completionOnlyLoss ?? true,
            ...(eosTokenId !== undefined ? { eosTokenId } : {}),
            ...(options.chatTemplate !== undefined ? { chatTemplate: options.chatTemplate } : {}),
            ...(options.builtinTemplate !== undefined ? { builtinTemplate: options.builtinTemplate } : {}),
            ...((options.tokenizerConfig ?? lm.tokenizerConfig) !== undefined ? { tokenizerConfig: options.tokenizerConfig ?? lm.tokenizerConfig } : {}),
            index,
          });
          // the first token is never a target: an example needs a trained label after position 0
          if (example.labels.slice(1).every((l) => l === -100)) dropped++;
          else out.push(example);
          if (index % 500 === 0) progress.update(index);
        });
      } finally {
        progress.stop();
      }
      return { out, dropped };
    };
    const train = tokenizeAll(options.trainDataset, 'tokenize');
    if (train.out.length === 0) {
      throw new InvalidArgumentError(
        `SFTTrainer: none of the ${options.trainDataset.length} training examples has a token to train on (all labels -100); check the chat template / completionOnlyLoss / maxLength.`,
      );
    }
    if (train.dropped > 0) {
      console.warn(`SFTTrainer: dropped ${train.dropped} of ${options.trainDataset.length} training examples with no trained token (e.g. truncated before the answer).`);
    }
    this.trainExamples = train.out;
    this.evalExamples = options.evalDataset ? tokenizeAll(options.evalDataset, 'tokenize eval').out : [];
    this.units = this.packing
      ? packBestFitDecreasing(train.out.map((e) => e.inputIds.length), maxLength)
      : train.out.map((_, i) => [i]);
    this.batchSize = args.perDeviceTrainBatchSize ?? 8;
    this.microPerEpoch = Math.ceil(this.units.length / this.batchSize);
    const accumulation = args.gradientAccumulationSteps ?? 1;
    const maxSteps =
      args.maxSteps !== undefined && args.maxSteps > 0
        ? args.maxSteps
        : Math.max(1, Math.ceil(((args.numTrainEpochs ?? 3) * this.microPerEpoch) / accumulation));
    const tokens = train.out.reduce((s, e) => s + e.inputIds.length, 0);
    const trainedTokens = train.out.reduce((s, e) => s + e.labels.slice(1).filter((l) => l !== -100).length, 0);
    this.stats = {
      examples: train.out.length,
      droppedExamples: train.dropped,
      rows: this.units.length,
      tokens,
      trainedTokens,
      fillRatio: this.packing ? tokens / (this.units.length * maxLength) : 1,
      microBatchesPerEpoch: this.microPerEpoch,
      maxSteps,
    };

    const warmupSteps = args.warmupSteps ?? Math.ceil((args.warmupRatio ?? 0) * maxSteps);
    const scheduleType = args.lrSchedulerType ?? 'linear';
    const schedules: Record<SftLrSchedulerType, () => LrSchedule> = {
      linear: () => linearWithWarmup({ warmupSteps, totalSteps: Math.max(maxSteps, warmupSteps, 1) }),
      cosine: () => cosineWithWarmup({ warmupSteps, totalSteps: Math.max(maxSteps, warmupSteps, 1) }),
      constant: () => constantSchedule(),
      constant_with_warmup: () => constantWithWarmup({ warmupSteps }),
    };
    const optimizer =
      options.optimizer ??
      new AdamW(lm.trainableParameters(), {
        lr: args.learningRate ?? 2e-5,
        weightDecay: args.weightDecay ?? 0,
        betas: [args.adamBeta1 ?? 0.9, args.adamBeta2 ?? 0.999],
        eps: args.adamEpsilon ?? 1e-8,
      });
    const evalBatches = this.evalExamples.length > 0 ? this.makeEvalBatches(maxLength) : undefined;
    // The Trainer trains the DecoderLM: after applyLora its base parameters are frozen, so its
    // trainableParameters() are the adapters (and checkpoints hold the whole model state).
    this.trainer = new Trainer<SftBatch, Module>({
      model: lm,
      optimizer,
      lossFn: (_model, batch) => sftLoss(lm, batch),
      getBatch: (index) => this.batchAt(index),
      disposeBatch: () => {},
      ...(evalBatches ? { evalBatches: () => evalBatches, ...(args.evalSteps ? { evalInterval: args.evalSteps } : {}) } : {}),
      maxSteps,
      gradientAccumulationSteps: accumulation,
      schedule: schedules[scheduleType](),
      maxGradNorm: args.maxGradNorm ?? 1,
      logInterval: args.loggingSteps ?? 10,
      ...(args.outputDir ? { checkpointDir: args.outputDir, logFile: join(args.outputDir, 'trainer_log.jsonl') } : {}),
      ...(args.saveSteps ? { checkpointInterval: args.saveSteps } : {}),
      ...(args.saveTotalLimit ? { saveTotalLimit: args.saveTotalLimit } : {}),
      seed: args.seed ?? 42,
      tokensPerBatch: (batch) => batch.tokens,
      progress: args.progress ?? 'auto',
      ...(options.callbacks ? { callbacks: options.callbacks } : {}),
    });
  }

  /** Micro-batch `index` of the run: epoch `floor(index / microBatchesPerEpoch)`, rows in that epoch's seeded order. */
  batchAt(index: number): SftBatch {
    const epoch = Math.floor(index / this.microPerEpoch);
    const k = index % this.microPerEpoch;
    if (this.orderCache?.epoch !== epoch) {
      const order = Array.from(createRng((this.args.seed ?? 42) * 1_000_003 + epoch).permutation(this.units.length));
      this.orderCache = { epoch, order };
    }
    const picked = this.orderCache.order.slice(k * this.batchSize, (k + 1) * this.batchSize);
    return collateSft(
      picked.map((u) => this.units[u]!.map((e) => this.trainExamples[e]!)),
      { padTokenId: this.padTokenId, packed: this.packing },
    );
  }

  private makeEvalBatches(maxLength: number): SftBatch[] {
    const size = this.args.perDeviceEvalBatchSize ?? this.batchSize;
    const units = this.packing
      ? packBestFitDecreasing(this.evalExamples.map((e) => e.inputIds.length), maxLength)
      : this.evalExamples.map((_, i) => [i]);
    const batches: SftBatch[] = [];
    for (let i = 0; i < units.length; i += size) {
      batches.push(
        collateSft(
          units.slice(i, i + size).map((u) => u.map((e) => this.evalExamples[e]!)),
          { padTokenId: this.padTokenId, packed: this.packing },
        ),
      );
    }
    return batches;
  }

  /**
   * Train to `maxSteps` (from `numTrainEpochs` unless set).
   * @param options.resumeFrom a checkpoint folder or 'latest' (in outputDir)
   */
  train(options: { resumeFrom?: string } = {}): Promise<TrainResult> {
    return this.trainer.train(options);
  }

  /**
   * Save the result: a LoraModel's active adapter in PEFT format (adapter_config.json +
   * adapter_model.safetensors), or the whole DecoderLM as a Hugging Face model folder.
   * @example
   * await trainer.saveModel('./out/final');
   */
  async saveModel(dir: string): Promise<void> {
    if (this.model instanceof LoraModel) await saveAdapter(this.model as LoraModel<Module>, dir);
    else await this.lm.save(dir);
  }

  /**
   * Mean loss over the eval dataset (no gradients).
   * @throws {InvalidArgumentError} `invalid_argument` when no evalDataset was given.
   */
  evaluate(): number {
    if (this.evalExamples.length === 0) throw new InvalidArgumentError('SFTTrainer.evaluate(): pass evalDataset to the constructor first.');
    return this.trainer.evaluate();
  }
}
