/**
 * NF4 (4-bit NormalFloat, QLoRA) exactly as bitsandbytes stores it, plus double quantization
 * of the block scales.
 *
 * Format (bitsandbytes `quantize_4bit(quant_type="nf4")`, float32 arithmetic):
 *   - blocks of `blockSize` (default 64) consecutive elements of the flattened tensor, the last
 *     one possibly partial; `absmax[b] = max |x|` over the block (float32);
 *   - code = `dQuantizeNF4(f32(x * f32(1 / absmax)))` (csrc/kernels.cu `kQuantizeBlockwise`):
 *     the decision tree whose pivots are the float32 midpoints between consecutive codebook
 *     values, compared with strict `>` (a value exactly on a midpoint takes the lower code; an
 *     all-zero block gives 0 * inf = NaN, which falls through to code 0 and dequantizes to 0);
 *   - packing: two codes per byte, the FIRST element in the HIGH nibble
 *     (`byte = code[2i] << 4 | code[2i + 1]`); an odd trailing element is paired with the code
 *     of a padded 0.0 (code 7), as bitsandbytes;
 *   - dequantize: `f32(NF4_CODEBOOK[code] * absmax[block])`.
 *
 * Double quantization (`compress_statistics=True`, QLoRA): `offset = mean(absmax)`, then
 * `absmax - offset` is quantized blockwise (blocks of 256) with bitsandbytes' signed 8-bit
 * dynamic map ({@link createDynamicMap}) by the reference kernel's nearest-code rule
 * (`argmin |clamp(v * f32(1/absmax2), -1, 1) - code|`, first minimum), keeping a float32
 * `absmax2` per 256-block; dequantized `absmax = f32(f32(code[q] * absmax2) + offset)`.
 * One documented deviation: bitsandbytes' float32 `mean()` has a device-dependent summation
 * order; we use the correctly rounded mean (within 1 ulp of torch's, checked by the fixture script).
 *
 * Tests compare codes, packed bytes, absmax (plain and double-quantized) and dequantized values
 * with a transcription of bitsandbytes (tools/fixtures/gen_quant_basics.py) bit for bit.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { checkPositiveInt, checkShape, f32, toFiniteFloat32 } from './tensor/util.js';

/**
 * The 16 NF4 values (bitsandbytes `get_4bit_type("nf4")`, = `dDequantizeNF4` in
 * csrc/kernels.cu): quantiles of N(0, 1) normalised to [-1, 1], with an exact 0 at code 7.
 * Shared, do not mutate.
 * @example
 * NF4_CODEBOOK[7]; // 0
 * NF4_CODEBOOK[15]; // 1
 */
export const NF4_CODEBOOK: Float32Array = Float32Array.from([
  -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453, -0.28444138169288635, -0.18477343022823334,
  -0.09105003625154495, 0.0, 0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
  0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
]);

/**
 * The 15 decision thresholds of bitsandbytes' `dQuantizeNF4` (csrc/kernels.cu), as float32:
 * the midpoints between consecutive {@link NF4_CODEBOOK} values. `code(x) = #{t : x > t}`.
 * Shared, do not mutate.
 * @example
 * NF4_THRESHOLDS[7]; // 0.0397901..., between codes 7 (0) and 8 (0.0796)
 */
export const NF4_THRESHOLDS: Float32Array = Float32Array.from([
  -0.8480964004993439, -0.6106329262256622, -0.4599952697753906, -0.33967943489551544, -0.23460740596055984,
  -0.13791173323988914, -0.045525018125772476, 0.03979014977812767, 0.1202552504837513, 0.2035212516784668,
  0.2920137718319893, 0.3893125355243683, 0.5016634166240692, 0.6427869200706482, 0.8614784181118011,
]);

const T = NF4_THRESHOLDS;

/**
 * NF4 code of a value already scaled to [-1, 1]: bitsandbytes' `dQuantizeNF4` decision tree
 * (strict `>`, NaN -> 0).
 *
 * @example
 * nf4QuantizeValue(0);    // 7
 * nf4QuantizeValue(1);    // 15
 * nf4QuantizeValue(-0.7); // 1
 */
