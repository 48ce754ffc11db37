/*
 * ggml's K-quant super-block formats (Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K), transliterated from
 * src/ggml/k-quants.ts and k-quants-search.ts. The scale searches are scalar float32 code with
 * the reference's operation order, comparisons and tie-breaking (and its exact "same quants as
 * the previous candidate" skip); the dequantizers use wasm SIMD with the same per-value float32
 * expressions. Signatures: quantize_<type>(const float *x, uint8_t *y, int nb) and
 * dequantize_<type>(const uint8_t *x, float *y, int nb), nb = number of 256-value blocks.
 */
#include "common.h"

static inline int clamp_int(int v, int lo, int hi) { return v < lo ? lo : v > hi ? hi : v; }

/*
 * make_qkx2_quants: affine fit x ~ scale*q - the_min (q in [0, nmax]) by weighted least squares
 * over the inverse scales (rmin + rdelta*is + nmax) / (max - min), is = 0..nstep. n <= 32.
 */
static float make_qkx2_quants(int n, int nmax, const float *x, const float *w, uint8_t *L, float *the_min, float rmin,
                              float rdelta, int nstep, int use_mad) {
  float xm[32];
  int aux[32];
  float min = x[0], max = min;
  float sum_w = w[0];
  float sum_x = sum_w * min;
  for (int i = 1; i < n; i++) {
    const float v = x[i];
    if (v < min) min = v;
    if (v > max) max = v;
    sum_w = sum_w + w[i];
    sum_x = sum_x + w[i] * v;
  }
  if (min > 0) min = 0;
  if (max == min) {
    for (int i = 0; i < n; i++) L[i] = 0;
    *the_min = -min;
    return 0.f;
  }
  float iscale = (float)nmax / (max - min);
  float scale = 1.0f / iscale;
  float best_error = 0;
  for (int i = 0; i < n; i++) {
    const float v = x[i];
    const float xmi = v - min;
    xm[i] = xmi;
    const int q = clamp_int(nearest_int(iscale * xmi), 0, nmax);
    L[i] = (uint8_t)q;
    aux[i] = -1;
    float diff = scale * (float)q + min - v;
    diff = use_mad ? fabs32(diff) : diff * diff;
    best_error = best_error + w[i] * diff;
  }
  if (nstep < 1) {
    *the_min = -min;
    return scale;
  }
  for (int is = 0; is <= nstep; is++) {
    iscale = (rmin + rdelta * (float)is + (float)nmax) / (max - min);
    int same = 1;
    for (int i = 0; i < n; i++) {
      const int q = clamp_int(nearest_int(iscale * xm[i]), 0, nmax);
      if (q != aux[i]) {
        aux[i] = q;
        same = 0;
      }
    }
    if (same) continue;
    float sum_l = 0, sum_l2 = 0, sum_xl = 0;
    for (int i = 0; i < n; i++) {
      const float q = (float)aux[i];
      const float wl = w[i] * q;
      sum_l = sum_l + wl;
      sum_l2 = sum_l2 + wl * q;
      sum_xl = sum_xl + wl * x[i];
    }
    const float D = sum_w * sum_l2 - sum_l * sum_l;
    if (D > 0) {
      float this_scale = (sum_w * sum_xl - sum_x * sum_l) / D;
      float this_min = (sum_l2 * sum_x - sum_l * sum_xl) / D;
      if (this_min > 0) {
        this_min = 0;
        this_scale = sum_xl / sum_l2;
      }
      float cur_error = 0;
      if (use_mad) {
        for (int i = 0; i < n; i++) {
          const float diff = this_scale * (float)aux[i] + this_min - x[i];
          cur_error = cur_error + w[i] * fabs32(diff);
        }
      } else {
        for (int i = 0; i < n; i++) {
          const float diff = this_scale * (float)aux[i] + this_min - x[i];
          cur_error = cur_error + w[i] * (diff * diff);
        }
      }
      if (cur_error < best_error) {
        for (int i = 0; i < n; i++) L[i] = (uint8_t)aux[i];
        best_error = cur_error;
        scale = this_scale;
        if (this_min != min) {
          min = this_min;
          for (int i = 0; i < n; i++) xm[i] = x[i] - min;
        }
      }
    }
  }
  *the_min = -min;
  return scale;
}

