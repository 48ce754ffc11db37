/**
 * ggml's legacy 32-element block formats Q4_0, Q4_1, Q5_0, Q5_1, Q8_0 and Q8_1, as
 * {@link GgmlTypeTraits}. `quantize` reproduces `quantize_row_<type>_ref` (ggml-quants.c)
 * byte for byte and `dequantize` reproduces `dequantize_row_<type>` bit for bit:
 * every float expression is rounded to float32 (`Math.fround`) where C rounds it, the
 * scale goes through float16 with round-to-nearest-even, and float-to-integer casts
 * truncate like the x86 `cvttss2si` C compilers emit.
 *
 * Block layouts (little-endian, `d`/`m`/`s` float16):
 *   Q4_0 [d][qs 16]            q = nibble - 8,        x = q*d
 *   Q4_1 [d][m][qs 16]         q = nibble,            x = q*d + m
 *   Q5_0 [d][qh u32][qs 16]    q = nibble|bit<<4 - 16, x = q*d
 *   Q5_1 [d][m][qh u32][qs 16] q = nibble|bit<<4,     x = q*d + m
 *   Q8_0 [d][qs int8 32]       x = q*d
 *   Q8_1 [d][s][qs int8 32]    x = q*d, s = d * sum(q) (used by ggml's dot products)
 * Element j (< 16) of a 4/5-bit block sits in the low nibble of qs[j], element j + 16 in
 * the high nibble; bit j of qh is the fifth bit of element j.
 */
import { float16BitsToFloat32, float32ToFloat16Bits } from '@llmkit/core';
import { f32, makeTraits } from './float.js';
import type { GgmlTypeTraits } from './types.js';

const FLT_MAX = 3.4028234663852886e38;

/**
 * C's `(int8_t)(float)` on x86: truncate toward zero to int32 (NaN and out-of-range give
 * INT32_MIN, `cvttss2si`'s "integer indefinite"), then keep the low byte, sign-extended.
 */
function toInt8(x: number): number {
  let t = Math.trunc(x);
  if (!(t >= -2147483648 && t <= 2147483647)) t = -2147483648;
  return (t << 24) >> 24;
}

/** C's `roundf`: round half away from zero. */
function roundf(x: number): number {
  return x < 0 ? -Math.floor(-x + 0.5) : Math.floor(x + 0.5);
}

function putF16(out: Uint8Array, at: number, value: number): void {
  const h = float32ToFloat16Bits(value);
  out[at] = h & 0xff;
  out[at + 1] = h >>> 8;
}

function getF16(bytes: Uint8Array, at: number): number {
  return float16BitsToFloat32(bytes[at] | (bytes[at + 1] << 8));
}

/** Absolute max of a block and the signed value that attains it first (`amax < fabsf(v)`). */
function signedAbsMax(x: Float32Array, start: number, n: number): number {
  let amax = 0;
  let max = 0;
  for (let j = 0; j < n; j++) {
    const v = x[start + j];
    const a = Math.abs(v);
    if (amax < a) {
      amax = a;
      max = v;
    }
  }
  return max;
}

function minMax(x: Float32Array, start: number, n: number): [number, number] {
  let min = FLT_MAX;
  let max = -FLT_MAX;
  for (let j = 0; j < n; j++) {
    const v = x[start + j];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return [min, max];
}

function quantizeQ4_0(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 18);
  for (let i = 0; i < nb; i++) {
    const s = i * 32;
    const o = i * 18;
    const d = f32(signedAbsMax(x, s, 32) / -8);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(out, o, d);
    for (let j = 0; j < 16; j++) {
      const x0 = f32(x[s + j] * id);
      const x1 = f32(x[s + 16 + j] * id);
      const q0 = Math.min(15, toInt8(f32(x0 + 8.5))) & 0xff;
      const q1 = Math.min(15, toInt8(f32(x1 + 8.5))) & 0xff;
      out[o + 2 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

function dequantizeQ4_0(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / 32;
  const y = new Float32Array(count);
  for (let i = 0; i < nb; i++) {
    const o = i * 18;
    const d = getF16(bytes, o);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 2 + j];
      y[i * 32 + j] = ((q & 0x0f) - 8) * d;
      y[i * 32 + 16 + j] = ((q >>> 4) - 8) * d;
    }
  }
  return y;
}

function quantizeQ4_1(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 20);
  for (let i = 0; i < nb; i++) {
    const s = i * 32;
    const o = i * 20;
    const [min, max] = minMax(x, s, 32);
    const d = f32(f32(max - min) / 15);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(out, o, d);
    putF16(out, o + 2, min);
    for (let j = 0; j < 16; j++) {
      const x0 = f32(f32(x[s + j] - min) * id);
      const x1 = f32(f32(x[s + 16 + j] - min) * id);
      const q0 = Math.min(15, toInt8(f32(x0 + 0.5))) & 0xff;
      const q1 = Math.min(15, toInt8(f32(x1 + 0.5))) & 0xff;
      out[o + 4 + j] = q0 | (q1 << 4);
    }
  }
  return out;
}

function dequantizeQ4_1(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / 32;
  const y = new Float32Array(count);
  for (let i = 0; i < nb; i++) {
    const o = i * 20;
    const d = getF16(bytes, o);
    const m = getF16(bytes, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 4 + j];
      y[i * 32 + j] = f32((q & 0x0f) * d) + m;
      y[i * 32 + 16 + j] = f32((q >>> 4) * d) + m;
    }
  }
  return y;
}

