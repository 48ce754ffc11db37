/* What each instruction-set translation unit exports to addon.cc. */
#ifndef LLMKIT_ISA_H
#define LLMKIT_ISA_H

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__)) && !defined(_MSC_VER)
#define LLMKIT_X86_GCC 1
#else
#define LLMKIT_X86_GCC 0
#endif

typedef void (*gemm_fn)(long m, long n, long k, const float *a, long rsa, long csa, const float *b, long rsb,
                        long csb, float *c, long ldc, float *scratch);

struct IsaKernels {
  const char *name;
  int mr;               /* rows of the micro-kernel (0: not compiled for this platform) */
  int nr;               /* columns of the micro-kernel */
  long scratch_floats;  /* per-thread scratch, 64-byte aligned */
  void (*init)(void);
  gemm_fn gemm;
};

namespace llmkit_avx512 {
extern const IsaKernels kernels;
}
namespace llmkit_avx2 {
extern const IsaKernels kernels;
}

#endif