/* make_qx_quants(n, nmax, x, L, rmse_type = 1, qw = NULL); L[i] = q + nmax. n <= 32. */
static float make_qx_quants_rmse1(int n, int nmax, const float *x, int8_t *L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; i++) {
    const float ax = fabs32(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (int i = 0; i < n; i++) L[i] = 0;
    return 0.f;
  }
  float ws[32], wx[32];
  int ql[32];
  float iscale = (float)(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; i++) {
    const float v = x[i];
    const int l = clamp_int(nearest_int(iscale * v), -nmax, nmax - 1);
    L[i] = (int8_t)(l + nmax);
    ql[i] = l;
    const float w = v * v;
    ws[i] = w;
    const float wv = w * v;
    wx[i] = wv;
    sumlx = sumlx + wv * (float)l;
    suml2 = suml2 + w * (float)l * (float)l;
  }
  float scale = suml2 != 0 ? sumlx / suml2 : 0.f;
  float best = scale * sumlx;
  for (int is = -9; is <= 9; is++) {
    if (is == 0) continue;
    iscale = -((float)nmax + 0.1f * (float)is) / max;
    int same = 1;
    for (int i = 0; i < n; i++) {
      const int l = clamp_int(nearest_int(iscale * x[i]), -nmax, nmax - 1);
      if (l != ql[i]) {
        ql[i] = l;
        same = 0;
      }
    }
    if (same) continue;
    sumlx = 0;
    suml2 = 0;
    for (int i = 0; i < n; i++) {
      const float l = (float)ql[i];
      sumlx = sumlx + wx[i] * l;
      suml2 = suml2 + ws[i] * l * l;
    }
    if (suml2 > 0 && sumlx * sumlx > best * suml2) {
      for (int i = 0; i < n; i++) L[i] = (int8_t)(ql[i] + nmax);
      scale = sumlx / suml2;
      best = scale * sumlx;
    }
  }
  return scale;
}

/* make_q3_quants(n, nmax, x, L, do_rmse = true); L[i] = q + nmax. */
static float make_q3_quants_rmse(int n, int nmax, const float *x, int8_t *L) {
  float max = 0, amax = 0;
  for (int i = 0; i < n; i++) {
    const float ax = fabs32(x[i]);
    if (ax > amax) {
      amax = ax;
      max = x[i];
    }
  }
  if (amax < GROUP_MAX_EPS) {
    for (int i = 0; i < n; i++) L[i] = 0;
    return 0.f;
  }
  const float iscale = (float)(-nmax) / max;
  float sumlx = 0, suml2 = 0;
  for (int i = 0; i < n; i++) {
    const float v = x[i];
    const int l = clamp_int(nearest_int(iscale * v), -nmax, nmax - 1);
    L[i] = (int8_t)l;
    const float w = v * v;
    sumlx = sumlx + w * v * (float)l;
    suml2 = suml2 + w * (float)l * (float)l;
  }
  for (int itry = 0; itry < 5; itry++) {
    int n_changed = 0;
    for (int i = 0; i < n; i++) {
      const float v = x[i];
      const float w = v * v;
      const int li = L[i];
      float slx = sumlx - w * v * (float)li;
      if (slx > 0) {
        float sl2 = suml2 - w * (float)li * (float)li;
        const int nl = clamp_int(nearest_int(v * sl2 / slx), -nmax, nmax - 1);
        if (nl != li) {
          slx = slx + w * v * (float)nl;
          sl2 = sl2 + w * (float)nl * (float)nl;
          if (sl2 > 0 && slx * slx * suml2 > sumlx * sumlx * sl2) {
            L[i] = (int8_t)nl;
            sumlx = slx;
            suml2 = sl2;
            n_changed++;
          }
        }
      }
    }
    if (n_changed == 0) break;
  }
  for (int i = 0; i < n; i++) L[i] = (int8_t)(L[i] + nmax);
  return suml2 > 0 ? sumlx / suml2 : 0.f;
}

/* 256 2-bit values (128-value halves, 4 bit pairs per byte). */
static inline void pack_2bit(const uint8_t *L, uint8_t *q) {
  for (int j = 0; j < QK_K; j += 128) {
    for (int l = 0; l < 32; l++) {
      q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 2) | (L[j + l + 64] << 4) | (L[j + l + 96] << 6));
    }
    q += 32;
  }
}

