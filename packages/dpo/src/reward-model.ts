/**
 * A reward model: a decoder trunk from @llmkit/model with a scalar `score` head on the last token
 * (transformers' `XForSequenceClassification` with num_labels = 1), trained with TRL
 * RewardTrainer's Bradley-Terry loss −log σ(r_chosen − r_rejected − margin) + c · mean((r_c + r_r)²).
 */
import { appendFileSync, mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { AdamW, Linear, Module, Trainer, createRng, tf, type Rng, type TrainLogRecord } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { DpoError } from './errors.js';
import type { TokenizedPair, TokenizedSequence } from './data.js';

interface Trunk extends Module {
  forward(inputIds: tf.Tensor2D): tf.Tensor3D;
}

/** A right-padded batch with the index of each sequence's last real token. */
interface ScoreBatch {
  inputIds: tf.Tensor2D;
  /** [B, T] one-hot of the last real token. */
  last: tf.Tensor2D;
}

function scoreBatch(sequences: number[][], padTokenId: number): ScoreBatch {
  const t = Math.max(...sequences.map((s) => s.length));
  const ids = new Int32Array(sequences.length * t).fill(padTokenId);
  const last = new Float32Array(sequences.length * t);
  sequences.forEach((s, b) => {
    if (s.length === 0) throw new DpoError('dpo_invalid_argument', `RewardModel: sequence ${b} is empty.`);
    ids.set(s, b * t);
    last[b * t + s.length - 1] = 1;
  });
  return { inputIds: tf.tensor2d(ids, [sequences.length, t], 'int32'), last: tf.tensor2d(last, [sequences.length, t]) };
}

/**
 * A decoder with a scalar reward head on the last token. Parameter names follow transformers'
 * sequence-classification models (`model.…` trunk, `score.weight`). The LM head of the decoder is
 * not used and is frozen.
 * @example
 * const rm = RewardModel.fromDecoder(await DecoderLM.fromPretrained(dir));
 * await trainRewardModel(rm, { train: pairs, maxSteps: 50, lr: 5e-4 });
 * rm.accuracy(heldOut);
 */
export class RewardModel extends Module {
  /** The decoder whose trunk computes hidden states. */
  readonly decoder: DecoderLM;
  /** The scalar head [hidden] -> [1], no bias. */
  score: Linear;
  private readonly _trunk: Trunk;
  /** Padding token id used for batches. */
  padTokenId: number;

  private constructor(decoder: DecoderLM, score: Linear, padTokenId: number) {
    super();
    this.decoder = decoder;
    this.score = score;
    this.padTokenId = padTokenId;
    const children = decoder.namedChildren();
    const trunk = children.find(([name]) => name !== 'lm_head');
    if (!trunk || typeof (trunk[1] as Trunk).forward !== 'function') {
      throw new DpoError('dpo_invalid_argument', `RewardModel: cannot find the decoder trunk among ${children.map(([n]) => n).join(', ')}.`);
    }
    this._trunk = trunk[1] as Trunk;
    const head = children.find(([name]) => name === 'lm_head');
    if (head) for (const p of head[1].parameters()) if (!this._trunk.parameters().includes(p)) p.trainable = false;
  }

  /**
   * Add a reward head to a decoder (the decoder's trunk weights are shared, not copied).
   * @param options.rng RNG of the head's normal(0, initializer_range) initialisation (default seed 0)
   * @example
   * const rm = RewardModel.fromDecoder(lm, { rng: createRng(1) });
   */
  static fromDecoder(decoder: DecoderLM, options: { rng?: Rng; padTokenId?: number } = {}): RewardModel {
    if (!(decoder instanceof DecoderLM)) throw new DpoError('dpo_invalid_argument', 'RewardModel.fromDecoder(decoder) needs a @llmkit/model DecoderLM.');
    const hidden = decoder.config.hiddenSize;
    const std = typeof decoder.config.hf.initializer_range === 'number' ? decoder.config.hf.initializer_range : 0.02;
    const head = new Linear(hidden, 1, { bias: false });
    const rng = options.rng ?? createRng(0);
    tf.tidy(() => head.weight.assign(tf.tensor(rng.normal(head.weight.size, 0, std), head.weight.shape, 'float32')));
    return new RewardModel(decoder, head, options.padTokenId ?? decoder.config.padTokenId ?? 0);
  }

  override namedChildren(): Array<[string, Module]> {
    return [...this.decoder.namedChildren().filter(([name]) => name !== 'lm_head'), ['score', this.score]];
  }

  /**
   * Rewards of a padded batch.
   * @param inputIds [B, T] int32
   * @param last [B, T] one-hot of each row's last real token
   * @returns [B]
   */
  forward(inputIds: tf.Tensor2D, last: tf.Tensor2D): tf.Tensor1D {
    return tf.tidy(() => {
      const hidden = this._trunk.forward(inputIds); // [B, T, H]
      const pooled = tf.sum(tf.mul(hidden, tf.expandDims(last, -1)), 1); // [B, H]
      return tf.reshape(this.score.forward(pooled), [-1]) as tf.Tensor1D;
    });
  }

  /**
   * Rewards of token sequences (no gradients), in mini-batches.
   * @example
   * rm.scoreIds([[1, 2, 3], [1, 2]]); // [r0, r1]
   */
  scoreIds(sequences: number[][], options: { batchSize?: number } = {}): number[] {
    const size = options.batchSize ?? 32;
    const out: number[] = [];
    for (let i = 0; i < sequences.length; i += size) {
      const batch = scoreBatch(sequences.slice(i, i + size), this.padTokenId);
      const rewards = this.forward(batch.inputIds, batch.last);
      out.push(...Array.from(rewards.dataSync()));
      rewards.dispose();
      batch.inputIds.dispose();
      batch.last.dispose();
    }
    return out;
  }

  /** Reward of a prompt + completion text under a tokenizer. */
  scoreText(tokenizer: { encode(text: string): ArrayLike<number> }, prompt: string, completion: string): number {
    return this.scoreIds([Array.from(tokenizer.encode(prompt + completion))])[0];
  }

  /**
   * Fraction of pairs whose chosen sequence gets the higher reward (TRL's reward accuracy).
   * @example
   * rm.accuracy(heldOutPairs); // 0.93
   */
  accuracy(pairs: TokenizedPair[]): number {
    if (pairs.length === 0) throw new DpoError('dpo_invalid_argument', 'RewardModel.accuracy(pairs) needs at least one pair.');
    const c = this.scoreIds(pairs.map((p) => p.chosen.inputIds));
    const r = this.scoreIds(pairs.map((p) => p.rejected.inputIds));
    return c.filter((x, i) => x > r[i]).length / pairs.length;
  }
}

/** Options of {@link trainRewardModel}. */
export interface RewardTrainingOptions {
  train: TokenizedPair[];
  maxSteps: number;
  /** Pairs per step. Default 8. */
  batchSize?: number;
  /** AdamW learning rate. Default 1e-4. */
  lr?: number;
  weightDecay?: number;
  /** Per-pair margins (TRL's "margin" column); same length as train. */
  margins?: number[];
  /** TRL's center_rewards_coefficient: adds c · mean((r_c + r_r)²). */
  centerRewardsCoefficient?: number;
  maxGradNorm?: number;
  seed?: number;
  logFile?: string;
  logInterval?: number;
  progress?: boolean | 'auto';
}

/** One logged record of reward training. */
export interface RewardLogRecord extends TrainLogRecord {
  accuracy?: number;
  margin?: number;
}

/**
 * Bradley-Terry loss of chosen / rejected rewards, as TRL RewardTrainer.compute_loss.
 * @example
 * rewardLoss(tf.tensor1d([1.2]), tf.tensor1d([0.3])); // −log σ(0.9)
 */
export function rewardLoss(chosen: tf.Tensor1D, rejected: tf.Tensor1D, options: { margins?: tf.Tensor1D; centerRewardsCoefficient?: number } = {}): tf.Scalar {
  return tf.tidy(() => {
    let d = tf.sub(chosen, rejected);
    if (options.margins) d = tf.sub(d, options.margins);
    let loss = tf.mean(tf.softplus(tf.neg(d))) as tf.Scalar; // −log σ(d)
    if (options.centerRewardsCoefficient) loss = tf.add(loss, tf.mul(options.centerRewardsCoefficient, tf.mean(tf.square(tf.add(chosen, rejected))))) as tf.Scalar;
    return loss;
  });
}

/**
 * Train a reward model on preference pairs with the Bradley-Terry loss (core Trainer, AdamW).
 * @throws {DpoError} `dpo_invalid_argument` for empty data or mismatched margins.
 * @example
 * await trainRewardModel(rm, { train: pairs, maxSteps: 60, lr: 5e-4, logFile: 'rm.jsonl' });
 */
export async function trainRewardModel(model: RewardModel, options: RewardTrainingOptions): Promise<RewardLogRecord[]> {
  const train = options.train;
  if (!Array.isArray(train) || train.length === 0) throw new DpoError('dpo_invalid_argument', 'trainRewardModel: options.train must be a non-empty array of tokenized pairs.');
  if (options.margins && options.margins.length !== train.length) {
    throw new DpoError('dpo_invalid_argument', `trainRewardModel: margins has ${options.margins.length} entries but train has ${train.length}; give one margin per pair.`);
  }
  const batchSize = options.batchSize ?? 8;
  const logs: RewardLogRecord[] = [];
  let window: { acc: number; margin: number; n: number } = { acc: 0, margin: 0, n: 0 };
  type Batch = { batch: ScoreBatch; n: number; margins?: number[] };
  const trainer = new Trainer<Batch, RewardModel>({
    model,
    optimizer: new AdamW(model.trainableParameters(), { lr: options.lr ?? 1e-4, weightDecay: options.weightDecay ?? 0 }),
    maxSteps: options.maxSteps,
    maxGradNorm: options.maxGradNorm,
    seed: options.seed ?? 0,
    logInterval: options.logInterval ?? 10,
    progress: options.progress ?? 'auto',
    getBatch: (_i, rng) => {
      const picks = Array.from({ length: batchSize }, () => rng.randint(0, train.length));
      const seqs: TokenizedSequence[] = [...picks.map((i) => train[i].chosen), ...picks.map((i) => train[i].rejected)];
      return { batch: scoreBatch(seqs.map((s) => s.inputIds), model.padTokenId), n: picks.length, margins: options.margins ? picks.map((i) => options.margins![i]) : undefined };
    },
    disposeBatch: (b) => {
      b.batch.inputIds.dispose();
      b.batch.last.dispose();
    },
    lossFn: (m, b) => {
      const rewards = m.forward(b.batch.inputIds, b.batch.last);
      const c = tf.slice(rewards, [0], [b.n]);
      const r = tf.slice(rewards, [b.n], [b.n]);
      const cv = c.dataSync();
      const rv = r.dataSync();
      for (let i = 0; i < b.n; i++) {
        window.acc += cv[i] > rv[i] ? 1 : 0;
        window.margin += cv[i] - rv[i];
        window.n++;
      }
      return rewardLoss(c, r, { margins: b.margins ? tf.tensor1d(b.margins) : undefined, centerRewardsCoefficient: options.centerRewardsCoefficient });
    },
    callbacks: {
      onLog: (record) => {
        const row: RewardLogRecord = { ...record, accuracy: window.acc / window.n, margin: window.margin / window.n };
        window = { acc: 0, margin: 0, n: 0 };
        logs.push(row);
        if (options.logFile) {
          mkdirSync(dirname(options.logFile), { recursive: true });
          appendFileSync(options.logFile, JSON.stringify(row) + '\n');
        }
      },
    },
  });
  await trainer.train();
  model.eval();
  return logs;
}
