/**
 * ggml's K-quant super-block formats Q2_K, Q3_K, Q4_K, Q5_K, Q6_K and Q8_K (256 values per
 * block) as {@link GgmlTypeTraits}. `quantize` reproduces `quantize_row_<type>_ref`
 * (ggml-quants.c) byte for byte and `dequantize` reproduces `dequantize_row_<type>` bit for
 * bit: the scale searches of k-quants-search.ts, float32 rounding at every C float
 * operation, `nearest_int`'s round-half-to-even, C's integer truncations on stores, and
 * float16 scales with round-to-nearest-even.
 *
 * Block layouts (little-endian; d/dmin float16 unless noted; 16 or 32 values per sub-block):
 *   Q2_K [scales 16][qs 64][d][dmin]          x = d*(sc&15)*q - dmin*(sc>>4), q 2 bits
 *   Q3_K [hmask 32][qs 64][scales 12][d]      x = d*(s6-32)*(q - 4*!hbit), s6 6-bit scale
 *   Q4_K [d][dmin][scales 12][qs 128]         x = d*s6*q - dmin*m6, q 4 bits, 8 sub-blocks of 32
 *   Q5_K [d][dmin][scales 12][qh 32][qs 128]  as Q4_K with a fifth bit from qh
 *   Q6_K [ql 128][qh 64][scales int8 16][d]   x = d*sc*(q - 32), q 6 bits
 *   Q8_K [d float32][qs int8 256][bsums int16 16]  x = d*q (bsums: sums of 16 quants, for dot products)
 * In Q2_K/Q3_K/Q6_K quant j of a 128-value half sits in byte j%32 at bit pair j/32; Q4_K/Q5_K
 * store value j of a 64-value chunk in the low nibble of byte j (j < 32) or the high nibble of
 * byte j-32; Q4_K/Q5_K's 6-bit scales/mins pack as ggml's `get_scale_min_k4` reads them.
 */
import { float16BitsToFloat32, float32ToFloat16Bits } from '@llmkit/core';
import { makeTraits } from './float.js';
import * as search from './k-quants-search.js';
import { QK_K as SHARED_QK_K, type GgmlTypeTraits } from './types.js';

// Module-local copies of imported bindings: transpilers (tsx, vitest) turn imported names into
// property reads on a module object, which would sit inside every hot loop.
const QK_K = 256;
const f32 = Math.fround;
if (SHARED_QK_K !== QK_K) throw new Error(`k-quants: QK_K is ${SHARED_QK_K}, expected 256`);
const { GROUP_MAX_EPS, makeQ3QuantsRmse, makeQkx2QuantsPair, makeQxQuantsRmse1Pair, nearestInt, qkx2Pair, qxPair } = search;

/** 1.5 * 2^52: (t + MAGIC) - MAGIC rounds t to an integer, ties to even (as nearest_int in range). */
const MAGIC = 6755399441055744;

/** 0.1f, the rdelta of every make_qkx2_quants call. */
const F01 = Math.fround(0.1);

// Scratch buffers reused by every block (quantizers are synchronous, so one set suffices).
const Lu = new Uint8Array(QK_K);
const Li = new Int8Array(QK_K);
const weightsA = new Float32Array(32);
const weightsB = new Float32Array(32);
const scales = new Float32Array(QK_K / 16);
const mins = new Float32Array(QK_K / 16);
/** Per-group output table of the dequantizers, read back as float32 bit patterns (exact copies). */
const table = new Float32Array(64);
const table32 = new Uint32Array(table.buffer);
const f32Scratch = new Float32Array(1);
const f32Bytes = new Uint8Array(f32Scratch.buffer);

function putF16(out: Uint8Array, at: number, value: number): void {
  const h = float32ToFloat16Bits(value);
  out[at] = h & 0xff;
  out[at + 1] = h >>> 8;
}

let f16Values: Float32Array | undefined;

/** All 65536 float16 values as float32 (256 KiB, built on first use from core's exact decoder). */
function f16Table(): Float32Array {
  if (f16Values === undefined) {
    f16Values = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) f16Values[h] = float16BitsToFloat32(h);
  }
  return f16Values;
}

function getF16(bytes: Uint8Array, at: number): number {
  return (f16Values ?? f16Table())[bytes[at] | (bytes[at + 1] << 8)];
}