/* ---------------------------------------------------------------- Q2_K */

EXPORT void quantize_q2_K(const float *x, uint8_t *y, int nb) {
  uint8_t L[QK_K];
  float weights[16], scales[16], mins[16];
  for (int i = 0; i < nb; i++, x += QK_K, y += 84) {
    zero_bytes(y, 84);
    float max_scale = 0, max_min = 0;
    for (int j = 0; j < 16; j++) {
      for (int l = 0; l < 16; l++) weights[l] = fabs32(x[16 * j + l]);
      scales[j] = make_qkx2_quants(16, 3, x + 16 * j, weights, L + 16 * j, &mins[j], -0.5f, 0.1f, 15, 1);
    }
    for (int j = 0; j < 16; j++) {
      if (scales[j] > max_scale) max_scale = scales[j];
      if (mins[j] > max_min) max_min = mins[j];
    }
    if (max_scale > 0) {
      const float iscale = 15.0f / max_scale;
      for (int j = 0; j < 16; j++) y[j] = (uint8_t)nearest_int(iscale * scales[j]);
      put_f16(y + 80, max_scale / 15.0f);
    } else {
      put_f16(y + 80, 0.f);
    }
    if (max_min > 0) {
      const float iscale = 15.0f / max_min;
      for (int j = 0; j < 16; j++) y[j] = (uint8_t)(y[j] | (nearest_int(iscale * mins[j]) << 4));
      put_f16(y + 82, max_min / 15.0f);
    } else {
      put_f16(y + 82, 0.f);
    }
    const float d_all = get_f16(y + 80), m_all = get_f16(y + 82);
    for (int j = 0; j < 16; j++) {
      const int sc = y[j];
      const float d = d_all * (float)(sc & 0xf);
      if (d == 0) continue;
      const float dm = m_all * (float)(sc >> 4);
      for (int ii = 0; ii < 16; ii++) {
        const int l = nearest_int((x[16 * j + ii] + dm) / d);
        L[16 * j + ii] = (uint8_t)clamp_int(l, 0, 3);
      }
    }
    pack_2bit(L, y + 16);
  }
}

EXPORT void dequantize_q2_K(const uint8_t *x, float *y, int nb) {
  const v128_t three = wasm_i8x16_splat(3);
  for (int i = 0; i < nb; i++, x += 84) {
    const float d = get_f16(x + 80), min = get_f16(x + 82);
    const uint8_t *sc = x;
    for (int n = 0; n < QK_K; n += 128) {
      const uint8_t *q = x + 16 + n / 4;
      const v128_t b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 16);
      for (int shift = 0; shift < 8; shift += 2) {
        int s = *sc++;
        v128_t dl = wasm_f32x4_splat(d * (float)(s & 0xf)), ml = wasm_f32x4_splat(min * (float)(s >> 4));
        store_u8_mul_sub(y, wasm_v128_and(wasm_u8x16_shr(b0, shift), three), dl, ml);
        s = *sc++;
        dl = wasm_f32x4_splat(d * (float)(s & 0xf));
        ml = wasm_f32x4_splat(min * (float)(s >> 4));
        store_u8_mul_sub(y + 16, wasm_v128_and(wasm_u8x16_shr(b1, shift), three), dl, ml);
        y += 32;
      }
    }
  }
}

/* ---------------------------------------------------------------- Q3_K */

static inline int q3_scale(const uint8_t *s, int j) {
  const int low = j < 8 ? s[j] & 0xf : s[j - 8] >> 4;
  return low | (((s[8 + (j % 4)] >> (2 * (j >> 2))) & 3) << 4);
}