export function nf4QuantizeValue(x: number): number {
  if (x > T[7]) {
    if (x > T[11]) {
      if (x > T[13]) return x > T[14] ? 15 : 14;
      return x > T[12] ? 13 : 12;
    }
    if (x > T[9]) return x > T[10] ? 11 : 10;
    return x > T[8] ? 9 : 8;
  }
  if (x > T[3]) {
    if (x > T[5]) return x > T[6] ? 7 : 6;
    return x > T[4] ? 5 : 4;
  }
  if (x > T[1]) return x > T[2] ? 3 : 2;
  return x > T[0] ? 1 : 0;
}

/**
 * bitsandbytes' `create_dynamic_map` (functional.py): the 8-bit "dynamic" data type (a
 * decimal exponent of 0..-6 and a linear fraction) used to quantize optimizer states and the
 * NF4 absmax under double quantization. Reproduces the float32 values of the Python
 * function bit for bit (torch.linspace in float32, float32 means and products).
 *
 * @param signed 256 values in [-1, 1] (default) or unsigned values in [0, 1]
 * @param maxExponentBits default 7
 * @param totalBits default 8
 * @returns `2^totalBits` sorted float32 values (zero-padded to 256 like bitsandbytes when `totalBits < 8`)
 * @throws {InvalidArgumentError} `invalid_argument` for bit counts bitsandbytes does not support.
 * @example
 * const code = createDynamicMap(); // Float32Array(256), code[0] = -0.99297, code[255] = 1
 */
export function createDynamicMap(signed = true, maxExponentBits = 7, totalBits = 8): Float32Array {
  checkPositiveInt(maxExponentBits, 'createDynamicMap(maxExponentBits)');
  checkPositiveInt(totalBits, 'createDynamicMap(totalBits)');
  const nonSignBits = totalBits - 1;
  if (totalBits > 8 || maxExponentBits > nonSignBits) {
    throw new InvalidArgumentError(
      `createDynamicMap: need totalBits <= 8 and maxExponentBits <= totalBits - 1, got totalBits ${totalBits}, maxExponentBits ${maxExponentBits}.`,
    );
  }
  const data: number[] = [];
  const additional = 2 ** (nonSignBits - maxExponentBits) - 1;
  const push = (count: number, exponent: number): void => {
    const b = linspaceF32(0.1, 1, count);
    const p = f32(10 ** exponent);
    for (let j = 0; j + 1 < b.length; j++) {
      const mean = f32(f32(b[j] + b[j + 1]) / 2);
      data.push(f32(p * mean));
    }
    if (signed) for (let j = 0; j + 1 < b.length; j++) data.push(f32(f32(-(10 ** exponent)) * f32(f32(b[j] + b[j + 1]) / 2)));
  };
  let i = 0;
  for (; i < maxExponentBits; i++) {
    const items = signed ? 2 ** (i + nonSignBits - maxExponentBits) + 1 : 2 ** (i + nonSignBits - maxExponentBits + 1) + 1;
    push(items, -(maxExponentBits - 1) + i);
  }
  // bitsandbytes reuses the loop variable's final value (maxExponentBits - 1) here.
  if (additional > 0) push(additional + 1, -(maxExponentBits - 1) + (i - 1));
  data.push(0, 1);
  if (data.length !== 2 ** totalBits) {
    throw new InvalidArgumentError(
      `createDynamicMap: signed=${signed}, maxExponentBits=${maxExponentBits}, totalBits=${totalBits} does not give 2^totalBits values (bitsandbytes asserts the same).`,
    );
  }
  while (data.length < 256) data.push(0);
  data.sort((a, b) => a - b);
  return Float32Array.from(data);
}

/**
 * torch.linspace(start, end, steps, dtype=float32) on CPU (RangeFactoriesKernel.cpp): float32
 * `step = (end - start) / (steps - 1)`, `start + step * k` for the first half and
 * `end - step * (steps - k - 1)` for the second, each compiled to a fused multiply-add (one
 * rounding; the product of a float32 and a small integer is exact in float64).
 */
