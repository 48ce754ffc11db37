/*
 * ISA-generic fp32 GEMM, included once per instruction set by sgemm_avx512.cc and sgemm_avx2.cc
 * inside a namespace, after a `#pragma GCC target(...)` and the definition of a vector traits
 * struct `V` and the blocking constants MR (rows of the micro-kernel), NV (vectors across its
 * columns), KC, MC, NC. Everything here has internal linkage (static or in the includer's
 * anonymous namespace) and uses no C++ standard library templates, so no code compiled for
 * AVX-512 can be merged by the linker into a caller that runs on a CPU without it.
 *
 * Contract (same as packages/core/wasm/kernels/matmul.c):
 *   C[M, N] = op(A)[M, K] x op(B)[K, N], C row-major with row stride ldc,
 *   op(A)(i, p) = a[i * rsa + p * csa], op(B)(p, j) = b[p * rsb + j * csb] (element strides),
 * so every transpose is a stride swap. C is overwritten (not accumulated into).
 *
 * Layout: GotoBLAS blocking. B is packed into NR-column panels (k-major, zero-padded to NR), A
 * into MR-row panels (k-major, zero-padded to MR); an MR x NR register-blocked FMA micro-kernel,
 * templated on the rows and vectors it really has, multiplies one A panel by one B panel over a
 * KC slice of K and writes C with masked stores at the right and bottom edges (no temp tile).
 * Products with at most SMALL_M rows (decoding) skip packing: dot products when A rows and
 * op(B) columns are contiguous (x W^T), row AXPYs when B rows are contiguous.
 */

#define NR (NV * V::W)

static inline long min_l(long a, long b) { return a < b ? a : b; }

/* Floats of scratch one thread needs: packed A (MC x KC) + packed B (KC x NC). */
static const long SCRATCH_FLOATS = (long)MC * KC + (long)KC * NC;

/*
 * dst[p * ld + r] = src[r * rs + p] for r < 4, p < kc: four contiguous source rows written
 * interleaved (k-major), 4x4 blocks at a time with SSE transposes.
 */
static inline void transpose_rows4(long kc, const float *src, long rs, float *dst, long ld) {
  const float *r0 = src, *r1 = src + rs, *r2 = src + 2 * rs, *r3 = src + 3 * rs;
  long p = 0;
  for (; p + 4 <= kc; p += 4) {
    __m128 x0 = _mm_loadu_ps(r0 + p), x1 = _mm_loadu_ps(r1 + p);
    __m128 x2 = _mm_loadu_ps(r2 + p), x3 = _mm_loadu_ps(r3 + p);
    _MM_TRANSPOSE4_PS(x0, x1, x2, x3);
    _mm_storeu_ps(dst + (p + 0) * ld, x0);
    _mm_storeu_ps(dst + (p + 1) * ld, x1);
    _mm_storeu_ps(dst + (p + 2) * ld, x2);
    _mm_storeu_ps(dst + (p + 3) * ld, x3);
  }
  for (; p < kc; p++) {
    dst[p * ld + 0] = r0[p];
    dst[p * ld + 1] = r1[p];
    dst[p * ld + 2] = r2[p];
    dst[p * ld + 3] = r3[p];
  }
}

/* ap[panel][p][i] = A(i0 + i, p0 + p), zero-padded to MR rows. */
static void pack_a(long mc, long kc, const float *a, long rsa, long csa, float *ap) {
  for (long i0 = 0; i0 < mc; i0 += MR) {
    const long mr = min_l(MR, mc - i0);
    const float *src = a + i0 * rsa;
    if (rsa == 1) {
      /* op(A) stored transposed: the rows of one k are contiguous. */
      for (long p = 0; p < kc; p++) {
        const float *s = src + p * csa;
        float *d = ap + p * MR;
        long i = 0;
        for (; i < mr; i++) d[i] = s[i];
        for (; i < MR; i++) d[i] = 0.0f;
      }
    } else if (csa == 1) {
      /* Row-major A: 4x4 blocks transposed in registers (4 rows x 4 k -> 4 k x 4 rows), rows
         left over (mr not a multiple of 4) one at a time. */
      long i = 0;
      for (; i + 4 <= mr; i += 4) transpose_rows4(kc, src + i * rsa, rsa, ap + i, MR);
      for (; i < mr; i++) {
        const float *s = src + i * rsa;
        for (long p = 0; p < kc; p++) ap[p * MR + i] = s[p];
      }
      for (i = mr; i < MR; i++)
        for (long p = 0; p < kc; p++) ap[p * MR + i] = 0.0f;
    } else {
      /* General strides: one source row at a time, stores MR floats apart. */
      for (long i = 0; i < mr; i++) {
        const float *s = src + i * rsa;
        float *d = ap + i;
        if (csa == 1) {
          for (long p = 0; p < kc; p++) d[p * MR] = s[p];
        } else {
          for (long p = 0; p < kc; p++) d[p * MR] = s[p * csa];
        }
      }
      for (long i = mr; i < MR; i++)
        for (long p = 0; p < kc; p++) ap[p * MR + i] = 0.0f;
    }
    ap += kc * MR;
  }
}

