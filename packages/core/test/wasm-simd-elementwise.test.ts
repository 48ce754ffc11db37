import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { elementwiseStrategy } from '../src/backend/wasm-kernels/unary-simd.js';
import { expectClose } from '../src/testing/expect-close.js';
import { seeded } from './seeded.js';

// Core's SIMD Exp, Erf, Add, Sub, Multiply, RealDiv (packages/core/wasm/kernels/elementwise.c) against float64 references
// computed here, tfjs' cpu backend and the stock tfjs-wasm kernels (libc expf/erff), plus the
// zero-copy Identity.


/**
 * erf in float64 by its Maclaurin series for |x| < 3 (terms alternate and shrink after n > x^2;
 * 80 terms leave < 1e-16) and 1 - erfc by the continued fraction otherwise, where erfc < 2.3e-5.
 */
function erf64(x: number): number {
  const ax = Math.abs(x);
  if (ax < 3) {
    let term = ax;
    let sum = ax;
    for (let n = 1; n < 80; n++) {
      term *= (-ax * ax) / n;
      sum += term / (2 * n + 1);
    }
    return Math.sign(x) * (2 / Math.sqrt(Math.PI)) * sum;
  }
  // erfc(x) = exp(-x^2)/sqrt(pi) * 1/(x + 1/2/(x + 1/(x + 3/2/(x + ...))))
  let f = ax;
  for (let n = 60; n >= 1; n--) f = ax + n / 2 / f;
  return Math.sign(x) * (1 - Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f);
}

async function run(backend: 'cpu' | 'wasm', op: 'exp' | 'erf', values: Float32Array): Promise<Float32Array> {
  await tf.setBackend(backend);
  return tf.tidy(() => Float32Array.from(tf[op](tf.tensor1d(values)).dataSync() as Float32Array));
}

/** ulp-scaled distance: |a - b| / max(|b|, smallest normal) in units of 2^-23. */
function maxRelUlps(actual: Float32Array, expected: ArrayLike<number>): number {
  let worst = 0;
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const d = Math.abs(actual[i] - e) / Math.max(Math.abs(e), 1.1754943508222875e-38) / 2 ** -23;
    worst = Math.max(worst, d);
  }
  return worst;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

afterAll(async () => {
  elementwiseStrategy.kernel = 'simd';
  await tf.setBackend('wasm');
});

describe('SIMD Exp', () => {
  it('is within 2 ulp of float64 exp over [-87, 88.7] (4099 values, odd count for the scalar tail)', async () => {
    const rand = seeded(3);
    const xs = Float32Array.from({ length: 4099 }, (_, i) => (i < 2000 ? -87 + (175.7 * i) / 2000 : (rand() - 0.5) * 20));
    const simd = await run('wasm', 'exp', xs);
    expect(maxRelUlps(simd, Array.from(xs, (x) => Math.exp(x)))).toBeLessThanOrEqual(2);
    elementwiseStrategy.kernel = 'stock';
    const stock = await run('wasm', 'exp', xs);
    elementwiseStrategy.kernel = 'simd';
    expect(maxRelUlps(simd, stock)).toBeLessThanOrEqual(3);
    expectClose(simd, await run('cpu', 'exp', xs), { atol: 0, rtol: 4e-7 });
  });

  it('handles the edges like expf: overflow to +inf, underflow to 0, NaN, +-inf, -0', async () => {
    const xs = Float32Array.from([88.7, 88.73, 89, 1000, Infinity, -87.3, -88, -104, -1000, -Infinity, NaN, -0, 0, 1e-30]);
    const y = await run('wasm', 'exp', xs);
    expect(Number.isFinite(y[0])).toBe(true); // ~3.33e38
    expect(Math.abs(y[0] / Math.exp(Math.fround(88.7)) - 1)).toBeLessThan(3e-7);
    expect(Array.from(y.subarray(1, 5))).toEqual([Infinity, Infinity, Infinity, Infinity]);
    // subnormal results, as expf: exp(-88) = 6.05e-39; exp(-104) underflows to 0
    expect(Math.abs(y[5] / Math.exp(Math.fround(-87.3)) - 1)).toBeLessThan(3e-7);
    expect(Math.abs(y[6] / Math.exp(-88) - 1)).toBeLessThan(1e-6);
    expect(Array.from(y.subarray(7, 10))).toEqual([0, 0, 0]);
    expect(y[10]).toBeNaN();
    expect(Array.from(y.subarray(11))).toEqual([1, 1, 1]);
  });
});

