/*
 * fp32 matrix multiply for core's tfjs-wasm kernels, WebAssembly SIMD (128-bit), single thread.
 *
 * The module imports tfjs-wasm's own WebAssembly.Memory (-Wl,--import-memory), so every pointer
 * here is a byte offset in the tfjs heap: tensors are read and written where tfjs keeps them, with
 * no copy. For that to be safe the module owns no memory of its own: no data segments, no static
 * variables, and no shadow stack (no local arrays, no address-taken locals); scratch space is a
 * buffer the caller allocated with tfjs' _malloc. src/backend/wasm-kernels/simd-module.ts checks
 * the binary for data segments and stack-pointer globals before instantiating it.
 *
 * Layout: GotoBLAS-style blocking. A is packed into MR-row panels (k-major), B into NR-column panels
 * (k-major); a 4x8 register-blocked micro-kernel (8 accumulators, 2 B vectors, 1 broadcast A)
 * multiplies one A panel by one B panel over a KC slice of K. Operands are addressed through
 * (row stride, column stride), so transposed operands cost nothing beyond the packing, which reads
 * 4x4 blocks with SIMD transposes. Products with few rows (decoding) skip packing: dot products for
 * op(B) = B^T with contiguous rows, row AXPYs otherwise.
 *
 * No fused multiply-add (wasm SIMD has none): every product is rounded, then added, as in the
 * scalar reference; only the summation order differs from other implementations.
 */
#include <wasm_simd128.h>

#define EXPORT __attribute__((visibility("default")))
#define MR 4
#define NR 8
#define KC 256
#define MC 128
#define NC 512

static inline int min_i(int a, int b) { return a < b ? a : b; }

/* Bytes of scratch sgemm needs: packed A (MC x KC) + packed B (KC x NC) + one 4x8 tile. */
#define SCRATCH_FLOATS (MC * KC + KC * NC + MR * NR)

/* ap[panel][p][i] = A(i0 + i, p0 + p), zero-padded to MR rows. */
static void pack_a(int mc, int kc, const float *a, int rsa, int csa, float *ap) {
  for (int i0 = 0; i0 < mc; i0 += MR) {
    const int mr = min_i(MR, mc - i0);
    const float *src = a + i0 * rsa;
    if (mr == MR && rsa == 1) {
      /* op(A) stored transposed: the MR values of one k are contiguous. */
      for (int p = 0; p < kc; p++) wasm_v128_store(ap + p * MR, wasm_v128_load(src + p * csa));
    } else if (mr == MR && csa == 1) {
      /* row-major A: transpose 4x4 blocks. */
      const float *r0 = src, *r1 = src + rsa, *r2 = src + 2 * rsa, *r3 = src + 3 * rsa;
      int p = 0;
      for (; p + 4 <= kc; p += 4) {
        v128_t x0 = wasm_v128_load(r0 + p), x1 = wasm_v128_load(r1 + p);
        v128_t x2 = wasm_v128_load(r2 + p), x3 = wasm_v128_load(r3 + p);
        v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
        v128_t t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
        wasm_v128_store(ap + (p + 0) * MR, wasm_i64x2_shuffle(t0, t1, 0, 2));
        wasm_v128_store(ap + (p + 1) * MR, wasm_i64x2_shuffle(t0, t1, 1, 3));
        wasm_v128_store(ap + (p + 2) * MR, wasm_i64x2_shuffle(t2, t3, 0, 2));
        wasm_v128_store(ap + (p + 3) * MR, wasm_i64x2_shuffle(t2, t3, 1, 3));
      }
      for (; p < kc; p++) {
        ap[p * MR + 0] = r0[p];
        ap[p * MR + 1] = r1[p];
        ap[p * MR + 2] = r2[p];
        ap[p * MR + 3] = r3[p];
      }
    } else {
      for (int p = 0; p < kc; p++)
        for (int i = 0; i < MR; i++) ap[p * MR + i] = i < mr ? src[i * rsa + p * csa] : 0.0f;
    }
    ap += kc * MR;
  }
}