/** Pack 256 2-bit values of `L` (128-value halves, 4 bit pairs per byte) at `out[at]`. */
function pack2Bit(L: Uint8Array | Int8Array, out: Uint8Array, at: number): void {
  for (let j = 0; j < QK_K; j += 128) {
    const o = at + j / 4;
    for (let l = 0; l < 32; l++) {
      out[o + l] = L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6);
    }
  }
}

// ---------------------------------------------------------------- Q2_K

function quantizeQ2K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 84);
  for (let i = 0; i < nb; i++) {
    const xb = i * QK_K;
    const ob = i * 84; // scales at ob, qs at ob+16, d at ob+80, dmin at ob+82
    let maxScale = 0;
    let maxMin = 0;
    for (let j = 0; j < 16; j += 2) {
      // Groups j and j + 1 go through make_qkx2_quants side by side (same results as one by one).
      for (let l = 0; l < 16; l++) {
        weightsA[l] = Math.abs(x[xb + 16 * j + l]);
        weightsB[l] = Math.abs(x[xb + 16 * j + 16 + l]);
      }
      makeQkx2QuantsPair(16, 3, x, xb + 16 * j, weightsA, 16 * j, xb + 16 * j + 16, weightsB, 16 * j + 16, Lu, -0.5, F01, 15, true);
      scales[j] = qkx2Pair.scaleA;
      mins[j] = qkx2Pair.minA;
      scales[j + 1] = qkx2Pair.scaleB;
      mins[j + 1] = qkx2Pair.minB;
    }
    for (let j = 0; j < 16; j++) {
      if (scales[j] > maxScale) maxScale = scales[j];
      if (mins[j] > maxMin) maxMin = mins[j];
    }
    if (maxScale > 0) {
      const iscale = f32(15 / maxScale);
      for (let j = 0; j < 16; j++) out[ob + j] = nearestInt(f32(iscale * scales[j]));
      putF16(out, ob + 80, f32(maxScale / 15));
    } else {
      for (let j = 0; j < 16; j++) out[ob + j] = 0;
      putF16(out, ob + 80, 0);
    }
    if (maxMin > 0) {
      const iscale = f32(15 / maxMin);
      for (let j = 0; j < 16; j++) out[ob + j] |= nearestInt(f32(iscale * mins[j])) << 4;
      putF16(out, ob + 82, f32(maxMin / 15));
    } else {
      putF16(out, ob + 82, 0);
    }
    const dAll = getF16(out, ob + 80);
    const mAll = getF16(out, ob + 82);
    for (let j = 0; j < 16; j++) {
      const sc = out[ob + j];
      const d = f32(dAll * (sc & 0xf));
      if (d === 0) continue;
      const dm = f32(mAll * (sc >> 4));
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f32(f32(x[xb + 16 * j + ii] + dm) / d));
        Lu[16 * j + ii] = l < 0 ? 0 : l > 3 ? 3 : l;
      }
    }
    pack2Bit(Lu, out, ob + 16);
  }
  return out;
}

function dequantizeQ2K(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / QK_K;
  const y = new Float32Array(count);
  const y32 = new Uint32Array(y.buffer);
  const t32 = table32;
  const tf = table;
  let yi = 0;
  for (let i = 0; i < nb; i++) {
    const ob = i * 84;
    const d = getF16(bytes, ob + 80);
    const min = getF16(bytes, ob + 82);
    let is = 0;
    for (let n = 0; n < QK_K; n += 128) {
      const q = ob + 16 + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 32; half += 16) {
          // The 4 possible outputs dl*q - ml of this group of 16, then a bit-exact table copy.
          const sc = bytes[ob + is++];
          const dl = f32(d * (sc & 0xf));
          const ml = f32(min * (sc >> 4));
          for (let v = 0; v < 4; v++) tf[v] = f32(dl * v) - ml;
          const qq = q + half;
          for (let l = 0; l < 16; l++) y32[yi++] = t32[(bytes[qq + l] >> shift) & 3];
        }
      }
    }
  }
  return y;
}

// ---------------------------------------------------------------- Q3_K

/** The 6-bit scale of sub-block j (0..15) from Q3_K's 12 packed scale bytes at `at`. */
function q3Scale(s: Uint8Array, at: number, j: number): number {
  const low = j < 8 ? s[at + j] & 0xf : s[at + j - 8] >> 4;
  return low | (((s[at + 8 + (j % 4)] >> (2 * (j >> 2))) & 3) << 4);
}

