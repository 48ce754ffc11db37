import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { installWasmKernelFixes } from '../src/backend/wasm-fixes.js';
import { expectClose } from '../src/testing/expect-close.js';
import { InvalidArgumentError, ShapeMismatchError } from '../src/errors/index.js';
import { adamwUpdate, fusedTrainAvailable, fusedTrainKernels, geluExact, layerNorm } from '../src/ops/fused-train.js';
import { AdamW } from '../src/optim/adamw.js';
import { LayerNorm } from '../src/nn/layer-norm.js';
import { gelu } from '../src/nn/functional.js';

// core's fused training ops (src/ops/fused-train.ts; wasm kernels in wasm/kernels/train.c): forward
// values and gradients (through tf.grads) on random inputs against float64 loops written here, against
// the same ops composed from tfjs kernels (fusedTrainKernels.enabled = false) and against tfjs' cpu
// backend; AdamW bit for bit against its composed float32 ops.

function seeded(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function randn(rand: () => number, n: number, scale = 1, shift = 0): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = shift + scale * Math.sqrt(-2 * Math.log(rand() + 1e-12)) * Math.cos(2 * Math.PI * rand());
  return out;
}

/** erf in float64: Maclaurin series below 3 (terms < 1e4, so ~1e-12 absolute), continued fraction of erfc above. */
function erf64(x: number): number {
  const ax = Math.abs(x);
  let r: number;
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    r = (2 / Math.sqrt(Math.PI)) * sum;
  } else {
    // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + (1/2)/(x + 1/(x + (3/2)/(x + 2/(x + ...))))), evaluated from the tail
    let f = ax;
    for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
    r = 1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  }
  return x < 0 ? -r : r;
}

/** Run `fn` on `backend` with the fused kernels on or off; returns every output's values. */
async function runOn(backend: 'wasm' | 'cpu', enabled: boolean, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  await tf.setBackend(backend);
  fusedTrainKernels.enabled = enabled;
  try {
    return tf.tidy(() => {
      const out = fn();
      return (Array.isArray(out) ? out : [out]).map((t) => Float32Array.from(t.dataSync() as Float32Array));
    });
  } finally {
    fusedTrainKernels.enabled = true;
    await tf.setBackend('wasm');
  }
}

/** Fused (wasm), composed (wasm) and cpu results of `fn`, each checked against float64 `expected` and against each other. */
async function checkAllPaths(fn: () => tf.Tensor | tf.Tensor[], expected: ArrayLike<number>[], atol: number, label: string): Promise<void> {
  const fused = await runOn('wasm', true, fn);
  const composed = await runOn('wasm', false, fn);
  const cpu = await runOn('cpu', true, fn);
  expect(fused.length).toBe(expected.length);
  expected.forEach((e, i) => {
    expectClose(fused[i], Array.from(e), { atol, rtol: 1e-5, label: `${label} fused[${i}] vs float64` });
    expectClose(composed[i], Array.from(e), { atol, rtol: 1e-5, label: `${label} composed[${i}] vs float64` });
    expectClose(cpu[i], Array.from(e), { atol, rtol: 1e-5, label: `${label} cpu[${i}] vs float64` });
    expectClose(fused[i], composed[i], { atol, rtol: 1e-5, label: `${label} fused[${i}] vs composed` });
  });
}

/** LayerNorm forward and the gradients of sum(y * dy) in float64. */
function layerNorm64(x: Float32Array, w: Float32Array | null, b: Float32Array | null, dy: Float32Array, n: number, eps: number) {
  const rows = x.length / n;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(n);
  const db = new Float64Array(n);
  for (let r = 0; r < rows; r++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[r * n + i];
    mean /= n;
    let variance = 0;
    for (let i = 0; i < n; i++) variance += (x[r * n + i] - mean) ** 2;
    variance /= n;
    const rstd = 1 / Math.sqrt(variance + eps);
    const xhat = new Float64Array(n);
    const g = new Float64Array(n);
    let m1 = 0;
    let m2 = 0;
    for (let i = 0; i < n; i++) {
      xhat[i] = (x[r * n + i] - mean) * rstd;
      y[r * n + i] = xhat[i] * (w ? w[i] : 1) + (b ? b[i] : 0);
      g[i] = dy[r * n + i] * (w ? w[i] : 1);
      m1 += g[i] / n;
      m2 += (g[i] * xhat[i]) / n;
      dw[i] += dy[r * n + i] * xhat[i];
      db[i] += dy[r * n + i];
    }
    // d/dx of xhat: rstd * (g - mean(g) - xhat * mean(g * xhat)) (the standard LayerNorm backward)
    for (let i = 0; i < n; i++) dx[r * n + i] = rstd * (g[i] - m1 - xhat[i] * m2);
  }
  return { y, dx, dw, db };
}