function linspaceF32(start: number, end: number, steps: number): Float32Array {
  const out = new Float32Array(steps);
  const s = f32(start);
  const e = f32(end);
  if (steps === 1) {
    out[0] = s;
    return out;
  }
  const step = f32(f32(e - s) / (steps - 1));
  const half = Math.floor(steps / 2);
  for (let k = 0; k < steps; k++) out[k] = k < half ? f32(s + step * k) : f32(e - step * (steps - k - 1));
  return out;
}

/** Result of {@link quantizeBlockwiseDynamic}. */
export interface BlockwiseQuantized {
  /** One 8-bit code index per value. */
  codes: Uint8Array;
  /** float32 absmax per block. */
  absmax: Float32Array;
  blockSize: number;
  /** The code (value table) used. */
  code: Float32Array;
}

/**
 * bitsandbytes' blockwise 8-bit quantization (`quantize_blockwise`, default kernel): per block,
 * `absmax = max|x|`, `v = clamp(f32(x * f32(1 / absmax)), -1, 1)`, code index = the first
 * minimiser of `|f32(v - code[i])|`.
 *
 * @param values float32 values (finite)
 * @param blockSize elements per block (default 256)
 * @param code value table (default {@link createDynamicMap}())
 * @throws {InvalidArgumentError} `invalid_argument` for non-finite values or a bad block size / code.
 * @example
 * const q = quantizeBlockwiseDynamic(Float32Array.from([0.5, -1, 0.01]));
 * dequantizeBlockwiseDynamic(q); // ≈ [0.5, -1, 0.01]
 */
export function quantizeBlockwiseDynamic(
  values: Float32Array | readonly number[],
  blockSize = 256,
  code: Float32Array = createDynamicMap(),
): BlockwiseQuantized {
  const x = toFiniteFloat32(values, 'quantizeBlockwiseDynamic(values)');
  checkPositiveInt(blockSize, 'quantizeBlockwiseDynamic(blockSize)');
  if (!(code instanceof Float32Array) || code.length === 0 || code.length > 256) {
    throw new InvalidArgumentError('quantizeBlockwiseDynamic(code) must be a Float32Array of 1..256 values (e.g. createDynamicMap()).');
  }
  const n = x.length;
  const nb = Math.ceil(n / blockSize);
  const absmax = new Float32Array(nb);
  const codes = new Uint8Array(n);
  for (let b = 0; b < nb; b++) {
    const start = b * blockSize;
    const end = Math.min(n, start + blockSize);
    let amax = 0;
    for (let i = start; i < end; i++) amax = Math.max(amax, Math.abs(x[i]));
    absmax[b] = amax;
    const inv = f32(1 / amax);
    for (let i = start; i < end; i++) {
      let v = f32(x[i] * inv);
      if (Number.isNaN(v)) {
        codes[i] = 0; // torch.argmin over all-NaN distances returns 0 (absmax 0: 0 * inf)
        continue;
      }
      v = v < -1 ? -1 : v > 1 ? 1 : v;
      let best = 0;
      let bestD = Infinity;
      for (let c = 0; c < code.length; c++) {
        const d = Math.abs(f32(v - code[c]));
        if (d < bestD) {
          bestD = d;
          best = c;
        }
      }
      codes[i] = best;
    }
  }
  return { codes, absmax, blockSize, code };
}

/**
 * Inverse of {@link quantizeBlockwiseDynamic}: `f32(code[q] * absmax[block])`.
 *
 * @throws {ShapeMismatchError} `shape_mismatch` when `absmax` does not have one entry per block.
 * @example
 * dequantizeBlockwiseDynamic(quantizeBlockwiseDynamic(values));
 */
