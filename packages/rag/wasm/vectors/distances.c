/*
 * Distance kernels of @llmkit/rag's vector stores (WebAssembly SIMD, f32x4). All pointers are byte
 * offsets into the store's own WebAssembly.Memory (imported); the module owns no memory, no data
 * segments and no stack. Sums are accumulated in f32 lanes (4 x f32x4 when dim % 16 == 0); the stores
 * use these only to rank, and rescore the returned top-k in double precision in JavaScript.
 *
 *   dot_ids(q, base, ids, count, dim, out):  out[i] = <q, base[ids[i]]>
 *   l2_ids(q, base, ids, count, dim, out):   out[i] = |q - base[ids[i]]|^2
 *   dot_rows(q, base, count, dim, out):      out[i] = <q, base[i]>       (rows 0..count-1)
 *   l2_rows(q, base, count, dim, out):       out[i] = |q - base[i]|^2
 */
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))

static inline float hsum(v128_t v) {
  return wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1) + wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3);
}

static inline float dot1(const float *a, const float *b, int dim) {
  int i = 0;
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (; i + 16 <= dim; i += 16) {
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4)));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(wasm_v128_load(a + i + 8), wasm_v128_load(b + i + 8)));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(wasm_v128_load(a + i + 12), wasm_v128_load(b + i + 12)));
  }
  for (; i + 4 <= dim; i += 4) s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(wasm_v128_load(a + i), wasm_v128_load(b + i)));
  float s = hsum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; i < dim; i++) s += a[i] * b[i];
  return s;
}

static inline float l2sq1(const float *a, const float *b, int dim) {
  int i = 0;
  v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
  for (; i + 16 <= dim; i += 16) {
    v128_t d0 = wasm_f32x4_sub(wasm_v128_load(a + i), wasm_v128_load(b + i));
    v128_t d1 = wasm_f32x4_sub(wasm_v128_load(a + i + 4), wasm_v128_load(b + i + 4));
    v128_t d2 = wasm_f32x4_sub(wasm_v128_load(a + i + 8), wasm_v128_load(b + i + 8));
    v128_t d3 = wasm_f32x4_sub(wasm_v128_load(a + i + 12), wasm_v128_load(b + i + 12));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
    s1 = wasm_f32x4_add(s1, wasm_f32x4_mul(d1, d1));
    s2 = wasm_f32x4_add(s2, wasm_f32x4_mul(d2, d2));
    s3 = wasm_f32x4_add(s3, wasm_f32x4_mul(d3, d3));
  }
  for (; i + 4 <= dim; i += 4) {
    v128_t d0 = wasm_f32x4_sub(wasm_v128_load(a + i), wasm_v128_load(b + i));
    s0 = wasm_f32x4_add(s0, wasm_f32x4_mul(d0, d0));
  }
  float s = hsum(wasm_f32x4_add(wasm_f32x4_add(s0, s1), wasm_f32x4_add(s2, s3)));
  for (; i < dim; i++) {
    float d = a[i] - b[i];
    s += d * d;
  }
  return s;
}

EXPORT void dot_ids(const float *q, const float *base, const int *ids, int count, int dim, float *out) {
  for (int i = 0; i < count; i++) out[i] = dot1(q, base + (long)ids[i] * dim, dim);
}

EXPORT void l2_ids(const float *q, const float *base, const int *ids, int count, int dim, float *out) {
  for (int i = 0; i < count; i++) out[i] = l2sq1(q, base + (long)ids[i] * dim, dim);
}

EXPORT void dot_rows(const float *q, const float *base, int count, int dim, float *out) {
  for (int i = 0; i < count; i++) out[i] = dot1(q, base + (long)i * dim, dim);
}

EXPORT void l2_rows(const float *q, const float *base, int count, int dim, float *out) {
  for (int i = 0; i < count; i++) out[i] = l2sq1(q, base + (long)i * dim, dim);
}