function quantizeQ3K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 110);
  for (let i = 0; i < nb; i++) {
    const xb = i * QK_K;
    const ob = i * 110; // hmask at ob, qs at ob+32, scales at ob+96, d at ob+108
    let maxScale = 0;
    let amax = 0;
    for (let j = 0; j < 16; j++) {
      const s = makeQ3QuantsRmse(16, 4, x, xb + 16 * j, Li, 16 * j);
      scales[j] = s;
      const a = Math.abs(s);
      if (a > amax) {
        amax = a;
        maxScale = s;
      }
    }
    const sAt = ob + 96;
    if (maxScale !== 0) {
      const iscale = f32(-32 / maxScale);
      for (let j = 0; j < 16; j++) {
        let l = (nearestInt(f32(iscale * scales[j])) << 24) >> 24; // int8_t l = nearest_int(...)
        l = (l < -32 ? -32 : l > 31 ? 31 : l) + 32;
        if (j < 8) out[sAt + j] = l & 0xf;
        else out[sAt + j - 8] |= (l & 0xf) << 4;
        out[sAt + 8 + (j % 4)] |= (l >> 4) << (2 * (j >> 2));
      }
      putF16(out, ob + 108, f32(1 / iscale));
    } else {
      putF16(out, ob + 108, 0);
    }
    const dAll = getF16(out, ob + 108);
    for (let j = 0; j < 16; j++) {
      const d = f32(dAll * (q3Scale(out, sAt, j) - 32));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f32(x[xb + 16 * j + ii] / d));
        Li[16 * j + ii] = (l < -4 ? -4 : l > 3 ? 3 : l) + 4;
      }
    }
    // High bit of quant j goes to hmask[j % 32], bit j / 32.
    for (let j = 0; j < QK_K; j++) {
      if (Li[j] > 3) {
        out[ob + (j & 31)] |= 1 << (j >> 5);
        Li[j] -= 4;
      }
    }
    pack2Bit(Li, out, ob + 32);
  }
  return out;
}

function dequantizeQ3K(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / QK_K;
  const y = new Float32Array(count);
  const y32 = new Uint32Array(y.buffer);
  const t32 = table32;
  const tf = table;
  let yi = 0;
  for (let i = 0; i < nb; i++) {
    const ob = i * 110;
    const dAll = getF16(bytes, ob + 108);
    let is = 0;
    let hbit = 0; // hmask bit of the current 32 values
    for (let n = 0; n < QK_K; n += 128) {
      const q = ob + 32 + n / 4;
      for (let shift = 0; shift < 8; shift += 2) {
        for (let half = 0; half < 32; half += 16) {
          // Table index: the 2 low bits plus 4 when the hmask bit is set; value dl * (index - 4).
          const dl = f32(dAll * (q3Scale(bytes, ob + 96, is++) - 32));
          for (let v = 0; v < 8; v++) tf[v] = dl * (v - 4);
          for (let k = half; k < half + 16; k++) {
            y32[yi++] = t32[((bytes[q + k] >> shift) & 3) | (((bytes[ob + k] >> hbit) & 1) << 2)];
          }
        }
        hbit++;
      }
    }
  }
  return y;
}

// ---------------------------------------------------------------- Q4_K / Q5_K

/** ggml's get_scale_min_k4: 6-bit scale (low 8 bits of the result) and min (bits 8..13). */
function scaleMinK4(j: number, q: Uint8Array, at: number): number {
  if (j < 4) return (q[at + j] & 63) | ((q[at + j + 4] & 63) << 8);
  const d = (q[at + j + 4] & 0xf) | ((q[at + j - 4] >> 6) << 4);
  const m = (q[at + j + 4] >> 4) | ((q[at + j] >> 6) << 4);
  return d | (m << 8);
}

/**
 * The shared front half of quantize_row_q4_K_ref / q5_K_ref: per 32-value sub-block a
 * make_qkx2_quants fit, the 6-bit scale/min packing, d/dmin, and the requantization of L.
 * `dAt` is where d sits (scales follow at dAt+4).
 */