/* bp[panel][p][j] = B(p0 + p, j0 + j), zero-padded to NR columns. */
static void pack_b(long kc, long nc, const float *b, long rsb, long csb, float *bp) {
  for (long j0 = 0; j0 < nc; j0 += NR) {
    const long nr = min_l(NR, nc - j0);
    const float *src = b + j0 * csb;
    if (csb == 1) {
      if (nr == NR) {
        for (long p = 0; p < kc; p++) {
          const float *s = src + p * rsb;
          float *d = bp + p * NR;
          for (int v = 0; v < NV; v++) V::store(d + v * V::W, V::loadu(s + v * V::W));
        }
      } else {
        for (long p = 0; p < kc; p++) {
          const float *s = src + p * rsb;
          float *d = bp + p * NR;
          long j = 0;
          for (; j < nr; j++) d[j] = s[j];
          for (; j < NR; j++) d[j] = 0.0f;
        }
      }
    } else {
      /* op(B) = W^T with W rows contiguous (rsb == 1): 4x4 blocks transposed in registers;
         otherwise (and for the last nr % 4 columns) one source column at a time. */
      long j0 = 0;
      if (rsb == 1)
        for (; j0 + 4 <= nr; j0 += 4) transpose_rows4(kc, src + j0 * csb, csb, bp + j0, NR);
      for (long j = j0; j < nr; j++) {
        const float *s = src + j * csb;
        float *d = bp + j;
        if (rsb == 1) {
          for (long p = 0; p < kc; p++) d[p * NR] = s[p];
        } else {
          for (long p = 0; p < kc; p++) d[p * NR] = s[p * rsb];
        }
      }
      for (long j = nr; j < NR; j++)
        for (long p = 0; p < kc; p++) bp[p * NR + j] = 0.0f;
    }
    bp += kc * NR;
  }
}

/*
 * C[0:R, 0:cols] (+)= Apanel[R rows] x Bpanel[NVU vectors] over kc. `mask` covers the columns of
 * the last vector. R and NVU are compile-time so the accumulators live in registers.
 */
template <int R, int NVU>
static inline void ukernel(long kc, const float *ap, const float *bp, float *c, long ldc, typename V::mask mask,
                           bool accumulate) {
  typename V::vec acc[R][NVU];
  for (int r = 0; r < R; r++)
    for (int v = 0; v < NVU; v++) acc[r][v] = V::zero();
  for (long p = 0; p < kc; p++) {
    typename V::vec bv[NVU];
    for (int v = 0; v < NVU; v++) bv[v] = V::load(bp + v * V::W);
    for (int r = 0; r < R; r++) {
      const typename V::vec av = V::bcast(ap + r);
      for (int v = 0; v < NVU; v++) acc[r][v] = V::fma(av, bv[v], acc[r][v]);
    }
    ap += MR;
    bp += NR;
  }
  for (int r = 0; r < R; r++) {
    float *row = c + r * ldc;
    for (int v = 0; v < NVU - 1; v++) {
      typename V::vec x = acc[r][v];
      if (accumulate) x = V::add(x, V::loadu(row + v * V::W));
      V::storeu(row + v * V::W, x);
    }
    float *last = row + (NVU - 1) * V::W;
    typename V::vec x = acc[r][NVU - 1];
    if (accumulate) x = V::add(x, V::loadm(last, mask));
    V::storem(last, x, mask);
  }
}

typedef void (*ukernel_fn)(long, const float *, const float *, float *, long, typename V::mask, bool);

template <int R>
struct UkTable {
  static void fill(ukernel_fn (*t)[NV]) {
    UkTable<R - 1>::fill(t);
    t[R - 1][0] = &ukernel<R, 1>;
    if (NV > 1) t[R - 1][NV - 1] = &ukernel<R, NV>;
  }
};
template <>
struct UkTable<0> {
  static void fill(ukernel_fn (*)[NV]) {}
};

static ukernel_fn uk_table[MR][NV];
static bool uk_ready = false;

static void init_table() {
  if (uk_ready) return;
  UkTable<MR>::fill(uk_table);
  uk_ready = true;
}