/* bp[panel][p][j] = B(p0 + p, j0 + j), zero-padded to NR columns. */
static void pack_b(int kc, int nc, const float *b, int rsb, int csb, float *bp) {
  for (int j0 = 0; j0 < nc; j0 += NR) {
    const int nr = min_i(NR, nc - j0);
    const float *src = b + j0 * csb;
    if (nr == NR && csb == 1) {
      for (int p = 0; p < kc; p++) {
        wasm_v128_store(bp + p * NR, wasm_v128_load(src + p * rsb));
        wasm_v128_store(bp + p * NR + 4, wasm_v128_load(src + p * rsb + 4));
      }
    } else if (nr == NR && rsb == 1) {
      /* op(B) = W^T with W row-major [N, K]: column j of op(B) is row j of W; transpose 4x4 blocks. */
      for (int h = 0; h < 2; h++) {
        const float *r0 = src + (4 * h) * csb, *r1 = r0 + csb, *r2 = r1 + csb, *r3 = r2 + csb;
        float *dst = bp + 4 * h;
        int p = 0;
        for (; p + 4 <= kc; p += 4) {
          v128_t x0 = wasm_v128_load(r0 + p), x1 = wasm_v128_load(r1 + p);
          v128_t x2 = wasm_v128_load(r2 + p), x3 = wasm_v128_load(r3 + p);
          v128_t t0 = wasm_i32x4_shuffle(x0, x1, 0, 4, 1, 5), t1 = wasm_i32x4_shuffle(x2, x3, 0, 4, 1, 5);
          v128_t t2 = wasm_i32x4_shuffle(x0, x1, 2, 6, 3, 7), t3 = wasm_i32x4_shuffle(x2, x3, 2, 6, 3, 7);
          wasm_v128_store(dst + (p + 0) * NR, wasm_i64x2_shuffle(t0, t1, 0, 2));
          wasm_v128_store(dst + (p + 1) * NR, wasm_i64x2_shuffle(t0, t1, 1, 3));
          wasm_v128_store(dst + (p + 2) * NR, wasm_i64x2_shuffle(t2, t3, 0, 2));
          wasm_v128_store(dst + (p + 3) * NR, wasm_i64x2_shuffle(t2, t3, 1, 3));
        }
        for (; p < kc; p++) {
          dst[p * NR + 0] = r0[p];
          dst[p * NR + 1] = r1[p];
          dst[p * NR + 2] = r2[p];
          dst[p * NR + 3] = r3[p];
        }
      }
    } else {
      for (int p = 0; p < kc; p++)
        for (int j = 0; j < NR; j++) bp[p * NR + j] = j < nr ? src[p * rsb + j * csb] : 0.0f;
    }
    bp += kc * NR;
  }
}

#define ACC(a, b, c) c = wasm_f32x4_add(c, wasm_f32x4_mul(a, b))