export function dequantizeBlockwiseDynamic(q: BlockwiseQuantized): Float32Array {
  const n = q.codes.length;
  if (q.absmax.length !== Math.ceil(n / q.blockSize)) {
    throw new ShapeMismatchError(`dequantizeBlockwiseDynamic: ${n} codes in blocks of ${q.blockSize} need ${Math.ceil(n / q.blockSize)} absmax values, got ${q.absmax.length}.`);
  }
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = q.code[q.codes[i]] * q.absmax[Math.floor(i / q.blockSize)];
  return out;
}

/** Options of {@link nf4Quantize}. */
export interface Nf4QuantizeOptions {
  /** Elements per absmax block (default 64, QLoRA's). Must be even so blocks align with bytes. */
  blockSize?: number;
  /** Quantize the absmax values too (QLoRA's double quantization / `compress_statistics`). Default false. */
  doubleQuant?: boolean;
  /** Block size of the absmax quantization (default 256, bitsandbytes' fixed value). */
  doubleQuantBlockSize?: number;
  /** Shape recorded for {@link nf4Dequantize} (default `[values.length]`). */
  shape?: readonly number[];
}

/** The double-quantized absmax of an {@link Nf4Tensor}. */
export interface Nf4DoubleQuant {
  /** 8-bit dynamic-map code per NF4 block. */
  qAbsmax: Uint8Array;
  /** float32 absmax of `absmax - offset` per block of `blockSize`. */
  absmax2: Float32Array;
  /** float32 mean of the original absmax values. */
  offset: number;
  /** Block size over the absmax values (256). */
  blockSize: number;
  /** The 8-bit value table ({@link createDynamicMap}()). */
  code: Float32Array;
}

/** An NF4-quantized tensor, as bitsandbytes' packed weight + QuantState. */
export interface Nf4Tensor {
  readonly shape: readonly number[];
  /** Number of elements. */
  readonly n: number;
  readonly blockSize: number;
  /** `ceil(n / 2)` bytes; element `2i` in the high nibble of byte `i`, element `2i + 1` in the low nibble. */
  readonly packed: Uint8Array;
  /** float32 absmax per block, or null when double-quantized (see `doubleQuant`). */
  readonly absmax: Float32Array | null;
  readonly doubleQuant: Nf4DoubleQuant | null;
}

/**
 * Quantize float32 values to NF4, bitsandbytes' way (see the module notes).
 *
 * @param values float32 values, row-major (finite)
 * @param options block size, double quantization, shape
 * @throws {InvalidArgumentError} `invalid_argument` for non-finite values or an odd / non-positive block size.
 * @throws {ShapeMismatchError} `shape_mismatch` when `options.shape` does not match `values.length`.
 * @example
 * const q = nf4.quantize(weights, { blockSize: 64, doubleQuant: true, shape: [4096, 4096] });
 * const w = nf4.dequantize(q); // Float32Array
 */