EXPORT void quantize_q3_K(const float *x, uint8_t *y, int nb) {
  int8_t L[QK_K];
  float scales[16];
  for (int i = 0; i < nb; i++, x += QK_K, y += 110) {
    zero_bytes(y, 110);
    float max_scale = 0, amax = 0;
    for (int j = 0; j < 16; j++) {
      const float s = make_q3_quants_rmse(16, 4, x + 16 * j, L + 16 * j);
      scales[j] = s;
      const float a = fabs32(s);
      if (a > amax) {
        amax = a;
        max_scale = s;
      }
    }
    uint8_t *s = y + 96;
    if (max_scale != 0) {
      const float iscale = -32.0f / max_scale;
      for (int j = 0; j < 16; j++) {
        int l = (int8_t)nearest_int(iscale * scales[j]);
        l = clamp_int(l, -32, 31) + 32;
        if (j < 8) s[j] = (uint8_t)(l & 0xf);
        else s[j - 8] = (uint8_t)(s[j - 8] | ((l & 0xf) << 4));
        s[8 + (j % 4)] = (uint8_t)(s[8 + (j % 4)] | ((l >> 4) << (2 * (j >> 2))));
      }
      put_f16(y + 108, 1.0f / iscale);
    } else {
      put_f16(y + 108, 0.f);
    }
    const float d_all = get_f16(y + 108);
    for (int j = 0; j < 16; j++) {
      const float d = d_all * (float)(q3_scale(s, j) - 32);
      if (d == 0) continue;
      for (int ii = 0; ii < 16; ii++) {
        const int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = (int8_t)(clamp_int(l, -4, 3) + 4);
      }
    }
    for (int j = 0; j < QK_K; j++) {
      if (L[j] > 3) {
        y[j & 31] = (uint8_t)(y[j & 31] | (1 << (j >> 5)));
        L[j] = (int8_t)(L[j] - 4);
      }
    }
    pack_2bit((const uint8_t *)L, y + 32);
  }
}

EXPORT void dequantize_q3_K(const uint8_t *x, float *y, int nb) {
  const v128_t three = wasm_i8x16_splat(3), four = wasm_i8x16_splat(4), one = wasm_i8x16_splat(1);
  for (int i = 0; i < nb; i++, x += 110) {
    const float d_all = get_f16(x + 108);
    const v128_t hm0 = wasm_v128_load(x), hm1 = wasm_v128_load(x + 16);
    int is = 0, hbit = 0;
    for (int n = 0; n < QK_K; n += 128) {
      const uint8_t *q = x + 32 + n / 4;
      const v128_t b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 16);
      for (int shift = 0; shift < 8; shift += 2, hbit++) {
        /* level = (2 low bits | hmask bit << 2) - 4, as a signed byte */
        const v128_t h0 = wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(hm0, hbit), one), 2);
        const v128_t h1 = wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(hm1, hbit), one), 2);
        const v128_t l0 = wasm_i8x16_sub(wasm_v128_or(wasm_v128_and(wasm_u8x16_shr(b0, shift), three), h0), four);
        const v128_t l1 = wasm_i8x16_sub(wasm_v128_or(wasm_v128_and(wasm_u8x16_shr(b1, shift), three), h1), four);
        const float dl0 = d_all * (float)(q3_scale(x + 96, is++) - 32);
        const float dl1 = d_all * (float)(q3_scale(x + 96, is++) - 32);
        store_i8_mul(y, l0, wasm_f32x4_splat(dl0));
        store_i8_mul(y + 16, l1, wasm_f32x4_splat(dl1));
        y += 32;
      }
    }
  }
}

/* ---------------------------------------------------------------- Q4_K / Q5_K */

/* get_scale_min_k4: 6-bit scale (low byte) and min (bits 8..13). */
static inline int scale_min_k4(int j, const uint8_t *q) {
  if (j < 4) return (q[j] & 63) | ((q[j + 4] & 63) << 8);
  const int d = (q[j + 4] & 0xf) | ((q[j - 4] >> 6) << 4);
  const int m = (q[j + 4] >> 4) | ((q[j] >> 6) << 4);
  return d | (m << 8);
}

