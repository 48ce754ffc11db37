import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { installWasmKernelFixes } from '../src/backend/wasm-fixes.js';
import { expectClose } from '../src/testing/expect-close.js';
import { InvalidArgumentError, ShapeMismatchError } from '../src/errors/index.js';
import {
  adamwUpdate, causalSoftmax, fusedTrainAvailable, fusedTrainKernels, geluExact, geluTanh, layerNorm, sumSquares,
} from '../src/ops/fused-train.js';
import { AdamW } from '../src/optim/adamw.js';
import { LayerNorm } from '../src/nn/layer-norm.js';
import { crossEntropy, gelu } from '../src/nn/functional.js';
import { seeded } from './seeded.js';

// core's fused training ops (src/ops/fused-train.ts; wasm kernels in wasm/kernels/train.c): forward
// values and gradients (through tf.grads) on random inputs against float64 loops written here, against
// the same ops composed from tfjs kernels (fusedTrainKernels.enabled = false) and against tfjs' cpu
// backend; AdamW bit for bit against its composed float32 ops.


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

// ---- issue 12, part 2: causal attention softmax, tanh GELU, sum of squares / clipGradNorm ----

/** Causal softmax of s [batch, tq, tk] * scale in float64 (row i attends j <= i + offset) and the gradient of sum(p * dp). */
function causalSoftmax64(s: Float32Array, dp: Float32Array, batch: number, tq: number, tk: number, scale: number, offset: number) {
  const p = new Float64Array(s.length);
  const ds = new Float64Array(s.length);
  for (let r = 0; r < batch * tq; r++) {
    const i = r % tq;
    const lim = Math.min(tk, i + offset + 1);
    let mx = -Infinity;
    for (let j = 0; j < lim; j++) mx = Math.max(mx, s[r * tk + j] * scale);
    let sum = 0;
    for (let j = 0; j < lim; j++) sum += Math.exp(s[r * tk + j] * scale - mx);
    let dot = 0;
    for (let j = 0; j < lim; j++) {
      p[r * tk + j] = Math.exp(s[r * tk + j] * scale - mx) / sum;
      dot += p[r * tk + j] * dp[r * tk + j];
    }
    // d/ds_j of sum_k p_k dp_k = scale * p_j * (dp_j - sum_k p_k dp_k) (softmax Jacobian, chain rule through the scale)
    for (let j = 0; j < lim; j++) ds[r * tk + j] = scale * p[r * tk + j] * (dp[r * tk + j] - dot);
  }
  return { p, ds };
}

