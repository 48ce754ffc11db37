/*
 * Elementwise fp32 kernels for core's tfjs-wasm overrides (see matmul.c for the memory rules: this
 * module shares tfjs-wasm's memory and owns none of it). Four lanes at a time; a tail of n % 4
 * values runs the same vector code on a splat, so every value gets the same arithmetic.
 */
#include <wasm_simd128.h>

#include "simd_math.h"

#define EXPORT __attribute__((visibility("default")))

/*
 * erf(x). For |x| >= 1, Abramowitz & Stegun 7.1.26 (max absolute error 1.5e-7), the formula tfjs'
 * cpu backend uses: erf(|x|) = 1 - (a1 t + a2 t^2 + a3 t^3 + a4 t^4 + a5 t^5) e^(-x^2),
 * t = 1 / (1 + p |x|), with the sign of x copied back. Below 1 that form cancels (1 - p e^(-x^2)
 * with p e^(-x^2) up to 1) and loses float32 precision, so the Maclaurin series
 * 2/sqrt(pi) sum_{n=0..10} (-1)^n x^(2n+1) / (n! (2n+1)) is used there (truncation < 2e-9).
 */
static inline v128_t erf4(v128_t x) {
  const v128_t sign = wasm_v128_and(x, wasm_i32x4_splat((int)0x80000000));
  const v128_t ax = wasm_f32x4_abs(x);
  const v128_t t = wasm_f32x4_div(wasm_f32x4_splat(1.0f),
                                  wasm_f32x4_add(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(wasm_f32x4_splat(0.3275911f), ax)));
  v128_t p = wasm_f32x4_splat(1.061405429f);
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-1.453152027f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(1.421413741f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(-0.284496736f));
  p = wasm_f32x4_add(wasm_f32x4_mul(p, t), wasm_f32x4_splat(0.254829592f));
  p = wasm_f32x4_mul(p, t);
  const v128_t e = exp4(wasm_f32x4_neg(wasm_f32x4_mul(ax, ax)));
  const v128_t y = wasm_f32x4_sub(wasm_f32x4_splat(1.0f), wasm_f32x4_mul(p, e));
  const v128_t x2 = wasm_f32x4_mul(ax, ax);
  v128_t q = wasm_f32x4_splat(1.0f / 76204800.0f);
  q = wasm_f32x4_sub(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 6894720.0f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 685440.0f));
  q = wasm_f32x4_sub(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 75600.0f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 9360.0f));
  q = wasm_f32x4_sub(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 1320.0f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 216.0f));
  q = wasm_f32x4_sub(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 42.0f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 10.0f));
  q = wasm_f32x4_sub(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f / 3.0f));
  q = wasm_f32x4_add(wasm_f32x4_mul(q, x2), wasm_f32x4_splat(1.0f));
  q = wasm_f32x4_mul(wasm_f32x4_mul(q, ax), wasm_f32x4_splat(1.1283791670955126f));
  const v128_t small = wasm_f32x4_lt(ax, wasm_f32x4_splat(1.0f));
  return wasm_v128_or(wasm_v128_bitselect(q, y, small), sign);
}

#define MAP(name, fn)                                                                  \
  EXPORT void name(const float *x, float *y, int n) {                                  \
    int i = 0;                                                                         \
    for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, fn(wasm_v128_load(x + i)));      \
    for (; i < n; i++) y[i] = wasm_f32x4_extract_lane(fn(wasm_f32x4_splat(x[i])), 0);  \
  }

MAP(exp_f32, exp4)
MAP(erf_f32, erf4)

/*
 * Binary float32 ops with tfjs' trailing broadcast: y[i] = a[i] OP b[i % bn] for i < n (or
 * b[i % bn] OP a[i] when small_left), where bn divides n: bn == n is elementwise, bn == 1 a
 * scalar, otherwise b is a row repeated along a's leading dims. Each result is one IEEE add,
 * subtract, multiply or divide, so it equals any other correctly rounded float32 result.
 */
#define BINARY(name, VOP, SOP)                                                                      \
  static void name(const float *a, const float *b, float *y, int n, int bn, int small_left) {       \
    if (bn == 1) {                                                                                  \
      const float s = b[0];                                                                         \
      const v128_t sv = wasm_f32x4_splat(s);                                                        \
      int i = 0;                                                                                    \
      if (small_left) {                                                                             \
        for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, VOP(sv, wasm_v128_load(a + i)));          \
        for (; i < n; i++) y[i] = SOP(s, a[i]);                                                     \
      } else {                                                                                      \
        for (; i + 4 <= n; i += 4) wasm_v128_store(y + i, VOP(wasm_v128_load(a + i), sv));          \
        for (; i < n; i++) y[i] = SOP(a[i], s);                                                     \
      }                                                                                             \
      return;                                                                                       \
    }                                                                                               \
    for (int r = 0; r < n; r += bn) {                                                               \
      const float *ar = a + r;                                                                      \
      float *yr = y + r;                                                                            \
      int i = 0;                                                                                    \
      if (small_left) {                                                                             \
        for (; i + 4 <= bn; i += 4) wasm_v128_store(yr + i, VOP(wasm_v128_load(b + i), wasm_v128_load(ar + i))); \
        for (; i < bn; i++) yr[i] = SOP(b[i], ar[i]);                                               \
      } else {                                                                                      \
        for (; i + 4 <= bn; i += 4) wasm_v128_store(yr + i, VOP(wasm_v128_load(ar + i), wasm_v128_load(b + i))); \
        for (; i < bn; i++) yr[i] = SOP(ar[i], b[i]);                                               \
      }                                                                                             \
    }                                                                                               \
  }

#define S_ADD(x, y) ((x) + (y))
#define S_SUB(x, y) ((x) - (y))
#define S_MUL(x, y) ((x) * (y))
#define S_DIV(x, y) ((x) / (y))
BINARY(add_loop, wasm_f32x4_add, S_ADD)
BINARY(sub_loop, wasm_f32x4_sub, S_SUB)
BINARY(mul_loop, wasm_f32x4_mul, S_MUL)
BINARY(div_loop, wasm_f32x4_div, S_DIV)

/* op: 0 add, 1 subtract, 2 multiply, 3 divide (tfjs RealDiv). */
EXPORT void binary_f32(int op, const float *a, const float *b, float *y, int n, int bn, int small_left) {
  if (op == 0) add_loop(a, b, y, n, bn, small_left);
  else if (op == 1) sub_loop(a, b, y, n, bn, small_left);
  else if (op == 2) mul_loop(a, b, y, n, bn, small_left);
  else div_loop(a, b, y, n, bn, small_left);
}

/*
 * Column sums: y[j] = x[0][j] + x[1][j] + ... + x[rows-1][j] for a row-major [rows, cols] x, added
 * row by row in order (four columns at a time): sequential summation, error <= (rows - 1) eps
 * sum|x|. For Sum over leading axes (bias gradients: [B*T, n] -> [n]), where stock tfjs-wasm first
 * transposes the input.
 */
EXPORT void sum_rows_f32(const float *x, float *y, int rows, int cols) {
  int j = 0;
  for (; j + 4 <= cols; j += 4) {
    v128_t acc = wasm_f32x4_splat(0.0f);
    for (int i = 0; i < rows; i++) acc = wasm_f32x4_add(acc, wasm_v128_load(x + (long)i * cols + j));
    wasm_v128_store(y + j, acc);
  }
  for (; j < cols; j++) {
    float acc = 0.0f;
    for (int i = 0; i < rows; i++) acc += x[(long)i * cols + j];
    y[j] = acc;
  }
}