export function nf4Quantize(values: Float32Array | readonly number[], options: Nf4QuantizeOptions = {}): Nf4Tensor {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError('nf4.quantize(options) must be an object such as { blockSize: 64, doubleQuant: true }.');
  }
  const blockSize = options.blockSize ?? 64;
  checkPositiveInt(blockSize, 'nf4.quantize: options.blockSize');
  if (blockSize % 2 !== 0) {
    throw new InvalidArgumentError(`nf4.quantize: options.blockSize must be even (bitsandbytes uses 32..4096, default 64), got ${blockSize}.`);
  }
  const dqBlock = options.doubleQuantBlockSize ?? 256;
  checkPositiveInt(dqBlock, 'nf4.quantize: options.doubleQuantBlockSize');
  const shape = options.shape === undefined ? undefined : [...options.shape];
  const n0 = shape === undefined ? undefined : checkShape(shape, 'nf4.quantize: options.shape');
  const x = toFiniteFloat32(values, 'nf4.quantize(values)', n0);
  const n = x.length;
  if (n === 0) throw new InvalidArgumentError('nf4.quantize(values) must not be empty.');
  const nb = Math.ceil(n / blockSize);
  const absmax = new Float32Array(nb);
  const packed = new Uint8Array((n + 1) >> 1);
  for (let b = 0; b < nb; b++) {
    const start = b * blockSize;
    const end = Math.min(n, start + blockSize);
    let amax = 0;
    for (let i = start; i < end; i++) {
      const a = Math.abs(x[i]);
      if (a > amax) amax = a;
    }
    absmax[b] = amax;
    const inv = f32(1 / amax); // Infinity for an all-zero block, as the kernel's 1.0f / 0
    for (let i = start; i < end; i++) {
      const c = nf4QuantizeValue(f32(x[i] * inv));
      packed[i >> 1] |= (i & 1) === 0 ? c << 4 : c;
    }
    if (end === n && (n & 1) === 1) packed[n >> 1] |= nf4QuantizeValue(f32(0 * inv)); // padded element
  }
  let doubleQuant: Nf4DoubleQuant | null = null;
  if (options.doubleQuant) {
    let sum = 0;
    for (let b = 0; b < nb; b++) sum += absmax[b];
    const offset = f32(sum / nb);
    const centered = new Float32Array(nb);
    for (let b = 0; b < nb; b++) centered[b] = absmax[b] - offset;
    const q2 = quantizeBlockwiseDynamic(centered, dqBlock);
    doubleQuant = { qAbsmax: q2.codes, absmax2: q2.absmax, offset, blockSize: dqBlock, code: q2.code };
  }
  return { shape: shape ?? [n], n, blockSize, packed, absmax: doubleQuant ? null : absmax, doubleQuant };
}

/**
 * The float32 absmax per block that {@link nf4Dequantize} uses: stored as is, or
 * reconstructed from the double quantization (`f32(f32(code[q] * absmax2) + offset)`).
 *
 * @example
 * nf4.blockAbsmax(nf4.quantize(w, { doubleQuant: true })); // Float32Array(ceil(n / 64))
 */
export function nf4BlockAbsmax(q: Nf4Tensor): Float32Array {
  const nb = checkNf4(q, 'nf4.blockAbsmax(q)');
  if (q.absmax) return q.absmax;
  const dq = q.doubleQuant!;
  const out = new Float32Array(nb);
  for (let b = 0; b < nb; b++) out[b] = f32(dq.code[dq.qAbsmax[b]] * dq.absmax2[Math.floor(b / dq.blockSize)]) + dq.offset;
  return out;
}