/* Shared front half of quantize_row_q4_K_ref / q5_K_ref: writes d, dmin, scales at y and L. */
static void quantize_scales_k4(const float *x, int nmax, float rmin, int nstep, uint8_t *y, uint8_t *L) {
  float weights[32], scales[8], mins[8];
  float max_scale = 0, max_min = 0;
  for (int j = 0; j < 8; j++) {
    const float *xs = x + 32 * j;
    float sum_x2 = 0;
    for (int l = 0; l < 32; l++) sum_x2 = sum_x2 + xs[l] * xs[l];
    const float av_x = __builtin_sqrtf(sum_x2 / 32.0f);
    for (int l = 0; l < 32; l++) weights[l] = av_x + fabs32(xs[l]);
    scales[j] = make_qkx2_quants(32, nmax, xs, weights, L + 32 * j, &mins[j], rmin, 0.1f, nstep, 0);
  }
  for (int j = 0; j < 8; j++) {
    if (scales[j] > max_scale) max_scale = scales[j];
    if (mins[j] > max_min) max_min = mins[j];
  }
  const float inv_scale = max_scale > 0 ? 63.0f / max_scale : 0.f;
  const float inv_min = max_min > 0 ? 63.0f / max_min : 0.f;
  uint8_t *s = y + 4;
  for (int j = 0; j < 8; j++) {
    int ls = nearest_int(inv_scale * scales[j]) & 0xff;
    int lm = nearest_int(inv_min * mins[j]) & 0xff;
    if (ls > 63) ls = 63;
    if (lm > 63) lm = 63;
    if (j < 4) {
      s[j] = (uint8_t)ls;
      s[j + 4] = (uint8_t)lm;
    } else {
      s[j + 4] = (uint8_t)((ls & 0xf) | ((lm & 0xf) << 4));
      s[j - 4] = (uint8_t)(s[j - 4] | ((ls >> 4) << 6));
      s[j] = (uint8_t)(s[j] | ((lm >> 4) << 6));
    }
  }
  put_f16(y, max_scale / 63.0f);
  put_f16(y + 2, max_min / 63.0f);
  const float d_all = get_f16(y), m_all = get_f16(y + 2);
  for (int j = 0; j < 8; j++) {
    const int sm = scale_min_k4(j, s);
    const float d = d_all * (float)(sm & 0xff);
    if (d == 0) continue;
    const float dm = m_all * (float)(sm >> 8);
    for (int ii = 0; ii < 32; ii++) {
      const int l = nearest_int((x[32 * j + ii] + dm) / d);
      L[32 * j + ii] = (uint8_t)clamp_int(l, 0, nmax);
    }
  }
}

EXPORT void quantize_q4_K(const float *x, uint8_t *y, int nb) {
  uint8_t L[QK_K];
  for (int i = 0; i < nb; i++, x += QK_K, y += 144) {
    zero_bytes(y, 144);
    quantize_scales_k4(x, 15, -1.0f, 20, y, L);
    uint8_t *q = y + 16;
    for (int j = 0; j < QK_K; j += 64) {
      for (int l = 0; l < 32; l++) q[l] = (uint8_t)(L[j + l] | (L[j + l + 32] << 4));
      q += 32;
    }
  }
}

EXPORT void dequantize_q4_K(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f);
  for (int i = 0; i < nb; i++, x += 144) {
    const float d = get_f16(x), min = get_f16(x + 2);
    const uint8_t *q = x + 16;
    for (int is = 0; is < 8; is += 2, q += 32, y += 64) {
      const int sm1 = scale_min_k4(is, x + 4), sm2 = scale_min_k4(is + 1, x + 4);
      const v128_t d1 = wasm_f32x4_splat(d * (float)(sm1 & 0xff)), m1 = wasm_f32x4_splat(min * (float)(sm1 >> 8));
      const v128_t d2 = wasm_f32x4_splat(d * (float)(sm2 & 0xff)), m2 = wasm_f32x4_splat(min * (float)(sm2 >> 8));
      const v128_t b0 = wasm_v128_load(q), b1 = wasm_v128_load(q + 16);
      store_u8_mul_sub(y, wasm_v128_and(b0, mask), d1, m1);
      store_u8_mul_sub(y + 16, wasm_v128_and(b1, mask), d1, m1);
      store_u8_mul_sub(y + 32, wasm_u8x16_shr(b0, 4), d2, m2);
      store_u8_mul_sub(y + 48, wasm_u8x16_shr(b1, 4), d2, m2);
    }
  }
}

EXPORT void quantize_q5_K(const float *x, uint8_t *y, int nb) {
  uint8_t L[QK_K];
  for (int i = 0; i < nb; i++, x += QK_K, y += 176) {
    zero_bytes(y, 176);
    quantize_scales_k4(x, 31, -0.5f, 15, y, L);
    uint8_t *qh = y + 16, *ql = y + 48;
    int m1 = 1, m2 = 2;
    for (int n = 0; n < QK_K; n += 64) {
      for (int j = 0; j < 32; j++) {
        int l1 = L[n + j];
        if (l1 > 15) {
          l1 -= 16;
          qh[j] = (uint8_t)(qh[j] | m1);
        }
        int l2 = L[n + j + 32];
        if (l2 > 15) {
          l2 -= 16;
          qh[j] = (uint8_t)(qh[j] | m2);
        }
        ql[j] = (uint8_t)(l1 | (l2 << 4));
      }
      m1 <<= 2;
      m2 <<= 2;
      ql += 32;
    }
  }
}

