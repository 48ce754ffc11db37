/**
 * LLM.int8() (Dettmers et al., 2022): vector-wise int8 matrix multiplication with a
 * mixed-precision decomposition for outlier features, with bitsandbytes' semantics
 * (`MatMul8bitLt` / `int8_vectorwise_quant` / `int8_mixed_scaled_mm`, backends/default/ops.py).
 *
 * For `y = x Wᵀ` with `x` [n, k] and `W` [m, k] (PyTorch Linear layout):
 *  1. Outliers: elements with `|x_ij| >= threshold` (default 6.0); their columns `O` (feature
 *     dimensions) are "outlier columns". `threshold = 0` disables the decomposition.
 *  2. Row-wise absmax of x over the non-outlier elements (bitsandbytes zeroes outliers before
 *     taking the max): `sx_i`; codes `qx_ij = roundHalfEven(f32(x_ij * f32(127 / sx_i)))`,
 *     forced to 0 in outlier columns.
 *  3. Row-wise absmax of W (one scale per output feature, bitsandbytes' `SCB`): `sw_l`, codes
 *     `qw_lj` the same way (threshold 0).
 *  4. int8 × int8 products accumulated exactly in int32: `acc_il = Σ_j qx_ij qw_lj`; dequantized
 *     `f32(f32(acc_il * f32(sx_i * sw_l)) * f32(1 / 127²))`.
 *  5. Outlier columns in floating point: `Σ_{j∈O} x_ij W_lj` with the original weights
 *     (`outlierWeights: 'original'`, the paper's fp16 path) or with the dequantized int8 weights
 *     (`'dequantized'`, what bitsandbytes does once weights are stored in int8, and what
 *     {@link Int8Linear} does), accumulated in float64.
 *  6. `y_il = f32(int8 part + outlier part)` (+ bias).
 *
 * Error bound (see {@link llmInt8ErrorBound}): with steps `hx_i = sx_i / 127`,
 * `hw_l = sw_l / 127` and `δ = 1/2 + 2^-15` (round to nearest plus float32 slack),
 * `|x_ij - x̂_ij| <= δ hx_i` and `|W_lj - Ŵ_lj| <= δ hw_l`, so
 *
 *   |y_il - ŷ_il| <= δ hx_i Σ_{j∉O} |W_lj| + δ hw_l Σ_{j∉O} (|x_ij| + δ hx_i)
 *                    [+ δ hw_l Σ_{j∈O} |x_ij|   for 'dequantized' outlier weights]
 *                    + 2^-21 Σ_j (|x_ij| + δ hx_i)(|W_lj| + δ hw_l) + 2^-24 |b_l|
 *
 * (the last terms cover the few float32 roundings). Outlier columns with original weights
 * contribute no quantization error at all.
 */
import { tf, type Linear } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { checkPositiveInt, f32, roundHalfEven, toFiniteFloat32 } from './tensor/util.js';

/**
 * Largest inner dimension k for which int32 accumulation of k int8 products cannot overflow:
 * floor((2^31 - 1) / 127²) = 133144.
 * @example
 * if (k > LLM_INT8_MAX_INNER_DIM) splitAlongK();
 */
export const LLM_INT8_MAX_INNER_DIM = Math.floor(2147483647 / (127 * 127));

const INV_127_SQ = Math.fround(1 / (127 * 127));
const INV_127 = Math.fround(1 / 127);

/** Result of {@link int8VectorwiseQuantize}. */
export interface Int8VectorwiseQuantized {
  /** int8 codes [rows, cols], zero in outlier columns. */
  q: Int8Array;
  /** float32 absmax per row over the non-outlier elements (bitsandbytes' `row_stats`). */
  rowAbsmax: Float32Array;
  /** Sorted indices of the outlier columns (empty when `threshold` is 0 or nothing exceeds it). */
  outlierColumns: Int32Array;
}

function check2d(shape: unknown, what: string): [number, number] {
  if (!Array.isArray(shape) || shape.length !== 2) {
    throw new InvalidArgumentError(`${what} must be a 2-D shape [rows, cols], got ${JSON.stringify(shape)}.`);
  }
  checkPositiveInt(shape[0], `${what}[0]`);
  checkPositiveInt(shape[1], `${what}[1]`);
  return [shape[0], shape[1]];
}