describe('SIMD Erf', () => {
  it('is within 2.5e-7 of float64 erf, of cpu (A&S in float64) and of stock wasm (libc erff)', async () => {
    const rand = seeded(5);
    const xs = Float32Array.from({ length: 3001 }, (_, i) => (i < 1500 ? -6 + (12 * i) / 1500 : (rand() - 0.5) * 8));
    const simd = await run('wasm', 'erf', xs);
    // A&S 7.1.26 is accurate to 1.5e-7; float32 rounding adds < 1e-7 near |erf| = 1.
    expectClose(simd, Array.from(xs, erf64), { atol: 2.5e-7 });
    expectClose(simd, await run('cpu', 'erf', xs), { atol: 2.5e-7 });
    elementwiseStrategy.kernel = 'stock';
    const stock = await run('wasm', 'erf', xs);
    elementwiseStrategy.kernel = 'simd';
    expectClose(simd, stock, { atol: 2.5e-7 });
  });

  it('is odd, saturates to +-1, keeps NaN', async () => {
    const y = await run('wasm', 'erf', Float32Array.from([0, -0, 0.5, -0.5, 10, -10, Infinity, -Infinity, NaN]));
    expect(Math.abs(y[0])).toBeLessThan(2e-7);
    expect(y[2]).toBe(-y[3]);
    expect(Array.from(y.subarray(4, 8))).toEqual([1, -1, 1, -1]);
    expect(y[8]).toBeNaN();
  });

  it('exact GELU forward and gradient on wasm match cpu', async () => {
    const rand = seeded(9);
    const xs = Float32Array.from({ length: 1029 }, () => (rand() - 0.5) * 10);
    const f = (x: tf.Tensor) => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, Math.SQRT1_2))));
    const both = async (backend: 'cpu' | 'wasm') => {
      await tf.setBackend(backend);
      return tf.tidy(() => {
        const x = tf.tensor1d(xs);
        const { value, grad } = tf.valueAndGrad((t: tf.Tensor) => tf.sum(f(t)))(x);
        const y = f(x);
        return [Float32Array.from(y.dataSync() as Float32Array), Float32Array.from(grad.dataSync() as Float32Array), value.dataSync()[0]] as const;
      });
    };
    const [yw, gw] = await both('wasm');
    const [yc, gc] = await both('cpu');
    expectClose(yw, yc, { atol: 2e-6 });
    expectClose(gw, gc, { atol: 2e-6 });
  });
});

describe('zero-copy Identity', () => {
  it('tf.clone shares the buffer and survives disposing the original', async () => {
    await tf.setBackend('wasm');
    const before = tf.memory().numDataBuffers;
    const x = tf.tensor2d([1, 2, 3, 4, 5, 6], [2, 3]);
    const y = tf.clone(x);
    expect(y.dataId).toBe(x.dataId);
    expect(tf.memory().numDataBuffers - before).toBe(1); // one buffer for both
    x.dispose();
    expect(Array.from(y.dataSync())).toEqual([1, 2, 3, 4, 5, 6]);
    y.dispose();
    expect(tf.memory().numDataBuffers).toBe(before);
    const s = tf.clone(tf.tensor1d(['a', 'b'], 'string'));
    expect(s.dataSync()).toEqual(['a', 'b']);
    s.dispose();
  });
});

describe('SIMD Add, Sub, Multiply, RealDiv', () => {
  // Each float32 op is computed exactly in float64 by the cpu backend and rounded once to float32
  // (for + - * / float64 has enough bits that this double rounding is exact), so results must be
  // bit-identical to cpu, NaN, infinities and signed zeros included.
  const CASES: Array<[number[], number[]]> = [
    [[7, 13], [7, 13]], // same shape, odd size (scalar tail)
    [[768, 33], [768, 33]],
    [[5, 9], []], // scalar right
    [[], [4, 3, 5]], // scalar left (order matters for sub and div)
    [[1], [37]], // size-1 tensor on the left
    [[6, 4, 19], [19]], // trailing row broadcast
    [[19], [2, 3, 19]], // row on the left
    [[3, 4, 19], [1, 4, 19]], // trailing block with a leading 1
    [[4], [1, 4]], // equal sizes, higher rank on the right
    [[3, 2], [3, 1]], // column broadcast: stock kernel
    [[2, 1, 5], [1, 3, 5]], // two-way broadcast: stock kernel
    [[0, 4], [4]], // empty
  ];
  const OPS = ['add', 'sub', 'mul', 'div'] as const;
  it.each(OPS.flatMap((op) => CASES.map(([a, b]) => [op, a, b] as const)))(
    '%s [%s] [%s] is bit-identical to cpu',
    async (op, aShape, bShape) => {
      const rand = seeded(aShape.length * 31 + bShape.length + op.length);
      const size = (s: number[]) => s.reduce((x, y) => x * y, 1);
      const a = Float32Array.from({ length: size(aShape) }, () => (rand() - 0.5) * 100);
      const b = Float32Array.from({ length: size(bShape) }, () => (rand() - 0.5) * 100);
      if (a.length > 3) a.set([NaN, Infinity, -0], 0);
      if (b.length > 3) b.set([2, 0, -Infinity], 0);
      const compute = async (backend: 'cpu' | 'wasm') => {
        await tf.setBackend(backend);
        return tf.tidy(() => {
          const y = tf[op](tf.tensor(a, aShape), tf.tensor(b, bShape));
          return { shape: y.shape, values: Float32Array.from(y.dataSync() as Float32Array) };
        });
      };
      const wasm = await compute('wasm');
      const cpu = await compute('cpu');
      expect(wasm.shape).toEqual(cpu.shape);
      expect(Array.from(wasm.values)).toEqual(Array.from(cpu.values));
    },
  );

  it('int32 operands still go to the stock kernels', async () => {
    await tf.setBackend('wasm');
    const a = tf.tensor1d([3, -4, 5], 'int32');
    const b = tf.tensor1d([7, 8, -9], 'int32');
    const y = tf.mul(a, b);
    const z = tf.sub(a, b);
    expect(y.dtype).toBe('int32');
    expect(Array.from(y.dataSync())).toEqual([21, -32, -45]);
    expect(Array.from(z.dataSync())).toEqual([-4, -12, 14]);
    tf.dispose([a, b, y, z]);
  });
});

