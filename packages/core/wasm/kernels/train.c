/*
 * Fused fp32 kernels for training on tfjs-wasm: LayerNorm forward/backward over the last dim, exact
 * GELU (erf form) forward/backward, and one AdamW update per parameter, for core's kernels
 * LlmkitLayerNorm, LlmkitLayerNormGrad, LlmkitGelu, LlmkitGeluGrad and LlmkitAdamW
 * (src/backend/wasm-kernels/, op functions in src/ops/fused-train.ts).
 *
 * Why: a training step of a small model (the nanoGPT CPU recipe) runs ~1,800 tfjs kernels, most of
 * them tiny elementwise ops whose per-call dispatch costs more than their arithmetic: LayerNorm is
 * ~10 kernels forward and ~25 backward, GELU 5 + ~12, AdamW ~14 per parameter. Each becomes one pass.
 *
 * Memory rules as in matmul.c and decode.c: this module shares tfjs-wasm's memory and owns none of
 * it: no data segments, no static variables, no shadow stack (no local arrays, no address-taken
 * locals). Every pointer is a byte offset in the tfjs heap.
 *
 * Arithmetic: AdamW does the float32 operations of the composed ops (src/optim/adamw.ts) one by one
 * in the same order, each correctly rounded, so its result is bit-identical to them (wasm has no
 * fused multiply-add, so nothing is contracted). LayerNorm follows the composed forward (mean,
 * centered, mean of squares, 1/sqrt(var + eps)) and differs from it only in summation order. GELU
 * computes 0.5x * (1 + erf(x / sqrt 2)) in the composed order but with a rational erf (erf_r4,
 * max abs error 4.2e-7; the composed Erf kernel's erf4 has ~1.5e-7), 3.4x faster. Backward passes
 * use the closed-form gradients, equal to the composed autograd up to float32 rounding.
 */
#include <wasm_simd128.h>

#include "simd_math.h"

#define EXPORT __attribute__((visibility("default")))

/*
 * exp(x) for x <= 0 (softmax and GELU-gradient arguments): exp4's range reduction and polynomial
 * without its overflow and infinity handling (NaN stays NaN); below -87.3 (where exp underflows to
 * denormals) it returns 0. Equal to exp4 on [-87.3, 0]; 25% faster GELU backward.
 */
static inline v128_t exp4_neg(v128_t x) {
  const v128_t lo = wasm_f32x4_splat(-87.3f);
  const v128_t xc = wasm_f32x4_pmin(wasm_f32x4_pmax(lo, x), wasm_f32x4_splat(0.0f));
  const v128_t t = exp4_t(xc);
  v128_t y = exp4_poly(xc, t);
  const v128_t n = wasm_i32x4_sub(t, wasm_f32x4_splat(12582912.0f));
  y = wasm_f32x4_mul(y, wasm_i32x4_shl(wasm_i32x4_add(n, wasm_i32x4_splat(127)), 23));
  return wasm_v128_bitselect(x, wasm_v128_and(y, wasm_f32x4_gt(x, lo)), wasm_f32x4_ne(x, x)); /* NaN stays NaN */
}

/*
 * LayerNorm of rows x [rows, n]: mean = sum(x) / n, c = x - mean, var = sum(c^2) / n,
 * r = 1 / sqrt(var + eps), y = (c * r) * w + b (w, b 0: none). Writes mean [rows] and r [rows]
 * (rstd) for the backward pass.
 */