beforeAll(async () => {
  const info = await initBackend({ backend: 'wasm' });
  expect(info.backend).toBe('wasm');
  expect(fusedTrainAvailable()).toBe(true);
});

describe('layerNorm (fused training op)', () => {
  const cases = [
    { rows: 12 * 8, n: 128, affine: 'wb', shift: 0 },
    { rows: 5, n: 7, affine: 'w', shift: 3 },
    { rows: 3, n: 33, affine: 'none', shift: -2 },
    { rows: 1, n: 1, affine: 'wb', shift: 0 },
  ] as const;
  for (const c of cases) {
    it(`forward and gradients match float64, composed and cpu: rows ${c.rows}, n ${c.n}, ${c.affine}`, async () => {
      const rand = seeded(c.rows * 131 + c.n);
      const xv = randn(rand, c.rows * c.n, 1.5, c.shift);
      const wv = c.affine !== 'none' ? randn(rand, c.n, 0.5, 1) : null;
      const bv = c.affine === 'wb' ? randn(rand, c.n, 0.3) : null;
      const dyv = randn(rand, c.rows * c.n);
      const eps = 1e-5;
      const ref = layerNorm64(xv, wv, bv, dyv, c.n, eps);
      const shape = [c.rows, c.n];
      await checkAllPaths(() => layerNorm(tf.tensor(xv, shape), wv ? tf.tensor(wv) : null, bv ? tf.tensor(bv) : null, eps), [ref.y], 2e-5, 'forward');
      const grads = () => {
        const x = tf.tensor(xv, shape);
        const w = wv ? tf.tensor(wv) : null;
        const b = bv ? tf.tensor(bv) : null;
        const dy = tf.tensor(dyv, shape);
        const inputs = [x, ...(w ? [w] : []), ...(b ? [b] : [])];
        return tf.grads((...args: tf.Tensor[]) => tf.sum(tf.mul(layerNorm(args[0], w ? args[1] : null, b ? args[w ? 2 : 1] : null, eps), dy)))(inputs);
      };
      const expected = [ref.dx, ...(wv ? [ref.dw] : []), ...(bv ? [ref.db] : [])];
      // dw / db sum rows * dy values: absolute error grows with rows
      await checkAllPaths(grads, expected, 2e-4, 'grads');
    });
  }

  it('runs one kernel forward and one backward on wasm, and the LayerNorm module uses it', async () => {
    const x = tf.randomNormal([4, 16]);
    const w = tf.ones([16]);
    const fwd = await tf.profile(() => layerNorm(x, w, null, 1e-5));
    expect(fwd.kernels.map((k) => k.name)).toEqual(['LlmkitLayerNorm']);
    const ln = new LayerNorm(16, { bias: false });
    const f = () => tf.sum(ln.forward(x)) as tf.Scalar;
    const both = await tf.profile(() => tf.variableGrads(f).value);
    const names = both.kernels.map((k) => k.name);
    expect(names).toContain('LlmkitLayerNorm');
    expect(names).toContain('LlmkitLayerNormGrad');
    expect(names).not.toContain('Rsqrt');
    ln.dispose();
    tf.dispose([x, w]);
  });

  it('rejects bad inputs with typed errors', () => {
    const x = tf.zeros([2, 4]);
    expect(() => layerNorm(x, tf.ones([3]), null, 1e-5)).toThrow(ShapeMismatchError);
    expect(() => layerNorm(x, null, null, 0)).toThrow(InvalidArgumentError);
    expect(() => layerNorm(tf.zeros([2, 4], 'int32'), null, null, 1e-5)).toThrow(InvalidArgumentError);
    expect(() => layerNorm(tf.scalar(1), null, null, 1e-5)).toThrow(ShapeMismatchError);
  });
});