describe('causalSoftmax (fused training op)', () => {
  const rand = seeded(41);
  const cases = Array.from({ length: 5 }, (_, c) => {
    const lead = [1 + Math.floor(rand() * 3), 1 + Math.floor(rand() * 4)];
    const tq = 1 + Math.floor(rand() * 19);
    const tk = tq + (c % 2 === 0 ? 0 : Math.floor(rand() * 7));
    const offset = c % 2 === 0 ? 0 : tk - tq;
    return { shape: [...lead, tq, tk], tq, tk, offset, scale: c === 4 ? 1 : 0.125 + rand() };
  });
  // tk % 4 == 0 takes the kernel's whole-chunk path (masked last chunk); the others its scalar-tail path
  cases.push({ shape: [2, 3, 12, 16], tq: 12, tk: 16, offset: 4, scale: 0.3 }, { shape: [5, 64, 64], tq: 64, tk: 64, offset: 0, scale: 0.17 });
  for (const c of cases) {
    it(`forward and gradient match float64, composed and cpu: [${c.shape}], offset ${c.offset}, scale ${c.scale.toFixed(3)}`, async () => {
      const n = c.shape.reduce((a, b) => a * b, 1);
      const sv = randn(rand, n, 3);
      const dpv = randn(rand, n);
      const batch = n / (c.tq * c.tk);
      const { p, ds } = causalSoftmax64(sv, dpv, batch, c.tq, c.tk, c.scale, c.offset);
      const opts = { scale: c.scale, offset: c.offset };
      await checkAllPaths(() => causalSoftmax(tf.tensor(sv, c.shape), opts), [p], 1e-6, 'causalSoftmax');
      await checkAllPaths(
        () => tf.grads((s: tf.Tensor) => tf.sum(tf.mul(causalSoftmax(s, opts), tf.tensor(dpv, c.shape))))([tf.tensor(sv, c.shape)]),
        [ds],
        2e-6,
        'causalSoftmax grad',
      );
    });
  }

  it('equals the additive -1e9 mask + softmax composition of the nanoGPT bench (forward and gradient)', async () => {
    const rand2 = seeded(5);
    const [b, h, t] = [2, 3, 16];
    const sv = randn(rand2, b * h * t * t, 4);
    const dpv = randn(rand2, b * h * t * t);
    const scale = 1 / Math.sqrt(32);
    const viaMask = (s: tf.Tensor) => {
      const mask = tf.mul(tf.sub(1, tf.linalg.bandPart(tf.ones([t, t]), -1, 0)), -1e9);
      return tf.softmax(tf.add(tf.mul(s, scale), mask));
    };
    const run = (f: (s: tf.Tensor) => tf.Tensor) => () => {
      const s = tf.tensor(sv, [b, h, t, t]);
      return [f(s), ...tf.grads((x: tf.Tensor) => tf.sum(tf.mul(f(x), tf.tensor(dpv, [b, h, t, t]))))([s])];
    };
    const fusedOut = await runOn('wasm', true, run((s) => causalSoftmax(s, { scale })));
    const reference = await runOn('wasm', true, run(viaMask));
    expectClose(fusedOut[0], reference[0], { atol: 1e-6, rtol: 1e-5, label: 'probs vs -1e9 mask' });
    expectClose(fusedOut[1], reference[1], { atol: 2e-6, rtol: 1e-5, label: 'grad vs -1e9 mask' });
    // masked entries are exactly 0 in both
    for (let r = 0; r < b * h * t; r++) for (let j = (r % t) + 1; j < t; j++) expect(fusedOut[0][r * t + j]).toBe(0);
  });

  it('runs one kernel forward and one backward on wasm', async () => {
    const s = tf.randomNormal([2, 4, 8, 8]);
    const fwd = await tf.profile(() => causalSoftmax(s, { scale: 0.5 }));
    expect(fwd.kernels.map((k) => k.name)).toEqual(['LlmkitCausalSoftmax']);
    const both = await tf.profile(() => tf.grad((x: tf.Tensor) => causalSoftmax(x, { scale: 0.5 }))(s));
    const names = both.kernels.map((k) => k.name);
    expect(names).toContain('LlmkitCausalSoftmaxGrad');
    expect(names).not.toContain('Softmax');
    s.dispose();
  });

  it('rejects bad inputs with typed errors', () => {
    expect(() => causalSoftmax(tf.tensor1d([1, 2]))).toThrow(ShapeMismatchError);
    expect(() => causalSoftmax(tf.zeros([2, 2], 'int32'))).toThrow(InvalidArgumentError);
    expect(() => causalSoftmax(tf.zeros([2, 2]), { offset: -1 })).toThrow(InvalidArgumentError);
    expect(() => causalSoftmax(tf.zeros([2, 2]), { scale: NaN })).toThrow(InvalidArgumentError);
  });
});

describe('geluTanh (fused training op)', () => {
  const C = Math.sqrt(2 / Math.PI);
  it('forward and gradient match float64, composed and cpu (with tails and large |x|)', async () => {
    const rand = seeded(17);
    const n = 12 * 64 * 4 + 5;
    const xv = randn(rand, n, 2.5);
    xv.set([0, -0, 1e-6, -4, 4, 6.5, -6.5, 12, -12, 0.99, 1.01, 30, -30], 0);
    const dyv = randn(rand, n);
    const y64 = Array.from(xv, (x) => 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x ** 3))));
    // d/dx: 0.5 (1 + tanh u) + 0.5 x (1 - tanh^2 u) C (1 + 3 * 0.044715 x^2), u = C (x + 0.044715 x^3)
    const dx64 = Array.from(xv, (x, i) => {
      const th = Math.tanh(C * (x + 0.044715 * x ** 3));
      return dyv[i] * (0.5 * (1 + th) + 0.5 * x * (1 - th * th) * C * (1 + 3 * 0.044715 * x * x));
    });
    await checkAllPaths(() => geluTanh(tf.tensor(xv)), [y64], 2e-6, 'geluTanh');
    await checkAllPaths(() => gelu(tf.tensor(xv), 'tanh'), [y64], 2e-6, 'geluTanh via nn.gelu');
    await checkAllPaths(() => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(geluTanh(x), tf.tensor(dyv))))([tf.tensor(xv)]), [dx64], 4e-6, 'geluTanh grad');
  });

  it('fused forward is within 1e-6 of a float64 tanh GELU on a dense sweep of [-8, 8]', async () => {
    const xv = Float32Array.from({ length: 16001 }, (_, i) => -8 + i / 1000);
    const y64 = Array.from(xv, (x) => 0.5 * x * (1 + Math.tanh(C * (x + 0.044715 * x ** 3))));
    const [fusedOut] = await runOn('wasm', true, () => geluTanh(tf.tensor(xv)));
    expectClose(fusedOut, y64, { atol: 1e-6, rtol: 2e-7, label: 'geluTanh sweep vs float64' });
  });

  it('runs one kernel forward and one backward on wasm', async () => {
    const x = tf.randomNormal([8, 32]);
    const fwd = await tf.profile(() => gelu(x, 'tanh'));
    expect(fwd.kernels.map((k) => k.name)).toEqual(['LlmkitGeluTanh']);
    const both = await tf.profile(() => tf.grad((t: tf.Tensor) => geluTanh(t))(x));
    const names = both.kernels.map((k) => k.name);
    expect(names).toContain('LlmkitGeluTanhGrad');
    expect(names).not.toContain('Tanh');
    x.dispose();
  });
});

