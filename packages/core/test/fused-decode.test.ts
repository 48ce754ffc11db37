import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { expectClose } from '../src/testing/expect-close.js';
import { InvalidArgumentError, ShapeMismatchError } from '../src/errors/index.js';
import {
  addRmsNorm,
  decodeAttention,
  fusedDecodeAvailable,
  fusedDecodeKernels,
  linearRows,
  rmsNorm,
  ropeDecodeQkv,
  siluMul,
  swigluRows,
} from '../src/ops/fused-decode.js';
import { seeded } from './seeded.js';

// core's fused decode ops (src/ops/fused-decode.ts; wasm kernels in wasm/kernels/decode.c) on random
// inputs against float64 loops written here, against the same ops composed from tfjs kernels
// (fusedDecodeKernels.enabled = false) and against tfjs' cpu backend.


function randn(rand: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = scale * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  return out;
}

/** Run `fn` on `backend` with the fused kernels on or off; returns every output's values. */
async function runOn(backend: 'wasm' | 'cpu', enabled: boolean, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  fusedDecodeKernels.enabled = enabled;
  try {
    return tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync() as Float32Array));
    });
  } finally {
    fusedDecodeKernels.enabled = true;
    await tf.setBackend('wasm');
  }
}

/** Fused (wasm), composed (wasm) and cpu results of `fn`, each checked against `expected` (float64). */
async function checkAllPaths(fn: () => tf.Tensor | tf.Tensor[], expected: ArrayLike<number>[], atol: number, label: string): Promise<Float32Array[]> {
  const fused = await runOn('wasm', true, fn);
  const composed = await runOn('wasm', false, fn);
  const cpu = await runOn('cpu', true, fn);
  expected.forEach((e, i) => {
    expectClose(fused[i], Array.from(e), { atol, rtol: 1e-5, label: `${label} fused[${i}] vs float64` });
    expectClose(composed[i], Array.from(e), { atol, rtol: 1e-5, label: `${label} composed[${i}] vs float64` });
    expectClose(cpu[i], Array.from(e), { atol, rtol: 1e-5, label: `${label} cpu[${i}] vs float64` });
  });
  return fused;
}

/** Kernel names one call of `fn` runs. */
async function kernelsOf(fn: () => tf.Tensor | tf.Tensor[]): Promise<string[]> {
  const info = await tf.profile(() => {
    const out = fn();
    return out;
  });
  const names = info.kernels.map((k) => k.name);
  return names;
}

function rms64(x: Float32Array, w: Float32Array | null, n: number, eps: number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length / n; r++) {
    let ss = 0;
    for (let i = 0; i < n; i++) ss += x[r * n + i] ** 2;
    const inv = 1 / Math.sqrt(ss / n + eps);
    for (let i = 0; i < n; i++) out[r * n + i] = x[r * n + i] * inv * (w ? w[i] : 1);
  }
  return out;
}

const sigmoid64 = (g: number) => 1 / (1 + Math.exp(-g));

/** HF rotate_half RoPE of x [rows, heads * d] on its first rd features, one cos/sin row. */
function rope64(x: Float32Array, heads: number, d: number, cos: Float32Array, sin: Float32Array): Float64Array {
  const rd = cos.length;
  const half = rd / 2;
  const out = new Float64Array(x.length);
  for (let h = 0; h < x.length / d; h++) {
    for (let i = 0; i < d; i++) {
      const xi = x[h * d + i];
      if (i >= rd) out[h * d + i] = xi;
      else {
        const rot = i < half ? -x[h * d + i + half] : x[h * d + i - half];
        out[h * d + i] = xi * cos[i] + rot * sin[i];
      }
    }
  }
  return out;
}