EXPORT void layer_norm_f32(const float *x, const float *w, const float *b, float *y, float *mean_out, float *rstd_out,
                           int rows, int n, float eps) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * n;
    float *yr = y + (long)r * n;
    v128_t acc = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) acc = wasm_f32x4_add(acc, wasm_v128_load(xr + i));
    float s = hsum(acc);
    for (; i < n; i++) s += xr[i];
    const float mean = s / (float)n;
    const v128_t vm = wasm_f32x4_splat(mean);
    acc = wasm_f32x4_splat(0.0f);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const v128_t c = wasm_f32x4_sub(wasm_v128_load(xr + i), vm);
      acc = wasm_f32x4_add(acc, wasm_f32x4_mul(c, c));
    }
    float ss = hsum(acc);
    for (; i < n; i++) {
      const float c = xr[i] - mean;
      ss += c * c;
    }
    const float rstd = 1.0f / sqrt_f(ss / (float)n + eps);
    mean_out[r] = mean;
    rstd_out[r] = rstd;
    const v128_t vr = wasm_f32x4_splat(rstd);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      v128_t v = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + i), vm), vr);
      if (w) v = wasm_f32x4_mul(v, wasm_v128_load(w + i));
      if (b) v = wasm_f32x4_add(v, wasm_v128_load(b + i));
      wasm_v128_store(yr + i, v);
    }
    for (; i < n; i++) {
      float v = (xr[i] - mean) * rstd;
      if (w) v = v * w[i];
      if (b) v = v + b[i];
      yr[i] = v;
    }
  }
}

/*
 * Backward of layer_norm_f32 given dy [rows, n], x, w (0: none) and the saved mean / rstd:
 * xhat = (x - mean) * r, g = dy * w, dx = r * (g - mean(g) - xhat * mean(g * xhat)),
 * dw = sum over rows of dy * xhat (dw 0: not wanted), db = sum over rows of dy (db 0: not wanted).
 */
EXPORT void layer_norm_grad_f32(const float *dy, const float *x, const float *w, const float *mean_in, const float *rstd_in,
                                float *dx, float *dw, float *db, int rows, int n) {
  for (int i = 0; i < n; i++) {
    if (dw) dw[i] = 0.0f;
    if (db) db[i] = 0.0f;
  }
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * n;
    const float *dyr = dy + (long)r * n;
    float *dxr = dx + (long)r * n;
    const float mean = mean_in[r], rstd = rstd_in[r];
    const v128_t vm = wasm_f32x4_splat(mean), vr = wasm_f32x4_splat(rstd);
    v128_t a1 = wasm_f32x4_splat(0.0f), a2 = wasm_f32x4_splat(0.0f);
    int i = 0;
    for (; i + 4 <= n; i += 4) {
      const v128_t d = wasm_v128_load(dyr + i);
      const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + i), vm), vr);
      const v128_t g = w ? wasm_f32x4_mul(d, wasm_v128_load(w + i)) : d;
      a1 = wasm_f32x4_add(a1, g);
      a2 = wasm_f32x4_add(a2, wasm_f32x4_mul(g, xh));
      if (dw) wasm_v128_store(dw + i, wasm_f32x4_add(wasm_v128_load(dw + i), wasm_f32x4_mul(d, xh)));
      if (db) wasm_v128_store(db + i, wasm_f32x4_add(wasm_v128_load(db + i), d));
    }
    float s1 = hsum(a1), s2 = hsum(a2);
    for (; i < n; i++) {
      const float d = dyr[i];
      const float xh = (xr[i] - mean) * rstd;
      const float g = w ? d * w[i] : d;
      s1 += g;
      s2 += g * xh;
      if (dw) dw[i] += d * xh;
      if (db) db[i] += d;
    }
    const float m1 = s1 / (float)n, m2 = s2 / (float)n;
    const v128_t vm1 = wasm_f32x4_splat(m1), vm2 = wasm_f32x4_splat(m2);
    i = 0;
    for (; i + 4 <= n; i += 4) {
      const v128_t d = wasm_v128_load(dyr + i);
      const v128_t xh = wasm_f32x4_mul(wasm_f32x4_sub(wasm_v128_load(xr + i), vm), vr);
      const v128_t g = w ? wasm_f32x4_mul(d, wasm_v128_load(w + i)) : d;
      const v128_t t = wasm_f32x4_sub(wasm_f32x4_sub(g, vm1), wasm_f32x4_mul(xh, vm2));
      wasm_v128_store(dxr + i, wasm_f32x4_mul(t, vr));
    }
    for (; i < n; i++) {
      const float xh = (xr[i] - mean) * rstd;
      const float g = w ? dyr[i] * w[i] : dyr[i];
      dxr[i] = ((g - m1) - xh * m2) * rstd;
    }
  }
}

