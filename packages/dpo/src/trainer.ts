/**
 * DPOTrainer, ORPOTrainer and KTOTrainer on @llmkit/core's Trainer: batches of tokenized
 * preference data, reference log-probs (precomputed and cached, or on the fly), the losses of
 * ./losses.ts, and a JSONL log with TRL's metric names.
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import {
  AdamW,
  constantWithWarmup,
  Trainer,
  tf,
  type LrSchedule,
  type Module,
  type Optimizer,
  type Rng,
  type TrainLogRecord,
  type TrainResult,
} from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { DpoError } from './errors.js';
import type { TokenizedKtoExample, TokenizedPair, TokenizedSequence } from './data.js';
import { completionLogps, padSequences, sequenceLogpsArray, type CausalLM, type PaddedBatch } from './logprobs.js';
import { getPreferenceLoss, preferenceLoss, resolveLossOptions, type PreferenceLossType } from './losses.js';
import { copyReference, precomputeReferenceLogps, type ReferenceModel } from './reference.js';

/** The policy: a causal LM whose trainable parameters are optimised (full model or LoRA adapters). */
export type PolicyModel = CausalLM & Module;

/** One JSONL log row: the core Trainer's fields plus TRL's metric names. */
export interface PreferenceLogRecord extends TrainLogRecord {
  'rewards/chosen'?: number;
  'rewards/rejected'?: number;
  'rewards/accuracies'?: number;
  'rewards/margins'?: number;
  'logps/chosen'?: number;
  'logps/rejected'?: number;
  'logits/chosen'?: number;
  'logits/rejected'?: number;
  /** KTO: the batch KL estimate. */
  kl?: number;
  /** ORPO: the chosen NLL term. */
  nll_loss?: number;
}

/** Options shared by the preference trainers. */
export interface PreferenceTrainerBaseOptions {
  /** The policy being trained. */
  model: PolicyModel;
  /** β of the loss (default 0.1). */
  beta?: number;
  /** Pairs (KTO: examples) per micro-batch. Default 8. */
  batchSize?: number;
  maxSteps: number;
  /** Peak learning rate of the default AdamW. Default 1e-6 (DPOConfig's default, for large pretrained models; small models need far more, e.g. 1e-4). */
  lr?: number;
  /** Weight decay of the default AdamW. Default 0. */
  weightDecay?: number;
  /** Linear warmup steps of the default schedule (then constant). Default 0. */
  warmupSteps?: number;
  /** Replace the default AdamW. */
  optimizer?: Optimizer;
  /** Replace the default schedule. */
  schedule?: LrSchedule;
  gradientAccumulationSteps?: number;
  /** Clip the global gradient norm (TRL's max_grad_norm). Default: no clipping. */
  maxGradNorm?: number;
  /** Append one JSON line of metrics (TRL names) per log interval to this file. */
  logFile?: string;
  /** Log every this many steps. Default 10. */
  logInterval?: number;
  /** Seed of the batch sampling. Default 0. */
  seed?: number;
  /** Token id used to right-pad batches (masked out). Default 0. */
  padTokenId?: number;
  /** Progress bar. Default 'auto'. */
  progress?: boolean | 'auto';
  /** Called with every logged record. */
  onLog?: (record: PreferenceLogRecord) => void;
}

/** Result of a preference trainer's train(). */
export interface PreferenceTrainResult extends TrainResult {
  /** Every logged record with TRL's metric names. */
  logs: PreferenceLogRecord[];
}

/** Held-out metrics of {@link DPOTrainer.evaluate}. */
export interface PreferenceEvalResult {
  loss: number;
  /** Fraction of pairs whose chosen reward exceeds the rejected one. */
  rewardAccuracy: number;
  rewardMargin: number;
  chosenReward: number;
  rejectedReward: number;
}

const mean = (xs: ArrayLike<number>) => (xs.length === 0 ? Number.NaN : Array.from(xs).reduce((a, b) => a + b, 0) / xs.length);

function checkPositiveInt(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value > 0)) {
    throw new DpoError('dpo_invalid_argument', `${name} must be a positive integer, got ${value}.`);
  }
}