EXPORT void dequantize_q5_K(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f), one = wasm_i8x16_splat(1);
  for (int i = 0; i < nb; i++, x += 176) {
    const float d = get_f16(x), min = get_f16(x + 2);
    const v128_t qh0 = wasm_v128_load(x + 16), qh1 = wasm_v128_load(x + 32);
    const uint8_t *ql = x + 48;
    for (int is = 0; is < 8; is += 2, ql += 32, y += 64) {
      const int sm1 = scale_min_k4(is, x + 4), sm2 = scale_min_k4(is + 1, x + 4);
      const v128_t d1 = wasm_f32x4_splat(d * (float)(sm1 & 0xff)), m1 = wasm_f32x4_splat(min * (float)(sm1 >> 8));
      const v128_t d2 = wasm_f32x4_splat(d * (float)(sm2 & 0xff)), m2 = wasm_f32x4_splat(min * (float)(sm2 >> 8));
      const v128_t b0 = wasm_v128_load(ql), b1 = wasm_v128_load(ql + 16);
      /* bit is of qh: fifth bit of the low nibble; bit is + 1: of the high nibble */
      const v128_t l0 = wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(qh0, is), one), 4);
      const v128_t l1 = wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(qh1, is), one), 4);
      const v128_t h0 = wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(qh0, is + 1), one), 4);
      const v128_t h1 = wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(qh1, is + 1), one), 4);
      store_u8_mul_sub(y, wasm_v128_or(wasm_v128_and(b0, mask), l0), d1, m1);
      store_u8_mul_sub(y + 16, wasm_v128_or(wasm_v128_and(b1, mask), l1), d1, m1);
      store_u8_mul_sub(y + 32, wasm_v128_or(wasm_u8x16_shr(b0, 4), h0), d2, m2);
      store_u8_mul_sub(y + 48, wasm_v128_or(wasm_u8x16_shr(b1, 4), h1), d2, m2);
    }
  }
}

/* ---------------------------------------------------------------- Q6_K */

EXPORT void quantize_q6_K(const float *x, uint8_t *y, int nb) {
  int8_t L[QK_K];
  float scales[16];
  for (int i = 0; i < nb; i++, x += QK_K, y += 210) {
    zero_bytes(y, 210);
    float max_scale = 0, max_abs_scale = 0;
    for (int ib = 0; ib < 16; ib++) scales[ib] = make_qx_quants_rmse1(16, 32, x + 16 * ib, L + 16 * ib);
    for (int ib = 0; ib < 16; ib++) {
      const float s = scales[ib], a = fabs32(s);
      if (a > max_abs_scale) {
        max_abs_scale = a;
        max_scale = s;
      }
    }
    if (max_abs_scale < GROUP_MAX_EPS) continue; /* the block stays all zero */
    const float iscale = -128.0f / max_scale;
    put_f16(y + 208, 1.0f / iscale);
    for (int ib = 0; ib < 16; ib++) {
      const int v = nearest_int(iscale * scales[ib]);
      y[192 + ib] = (uint8_t)(v < 127 ? v : 127);
    }
    const float d_all = get_f16(y + 208);
    for (int j = 0; j < 16; j++) {
      const float d = d_all * (float)(int8_t)y[192 + j];
      if (d == 0) continue;
      for (int ii = 0; ii < 16; ii++) {
        const int l = nearest_int(x[16 * j + ii] / d);
        L[16 * j + ii] = (int8_t)(clamp_int(l, -32, 31) + 32);
      }
    }
    uint8_t *ql = y, *qh = y + 128;
    for (int j = 0; j < QK_K; j += 128) {
      for (int l = 0; l < 32; l++) {
        const int a = L[j + l], b = L[j + l + 32], c = L[j + l + 64], e = L[j + l + 96];
        ql[l] = (uint8_t)((a & 0xf) | ((c & 0xf) << 4));
        ql[l + 32] = (uint8_t)((b & 0xf) | ((e & 0xf) << 4));
        qh[l] = (uint8_t)((a >> 4) | ((b >> 4) << 2) | ((c >> 4) << 4) | ((e >> 4) << 6));
      }
      ql += 64;
      qh += 32;
    }
  }
}