function checkNf4(q: Nf4Tensor, what: string): number {
  if (typeof q !== 'object' || q === null || !(q.packed instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what} must be an Nf4Tensor returned by nf4.quantize.`);
  }
  checkPositiveInt(q.n, `${what}.n`);
  checkPositiveInt(q.blockSize, `${what}.blockSize`);
  if (q.packed.length !== (q.n + 1) >> 1) {
    throw new ShapeMismatchError(`${what}.packed has ${q.packed.length} bytes but ${q.n} NF4 values need ${(q.n + 1) >> 1}.`);
  }
  const nb = Math.ceil(q.n / q.blockSize);
  if (q.absmax) {
    if (q.absmax.length !== nb) throw new ShapeMismatchError(`${what}.absmax has ${q.absmax.length} values but ${nb} blocks need ${nb}.`);
  } else {
    const dq = q.doubleQuant;
    if (!dq) throw new InvalidArgumentError(`${what} has neither absmax nor doubleQuant; pass the object nf4.quantize returned.`);
    if (dq.qAbsmax.length !== nb || dq.absmax2.length !== Math.ceil(nb / dq.blockSize)) {
      throw new ShapeMismatchError(`${what}.doubleQuant must hold ${nb} codes and ${Math.ceil(nb / dq.blockSize)} second-level absmax values.`);
    }
  }
  return nb;
}

/**
 * Dequantize NF4 to float32: `f32(NF4_CODEBOOK[code] * absmax[block])`.
 *
 * @throws {InvalidArgumentError} `invalid_argument` / {ShapeMismatchError} `shape_mismatch` for a malformed `q`.
 * @example
 * const w = nf4.dequantize(nf4.quantize(values)); // Float32Array(values.length)
 */
export function nf4Dequantize(q: Nf4Tensor): Float32Array {
  const absmax = nf4BlockAbsmax(q);
  const out = new Float32Array(q.n);
  for (let i = 0; i < q.n; i++) {
    const byte = q.packed[i >> 1];
    const c = (i & 1) === 0 ? byte >> 4 : byte & 0xf;
    out[i] = NF4_CODEBOOK[c] * absmax[Math.floor(i / q.blockSize)];
  }
  return out;
}

/**
 * The NF4 codes (0..15), one per element, unpacked from `q.packed`.
 *
 * @example
 * nf4.codes(nf4.quantize([0, 1, -1])); // Uint8Array [7, 15, 0]
 */
export function nf4Codes(q: Nf4Tensor): Uint8Array {
  checkNf4(q, 'nf4.codes(q)');
  const out = new Uint8Array(q.n);
  for (let i = 0; i < q.n; i++) out[i] = (i & 1) === 0 ? q.packed[i >> 1] >> 4 : q.packed[i >> 1] & 0xf;
  return out;
}

/** Options of {@link nf4BytesPerWeight}. */
export interface Nf4StorageOptions {
  blockSize?: number;
  doubleQuant?: boolean;
  doubleQuantBlockSize?: number;
}

/**
 * Average storage per weight in bytes for NF4 (for memory reports such as QLoRA's):
 * 0.5 byte of code plus the block scales, `4 / blockSize` (float32 absmax) or, with double
 * quantization, `(1 + 4 / doubleQuantBlockSize) / blockSize` (8-bit absmax + float32
 * second-level absmax). Blocksize 64: 0.5625 B = 4.5 bits without, 0.5159 B = 4.127 bits with
 * double quantization (QLoRA paper §3). Per-tensor constants (the offset, the 16-value
 * codebook) are not included.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for a non-positive block size.
 * @example
 * nf4.bytesPerWeight({ doubleQuant: true }) * 7e9 / 2 ** 30; // ≈ 3.36 GiB for a 7B model
 */
export function nf4BytesPerWeight(options: Nf4StorageOptions = {}): number {
  const bs = options.blockSize ?? 64;
  const dbs = options.doubleQuantBlockSize ?? 256;
  checkPositiveInt(bs, 'nf4.bytesPerWeight: options.blockSize');
  checkPositiveInt(dbs, 'nf4.bytesPerWeight: options.doubleQuantBlockSize');
  return 0.5 + (options.doubleQuant ? (1 + 4 / dbs) / bs : 4 / bs);
}

/**
 * Exact storage of one {@link Nf4Tensor} in bytes: packed codes, absmax (float32) or the
 * double-quantized absmax (uint8 codes + float32 second-level absmax + float32 offset).
 *
 * @example
 * nf4.storageBytes(nf4.quantize(new Float32Array(4096), { doubleQuant: true })); // 2048 + 64 + 4 + 4
 */
export function nf4StorageBytes(q: Nf4Tensor): number {
  checkNf4(q, 'nf4.storageBytes(q)');
  const scales = q.absmax ? q.absmax.byteLength : q.doubleQuant!.qAbsmax.byteLength + q.doubleQuant!.absmax2.byteLength + 4;
  return q.packed.byteLength + scales;
}

/**
 * NF4 in one object, as the QLoRA code uses it.
 *
 * @example
 * import { nf4 } from '@llmkit/quantization';
 * const q = nf4.quantize(w, { blockSize: 64, doubleQuant: true });
 * const wHat = nf4.dequantize(q);
 * nf4.bytesPerWeight({ doubleQuant: true }); // 0.5159
 */
export const nf4 = {
  CODEBOOK: NF4_CODEBOOK,
  THRESHOLDS: NF4_THRESHOLDS,
  quantize: nf4Quantize,
  dequantize: nf4Dequantize,
  quantizeValue: nf4QuantizeValue,
  codes: nf4Codes,
  blockAbsmax: nf4BlockAbsmax,
  bytesPerWeight: nf4BytesPerWeight,
  storageBytes: nf4StorageBytes,
} as const;