/*
 * erf(x) as the rational approximation of Eigen / TensorFlow (generic_fast_erf_float): x clamped to
 * [-4, 4], x * P(x^2) / Q(x^2) with P of degree 6 and Q of degree 4 in x^2. Max abs error 4.2e-7
 * against a float64 erf over [-6, 6] (evaluated in float32 without FMA), in ~20 operations and one
 * division: the fused GELU forward is 3.4x faster than with elementwise.c's erf4 (an exp, two
 * divisions and two polynomials): 0.53 vs 1.8 ms for 393K floats.
 */
static inline v128_t erf_r4(v128_t x0) {
  const v128_t x = wasm_f32x4_pmin(wasm_f32x4_pmax(x0, wasm_f32x4_splat(-4.0f)), wasm_f32x4_splat(4.0f));
  const v128_t x2 = wasm_f32x4_mul(x, x);
  v128_t p = wasm_f32x4_add(wasm_f32x4_mul(x2, wasm_f32x4_splat(-2.72614225801306e-10f)), wasm_f32x4_splat(2.77068142495902e-08f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), wasm_f32x4_splat(-2.10102402082508e-06f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), wasm_f32x4_splat(-5.69250639462346e-05f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), wasm_f32x4_splat(-7.34990630326855e-04f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), wasm_f32x4_splat(-2.95459980854025e-03f));
  p = wasm_f32x4_add(wasm_f32x4_mul(x2, p), wasm_f32x4_splat(-1.60960333262415e-02f));
  p = wasm_f32x4_mul(x, p);
  v128_t q = wasm_f32x4_add(wasm_f32x4_mul(x2, wasm_f32x4_splat(-1.45660718464996e-05f)), wasm_f32x4_splat(-2.13374055278905e-04f));
  q = wasm_f32x4_add(wasm_f32x4_mul(x2, q), wasm_f32x4_splat(-1.68282697438203e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(x2, q), wasm_f32x4_splat(-7.37332916720468e-03f));
  q = wasm_f32x4_add(wasm_f32x4_mul(x2, q), wasm_f32x4_splat(-1.42647390514189e-02f));
  return wasm_f32x4_div(p, q);
}

/*
 * GELU forward: e = erf(x * sqrt(1/2)), y = (x * 0.5) * (1 + e), the composed order of core's
 * gelu(x, 'none'); with cdf != 0 also cdf = 0.5 * (1 + e) for the backward pass (erf is the costly
 * part, so the backward does not recompute it).
 */
static inline v128_t erf_half(v128_t x) { return erf_r4(wasm_f32x4_mul(x, wasm_f32x4_splat(0.70710678118654752f))); }

EXPORT void gelu_f32(const float *x, float *y, float *cdf, int n) {
  const v128_t half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t xi = wasm_v128_load(x + i);
    const v128_t e1 = wasm_f32x4_add(one, erf_half(xi));
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_mul(xi, half), e1));
    if (cdf) wasm_v128_store(cdf + i, wasm_f32x4_mul(half, e1));
  }
  for (; i < n; i++) {
    const v128_t xi = wasm_f32x4_splat(x[i]);
    const v128_t e1 = wasm_f32x4_add(one, erf_half(xi));
    y[i] = wasm_f32x4_extract_lane(wasm_f32x4_mul(wasm_f32x4_mul(xi, half), e1), 0);
    if (cdf) cdf[i] = wasm_f32x4_extract_lane(wasm_f32x4_mul(half, e1), 0);
  }
}

