/*
 * F16 and BF16 row conversions, transliterated from src/ggml/float.ts (core's round-to-nearest-even
 * converters plus ggml's NaN handling), 8 values per SIMD step with integer operations (and one
 * exact float32 add / subtract per lane); the scalar helpers of common.h finish the tail.
 * Signatures as the block kernels, with n values (one value per "block").
 */
#include "common.h"

/*
 * 4 float32 (as bits) -> 4 float16 bits (in 32-bit lanes), round to nearest even:
 *   NaN -> sign | 0x7e00; |x| >= 65520 -> sign | 0x7c00 (Infinity);
 *   |x| < 2^-14 (float16 subnormal or zero) -> mantissa bits of |x| + 0.5f (the float32 add rounds
 *   |x| to a multiple of 2^-24, ties to even, exactly as the integer rounding of the reference);
 *   otherwise rebias the exponent and round the 13 dropped mantissa bits to nearest even.
 */
static inline v128_t f16_bits4(v128_t x) {
  const v128_t sign = wasm_u32x4_shr(wasm_v128_and(x, wasm_i32x4_splat((int32_t)0x80000000u)), 16);
  const v128_t a = wasm_v128_and(x, wasm_i32x4_splat(0x7fffffff));
  const v128_t odd = wasm_v128_and(wasm_u32x4_shr(a, 13), wasm_i32x4_splat(1));
  const v128_t normal = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_sub(a, wasm_i32x4_splat(0x38000000)), wasm_i32x4_add(wasm_i32x4_splat(0xfff), odd)), 13);
  const v128_t sub = wasm_i32x4_sub(wasm_f32x4_add(a, wasm_f32x4_splat(0.5f)), wasm_i32x4_splat(0x3f000000));
  v128_t h = wasm_v128_bitselect(sub, normal, wasm_i32x4_lt(a, wasm_i32x4_splat(0x38800000)));
  h = wasm_v128_bitselect(wasm_i32x4_splat(0x7c00), h, wasm_i32x4_ge(a, wasm_i32x4_splat(0x477ff000)));
  h = wasm_v128_bitselect(wasm_i32x4_splat(0x7e00), h, wasm_i32x4_gt(a, wasm_i32x4_splat(0x7f800000)));
  return wasm_v128_or(h, sign);
}

EXPORT void quantize_f16(const float *x, uint8_t *y, int n) {
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t lo = f16_bits4(wasm_v128_load(x + i)), hi = f16_bits4(wasm_v128_load(x + i + 4));
    wasm_v128_store(y + 2 * i, wasm_u16x8_narrow_i32x4(lo, hi));
  }
  for (; i < n; i++) put_f16(y + 2 * i, x[i]);
}

/*
 * 4 float16 bits (in 32-bit lanes) -> float32 bits, exact: normal values rebias the exponent;
 * zero / subnormal m * 2^-24 = float(2^-14 * (1 + m/1024)) - 2^-14 (an exact float32 subtraction);
 * Inf / NaN keep the payload and NaNs are quieted (ggml converts in hardware).
 */
static inline v128_t f32_bits4(v128_t h) {
  const v128_t sign = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x8000)), 16);
  const v128_t em = wasm_i32x4_shl(wasm_v128_and(h, wasm_i32x4_splat(0x7fff)), 13);
  const v128_t e = wasm_v128_and(h, wasm_i32x4_splat(0x7c00));
  const v128_t normal = wasm_i32x4_add(em, wasm_i32x4_splat(0x38000000));
  const v128_t sub = wasm_f32x4_sub(wasm_i32x4_add(em, wasm_i32x4_splat(0x38800000)), wasm_f32x4_splat(6.103515625e-05f));
  v128_t out = wasm_v128_bitselect(sub, normal, wasm_i32x4_eq(e, wasm_i32x4_splat(0)));
  const v128_t special = wasm_i32x4_eq(e, wasm_i32x4_splat(0x7c00));
  const v128_t nan = wasm_v128_and(special, wasm_i32x4_ne(wasm_v128_and(h, wasm_i32x4_splat(0x3ff)), wasm_i32x4_splat(0)));
  const v128_t inf_nan = wasm_v128_or(wasm_v128_or(em, wasm_i32x4_splat(0x7f800000)), wasm_v128_and(nan, wasm_i32x4_splat(0x400000)));
  out = wasm_v128_bitselect(inf_nan, out, special);
  return wasm_v128_or(out, sign);
}