describe('geluExact (fused training op)', () => {
  it('forward and gradient match float64, composed and cpu (with tails and large |x|)', async () => {
    const rand = seeded(7);
    const n = 12 * 64 * 4 + 3;
    const xv = randn(rand, n, 2.5);
    xv.set([0, -0, 1e-6, -4, 4, 6.5, -6.5, 12, -12, 0.99, 1.01], 0);
    const dyv = randn(rand, n);
    const y64 = Array.from(xv, (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)));
    const dx64 = Array.from(xv, (x, i) => dyv[i] * (0.5 * (1 + erf64(x / Math.SQRT2)) + (x * Math.exp(-x * x / 2)) / Math.sqrt(2 * Math.PI)));
    await checkAllPaths(() => geluExact(tf.tensor(xv)), [y64], 2e-6, 'gelu');
    await checkAllPaths(() => gelu(tf.tensor(xv)), [y64], 2e-6, 'gelu via nn.gelu');
    await checkAllPaths(() => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(geluExact(x), tf.tensor(dyv))))([tf.tensor(xv)]), [dx64], 2e-6, 'gelu grad');
  });

  it('fused forward is within 1e-6 of a float64 GELU on a dense sweep of [-8, 8] (erf error <= 4.2e-7)', async () => {
    const xv = Float32Array.from({ length: 16001 }, (_, i) => -8 + i / 1000);
    const y64 = Array.from(xv, (x) => 0.5 * x * (1 + erf64(x / Math.SQRT2)));
    const [fused] = await runOn('wasm', true, () => geluExact(tf.tensor(xv)));
    expectClose(fused, y64, { atol: 1e-6, rtol: 2e-7, label: 'gelu sweep vs float64' });
  });

  it('runs one kernel forward and one backward on wasm', async () => {
    const x = tf.randomNormal([8, 32]);
    const fwd = await tf.profile(() => geluExact(x));
    expect(fwd.kernels.map((k) => k.name)).toEqual(['LlmkitGelu']);
    const both = await tf.profile(() => tf.grad((t: tf.Tensor) => geluExact(t))(x));
    const names = both.kernels.map((k) => k.name);
    expect(names).toContain('LlmkitGeluGrad');
    expect(names).not.toContain('Erf');
    x.dispose();
  });
});

