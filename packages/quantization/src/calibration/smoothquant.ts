/**
 * SmoothQuant (Xiao et al., 2023, "SmoothQuant: Accurate and Efficient Post-Training
 * Quantization for Large Language Models"): migrate activation outliers into the weights
 * with a per-input-channel scale `s_j = max|X_j|^alpha / max|W_j|^(1 - alpha)`, so that
 * `X W^T = (X diag(s)^-1) (W diag(s))^T` and both factors quantize well to int8 (W8A8).
 * Follows mit-han-lab/smoothquant `smooth.py` (`smooth_ln_fcs`), `calibration.py`
 * (`get_act_scales`) and `fake_quant.py` (absmax int8 per tensor / per channel / per token).
 * Computed in float64.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { checkMatrix, roundHalfEven } from './rtn.js';
import type { WeightInput } from './awq.js';

/**
 * Per-channel max |x| over tokens (smoothquant `get_act_scales`: `x.abs().view(-1, C).max(0)`).
 * @param x `[tokens, channels]` row-major
 * @example
 * activationAbsMax(Float64Array.of(1, -8, 2, 4), [2, 2]); // Float64Array [2, 8]
 */
export function activationAbsMax(x: ArrayLike<number>, shape: readonly [number, number]): Float64Array {
  const [n, c] = shape;
  checkMatrix(x, n, c, 'activationAbsMax(x)');
  const out = new Float64Array(c);
  for (let t = 0; t < n; t++) {
    for (let j = 0; j < c; j++) {
      const v = Math.abs(x[t * c + j]);
      if (v > out[j]) out[j] = v;
    }
  }
  return out;
}

/**
 * SmoothQuant's smoothing factors for linear layers reading the same input (`smooth_ln_fcs`):
 * `w_j = max(max over layers and rows |W[:, j]|, 1e-5)`,
 * `s_j = max(actAbsMax_j^alpha / w_j^(1 - alpha), 1e-5)`.
 *
 * @param actAbsMax [cols] per-channel max |x| ({@link activationAbsMax})
 * @param alpha migration strength in [0, 1] (default 0.5)
 * @example
 * // act max [2, 8], weight column max [1, 2], alpha 0.5 -> s = [sqrt(2), 2]
 * smoothQuantScales([2, 8], [{ weight: [0.5, 2, -1, 1], shape: [2, 2] }]);
 */
export function smoothQuantScales(actAbsMax: ArrayLike<number>, layers: WeightInput[], alpha = 0.5): Float64Array {
  if (!(typeof alpha === 'number' && alpha >= 0 && alpha <= 1)) {
    throw new InvalidArgumentError(`smoothQuantScales: alpha must be in [0, 1], got ${alpha}; SmoothQuant uses 0.5 (0.75-0.85 for large models).`);
  }
  if (!Array.isArray(layers) || layers.length === 0) {
    throw new InvalidArgumentError('smoothQuantScales: layers must be a non-empty array of { weight, shape } sharing one input.');
  }
  const cols = actAbsMax.length;
  const wmax = new Float64Array(cols);
  for (const [i, l] of layers.entries()) {
    const [rows, lc] = l.shape;
    if (lc !== cols) {
      throw new ShapeMismatchError(`smoothQuantScales: layer ${i} has ${lc} input columns but actAbsMax has ${cols} channels.`);
    }
    checkMatrix(l.weight, rows, lc, `smoothQuantScales(layers[${i}].weight)`);
    for (let r = 0; r < rows; r++) {
      for (let j = 0; j < cols; j++) {
        const v = Math.abs(l.weight[r * cols + j]);
        if (v > wmax[j]) wmax[j] = v;
      }
    }
  }
  const s = new Float64Array(cols);
  for (let j = 0; j < cols; j++) {
    const a = actAbsMax[j];
    if (!(a >= 0) || !Number.isFinite(a)) {
      throw new InvalidArgumentError(`smoothQuantScales: actAbsMax[${j}] is ${a}; it must be a finite max |x| >= 0.`);
    }
    s[j] = Math.max(Math.pow(a, alpha) / Math.pow(Math.max(wmax[j], 1e-5), 1 - alpha), 1e-5);
  }
  return s;
}

/** Result of {@link smoothQuant}. */
export interface SmoothQuantResult {
  /** [cols] smoothing factors `s`. */
  scales: Float64Array;
  /** [rows * cols] `W diag(s)`. */
  weight: Float64Array;
  /** [tokens * cols] `X diag(s)^-1` (fold `1/s` into the previous LayerNorm/RMSNorm in a model). */
  input: Float64Array;
}

/**
 * Smooth one linear layer and its input: `W' = W diag(s)`, `X' = X diag(s)^-1`, with
 * `s` from {@link smoothQuantScales} on the per-channel max |X|. `X' W'^T = X W^T`.
 *
 * @example
 * const sm = smoothQuant(w, [64, 128], x, [256, 128], { alpha: 0.5 });
 * const y = w8a8Matmul(sm.input, [256, 128], sm.weight, [64, 128]);
 */
