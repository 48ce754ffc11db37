/*
 * Fused fp32 kernels for cached decoding (one new token per sequence) of Llama-family decoders, for
 * core's tfjs-wasm kernels LlmkitRmsNorm, LlmkitAddRmsNorm, LlmkitSiluMul, LlmkitRopeHeads and
 * LlmkitDecodeAttention (src/backend/wasm-kernels/, op functions in src/ops/fused-decode.ts).
 *
 * Why: a decode step of a small model is dominated by tfjs' per-kernel dispatch, not arithmetic;
 * each of these replaces 4 to 20 composed tfjs kernels by one pass over the data.
 *
 * Memory rules as in matmul.c: this module shares tfjs-wasm's memory and owns none of it: no data
 * segments, no static variables, no shadow stack (no local arrays, no address-taken locals). Every
 * pointer is a byte offset in the tfjs heap; scratch is the caller's.
 *
 * Arithmetic follows the composed tfjs ops it replaces operation by operation where the order is
 * fixed (RoPE: x*cos + rotate_half(x)*sin; RMSNorm: (x * rsqrt(mean + eps)) * w; attention: q is
 * scaled before the dot products, softmax as exp(s - max) / sum), so results differ from them only
 * in the summation order of sums and dot products. No fused multiply-add (wasm SIMD has none).
 */
#include <wasm_simd128.h>

#include "simd_math.h"

#define EXPORT __attribute__((visibility("default")))

/* sum_i a[i] * b[i], four lanes then a horizontal sum, scalar tail. */
static inline float dot(const float *a, const float *b, int n) {
  v128_t acc = wasm_f32x4_splat(0.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  float s = hsum(acc);
  for (; i < n; i++) s += a[i] * b[i];
  return s;
}

/*
 * y = (x * r) * w per row of n values, r = 1 / sqrt(mean(x^2) + eps); w == 0 means no weight.
 * When sum != 0, x is first replaced by x + res (both [rows, n]) and that sum is written to sum
 * (the residual stream of a pre-norm block).
 */
static void rms_rows(const float *x, const float *res, float *sum, const float *w, float *y, int rows, int n, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + r * n;
    float *yr = y + r * n;
    if (sum) {
      float *sr = sum + r * n;
      const float *rr = res + r * n;
      int i = 0;
      for (; i + 4 <= n; i += 4) wasm_v128_store(sr + i, wasm_f32x4_add(wasm_v128_load(xr + i), wasm_v128_load(rr + i)));
      for (; i < n; i++) sr[i] = xr[i] + rr[i];
      xr = sr;
    }
    const float ms = dot(xr, xr, n) / (float)n;
    const float inv = 1.0f / sqrt_f(ms + eps);
    const v128_t iv = wasm_f32x4_splat(inv);
    int i = 0;
    if (w) {
      for (; i + 4 <= n; i += 4)
        wasm_v128_store(yr + i, wasm_f32x4_mul(wasm_f32x4_mul(wasm_v128_load(xr + i), iv), wasm_v128_load(w + i)));
      for (; i < n; i++) yr[i] = (xr[i] * inv) * w[i];
    } else {
      for (; i + 4 <= n; i += 4) wasm_v128_store(yr + i, wasm_f32x4_mul(wasm_v128_load(xr + i), iv));
      for (; i < n; i++) yr[i] = xr[i] * inv;
    }
  }
}

/* RMSNorm of rows x [rows, n] with optional weight w [n] into y. */
EXPORT void rms_norm_f32(const float *x, const float *w, float *y, int rows, int n, float eps) {
  rms_rows(x, 0, 0, w, y, rows, n, eps);
}

/* sum = x + res; y = RMSNorm(sum) * w (rows of n). */
EXPORT void add_rms_norm_f32(const float *x, const float *res, const float *w, float *sum, float *y, int rows, int n, float eps) {
  rms_rows(x, res, sum, w, y, rows, n, eps);
}

/* y = (g * sigmoid(g)) * u, sigmoid(g) = 1 / (1 + exp(-g)), for n values. */
EXPORT void silu_mul_f32(const float *g, const float *u, float *y, int n) {
  const v128_t one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t gv = wasm_v128_load(g + i);
    const v128_t sig = wasm_f32x4_div(one, wasm_f32x4_add(one, exp4(wasm_f32x4_neg(gv))));
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_mul(gv, sig), wasm_v128_load(u + i)));
  }
  for (; i < n; i++) {
    const float sig = 1.0f / (1.0f + exp_f(-g[i]));
    y[i] = (g[i] * sig) * u[i];
  }
}

