/**
 * Group-wise round-to-nearest (RTN) integer quantization of weight matrices, after the
 * `Quantizer` of the GPTQ reference (IST-DASLab/gptq `quant.py`, `find_params` with
 * `perchannel=True, weight=True`, and `quantize`). Shared by GPTQ, AWQ and
 * {@link quantizeModel}; everything is computed in float64.
 *
 * Asymmetric: `xmin = min(0, min w)`, `xmax = max(0, max w)` per row (and group),
 * `scale = (xmax - xmin) / maxq`, `zero = round(-xmin / scale)`, `maxq = 2^bits - 1`;
 * symmetric: `xmax = max(|xmin|, xmax)`, `xmin = -xmax` when `xmin < 0`, `zero = (maxq + 1) / 2`.
 * A row of zeros gets `xmin = -1, xmax = 1`. Codes are `q = clamp(round(w / scale) + zero, 0, maxq)`
 * (round half to even, as `torch.round`) and the dequantized value is `scale * (q - zero)`.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';

/** Round half to even, as `torch.round` / `numpy.round`. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x); // rounds half up
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Throw unless `bits` is an integer in [2, 8]. */
export function checkBits(bits: number, what: string): void {
  if (!Number.isInteger(bits) || bits < 2 || bits > 8) {
    throw new InvalidArgumentError(`${what}: bits must be an integer in [2, 8], got ${bits}; use 4 for 4-bit weights.`);
  }
}

/** Throw unless `groupSize` is -1 (one group per row) or a positive integer. */
export function checkGroupSize(groupSize: number, what: string): void {
  if (!(groupSize === -1 || (Number.isInteger(groupSize) && groupSize > 0))) {
    throw new InvalidArgumentError(`${what}: groupSize must be -1 (per row) or a positive integer, got ${groupSize}.`);
  }
}

/** Throw unless `data` holds `rows * cols` finite values. */
export function checkMatrix(data: ArrayLike<number>, rows: number, cols: number, what: string): void {
  if (!Number.isInteger(rows) || rows <= 0 || !Number.isInteger(cols) || cols <= 0) {
    throw new InvalidArgumentError(`${what}: shape must be two positive integers [rows, cols], got [${rows}, ${cols}].`);
  }
  if (!data || typeof data.length !== 'number') {
    throw new InvalidArgumentError(`${what}: expected a Float32Array or Float64Array, got ${typeof data}.`);
  }
  if (data.length !== rows * cols) {
    throw new ShapeMismatchError(`${what}: ${data.length} values do not fill shape [${rows}, ${cols}] (${rows * cols} values).`);
  }
  for (let i = 0; i < data.length; i++) {
    if (!Number.isFinite(data[i])) {
      throw new InvalidArgumentError(`${what}: value ${i} is ${data[i]}; weights and activations must be finite.`);
    }
  }
}

/** Per-row quantization parameters of one column group. */
export interface RtnParams {
  /** [rows] */
  scale: Float64Array;
  /** [rows] integer zero points in [0, maxq] */
  zero: Float64Array;
}

/**
 * GPTQ's `Quantizer.find_params(W[:, c0:c1], weight=True)` with `perchannel=True`: one scale
 * and zero per row of the column slice `[c0, c1)` of the row-major `[rows, cols]` matrix `w`.
 *
 * @example
 * const p = findRtnParams(Float64Array.of(-1, 2), 1, 2, 0, 2, 4, false);
 * // scale = 3/15 = 0.2, zero = round(1/0.2) = 5
 */
export function findRtnParams(
  w: ArrayLike<number>,
  rows: number,
  cols: number,
  c0: number,
  c1: number,
  bits: number,
  sym: boolean,
): RtnParams {
  const maxq = 2 ** bits - 1;
  const scale = new Float64Array(rows);
  const zero = new Float64Array(rows);
  const end = Math.min(c1, cols);
  for (let r = 0; r < rows; r++) {
    let xmin = 0;
    let xmax = 0;
    const base = r * cols;
    for (let c = c0; c < end; c++) {
      const v = w[base + c];
      if (v < xmin) xmin = v;
      if (v > xmax) xmax = v;
    }
    if (sym) {
      xmax = Math.max(Math.abs(xmin), xmax);
      if (xmin < 0) xmin = -xmax;
    }
    if (xmin === 0 && xmax === 0) {
      xmin = -1;
      xmax = 1;
    }
    const s = (xmax - xmin) / maxq;
    scale[r] = s;
    zero[r] = sym ? (maxq + 1) / 2 : roundHalfEven(-xmin / s) + 0; // + 0 turns -0 into 0
  }
  return { scale, zero };
}