/* C[0:mr, 0:nr] (+)= Apanel x Bpanel over kc; tile: MR*NR floats of scratch for partial tiles. */
static void kernel_4x8(int kc, const float *ap, const float *bp, float *c, int ldc, int mr, int nr,
                       int accumulate, float *tile) {
  v128_t c00 = wasm_f32x4_splat(0.0f), c01 = c00, c10 = c00, c11 = c00;
  v128_t c20 = c00, c21 = c00, c30 = c00, c31 = c00;
  for (int p = 0; p < kc; p++) {
    const v128_t b0 = wasm_v128_load(bp), b1 = wasm_v128_load(bp + 4);
    v128_t a = wasm_v128_load32_splat(ap);
    ACC(a, b0, c00);
    ACC(a, b1, c01);
    a = wasm_v128_load32_splat(ap + 1);
    ACC(a, b0, c10);
    ACC(a, b1, c11);
    a = wasm_v128_load32_splat(ap + 2);
    ACC(a, b0, c20);
    ACC(a, b1, c21);
    a = wasm_v128_load32_splat(ap + 3);
    ACC(a, b0, c30);
    ACC(a, b1, c31);
    ap += MR;
    bp += NR;
  }
  float *dst = c;
  int ld = ldc;
  const int full = mr == MR && nr == NR;
  if (!full) {
    dst = tile;
    ld = NR;
  }
  if (full && accumulate) {
    c00 = wasm_f32x4_add(c00, wasm_v128_load(dst));
    c01 = wasm_f32x4_add(c01, wasm_v128_load(dst + 4));
    c10 = wasm_f32x4_add(c10, wasm_v128_load(dst + ld));
    c11 = wasm_f32x4_add(c11, wasm_v128_load(dst + ld + 4));
    c20 = wasm_f32x4_add(c20, wasm_v128_load(dst + 2 * ld));
    c21 = wasm_f32x4_add(c21, wasm_v128_load(dst + 2 * ld + 4));
    c30 = wasm_f32x4_add(c30, wasm_v128_load(dst + 3 * ld));
    c31 = wasm_f32x4_add(c31, wasm_v128_load(dst + 3 * ld + 4));
  }
  wasm_v128_store(dst, c00);
  wasm_v128_store(dst + 4, c01);
  wasm_v128_store(dst + ld, c10);
  wasm_v128_store(dst + ld + 4, c11);
  wasm_v128_store(dst + 2 * ld, c20);
  wasm_v128_store(dst + 2 * ld + 4, c21);
  wasm_v128_store(dst + 3 * ld, c30);
  wasm_v128_store(dst + 3 * ld + 4, c31);
  if (!full) {
    for (int i = 0; i < mr; i++)
      for (int j = 0; j < nr; j++) c[i * ldc + j] = accumulate ? c[i * ldc + j] + tile[i * NR + j] : tile[i * NR + j];
  }
}

static inline float hsum(v128_t v) {
  return (wasm_f32x4_extract_lane(v, 0) + wasm_f32x4_extract_lane(v, 1)) +
         (wasm_f32x4_extract_lane(v, 2) + wasm_f32x4_extract_lane(v, 3));
}

/* Few rows, op(B) = W^T with W rows contiguous (rsb == 1) and A rows contiguous: dot products. */
static void small_dot(int m, int n, int k, const float *a, int rsa, const float *b, int csb, float *c, int ldc) {
  const int k4 = k & ~3;
  for (int i = 0; i < m; i++) {
    const float *ar = a + i * rsa;
    int j = 0;
    for (; j + 4 <= n; j += 4) {
      const float *w0 = b + j * csb, *w1 = w0 + csb, *w2 = w1 + csb, *w3 = w2 + csb;
      v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      for (int p = 0; p < k4; p += 4) {
        const v128_t x = wasm_v128_load(ar + p);
        ACC(x, wasm_v128_load(w0 + p), s0);
        ACC(x, wasm_v128_load(w1 + p), s1);
        ACC(x, wasm_v128_load(w2 + p), s2);
        ACC(x, wasm_v128_load(w3 + p), s3);
      }
      float d0 = hsum(s0), d1 = hsum(s1), d2 = hsum(s2), d3 = hsum(s3);
      for (int p = k4; p < k; p++) {
        d0 += ar[p] * w0[p];
        d1 += ar[p] * w1[p];
        d2 += ar[p] * w2[p];
        d3 += ar[p] * w3[p];
      }
      c[i * ldc + j] = d0;
      c[i * ldc + j + 1] = d1;
      c[i * ldc + j + 2] = d2;
      c[i * ldc + j + 3] = d3;
    }
    for (; j < n; j++) {
      const float *w = b + j * csb;
      v128_t s = wasm_f32x4_splat(0.0f);
      for (int p = 0; p < k4; p += 4) ACC(wasm_v128_load(ar + p), wasm_v128_load(w + p), s);
      float d = hsum(s);
      for (int p = k4; p < k; p++) d += ar[p] * w[p];
      c[i * ldc + j] = d;
    }
  }
}

