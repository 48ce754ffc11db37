/**
 * Boolean attention masks (true = attend, the torch `scaled_dot_product_attention`
 * convention): causal / sliding-window masks, Hugging Face padding masks, and
 * their combination.
 */
import { tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';

/** Options of {@link causalMask}. */
export interface CausalMaskOptions {
  /**
   * Absolute position of query row 0. Default `tk - tq` (bottom-right aligned:
   * the last query is the last key, as in cached decoding). `0` gives torch's
   * `is_causal` (top-left aligned `tril(ones(tq, tk))`).
   */
  offset?: number;
  /**
   * Sliding window `w` (Hugging Face / Mistral `sliding_window`): query at
   * absolute position `p` attends only to keys `j` with `p - w < j <= p`.
   */
  window?: number;
}

function checkCount(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 0) {
    throw new InvalidArgumentError(`${what} must be a non-negative integer, got ${String(value)}.`);
  }
}

/**
 * Causal (optionally sliding-window) boolean mask `[tq, tk]`. Query row `i`
 * sits at absolute position `offset + i` and attends to key `j` when
 * `j <= offset + i` and, with a window `w`, `j > offset + i - w`.
 *
 * @param tq number of queries
 * @param tk number of keys
 * @param options `offset` (default `tk - tq`, bottom-right) and `window`
 * @returns bool [tq, tk], true = attend
 * @throws {InvalidArgumentError} `invalid_argument` for non-integer sizes, a non-integer offset or a window < 1.
 * @example
 * causalMask(2, 4).arraySync();               // [[1,1,1,0],[1,1,1,1]] (as booleans)
 * causalMask(3, 3, { window: 2 }).arraySync(); // [[1,0,0],[1,1,0],[0,1,1]]
 * causalMask(2, 4, { offset: 0 });             // torch is_causal: [[1,0,0,0],[1,1,0,0]]
 */
export function causalMask(tq: number, tk: number, options: CausalMaskOptions = {}): tf.Tensor2D {
  checkCount(tq, 'causalMask(tq)');
  checkCount(tk, 'causalMask(tk)');
  const offset = options.offset ?? tk - tq;
  if (!Number.isInteger(offset)) {
    throw new InvalidArgumentError(`causalMask: options.offset must be an integer (absolute position of query 0), got ${String(offset)}.`);
  }
  const window = options.window;
  if (window !== undefined && (!Number.isInteger(window) || window < 1)) {
    throw new InvalidArgumentError(`causalMask: options.window must be a positive integer (sliding window size), got ${String(window)}.`);
  }
  const data = new Uint8Array(tq * tk);
  for (let i = 0; i < tq; i++) {
    const pos = offset + i;
    const lo = window === undefined ? 0 : Math.max(0, pos - window + 1);
    const hi = Math.min(tk - 1, pos);
    for (let j = lo; j <= hi; j++) data[i * tk + j] = 1;
  }
  return tf.tensor2d(data, [tq, tk], 'bool');
}

/**
 * Hugging Face `attention_mask` `[B, Tk]` (1 = keep, 0 = padding) to a boolean
 * key mask `[B, 1, 1, Tk]` that broadcasts over heads and queries.
 *
 * @param attentionMask [B, Tk] of 0/1 (tensor of any dtype, or nested arrays)
 * @returns bool [B, 1, 1, Tk], true where the key is kept
 * @throws {InvalidArgumentError} `invalid_argument` for ragged arrays or values other than 0 and 1.
 * @throws {ShapeMismatchError} `shape_mismatch` when the tensor is not 2-D.
 * @example
 * paddingMask([[0, 1, 1], [1, 1, 1]]); // [[[[false, true, true]]], [[[true, true, true]]]]
 */