/** Single-query attention, q [b, h, d], k [b, hkv, tk, d], v [b, hkv, tk, dv], keys start..tk-1. */
function attention64(
  q: Float32Array, k: Float32Array, v: Float32Array, b: number, h: number, hkv: number, tk: number, d: number, dv: number, start: number, scale: number,
): Float64Array {
  const out = new Float64Array(b * h * dv);
  const g = h / hkv;
  for (let bi = 0; bi < b; bi++) {
    for (let hi = 0; hi < h; hi++) {
      const kv = bi * hkv + Math.floor(hi / g);
      const s: number[] = [];
      for (let j = start; j < tk; j++) {
        let dot = 0;
        for (let i = 0; i < d; i++) dot += q[(bi * h + hi) * d + i] * scale * k[(kv * tk + j) * d + i];
        s.push(dot);
      }
      const m = s.reduce((a, x) => Math.max(a, x), -Infinity);
      const e = s.map((x) => Math.exp(x - m));
      const l = e.reduce((a, x) => a + x, 0);
      for (let i = 0; i < dv; i++) {
        let acc = 0;
        for (let j = start; j < tk; j++) acc += (e[j - start] / l) * v[(kv * tk + j) * dv + i];
        out[(bi * h + hi) * dv + i] = acc;
      }
    }
  }
  return out;
}

function linear64(x: Float32Array, m: number, k: number, w: Float32Array, n: number, bias: Float32Array | null): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) s += x[i * k + p] * w[j * k + p];
      out[i * n + j] = s + (bias ? bias[j] : 0);
    }
  }
  return out;
}

beforeAll(async () => {
  const info = await initBackend({ backend: 'wasm' });
  expect(info.backend).toBe('wasm');
});

// linearRows / swigluRows use their kernel when core's SIMD sgemm is the selected matmul (its
// values are that sgemm's, bit for bit); other matmul paths are checked separately below.
const matMulKernel = matMulStrategy.kernel;
beforeAll(() => {
  matMulStrategy.kernel = 'simd';
});

afterAll(async () => {
  matMulStrategy.kernel = matMulKernel;
  fusedDecodeKernels.enabled = true;
  await tf.setBackend('wasm');
});