export function smoothQuant(
  weight: ArrayLike<number>,
  shape: readonly [number, number],
  x: ArrayLike<number>,
  xShape: readonly [number, number],
  options: { alpha?: number } = {},
): SmoothQuantResult {
  const [rows, cols] = shape;
  const [n, xc] = xShape;
  if (xc !== cols) throw new ShapeMismatchError(`smoothQuant: x has ${xc} channels but the weight has ${cols} input columns.`);
  checkMatrix(weight, rows, cols, 'smoothQuant(weight)');
  const scales = smoothQuantScales(activationAbsMax(x, xShape), [{ weight, shape }], options.alpha ?? 0.5);
  const w = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) w[r * cols + j] = weight[r * cols + j] * scales[j];
  const input = new Float64Array(n * cols);
  for (let t = 0; t < n; t++) for (let j = 0; j < cols; j++) input[t * cols + j] = x[t * cols + j] / scales[j];
  return { scales, weight: w, input };
}

/** Granularity of absmax int8 quantization: one scale for the tensor or one per row (output channel / token). */
export type Int8Granularity = 'tensor' | 'row';

/** Int8 codes with absmax scales. */
export interface Int8Matrix {
  /** [rows * cols] codes in [-127, 127] */
  codes: Int8Array;
  /** one scale ('tensor') or one per row ('row') */
  scales: Float64Array;
  granularity: Int8Granularity;
}

/**
 * Symmetric absmax int8 (`fake_quant.py`: `scale = max(absmax, 1e-5) / 127`, `q = round(x / scale)`,
 * round half to even), per tensor or per row (per output channel for weights, per token for activations).
 *
 * @example
 * quantizeInt8Absmax(Float64Array.of(1, -0.3, 0.6), [1, 3]).codes; // Int8Array [127, -38, 76]
 */
export function quantizeInt8Absmax(
  data: ArrayLike<number>,
  shape: readonly [number, number],
  granularity: Int8Granularity = 'tensor',
): Int8Matrix {
  const [rows, cols] = shape;
  checkMatrix(data, rows, cols, 'quantizeInt8Absmax(data)');
  if (granularity !== 'tensor' && granularity !== 'row') {
    throw new InvalidArgumentError(`quantizeInt8Absmax: granularity must be 'tensor' or 'row', got ${String(granularity)}.`);
  }
  const nScales = granularity === 'tensor' ? 1 : rows;
  const scales = new Float64Array(nScales);
  for (let r = 0; r < rows; r++) {
    const k = granularity === 'tensor' ? 0 : r;
    for (let c = 0; c < cols; c++) scales[k] = Math.max(scales[k], Math.abs(data[r * cols + c]));
  }
  for (let k = 0; k < nScales; k++) scales[k] = Math.max(scales[k], 1e-5) / 127;
  const codes = new Int8Array(rows * cols);
  for (let r = 0; r < rows; r++) {
    const s = scales[granularity === 'tensor' ? 0 : r];
    for (let c = 0; c < cols; c++) codes[r * cols + c] = Math.max(-127, Math.min(127, roundHalfEven(data[r * cols + c] / s)));
  }
  return { codes, scales, granularity };
}

/** Options of {@link w8a8Matmul}. */
export interface W8A8Options {
  /** Weight scales: per tensor or per output channel ('row', the default). */
  weight?: Int8Granularity;
  /** Activation scales: per tensor or per token ('row', the default). */
  activation?: Int8Granularity;
}

/**
 * `X W^T` computed as an int8 x int8 matmul with integer accumulation (as an int32 GEMM
 * does; exact in float64 here) rescaled by the activation and weight scales.
 *
 * @param x `[tokens, cols]`; @param w `[rows, cols]`
 * @returns `[tokens, rows]` row-major
 * @example
 * const y = w8a8Matmul(x, [8, 16], w, [4, 16], { weight: 'tensor', activation: 'tensor' });
 */
export function w8a8Matmul(
  x: ArrayLike<number>,
  xShape: readonly [number, number],
  w: ArrayLike<number>,
  wShape: readonly [number, number],
  options: W8A8Options = {},
): Float64Array {
  const [n, cols] = xShape;
  const [rows, wc] = wShape;
  if (wc !== cols) throw new ShapeMismatchError(`w8a8Matmul: x has ${cols} columns but w has ${wc}; w must be [out, in].`);
  const qx = quantizeInt8Absmax(x, xShape, options.activation ?? 'row');
  const qw = quantizeInt8Absmax(w, wShape, options.weight ?? 'row');
  const out = new Float64Array(n * rows);
  for (let t = 0; t < n; t++) {
    const sx = qx.scales[qx.granularity === 'tensor' ? 0 : t];
    for (let r = 0; r < rows; r++) {
      let acc = 0;
      for (let c = 0; c < cols; c++) acc += qx.codes[t * cols + c] * qw.codes[r * cols + c];
      out[t * rows + r] = acc * sx * qw.scales[qw.granularity === 'tensor' ? 0 : r];
    }
  }
  return out;
}