function quantizeQ5_0(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 22);
  for (let i = 0; i < nb; i++) {
    const s = i * 32;
    const o = i * 22;
    const d = f32(signedAbsMax(x, s, 32) / -16);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(out, o, d);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = f32(x[s + j] * id);
      const x1 = f32(x[s + 16 + j] * id);
      const q0 = Math.min(31, toInt8(f32(x0 + 16.5))) & 0xff;
      const q1 = Math.min(31, toInt8(f32(x1 + 16.5))) & 0xff;
      out[o + 6 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    out[o + 2] = qh & 0xff;
    out[o + 3] = (qh >>> 8) & 0xff;
    out[o + 4] = (qh >>> 16) & 0xff;
    out[o + 5] = (qh >>> 24) & 0xff;
  }
  return out;
}

function readQh(bytes: Uint8Array, at: number): number {
  return (bytes[at] | (bytes[at + 1] << 8) | (bytes[at + 2] << 16) | (bytes[at + 3] << 24)) >>> 0;
}

function dequantizeQ5_0(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / 32;
  const y = new Float32Array(count);
  for (let i = 0; i < nb; i++) {
    const o = i * 22;
    const d = getF16(bytes, o);
    const qh = readQh(bytes, o + 2);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 6 + j];
      const h0 = ((qh >>> j) & 1) << 4;
      const h1 = ((qh >>> (j + 16)) & 1) << 4;
      y[i * 32 + j] = (((q & 0x0f) | h0) - 16) * d;
      y[i * 32 + 16 + j] = (((q >>> 4) | h1) - 16) * d;
    }
  }
  return y;
}

function quantizeQ5_1(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 24);
  for (let i = 0; i < nb; i++) {
    const s = i * 32;
    const o = i * 24;
    const [min, max] = minMax(x, s, 32);
    const d = f32(f32(max - min) / 31);
    const id = d !== 0 ? f32(1 / d) : 0;
    putF16(out, o, d);
    putF16(out, o + 2, min);
    let qh = 0;
    for (let j = 0; j < 16; j++) {
      const x0 = f32(f32(x[s + j] - min) * id);
      const x1 = f32(f32(x[s + 16 + j] - min) * id);
      // ggml casts straight to uint8_t here (no clamp); for finite input the result is <= 31.
      const q0 = toInt8(f32(x0 + 0.5)) & 0xff;
      const q1 = toInt8(f32(x1 + 0.5)) & 0xff;
      out[o + 8 + j] = (q0 & 0x0f) | ((q1 & 0x0f) << 4);
      qh |= ((q0 & 0x10) >>> 4) << j;
      qh |= ((q1 & 0x10) >>> 4) << (j + 16);
    }
    out[o + 4] = qh & 0xff;
    out[o + 5] = (qh >>> 8) & 0xff;
    out[o + 6] = (qh >>> 16) & 0xff;
    out[o + 7] = (qh >>> 24) & 0xff;
  }
  return out;
}

function dequantizeQ5_1(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / 32;
  const y = new Float32Array(count);
  for (let i = 0; i < nb; i++) {
    const o = i * 24;
    const d = getF16(bytes, o);
    const m = getF16(bytes, o + 2);
    const qh = readQh(bytes, o + 4);
    for (let j = 0; j < 16; j++) {
      const q = bytes[o + 8 + j];
      const h0 = ((qh >>> j) & 1) << 4;
      const h1 = ((qh >>> (j + 16)) & 1) << 4;
      y[i * 32 + j] = f32(((q & 0x0f) | h0) * d) + m;
      y[i * 32 + 16 + j] = f32(((q >>> 4) | h1) * d) + m;
    }
  }
  return y;
}