/* GELU backward from the saved cdf: dx = dy * (cdf + x * exp(-x^2 / 2) / sqrt(2 pi)). */
static inline v128_t gelu_grad4(v128_t x, v128_t cdf, v128_t dy) {
  const v128_t pdf = wasm_f32x4_mul(exp4_neg(wasm_f32x4_mul(wasm_f32x4_mul(x, x), wasm_f32x4_splat(-0.5f))),
                                    wasm_f32x4_splat(0.39894228040143268f));
  return wasm_f32x4_mul(dy, wasm_f32x4_add(cdf, wasm_f32x4_mul(x, pdf)));
}

EXPORT void gelu_grad_f32(const float *x, const float *cdf, const float *dy, float *dx, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(dx + i, gelu_grad4(wasm_v128_load(x + i), wasm_v128_load(cdf + i), wasm_v128_load(dy + i)));
  }
  for (; i < n; i++) {
    dx[i] = wasm_f32x4_extract_lane(gelu_grad4(wasm_f32x4_splat(x[i]), wasm_f32x4_splat(cdf[i]), wasm_f32x4_splat(dy[i])), 0);
  }
}

/*
 * One AdamW update of n floats, the float32 operations of src/optim/adamw.ts in order (scalars are
 * the float32 roundings of the float64 values computed in JS, as the tfjs scalar tensors are):
 *   p1 = decay ? p * decay_f : p                  (decay_f = 1 - lr * wd)
 *   m1 = m + omb1 * (g - m)                        (omb1 = 1 - beta1)
 *   v1 = v * beta2 + (omb2 * g) * g                (omb2 = 1 - beta2)
 *   p2 = p1 + (neg_step * m1) / (sqrt(v1) / bc2_sqrt + eps)
 * Outputs may not alias inputs (tfjs outputs are fresh buffers).
 */
EXPORT void adamw_f32(const float *p, const float *g, const float *m, const float *v, float *p_out, float *m_out, float *v_out,
                      int n, int decay, float decay_f, float omb1, float beta2, float omb2, float bc2_sqrt, float eps,
                      float neg_step) {
  const v128_t vdecay = wasm_f32x4_splat(decay_f), vomb1 = wasm_f32x4_splat(omb1), vb2 = wasm_f32x4_splat(beta2);
  const v128_t vomb2 = wasm_f32x4_splat(omb2), vbc = wasm_f32x4_splat(bc2_sqrt), veps = wasm_f32x4_splat(eps);
  const v128_t vstep = wasm_f32x4_splat(neg_step);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    v128_t pi = wasm_v128_load(p + i);
    const v128_t gi = wasm_v128_load(g + i), mi = wasm_v128_load(m + i), vi = wasm_v128_load(v + i);
    if (decay) pi = wasm_f32x4_mul(pi, vdecay);
    const v128_t m1 = wasm_f32x4_add(mi, wasm_f32x4_mul(vomb1, wasm_f32x4_sub(gi, mi)));
    const v128_t v1 = wasm_f32x4_add(wasm_f32x4_mul(vi, vb2), wasm_f32x4_mul(wasm_f32x4_mul(vomb2, gi), gi));
    const v128_t denom = wasm_f32x4_add(wasm_f32x4_div(wasm_f32x4_sqrt(v1), vbc), veps);
    wasm_v128_store(p_out + i, wasm_f32x4_add(pi, wasm_f32x4_div(wasm_f32x4_mul(vstep, m1), denom)));
    wasm_v128_store(m_out + i, m1);
    wasm_v128_store(v_out + i, v1);
  }
  for (; i < n; i++) {
    float pi = p[i];
    const float gi = g[i], mi = m[i], vi = v[i];
    if (decay) pi = pi * decay_f;
    const float m1 = mi + omb1 * (gi - mi);
    const float v1 = vi * beta2 + (omb2 * gi) * gi;
    const float denom = sqrt_f(v1) / bc2_sqrt + eps;
    p_out[i] = pi + (neg_step * m1) / denom;
    m_out[i] = m1;
    v_out[i] = v1;
  }
}