/*
 * Rotary embedding, HF rotate_half convention, of `heads` heads of size d per row (x [rows, heads * d]),
 * the same angle for every row: on the first rd features, y = x * cos + rotate_half(x) * sin with
 * rotate_half(x) = [-x2, x1]; the features from rd on are copied. cos/sin hold rd values (HF layout
 * cat(freqs, freqs)).
 */
EXPORT void rope_f32(const float *x, const float *cosv, const float *sinv, float *y, int rows, int heads, int d, int rd) {
  const int half = rd / 2;
  for (int h = 0; h < rows * heads; h++) {
    const float *xh = x + h * d;
    float *yh = y + h * d;
    for (int i = 0; i < half; i++) yh[i] = xh[i] * cosv[i] + (-xh[i + half]) * sinv[i];
    for (int i = half; i < rd; i++) yh[i] = xh[i] * cosv[i] + xh[i - half] * sinv[i];
    for (int i = rd; i < d; i++) yh[i] = xh[i];
  }
}

/*
 * Attention of one query per (batch, head) over a key/value cache, grouped-query aware:
 *   q [b, h, dq], k [b, hkv, tk, dq], v [b, hkv, tk, dv], out [b, h, dv]; query head i reads kv head
 *   i / (h / hkv) (torch repeat_interleave). Keys start .. tk - 1 are visible (sliding window).
 *   s_j = (q * scale) . k_j, p = exp(s - max s) / sum exp(s - max s), out = sum_j p_j v_j.
 * scratch: tk floats (the scores of one head).
 */
EXPORT void decode_attention_f32(const float *q, const float *k, const float *v, float *out, float *scratch,
                                 int b, int h, int hkv, int tk, int dq, int dv, int start, float scale) {
  const int group = h / hkv;
  const v128_t sv = wasm_f32x4_splat(scale);
  for (int bi = 0; bi < b; bi++) {
    for (int hi = 0; hi < h; hi++) {
      const int kv = bi * hkv + hi / group;
      const float *qh = q + (bi * h + hi) * dq;
      const float *kh = k + kv * tk * dq;
      const float *vh = v + kv * tk * dv;
      float *oh = out + (bi * h + hi) * dv;
      /* scaled query into the output row (dq may exceed dv: then into the scratch's tail) */
      float *qs = dq <= dv ? oh : scratch + tk;
      int i = 0;
      for (; i + 4 <= dq; i += 4) wasm_v128_store(qs + i, wasm_f32x4_mul(wasm_v128_load(qh + i), sv));
      for (; i < dq; i++) qs[i] = qh[i] * scale;
      float m = -__builtin_inff();
      for (int j = start; j < tk; j++) {
        const float s = dot(qs, kh + j * dq, dq);
        scratch[j] = s;
        if (s > m) m = s;
      }
      float l = 0.0f;
      int j = start;
      const v128_t mv = wasm_f32x4_splat(m);
      for (; j + 4 <= tk; j += 4) {
        const v128_t e = exp4(wasm_f32x4_sub(wasm_v128_load(scratch + j), mv));
        wasm_v128_store(scratch + j, e);
      }
      for (; j < tk; j++) scratch[j] = exp_f(scratch[j] - m);
      for (j = start; j < tk; j++) l += scratch[j];
      const v128_t lv = wasm_f32x4_splat(l);
      j = start;
      for (; j + 4 <= tk; j += 4) wasm_v128_store(scratch + j, wasm_f32x4_div(wasm_v128_load(scratch + j), lv));
      for (; j < tk; j++) scratch[j] = scratch[j] / l;
      for (i = 0; i < dv; i++) oh[i] = 0.0f;
      for (j = start; j < tk; j++) {
        const v128_t p = wasm_f32x4_splat(scratch[j]);
        const float *vj = vh + j * dv;
        i = 0;
        for (; i + 4 <= dv; i += 4) wasm_v128_store(oh + i, wasm_f32x4_add(wasm_v128_load(oh + i), wasm_f32x4_mul(p, wasm_v128_load(vj + i))));
        for (; i < dv; i++) oh[i] += scratch[j] * vj[i];
      }
    }
  }
}