/** Running averages of metrics between two log records. */
class MetricWindow {
  private sums = new Map<string, { sum: number; n: number }>();
  add(values: Record<string, number>): void {
    for (const [k, v] of Object.entries(values)) {
      if (!Number.isFinite(v)) continue;
      const e = this.sums.get(k) ?? { sum: 0, n: 0 };
      e.sum += v;
      e.n++;
      this.sums.set(k, e);
    }
  }
  flush(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [k, { sum, n }] of this.sums) out[k] = sum / n;
    this.sums.clear();
    return out;
  }
}

/** The engine the three trainers share: core Trainer, optimizer, metric log. */
abstract class PreferenceTrainerBase<B extends { padded: PaddedBatch[] }> {
  readonly model: PolicyModel;
  protected readonly base: PreferenceTrainerBaseOptions;
  protected readonly window = new MetricWindow();
  protected readonly batchSize: number;

  constructor(options: PreferenceTrainerBaseOptions) {
    if (!options || typeof options.model?.forward !== 'function') {
      throw new DpoError('dpo_invalid_argument', 'The trainer needs options.model: a causal LM (DecoderLM or a LoRA-wrapped one).');
    }
    checkPositiveInt('batchSize', options.batchSize);
    if (!(Number.isInteger(options.maxSteps) && options.maxSteps >= 0)) {
      throw new DpoError('dpo_invalid_argument', `maxSteps must be a non-negative integer, got ${options.maxSteps}.`);
    }
    this.model = options.model;
    this.base = options;
    this.batchSize = options.batchSize ?? 8;
  }

  protected abstract getBatch(index: number, rng: Rng): B;
  protected abstract lossOf(model: PolicyModel, batch: B): tf.Scalar;

  /**
   * Run the optimisation (core Trainer: accumulation, clipping, schedule, progress).
   * @throws {NonFiniteError} `non_finite` when the loss diverges.
   */
  async train(): Promise<PreferenceTrainResult> {
    const o = this.base;
    const trainable = this.model.trainableParameters();
    if (trainable.length === 0) throw new DpoError('dpo_invalid_argument', 'The policy has no trainable parameters; unfreeze it or add LoRA adapters.');
    const optimizer = o.optimizer ?? new AdamW(trainable, { lr: o.lr ?? 1e-6, weightDecay: o.weightDecay ?? 0 });
    const logs: PreferenceLogRecord[] = [];
    const trainer = new Trainer<B, PolicyModel>({
      model: this.model,
      optimizer,
      maxSteps: o.maxSteps,
      lossFn: (model, batch) => this.lossOf(model, batch),
      getBatch: (index, rng) => this.getBatch(index, rng),
      disposeBatch: (batch) => {
        for (const p of batch.padded) {
          p.inputIds.dispose();
          p.labelMask.dispose();
        }
      },
      schedule: o.schedule ?? (o.warmupSteps ? constantWithWarmup({ warmupSteps: o.warmupSteps }) : undefined),
      gradientAccumulationSteps: o.gradientAccumulationSteps,
      maxGradNorm: o.maxGradNorm,
      logInterval: o.logInterval ?? 10,
      seed: o.seed ?? 0,
      progress: o.progress ?? 'auto',
      callbacks: {
        onLog: (record) => {
          const row: PreferenceLogRecord = { ...record, ...this.window.flush() };
          logs.push(row);
          if (o.logFile) {
            mkdirSync(dirname(o.logFile), { recursive: true });
            appendFileSync(o.logFile, JSON.stringify(row) + '\n');
          }
          o.onLog?.(row);
        },
      },
    });
    const result = await trainer.train();
    return { ...result, logs };
  }
}

// ------------------------------------------------------------------------------------------------
// DPO (and every paired loss type)

/** Options of {@link DPOTrainer}. */
export interface DPOTrainerOptions extends PreferenceTrainerBaseOptions {
  /** Tokenized preference pairs (see tokenizePreference). */
  train: TokenizedPair[];
  /** TRL loss_type. Default 'sigmoid'. */
  lossType?: Exclude<PreferenceLossType, 'kto'>;
  labelSmoothing?: number;
  simpoGamma?: number;
  /**
   * The reference policy. Default: a frozen copy of a DecoderLM policy (copyReference). For a LoRA
   * policy pass adapterReference(...) to use the base weights without a copy. Ignored by the
   * reference-free simpo and orpo.
   */
  reference?: ReferenceModel;
  /** Compute every reference log-prob once before training (TRL's precompute_ref_log_probs). Default true. */
  precomputeReferenceLogps?: boolean;
  /** Cache the precomputed reference log-probs in this JSON file. */
  referenceCacheFile?: string;
}

