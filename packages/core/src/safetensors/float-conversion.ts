/**
 * float32 <-> float16 / bfloat16 conversion on raw bit patterns.
 *
 * Encoding rounds to nearest, ties to even, exactly like numpy's
 * `astype(np.float16)` and PyTorch's `.to(torch.float16 | torch.bfloat16)`:
 * float16 results may be subnormal (rounded once, no double rounding), values
 * at or past the overflow threshold become +-Infinity, and -0 keeps its sign.
 * NaN becomes a quiet NaN with the input's sign (`0x7e00`/`0xfe00` for float16,
 * `0x7fc0`/`0xffc0` for bfloat16); NaN payloads are not carried over.
 * Decoding is exact (every float16 and bfloat16 value is a float32 value).
 */

const scratch = new ArrayBuffer(4);
const scratchF32 = new Float32Array(scratch);
const scratchU32 = new Uint32Array(scratch);

/** Bits of the float32 nearest `value` (JS numbers are float64; this rounds to nearest even first). */
function float32Bits(value: number): number {
  scratchF32[0] = value;
  return scratchU32[0];
}

function bitsToFloat32(bits: number): number {
  scratchU32[0] = bits;
  return scratchF32[0];
}

/** float32 bit pattern -> float16 bit pattern, round to nearest even. */
function f32BitsToF16Bits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exponent = (x >>> 23) & 0xff;
  const mantissa = x & 0x7fffff;
  if (exponent === 0xff) return sign | (mantissa !== 0 ? 0x7e00 : 0x7c00);
  // Half exponent field if the value were normal in float16.
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // |x| >= 65536: overflows even before rounding
  if (e <= 0) {
    // Subnormal float16 (or zero): value = m * 2^-24 with m = M * 2^(e - 14), M the full significand.
    if (e < -10) return sign; // |x| < 2^-25: rounds to zero (2^-25 itself is a tie, handled below)
    const significand = mantissa | 0x800000;
    const shift = 14 - e; // 14..24
    let m = significand >>> shift;
    const remainder = significand & ((1 << shift) - 1);
    const half = 1 << (shift - 1);
    if (remainder > half || (remainder === half && (m & 1) === 1)) m += 1; // may carry into the smallest normal: still correct
    return sign | m;
  }
  let h = (e << 10) | (mantissa >>> 13);
  const remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder === 0x1000 && (h & 1) === 1)) h += 1; // carry may reach 0x7c00 = Infinity: correct
  return sign | h;
}

/** float32 bit pattern -> bfloat16 bit pattern, round to nearest even. */
function f32BitsToBf16Bits(x: number): number {
  if ((x & 0x7f800000) === 0x7f800000 && (x & 0x7fffff) !== 0) return ((x >>> 16) & 0x8000) | 0x7fc0;
  const bias = 0x7fff + ((x >>> 16) & 1);
  return Math.floor((x + bias) / 0x10000); // x is unsigned; the largest finite sum stays below 2^32
}

function f16BitsToF32Bits(h: number): number {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >>> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0x1f) return (sign | 0x7f800000 | (mantissa << 13)) >>> 0;
  if (exponent !== 0) return (sign | ((exponent - 15 + 127) << 23) | (mantissa << 13)) >>> 0;
  if (mantissa === 0) return sign >>> 0;
  // Subnormal: normalise the mantissa.
  let e = -14;
  let m = mantissa;
  while ((m & 0x400) === 0) {
    m <<= 1;
    e -= 1;
  }
  return (sign | ((e + 127) << 23) | ((m & 0x3ff) << 13)) >>> 0;
}

let f16Table: Float32Array | undefined;

/** All 65536 float16 values as float32, built on first use (256 KiB). */
function float16Table(): Float32Array {
  if (f16Table === undefined) {
    const bits = new Uint32Array(65536);
    for (let h = 0; h < 65536; h++) bits[h] = f16BitsToF32Bits(h);
    f16Table = new Float32Array(bits.buffer);
  }
  return f16Table;
}

