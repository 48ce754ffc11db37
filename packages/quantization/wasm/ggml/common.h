/*
 * Shared helpers of llmkit's ggml wasm kernels, transliterated from the TypeScript reference
 * (src/ggml/float.ts, legacy.ts, k-quants.ts, k-quants-search.ts): every float operation is a
 * float32 operation in the same order (the build passes -ffp-contract=off, no fast-math), so
 * the kernels produce the same bytes and float32 bit patterns as the TypeScript code.
 * No libc: only clang builtins that lower to single wasm instructions.
 */
#ifndef LLMKIT_GGML_COMMON_H
#define LLMKIT_GGML_COMMON_H

#include <stdint.h>
#include <wasm_simd128.h>

#define QK_K 256
#define EXPORT __attribute__((visibility("default")))

/* ggml's GROUP_MAX_EPS (1e-15f). */
#define GROUP_MAX_EPS 1e-15f

static inline uint32_t f32_bits(float f) {
  union { float f; uint32_t u; } v;
  v.f = f;
  return v.u;
}

static inline float bits_f32(uint32_t u) {
  union { uint32_t u; float f; } v;
  v.u = u;
  return v.f;
}

static inline float fabs32(float x) { return __builtin_fabsf(x); }

/*
 * ggml's nearest_int: add 1.5 * 2^23 in float32 and read the low mantissa bits (round half to
 * even in range; the bit trick as is outside it). NaN gives 0, as the TypeScript emulation
 * (a canonical quiet NaN has mantissa 0x400000).
 */
static inline int nearest_int(float v) {
  if (v != v) return 0;
  float t = v + 12582912.0f;
  return (int)(f32_bits(t) & 0x007fffff) - 0x00400000;
}

/* float32 -> float16 bits, round to nearest even (core's f32BitsToF16Bits). */
static inline uint16_t f32_to_f16(float value) {
  uint32_t x = f32_bits(value);
  uint32_t sign = (x >> 16) & 0x8000;
  int exponent = (int)((x >> 23) & 0xff);
  uint32_t mantissa = x & 0x7fffff;
  if (exponent == 0xff) return (uint16_t)(sign | (mantissa != 0 ? 0x7e00 : 0x7c00));
  int e = exponent - 127 + 15;
  if (e >= 0x1f) return (uint16_t)(sign | 0x7c00);
  if (e <= 0) {
    if (e < -10) return (uint16_t)sign;
    uint32_t significand = mantissa | 0x800000;
    int shift = 14 - e;
    uint32_t m = significand >> shift;
    uint32_t remainder = significand & ((1u << shift) - 1);
    uint32_t half = 1u << (shift - 1);
    if (remainder > half || (remainder == half && (m & 1) == 1)) m += 1;
    return (uint16_t)(sign | m);
  }
  uint32_t h = ((uint32_t)e << 10) | (mantissa >> 13);
  uint32_t remainder = mantissa & 0x1fff;
  if (remainder > 0x1000 || (remainder == 0x1000 && (h & 1) == 1)) h += 1;
  return (uint16_t)(sign | h);
}

/*
 * float16 bits -> float32 (exact; Inf/NaN keep their payload, as core's decoder). Finite values:
 * the sign, exponent and mantissa bits moved into float32 position give 2^-112 times the value
 * (float32 subnormals included), and the multiplication by 2^112 is exact.
 */
static inline float f16_to_f32(uint32_t h) {
  const uint32_t sign = (h & 0x8000) << 16;
  const uint32_t em = (h & 0x7fff) << 13;
  const float scaled = bits_f32(sign | em) * 0x1p112f;
  return (h & 0x7c00) == 0x7c00 ? bits_f32(sign | 0x7f800000 | em) : scaled;
}

static inline float get_f16(const uint8_t *p) { return f16_to_f32((uint32_t)p[0] | ((uint32_t)p[1] << 8)); }

static inline void put_f16(uint8_t *p, float v) {
  uint16_t h = f32_to_f16(v);
  p[0] = (uint8_t)(h & 0xff);
  p[1] = (uint8_t)(h >> 8);
}

static inline void zero_bytes(uint8_t *p, int n) { __builtin_memset(p, 0, (unsigned long)n); }

/* ---- SIMD stores: 16 integer levels (as u8 or i8 lanes) -> 16 float32 outputs ----
 *
 * A quarter (4 bytes) is widened to 32-bit lanes with one byte swizzle, then converted exactly to
 * float32 (|values| < 2^24). Widening with the extend instructions instead makes clang 14 fold the
 * extension into the conversion and scalarize it.
 */

/* Lanes 4*quarter .. 4*quarter+3 of unsigned bytes b as exact float32 values (zero-extended by the
   swizzle, which clang cannot see through, then one exact int -> float conversion). */
static inline v128_t u8_quarter(v128_t b, int quarter) {
  const int8_t o = (int8_t)(4 * quarter);
  const v128_t idx = wasm_i8x16_make(o, -1, -1, -1, (int8_t)(o + 1), -1, -1, -1, (int8_t)(o + 2), -1, -1, -1, (int8_t)(o + 3), -1, -1, -1);
  return wasm_f32x4_convert_i32x4(wasm_i8x16_swizzle(b, idx));
}

/* Same for signed bytes: the byte goes to the top of the lane, an arithmetic shift sign-extends it. */
static inline v128_t i8_quarter(v128_t b, int quarter) {
  const int8_t o = (int8_t)(4 * quarter);
  const v128_t idx = wasm_i8x16_make(-1, -1, -1, o, -1, -1, -1, (int8_t)(o + 1), -1, -1, -1, (int8_t)(o + 2), -1, -1, -1, (int8_t)(o + 3));
  return wasm_f32x4_convert_i32x4(wasm_i32x4_shr(wasm_i8x16_swizzle(b, idx), 24));
}

/* y[k] = d * b[k] (b unsigned bytes) */
static inline void store_u8_mul(float *y, v128_t b, v128_t d) {
  for (int q = 0; q < 4; q++) wasm_v128_store(y + 4 * q, wasm_f32x4_mul(d, u8_quarter(b, q)));
}

/* y[k] = b[k] * d (b signed bytes); the product is commutative bit for bit */
static inline void store_i8_mul(float *y, v128_t b, v128_t d) {
  for (int q = 0; q < 4; q++) wasm_v128_store(y + 4 * q, wasm_f32x4_mul(i8_quarter(b, q), d));
}

/* y[k] = d * b[k] - m (b unsigned bytes) */
static inline void store_u8_mul_sub(float *y, v128_t b, v128_t d, v128_t m) {
  for (int q = 0; q < 4; q++) wasm_v128_store(y + 4 * q, wasm_f32x4_sub(wasm_f32x4_mul(d, u8_quarter(b, q)), m));
}

/* y[k] = b[k] * d + m (b unsigned bytes) */
static inline void store_u8_mul_add(float *y, v128_t b, v128_t d, v128_t m) {
  for (int q = 0; q < 4; q++) wasm_v128_store(y + 4 * q, wasm_f32x4_add(wasm_f32x4_mul(u8_quarter(b, q), d), m));
}

#endif