function checkThreshold(t: unknown, what: string): number {
  if (typeof t !== 'number' || !Number.isFinite(t) || t < 0) {
    throw new InvalidArgumentError(`${what} must be a finite number >= 0 (0 disables outlier decomposition), got ${String(t)}.`);
  }
  return t;
}

/**
 * bitsandbytes' `int8_vectorwise_quant`: row-wise absmax int8 quantization with outlier
 * columns (any element `|x| >= threshold`) excluded from the scale and zeroed in the codes.
 *
 * @param values row-major [rows, cols] float32
 * @param shape `[rows, cols]`
 * @param threshold outlier threshold (0 = none)
 * @throws {InvalidArgumentError} `invalid_argument` for a bad shape, threshold or non-finite values.
 * @throws {ShapeMismatchError} `shape_mismatch` when `values.length !== rows * cols`.
 * @example
 * const { q, rowAbsmax, outlierColumns } = int8VectorwiseQuantize(x, [4, 16], 6);
 */
export function int8VectorwiseQuantize(
  values: Float32Array | readonly number[],
  shape: readonly [number, number],
  threshold = 0,
): Int8VectorwiseQuantized {
  const [rows, cols] = check2d(shape, 'int8VectorwiseQuantize(shape)');
  const x = toFiniteFloat32(values, 'int8VectorwiseQuantize(values)', rows * cols);
  const t = checkThreshold(threshold, 'int8VectorwiseQuantize(threshold)');
  const isOut = new Uint8Array(cols);
  if (t > 0) for (let i = 0; i < x.length; i++) if (Math.abs(x[i]) >= t) isOut[i % cols] = 1;
  const rowAbsmax = new Float32Array(rows);
  const q = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    let amax = 0;
    for (let c = 0; c < cols; c++) {
      const a = Math.abs(x[base + c]);
      if (!(t > 0 && a >= t) && a > amax) amax = a;
    }
    rowAbsmax[r] = amax;
    if (amax === 0) continue;
    const mul = f32(127 / amax);
    for (let c = 0; c < cols; c++) {
      if (isOut[c]) continue;
      // |x| <= amax, so |f32(x * 127 / amax)| <= 127 up to float rounding; clamp for safety.
      const v = roundHalfEven(f32(x[base + c] * mul));
      q[base + c] = v > 127 ? 127 : v < -127 ? -127 : v;
    }
  }
  const outlierColumns: number[] = [];
  for (let c = 0; c < cols; c++) if (isOut[c]) outlierColumns.push(c);
  return { q, rowAbsmax, outlierColumns: Int32Array.from(outlierColumns) };
}

/** Options of {@link llmInt8Matmul}. */
export interface LlmInt8Options {
  /** Outlier threshold on |x| (default 6.0, the paper's and bitsandbytes' `llm_int8_threshold`); 0 disables. */
  threshold?: number;
  /**
   * Weights used for the outlier columns: `'original'` float32 weights (default; the paper's
   * fp16 path) or `'dequantized'` int8 weights (bitsandbytes with int8-stored weights).
   */
  outlierWeights?: 'original' | 'dequantized';
}

/** Result of {@link llmInt8Matmul}. */
export interface LlmInt8Result {
  /** `x Wᵀ` [n, m], row-major float32. */
  output: Float32Array;
  shape: [number, number];
  /** The outlier feature columns computed in floating point. */
  outlierColumns: Int32Array;
}

/** The shared mixed int8 / float kernel. `wOutlier` null = use dequantized int8 weights. */
function mixedMatmul(
  x: Float32Array,
  n: number,
  k: number,
  xq: Int8VectorwiseQuantized,
  wq: Int8Array,
  sw: Float32Array,
  m: number,
  wOutlier: Float32Array | null,
  bias: Float32Array | null,
): Float32Array {
  const out = new Float32Array(n * m);
  const cols = xq.outlierColumns;
  const qx = xq.q;
  for (let i = 0; i < n; i++) {
    const xb = i * k;
    const sx = xq.rowAbsmax[i];
    for (let l = 0; l < m; l++) {
      const wb = l * k;
      let acc = 0;
      for (let j = 0; j < k; j++) acc += qx[xb + j] * wq[wb + j];
      const int8Part = f32(f32(acc * f32(sx * sw[l])) * INV_127_SQ);
      let outlierPart = 0;
      for (let c = 0; c < cols.length; c++) {
        const j = cols[c];
        const wv = wOutlier ? wOutlier[wb + j] : f32(f32(wq[wb + j] * sw[l]) * INV_127);
        outlierPart += x[xb + j] * wv;
      }
      let y = f32(int8Part + outlierPart);
      if (bias) y = f32(y + bias[l]);
      out[i * m + l] = y;
    }
  }
  return out;
}

