/**
 * LLM.int8(): vector-wise quantization against a transcription of bitsandbytes'
 * `int8_vectorwise_quant` (fixtures/basics/llm_int8.json, tools/fixtures/gen_quant_basics.py);
 * the mixed int8/float matmul against an independent float64 transcription of the algorithm;
 * the error bound against the exact product; outlier columns exact.
 */
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { Linear, createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { Int8Linear, LLM_INT8_MAX_INNER_DIM, int8VectorwiseQuantize, llmInt8ErrorBound, llmInt8Matmul } from '../src/llm-int8.js';

beforeAll(async () => {
  await initBackend({ backend: 'cpu' });
});

interface Enc {
  shape: number[];
  dtype: string;
  b64: string;
}
function raw(e: Enc): ArrayBuffer {
  const buf = Buffer.from(e.b64, 'base64');
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
}
const fx = JSON.parse(readFileSync(new URL('./fixtures/basics/llm_int8.json', import.meta.url), 'utf8')) as Record<string, Enc> & {
  threshold: number;
  outlierCols: number[];
};

/** mulberry32 uniform [0, 1). */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
function randn(n: number, seed: number, scale = 1): Float32Array {
  const u = rng(seed);
  return Float32Array.from({ length: n }, () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u()) * scale);
}

/** Exact x Wᵀ of the float32 inputs (float64 accumulation). */
function exactMatmul(x: Float32Array, w: Float32Array, n: number, k: number, m: number): Float64Array {
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let l = 0; l < m; l++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += x[i * k + j] * w[l * k + j];
    y[i * m + l] = s;
  }
  return y;
}

function rne(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  return d < 0.5 ? f : d > 0.5 ? f + 1 : f % 2 === 0 ? f : f + 1;
}

/**
 * Independent float64 transcription of LLM.int8() (Dettmers et al. 2022, bitsandbytes):
 * everything in float64 except the code computation `round(x * (127 / absmax))`, which the
 * algorithm defines in float32 (`f32Codes`); with `f32Codes = false` codes are float64 too.
 */
function reference64(
  x: Float32Array,
  w: Float32Array,
  n: number,
  k: number,
  m: number,
  threshold: number,
  mode: 'original' | 'dequantized',
  f32Codes = true,
): { y: Float64Array; qx: Int8Array } {
  const r = f32Codes ? Math.fround : (v: number) => v;
  const outlier = new Set<number>();
  if (threshold > 0) for (let i = 0; i < n * k; i++) if (Math.abs(x[i]) >= threshold) outlier.add(i % k);
  const sx = new Float64Array(n);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
    const a = Math.abs(x[i * k + j]);
    if (!(threshold > 0 && a >= threshold)) sx[i] = Math.max(sx[i], a);
  }
  const sw = new Float64Array(m);
  for (let l = 0; l < m; l++) for (let j = 0; j < k; j++) sw[l] = Math.max(sw[l], Math.abs(w[l * k + j]));
  const qx = new Int8Array(n * k);
  for (let i = 0; i < n; i++) for (let j = 0; j < k; j++) {
    if (outlier.has(j) || sx[i] === 0) continue;
    qx[i * k + j] = rne(r(x[i * k + j] * r(127 / sx[i])));
  }
  const qw = new Int8Array(m * k);
  for (let l = 0; l < m; l++) for (let j = 0; j < k; j++) qw[l * k + j] = sw[l] === 0 ? 0 : rne(r(w[l * k + j] * r(127 / sw[l])));
  const y = new Float64Array(n * m);
  for (let i = 0; i < n; i++) for (let l = 0; l < m; l++) {
    let acc = 0;
    for (let j = 0; j < k; j++) acc += qx[i * k + j] * qw[l * k + j];
    let s = (acc * sx[i] * sw[l]) / (127 * 127);
    for (const j of outlier) s += x[i * k + j] * (mode === 'original' ? w[l * k + j] : (qw[l * k + j] * sw[l]) / 127);
    y[i * m + l] = s;
  }
  return { y, qx };
}