export function paddingMask(attentionMask: tf.Tensor2D | number[][]): tf.Tensor4D {
  if (attentionMask instanceof tf.Tensor) {
    if (attentionMask.rank !== 2) {
      throw new ShapeMismatchError(
        `paddingMask(attentionMask) must be [batch, keyLength], got shape [${attentionMask.shape}]; add a batch dim with expandDims(0).`,
      );
    }
    const [b, tk] = attentionMask.shape;
    if (attentionMask.dtype === 'bool') return tf.reshape(attentionMask, [b, 1, 1, tk]) as tf.Tensor4D;
    const backend = tf.getBackend();
    if (backend !== 'webgl' && backend !== 'webgpu') {
      const values = attentionMask.dataSync();
      for (let i = 0; i < values.length; i++) {
        const v = values[i];
        if (v !== 0 && v !== 1) {
          throw new InvalidArgumentError(
            `paddingMask(attentionMask): values must be 0 (padding) or 1 (keep), got ${v} at flat index ${i}.`,
          );
        }
      }
    }
    return tf.tidy(() => tf.reshape(tf.notEqual(attentionMask, tf.scalar(0, attentionMask.dtype)), [b, 1, 1, tk]) as tf.Tensor4D);
  }
  if (!Array.isArray(attentionMask) || attentionMask.length === 0 || !attentionMask.every((row) => Array.isArray(row))) {
    throw new InvalidArgumentError('paddingMask(attentionMask) must be a 2-D tensor or a non-empty number[][] of 0/1, one row per batch item.');
  }
  const b = attentionMask.length;
  const tk = attentionMask[0].length;
  const data = new Uint8Array(b * tk);
  attentionMask.forEach((row, r) => {
    if (row.length !== tk) {
      throw new InvalidArgumentError(`paddingMask(attentionMask): row ${r} has ${row.length} entries but row 0 has ${tk}; pad rows to one length.`);
    }
    row.forEach((v, j) => {
      if (v !== 0 && v !== 1) {
        throw new InvalidArgumentError(`paddingMask(attentionMask): values must be 0 (padding) or 1 (keep), got ${String(v)} at [${r}][${j}].`);
      }
      data[r * tk + j] = v;
    });
  });
  return tf.tensor4d(data, [b, 1, 1, tk], 'bool');
}

/**
 * Logical AND of boolean masks with numpy broadcasting (e.g. a causal `[tq, tk]`
 * and a padding `[B, 1, 1, tk]` give `[B, 1, tq, tk]`). `undefined` entries are
 * skipped. Always returns a new tensor (a clone when only one mask is given).
 *
 * @param masks bool tensors, true = attend
 * @returns the combined bool mask, or `undefined` when no mask is given
 * @throws {InvalidArgumentError} `invalid_argument` for a non-bool mask (add float masks instead).
 * @throws {ShapeMismatchError} `shape_mismatch` when the shapes do not broadcast.
 * @example
 * const mask = combineMasks(causalMask(3, 3), paddingMask([[0, 1, 1]])); // [1, 1, 3, 3]
 */
export function combineMasks(...masks: Array<tf.Tensor | undefined>): tf.Tensor | undefined {
  const present: tf.Tensor[] = [];
  masks.forEach((m, i) => {
    if (m === undefined) return;
    if (!(m instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`combineMasks(masks[${i}]) must be a bool tf.Tensor or undefined, got ${m === null ? 'null' : typeof m}.`);
    }
    if (m.dtype !== 'bool') {
      throw new InvalidArgumentError(
        `combineMasks(masks[${i}]) must be a bool mask (true = attend), got dtype ${m.dtype}; ` +
          `convert with tf.cast(mask, 'bool') or add float additive masks with tf.add instead.`,
      );
    }
    present.push(m);
  });
  if (present.length === 0) return undefined;
  let shape = present[0].shape;
  for (let i = 1; i < present.length; i++) shape = broadcastShapes(shape, present[i].shape, 'combineMasks');
  if (present.length === 1) return tf.clone(present[0]);
  return tf.tidy(() => present.slice(1).reduce((acc, m) => tf.logicalAnd(acc, m), present[0]));
}

/** numpy broadcast of two shapes; throws ShapeMismatchError naming `what`. @internal */
export function broadcastShapes(a: readonly number[], b: readonly number[], what: string): number[] {
  const rank = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < rank; i++) {
    const da = a[a.length - rank + i] ?? 1;
    const db = b[b.length - rank + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) {
      throw new ShapeMismatchError(`${what}: shapes [${a}] and [${b}] do not broadcast (dim ${i}: ${da} vs ${db}).`);
    }
    out.push(da === 1 ? db : da);
  }
  return out;
}