function quantizeScalesK4(x: Float32Array, xb: number, nmax: number, rmin: number, nstep: number, out: Uint8Array, dAt: number): void {
  let maxScale = 0;
  let maxMin = 0;
  for (let j = 0; j < 8; j++) {
    // weights = sqrt(mean x^2) + |x| per 32-value group (lane A for even j, lane B for odd j)
    const xs = xb + 32 * j;
    const w = (j & 1) === 0 ? weightsA : weightsB;
    let sumX2 = 0;
    for (let l = 0; l < 32; l++) sumX2 = f32(sumX2 + f32(x[xs + l] * x[xs + l]));
    const avX = f32(Math.sqrt(f32(sumX2 / 32)));
    for (let l = 0; l < 32; l++) w[l] = avX + Math.abs(x[xs + l]);
    if ((j & 1) === 0) continue;
    // Groups j - 1 and j go through make_qkx2_quants side by side (same results as one by one).
    makeQkx2QuantsPair(32, nmax, x, xs - 32, weightsA, 32 * j - 32, xs, weightsB, 32 * j, Lu, rmin, F01, nstep, false);
    scales[j - 1] = qkx2Pair.scaleA;
    mins[j - 1] = qkx2Pair.minA;
    scales[j] = qkx2Pair.scaleB;
    mins[j] = qkx2Pair.minB;
  }
  for (let j = 0; j < 8; j++) {
    if (scales[j] > maxScale) maxScale = scales[j];
    if (mins[j] > maxMin) maxMin = mins[j];
  }
  const invScale = maxScale > 0 ? f32(63 / maxScale) : 0;
  const invMin = maxMin > 0 ? f32(63 / maxMin) : 0;
  const sAt = dAt + 4;
  for (let j = 0; j < 8; j++) {
    let ls = nearestInt(f32(invScale * scales[j])) & 0xff;
    let lm = nearestInt(f32(invMin * mins[j])) & 0xff;
    if (ls > 63) ls = 63;
    if (lm > 63) lm = 63;
    if (j < 4) {
      out[sAt + j] = ls;
      out[sAt + j + 4] = lm;
    } else {
      out[sAt + j + 4] = (ls & 0xf) | ((lm & 0xf) << 4);
      out[sAt + j - 4] |= (ls >> 4) << 6;
      out[sAt + j] |= (lm >> 4) << 6;
    }
  }
  putF16(out, dAt, f32(maxScale / 63));
  putF16(out, dAt + 2, f32(maxMin / 63));
  const dAll = getF16(out, dAt);
  const mAll = getF16(out, dAt + 2);
  for (let j = 0; j < 8; j++) {
    const sm = scaleMinK4(j, out, sAt);
    const d = f32(dAll * (sm & 0xff));
    if (d === 0) continue;
    const dm = f32(mAll * (sm >> 8));
    for (let ii = 0; ii < 32; ii++) {
      const l = nearestInt(f32(f32(x[xb + 32 * j + ii] + dm) / d));
      Lu[32 * j + ii] = l < 0 ? 0 : l > nmax ? nmax : l;
    }
  }
}

function quantizeQ4K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 144);
  for (let i = 0; i < nb; i++) {
    const ob = i * 144; // d, dmin, scales 12, qs 128 at ob+16
    quantizeScalesK4(x, i * QK_K, 15, -1, 20, out, ob);
    let q = ob + 16;
    for (let j = 0; j < QK_K; j += 64) {
      for (let l = 0; l < 32; l++) out[q + l] = Lu[j + l] | (Lu[j + l + 32] << 4);
      q += 32;
    }
  }
  return out;
}

function dequantizeQ4K(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / QK_K;
  const y = new Float32Array(count);
  const y32 = new Uint32Array(y.buffer);
  const t32 = table32;
  const tf = table;
  let yi = 0;
  for (let i = 0; i < nb; i++) {
    const ob = i * 144;
    const d = getF16(bytes, ob);
    const min = getF16(bytes, ob + 2);
    let q = ob + 16;
    for (let is = 0; is < 8; is += 2) {
      // Entries 0..15: d1*q - m1 (low nibbles); 16..31: d2*q - m2 (high nibbles).
      const sm1 = scaleMinK4(is, bytes, ob + 4);
      const sm2 = scaleMinK4(is + 1, bytes, ob + 4);
      const d1 = f32(d * (sm1 & 0xff));
      const m1 = f32(min * (sm1 >> 8));
      const d2 = f32(d * (sm2 & 0xff));
      const m2 = f32(min * (sm2 >> 8));
      for (let v = 0; v < 16; v++) {
        tf[v] = f32(d1 * v) - m1;
        tf[16 + v] = f32(d2 * v) - m2;
      }
      for (let l = 0; l < 32; l++) {
        const b = bytes[q + l];
        y32[yi + l] = t32[b & 0xf];
        y32[yi + 32 + l] = t32[16 + (b >> 4)];
      }
      yi += 64;
      q += 32;
    }
  }
  return y;
}

