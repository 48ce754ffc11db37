/*
 * ggml's legacy 32-value block formats (Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1), transliterated from
 * src/ggml/legacy.ts: quantizers are scalar float32 code in the reference's order, dequantizers
 * use wasm SIMD (16 values per vector step; the same float32 products and sums per lane).
 * Signatures: quantize_<type>(const float *x, uint8_t *y, int nb), dequantize_<type>(const uint8_t *x, float *y, int nb).
 */
#include "common.h"

#define FLT_MAX_ 3.4028234663852886e38f

/* C's (int8_t)(float) on x86: truncate to int32 (NaN / out of range: INT32_MIN), keep the low byte. */
static inline int to_int8(float x) {
  int32_t t;
  if (x >= -2147483648.0f && x < 2147483648.0f) t = (int32_t)x;
  else t = (int32_t)0x80000000u;
  return (int)(int8_t)(uint8_t)(t & 0xff);
}

/* C's roundf: round half away from zero. */
static inline float round_away(float x) {
  float t = __builtin_truncf(x);
  if (fabs32(x - t) >= 0.5f) t += x < 0 ? -1.0f : 1.0f;
  return t;
}

static inline void min_max(const float *x, int n, float *mn, float *mx) {
  float min = FLT_MAX_, max = -FLT_MAX_;
  for (int j = 0; j < n; j++) {
    float v = x[j];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  *mn = min;
  *mx = max;
}

static inline void put_u32(uint8_t *p, uint32_t v) {
  p[0] = (uint8_t)v;
  p[1] = (uint8_t)(v >> 8);
  p[2] = (uint8_t)(v >> 16);
  p[3] = (uint8_t)(v >> 24);
}

static inline uint32_t get_u32(const uint8_t *p) {
  return (uint32_t)p[0] | ((uint32_t)p[1] << 8) | ((uint32_t)p[2] << 16) | ((uint32_t)p[3] << 24);
}

/* ---- SIMD helpers of the quantizers (each lane computes exactly the scalar expression) ---- */

/* signed_abs_max: the lane-wise absolute max (NaN never wins a strict comparison, as in the scalar loop),
   then the first value attaining it, as the sequential `amax < |v|` scan picks. */
static inline float signed_abs_max_simd(const float *x) {
  v128_t m = wasm_f32x4_splat(0);
  for (int j = 0; j < 32; j += 4) m = wasm_f32x4_pmax(m, wasm_f32x4_abs(wasm_v128_load(x + j)));
  float amax = wasm_f32x4_extract_lane(m, 0);
  for (int k = 1; k < 4; k++) {
    const float a = k == 1 ? wasm_f32x4_extract_lane(m, 1) : k == 2 ? wasm_f32x4_extract_lane(m, 2) : wasm_f32x4_extract_lane(m, 3);
    if (amax < a) amax = a;
  }
  if (amax == 0) return 0;
  for (int j = 0; j < 32; j++) if (fabs32(x[j]) == amax) return x[j];
  return 0; /* unreachable */
}

/* min_max over 32 values; lane-wise pmin/pmax equal the scalar `v < min` / `v > max` updates, except which
   of -0 / +0 survives a tie, so a zero result is recomputed by the scalar scan. */
static inline void min_max_simd(const float *x, float *mn, float *mx) {
  v128_t vmin = wasm_f32x4_splat(FLT_MAX_), vmax = wasm_f32x4_splat(-FLT_MAX_);
  for (int j = 0; j < 32; j += 4) {
    const v128_t v = wasm_v128_load(x + j);
    vmin = wasm_f32x4_pmin(vmin, v);
    vmax = wasm_f32x4_pmax(vmax, v);
  }
  float lanes_min[4], lanes_max[4];
  wasm_v128_store(lanes_min, vmin);
  wasm_v128_store(lanes_max, vmax);
  float min = lanes_min[0], max = lanes_max[0];
  for (int k = 1; k < 4; k++) {
    if (lanes_min[k] < min) min = lanes_min[k];
    if (lanes_max[k] > max) max = lanes_max[k];
  }
  if (min == 0 || max == 0) {
    min_max(x, 32, mn, mx);
    return;
  }
  *mn = min;
  *mx = max;
}

/* to_int8 per lane, as int32 lanes holding the sign-extended low byte. trunc_sat agrees with x86's cvttss2si
   except for v >= 2^31 (INT32_MAX vs INT32_MIN) and NaN (0 vs INT32_MIN, same low byte 0). */
static inline v128_t to_int8x4(v128_t v) {
  v128_t t = wasm_i32x4_trunc_sat_f32x4(v);
  t = wasm_v128_bitselect(wasm_i32x4_splat((int32_t)0x80000000u), t, wasm_f32x4_ge(v, wasm_f32x4_splat(2147483648.0f)));
  return wasm_i32x4_shr(wasm_i32x4_shl(t, 24), 24);
}

/* 16 int32 lanes (values 0..255) -> 16 bytes. */
static inline v128_t bytes16(v128_t a, v128_t b, v128_t c, v128_t d) {
  return wasm_u8x16_narrow_i16x8(wasm_u16x8_narrow_i32x4(a, b), wasm_u16x8_narrow_i32x4(c, d));
}

/* The 32 quant bytes (as two 16-byte vectors: values 0..15 and 16..31) of q = to_int8((x [- sub]) * id + add),
   clamped to <= cap when cap >= 0, then & 0xff. */
static inline void quants32(const float *x, int has_sub, float sub, float id, float add, int cap, v128_t *lo, v128_t *hi) {
  const v128_t vsub = wasm_f32x4_splat(sub), vid = wasm_f32x4_splat(id), vadd = wasm_f32x4_splat(add);
  const v128_t vcap = wasm_i32x4_splat(cap), mask = wasm_i32x4_splat(0xff);
  v128_t t[8], q[8];
  v128_t in_range = wasm_i32x4_splat(-1);
  for (int k = 0; k < 8; k++) {
    const v128_t v = wasm_v128_load(x + 4 * k);
    t[k] = wasm_f32x4_add(wasm_f32x4_mul(has_sub ? wasm_f32x4_sub(v, vsub) : v, vid), vadd);
    in_range = wasm_v128_and(in_range, wasm_v128_and(wasm_f32x4_gt(t[k], wasm_f32x4_splat(-129.0f)), wasm_f32x4_lt(t[k], wasm_f32x4_splat(128.0f))));
  }
  /* Common case: every t in (-129, 128), where truncation already is an int8 (no x86 fix-up, no sign extension). */
  const int fast = wasm_i32x4_all_true(in_range);
  for (int k = 0; k < 8; k++) {
    v128_t l = fast ? wasm_i32x4_trunc_sat_f32x4(t[k]) : to_int8x4(t[k]);
    if (cap >= 0) l = wasm_i32x4_min(l, vcap);
    q[k] = wasm_v128_and(l, mask);
  }
  *lo = bytes16(q[0], q[1], q[2], q[3]);
  *hi = bytes16(q[4], q[5], q[6], q[7]);
}

EXPORT void quantize_q4_0(const float *x, uint8_t *y, int nb) {
  for (int i = 0; i < nb; i++, x += 32, y += 18) {
    const float d = signed_abs_max_simd(x) / -8.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put_f16(y, d);
    v128_t lo, hi;
    quants32(x, 0, 0.f, id, 8.5f, 15, &lo, &hi);
    wasm_v128_store(y + 2, wasm_v128_or(lo, wasm_i8x16_shl(hi, 4)));
  }
}

EXPORT void quantize_q4_1(const float *x, uint8_t *y, int nb) {
  for (int i = 0; i < nb; i++, x += 32, y += 20) {
    float min, max;
    min_max_simd(x, &min, &max);
    const float d = (max - min) / 15.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put_f16(y, d);
    put_f16(y + 2, min);
    v128_t lo, hi;
    quants32(x, 1, min, id, 0.5f, 15, &lo, &hi);
    wasm_v128_store(y + 4, wasm_v128_or(lo, wasm_i8x16_shl(hi, 4)));
  }
}

/* qh: bit j = bit 4 of quant j (j < 16 from lo, j + 16 from hi). */
static inline uint32_t high_mask(v128_t lo, v128_t hi) {
  return (uint32_t)wasm_i8x16_bitmask(wasm_i8x16_shl(lo, 3)) | ((uint32_t)wasm_i8x16_bitmask(wasm_i8x16_shl(hi, 3)) << 16);
}

EXPORT void quantize_q5_0(const float *x, uint8_t *y, int nb) {
  const v128_t nibble = wasm_i8x16_splat(0x0f);
  for (int i = 0; i < nb; i++, x += 32, y += 22) {
    const float d = signed_abs_max_simd(x) / -16.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put_f16(y, d);
    v128_t lo, hi;
    quants32(x, 0, 0.f, id, 16.5f, 31, &lo, &hi);
    wasm_v128_store(y + 6, wasm_v128_or(wasm_v128_and(lo, nibble), wasm_i8x16_shl(hi, 4)));
    put_u32(y + 2, high_mask(lo, hi));
  }
}

EXPORT void quantize_q5_1(const float *x, uint8_t *y, int nb) {
  const v128_t nibble = wasm_i8x16_splat(0x0f);
  for (int i = 0; i < nb; i++, x += 32, y += 24) {
    float min, max;
    min_max_simd(x, &min, &max);
    const float d = (max - min) / 31.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    put_f16(y, d);
    put_f16(y + 2, min);
    v128_t lo, hi;
    /* ggml casts straight to uint8_t here (no clamp) */
    quants32(x, 1, min, id, 0.5f, -1, &lo, &hi);
    wasm_v128_store(y + 8, wasm_v128_or(wasm_v128_and(lo, nibble), wasm_i8x16_shl(hi, 4)));
    put_u32(y + 4, high_mask(lo, hi));
  }
}

/* Q8_0 / Q8_1 core: d = amax / 127, q = roundf(x / d); returns d. */
static inline float quantize8(const float *x, uint8_t *qs) {
  float amax = 0;
  for (int j = 0; j < 32; j++) {
    const float a = fabs32(x[j]);
    amax = amax > a ? amax : a;
  }
  const float d = amax / 127.0f;
  const float id = d != 0 ? 1.0f / d : 0.0f;
  for (int j = 0; j < 32; j++) qs[j] = (uint8_t)to_int8(round_away(x[j] * id));
  return d;
}

EXPORT void quantize_q8_0(const float *x, uint8_t *y, int nb) {
  for (int i = 0; i < nb; i++, x += 32, y += 34) put_f16(y, quantize8(x, y + 2));
}

EXPORT void quantize_q8_1(const float *x, uint8_t *y, int nb) {
  for (int i = 0; i < nb; i++, x += 32, y += 36) {
    const float d = quantize8(x, y + 4);
    int sum = 0;
    for (int j = 0; j < 32; j++) sum += (int8_t)y[4 + j];
    put_f16(y, d);
    put_f16(y + 2, (float)sum * d);
  }
}

EXPORT void dequantize_q4_0(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f), eight = wasm_i8x16_splat(8);
  for (int i = 0; i < nb; i++, x += 18, y += 32) {
    const v128_t d = wasm_f32x4_splat(get_f16(x));
    const v128_t b = wasm_v128_load(x + 2);
    store_i8_mul(y, wasm_i8x16_sub(wasm_v128_and(b, mask), eight), d);
    store_i8_mul(y + 16, wasm_i8x16_sub(wasm_u8x16_shr(b, 4), eight), d);
  }
}