describe('adamwUpdate / AdamW (fused training op)', () => {
  /** Bit patterns of a float32 array, for exact comparison (also distinguishes -0 and NaN payloads). */
  const bits = (a: Float32Array) => Array.from(new Uint32Array(a.buffer.slice(0)));

  for (const [n, weightDecay] of [[1027, 0.1], [6, 0], [128 * 384, 0.01]] as const) {
    it(`is bit-identical to the composed float32 ops over 20 steps (n ${n}, weightDecay ${weightDecay})`, async () => {
      const rand = seeded(n);
      const p0 = randn(rand, n, 0.2);
      const gradsv = Array.from({ length: 20 }, (_, s) => randn(rand, n, s % 5 === 0 ? 1e-4 : 0.05));
      const run = async (enabled: boolean) => {
        await tf.setBackend('wasm');
        fusedTrainKernels.enabled = enabled;
        try {
          let p = tf.tensor(p0);
          let m = tf.zeros([n]);
          let v = tf.zeros([n]);
          for (let s = 0; s < gradsv.length; s++) {
            const g = tf.tensor(gradsv[s]);
            const next = adamwUpdate(p, g, m, v, { lr: 3e-3, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay, step: s + 1 });
            tf.dispose([p, m, v, g]);
            ({ param: p, expAvg: m, expAvgSq: v } = next);
          }
          const out = [p, m, v].map((t) => t.dataSync() as Float32Array);
          tf.dispose([p, m, v]);
          return out;
        } finally {
          fusedTrainKernels.enabled = true;
        }
      };
      const fused = await run(true);
      const composed = await run(false);
      for (let i = 0; i < 3; i++) expect(bits(fused[i])).toEqual(bits(composed[i]));
      // and the composed path itself against a float64 AdamW (PyTorch's formulas), to float32 rounding
      const p = Float64Array.from(p0);
      const m = new Float64Array(n);
      const v = new Float64Array(n);
      for (let s = 1; s <= gradsv.length; s++) {
        const g = gradsv[s - 1];
        for (let i = 0; i < n; i++) {
          p[i] *= 1 - 3e-3 * weightDecay;
          m[i] = 0.9 * m[i] + 0.1 * g[i];
          v[i] = 0.99 * v[i] + 0.01 * g[i] * g[i];
          p[i] -= ((3e-3 / (1 - 0.9 ** s)) * m[i]) / (Math.sqrt(v[i]) / Math.sqrt(1 - 0.99 ** s) + 1e-8);
        }
      }
      expectClose(fused[0], Array.from(p), { atol: 1e-6, rtol: 1e-5, label: 'param vs float64' });
      expectClose(fused[2], Array.from(v), { atol: 1e-12, rtol: 1e-4, label: 'exp_avg_sq vs float64' });
    });
  }

  it('AdamW.step runs one LlmkitAdamW kernel per parameter and matches the composed optimizer bit for bit', async () => {
    const rand = seeded(99);
    const shapes = [[17, 9], [9], [128, 128]];
    const init = shapes.map((s) => randn(rand, s.reduce((a, b) => a * b, 1), 0.3));
    const gradsv = Array.from({ length: 5 }, () => init.map((a) => randn(rand, a.length, 0.1)));
    const run = async (enabled: boolean, profile: boolean) => {
      fusedTrainKernels.enabled = enabled;
      try {
        const params = new Map(shapes.map((s, i) => [`p${i}`, tf.variable(tf.tensor(init[i], s))]));
        const opt = new AdamW([...params], { lr: 1e-2, betas: [0.9, 0.95], weightDecay: 0.1 });
        let names: string[] = [];
        for (const gs of gradsv) {
          const grads = new Map(shapes.map((s, i) => [`p${i}`, tf.tensor(gs[i], s)]));
          if (profile) names = (await tf.profile(() => opt.step(grads))).kernels.map((k) => k.name);
          else opt.step(grads);
          tf.dispose([...grads.values()]);
        }
        const out = [...params.values()].map((p) => p.dataSync() as Float32Array);
        opt.dispose();
        tf.dispose([...params.values()]);
        return { out, names };
      } finally {
        fusedTrainKernels.enabled = true;
      }
    };
    const fused = await run(true, true);
    const composed = await run(false, false);
    expect(fused.names.filter((n) => n === 'LlmkitAdamW')).toHaveLength(shapes.length);
    expect(fused.names).not.toContain('Sqrt');
    for (let i = 0; i < shapes.length; i++) expect(bits(fused.out[i])).toEqual(bits(composed.out[i]));
  });

  it('rejects mismatched shapes and a bad step with typed errors', () => {
    const a = tf.zeros([4]);
    const opts = { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0, step: 1 };
    expect(() => adamwUpdate(a, tf.zeros([5]), a, a, opts)).toThrow(ShapeMismatchError);
    expect(() => adamwUpdate(a, a, a, a, { ...opts, step: 0 })).toThrow(InvalidArgumentError);
    expect(() => adamwUpdate(a, tf.zeros([4], 'int32'), a, a, opts)).toThrow(InvalidArgumentError);
  });
});