function checkInner(k: number, what: string): void {
  if (k > LLM_INT8_MAX_INNER_DIM) {
    throw new InvalidArgumentError(`${what}: inner dimension ${k} exceeds ${LLM_INT8_MAX_INNER_DIM}, where int32 accumulation of int8 products could overflow; split the matmul along k.`);
  }
}

function resolveMatmul(
  x: Float32Array | readonly number[],
  xShape: readonly [number, number],
  w: Float32Array | readonly number[],
  wShape: readonly [number, number],
  options: LlmInt8Options,
  what: string,
) {
  const [n, k] = check2d(xShape, `${what}(xShape)`);
  const [m, k2] = check2d(wShape, `${what}(wShape)`);
  if (k !== k2) {
    throw new ShapeMismatchError(`${what}: x is [${n}, ${k}] but w is [${m}, ${k2}]; w must be [outFeatures, ${k}] (PyTorch Linear layout).`);
  }
  checkInner(k, what);
  const xs = toFiniteFloat32(x, `${what}(x)`, n * k);
  const ws = toFiniteFloat32(w, `${what}(w)`, m * k);
  if (typeof options !== 'object' || options === null) throw new InvalidArgumentError(`${what}(options) must be an object such as { threshold: 6 }.`);
  const threshold = checkThreshold(options.threshold ?? 6, `${what}: options.threshold`);
  const mode = options.outlierWeights ?? 'original';
  if (mode !== 'original' && mode !== 'dequantized') {
    throw new InvalidArgumentError(`${what}: options.outlierWeights must be 'original' or 'dequantized', got ${String(mode)}.`);
  }
  return { n, k, m, xs, ws, threshold, mode };
}

/**
 * LLM.int8() matrix product `x Wᵀ` with vector-wise int8 quantization and float outlier
 * columns (see the module notes for the exact algorithm and error bound).
 *
 * @param x activations [n, k], row-major float32
 * @param xShape `[n, k]`
 * @param w weights [m, k] (PyTorch Linear layout), row-major float32
 * @param wShape `[m, k]`
 * @param options `threshold` (default 6), `outlierWeights` (default `'original'`)
 * @throws {InvalidArgumentError} `invalid_argument` for bad shapes, options or non-finite values.
 * @throws {ShapeMismatchError} `shape_mismatch` when the inner dimensions or lengths disagree.
 * @example
 * const { output, outlierColumns } = llmInt8Matmul(x, [4, 64], w, [32, 64], { threshold: 6 });
 * output.length; // 4 * 32
 */
export function llmInt8Matmul(
  x: Float32Array | readonly number[],
  xShape: readonly [number, number],
  w: Float32Array | readonly number[],
  wShape: readonly [number, number],
  options: LlmInt8Options = {},
): LlmInt8Result {
  const { n, k, m, xs, ws, threshold, mode } = resolveMatmul(x, xShape, w, wShape, options, 'llmInt8Matmul');
  const xq = int8VectorwiseQuantize(xs, [n, k], threshold);
  const wqz = int8VectorwiseQuantize(ws, [m, k], 0);
  const output = mixedMatmul(xs, n, k, xq, wqz.q, wqz.rowAbsmax, m, mode === 'original' ? ws : null, null);
  return { output, shape: [n, m], outlierColumns: xq.outlierColumns };
}

/**
 * Per-output upper bound on `|llmInt8Matmul(x, w) - x Wᵀ|` (exact product of the float32
 * inputs), from the derivation in the module notes. Returned in float64, shape [n, m].
 *
 * @example
 * const bound = llmInt8ErrorBound(x, [4, 64], w, [32, 64]);
 */