EXPORT void dequantize_q4_1(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f);
  for (int i = 0; i < nb; i++, x += 20, y += 32) {
    const v128_t d = wasm_f32x4_splat(get_f16(x)), m = wasm_f32x4_splat(get_f16(x + 2));
    const v128_t b = wasm_v128_load(x + 4);
    store_u8_mul_add(y, wasm_v128_and(b, mask), d, m);
    store_u8_mul_add(y + 16, wasm_u8x16_shr(b, 4), d, m);
  }
}

/* 16 bytes, byte j = 0x10 when bit (j + offset) of qh is set. */
static inline v128_t high_bits(uint32_t qh, int offset) {
  const uint32_t h = (qh >> offset) & 0xffff;
  const v128_t spread = wasm_i8x16_make((int8_t)(h & 0xff), (int8_t)(h & 0xff), (int8_t)(h & 0xff), (int8_t)(h & 0xff),
                                        (int8_t)(h & 0xff), (int8_t)(h & 0xff), (int8_t)(h & 0xff), (int8_t)(h & 0xff),
                                        (int8_t)(h >> 8), (int8_t)(h >> 8), (int8_t)(h >> 8), (int8_t)(h >> 8),
                                        (int8_t)(h >> 8), (int8_t)(h >> 8), (int8_t)(h >> 8), (int8_t)(h >> 8));
  const v128_t bit = wasm_u8x16_make(1, 2, 4, 8, 16, 32, 64, 128, 1, 2, 4, 8, 16, 32, 64, 128);
  const v128_t set = wasm_i8x16_eq(wasm_v128_and(spread, bit), bit);
  return wasm_v128_and(set, wasm_i8x16_splat(0x10));
}