/*
 * Causal attention softmax (issue 12): for scores s [batch, tq, tk] (batch = B * H rows of heads),
 * row i attends keys j < lim(i) = min(tk, i + offset + 1) (offset 0: torch's top-left is_causal;
 * tk - tq: bottom-right). p_ij = exp(s_ij * scale - max) / sum over the attended keys, 0 for the
 * masked keys; a row with no attended key (lim <= 0) is all zeros. The composed ops it replaces
 * (s * scale + mask with -1e9 or -inf, then Softmax) give the same values: exp of a masked entry
 * underflows to exactly 0 either way.
 */
/* Lanes 0..rem-1 set (rem in 0..4). */
static inline v128_t lanes_below(int rem) { return wasm_i32x4_lt(wasm_i32x4_make(0, 1, 2, 3), wasm_i32x4_splat(rem)); }

/* causal_softmax_f32 for tk % 4 == 0: whole 4-lane chunks, the last attended chunk masked. */
static void causal_softmax_f32_x4(const float *s, float *p, int rows, int tq, int tk, float scale, int offset) {
  const v128_t vscale = wasm_f32x4_splat(scale), zero = wasm_f32x4_splat(0.0f), ninf = wasm_f32x4_splat(-__builtin_inff());
  for (int r = 0; r < rows; r++) {
    const int i = r % tq;
    const float *sr = s + (long)r * tk;
    float *pr = p + (long)r * tk;
    int lim = i + offset + 1;
    if (lim > tk) lim = tk;
    const int chunks = (lim + 3) >> 2;
    const v128_t last = lanes_below(lim - ((chunks - 1) << 2));
    v128_t vm = ninf;
    for (int c = 0; c < chunks; c++) {
      v128_t v = wasm_f32x4_mul(wasm_v128_load(sr + 4 * c), vscale);
      if (c == chunks - 1) v = wasm_v128_bitselect(v, ninf, last);
      vm = wasm_f32x4_pmax(vm, v);
    }
    vm = wasm_f32x4_pmax(vm, wasm_i32x4_shuffle(vm, vm, 2, 3, 0, 1));
    vm = wasm_f32x4_pmax(vm, wasm_i32x4_shuffle(vm, vm, 1, 0, 3, 2));
    v128_t acc = zero;
    for (int c = 0; c < chunks; c++) {
      v128_t e = exp4_neg(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(sr + 4 * c), vscale), vm));
      if (c == chunks - 1) e = wasm_v128_and(e, last);
      wasm_v128_store(pr + 4 * c, e);
      acc = wasm_f32x4_add(acc, e);
    }
    const v128_t vsum = wasm_f32x4_splat(hsum(acc));
    for (int c = 0; c < chunks; c++) wasm_v128_store(pr + 4 * c, wasm_f32x4_div(wasm_v128_load(pr + 4 * c), vsum));
    for (int c = chunks; c < (tk >> 2); c++) wasm_v128_store(pr + 4 * c, zero);
  }
}