function quantizeQ5K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 176);
  for (let i = 0; i < nb; i++) {
    const ob = i * 176; // d, dmin, scales 12, qh 32 at ob+16, qs 128 at ob+48
    quantizeScalesK4(x, i * QK_K, 31, -0.5, 15, out, ob);
    const qh = ob + 16;
    let ql = ob + 48;
    let m1 = 1;
    let m2 = 2;
    for (let n = 0; n < QK_K; n += 64) {
      for (let j = 0; j < 32; j++) {
        let l1 = Lu[n + j];
        if (l1 > 15) {
          l1 -= 16;
          out[qh + j] |= m1;
        }
        let l2 = Lu[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          out[qh + j] |= m2;
        }
        out[ql + j] = l1 | (l2 << 4);
      }
      m1 <<= 2;
      m2 <<= 2;
      ql += 32;
    }
  }
  return out;
}

function dequantizeQ5K(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / QK_K;
  const y = new Float32Array(count);
  const y32 = new Uint32Array(y.buffer);
  const t32 = table32;
  const tf = table;
  let yi = 0;
  for (let i = 0; i < nb; i++) {
    const ob = i * 176;
    const d = getF16(bytes, ob);
    const min = getF16(bytes, ob + 2);
    const qh = ob + 16;
    let ql = ob + 48;
    for (let is = 0; is < 8; is += 2) {
      // Entries 0..31: d1*q - m1; 32..63: d2*q - m2 (q = nibble + 16 * high bit).
      const sm1 = scaleMinK4(is, bytes, ob + 4);
      const sm2 = scaleMinK4(is + 1, bytes, ob + 4);
      const d1 = f32(d * (sm1 & 0xff));
      const m1 = f32(min * (sm1 >> 8));
      const d2 = f32(d * (sm2 & 0xff));
      const m2 = f32(min * (sm2 >> 8));
      for (let v = 0; v < 32; v++) {
        tf[v] = f32(d1 * v) - m1;
        tf[32 + v] = f32(d2 * v) - m2;
      }
      for (let l = 0; l < 32; l++) {
        const b = bytes[ql + l];
        const h = bytes[qh + l] >> is; // bit is: fifth bit of the low nibble, bit is + 1: of the high one
        y32[yi + l] = t32[(b & 0xf) | ((h & 1) << 4)];
        y32[yi + 32 + l] = t32[32 | (b >> 4) | ((h & 2) << 3)];
      }
      yi += 64;
      ql += 32;
    }
  }
  return y;
}

// ---------------------------------------------------------------- Q6_K

function quantizeQ6K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 210);
  for (let i = 0; i < nb; i++) {
    const xb = i * QK_K;
    const ob = i * 210; // ql 128, qh 64 at ob+128, scales int8 16 at ob+192, d at ob+208
    let maxScale = 0;
    let maxAbsScale = 0;
    for (let ib = 0; ib < 16; ib += 2) {
      // Groups ib and ib + 1 go through make_qx_quants side by side (same results as one by one).
      makeQxQuantsRmse1Pair(16, 32, x, xb + 16 * ib, 16 * ib, xb + 16 * ib + 16, 16 * ib + 16, Li);
      scales[ib] = qxPair.scaleA;
      scales[ib + 1] = qxPair.scaleB;
    }
    for (let ib = 0; ib < 16; ib++) {
      const s = scales[ib];
      const a = Math.abs(s);
      if (a > maxAbsScale) {
        maxAbsScale = a;
        maxScale = s;
      }
    }
    if (maxAbsScale < GROUP_MAX_EPS) continue; // the block stays all zero (d = +0)
    const iscale = f32(-128 / maxScale);
    putF16(out, ob + 208, f32(1 / iscale));
    for (let ib = 0; ib < 16; ib++) {
      const v = nearestInt(f32(iscale * scales[ib]));
      out[ob + 192 + ib] = v < 127 ? v : 127; // int8 store keeps the low byte
    }
    const dAll = getF16(out, ob + 208);
    for (let j = 0; j < 16; j++) {
      const d = f32(dAll * ((out[ob + 192 + j] << 24) >> 24));
      if (d === 0) continue;
      for (let ii = 0; ii < 16; ii++) {
        const l = nearestInt(f32(x[xb + 16 * j + ii] / d));
        Li[16 * j + ii] = (l < -32 ? -32 : l > 31 ? 31 : l) + 32;
      }
    }
    let ql = ob;
    let qh = ob + 128;
    for (let j = 0; j < QK_K; j += 128) {
      for (let l = 0; l < 32; l++) {
        const a = Li[j + l];
        const b = Li[j + l + 32];
        const c = Li[j + l + 64];
        const e = Li[j + l + 96];
        out[ql + l] = (a & 0xf) | ((c & 0xf) << 4);
        out[ql + l + 32] = (b & 0xf) | ((e & 0xf) << 4);
        out[qh + l] = (a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6);
      }
      ql += 64;
      qh += 32;
    }
  }
  return out;
}