EXPORT void dequantize_q5_0(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f), sixteen = wasm_i8x16_splat(16);
  for (int i = 0; i < nb; i++, x += 22, y += 32) {
    const v128_t d = wasm_f32x4_splat(get_f16(x));
    const uint32_t qh = get_u32(x + 2);
    const v128_t b = wasm_v128_load(x + 6);
    store_i8_mul(y, wasm_i8x16_sub(wasm_v128_or(wasm_v128_and(b, mask), high_bits(qh, 0)), sixteen), d);
    store_i8_mul(y + 16, wasm_i8x16_sub(wasm_v128_or(wasm_u8x16_shr(b, 4), high_bits(qh, 16)), sixteen), d);
  }
}

EXPORT void dequantize_q5_1(const uint8_t *x, float *y, int nb) {
  const v128_t mask = wasm_i8x16_splat(0x0f);
  for (int i = 0; i < nb; i++, x += 24, y += 32) {
    const v128_t d = wasm_f32x4_splat(get_f16(x)), m = wasm_f32x4_splat(get_f16(x + 2));
    const uint32_t qh = get_u32(x + 4);
    const v128_t b = wasm_v128_load(x + 8);
    store_u8_mul_add(y, wasm_v128_or(wasm_v128_and(b, mask), high_bits(qh, 0)), d, m);
    store_u8_mul_add(y + 16, wasm_v128_or(wasm_u8x16_shr(b, 4), high_bits(qh, 16)), d, m);
  }
}

static inline void dequantize8(const uint8_t *x, float *y, int nb, int type_size, int qs_at) {
  for (int i = 0; i < nb; i++, x += type_size, y += 32) {
    const v128_t d = wasm_f32x4_splat(get_f16(x));
    store_i8_mul(y, wasm_v128_load(x + qs_at), d);
    store_i8_mul(y + 16, wasm_v128_load(x + qs_at + 16), d);
  }
}

EXPORT void dequantize_q8_0(const uint8_t *x, float *y, int nb) { dequantize8(x, y, nb, 34, 2); }

EXPORT void dequantize_q8_1(const uint8_t *x, float *y, int nb) { dequantize8(x, y, nb, 36, 4); }