EXPORT void dequantize_q6_K(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f), three = wasm_i8x16_splat(3), k32 = wasm_i8x16_splat(32);
  for (int i = 0; i < nb; i++, x += 210) {
    const float d = get_f16(x + 208);
    const uint8_t *ql = x, *qh = x + 128;
    const int8_t *sc = (const int8_t *)(x + 192);
    for (int n = 0; n < QK_K; n += 128, ql += 64, qh += 32, sc += 8, y += 128) {
      for (int half = 0; half < 2; half++) {
        const int l = half * 16;
        const v128_t h = wasm_v128_load(qh + l), a = wasm_v128_load(ql + l), b = wasm_v128_load(ql + l + 32);
        const v128_t q0 = wasm_v128_or(wasm_v128_and(a, mask), wasm_i8x16_shl(wasm_v128_and(h, three), 4));
        const v128_t q1 = wasm_v128_or(wasm_v128_and(b, mask), wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(h, 2), three), 4));
        const v128_t q2 = wasm_v128_or(wasm_u8x16_shr(a, 4), wasm_i8x16_shl(wasm_v128_and(wasm_u8x16_shr(h, 4), three), 4));
        const v128_t q3 = wasm_v128_or(wasm_u8x16_shr(b, 4), wasm_i8x16_shl(wasm_u8x16_shr(h, 6), 4));
        /* y = s * (q - 32); s = d * scale (float32) */
        store_i8_mul(y + l, wasm_i8x16_sub(q0, k32), wasm_f32x4_splat(d * (float)sc[half]));
        store_i8_mul(y + l + 32, wasm_i8x16_sub(q1, k32), wasm_f32x4_splat(d * (float)sc[half + 2]));
        store_i8_mul(y + l + 64, wasm_i8x16_sub(q2, k32), wasm_f32x4_splat(d * (float)sc[half + 4]));
        store_i8_mul(y + l + 96, wasm_i8x16_sub(q3, k32), wasm_f32x4_splat(d * (float)sc[half + 6]));
      }
    }
  }
}

/* ---------------------------------------------------------------- Q8_K */

EXPORT void quantize_q8_K(const float *x, uint8_t *y, int nb) {
  for (int i = 0; i < nb; i++, x += QK_K, y += 292) {
    zero_bytes(y, 292);
    float max = 0, amax = 0;
    for (int j = 0; j < QK_K; j++) {
      const float a = fabs32(x[j]);
      if (a > amax) {
        amax = a;
        max = x[j];
      }
    }
    if (amax == 0) continue;
    const float iscale = -127.0f / max;
    for (int j = 0; j < 16; j++) {
      int sum = 0;
      for (int k = 16 * j; k < 16 * j + 16; k++) {
        const int v = nearest_int(iscale * x[k]);
        const int q = v < 127 ? v : 127;
        y[4 + k] = (uint8_t)q;
        sum += q;
      }
      y[260 + 2 * j] = (uint8_t)(sum & 0xff);
      y[261 + 2 * j] = (uint8_t)((sum >> 8) & 0xff);
    }
    const uint32_t d = f32_bits(1.0f / iscale);
    y[0] = (uint8_t)d;
    y[1] = (uint8_t)(d >> 8);
    y[2] = (uint8_t)(d >> 16);
    y[3] = (uint8_t)(d >> 24);
  }
}

EXPORT void dequantize_q8_K(const uint8_t *x, float *y, int nb) {
  for (int i = 0; i < nb; i++, x += 292, y += QK_K) {
    const uint32_t bits = (uint32_t)x[0] | ((uint32_t)x[1] << 8) | ((uint32_t)x[2] << 16) | ((uint32_t)x[3] << 24);
    const v128_t d = wasm_f32x4_splat(bits_f32(bits));
    for (int j = 0; j < QK_K; j += 16) store_i8_mul(y + j, wasm_v128_load(x + 4 + j), d);
  }
}
