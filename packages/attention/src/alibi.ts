/**
 * ALiBi (Press et al., "Train Short, Test Long", 2022): a per-head linear bias
 * on the attention scores instead of position embeddings. Slopes follow
 * Hugging Face `build_alibi_tensor` (BLOOM), including head counts that are not
 * a power of two.
 */
import { tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';

function checkPositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(value)}.`);
  }
}

/**
 * ALiBi slopes, one per head, exactly as transformers' BLOOM `build_alibi_tensor`:
 * with `n = 2^floor(log2 nHeads)`, head `h < n` gets `2^(-8 (h + 1) / n)`; the
 * remaining `nHeads - n` heads take the odd powers `1, 3, 5, ...` of
 * `2^(-8 / (2n))` (the interleaved slopes of a `2n`-head model).
 *
 * @param nHeads number of attention heads (>= 1)
 * @returns Float32Array of length nHeads
 * @throws {InvalidArgumentError} `invalid_argument` when nHeads is not a positive integer.
 * @example
 * alibiSlopes(8); // [1/2, 1/4, 1/8, ..., 1/256]
 * alibiSlopes(6); // [2^-2, 2^-4, 2^-6, 2^-8, 2^-1, 2^-3]
 */
export function alibiSlopes(nHeads: number): Float32Array {
  checkPositiveInt(nHeads, 'alibiSlopes(nHeads)');
  const closest = 2 ** Math.floor(Math.log2(nHeads));
  const slopes = new Float32Array(nHeads);
  // base = 2^(-(2^-(log2(n) - 3))) = 2^(-8/n)
  const base = 2 ** -(2 ** -(Math.log2(closest) - 3));
  for (let i = 0; i < closest; i++) slopes[i] = base ** (i + 1);
  if (closest !== nHeads) {
    const extraBase = 2 ** -(2 ** -(Math.log2(2 * closest) - 3));
    const remaining = Math.min(closest, nHeads - closest);
    for (let i = 0; i < remaining; i++) slopes[closest + i] = extraBase ** (2 * i + 1);
  }
  return slopes;
}

/** Options of {@link alibiBias}. */
export interface AlibiBiasOptions {
  /** Absolute position of query row 0. Default `tk - tq` (bottom-right: the last query is the last key, as in cached decoding). */
  offset?: number;
}

/**
 * Additive ALiBi bias `[H, tq, tk]`: `bias[h, i, j] = slope_h * (j - (offset + i))`,
 * i.e. minus the slope times the distance from query `i` (at absolute position
 * `offset + i`) back to key `j`. Add it to the attention scores (e.g. as a float
 * `mask` of scaledDotProductAttention after `expandDims(0)`) together with a
 * causal mask; entries for future keys are positive and must be masked.
 *
 * BLOOM adds `slope * j` instead, which differs from this by `slope * (offset + i)`,
 * a constant per query row, so the softmax (and the attention output) is identical.
 *
 * @param nHeads number of heads (slopes from {@link alibiSlopes})
 * @param tq number of queries
 * @param tk number of keys
 * @param options `offset` (default `tk - tq`)
 * @returns float32 [nHeads, tq, tk]
 * @throws {InvalidArgumentError} `invalid_argument` for non-integer sizes or offset.
 * @example
 * alibiBias(1, 2, 2).arraySync(); // slope 1/256: [[[0, 1/256], [-1/256, 0]]]
 * const bias = alibiBias(8, 1, 10); // decoding one token after 9 cached ones
 */
export function alibiBias(nHeads: number, tq: number, tk: number, options: AlibiBiasOptions = {}): tf.Tensor3D {
  checkPositiveInt(nHeads, 'alibiBias(nHeads)');
  if (!Number.isInteger(tq) || tq < 0) throw new InvalidArgumentError(`alibiBias(tq) must be a non-negative integer, got ${String(tq)}.`);
  if (!Number.isInteger(tk) || tk < 0) throw new InvalidArgumentError(`alibiBias(tk) must be a non-negative integer, got ${String(tk)}.`);
  const offset = options.offset ?? tk - tq;
  if (!Number.isInteger(offset)) {
    throw new InvalidArgumentError(`alibiBias: options.offset must be an integer (absolute position of query 0), got ${String(offset)}.`);
  }
  const slopes = alibiSlopes(nHeads);
  const data = new Float32Array(nHeads * tq * tk);
  for (let h = 0; h < nHeads; h++) {
    for (let i = 0; i < tq; i++) {
      const row = (h * tq + i) * tk;
      const pos = offset + i;
      for (let j = 0; j < tk; j++) data[row + j] = slopes[h] * (j - pos);
    }
  }
  return tf.tensor3d(data, [nHeads, tq, tk], 'float32');
}