describe('int8VectorwiseQuantize vs bitsandbytes', () => {
  it('activations with outliers (threshold 6, >= counts, 5.99 does not)', () => {
    const x = new Float32Array(raw(fx.x));
    const r = int8VectorwiseQuantize(x, [6, 32], fx.threshold);
    expect(Array.from(r.outlierColumns)).toEqual(fx.outlierCols);
    expect(fx.outlierCols).toEqual([3, 17, 30]);
    expect(r.q).toEqual(new Int8Array(raw(fx.CA)));
    expect(r.rowAbsmax).toEqual(new Float32Array(raw(fx.SCA)));
  });
  it('weights (no threshold)', () => {
    const w = new Float32Array(raw(fx.w));
    const r = int8VectorwiseQuantize(w, [10, 32]);
    expect(r.outlierColumns.length).toBe(0);
    expect(r.q).toEqual(new Int8Array(raw(fx.CB)));
    expect(r.rowAbsmax).toEqual(new Float32Array(raw(fx.SCB)));
  });
});

describe('llmInt8Matmul', () => {
  const n = 16;
  const k = 96;
  const m = 24;
  const x = randn(n * k, 1);
  // outlier features: columns 5, 40, 77 carry large values in a few rows (as in LLMs)
  for (const [i, j, v] of [
    [0, 5, 12],
    [3, 5, -9],
    [7, 40, 20],
    [11, 77, -6.5],
    [15, 77, 8],
  ] as const) x[i * k + j] = v;
  const w = randn(m * k, 2, 0.05);
  const exact = exactMatmul(x, w, n, k, m);

  for (const mode of ['original', 'dequantized'] as const) {
    it(`equals the float64 transcription within float32 rounding (${mode} outlier weights)`, () => {
      const { output, outlierColumns } = llmInt8Matmul(x, [n, k], w, [m, k], { threshold: 6, outlierWeights: mode });
      expect(Array.from(outlierColumns)).toEqual([5, 40, 77]);
      const ref = reference64(x, w, n, k, m, 6, mode);
      for (let i = 0; i < n * m; i++) {
        // a handful of float32 roundings of values bounded by Σ|x||w|
        let mag = 0;
        const row = Math.floor(i / m);
        const l = i % m;
        for (let j = 0; j < k; j++) mag += Math.abs(x[row * k + j] * w[l * k + j]);
        expect(Math.abs(output[i] - ref.y[i])).toBeLessThanOrEqual(2 ** -21 * (mag + Math.abs(ref.y[i])));
      }
      // float64 codes differ from the float32-defined codes only at (near) ties
      const ref64 = reference64(x, w, n, k, m, 6, mode, false);
      let differing = 0;
      for (let i = 0; i < n * k; i++) if (ref64.qx[i] !== ref.qx[i]) differing++;
      expect(differing).toBeLessThanOrEqual(2);
    });

    it(`stays within the derived error bound of the exact product (${mode})`, () => {
      const { output } = llmInt8Matmul(x, [n, k], w, [m, k], { outlierWeights: mode });
      const bound = llmInt8ErrorBound(x, [n, k], w, [m, k], { outlierWeights: mode });
      let worst = 0;
      for (let i = 0; i < n * m; i++) {
        const err = Math.abs(output[i] - exact[i]);
        expect(err).toBeLessThanOrEqual(bound[i]);
        worst = Math.max(worst, err / bound[i]);
      }
      expect(worst).toBeGreaterThan(0.05); // the bound is not vacuous
    });
  }

  it('outlier columns are exact: with every column an outlier the result is the float matmul', () => {
    const { output, outlierColumns } = llmInt8Matmul(x, [n, k], w, [m, k], { threshold: 1e-30 });
    expect(outlierColumns.length).toBe(k);
    for (let i = 0; i < n * m; i++) expect(output[i]).toBe(Math.fround(exact[i]));
  });

  it('outlier contributions are linear and unquantized', () => {
    // Changing an outlier value by Δ changes y_il by exactly Δ·W_lj (up to the final float32
    // rounding), because outlier columns bypass quantization and the row scale excludes them.
    const x2 = x.slice();
    x2[7 * k + 40] = 23.25;
    const a = llmInt8Matmul(x, [n, k], w, [m, k]).output;
    const b = llmInt8Matmul(x2, [n, k], w, [m, k]).output;
    for (let l = 0; l < m; l++) {
      const want = a[7 * m + l] + 3.25 * w[l * k + 40];
      expect(Math.abs(b[7 * m + l] - want)).toBeLessThanOrEqual(2 ** -22 * (Math.abs(want) + 1));
    }
  });

  it('the decomposition beats plain vector-wise int8 on outlier-heavy inputs', () => {
    // Systematic outlier features (the same two dims large in every token, as in LLMs >= 6.7B)
    // stretch every row's absmax ~5x, so plain int8 error grows ~5x (~25x in squared error).
    const xs = x.slice();
    for (let i = 0; i < n; i++) {
      xs[i * k + 5] = i % 2 ? 15 : -15;
      xs[i * k + 40] = 12;
    }
    const ex = exactMatmul(xs, w, n, k, m);
    const err = (o: Float32Array) => o.reduce((s, v, i) => s + (v - ex[i]) ** 2, 0);
    const mixed = err(llmInt8Matmul(xs, [n, k], w, [m, k], { threshold: 6 }).output);
    const plain = err(llmInt8Matmul(xs, [n, k], w, [m, k], { threshold: 0 }).output);
    expect(plain).toBeGreaterThan(5 * mixed);
  });

  it('validates input', () => {
    expect(() => llmInt8Matmul(x, [n, k], w, [m, k + 1])).toThrow(ShapeMismatchError);
    expect(() => llmInt8Matmul(x, [n, k + 1], w, [m, k])).toThrow(ShapeMismatchError);
    expect(() => llmInt8Matmul(x, [n, k], w, [m, k], { threshold: -1 })).toThrow(InvalidArgumentError);
    expect(() => llmInt8Matmul([1, NaN], [1, 2], [1, 2], [1, 2])).toThrow(/finite/);
    expect(() => int8VectorwiseQuantize(new Float32Array(3), [1, 3, 1] as unknown as [number, number])).toThrow(InvalidArgumentError);
    const big = LLM_INT8_MAX_INNER_DIM + 1;
    expect(() => llmInt8Matmul(new Float32Array(big), [1, big], new Float32Array(big), [1, big])).toThrow(/overflow/);
  });
});