/** Shared by Q8_0 and Q8_1: scale d = amax / 127, q = roundf(x / d). Returns d. */
function quantize8(x: Float32Array, s: number, out: Uint8Array, qsAt: number): number {
  let amax = 0;
  for (let j = 0; j < 32; j++) {
    const a = Math.abs(x[s + j]);
    amax = amax > a ? amax : a; // MAX(amax, fabsf(v))
  }
  const d = f32(amax / 127);
  const id = d !== 0 ? f32(1 / d) : 0;
  for (let j = 0; j < 32; j++) out[qsAt + j] = toInt8(roundf(f32(x[s + j] * id))) & 0xff;
  return d;
}

function quantizeQ8_0(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 34);
  for (let i = 0; i < nb; i++) putF16(out, i * 34, quantize8(x, i * 32, out, i * 34 + 2));
  return out;
}

function dequantizeQ8(bytes: Uint8Array, count: number, typeSize: number, qsAt: number): Float32Array {
  const nb = count / 32;
  const y = new Float32Array(count);
  for (let i = 0; i < nb; i++) {
    const o = i * typeSize;
    const d = getF16(bytes, o);
    for (let j = 0; j < 32; j++) y[i * 32 + j] = ((bytes[o + qsAt + j] << 24) >> 24) * d;
  }
  return y;
}

function quantizeQ8_1(x: Float32Array): Uint8Array {
  const nb = x.length / 32;
  const out = new Uint8Array(nb * 36);
  for (let i = 0; i < nb; i++) {
    const o = i * 36;
    const d = quantize8(x, i * 32, out, o + 4);
    let sum = 0;
    for (let j = 0; j < 32; j++) sum += (out[o + 4 + j] << 24) >> 24;
    putF16(out, o, d);
    putF16(out, o + 2, f32(sum * d));
  }
  return out;
}


/**
 * Q4_0: 32 values per 18-byte block, 4-bit signed quants with one float16 scale
 * (`d = max / -8`, where `max` is the value of largest magnitude).
 *
 * @example
 * const bytes = Q4_0.quantize(new Float32Array(32).fill(1)); // 18 bytes
 * Q4_0.dequantize(bytes, 32); // all 1
 */
export const Q4_0: GgmlTypeTraits = makeTraits('Q4_0', quantizeQ4_0, dequantizeQ4_0);

/**
 * Q4_1: 32 values per 20-byte block, 4-bit unsigned quants with float16 scale and minimum
 * (`d = (max - min) / 15`).
 *
 * @example
 * Q4_1.quantize(new Float32Array(32)).length; // 20
 */
export const Q4_1: GgmlTypeTraits = makeTraits('Q4_1', quantizeQ4_1, dequantizeQ4_1);

/**
 * Q5_0: 32 values per 22-byte block, 5-bit signed quants (`d = max / -16`).
 *
 * @example
 * Q5_0.quantize(new Float32Array(64)).length; // 44
 */
export const Q5_0: GgmlTypeTraits = makeTraits('Q5_0', quantizeQ5_0, dequantizeQ5_0);

/**
 * Q5_1: 32 values per 24-byte block, 5-bit unsigned quants with scale and minimum
 * (`d = (max - min) / 31`).
 *
 * @example
 * Q5_1.quantize(new Float32Array(32)).length; // 24
 */
export const Q5_1: GgmlTypeTraits = makeTraits('Q5_1', quantizeQ5_1, dequantizeQ5_1);

/**
 * Q8_0: 32 values per 34-byte block, int8 quants (`d = amax / 127`, `q = roundf(x / d)`).
 *
 * @example
 * Q8_0.dequantize(Q8_0.quantize(new Float32Array(32).fill(0.5)), 32); // all 0.5
 */
export const Q8_0: GgmlTypeTraits = makeTraits('Q8_0', quantizeQ8_0, (b, n) => dequantizeQ8(b, n, 34, 2));

/**
 * Q8_1: like Q8_0 plus `s = d * sum(q)` in each 36-byte block (ggml uses it as the
 * activation side of Q4_1/Q5_1 dot products). ggml has no `dequantize_row_q8_1`;
 * dequantizing here returns `q * d`, ignoring `s`.
 *
 * @example
 * Q8_1.quantize(new Float32Array(32)).length; // 36
 */
export const Q8_1: GgmlTypeTraits = makeTraits('Q8_1', quantizeQ8_1, (b, n) => dequantizeQ8(b, n, 36, 4));