EXPORT void causal_softmax_f32(const float *s, float *p, int batch, int tq, int tk, float scale, int offset) {
  if ((tk & 3) == 0 && offset >= 0 && tk > 0) {
    causal_softmax_f32_x4(s, p, batch * tq, tq, tk, scale, offset);
    return;
  }
  const v128_t vscale = wasm_f32x4_splat(scale), zero = wasm_f32x4_splat(0.0f);
  for (int bi = 0; bi < batch; bi++) {
    for (int i = 0; i < tq; i++) {
      const float *sr = s + ((long)bi * tq + i) * tk;
      float *pr = p + ((long)bi * tq + i) * tk;
      int lim = i + offset + 1;
      if (lim > tk) lim = tk;
      if (lim < 0) lim = 0;
      int j = 0;
      if (lim > 0) {
        float mx = sr[0] * scale;
        for (j = 1; j < lim; j++) {
          const float v = sr[j] * scale;
          if (v > mx) mx = v;
        }
        const v128_t vmx = wasm_f32x4_splat(mx);
        v128_t acc = zero;
        j = 0;
        for (; j + 4 <= lim; j += 4) {
          const v128_t e = exp4(wasm_f32x4_sub(wasm_f32x4_mul(wasm_v128_load(sr + j), vscale), vmx));
          wasm_v128_store(pr + j, e);
          acc = wasm_f32x4_add(acc, e);
        }
        float sum = hsum(acc);
        for (; j < lim; j++) {
          const float e = wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(sr[j] * scale - mx)), 0);
          pr[j] = e;
          sum += e;
        }
        const v128_t vsum = wasm_f32x4_splat(sum);
        j = 0;
        for (; j + 4 <= lim; j += 4) wasm_v128_store(pr + j, wasm_f32x4_div(wasm_v128_load(pr + j), vsum));
        for (; j < lim; j++) pr[j] = pr[j] / sum;
      }
      for (j = lim; j < tk; j++) pr[j] = 0.0f;
    }
  }
}

/*
 * Backward of causal_softmax_f32 from the saved probabilities: ds = (p * (dp - sum_k dp_k p_k)) * scale
 * over the attended keys (the composed autograd: Softmax's gradient, then the scale Multiply's), 0 for
 * the masked ones (p = 0 there).
 */
EXPORT void causal_softmax_grad_f32(const float *p, const float *dp, float *ds, int batch, int tq, int tk, float scale,
                                    int offset) {
  const v128_t vscale = wasm_f32x4_splat(scale);
  for (int bi = 0; bi < batch; bi++) {
    for (int i = 0; i < tq; i++) {
      const long base = ((long)bi * tq + i) * tk;
      const float *pr = p + base, *dr = dp + base;
      float *out = ds + base;
      int lim = i + offset + 1;
      if (lim > tk) lim = tk;
      if (lim < 0) lim = 0;
      v128_t acc = wasm_f32x4_splat(0.0f);
      int j = 0;
      for (; j + 4 <= lim; j += 4) acc = wasm_f32x4_add(acc, wasm_f32x4_mul(wasm_v128_load(dr + j), wasm_v128_load(pr + j)));
      float dot = hsum(acc);
      for (; j < lim; j++) dot += dr[j] * pr[j];
      const v128_t vdot = wasm_f32x4_splat(dot);
      j = 0;
      for (; j + 4 <= lim; j += 4) {
        const v128_t pj = wasm_v128_load(pr + j);
        wasm_v128_store(out + j, wasm_f32x4_mul(wasm_f32x4_mul(pj, wasm_f32x4_sub(wasm_v128_load(dr + j), vdot)), vscale));
      }
      for (; j < lim; j++) out[j] = (pr[j] * (dr[j] - dot)) * scale;
      for (j = lim; j < tk; j++) out[j] = 0.0f;
    }
  }
}

/*
 * Sum of squares of n floats, accumulated in float64 (two f64x2 accumulators; squares of float32
 * values are exact in float64), for clipGradNorm's per-tensor 2-norms. More accurate than a float32
 * reduction; the caller rounds the result to float32.
 */
EXPORT double sum_squares_f32(const float *x, int n) {
  v128_t a0 = wasm_f64x2_splat(0.0), a1 = wasm_f64x2_splat(0.0);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t v = wasm_v128_load(x + i);
    const v128_t lo = wasm_f64x2_promote_low_f32x4(v);
    const v128_t hi = wasm_f64x2_promote_low_f32x4(wasm_i32x4_shuffle(v, v, 2, 3, 0, 1));
    a0 = wasm_f64x2_add(a0, wasm_f64x2_mul(lo, lo));
    a1 = wasm_f64x2_add(a1, wasm_f64x2_mul(hi, hi));
  }
  const v128_t a = wasm_f64x2_add(a0, a1);
  double s = wasm_f64x2_extract_lane(a, 0) + wasm_f64x2_extract_lane(a, 1);
  for (; i < n; i++) {
    const double v = (double)x[i];
    s += v * v;
  }
  return s;
}