describe('Int8Linear', () => {
  const inF = 48;
  const outF = 20;
  const w = randn(outF * inF, 5, 0.1);
  const bias = randn(outF, 6);
  const x = randn(3 * inF, 7);
  x[1 * inF + 9] = 10; // outlier column 9

  it('stores row-wise int8 weights and matches the dequantized-weight LLM.int8() product', () => {
    const layer = Int8Linear.fromFloat(w, [outF, inF], { bias });
    const r = int8VectorwiseQuantize(w, [outF, inF]);
    expect(layer.weight).toEqual(r.q);
    expect(layer.weightAbsmax).toEqual(r.rowAbsmax);
    const y = layer.forward(x);
    const ref = llmInt8Matmul(x, [3, inF], w, [outF, inF], { outlierWeights: 'dequantized' }).output;
    for (let i = 0; i < 3; i++) for (let l = 0; l < outF; l++) expect(y[i * outF + l]).toBe(Math.fround(ref[i * outF + l] + bias[l]));
    expect(layer.byteSize).toBe(outF * inF + 4 * outF + 4 * outF);
    // dequantized weights are within half a step of the originals
    const dq = layer.dequantizeWeight();
    for (let l = 0; l < outF; l++) for (let j = 0; j < inF; j++) {
      expect(Math.abs(dq[l * inF + j] - w[l * inF + j])).toBeLessThanOrEqual((layer.weightAbsmax[l] / 127) * (0.5 + 1e-4));
    }
  });

  it('wraps a core Linear and tf tensors', () => {
    const lin = new Linear(inF, outF, { rng: createRng(3) });
    const layer = Int8Linear.fromLinear(lin, { threshold: 6 });
    const xt = tf.tensor(x, [1, 3, inF]);
    const yt = layer.forwardTensor(xt);
    expect(yt.shape).toEqual([1, 3, outF]);
    const ref = lin.forward(xt);
    const a = yt.dataSync();
    const b = ref.dataSync();
    const bound = llmInt8ErrorBound(x, [3, inF], lin.weight.dataSync() as Float32Array, [outF, inF], { outlierWeights: 'dequantized' });
    for (let i = 0; i < a.length; i++) expect(Math.abs(a[i] - b[i])).toBeLessThanOrEqual(bound[i] + 1e-6 * (1 + Math.abs(b[i])));
    tf.dispose([xt, yt, ref]);
    lin.dispose?.();
  });

  it('validates input', () => {
    const layer = Int8Linear.fromFloat(w, [outF, inF]);
    expect(() => layer.forward(new Float32Array(inF + 1))).toThrow(ShapeMismatchError);
    expect(() => new Int8Linear(new Int8Array(3), new Float32Array(1), [1, 4])).toThrow(ShapeMismatchError);
    expect(() => Int8Linear.fromFloat(w, [outF, inF], { bias: new Float32Array(3) })).toThrow(ShapeMismatchError);
    const t = tf.zeros([2, inF + 1]);
    expect(() => layer.forwardTensor(t)).toThrow(ShapeMismatchError);
    t.dispose();
  });
});