export function llmInt8ErrorBound(
  x: Float32Array | readonly number[],
  xShape: readonly [number, number],
  w: Float32Array | readonly number[],
  wShape: readonly [number, number],
  options: LlmInt8Options & { bias?: Float32Array } = {},
): Float64Array {
  const { n, k, m, xs, ws, threshold, mode } = resolveMatmul(x, xShape, w, wShape, options, 'llmInt8ErrorBound');
  const xq = int8VectorwiseQuantize(xs, [n, k], threshold);
  const wqz = int8VectorwiseQuantize(ws, [m, k], 0);
  const isOut = new Uint8Array(k);
  for (const c of xq.outlierColumns) isOut[c] = 1;
  const delta = 0.5 + 2 ** -15;
  const out = new Float64Array(n * m);
  for (let i = 0; i < n; i++) {
    const hx = xq.rowAbsmax[i] / 127;
    for (let l = 0; l < m; l++) {
      const hw = wqz.rowAbsmax[l] / 127;
      let b = 0;
      let mag = 0;
      for (let j = 0; j < k; j++) {
        const ax = Math.abs(xs[i * k + j]);
        const aw = Math.abs(ws[l * k + j]);
        if (isOut[j]) {
          if (mode === 'dequantized') b += delta * hw * ax;
          mag += ax * (aw + delta * hw);
        } else {
          b += delta * hx * aw + delta * hw * (ax + delta * hx);
          mag += (ax + delta * hx) * (aw + delta * hw);
        }
      }
      const bias = options.bias ? Math.abs(options.bias[l]) : 0;
      out[i * m + l] = b + 2 ** -21 * mag + 2 ** -24 * bias;
    }
  }
  return out;
}

/** Options of {@link Int8Linear}. */
export interface Int8LinearOptions {
  /** Outlier threshold (default 6.0); 0 = pure int8. */
  threshold?: number;
  /** Bias [outFeatures] (float32), optional. */
  bias?: Float32Array | readonly number[] | null;
}

/**
 * A linear layer `y = x Wᵀ + b` stored as int8 weights with one float32 absmax per output row
 * (bitsandbytes' `Linear8bitLt` with `has_fp16_weights=False`: `CB`, `SCB`), evaluated with
 * LLM.int8() (outlier columns use the dequantized int8 weights, as bitsandbytes). Weights take
 * 1 byte + 4/inFeatures bytes per parameter. Inference only (no gradients).
 *
 * @example
 * const layer = Int8Linear.fromFloat(w, [outF, inF], { bias: b, threshold: 6 });
 * const y = layer.forward(x); // Float32Array [rows * outF]
 */
export class Int8Linear {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** int8 weights [outFeatures, inFeatures]. */
  readonly weight: Int8Array;
  /** float32 absmax per output row (`SCB`); row `l` dequantizes as `q * scale / 127`. */
  readonly weightAbsmax: Float32Array;
  readonly bias: Float32Array | null;
  readonly threshold: number;

  /**
   * @param weight int8 codes [outFeatures, inFeatures]
   * @param weightAbsmax float32 absmax per output row
   * @param shape `[outFeatures, inFeatures]`
   * @throws {InvalidArgumentError} / {ShapeMismatchError} for inconsistent arguments.
   */
  constructor(weight: Int8Array, weightAbsmax: Float32Array, shape: readonly [number, number], options: Int8LinearOptions = {}) {
    const [outF, inF] = check2d(shape, 'Int8Linear(shape)');
    checkInner(inF, 'Int8Linear');
    if (!(weight instanceof Int8Array) || weight.length !== outF * inF) {
      throw new ShapeMismatchError(`Int8Linear(weight) must be an Int8Array of ${outF} * ${inF} codes; build one with Int8Linear.fromFloat.`);
    }
    if (!(weightAbsmax instanceof Float32Array) || weightAbsmax.length !== outF) {
      throw new ShapeMismatchError(`Int8Linear(weightAbsmax) must be a Float32Array of ${outF} row absmax values.`);
    }
    for (let i = 0; i < outF; i++) {
      if (!(weightAbsmax[i] >= 0) || !Number.isFinite(weightAbsmax[i])) {
        throw new InvalidArgumentError(`Int8Linear(weightAbsmax)[${i}] is ${weightAbsmax[i]}; row absmax values must be finite and >= 0.`);
      }
    }
    this.outFeatures = outF;
    this.inFeatures = inF;
    this.weight = weight;
    this.weightAbsmax = weightAbsmax;
    this.threshold = checkThreshold(options.threshold ?? 6, 'Int8Linear: options.threshold');
    this.bias = options.bias == null ? null : toFiniteFloat32(options.bias, 'Int8Linear: options.bias', outF);
  }