/*
 * tanh GELU (gelu_new): inner = sqrt(2/pi) * (x + 0.044715 * (x^2 * x)), y = (x * 0.5) * (1 + tanh(inner)),
 * the composed order of core's gelu(x, 'tanh'); with t != 0 also writes tanh(inner) for the backward.
 * tanh(z) = 1 - 2 / (exp(2z) + 1) with z clamped to [-10, 10] (tanh(10) rounds to 1 in float32); abs
 * error ~1e-7, which is what (1 + tanh) needs.
 */
static inline v128_t tanh4(v128_t z0) {
  const v128_t z = wasm_f32x4_pmin(wasm_f32x4_pmax(z0, wasm_f32x4_splat(-10.0f)), wasm_f32x4_splat(10.0f));
  const v128_t e = exp4(wasm_f32x4_add(z, z));
  const v128_t one = wasm_f32x4_splat(1.0f);
  return wasm_f32x4_sub(one, wasm_f32x4_div(wasm_f32x4_splat(2.0f), wasm_f32x4_add(e, one)));
}

static inline v128_t gelu_tanh_inner(v128_t x) {
  const v128_t cube = wasm_f32x4_mul(wasm_f32x4_mul(x, x), x);
  return wasm_f32x4_mul(wasm_f32x4_splat(0.7978845608028654f),
                        wasm_f32x4_add(x, wasm_f32x4_mul(wasm_f32x4_splat(0.044715f), cube)));
}

EXPORT void gelu_tanh_f32(const float *x, float *y, float *t, int n) {
  const v128_t half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f);
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    const v128_t xi = wasm_v128_load(x + i);
    const v128_t th = tanh4(gelu_tanh_inner(xi));
    wasm_v128_store(y + i, wasm_f32x4_mul(wasm_f32x4_mul(xi, half), wasm_f32x4_add(one, th)));
    if (t) wasm_v128_store(t + i, th);
  }
  for (; i < n; i++) {
    const v128_t xi = wasm_f32x4_splat(x[i]);
    const v128_t th = tanh4(gelu_tanh_inner(xi));
    y[i] = wasm_f32x4_extract_lane(wasm_f32x4_mul(wasm_f32x4_mul(xi, half), wasm_f32x4_add(one, th)), 0);
    if (t) t[i] = wasm_f32x4_extract_lane(th, 0);
  }
}

/* Backward from the saved tanh t: dx = dy * (0.5 (1 + t) + 0.5 x (1 - t^2) sqrt(2/pi) (1 + 3 * 0.044715 x^2)). */
static inline v128_t gelu_tanh_grad4(v128_t x, v128_t t, v128_t dy) {
  const v128_t half = wasm_f32x4_splat(0.5f), one = wasm_f32x4_splat(1.0f);
  const v128_t dinner = wasm_f32x4_mul(wasm_f32x4_splat(0.7978845608028654f),
                                       wasm_f32x4_add(one, wasm_f32x4_mul(wasm_f32x4_splat(0.134145f), wasm_f32x4_mul(x, x))));
  const v128_t a = wasm_f32x4_mul(half, wasm_f32x4_add(one, t));
  const v128_t b = wasm_f32x4_mul(wasm_f32x4_mul(wasm_f32x4_mul(half, x), wasm_f32x4_sub(one, wasm_f32x4_mul(t, t))), dinner);
  return wasm_f32x4_mul(dy, wasm_f32x4_add(a, b));
}