interface PairBatch {
  padded: PaddedBatch[];
  n: number;
  refChosen?: number[];
  refRejected?: number[];
}

/**
 * Direct Preference Optimization and its paired variants (TRL DPOTrainer; loss types sigmoid, ipo,
 * hinge, robust, bco_pair, sppo_hard, aot, apo_zero, nca_pair, and the reference-free simpo / orpo).
 * Logs TRL's `rewards/chosen`, `rewards/rejected`, `rewards/accuracies`, `rewards/margins`,
 * `logps/chosen`, `logps/rejected`, `logits/chosen`, `logits/rejected`.
 * @throws {DpoError} `dpo_invalid_argument` for bad options or empty data.
 * @example
 * const trainer = new DPOTrainer({ model: policy, train: pairs, beta: 0.1, maxSteps: 100, lr: 1e-4, logFile: 'dpo.jsonl' });
 * await trainer.train();
 * trainer.evaluate(heldOut).rewardAccuracy;
 */
export class DPOTrainer extends PreferenceTrainerBase<PairBatch> {
  readonly options: DPOTrainerOptions;
  readonly lossType: Exclude<PreferenceLossType, 'kto'>;
  /** The reference (undefined for reference-free losses). */
  readonly reference?: ReferenceModel;
  private refLogps?: { chosen: number[]; rejected: number[] };
  private readonly ownsReference: boolean;

  constructor(options: DPOTrainerOptions) {
    super(options);
    this.options = options;
    this.lossType = options.lossType ?? 'sigmoid';
    const def = getPreferenceLoss(this.lossType);
    if (!def.paired) throw new DpoError('dpo_invalid_argument', `DPOTrainer: loss type "${this.lossType}" is unpaired; use KTOTrainer.`);
    resolveLossOptions(this.lossType, this.lossOptions());
    if (!Array.isArray(options.train) || options.train.length === 0) {
      throw new DpoError('dpo_invalid_argument', 'DPOTrainer: options.train must be a non-empty array of tokenized pairs (tokenizePreference).');
    }
    this.ownsReference = false;
    if (def.needsReference) {
      if (options.reference) this.reference = options.reference;
      else if (options.model instanceof DecoderLM) {
        this.reference = copyReference(options.model);
        this.ownsReference = true;
      } else {
        throw new DpoError('dpo_invalid_argument', 'DPOTrainer: pass options.reference (modelReference, copyReference or adapterReference) for a policy that is not a DecoderLM.');
      }
    }
  }

  protected lossOptions() {
    return { beta: this.options.beta ?? 0.1, labelSmoothing: this.options.labelSmoothing ?? 0, simpoGamma: this.options.simpoGamma ?? 0.5 };
  }

  /** Precompute (or load from the cache) the reference log-probs of the training pairs. */
  precomputeReference(): { chosen: number[]; rejected: number[] } {
    if (!this.reference) throw new DpoError('dpo_invalid_argument', `Loss "${this.lossType}" is reference-free; there is nothing to precompute.`);
    if (!this.refLogps) {
      const seqs: TokenizedSequence[] = this.options.train.flatMap((p) => [p.chosen, p.rejected]);
      const all = precomputeReferenceLogps(this.reference, seqs, {
        cacheFile: this.options.referenceCacheFile,
        batchSize: 2 * this.batchSize,
        progress: this.options.progress,
      });
      this.refLogps = { chosen: all.filter((_, i) => i % 2 === 0), rejected: all.filter((_, i) => i % 2 === 1) };
    }
    return this.refLogps;
  }

  override async train(): Promise<PreferenceTrainResult> {
    if (this.reference && (this.options.precomputeReferenceLogps ?? true)) this.precomputeReference();
    return super.train();
  }

  protected getBatch(_index: number, rng: Rng): PairBatch {
    const train = this.options.train;
    const picks = Array.from({ length: this.batchSize }, () => rng.randint(0, train.length));
    const seqs = [...picks.map((i) => train[i].chosen), ...picks.map((i) => train[i].rejected)];
    const padded = padSequences(seqs, this.options.padTokenId);
    const batch: PairBatch = { padded: [padded], n: picks.length };
    if (this.reference) {
      if (this.refLogps) {
        batch.refChosen = picks.map((i) => this.refLogps!.chosen[i]);
        batch.refRejected = picks.map((i) => this.refLogps!.rejected[i]);
      } else {
        const values = Array.from(this.reference.run((m) => referenceValues(m, padded)));
        batch.refChosen = values.slice(0, picks.length);
        batch.refRejected = values.slice(picks.length);
      }
    }
    return batch;
  }