function dequantizeQ6K(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / QK_K;
  const y = new Float32Array(count);
  for (let i = 0; i < nb; i++) {
    const ob = i * 210;
    const d = getF16(bytes, ob + 208);
    let yb = i * QK_K;
    let ql = ob;
    let qh = ob + 128;
    let sc = ob + 192;
    for (let n = 0; n < QK_K; n += 128) {
      for (let half = 0; half < 2; half++) {
        const s0 = f32(d * ((bytes[sc + half] << 24) >> 24));
        const s2 = f32(d * ((bytes[sc + half + 2] << 24) >> 24));
        const s4 = f32(d * ((bytes[sc + half + 4] << 24) >> 24));
        const s6 = f32(d * ((bytes[sc + half + 6] << 24) >> 24));
        for (let l = half * 16; l < half * 16 + 16; l++) {
          const h = bytes[qh + l];
          const a = bytes[ql + l];
          const b = bytes[ql + l + 32];
          y[yb + l] = s0 * (((a & 0xf) | ((h & 3) << 4)) - 32);
          y[yb + l + 32] = s2 * (((b & 0xf) | (((h >> 2) & 3) << 4)) - 32);
          y[yb + l + 64] = s4 * (((a >> 4) | (((h >> 4) & 3) << 4)) - 32);
          y[yb + l + 96] = s6 * (((b >> 4) | (((h >> 6) & 3) << 4)) - 32);
        }
      }
      yb += 128;
      ql += 64;
      qh += 32;
      sc += 8;
    }
  }
  return y;
}

// ---------------------------------------------------------------- Q8_K

function quantizeQ8K(x: Float32Array): Uint8Array {
  const nb = x.length / QK_K;
  const out = new Uint8Array(nb * 292);
  for (let i = 0; i < nb; i++) {
    const xb = i * QK_K;
    const ob = i * 292; // d float32, qs int8 256 at ob+4, bsums int16 16 at ob+260
    let max = 0;
    let amax = 0;
    for (let j = 0; j < QK_K; j++) {
      const v = x[xb + j];
      const a = Math.abs(v);
      if (a > amax) {
        amax = a;
        max = v;
      }
    }
    // All zero: ggml writes d = 0 and zero quants and leaves bsums untouched (zero here).
    if (amax === 0) continue;
    const iscale = f32(-127 / max);
    for (let j = 0; j < 16; j++) {
      let sum = 0;
      for (let k = 16 * j; k < 16 * j + 16; k++) {
        // |iscale * x| <= 127, so nearest_int is plain round-half-to-even here.
        const v = (f32(iscale * x[xb + k]) + MAGIC - MAGIC) | 0;
        const q = v < 127 ? v : 127;
        out[ob + 4 + k] = q;
        sum += q;
      }
      out[ob + 260 + 2 * j] = sum & 0xff;
      out[ob + 261 + 2 * j] = (sum >> 8) & 0xff;
    }
    f32Scratch[0] = 1 / iscale;
    out[ob] = f32Bytes[0];
    out[ob + 1] = f32Bytes[1];
    out[ob + 2] = f32Bytes[2];
    out[ob + 3] = f32Bytes[3];
  }
  return out;
}