/** GPTQ's `quantize(x, scale, zero, maxq)` returning the integer code. */
export function quantizeCode(x: number, scale: number, zero: number, maxq: number): number {
  const q = roundHalfEven(x / scale) + zero;
  return q < 0 ? 0 : q > maxq ? maxq : q;
}

/** Options of {@link rtnQuantize}. */
export interface RtnOptions {
  /** Bits per weight, 2..8 (default 4). */
  bits?: number;
  /** Columns per group, or -1 for one group per row (default 128; a last partial group is allowed). */
  groupSize?: number;
  /** Symmetric quantization (default false: asymmetric with a zero point). */
  sym?: boolean;
}

/** A quantized `[rows, cols]` matrix: integer codes with per-row, per-group scales and zero points. */
export interface QuantizedMatrix {
  rows: number;
  cols: number;
  bits: number;
  /** Columns per group (-1: one group spanning every column). */
  groupSize: number;
  /** [rows * cols] codes in [0, 2^bits - 1], row-major, original column order. */
  codes: Uint8Array;
  /** [rows, nGroups] row-major. */
  scales: Float64Array;
  /** [rows, nGroups] row-major, integers in [0, 2^bits - 1]. */
  zeros: Float64Array;
  /** [cols] group of each column (GPTQ's g_idx; `floor(c / groupSize)` without act-order). */
  gIdx: Int32Array;
  /** [rows * cols] `scale * (code - zero)`. */
  dequantized: Float64Array;
}

/** Number of groups per row of a matrix with `cols` columns. */
export function groupCount(cols: number, groupSize: number): number {
  return groupSize === -1 ? 1 : Math.ceil(cols / groupSize);
}

/**
 * Group-wise RTN quantization with GPTQ's quantizer (see the module comment). Groups are
 * consecutive column ranges of `groupSize`.
 *
 * @throws {InvalidArgumentError} on bad bits / groupSize / non-finite weights.
 * @throws {ShapeMismatchError} when `weight` does not hold `rows * cols` values.
 * @example
 * const q = rtnQuantize(new Float32Array([0.1, -0.4, 0.3, 0.2]), [1, 4], { bits: 4, groupSize: 2 });
 * q.codes; // Uint8Array of 4 codes, q.scales has 2 entries (one per group)
 */
export function rtnQuantize(weight: ArrayLike<number>, shape: readonly [number, number], options: RtnOptions = {}): QuantizedMatrix {
  const [rows, cols] = shape;
  const bits = options.bits ?? 4;
  const groupSize = options.groupSize ?? 128;
  const sym = options.sym ?? false;
  checkBits(bits, 'rtnQuantize');
  checkGroupSize(groupSize, 'rtnQuantize');
  checkMatrix(weight, rows, cols, 'rtnQuantize(weight)');
  const maxq = 2 ** bits - 1;
  const g = groupSize === -1 ? cols : groupSize;
  const nGroups = groupCount(cols, groupSize);
  const codes = new Uint8Array(rows * cols);
  const dequantized = new Float64Array(rows * cols);
  const scales = new Float64Array(rows * nGroups);
  const zeros = new Float64Array(rows * nGroups);
  const gIdx = new Int32Array(cols);
  for (let gi = 0; gi < nGroups; gi++) {
    const c0 = gi * g;
    const c1 = Math.min(c0 + g, cols);
    const p = findRtnParams(weight, rows, cols, c0, c1, bits, sym);
    for (let r = 0; r < rows; r++) {
      scales[r * nGroups + gi] = p.scale[r];
      zeros[r * nGroups + gi] = p.zero[r];
      for (let c = c0; c < c1; c++) {
        const q = quantizeCode(weight[r * cols + c], p.scale[r], p.zero[r], maxq);
        codes[r * cols + c] = q;
        dequantized[r * cols + c] = p.scale[r] * (q - p.zero[r]);
      }
    }
    for (let c = c0; c < c1; c++) gIdx[c] = gi;
  }
  return { rows, cols, bits, groupSize, codes, scales, zeros, gIdx, dequantized };
}