  protected lossOf(model: PolicyModel, batch: PairBatch): tf.Scalar {
    const n = batch.n;
    const padded = batch.padded[0];
    const { logps, logitSums } = completionLogps(model, padded);
    const pc = tf.slice(logps, [0], [n]);
    const pr = tf.slice(logps, [n], [n]);
    const lengths = padded.lengths;
    const out = preferenceLoss(
      this.lossType,
      {
        policyChosenLogps: pc,
        policyRejectedLogps: pr,
        ...(batch.refChosen ? { referenceChosenLogps: tf.tensor1d(batch.refChosen), referenceRejectedLogps: tf.tensor1d(batch.refRejected!) } : {}),
        chosenLengths: tf.tensor1d(lengths.slice(0, n)),
        rejectedLengths: tf.tensor1d(lengths.slice(n)),
      },
      this.lossOptions(),
    );
    let loss = tf.mean(out.losses) as tf.Scalar;
    const metrics: Record<string, number> = {};
    if (this.lossType === 'orpo') {
      // TRL ORPO: loss = NLL of the chosen completions (mean over their tokens) - mean(β log σ(log odds))
      const nll = tf.div(tf.neg(tf.sum(pc)), lengths.slice(0, n).reduce((a, b) => a + b, 0)) as tf.Scalar;
      metrics.nll_loss = nll.dataSync()[0];
      loss = tf.add(loss, nll) as tf.Scalar;
    }
    Object.assign(metrics, pairMetrics(out.chosenRewards.dataSync(), out.rejectedRewards.dataSync(), pc.dataSync(), pr.dataSync(), logitSums.dataSync(), lengths, n));
    this.window.add(metrics);
    return loss;
  }

  /**
   * Loss and reward accuracy on held-out pairs (no gradients); rewards as the loss type defines them
   * (β · log-ratio to the reference, or β · average log-prob for simpo / orpo).
   * @example
   * const { rewardAccuracy } = trainer.evaluate(heldOutPairs);
   */
  evaluate(pairs: TokenizedPair[], options: { batchSize?: number } = {}): PreferenceEvalResult {
    if (!Array.isArray(pairs) || pairs.length === 0) throw new DpoError('dpo_invalid_argument', 'evaluate(pairs) needs a non-empty array of tokenized pairs.');
    const batchSize = options.batchSize ?? 2 * this.batchSize;
    const wasTraining = this.model.training;
    this.model.eval();
    try {
      const pc = sequenceLogpsArray(this.model, pairs.map((p) => p.chosen), { batchSize, padTokenId: this.options.padTokenId });
      const pr = sequenceLogpsArray(this.model, pairs.map((p) => p.rejected), { batchSize, padTokenId: this.options.padTokenId });
      const lengths = (s: TokenizedSequence) => s.completionMask.slice(1).reduce((a, b) => a + b, 0);
      const inputs = {
        policyChosenLogps: pc,
        policyRejectedLogps: pr,
        chosenLengths: pairs.map((p) => lengths(p.chosen)),
        rejectedLengths: pairs.map((p) => lengths(p.rejected)),
        ...(this.reference
          ? {
              referenceChosenLogps: this.reference.run((m) => sequenceLogpsArray(m, pairs.map((p) => p.chosen), { batchSize, padTokenId: this.options.padTokenId })),
              referenceRejectedLogps: this.reference.run((m) => sequenceLogpsArray(m, pairs.map((p) => p.rejected), { batchSize, padTokenId: this.options.padTokenId })),
            }
          : {}),
      };
      const out = preferenceLoss(this.lossType, inputs, this.lossOptions());
      return {
        loss: mean(out.losses),
        rewardAccuracy: mean(out.chosenRewards.map((c, i) => (c > out.rejectedRewards[i] ? 1 : 0))),
        rewardMargin: mean(out.chosenRewards.map((c, i) => c - out.rejectedRewards[i])),
        chosenReward: mean(out.chosenRewards),
        rejectedReward: mean(out.rejectedRewards),
      };
    } finally {
      this.model.train(wasTraining);
    }
  }

  /** Free the reference copy this trainer made (not a reference you passed in). */
  dispose(): void {
    if (this.ownsReference) this.reference?.dispose();
  }
}