describe('sumSquares and clipGradNorm (fused training op)', () => {
  it('sumSquares matches float64 on random shapes (fused, composed, cpu)', async () => {
    const rand = seeded(23);
    const shapes = [[1], [7], [3, 5], [128, 129], [2, 3, 67], [0, 4]];
    const values = shapes.map((s) => randn(rand, s.reduce((a, b) => a * b, 1), 2));
    const expected = [values.map((v) => v.reduce((a, x) => a + x * x, 0))];
    await checkAllPaths(() => sumSquares(values.map((v, i) => tf.tensor(v, shapes[i]))), expected, 1e-6, 'sumSquares');
  });

  it('clipGradNorm agrees with a float64 reference on wasm (fused and composed) and runs one LlmkitSumSquares kernel', async () => {
    const { clipGradNorm } = await import('../src/optim/clip.js');
    const rand = seeded(29);
    const shapes = [[65, 128], [128], [384, 128], [512, 128], [3]];
    const values = shapes.map((s) => randn(rand, s.reduce((a, b) => a * b, 1), 0.05));
    const norm64 = Math.sqrt(values.reduce((a, v) => a + v.reduce((b, x) => b + x * x, 0), 0));
    for (const maxNorm of [0.5 * norm64, 2 * norm64]) {
      const coef = Math.min(maxNorm / (norm64 + 1e-6), 1);
      const outs: Float32Array[][] = [];
      for (const enabled of [true, false]) {
        const out = await runOn('wasm', enabled, () => {
          const grads = new Map(values.map((v, i) => [`p${i}`, tf.tensor(v, shapes[i])] as [string, tf.Tensor]));
          const { grads: clipped, norm } = clipGradNorm(grads, maxNorm);
          // fused: float64 accumulation (~1e-7 relative); composed: float32 Sum kernels (~6e-6 measured on 50K floats)
          expect(Math.abs(norm / norm64 - 1)).toBeLessThan(enabled ? 1e-6 : 3e-5);
          return [...clipped.values()];
        });
        out.forEach((o, i) => expectClose(o, Array.from(values[i], (x) => x * coef), { atol: 1e-7, rtol: 1e-5, label: `clip ${enabled} ${i}` }));
        outs.push(out);
      }
      if (coef === 1) outs[0].forEach((o, i) => expect(Array.from(o)).toEqual(Array.from(values[i]))); // x * 1 is x: bit-identical copies
    }
    const grads = new Map(values.map((v, i) => [`p${i}`, tf.tensor(v, shapes[i])] as [string, tf.Tensor]));
    const prof = await tf.profile(() => {
      const { grads: clipped } = clipGradNorm(grads, 1e9);
      clipped.forEach((g) => g.dispose());
    });
    const names = prof.kernels.map((k) => k.name);
    expect(names.filter((k) => k === 'LlmkitSumSquares')).toHaveLength(1);
    expect(names).not.toContain('Square');
    expect(names).not.toContain('Multiply');
    grads.forEach((g) => g.dispose());
  });
});

