/**
 * Integer quantization of float32 tensors: absmax (symmetric) or zero-point (affine),
 * int8 or int4, with one scale per tensor, per channel or per group.
 *
 * The quantize step is PyTorch's `torch.quantize_per_tensor` / `torch.quantize_per_channel`
 * (ATen `quantize_val` -> `fbgemm::Quantize<int8, LEGACY=false>`), in float32:
 *
 *   q = clamp(zp + roundHalfEven(f32(x * f32(1 / scale))), qmin, qmax)
 *   x̂ = f32((q - zp) * scale)
 *
 * with `[qmin, qmax] = [-128, 127]` (int8) or `[-8, 7]` (int4). Scales are float32; see
 * {@link absmaxScale} and {@link zeroPointParams} for how they are chosen. Tests compare
 * integers, scales, zero points and dequantized values with PyTorch bit for bit
 * (tools/fixtures/gen_quant_basics.py).
 */
import { tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { absmaxScale, qmaxOf, qminOf } from './absmax.js';
import { packInt4, unpackInt4 } from './pack.js';
import { zeroPointParams } from './zero-point.js';
import { checkPositiveInt, checkShape, f32, normalizeAxis, roundHalfEven, toFiniteFloat32 } from './util.js';

/** Bit width of {@link quantizeTensor}. */
export type QuantBits = 8 | 4;
/** `absmax`: symmetric, zero point 0. `zeropoint`: affine with an integer zero point. */
export type QuantScheme = 'absmax' | 'zeropoint';
/** One scale for the whole tensor, one per slice along `axis`, or one per `groupSize` consecutive elements along `axis`. */
export type QuantGranularity = 'tensor' | 'channel' | 'group';

/** Options of {@link quantizeTensor}. */
export interface QuantizeTensorOptions {
  /** 8 (stored as Int8Array) or 4 (packed two per byte, see {@link packInt4}). */
  bits: QuantBits;
  /** Default `'absmax'`. */
  scheme?: QuantScheme;
  /** Default `'tensor'`. */
  granularity?: QuantGranularity;
  /**
   * `channel`: the axis that indexes channels (default 0, the output dim of a `[out, in]`
   * weight, like `torch.quantize_per_channel(w, ..., axis=0)`). `group`: the axis along which
   * consecutive elements are grouped (default -1, the input dim). Negative values count from the end.
   */
  axis?: number;
  /** Elements per group for `granularity: 'group'` (required there); must divide `shape[axis]`. */
  groupSize?: number;
}

/** A quantized tensor produced by {@link quantizeTensor}. */
export interface QuantizedTensor {
  readonly bits: QuantBits;
  readonly scheme: QuantScheme;
  readonly granularity: QuantGranularity;
  /** The channel / group axis (non-negative); 0 for `granularity: 'tensor'`. */
  readonly axis: number;
  /** Elements per group (`group`), else 0. */
  readonly groupSize: number;
  readonly shape: readonly number[];
  /**
   * The integers: an Int8Array with one value per element (bits 8), or a Uint8Array of
   * `ceil(n / 2)` bytes with two int4 per byte, low nibble first, two's complement (bits 4).
   */
  readonly q: Int8Array | Uint8Array;
  /**
   * float32 scales: 1 (`tensor`), `shape[axis]` (`channel`) or one per group ordered as
   * (outer index, group index along `axis`, inner index) (`group`; for the last axis of a
   * `[rows, cols]` matrix that is row-major `[rows, cols / groupSize]`).
   */
  readonly scales: Float32Array;
  /** Zero points, one per scale (`zeropoint` scheme only). */
  readonly zeroPoints?: Int32Array;
}

/** Element -> scale-index mapping of a layout. */
interface Layout {
  outer: number;
  dim: number;
  inner: number;
  groups: number;
  group: (i: number) => number;
}

function layoutOf(shape: readonly number[], granularity: QuantGranularity, axis: number, groupSize: number): Layout {
  let outer = 1;
  for (let d = 0; d < axis; d++) outer *= shape[d];
  let inner = 1;
  for (let d = axis + 1; d < shape.length; d++) inner *= shape[d];
  const dim = shape[axis];
  if (granularity === 'tensor') return { outer, dim, inner, groups: 1, group: () => 0 };
  if (granularity === 'channel') return { outer, dim, inner, groups: dim, group: (i) => Math.floor(i / inner) % dim };
  const perAxis = dim / groupSize;
  return {
    outer,
    dim,
    inner,
    groups: outer * perAxis * inner,
    group: (i) => {
      const o = Math.floor(i / (dim * inner));
      const a = Math.floor(i / inner) % dim;
      return (o * perAxis + Math.floor(a / groupSize)) * inner + (i % inner);
    },
  };
}

function resolveOptions(shape: readonly number[], options: QuantizeTensorOptions, what: string) {
  if (typeof options !== 'object' || options === null) {
    throw new InvalidArgumentError(`${what}(options) must be an object such as { bits: 8, scheme: 'absmax', granularity: 'channel' }.`);
  }
  const { bits } = options;
  if (bits !== 8 && bits !== 4) throw new InvalidArgumentError(`${what}: options.bits must be 8 or 4, got ${String(bits)}.`);
  const scheme = options.scheme ?? 'absmax';
  if (scheme !== 'absmax' && scheme !== 'zeropoint') {
    throw new InvalidArgumentError(`${what}: options.scheme must be 'absmax' or 'zeropoint', got ${String(scheme)}.`);
  }
  const granularity = options.granularity ?? 'tensor';
  if (granularity !== 'tensor' && granularity !== 'channel' && granularity !== 'group') {
    throw new InvalidArgumentError(`${what}: options.granularity must be 'tensor', 'channel' or 'group', got ${String(granularity)}.`);
  }
  let axis = 0;
  let groupSize = 0;
  if (granularity === 'channel') axis = normalizeAxis(options.axis ?? 0, shape.length, `${what}: options.axis`);
  if (granularity === 'group') {
    axis = normalizeAxis(options.axis ?? -1, shape.length, `${what}: options.axis`);
    checkPositiveInt(options.groupSize, `${what}: options.groupSize (required for granularity 'group')`);
    groupSize = options.groupSize;
    if (shape[axis] % groupSize !== 0) {
      throw new InvalidArgumentError(
        `${what}: options.groupSize ${groupSize} must divide shape[${axis}] = ${shape[axis]}; pick a divisor (e.g. 32, 64, 128) or pad the tensor.`,
      );
    }
  }
  return { bits, scheme, granularity, axis, groupSize } as const;
}

/**
 * Quantize a float32 tensor to int8 or int4.
 *
 * absmax: `scale = max|x| / qmax` per group (qmax 127 or 7), zero point 0.
 * zeropoint: `scale = (max' - min') / (2^b - 1)`, `zp = qmin - round(min' / scale)` with the
 * range widened to contain 0 (PyTorch's MinMaxObserver). Then
 * `q = clamp(zp + roundHalfEven(x * (1 / scale)), qmin, qmax)` in float32 as PyTorch.
 *
 * @param values row-major float32 data (non-finite values are rejected)
 * @param shape dimensions; their product must equal `values.length`
 * @param options bit width, scheme, granularity, axis, group size
 * @throws {InvalidArgumentError} `invalid_argument` for bad options, shapes or non-finite values.
 * @throws {ShapeMismatchError} `shape_mismatch` when `values.length` does not match `shape`.
 * @example
 * const w = Float32Array.from([0.5, -1, 0.25, 2]);
 * const qt = quantizeTensor(w, [2, 2], { bits: 8, scheme: 'absmax', granularity: 'channel' });
 * qt.q;      // Int8Array [64, -127, 16, 127]
 * qt.scales; // Float32Array [1/127, 2/127]
 * dequantizeTensor(qt); // ≈ [0.5039, -1, 0.2520, 2]
 */
export function quantizeTensor(values: Float32Array | readonly number[], shape: readonly number[], options: QuantizeTensorOptions): QuantizedTensor {
  const n = checkShape(shape, 'quantizeTensor(shape)');
  const x = toFiniteFloat32(values, 'quantizeTensor(values)', n);
  const { bits, scheme, granularity, axis, groupSize } = resolveOptions(shape, options, 'quantizeTensor');
  const layout = layoutOf(shape, granularity, axis, groupSize);
  const G = layout.groups;
  const gid = new Int32Array(n);
  for (let i = 0; i < n; i++) gid[i] = layout.group(i);

  // Per-group statistics.
  const lo = new Float32Array(G).fill(Infinity);
  const hi = new Float32Array(G).fill(-Infinity);
  for (let i = 0; i < n; i++) {
    const g = gid[i];
    const v = x[i];
    if (v < lo[g]) lo[g] = v;
    if (v > hi[g]) hi[g] = v;
  }
  const scales = new Float32Array(G);
  const zps = new Int32Array(G);
  for (let g = 0; g < G; g++) {
    if (scheme === 'absmax') {
      scales[g] = absmaxScale(Math.max(-lo[g], hi[g]), bits);
    } else {
      const p = zeroPointParams(lo[g], hi[g], bits);
      scales[g] = p.scale;
      zps[g] = p.zeroPoint;
    }
  }
  const inv = new Float32Array(G);
  for (let g = 0; g < G; g++) inv[g] = f32(1 / scales[g]);

  const qmin = qminOf(bits);
  const qmax = qmaxOf(bits);
  const q = new Int8Array(n);
  for (let i = 0; i < n; i++) {
    const g = gid[i];
    let v = zps[g] + roundHalfEven(f32(x[i] * inv[g]));
    if (v < qmin) v = qmin;
    else if (v > qmax) v = qmax;
    q[i] = v;
  }
  return {
    bits,
    scheme,
    granularity,
    axis: granularity === 'tensor' ? 0 : axis,
    groupSize,
    shape: [...shape],
    q: bits === 8 ? q : packInt4(q),
    scales,
    ...(scheme === 'zeropoint' ? { zeroPoints: zps } : {}),
  };
}

/**
 * The integer values of a quantized tensor, one per element (unpacks int4).
 *
 * @throws {InvalidArgumentError} `invalid_argument` when `qt` is malformed.
 * @example
 * quantizedValues(quantizeTensor(w, [4, 8], { bits: 4 })); // Int8Array of 32 values in [-8, 7]
 */
export function quantizedValues(qt: QuantizedTensor): Int8Array {
  const n = checkQuantized(qt, 'quantizedValues(qt)');
  return qt.bits === 8 ? (qt.q as Int8Array) : unpackInt4(qt.q as Uint8Array, n);
}

function checkQuantized(qt: QuantizedTensor, what: string): number {
  if (typeof qt !== 'object' || qt === null || (qt.bits !== 8 && qt.bits !== 4)) {
    throw new InvalidArgumentError(`${what} must be a QuantizedTensor returned by quantizeTensor (bits 8 or 4).`);
  }
  const n = checkShape(qt.shape, `${what}.shape`);
  const expectBytes = qt.bits === 8 ? n : (n + 1) >> 1;
  if (qt.bits === 8 ? !(qt.q instanceof Int8Array) : !(qt.q instanceof Uint8Array)) {
    throw new InvalidArgumentError(`${what}.q must be an ${qt.bits === 8 ? 'Int8Array' : 'Uint8Array of packed int4'} for bits ${qt.bits}.`);
  }
  if (qt.q.length !== expectBytes) {
    throw new ShapeMismatchError(`${what}.q has ${qt.q.length} entries but shape [${qt.shape.join(', ')}] at ${qt.bits} bits needs ${expectBytes}.`);
  }
  const axis = qt.granularity === 'tensor' ? 0 : normalizeAxis(qt.axis, qt.shape.length, `${what}.axis`);
  if (qt.granularity === 'group') checkPositiveInt(qt.groupSize, `${what}.groupSize`);
  if (qt.granularity === 'group' && qt.shape[axis] % qt.groupSize !== 0) {
    throw new ShapeMismatchError(`${what}.groupSize ${qt.groupSize} does not divide shape[${axis}] = ${qt.shape[axis]}.`);
  }
  const G = layoutOf(qt.shape, qt.granularity, axis, qt.groupSize).groups;
  if (!(qt.scales instanceof Float32Array) || qt.scales.length !== G) {
    throw new ShapeMismatchError(`${what}.scales must be a Float32Array of ${G} scales for ${qt.granularity} granularity.`);
  }
  if (qt.zeroPoints !== undefined && (!(qt.zeroPoints instanceof Int32Array) || qt.zeroPoints.length !== G)) {
    throw new ShapeMismatchError(`${what}.zeroPoints must be an Int32Array of ${G} zero points.`);
  }
  if (qt.scheme === 'zeropoint' && qt.zeroPoints === undefined) {
    throw new InvalidArgumentError(`${what}.zeroPoints is required for the 'zeropoint' scheme.`);
  }
  return n;
}

/**
 * Reconstruct float32 values: `x̂ = f32((q - zp) * scale)` per element (PyTorch's `dequantize`).
 *
 * @throws {InvalidArgumentError} `invalid_argument` when `qt` is malformed.
 * @throws {ShapeMismatchError} `shape_mismatch` when its arrays disagree with its shape.
 * @example
 * const qt = quantizeTensor(w, [16, 64], { bits: 4, scheme: 'zeropoint', granularity: 'group', groupSize: 32 });
 * const wHat = dequantizeTensor(qt); // Float32Array(1024)
 */
export function dequantizeTensor(qt: QuantizedTensor): Float32Array {
  const n = checkQuantized(qt, 'dequantizeTensor(qt)');
  const q = qt.bits === 8 ? (qt.q as Int8Array) : unpackInt4(qt.q as Uint8Array, n);
  const layout = layoutOf(qt.shape, qt.granularity, qt.axis, qt.groupSize);
  const out = new Float32Array(n);
  const zp = qt.zeroPoints;
  for (let i = 0; i < n; i++) {
    const g = layout.group(i);
    out[i] = (q[i] - (zp ? zp[g] : 0)) * qt.scales[g];
  }
  return out;
}

/**
 * Quantize then dequantize ("fake quantization"): the float32 values the quantized tensor represents.
 *
 * @example
 * const wq = fakeQuantize(w, [out, inF], { bits: 4, granularity: 'group', groupSize: 128 });
 */
export function fakeQuantize(values: Float32Array | readonly number[], shape: readonly number[], options: QuantizeTensorOptions): Float32Array {
  return dequantizeTensor(quantizeTensor(values, shape, options));
}

/**
 * Storage size of a quantized tensor in bytes: the integers, float32 scales and (for the
 * zero-point scheme) one zero point per scale counted at `bits` bits, rounded up.
 *
 * @example
 * quantizedTensorBytes(quantizeTensor(w, [4096, 4096], { bits: 4, granularity: 'group', groupSize: 128 }));
 */
export function quantizedTensorBytes(qt: QuantizedTensor): number {
  checkQuantized(qt, 'quantizedTensorBytes(qt)');
  const zpBytes = qt.zeroPoints ? Math.ceil((qt.zeroPoints.length * qt.bits) / 8) : 0;
  return qt.q.byteLength + qt.scales.length * 4 + zpBytes;
}

/**
 * {@link quantizeTensor} for a float32 `tf.Tensor` (reads its data synchronously).
 *
 * @throws {InvalidArgumentError} `invalid_argument` when `x` is not a float32 tensor.
 * @example
 * const qt = quantizeTf(linear.weight, { bits: 8, granularity: 'channel' });
 */
export function quantizeTf(x: tf.Tensor, options: QuantizeTensorOptions): QuantizedTensor {
  if (!(x instanceof tf.Tensor) || x.dtype !== 'float32') {
    throw new InvalidArgumentError('quantizeTf(x) must be a float32 tf.Tensor; cast with tf.cast(x, "float32").');
  }
  if (x.rank === 0) throw new InvalidArgumentError('quantizeTf(x) must have rank >= 1; reshape a scalar to [1].');
  return quantizeTensor(x.dataSync() as Float32Array, x.shape, options);
}

/**
 * {@link dequantizeTensor} returning a float32 `tf.Tensor` of the original shape.
 *
 * @example
 * const w = dequantizeTf(qt); // tf.Tensor, caller disposes
 */
export function dequantizeTf(qt: QuantizedTensor): tf.Tensor {
  const values = dequantizeTensor(qt);
  return tf.tensor(values, [...qt.shape], 'float32');
}
