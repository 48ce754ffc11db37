/*
 * Small SIMD helpers shared by core's kernel sources (elementwise.c, decode.c, train.c), so the fused
 * kernels use exactly the exp of core's Exp kernel. Static inline: every source file is its own
 * translation unit and gets its own inlined copy; nothing here owns memory.
 */
#ifndef LLMKIT_SIMD_MATH_H
#define LLMKIT_SIMD_MATH_H

#include <wasm_simd128.h>

/* Horizontal sum of 4 lanes: (l0 + l2) + (l1 + l3). */
static inline float hsum(v128_t v) {
  v128_t s = wasm_f32x4_add(v, wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
  s = wasm_f32x4_add(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
  return wasm_f32x4_extract_lane(s, 0);
}

static inline float sqrt_f(float x) { return wasm_f32x4_extract_lane(wasm_f32x4_sqrt(wasm_f32x4_splat(x)), 0); }

/*
 * exp(x), after Cephes expf: x = n ln2 + r with n = round(x log2 e) (by the 1.5 * 2^23 trick, which
 * also yields n's integer bits) and ln2 split in two (C1 + C2) so r is exact enough, e^r by a
 * degree-7 polynomial (max relative error ~1.2e-7 on |r| <= ln2/2), then scaled by 2^n as
 * 2^(n/2) * 2^(n - n/2) (both factors normal floats built from exponent bits, so n from -150 to 128
 * rounds into subnormals and overflows to +inf as expf does). x below -103.98 (under half the
 * smallest subnormal) gives +0, x above 88.72284 +inf, NaN stays NaN. pmin/pmax (one x86
 * instruction each, unlike NaN-propagating min/max) clamp; NaN lanes are restored at the end.
 */
/* t = x log2(e) + 1.5 * 2^23: n = round(x log2 e) sits in t's low mantissa bits (n = t - magic as ints). */
static inline v128_t exp4_t(v128_t xc) {
  return wasm_f32x4_add(wasm_f32x4_mul(xc, wasm_f32x4_splat(1.44269504088896341f)), wasm_f32x4_splat(12582912.0f));
}

/* e^r for r = x - n ln2 (ln2 split in two), by the degree-7 polynomial; the caller scales it by 2^n. */
static inline v128_t exp4_poly(v128_t xc, v128_t t) {
  const v128_t fx = wasm_f32x4_sub(t, wasm_f32x4_splat(12582912.0f));
  v128_t r = wasm_f32x4_sub(xc, wasm_f32x4_mul(fx, wasm_f32x4_splat(0.693359375f)));
  r = wasm_f32x4_sub(r, wasm_f32x4_mul(fx, wasm_f32x4_splat(-2.12194440e-4f)));
  const v128_t z = wasm_f32x4_mul(r, r);
  v128_t y = wasm_f32x4_splat(1.9875691500e-4f);
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.3981999507e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(8.3334519073e-3f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(4.1665795894e-2f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(1.6666665459e-1f));
  y = wasm_f32x4_add(wasm_f32x4_mul(y, r), wasm_f32x4_splat(5.0000001201e-1f));
  return wasm_f32x4_add(wasm_f32x4_add(wasm_f32x4_mul(y, z), r), wasm_f32x4_splat(1.0f));
}

static inline v128_t exp4(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-103.98f), hi = wasm_f32x4_splat(88.72284f);
  const v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(lo, x), hi); /* NaN -> lo; restored below */
  const v128_t t = exp4_t(xc);
  v128_t y = exp4_poly(xc, t);
  const v128_t n = wasm_i32x4_sub(t, wasm_f32x4_splat(12582912.0f)); /* -150 .. 128 */
  const v128_t n1 = wasm_i32x4_shr(n, 1);
  const v128_t n2 = wasm_i32x4_sub(n, n1);
  const v128_t s1 = wasm_i32x4_shl(wasm_i32x4_add(n1, wasm_i32x4_splat(127)), 23);
  const v128_t s2 = wasm_i32x4_shl(wasm_i32x4_add(n2, wasm_i32x4_splat(127)), 23);
  y = wasm_f32x4_mul(wasm_f32x4_mul(y, s1), s2);
  y = wasm_v128_andnot(y, wasm_f32x4_lt(x, lo)); /* underflow -> +0 */
  y = wasm_v128_bitselect(wasm_f32x4_splat(__builtin_inff()), y, wasm_f32x4_gt(x, hi));
  return wasm_v128_bitselect(x, y, wasm_f32x4_ne(x, x)); /* NaN in, NaN out */
}

static inline float exp_f(float x) { return wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(x)), 0); }

#endif