describe('crossEntropy on wasm (fused training op)', () => {
  /** float64 loss rows and d(sum_i w_i loss_i)/dlogits for one reduction, from the definition (torch cross_entropy). */
  function ce64(x: Float32Array, t: Int32Array, m: number, c: number, ignore: number, eps: number, reduction: string, dy: Float32Array) {
    const rows = new Float64Array(m);
    const dx = new Float64Array(m * c);
    let valid = 0;
    for (let i = 0; i < m; i++) if (t[i] !== ignore) valid++;
    for (let i = 0; i < m; i++) {
      if (t[i] === ignore) continue;
      let mx = -Infinity;
      for (let j = 0; j < c; j++) mx = Math.max(mx, x[i * c + j]);
      let se = 0;
      for (let j = 0; j < c; j++) se += Math.exp(x[i * c + j] - mx);
      const lse = mx + Math.log(se);
      let meanLogp = 0;
      for (let j = 0; j < c; j++) meanLogp += (x[i * c + j] - lse) / c;
      // (1 - eps) * nll + eps * (-mean_c logp_c)
      rows[i] = (1 - eps) * (lse - x[i * c + t[i]]) - eps * meanLogp;
      // d rows[i] / dx_ij = softmax_ij - ((1 - eps) [j == t_i] + eps / c); times the upstream weight of row i
      const w = reduction === 'none' ? dy[i] : reduction === 'sum' ? dy[0] : dy[0] / valid;
      for (let j = 0; j < c; j++) dx[i * c + j] = w * (Math.exp(x[i * c + j] - lse) - ((j === t[i] ? 1 - eps : 0) + eps / c));
    }
    const total = rows.reduce((a, b) => a + b, 0);
    const loss = reduction === 'none' ? Array.from(rows) : [reduction === 'sum' ? total : total / valid];
    return { loss, dx };
  }
  const rand = seeded(53);
  const cases = [
    { shape: [3, 7, 65], eps: 0, reduction: 'mean', ignoreSome: false },
    { shape: [37, 11], eps: 0.1, reduction: 'mean', ignoreSome: true },
    { shape: [2, 5, 3], eps: 0, reduction: 'sum', ignoreSome: true },
    { shape: [9, 130], eps: 0.2, reduction: 'none', ignoreSome: true },
  ] as const;
  for (const cs of cases) {
    it(`loss and gradient match float64, composed and cpu: [${cs.shape}], smoothing ${cs.eps}, ${cs.reduction}, ignored rows ${cs.ignoreSome}`, async () => {
      const c = cs.shape[cs.shape.length - 1];
      const m = cs.shape.slice(0, -1).reduce((a, b) => a * b, 1);
      const xv = randn(rand, m * c, 3);
      const tv = Int32Array.from({ length: m }, (_, i) => (cs.ignoreSome && i % 4 === 1 ? -100 : Math.floor(rand() * c)));
      const dyv = randn(rand, cs.reduction === 'none' ? m : 1, 1, 0.5);
      const { loss, dx } = ce64(xv, tv, m, c, -100, cs.eps, cs.reduction, dyv);
      const tShape = cs.shape.slice(0, -1);
      const opts = { labelSmoothing: cs.eps, reduction: cs.reduction };
      const lossOf = (x: tf.Tensor) => crossEntropy(x, tf.tensor(tv, tShape, 'int32'), opts);
      await checkAllPaths(() => lossOf(tf.tensor(xv, [...cs.shape])), [loss], 2e-6, 'crossEntropy');
      const dyShape = cs.reduction === 'none' ? tShape : [];
      await checkAllPaths(
        () => tf.grads((x: tf.Tensor) => tf.sum(tf.mul(lossOf(x), tf.tensor(dyv, dyShape))))([tf.tensor(xv, [...cs.shape])]),
        [dx],
        1e-6,
        'crossEntropy grad',
      );
    });
  }

  it('runs one kernel forward and one backward on wasm', async () => {
    const x = tf.randomNormal([16, 65]);
    const t = tf.tensor1d(Array.from({ length: 16 }, (_, i) => i % 65), 'int32');
    const fwd = await tf.profile(() => crossEntropy(x, t));
    expect(fwd.kernels.map((k) => k.name)).toContain('LlmkitCrossEntropy');
    expect(fwd.kernels.map((k) => k.name)).not.toContain('Max');
    const both = await tf.profile(() => tf.grad((z: tf.Tensor) => crossEntropy(z, t))(x));
    expect(both.kernels.map((k) => k.name)).toContain('LlmkitCrossEntropyGrad');
    expect(both.kernels.map((k) => k.name)).not.toContain('OneHot');
    x.dispose();
    t.dispose();
  });
});

describe('non-finite inputs propagate through the fused kernels (as through the composed ops)', () => {
  it('a NaN score makes its causal-softmax row NaN; a NaN input gives a NaN GELU gradient', async () => {
    const sv = new Float32Array(2 * 8 * 8).map((_, i) => Math.sin(i));
    sv[8 * 3 + 1] = NaN; // row 3 of the first head, an attended key
    const [p] = await runOn('wasm', true, () => causalSoftmax(tf.tensor(sv, [2, 8, 8]), { scale: 0.5 }));
    for (let j = 0; j < 8; j++) expect(Number.isNaN(p[8 * 3 + j]) || j > 3).toBe(true);
    expect(Number.isNaN(p[8 * 4])).toBe(false);
    const [dx] = await runOn('wasm', true, () => tf.grad((x: tf.Tensor) => geluExact(x))(tf.tensor1d([0.5, NaN, -1, 2, 3])));
    expect(Number.isNaN(dx[1])).toBe(true);
    expect(Number.isNaN(dx[0])).toBe(false);
  });
});