/** Reference log-probs of a padded batch as numbers (no tensor kept). */
function referenceValues(model: CausalLM, padded: PaddedBatch): Float32Array {
  const logps = tf.tidy(() => completionLogps(model, padded).logps);
  const values = logps.dataSync() as Float32Array;
  logps.dispose();
  return values;
}

function pairMetrics(
  chosenRewards: ArrayLike<number>,
  rejectedRewards: ArrayLike<number>,
  pc: ArrayLike<number>,
  pr: ArrayLike<number>,
  logitSums: ArrayLike<number>,
  lengths: number[],
  n: number,
): Record<string, number> {
  const cr = Array.from(chosenRewards);
  const rr = Array.from(rejectedRewards);
  const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
  const ls = Array.from(logitSums);
  return {
    'rewards/chosen': mean(cr),
    'rewards/rejected': mean(rr),
    'rewards/accuracies': mean(cr.map((c, i) => (c > rr[i] ? 1 : 0))),
    'rewards/margins': mean(cr.map((c, i) => c - rr[i])),
    'logps/chosen': mean(pc),
    'logps/rejected': mean(pr),
    // TRL: mean logit over the vocabulary, averaged over every completion token of the batch
    'logits/chosen': sum(ls.slice(0, n)) / sum(lengths.slice(0, n)),
    'logits/rejected': sum(ls.slice(n)) / sum(lengths.slice(n)),
  };
}

/** Options of {@link ORPOTrainer}: DPOTrainer's without a reference. */
export type ORPOTrainerOptions = Omit<DPOTrainerOptions, 'lossType' | 'reference' | 'precomputeReferenceLogps' | 'referenceCacheFile' | 'labelSmoothing' | 'simpoGamma'>;

/**
 * Odds Ratio Preference Optimization (TRL ORPOTrainer): NLL on the chosen completions plus
 * β · −log σ(log odds ratio) on average log-probs; no reference model. β is ORPO's λ.
 * @example
 * await new ORPOTrainer({ model, train: pairs, beta: 0.1, maxSteps: 100, lr: 1e-4 }).train();
 */
export class ORPOTrainer extends DPOTrainer {
  constructor(options: ORPOTrainerOptions) {
    super({ ...options, lossType: 'orpo' });
  }
}

// ------------------------------------------------------------------------------------------------
// KTO

/** Options of {@link KTOTrainer}. */
export interface KTOTrainerOptions extends PreferenceTrainerBaseOptions {
  /** Tokenized unpaired examples (tokenizeKto). */
  train: TokenizedKtoExample[];
  /** Weight of desirable examples. Default 1. */
  desirableWeight?: number;
  /** Weight of undesirable examples. Default 1. */
  undesirableWeight?: number;
  /** Reference; default a frozen copy of a DecoderLM policy. Reference log-probs are computed per batch (the KL pairs change with the batch). */
  reference?: ReferenceModel;
}

interface KtoBatch {
  padded: PaddedBatch[];
  labels: boolean[];
  ref: number[];
  refKl: number[];
}

function joinSequence(promptIds: number[], completionIds: number[]): TokenizedSequence {
  return {
    inputIds: [...promptIds, ...completionIds],
    completionMask: [...promptIds.map(() => 0), ...completionIds.map(() => 1)],
    promptLength: promptIds.length,
  };
}

/**
 * Kahneman-Tversky Optimization on unpaired desirable / undesirable examples (TRL KTOTrainer,
 * loss_type "kto"): the KL baseline is estimated per batch from mismatched (prompt, completion)
 * pairs - prompt i with the completion of example i − 1 - as TRL's KL dataset does.
 * @example
 * await new KTOTrainer({ model, train: examples, beta: 0.1, maxSteps: 100, lr: 1e-4 }).train();
 */
export class KTOTrainer extends PreferenceTrainerBase<KtoBatch> {
  readonly options: KTOTrainerOptions;
  readonly reference: ReferenceModel;
  private readonly ownsReference: boolean;