EXPORT void gelu_tanh_grad_f32(const float *x, const float *t, const float *dy, float *dx, int n) {
  int i = 0;
  for (; i + 4 <= n; i += 4) {
    wasm_v128_store(dx + i, gelu_tanh_grad4(wasm_v128_load(x + i), wasm_v128_load(t + i), wasm_v128_load(dy + i)));
  }
  for (; i < n; i++) {
    dx[i] = wasm_f32x4_extract_lane(gelu_tanh_grad4(wasm_f32x4_splat(x[i]), wasm_f32x4_splat(t[i]), wasm_f32x4_splat(dy[i])), 0);
  }
}

/*
 * Cross-entropy rows (forward part): for logits x [rows, c], per row the max mx, the sum of
 * exp(x - mx) se, and with xmean != 0 the mean of x (label smoothing). The caller (the tfjs kernel,
 * src/backend/wasm-kernels/cross-entropy.ts) takes lse = mx + log(se) and the per-row losses in JS.
 */
EXPORT void ce_rows_f32(const float *x, int rows, int c, float *mx_out, float *se_out, float *xmean) {
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    float mx = xr[0];
    int j = 1;
    if (c >= 4) {
      v128_t vm = wasm_v128_load(xr);
      for (j = 4; j + 4 <= c; j += 4) vm = wasm_f32x4_pmax(vm, wasm_v128_load(xr + j));
      v128_t s = wasm_f32x4_pmax(vm, wasm_i32x4_shuffle(vm, vm, 2, 3, 0, 1));
      s = wasm_f32x4_pmax(s, wasm_i32x4_shuffle(s, s, 1, 0, 3, 2));
      mx = wasm_f32x4_extract_lane(s, 0);
    }
    for (; j < c; j++) if (xr[j] > mx) mx = xr[j];
    const v128_t vmx = wasm_f32x4_splat(mx);
    v128_t acc = wasm_f32x4_splat(0.0f), accx = wasm_f32x4_splat(0.0f);
    j = 0;
    for (; j + 4 <= c; j += 4) {
      const v128_t v = wasm_v128_load(xr + j);
      acc = wasm_f32x4_add(acc, exp4(wasm_f32x4_sub(v, vmx)));
      accx = wasm_f32x4_add(accx, v);
    }
    float se = hsum(acc), sx = hsum(accx);
    for (; j < c; j++) {
      se += wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(xr[j] - mx)), 0);
      sx += xr[j];
    }
    mx_out[r] = mx;
    se_out[r] = se;
    if (xmean) xmean[r] = sx / (float)c;
  }
}

/*
 * Cross-entropy backward: dx_ij = scale_i * (exp(x_ij - lse_i) - q_ij) with q = (1 - eps) onehot(t_i)
 * + eps / c (no one-hot term when t_i is outside [0, c), i.e. an ignored row, whose scale is 0).
 */
EXPORT void ce_grad_f32(const float *x, const float *lse, const int *t, const float *scale, int rows, int c, float eps,
                        float *dx) {
  const float base = eps / (float)c, hit = 1.0f - eps;
  for (int r = 0; r < rows; r++) {
    const float *xr = x + (long)r * c;
    float *dr = dx + (long)r * c;
    const float s = scale[r];
    const v128_t vl = wasm_f32x4_splat(lse[r]), vs = wasm_f32x4_splat(s), vb = wasm_f32x4_splat(base);
    int j = 0;
    for (; j + 4 <= c; j += 4) {
      const v128_t p = exp4(wasm_f32x4_sub(wasm_v128_load(xr + j), vl));
      wasm_v128_store(dr + j, wasm_f32x4_mul(vs, wasm_f32x4_sub(p, vb)));
    }
    for (; j < c; j++) dr[j] = s * (wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(xr[j] - lse[r])), 0) - base);
    const int ti = t[r];
    if (ti >= 0 && ti < c) {
      const float p = wasm_f32x4_extract_lane(exp4(wasm_f32x4_splat(xr[ti] - lse[r])), 0);
      dr[ti] = s * (p - (base + hit));
    }
  }
}
