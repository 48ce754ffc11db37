/**
 * Per-sequence completion log-probs of a causal LM: right-padded batches, one forward pass, the
 * log-softmax of each next-token prediction, summed over the completion mask (TRL's
 * `selective_log_softmax` then `sum(dim=1)`).
 */
import { tf } from '@llmkit/core';
import { DpoError } from './errors.js';
import type { TokenizedSequence } from './data.js';

/** A causal LM: token ids [B, T] -> logits [B, T, V]. `DecoderLM` and LoRA-wrapped DecoderLMs are. */
export interface CausalLM {
  forward(inputIds: tf.Tensor2D, options?: { attentionMask?: tf.Tensor2D }): tf.Tensor3D;
}

/** A right-padded batch of sequences. */
export interface PaddedBatch {
  /** [B, T] int32 (padding: `padTokenId`). */
  inputIds: tf.Tensor2D;
  /** [B, T - 1] float32: 1 where the label inputIds[:, 1:] is a completion token. */
  labelMask: tf.Tensor2D;
  /** Completion tokens per sequence. */
  lengths: number[];
}

/**
 * Right-pad sequences into one batch. Right padding needs no attention mask with a causal model:
 * the padded positions come after every real one and are masked out of the sums.
 * @throws {DpoError} `dpo_invalid_argument` for an empty list or a sequence without completion tokens.
 */
export function padSequences(sequences: TokenizedSequence[], padTokenId = 0): PaddedBatch {
  if (sequences.length === 0) throw new DpoError('dpo_invalid_argument', 'padSequences: no sequences.');
  const t = Math.max(...sequences.map((s) => s.inputIds.length));
  if (t < 2) throw new DpoError('dpo_invalid_argument', 'padSequences: sequences need a prompt token and at least one completion token.');
  const ids = new Int32Array(sequences.length * t).fill(padTokenId);
  const mask = new Float32Array(sequences.length * (t - 1));
  const lengths: number[] = [];
  sequences.forEach((s, b) => {
    if (s.completionMask[0] === 1) {
      throw new DpoError('dpo_invalid_argument', `padSequences: sequence ${b} starts with a completion token; its first token has no context (add a prompt or BOS).`);
    }
    ids.set(s.inputIds, b * t);
    let n = 0;
    for (let i = 1; i < s.inputIds.length; i++) {
      if (s.completionMask[i]) {
        mask[b * (t - 1) + i - 1] = 1;
        n++;
      }
    }
    if (n === 0) throw new DpoError('dpo_invalid_argument', `padSequences: sequence ${b} has no completion tokens.`);
    lengths.push(n);
  });
  return { inputIds: tf.tensor2d(ids, [sequences.length, t], 'int32'), labelMask: tf.tensor2d(mask, [sequences.length, t - 1]), lengths };
}

/** Result of {@link completionLogps}. */
export interface CompletionLogps {
  /** [B] sum of log p(token) over each completion. */
  logps: tf.Tensor1D;
  /** [B] sum over completion positions of the mean logit over the vocabulary (TRL's `logits/chosen` numerator). */
  logitSums: tf.Tensor1D;
  /** [B] sum over completion positions of −log p (the NLL numerator). */
  nll: tf.Tensor1D;
}

/**
 * Completion log-probs of a padded batch under `model` (differentiable when called under a gradient tape).
 * @param model a causal LM
 * @param batch from {@link padSequences}
 * @example
 * const batch = padSequences([pair.chosen, pair.rejected]);
 * const { logps } = completionLogps(model, batch); // [2]
 */
export function completionLogps(model: CausalLM, batch: PaddedBatch): CompletionLogps {
  return tf.tidy(() => {
    const [b, t] = batch.inputIds.shape;
    const logits = model.forward(batch.inputIds);
    const v = logits.shape[2];
    const shifted = tf.slice(logits, [0, 0, 0], [b, t - 1, v]);
    const logp = tf.logSoftmax(shifted);
    const labels = tf.slice(batch.inputIds, [0, 1], [b, t - 1]);
    // one-hot product instead of gather: differentiable on every backend (cast: the wasm oneHot kernel ignores its dtype argument)
    const picked = tf.sum(tf.mul(logp, tf.cast(tf.oneHot(labels, v), 'float32')), -1);
    const masked = tf.mul(picked, batch.labelMask);
    const logps = tf.sum(masked, -1) as tf.Tensor1D;
    const logitSums = tf.sum(tf.mul(tf.mean(shifted, -1), batch.labelMask), -1) as tf.Tensor1D;
    return { logps, logitSums, nll: tf.neg(logps) as tf.Tensor1D };
  });
}

/**
 * Completion log-probs as numbers, without gradients, in mini-batches.
 * @example
 * const logps = sequenceLogpsArray(model, pairs.map((p) => p.chosen), { batchSize: 16 });
 */
export function sequenceLogpsArray(model: CausalLM, sequences: TokenizedSequence[], options: { batchSize?: number; padTokenId?: number } = {}): number[] {
  const size = options.batchSize ?? 16;
  const out: number[] = [];
  for (let i = 0; i < sequences.length; i += size) {
    const batch = padSequences(sequences.slice(i, i + size), options.padTokenId);
    const logps = tf.tidy(() => completionLogps(model, batch).logps);
    out.push(...Array.from(logps.dataSync()));
    logps.dispose();
    batch.inputIds.dispose();
    batch.labelMask.dispose();
  }
  return out;
}