describe('fused decode ops', () => {
  it('run as llmkit kernels on wasm with core SIMD module', () => {
    expect(fusedDecodeAvailable()).toBe(true);
    fusedDecodeKernels.enabled = false;
    expect(fusedDecodeAvailable()).toBe(false);
    fusedDecodeKernels.enabled = true;
  });

  it.each([
    [1, 256, true],
    [3, 37, true],
    [2, 64, false],
  ])('rmsNorm rows %i x %i (weight %s) equals float64 on every path, in one kernel', async (rows, n, withWeight) => {
    const rand = seeded(rows * 1000 + n);
    const x = randn(rand, rows * n, 2);
    const w = withWeight ? randn(rand, n) : null;
    const eps = 1e-5;
    const fn = () => rmsNorm(tf.tensor2d(x, [rows, n]), w ? tf.tensor1d(w) : null, eps);
    await checkAllPaths(fn, [rms64(x, w, n, eps)], 1e-5, 'rmsNorm');
    const kernels = await kernelsOf(() => tf.tidy(() => {
      const xt = tf.tensor2d(x, [rows, n]);
      const wt = w ? tf.tensor1d(w) : null;
      return rmsNorm(xt, wt, eps);
    }));
    expect(kernels).toEqual(['LlmkitRmsNorm']);
  });

  it('addRmsNorm returns x + residual and its RMSNorm', async () => {
    const rand = seeded(7);
    const rows = 2;
    const n = 130;
    const x = randn(rand, rows * n);
    const r = randn(rand, rows * n);
    const w = randn(rand, n);
    const sum = Float64Array.from(x, (v, i) => Math.fround(v + r[i]));
    const fn = () => {
      const out = addRmsNorm(tf.tensor2d(x, [rows, n]), tf.tensor2d(r, [rows, n]), tf.tensor1d(w), 1e-6);
      return [out.sum, out.normed];
    };
    const [fusedSum] = await checkAllPaths(fn, [sum, rms64(Float32Array.from(sum), w, n, 1e-6)], 1e-5, 'addRmsNorm');
    // the sum is one IEEE addition per value: exact
    expect(Array.from(fusedSum)).toEqual(Array.from(sum));
  });

  it('siluMul equals g * sigmoid(g) * u (odd length, large |g|)', async () => {
    const rand = seeded(11);
    const n = 1027;
    const g = randn(rand, n, 6);
    g[0] = -120;
    g[1] = 95;
    const u = randn(rand, n);
    const expected = Array.from(g, (gi, i) => gi * sigmoid64(gi) * u[i]);
    await checkAllPaths(() => siluMul(tf.tensor1d(g), tf.tensor1d(u)), [expected], 1e-5, 'siluMul');
  });

  it.each([
    // b, h, hkv, d, dv-as-multiple, rd
    [1, 8, 4, 32, 32],
    [3, 4, 4, 16, 8], // partial rotary: 8 of 16 features
    [2, 6, 1, 10, 10], // MQA, head size not a multiple of 4
  ])('ropeDecodeQkv b=%i h=%i hkv=%i d=%i rd=%i equals HF rotate_half', async (b, h, hkv, d, rd) => {
    const rand = seeded(b * 97 + h * 13 + d);
    const q = randn(rand, b * h * d);
    const k = randn(rand, b * hkv * d);
    const dv = d + 2;
    const v = randn(rand, b * hkv * dv);
    const angle = Array.from({ length: rd / 2 }, (_, i) => 17 * Math.pow(10000, (-2 * i) / rd));
    const cos = Float32Array.from({ length: rd }, (_, i) => Math.cos(angle[i % (rd / 2)]));
    const sin = Float32Array.from({ length: rd }, (_, i) => Math.sin(angle[i % (rd / 2)]));
    const fn = () => {
      const out = ropeDecodeQkv(tf.tensor2d(q, [b, h * d]), tf.tensor2d(k, [b, hkv * d]), tf.tensor2d(v, [b, hkv * dv]), tf.tensor1d(cos), tf.tensor1d(sin), {
        nHeads: h,
        nKvHeads: hkv,
        headDim: d,
      });
      expect(out.q.shape).toEqual([b, h, 1, d]);
      expect(out.k.shape).toEqual([b, hkv, 1, d]);
      expect(out.v.shape).toEqual([b, hkv, 1, dv]);
      return [out.q, out.k, out.v];
    };
    await checkAllPaths(fn, [rope64(q, h, d, cos, sin), rope64(k, hkv, d, cos, sin), v], 1e-6, 'rope');
  });

  it.each([
    // b, h, hkv, tk, d, dv, start
    [1, 8, 4, 145, 32, 32, 0],
    [2, 4, 2, 9, 16, 24, 3], // sliding window, Dv != D
    [3, 6, 1, 1, 8, 8, 0], // MQA, a single key
    [1, 2, 2, 33, 7, 5, 0], // head sizes not a multiple of 4, D > Dv
  ])('decodeAttention b=%i h=%i hkv=%i tk=%i d=%i dv=%i start=%i equals softmax attention', async (b, h, hkv, tk, d, dv, start) => {
    const rand = seeded(b + h * 7 + tk * 31 + d);
    const q = randn(rand, b * h * d);
    const k = randn(rand, b * hkv * tk * d);
    const v = randn(rand, b * hkv * tk * dv);
    const scale = 1 / Math.sqrt(d);
    const expected = attention64(q, k, v, b, h, hkv, tk, d, dv, start, scale);
    const fn = () =>
      decodeAttention(tf.tensor4d(q, [b, h, 1, d]), tf.tensor4d(k, [b, hkv, tk, d]), tf.tensor4d(v, [b, hkv, tk, dv]), { start });
    await checkAllPaths(fn, [expected], 2e-6, 'attention');
    const kernels = await kernelsOf(() => tf.tidy(() => fn()));
    expect(kernels.filter((name) => name === 'LlmkitDecodeAttention')).toHaveLength(1);
  });

  it('decodeAttention over more keys than core scratch holds (temporary buffer)', async () => {
    const rand = seeded(5);
    const tk = 200_000;
    const d = 4;
    const q = randn(rand, d);
    const k = randn(rand, tk * d, 0.5);
    const v = randn(rand, tk * d);
    const expected = attention64(q, k, v, 1, 1, 1, tk, d, d, 0, 0.5);
    const out = await runOn('wasm', true, () => decodeAttention(tf.tensor4d(q, [1, 1, 1, d]), tf.tensor4d(k, [1, 1, tk, d]), tf.tensor4d(v, [1, 1, tk, d]), { scale: 0.5 }));
    expectClose(out[0], Array.from(expected), { atol: 1e-5, label: 'long attention' });
  });

  it.each([
    [1, 256, 704, true],
    [4, 13, 11, false], // k % 4 and n % 8 tails
    [2, 64, 3, true],
  ])('linearRows m=%i k=%i n=%i (bias %s): float64 on every path, bit-identical to core matMul', async (m, k, n, withBias) => {
    const rand = seeded(m * 3 + k + n);
    const x = randn(rand, m * k);
    const w1 = randn(rand, n * k, 0.1);
    const w2 = randn(rand, (n + 5) * k, 0.1);
    const b1 = withBias ? randn(rand, n) : null;
    const fn = () => linearRows(tf.tensor2d(x, [m, k]), [{ weight: tf.tensor2d(w1, [n, k]), bias: b1 ? tf.tensor1d(b1) : null }, { weight: tf.tensor2d(w2, [n + 5, k]) }]);
    const fused = await checkAllPaths(fn, [linear64(x, m, k, w1, n, b1), linear64(x, m, k, w2, n + 5, null)], 1e-5, 'linearRows');
    const matMul = await runOn('wasm', true, () => {
      const xt = tf.tensor2d(x, [m, k]);
      const y1 = tf.matMul(xt, tf.tensor2d(w1, [n, k]), false, true);
      return [b1 ? tf.add(y1, tf.tensor1d(b1)) : y1, tf.matMul(xt, tf.tensor2d(w2, [n + 5, k]), false, true)];
    });
    expect(Array.from(fused[0])).toEqual(Array.from(matMul[0]));
    expect(Array.from(fused[1])).toEqual(Array.from(matMul[1]));
    const kernels = await kernelsOf(() => tf.tidy(() => {
      const xt = tf.tensor2d(x, [m, k]);
      const w1t = tf.tensor2d(w1, [n, k]);
      const w2t = tf.tensor2d(w2, [n + 5, k]);
      return linearRows(xt, [{ weight: w1t }, { weight: w2t }]);
    }));
    expect(kernels).toEqual(['LlmkitLinearRows']);
  });

  it('swigluRows equals silu(x Wg^T + bg) * (x Wu^T + bu)', async () => {
    const rand = seeded(99);
    const [m, k, n] = [2, 20, 19];
    const x = randn(rand, m * k);
    const wg = randn(rand, n * k, 0.3);
    const wu = randn(rand, n * k, 0.3);
    const bg = randn(rand, n);
    const g = linear64(x, m, k, wg, n, bg);
    const u = linear64(x, m, k, wu, n, null);
    const expected = Array.from(g, (gi, i) => gi * sigmoid64(gi) * u[i]);
    await checkAllPaths(
      () => swigluRows(tf.tensor2d(x, [m, k]), { weight: tf.tensor2d(wg, [n, k]), bias: tf.tensor1d(bg) }, { weight: tf.tensor2d(wu, [n, k]) }),
      [expected],
      1e-5,
      'swigluRows',
    );
  });

  it('more rows than LINEAR_ROWS_MAX use tfjs matMul (same values)', async () => {
    const rand = seeded(3);
    const [m, k, n] = [20, 16, 12];
    const x = randn(rand, m * k);
    const w = randn(rand, n * k);
    await checkAllPaths(() => linearRows(tf.tensor2d(x, [m, k]), [{ weight: tf.tensor2d(w, [n, k]) }]), [linear64(x, m, k, w, n, null)], 1e-5, 'many rows');
    const kernels = await kernelsOf(() => tf.tidy(() => linearRows(tf.tensor2d(x, [m, k]), [{ weight: tf.tensor2d(w, [n, k]) }])));
    expect(kernels).toContain('BatchMatMul');
  });

  it('with another matmul path selected, linearRows runs tfjs matMul (that path)', async () => {
    const rand = seeded(8);
    const [m, k, n] = [1, 32, 24];
    const x = randn(rand, m * k);
    const w = randn(rand, n * k);
    matMulStrategy.kernel = 'xnnpack';
    try {
      const kernels = await kernelsOf(() => tf.tidy(() => linearRows(tf.tensor2d(x, [m, k]), [{ weight: tf.tensor2d(w, [n, k]) }])));
      expect(kernels).toEqual(['BatchMatMul']);
      const out = await runOn('wasm', true, () => linearRows(tf.tensor2d(x, [m, k]), [{ weight: tf.tensor2d(w, [n, k]) }]));
      expectClose(out[0], Array.from(linear64(x, m, k, w, n, null)), { atol: 1e-5 });
    } finally {
      matMulStrategy.kernel = 'simd';
    }
  });

  it('under a gradient tape the composed (differentiable) ops run', () => {
    const rand = seeded(21);
    const x = tf.tensor2d(randn(rand, 2 * 8), [2, 8]);
    const w = tf.tensor1d(randn(rand, 8));
    const grad = tf.grad((t: tf.Tensor) => tf.sum(rmsNorm(t, w, 1e-6)))(x);
    fusedDecodeKernels.enabled = false;
    const reference = tf.grad((t: tf.Tensor) => tf.sum(rmsNorm(t, w, 1e-6)))(x);
    fusedDecodeKernels.enabled = true;
    expectClose(grad.dataSync() as Float32Array, Array.from(reference.dataSync()), { atol: 1e-6 });
    tf.dispose([x, w, grad, reference]);
  });

  it('leaves no tensors behind', () => {
    const before = tf.memory().numTensors;
    const rand = seeded(1);
    const q = tf.tensor4d(randn(rand, 8 * 16), [1, 8, 1, 16]);
    const k = tf.tensor4d(randn(rand, 2 * 5 * 16), [1, 2, 5, 16]);
    for (let i = 0; i < 20; i++) decodeAttention(q, k, k).dispose();
    tf.dispose([q, k]);
    expect(tf.memory().numTensors).toBe(before);
  });

  it('rejects bad inputs with typed errors', () => {
    tf.tidy(() => {
      const x = tf.ones([2, 8]);
      expect(() => rmsNorm(x, tf.ones([7]), 1e-6)).toThrow(ShapeMismatchError);
      expect(() => rmsNorm(x, null, 0)).toThrow(InvalidArgumentError);
      expect(() => rmsNorm(tf.ones([2, 8], 'int32'), null, 1e-6)).toThrow(InvalidArgumentError);
      expect(() => addRmsNorm(x, tf.ones([2, 4]), null, 1e-6)).toThrow(ShapeMismatchError);
      expect(() => siluMul(x, tf.ones([8]))).toThrow(ShapeMismatchError);
      expect(() => linearRows(x as tf.Tensor2D, [{ weight: tf.ones([3, 7]) }])).toThrow(ShapeMismatchError);
      expect(() => linearRows(x as tf.Tensor2D, [])).toThrow(InvalidArgumentError);
      const q = tf.ones([1, 4, 1, 8]) as tf.Tensor4D;
      const kv = tf.ones([1, 3, 5, 8]) as tf.Tensor4D;
      expect(() => decodeAttention(q, kv, kv)).toThrow(ShapeMismatchError); // 4 heads over 3 kv heads
      const kv2 = tf.ones([1, 2, 5, 8]) as tf.Tensor4D;
      expect(() => decodeAttention(q, kv2, kv2, { start: 5 })).toThrow(InvalidArgumentError);
      expect(() =>
        ropeDecodeQkv(x as tf.Tensor2D, x as tf.Tensor2D, x as tf.Tensor2D, tf.ones([3]) as tf.Tensor1D, tf.ones([3]) as tf.Tensor1D, { nHeads: 2, nKvHeads: 2, headDim: 4 }),
      ).toThrow(ShapeMismatchError);
    });
  });
});
