/*
 * AVX-512F micro-kernels (12 x 32: 24 zmm accumulators, 2 B vectors, A broadcast from memory).
 * Compiled for AVX-512 with a target pragma that covers this translation unit only (no global
 * -march flag), so the addon binary stays loadable on any x86-64; addon.cc calls in here only
 * after __builtin_cpu_supports("avx512f").
 */
#include "isa.h"

#if LLMKIT_X86_GCC
#pragma GCC push_options
#pragma GCC target("avx512f,avx512dq,avx512vl,avx512bw,avx2,fma,bmi,bmi2")
#include <immintrin.h>

namespace {

struct V {
  typedef __m512 vec;
  typedef __mmask16 mask;
  enum { W = 16 };
  static inline vec zero() { return _mm512_setzero_ps(); }
  static inline vec load(const float *p) { return _mm512_load_ps(p); }
  static inline vec loadu(const float *p) { return _mm512_loadu_ps(p); }
  static inline vec bcast(const float *p) { return _mm512_set1_ps(*p); }
  static inline vec fma(vec a, vec b, vec c) { return _mm512_fmadd_ps(a, b, c); }
  static inline vec add(vec a, vec b) { return _mm512_add_ps(a, b); }
  static inline void store(float *p, vec x) { _mm512_store_ps(p, x); }
  static inline void storeu(float *p, vec x) { _mm512_storeu_ps(p, x); }
  static inline mask mask_n(int n) { return (mask)(n >= 16 ? 0xffff : ((1u << n) - 1)); }
  static inline vec loadm(const float *p, mask m) { return _mm512_maskz_loadu_ps(m, p); }
  static inline void storem(float *p, vec x, mask m) { _mm512_mask_storeu_ps(p, m, x); }
  static inline float hsum(vec x) { return _mm512_reduce_add_ps(x); }
};

#define MR 12
#define NV 2
#define KC 256
#define MC 192
#define NC 1024
#include "gemm_impl.h"

}  // namespace

namespace llmkit_avx512 {
const IsaKernels kernels = {"avx512f", MR, NV * V::W, SCRATCH_FLOATS, init_table, gemm};
}

#pragma GCC pop_options
#else
namespace llmkit_avx512 {
const IsaKernels kernels = {"avx512f", 0, 0, 0, nullptr, nullptr};
}
#endif
