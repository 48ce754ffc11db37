/*
 * AVX2 + FMA micro-kernels (6 x 16: 12 ymm accumulators, 2 B vectors, 1 broadcast A).
 * Compiled for AVX2/FMA with a target pragma that covers this translation unit only (no global
 * -march flag); addon.cc calls in here only after __builtin_cpu_supports("avx2") and ("fma").
 */
#include "isa.h"

#if LLMKIT_X86_GCC
#pragma GCC push_options
#pragma GCC target("avx2,fma,bmi,bmi2")
#include <immintrin.h>

namespace {

struct V {
  typedef __m256 vec;
  typedef __m256i mask;
  enum { W = 8 };
  static inline vec zero() { return _mm256_setzero_ps(); }
  static inline vec load(const float *p) { return _mm256_load_ps(p); }
  static inline vec loadu(const float *p) { return _mm256_loadu_ps(p); }
  static inline vec bcast(const float *p) { return _mm256_broadcast_ss(p); }
  static inline vec fma(vec a, vec b, vec c) { return _mm256_fmadd_ps(a, b, c); }
  static inline vec add(vec a, vec b) { return _mm256_add_ps(a, b); }
  static inline void store(float *p, vec x) { _mm256_store_ps(p, x); }
  static inline void storeu(float *p, vec x) { _mm256_storeu_ps(p, x); }
  /* Lanes [0, n) set: compare the lane index with n. */
  static inline mask mask_n(int n) {
    return _mm256_cmpgt_epi32(_mm256_set1_epi32(n), _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7));
  }
  static inline vec loadm(const float *p, mask m) { return _mm256_maskload_ps(p, m); }
  static inline void storem(float *p, vec x, mask m) { _mm256_maskstore_ps(p, m, x); }
  static inline float hsum(vec x) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(x), _mm256_extractf128_ps(x, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
  }
};

#define MR 6
#define NV 2
#define KC 256
#define MC 144
#define NC 1024
#include "gemm_impl.h"

}  // namespace

namespace llmkit_avx2 {
const IsaKernels kernels = {"avx2", MR, NV * V::W, SCRATCH_FLOATS, init_table, gemm};
}

#pragma GCC pop_options
#else
namespace llmkit_avx2 {
const IsaKernels kernels = {"avx2", 0, 0, 0, nullptr, nullptr};
}
#endif