/**
 * Round a number to float16 and return its 16-bit pattern (round to nearest
 * even, overflow to +-Infinity, subnormals kept). The number is first rounded to
 * float32, as it would be when stored in a float32 tensor.
 *
 * @throws Never.
 * @example
 * float32ToFloat16Bits(1); // 0x3c00
 * float32ToFloat16Bits(65520); // 0x7c00 (Infinity)
 */
export function float32ToFloat16Bits(value: number): number {
  return f32BitsToF16Bits(float32Bits(value));
}

/**
 * The float32 value of a float16 bit pattern (exact).
 *
 * @throws Never.
 * @example
 * float16BitsToFloat32(0x3555); // 0.333251953125
 */
export function float16BitsToFloat32(bits: number): number {
  return bitsToFloat32(f16BitsToF32Bits(bits & 0xffff));
}

/**
 * Round a number to bfloat16 and return its 16-bit pattern (round to nearest
 * even, like PyTorch's `.to(torch.bfloat16)`).
 *
 * @throws Never.
 * @example
 * float32ToBfloat16Bits(1); // 0x3f80
 */
export function float32ToBfloat16Bits(value: number): number {
  return f32BitsToBf16Bits(float32Bits(value));
}

/**
 * The float32 value of a bfloat16 bit pattern (exact: the bits become the top half of a float32).
 *
 * @throws Never.
 * @example
 * bfloat16BitsToFloat32(0x3f80); // 1
 */
export function bfloat16BitsToFloat32(bits: number): number {
  return bitsToFloat32(((bits & 0xffff) << 16) >>> 0);
}

/** Float32 bit patterns of `values`, without a per-element detour through float64 for float32 input. */
function float32BitsOf(values: ArrayLike<number>): Uint32Array {
  if (values instanceof Float32Array) return new Uint32Array(values.buffer, values.byteOffset, values.length);
  return new Uint32Array(Float32Array.from(values).buffer);
}

/**
 * Encode numbers as float16 bit patterns (see {@link float32ToFloat16Bits}).
 * A `Float32Array` is read bit-exactly.
 *
 * @throws Never.
 * @example
 * encodeFloat16(new Float32Array([1, -2, 0.1])); // Uint16Array [0x3c00, 0xc000, 0x2e66]
 */
export function encodeFloat16(values: ArrayLike<number>): Uint16Array {
  const bits = float32BitsOf(values);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToF16Bits(bits[i]);
  return out;
}

/**
 * Decode float16 bit patterns to float32 values (exact).
 *
 * @throws Never.
 * @example
 * decodeFloat16(new Uint16Array([0x3c00, 0x7c00])); // Float32Array [1, Infinity]
 */
export function decodeFloat16(bits: ArrayLike<number>): Float32Array {
  const table = float16Table();
  const out = new Float32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = table[bits[i] & 0xffff];
  return out;
}

/**
 * Encode numbers as bfloat16 bit patterns (see {@link float32ToBfloat16Bits}).
 * A `Float32Array` is read bit-exactly.
 *
 * @throws Never.
 * @example
 * encodeBfloat16(new Float32Array([1, 3.14159])); // Uint16Array [0x3f80, 0x4049]
 */
export function encodeBfloat16(values: ArrayLike<number>): Uint16Array {
  const bits = float32BitsOf(values);
  const out = new Uint16Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = f32BitsToBf16Bits(bits[i]);
  return out;
}

/**
 * Decode bfloat16 bit patterns to float32 values (exact).
 *
 * @throws Never.
 * @example
 * decodeBfloat16(new Uint16Array([0x3f80, 0x4049])); // Float32Array [1, 3.140625]
 */
export function decodeBfloat16(bits: ArrayLike<number>): Float32Array {
  const out = new Uint32Array(bits.length);
  for (let i = 0; i < bits.length; i++) out[i] = ((bits[i] & 0xffff) << 16) >>> 0;
  return new Float32Array(out.buffer);
}