/* Few rows, A rows contiguous (csa == 1), op(B) columns contiguous (rsb == 1): dot products. */
static void small_dot(long m, long n, long k, const float *a, long rsa, const float *b, long csb, float *c, long ldc) {
  const long kv = k - k % V::W;
  const typename V::mask tail = V::mask_n((int)(k - kv));
  for (long i = 0; i < m; i++) {
    const float *ar = a + i * rsa;
    long j = 0;
    for (; j + 4 <= n; j += 4) {
      const float *w0 = b + j * csb, *w1 = w0 + csb, *w2 = w1 + csb, *w3 = w2 + csb;
      typename V::vec s0 = V::zero(), s1 = s0, s2 = s0, s3 = s0;
      long p = 0;
      for (; p < kv; p += V::W) {
        const typename V::vec x = V::loadu(ar + p);
        s0 = V::fma(x, V::loadu(w0 + p), s0);
        s1 = V::fma(x, V::loadu(w1 + p), s1);
        s2 = V::fma(x, V::loadu(w2 + p), s2);
        s3 = V::fma(x, V::loadu(w3 + p), s3);
      }
      if (p < k) {
        const typename V::vec x = V::loadm(ar + p, tail);
        s0 = V::fma(x, V::loadm(w0 + p, tail), s0);
        s1 = V::fma(x, V::loadm(w1 + p, tail), s1);
        s2 = V::fma(x, V::loadm(w2 + p, tail), s2);
        s3 = V::fma(x, V::loadm(w3 + p, tail), s3);
      }
      c[i * ldc + j] = V::hsum(s0);
      c[i * ldc + j + 1] = V::hsum(s1);
      c[i * ldc + j + 2] = V::hsum(s2);
      c[i * ldc + j + 3] = V::hsum(s3);
    }
    for (; j < n; j++) {
      const float *w = b + j * csb;
      typename V::vec s = V::zero();
      long p = 0;
      for (; p < kv; p += V::W) s = V::fma(V::loadu(ar + p), V::loadu(w + p), s);
      if (p < k) s = V::fma(V::loadm(ar + p, tail), V::loadm(w + p, tail), s);
      c[i * ldc + j] = V::hsum(s);
    }
  }
}

/* Few rows, B rows contiguous (csb == 1): c[i, :] = sum_p A(i, p) * B[p, :], 4 vectors at a time. */
static void small_axpy(long m, long n, long k, const float *a, long rsa, long csa, const float *b, long rsb, float *c,
                       long ldc) {
  const long W = V::W;
  for (long i = 0; i < m; i++) {
    const float *ar = a + i * rsa;
    float *cr = c + i * ldc;
    long j = 0;
    for (; j + 4 * W <= n; j += 4 * W) {
      typename V::vec s0 = V::zero(), s1 = s0, s2 = s0, s3 = s0;
      for (long p = 0; p < k; p++) {
        const typename V::vec x = V::bcast(ar + p * csa);
        const float *br = b + p * rsb + j;
        s0 = V::fma(x, V::loadu(br), s0);
        s1 = V::fma(x, V::loadu(br + W), s1);
        s2 = V::fma(x, V::loadu(br + 2 * W), s2);
        s3 = V::fma(x, V::loadu(br + 3 * W), s3);
      }
      V::storeu(cr + j, s0);
      V::storeu(cr + j + W, s1);
      V::storeu(cr + j + 2 * W, s2);
      V::storeu(cr + j + 3 * W, s3);
    }
    for (; j < n; j += W) {
      const typename V::mask mk = V::mask_n((int)min_l(W, n - j));
      typename V::vec s = V::zero();
      for (long p = 0; p < k; p++) s = V::fma(V::bcast(ar + p * csa), V::loadm(b + p * rsb + j, mk), s);
      V::storem(cr + j, s, mk);
    }
  }
}

/* Rows at or below which products skip packing (see small_dot / small_axpy). */
#define SMALL_M 4

/*
 * The whole product on the calling thread. scratch: SCRATCH_FLOATS floats, 64-byte aligned.
 */
static void gemm(long m, long n, long k, const float *a, long rsa, long csa, const float *b, long rsb, long csb,
                 float *c, long ldc, float *scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (long i = 0; i < m; i++)
      for (long j = 0; j < n; j++) c[i * ldc + j] = 0.0f;
    return;
  }
  if (m <= SMALL_M && csa == 1 && rsb == 1) {
    small_dot(m, n, k, a, rsa, b, csb, c, ldc);
    return;
  }
  if (m <= SMALL_M && csb == 1) {
    small_axpy(m, n, k, a, rsa, csa, b, rsb, c, ldc);
    return;
  }
  init_table();
  float *ap = scratch;
  float *bp = scratch + (long)MC * KC;
  for (long jc = 0; jc < n; jc += NC) {
    const long nc = min_l(NC, n - jc);
    for (long pc = 0; pc < k; pc += KC) {
      const long kc = min_l(KC, k - pc);
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, bp);
      for (long ic = 0; ic < m; ic += MC) {
        const long mc = min_l(MC, m - ic);
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, ap);
        for (long jr = 0; jr < nc; jr += NR) {
          const long nr = min_l(NR, nc - jr);
          const int nvu = (int)((nr + V::W - 1) / V::W);
          const typename V::mask mask = V::mask_n((int)(nr - (nvu - 1) * V::W));
          /* Panels narrower than NR run the 1-vector kernel (NV is 1 or 2). */
          const int vi = nvu == NV ? NV - 1 : 0;
          for (long ir = 0; ir < mc; ir += MR) {
            const long mr = min_l(MR, mc - ir);
            uk_table[mr - 1][vi](kc, ap + ir * kc, bp + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, mask, pc > 0);
          }
        }
      }
    }
  }
}