function dequantizeQ8K(bytes: Uint8Array, count: number): Float32Array {
  const nb = count / QK_K;
  const y = new Float32Array(count);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  for (let i = 0; i < nb; i++) {
    const ob = i * 292;
    const d = view.getFloat32(ob, true);
    const yb = i * QK_K;
    for (let j = 0; j < QK_K; j++) y[yb + j] = d * ((bytes[ob + 4 + j] << 24) >> 24);
  }
  return y;
}

// ---------------------------------------------------------------- traits


/**
 * Q2_K: 2-bit quants with a 4-bit scale and 4-bit min per 16 values, 84 bytes per 256
 * values (2.625 bits/value); byte-exact with ggml's `quantize_row_q2_K_ref`.
 *
 * @throws InvalidArgumentError when values.length is not a multiple of 256 (quantize) or
 *   bytes is too short / count not a multiple of 256 (dequantize).
 * @example
 * const bytes = Q2_K.quantize(new Float32Array(256).map((_, i) => Math.sin(i))); // 84 bytes
 * const approx = Q2_K.dequantize(bytes, 256);
 */
export const Q2_K: GgmlTypeTraits = makeTraits('Q2_K', quantizeQ2K, dequantizeQ2K);

/**
 * Q3_K: 3-bit symmetric quants (2 low bits + a high-bit mask) with a 6-bit scale per 16
 * values, 110 bytes per 256 values (3.4375 bits/value); byte-exact with
 * `quantize_row_q3_K_ref`.
 *
 * @throws InvalidArgumentError on a length that is not a whole number of 256-value blocks.
 * @example
 * const bytes = Q3_K.quantize(new Float32Array(512).fill(0.5)); // 220 bytes
 * Q3_K.dequantize(bytes, 512)[0]; // 0.5
 */
export const Q3_K: GgmlTypeTraits = makeTraits('Q3_K', quantizeQ3K, dequantizeQ3K);

/**
 * Q4_K: 4-bit quants with a 6-bit scale and 6-bit min per 32 values, 144 bytes per 256
 * values (4.5 bits/value); byte-exact with `quantize_row_q4_K_ref`.
 *
 * @throws InvalidArgumentError on a length that is not a whole number of 256-value blocks.
 * @example
 * const bytes = Q4_K.quantize(weights); // weights: Float32Array, length a multiple of 256
 * const restored = Q4_K.dequantize(bytes, weights.length);
 */
export const Q4_K: GgmlTypeTraits = makeTraits('Q4_K', quantizeQ4K, dequantizeQ4K);

/**
 * Q5_K: 5-bit quants with a 6-bit scale and 6-bit min per 32 values, 176 bytes per 256
 * values (5.5 bits/value); byte-exact with `quantize_row_q5_K_ref`.
 *
 * @throws InvalidArgumentError on a length that is not a whole number of 256-value blocks.
 * @example
 * const bytes = Q5_K.quantize(weights);
 * const restored = Q5_K.dequantize(bytes, weights.length);
 */
export const Q5_K: GgmlTypeTraits = makeTraits('Q5_K', quantizeQ5K, dequantizeQ5K);

/**
 * Q6_K: 6-bit symmetric quants with an 8-bit scale per 16 values, 210 bytes per 256 values
 * (6.5625 bits/value); byte-exact with `quantize_row_q6_K_ref`.
 *
 * @throws InvalidArgumentError on a length that is not a whole number of 256-value blocks.
 * @example
 * const bytes = Q6_K.quantize(weights);
 * const restored = Q6_K.dequantize(bytes, weights.length);
 */
export const Q6_K: GgmlTypeTraits = makeTraits('Q6_K', quantizeQ6K, dequantizeQ6K);

/**
 * Q8_K: 8-bit symmetric quants with one float32 scale per 256 values plus per-16 sums (the
 * activation format of ggml's K-quant dot products), 292 bytes per 256 values; byte-exact
 * with `quantize_row_q8_K_ref`.
 *
 * @throws InvalidArgumentError on a length that is not a whole number of 256-value blocks.
 * @example
 * const bytes = Q8_K.quantize(activations);
 * const restored = Q8_K.dequantize(bytes, activations.length);
 */
export const Q8_K: GgmlTypeTraits = makeTraits('Q8_K', quantizeQ8K, dequantizeQ8K);