/* Decoding quiets NaNs (sets the top mantissa bit), as ggml's hardware conversion does. */
EXPORT void dequantize_f16(const uint8_t *x, float *y, int n) {
  uint32_t *out = (uint32_t *)y;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t h = wasm_v128_load(x + 2 * i);
    wasm_v128_store(out + i, f32_bits4(wasm_u32x4_extend_low_u16x8(h)));
    wasm_v128_store(out + i + 4, f32_bits4(wasm_u32x4_extend_high_u16x8(h)));
  }
  for (; i < n; i++) {
    const uint32_t h = (uint32_t)x[2 * i] | ((uint32_t)x[2 * i + 1] << 8);
    uint32_t bits = f32_bits(f16_to_f32(h));
    if ((h & 0x7c00) == 0x7c00 && (h & 0x3ff) != 0) bits |= 0x400000;
    out[i] = bits;
  }
}

/* Round to nearest even; a NaN keeps its sign and top payload bits and is forced quiet (bit 6). */
static inline v128_t bf16_bits4(v128_t b) {
  const v128_t rounded = wasm_u32x4_shr(wasm_i32x4_add(wasm_i32x4_add(b, wasm_i32x4_splat(0x7fff)), wasm_v128_and(wasm_u32x4_shr(b, 16), wasm_i32x4_splat(1))), 16);
  const v128_t quiet = wasm_v128_or(wasm_u32x4_shr(b, 16), wasm_i32x4_splat(64));
  const v128_t is_nan = wasm_i32x4_gt(wasm_v128_and(b, wasm_i32x4_splat(0x7fffffff)), wasm_i32x4_splat(0x7f800000));
  return wasm_v128_bitselect(quiet, rounded, is_nan);
}

EXPORT void quantize_bf16(const float *x, uint8_t *y, int n) {
  const uint32_t *in = (const uint32_t *)x;
  int i = 0;
  for (; i + 8 <= n; i += 8) {
    const v128_t lo = bf16_bits4(wasm_v128_load(in + i)), hi = bf16_bits4(wasm_v128_load(in + i + 4));
    wasm_v128_store(y + 2 * i, wasm_u16x8_narrow_i32x4(lo, hi));
  }
  for (; i < n; i++) {
    const uint32_t b = in[i];
    uint32_t h;
    if ((b & 0x7fffffff) > 0x7f800000) h = (b >> 16) | 64;
    else h = (b + 0x7fff + ((b >> 16) & 1)) >> 16;
    y[2 * i] = (uint8_t)h;
    y[2 * i + 1] = (uint8_t)(h >> 8);
  }
}

/* The bfloat16 bits become the top half of a float32 (exact). */
EXPORT void dequantize_bf16(const uint8_t *x, float *y, int n) {
  uint32_t *out = (uint32_t *)y;
  int i = 0;
  const v128_t zero = wasm_i32x4_splat(0);
  for (; i + 8 <= n; i += 8) {
    const v128_t h = wasm_v128_load(x + 2 * i);
    wasm_v128_store(out + i, wasm_i16x8_shuffle(zero, h, 0, 8, 1, 9, 2, 10, 3, 11));
    wasm_v128_store(out + i + 4, wasm_i16x8_shuffle(zero, h, 4, 12, 5, 13, 6, 14, 7, 15));
  }
  for (; i < n; i++) out[i] = ((uint32_t)x[2 * i] | ((uint32_t)x[2 * i + 1] << 8)) << 16;
}