/* Few rows, B rows contiguous (csb == 1): c[i, :] = sum_p A(i, p) * B[p, :], 32 columns at a time. */
static void small_axpy(int m, int n, int k, const float *a, int rsa, int csa, const float *b, int rsb, float *c,
                       int ldc) {
  for (int i = 0; i < m; i++) {
    const float *ar = a + i * rsa;
    float *cr = c + i * ldc;
    int j = 0;
    for (; j + 16 <= n; j += 16) {
      v128_t s0 = wasm_f32x4_splat(0.0f), s1 = s0, s2 = s0, s3 = s0;
      for (int p = 0; p < k; p++) {
        const v128_t x = wasm_f32x4_splat(ar[p * csa]);
        const float *br = b + p * rsb + j;
        ACC(x, wasm_v128_load(br), s0);
        ACC(x, wasm_v128_load(br + 4), s1);
        ACC(x, wasm_v128_load(br + 8), s2);
        ACC(x, wasm_v128_load(br + 12), s3);
      }
      wasm_v128_store(cr + j, s0);
      wasm_v128_store(cr + j + 4, s1);
      wasm_v128_store(cr + j + 8, s2);
      wasm_v128_store(cr + j + 12, s3);
    }
    for (; j + 4 <= n; j += 4) {
      v128_t s = wasm_f32x4_splat(0.0f);
      for (int p = 0; p < k; p++) ACC(wasm_f32x4_splat(ar[p * csa]), wasm_v128_load(b + p * rsb + j), s);
      wasm_v128_store(cr + j, s);
    }
    for (; j < n; j++) {
      float s = 0.0f;
      for (int p = 0; p < k; p++) s += ar[p * csa] * b[p * rsb + j];
      cr[j] = s;
    }
  }
}

/* Rows at or below which products skip packing (see small_dot / small_axpy). */
#define SMALL_M 4

/*
 * C[M, N] = op(A)[M, K] x op(B)[K, N], C row-major with leading dimension ldc.
 * op(A)(i, p) = a[i * rsa + p * csa], op(B)(p, j) = b[p * rsb + j * csb] (element strides), so
 * transposes are stride swaps. scratch: SCRATCH_FLOATS floats, 16-byte aligned.
 */
EXPORT void sgemm(int m, int n, int k, const float *a, int rsa, int csa, const float *b, int rsb, int csb, float *c,
                  int ldc, float *scratch) {
  if (m <= 0 || n <= 0) return;
  if (k <= 0) {
    for (int i = 0; i < m; i++)
      for (int j = 0; j < n; j++) c[i * ldc + j] = 0.0f;
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
  float *ap = scratch;
  float *bp = scratch + MC * KC;
  float *tile = bp + KC * NC;
  for (int jc = 0; jc < n; jc += NC) {
    const int nc = min_i(NC, n - jc);
    for (int pc = 0; pc < k; pc += KC) {
      const int kc = min_i(KC, k - pc);
      pack_b(kc, nc, b + pc * rsb + jc * csb, rsb, csb, bp);
      for (int ic = 0; ic < m; ic += MC) {
        const int mc = min_i(MC, m - ic);
        pack_a(mc, kc, a + ic * rsa + pc * csa, rsa, csa, ap);
        for (int jr = 0; jr < nc; jr += NR) {
          const int nr = min_i(NR, nc - jr);
          for (int ir = 0; ir < mc; ir += MR) {
            kernel_4x8(kc, ap + ir * kc, bp + jr * kc, c + (ic + ir) * ldc + jc + jr, ldc, min_i(MR, mc - ir), nr,
                       pc > 0, tile);
          }
        }
      }
    }
  }
}

/* Bytes of scratch sgemm needs. */
EXPORT int sgemm_scratch_bytes(void) { return SCRATCH_FLOATS * 4; }

/*
 * Epilogue of a fused matmul, in place on C [m, n]: add bias[n] (when bias is not null), then the
 * activation: 0 linear, 1 relu, 2 relu6, 4 leaky relu (alpha). Other activations are not handled here.
 */
EXPORT void bias_act(float *c, int m, int n, const float *bias, int activation, float alpha) {
  for (int i = 0; i < m; i++) {
    float *row = c + i * n;
    for (int j = 0; j < n; j++) {
      float v = row[j];
      if (bias) v += bias[j];
      if (activation == 1) v = v > 0.0f ? v : 0.0f;
      else if (activation == 2) v = v > 0.0f ? (v < 6.0f ? v : 6.0f) : 0.0f;
      else if (activation == 4) v = v < 0.0f ? v * alpha : v;
      row[j] = v;
    }
  }
}