describe('Sum over leading axes (column sums)', () => {
  it('matches a float64 sum within the sequential-summation bound, and stock tfjs-wasm Sum within twice it', () => {
    const rand = seeded(41);
    const cases: Array<{ shape: number[]; axis: number | number[]; keepDims?: boolean }> = [
      { shape: [768, 512], axis: 0 },
      { shape: [12, 64, 130], axis: [0, 1] },
      { shape: [12, 64, 130], axis: [1, 0], keepDims: true },
      { shape: [7, 3], axis: -2 },
      { shape: [5, 9, 2, 3], axis: [0, 1, 2] },
      { shape: [1, 6], axis: 0 },
    ];
    for (const { shape, axis, keepDims } of cases) {
      const n = shape.reduce((a, b) => a * b, 1);
      const values = Float32Array.from({ length: n }, () => (rand() - 0.5) * 10 ** (4 * rand() - 2));
      const x = tf.tensor(values, shape);
      elementwiseStrategy.kernel = 'stock';
      const stock = tf.sum(x, axis, keepDims);
      elementwiseStrategy.kernel = 'simd';
      const ours = tf.sum(x, axis, keepDims);
      expect(ours.shape).toEqual(stock.shape);
      // float64 reference over the leading axes
      const k = (Array.isArray(axis) ? axis : [axis]).length;
      const rows = shape.slice(0, k).reduce((a, b) => a * b, 1);
      const cols = n / rows;
      const ref = new Float64Array(cols);
      let scale = new Float64Array(cols);
      for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) {
        ref[j] += values[i * cols + j]!;
        scale[j] += Math.abs(values[i * cols + j]!);
      }
      const got = ours.dataSync();
      // sequential float32 summation: |error| <= (rows - 1) * eps32 * sum |x|
      const theirs = stock.dataSync();
      for (let j = 0; j < cols; j++) {
        expect(Math.abs(got[j]! - ref[j]!)).toBeLessThanOrEqual(rows * 1.2e-7 * scale[j]! + 1e-30);
        expect(Math.abs(got[j]! - theirs[j]!)).toBeLessThanOrEqual(2 * rows * 1.2e-7 * scale[j]! + 1e-30);
      }
      scale = new Float64Array(0);
      tf.dispose([x, stock, ours]);
    }
  });

  it('other reductions and int32 go to the stock kernel (same results as cpu)', async () => {
    const x = tf.tensor2d([[1, 2, 3], [4, 5, 6]]);
    expect(Array.from(tf.sum(x, 1).dataSync())).toEqual([6, 15]);
    expect(Array.from(tf.sum(x).dataSync())).toEqual([21]);
    const xi = tf.tensor2d([[1, 2], [3, 4]], undefined, 'int32');
    const s = tf.sum(xi, 0);
    expect(s.dtype).toBe('int32');
    expect(Array.from(s.dataSync())).toEqual([4, 6]);
    // the gradient of a bias (Sum over the leading axes in the backward of x + b)
    const b = tf.variable(tf.tensor1d([0.5, -1, 2]));
    const g = tf.grad((bb: tf.Tensor) => tf.sum(tf.square(tf.add(x, bb))))(b);
    // d/db sum((x + b)^2) = 2 * sum_rows(x + b) = 2 * [1.5+4.5, 1+4, 5+8] = [12, 10, 26]
    expect(Array.from(g.dataSync())).toEqual([12, 10, 26]);
    tf.dispose([x, xi, s, b, g]);
  });
});