  /**
   * Quantize float32 weights [outFeatures, inFeatures] row-wise to int8.
   *
   * @example
   * const layer = Int8Linear.fromFloat(w, [8, 16]);
   */
  static fromFloat(weight: Float32Array | readonly number[], shape: readonly [number, number], options: Int8LinearOptions = {}): Int8Linear {
    const [outF, inF] = check2d(shape, 'Int8Linear.fromFloat(shape)');
    const q = int8VectorwiseQuantize(weight, [outF, inF], 0);
    return new Int8Linear(q.q, q.rowAbsmax, [outF, inF], options);
  }

  /**
   * Quantize a core `Linear` layer (weights and bias are read from its tensors).
   *
   * @example
   * const q = Int8Linear.fromLinear(new Linear(16, 8), { threshold: 6 });
   */
  static fromLinear(linear: Linear, options: Omit<Int8LinearOptions, 'bias'> = {}): Int8Linear {
    if (typeof linear !== 'object' || linear === null || !(linear.weight instanceof tf.Tensor)) {
      throw new InvalidArgumentError('Int8Linear.fromLinear(linear) must be a Linear layer from @llmkit/core.');
    }
    const w = linear.weight.dataSync() as Float32Array;
    const bias = linear.bias ? (linear.bias.dataSync() as Float32Array) : null;
    return Int8Linear.fromFloat(w, [linear.outFeatures, linear.inFeatures], { ...options, bias });
  }

  /**
   * Apply the layer to `x` [rows, inFeatures] (row-major float32).
   *
   * @returns [rows, outFeatures] float32
   * @throws {ShapeMismatchError} `shape_mismatch` when `x.length` is not a multiple of `inFeatures`.
   * @example
   * layer.forward(new Float32Array(2 * layer.inFeatures)); // Float32Array(2 * outFeatures)
   */
  forward(x: Float32Array | readonly number[]): Float32Array {
    if (x.length === 0 || x.length % this.inFeatures !== 0) {
      throw new ShapeMismatchError(`Int8Linear.forward: x has ${x.length} values, not a positive multiple of inFeatures = ${this.inFeatures}.`);
    }
    const rows = x.length / this.inFeatures;
    const xs = toFiniteFloat32(x, 'Int8Linear.forward(x)');
    const xq = int8VectorwiseQuantize(xs, [rows, this.inFeatures], this.threshold);
    return mixedMatmul(xs, rows, this.inFeatures, xq, this.weight, this.weightAbsmax, this.outFeatures, null, this.bias);
  }

  /**
   * {@link Int8Linear.forward} on a float32 tensor [..., inFeatures]; returns [..., outFeatures].
   *
   * @throws {InvalidArgumentError} `invalid_argument` when `x` is not a float32 tensor.
   * @throws {ShapeMismatchError} `shape_mismatch` when its last dim is not `inFeatures`.
   * @example
   * layer.forwardTensor(tf.ones([2, 3, layer.inFeatures])).shape; // [2, 3, outFeatures]
   */
  forwardTensor(x: tf.Tensor): tf.Tensor {
    if (!(x instanceof tf.Tensor) || x.dtype !== 'float32' || x.rank < 1) {
      throw new InvalidArgumentError('Int8Linear.forwardTensor(x) must be a float32 tf.Tensor of rank >= 1.');
    }
    if (x.shape[x.rank - 1] !== this.inFeatures) {
      throw new ShapeMismatchError(`Int8Linear.forwardTensor: x has shape [${x.shape}] but the last dim must be inFeatures = ${this.inFeatures}.`);
    }
    const y = this.forward(x.dataSync() as Float32Array);
    return tf.tensor(y, [...x.shape.slice(0, -1), this.outFeatures], 'float32');
  }

  /**
   * The float32 weights the int8 codes represent: `f32(f32(q * absmax) * f32(1 / 127))` (bitsandbytes'
   * `int8_vectorwise_dequant`).
   *
   * @example
   * layer.dequantizeWeight(); // Float32Array(outFeatures * inFeatures)
   */
  dequantizeWeight(): Float32Array {
    const out = new Float32Array(this.weight.length);
    for (let l = 0; l < this.outFeatures; l++) {
      for (let j = 0; j < this.inFeatures; j++) {
        const i = l * this.inFeatures + j;
        out[i] = f32(this.weight[i] * this.weightAbsmax[l]) * INV_127;
      }
    }
    return out;
  }

  /** Bytes of the stored weights and scales (and bias, float32). */
  get byteSize(): number {
    return this.weight.byteLength + this.weightAbsmax.byteLength + (this.bias ? this.bias.byteLength : 0);
  }
}