describe('SplitV on wasm (core kernel fix)', () => {
  const cases: { shape: number[]; splits: number | number[]; axis: number; dtype: 'float32' | 'int32' | 'bool' }[] = [
    { shape: [12, 64, 384], splits: 3, axis: 2, dtype: 'float32' },
    { shape: [5, 7], splits: [2, 0, 5], axis: 1, dtype: 'float32' },
    { shape: [6, 3, 2], splits: [1, -1], axis: 0, dtype: 'int32' },
    { shape: [4, 6, 5], splits: 2, axis: -2, dtype: 'bool' },
  ];
  for (const c of cases) {
    it(`equals the cpu backend's split exactly: [${c.shape}] ${JSON.stringify(c.splits)} axis ${c.axis} ${c.dtype}`, async () => {
      const rand = seeded(c.shape.reduce((a, b) => a * b, 1));
      const values = Array.from({ length: c.shape.reduce((a, b) => a * b, 1) }, () => (c.dtype === 'bool' ? (rand() < 0.5 ? 1 : 0) : Math.round(rand() * 2000 - 1000) / 7));
      const run = async (backend: 'wasm' | 'cpu') => {
        await tf.setBackend(backend);
        try {
          return tf.tidy(() => tf.split(tf.tensor(values, c.shape, c.dtype), c.splits, c.axis).map((t) => ({ shape: t.shape, data: Array.from(t.dataSync()) })));
        } finally {
          await tf.setBackend('wasm');
        }
      };
      const wasm = await run('wasm');
      const cpu = await run('cpu');
      expect(wasm).toEqual(cpu);
      const names = (await tf.profile(() => tf.split(tf.tensor(values, c.shape, c.dtype), c.splits, c.axis))).kernels.map((k) => k.name);
      expect(names).toContain('SplitV');
      expect(installWasmKernelFixes()).toContain('SplitV'); // core's kernel is the registered one (idempotent call)
    });
  }
});

describe('GatherV2 on wasm (core kernel fix)', () => {
  const cases: { shape: number[]; ids: number[]; idShape: number[]; axis: number; dtype: 'float32' | 'int32' | 'bool' }[] = [
    { shape: [65, 128], ids: Array.from({ length: 12 * 64 }, (_, i) => (i * 37) % 65), idShape: [12, 64], axis: 0, dtype: 'float32' },
    { shape: [49920], ids: Array.from({ length: 768 }, (_, i) => (i * 65 + (i % 65)) % 49920), idShape: [768], axis: 0, dtype: 'float32' },
    { shape: [3, 5, 4], ids: [4, 0, 0, 2], idShape: [2, 2], axis: 1, dtype: 'int32' },
    { shape: [2, 3, 5], ids: [1, 4], idShape: [2], axis: -1, dtype: 'bool' },
    { shape: [4, 3], ids: [], idShape: [0], axis: 0, dtype: 'float32' },
  ];
  for (const c of cases) {
    it(`equals the cpu backend's gather exactly: [${c.shape}] ids [${c.idShape}] axis ${c.axis} ${c.dtype}`, async () => {
      const rand = seeded(c.shape.reduce((a, b) => a * b, 1) + c.ids.length);
      const size = c.shape.reduce((a, b) => a * b, 1);
      const values = Array.from({ length: size }, () => (c.dtype === 'bool' ? (rand() < 0.5 ? 1 : 0) : Math.round(rand() * 2000 - 1000) / 7));
      const run = async (backend: 'wasm' | 'cpu') => {
        await tf.setBackend(backend);
        try {
          return tf.tidy(() => {
            const out = tf.gather(tf.tensor(values, c.shape, c.dtype), tf.tensor(c.ids, c.idShape, 'int32'), c.axis);
            return { shape: out.shape, data: Array.from(out.dataSync()) };
          });
        } finally {
          await tf.setBackend('wasm');
        }
      };
      const wasm = await run('wasm');
      expect(wasm).toEqual(await run('cpu'));
      expect(installWasmKernelFixes()).toContain('GatherV2');
    });
  }

  it('gradient of a gathered embedding matches the cpu backend', async () => {
    const rand = seeded(5);
    const w = randn(rand, 10 * 6);
    const ids = [3, 3, 0, 9, 5, 3];
    const dy = randn(rand, ids.length * 6);
    const run = async (backend: 'wasm' | 'cpu') => {
      await tf.setBackend(backend);
      try {
        return tf.tidy(() => Array.from(tf.grad((t: tf.Tensor) => tf.sum(tf.mul(tf.gather(t, tf.tensor1d(ids, 'int32')), tf.tensor(dy, [6, 6]))))(tf.tensor(w, [10, 6])).dataSync()));
      } finally {
        await tf.setBackend('wasm');
      }
    };
    expectClose(await run('wasm'), await run('cpu'), { atol: 1e-6, label: 'gather grad' });
  });
});