  constructor(options: KTOTrainerOptions) {
    super(options);
    this.options = options;
    resolveLossOptions('kto', this.lossOptions());
    if (!Array.isArray(options.train) || options.train.length === 0) {
      throw new DpoError('dpo_invalid_argument', 'KTOTrainer: options.train must be a non-empty array of tokenized KTO examples (tokenizeKto).');
    }
    if (this.batchSize < 2) throw new DpoError('dpo_invalid_argument', 'KTOTrainer: batchSize must be at least 2 (the KL estimate pairs prompts with other examples\' completions).');
    if (options.reference) {
      this.reference = options.reference;
      this.ownsReference = false;
    } else if (options.model instanceof DecoderLM) {
      this.reference = copyReference(options.model);
      this.ownsReference = true;
    } else {
      throw new DpoError('dpo_invalid_argument', 'KTOTrainer: pass options.reference for a policy that is not a DecoderLM.');
    }
  }

  private lossOptions() {
    return { beta: this.options.beta ?? 0.1, desirableWeight: this.options.desirableWeight ?? 1, undesirableWeight: this.options.undesirableWeight ?? 1 };
  }

  protected getBatch(_index: number, rng: Rng): KtoBatch {
    const train = this.options.train;
    const picks = Array.from({ length: this.batchSize }, () => rng.randint(0, train.length));
    const examples = picks.map((i) => train[i]);
    const main = examples.map((e) => joinSequence(e.promptIds, e.completionIds));
    const kl = examples.map((e, i) => joinSequence(e.promptIds, examples[(i + examples.length - 1) % examples.length].completionIds));
    const padded = padSequences([...main, ...kl], this.options.padTokenId);
    const values = Array.from(this.reference.run((m) => referenceValues(m, padded)));
    return { padded: [padded], labels: examples.map((e) => e.label), ref: values.slice(0, main.length), refKl: values.slice(main.length) };
  }

  protected lossOf(model: PolicyModel, batch: KtoBatch): tf.Scalar {
    const n = batch.labels.length;
    const padded = batch.padded[0];
    const { logps, logitSums } = completionLogps(model, padded);
    const policy = tf.slice(logps, [0], [n]);
    const policyKl = tf.slice(logps, [n], [n]);
    const chosenIdx = batch.labels.flatMap((l, i) => (l ? [i] : []));
    const rejectedIdx = batch.labels.flatMap((l, i) => (l ? [] : [i]));
    // selection by one-hot matrices (differentiable without a gather gradient)
    const select = (idx: number[]) =>
      idx.length === 0 ? tf.zeros([0]) : tf.sum(tf.mul(tf.expandDims(policy, 0), tf.cast(tf.oneHot(tf.tensor1d(idx, 'int32'), n), 'float32')), 1);
    const out = preferenceLoss(
      'kto',
      {
        policyChosenLogps: select(chosenIdx),
        policyRejectedLogps: select(rejectedIdx),
        referenceChosenLogps: tf.tensor1d(chosenIdx.map((i) => batch.ref[i])),
        referenceRejectedLogps: tf.tensor1d(rejectedIdx.map((i) => batch.ref[i])),
        policyKlLogps: policyKl,
        referenceKlLogps: tf.tensor1d(batch.refKl),
      },
      this.lossOptions(),
    );
    const values = Array.from(policy.dataSync());
    const cr = Array.from(out.chosenRewards.dataSync());
    const rr = Array.from(out.rejectedRewards.dataSync());
    const ls = Array.from(logitSums.dataSync());
    const lengths = padded.lengths;
    const sumAt = (xs: number[], idx: number[]) => idx.reduce((a, i) => a + xs[i], 0);
    const metrics: Record<string, number> = { kl: out.kl ?? 0 };
    if (chosenIdx.length) {
      metrics['rewards/chosen'] = mean(cr);
      metrics['logps/chosen'] = mean(chosenIdx.map((i) => values[i]));
      metrics['logits/chosen'] = sumAt(ls, chosenIdx) / sumAt(lengths, chosenIdx);
    }
    if (rejectedIdx.length) {
      metrics['rewards/rejected'] = mean(rr);
      metrics['logps/rejected'] = mean(rejectedIdx.map((i) => values[i]));
      metrics['logits/rejected'] = sumAt(ls, rejectedIdx) / sumAt(lengths, rejectedIdx);
    }
    if (chosenIdx.length && rejectedIdx.length) metrics['rewards/margins'] = metrics['rewards/chosen'] - metrics['rewards/rejected'];
    this.window.add(metrics);
    return tf.mean(out.losses) as tf.Scalar;
  }

  /** Free the reference copy this trainer made (not a reference you passed in). */
  dispose(): void {
    if (this.ownsReference) this.reference.dispose();
  }
}