/*
 * Linear layers on few rows (decoding): y[i, j] = x[i, :] . w[j, :] (+ bias[j]) for x [m, k], w [n, k]
 * (a Linear's [out, in] weight), y [m, n]. Each dot product accumulates like matmul.c's small_dot
 * (four lanes over k in order, lanes summed as (l0 + l1) + (l2 + l3), then the k % 4 tail, then the
 * bias), so results equal core's matmul kernel bit for bit; eight rows of w share each load of x.
 */
static inline float hsum01(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

#define ACC(a, b, c) c = wasm_f32x4_add(c, wasm_f32x4_mul(a, b))

static void linear_rows(const float *x, int m, int k, const float *w, int n, const float *bias, float *y) {
  const int k4 = k & ~3;
  for (int i = 0; i < m; i++) {
    const float *xr = x + i * k;
    float *yr = y + i * n;
    int j = 0;
    for (; j + 8 <= n; j += 8) {
      const float *w0 = w + j * k;
      v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0, s4 = s0, s5 = s0, s6 = s0, s7 = s0;
      for (int p = 0; p < k4; p += 4) {
        const v128_t xv = wasm_v128_load(xr + p);
        const float *wp = w0 + p;
        ACC(xv, wasm_v128_load(wp), s0);
        ACC(xv, wasm_v128_load(wp + k), s1);
        ACC(xv, wasm_v128_load(wp + 2 * k), s2);
        ACC(xv, wasm_v128_load(wp + 3 * k), s3);
        ACC(xv, wasm_v128_load(wp + 4 * k), s4);
        ACC(xv, wasm_v128_load(wp + 5 * k), s5);
        ACC(xv, wasm_v128_load(wp + 6 * k), s6);
        ACC(xv, wasm_v128_load(wp + 7 * k), s7);
      }
      float d0 = hsum01(s0), d1 = hsum01(s1), d2 = hsum01(s2), d3 = hsum01(s3);
      float d4 = hsum01(s4), d5 = hsum01(s5), d6 = hsum01(s6), d7 = hsum01(s7);
      for (int p = k4; p < k; p++) {
        const float xp = xr[p];
        d0 += xp * w0[p];
        d1 += xp * w0[k + p];
        d2 += xp * w0[2 * k + p];
        d3 += xp * w0[3 * k + p];
        d4 += xp * w0[4 * k + p];
        d5 += xp * w0[5 * k + p];
        d6 += xp * w0[6 * k + p];
        d7 += xp * w0[7 * k + p];
      }
      yr[j] = d0;
      yr[j + 1] = d1;
      yr[j + 2] = d2;
      yr[j + 3] = d3;
      yr[j + 4] = d4;
      yr[j + 5] = d5;
      yr[j + 6] = d6;
      yr[j + 7] = d7;
    }
    for (; j < n; j++) {
      const float *wj = w + j * k;
      v128_t s = wasm_f32x4_splat(0.0f);
      for (int p = 0; p < k4; p += 4) ACC(wasm_v128_load(xr + p), wasm_v128_load(wj + p), s);
      float d = hsum01(s);
      for (int p = k4; p < k; p++) d += xr[p] * wj[p];
      yr[j] = d;
    }
    if (bias) {
      j = 0;
      for (; j + 4 <= n; j += 4) wasm_v128_store(yr + j, wasm_f32x4_add(wasm_v128_load(yr + j), wasm_v128_load(bias + j)));
      for (; j < n; j++) yr[j] = yr[j] + bias[j];
    }
  }
}

/* y [m, n] = x [m, k] w^T (+ bias); bias 0: none. */
EXPORT void linear_rows_f32(const float *x, int m, int k, const float *w, int n, const float *bias, float *y) {
  linear_rows(x, m, k, w, n, bias, y);
}

/*
 * SwiGLU input side: y = silu(x wg^T + bg) * (x wu^T + bu), y [m, n]; u: m * n floats of scratch.
 * The same values as linear_rows_f32 twice followed by silu_mul_f32.
 */
EXPORT void swiglu_rows_f32(const float *x, int m, int k, const float *wg, const float *bg, const float *wu, const float *bu,
                            int n, float *y, float *u) {
  linear_rows(x, m, k, wg, n, bg, y);
  linear_rows(x, m, k, wu, n, bu, u);
  silu_mul_f32(y, u, y, m * n);
}
