import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend, matMulPath } from '../src/backend/init-backend.js';
import { loadNativeMatMul, nativeMatMul, type NativeMatMulAddon } from '../src/backend/native.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { Linear, LayerNorm, Embedding, computeGradients, crossEntropy, createRng, gelu, Module } from '../src/index.js';
import { seeded } from './seeded.js';

// The optional native sgemm (@llmkit/core-native: AVX-512 / AVX2+FMA, thread pool), against a
// float64 triple loop written here and against core's WebAssembly SIMD sgemm on the same tensors.
//
// Tolerance: for a dot product of K terms summed in float32 in any order, with or without FMA,
// |computed - exact| <= gamma_K * sum_p |a_p b_p|, gamma_K = K u / (1 - K u), u = 2^-24 (Higham,
// "Accuracy and Stability of Numerical Algorithms", 3.1). Each output is checked against that
// bound (times 2 for the float32 rounding of the result itself and of the inputs' products), so
// any indexing, packing or masking error (an O(1) relative error) fails.

const status = await loadNativeMatMul();
if (!status.available) {
  console.warn(`[native-sgemm] skipped: the native matmul addon is not available (${status.reason}).`);
}
const addon = nativeMatMul() as NativeMatMulAddon;
const U = 2 ** -24;


interface Product {
  m: number;
  n: number;
  k: number;
  ta: boolean;
  tb: boolean;
}

const label = (p: Product) => `${p.m}x${p.k}x${p.n} ${p.ta ? 'T' : 'N'}${p.tb ? 'T' : 'N'}`;

/**
 * Runs one product through addon.sgemm on a fresh ArrayBuffer (operands at unaligned-to-64 byte
 * offsets, C with a padded row stride ldc > n whose padding must stay untouched) and checks every
 * output against the float64 loop with the gamma_K bound.
 */
function checkSgemm(p: Product, rand: () => number): void {
  const { m, n, k, ta, tb } = p;
  const ldc = n + 3;
  const aOff = 4 * 5;
  const bOff = aOff + 4 * (m * k + 7);
  const cOff = bOff + 4 * (k * n + 9);
  const floats = cOff / 4 + m * ldc + 8;
  const heap = new Float32Array(floats);
  for (let i = 0; i < m * k; i++) heap[aOff / 4 + i] = rand() * 2 - 1;
  for (let i = 0; i < k * n; i++) heap[bOff / 4 + i] = rand() * 2 - 1;
  heap.fill(12345, cOff / 4);
  const rsa = ta ? 1 : k;
  const csa = ta ? m : 1;
  const rsb = tb ? 1 : n;
  const csb = tb ? k : 1;
  addon.sgemm(heap.buffer, m, n, k, aOff, rsa, csa, bOff, rsb, csb, cOff, ldc);
  let worst = 0;
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let exact = 0;
      let abs = 0;
      for (let q = 0; q < k; q++) {
        const x = heap[aOff / 4 + i * rsa + q * csa] * heap[bOff / 4 + q * rsb + j * csb];
        exact += x;
        abs += Math.abs(x);
      }
      const bound = 2 * ((k * U) / (1 - k * U)) * abs + U * Math.abs(exact) + 1e-30;
      const err = Math.abs(heap[cOff / 4 + i * ldc + j] - exact);
      worst = Math.max(worst, err / bound);
      if (!(err <= bound)) {
        throw new Error(`${label(p)}: C[${i},${j}] = ${heap[cOff / 4 + i * ldc + j]}, float64 ${exact}, error ${err} > bound ${bound}`);
      }
    }
    for (let j = n; j < ldc; j++) expect(heap[cOff / 4 + i * ldc + j], `${label(p)} wrote into the ldc padding`).toBe(12345);
  }
  expect(worst).toBeLessThanOrEqual(1);
}

const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

/** Shapes chosen to hit every edge: rows/cols not multiples of the 12x32 (AVX-512) / 6x16 (AVX2) tile, K not a multiple of the vector width nor of KC (256), M <= 4 (no packing). */
const EDGE_SHAPES: [number, number, number][] = [
  [1, 1, 1],
  [1, 7, 3],
  [1, 768, 256],
  [1, 129, 513],
  [2, 33, 17],
  [4, 65, 31],
  [5, 40, 9],
  [11, 31, 15],
  [12, 32, 16],
  [13, 33, 300],
  [64, 64, 32],
  [25, 17, 257],
  [100, 129, 513],
  [250, 70, 260],
];

function randomShapes(count: number, seed: number): [number, number, number][] {
  const rand = seeded(seed);
  const dim = (max: number) => 1 + Math.floor(rand() * max);
  return Array.from({ length: count }, () => [dim(90), dim(140), dim(300)] as [number, number, number]);
}

describe.skipIf(!status.available)('native sgemm (addon) vs float64 reference', () => {
  afterAll(() => {
    addon.setIsa('auto');
    addon.setThreads(2);
    addon.setParallelThreshold(2e6);
  });

  const isas = ['avx512f', 'avx2'] as const;
  for (const isa of isas) {
    it(`${isa}: edge and random shapes, all transposes, 1 thread and the pool`, (ctx) => {
      if (!addon.setIsa(isa)) {
        console.warn(`[native-sgemm] ${isa} not supported on this CPU: not tested`);
        ctx.skip();
        return;
      }
      expect(addon.isa()).toBe(isa);
      const rand = seeded(isa === 'avx2' ? 2 : 1);
      const shapes = [...EDGE_SHAPES, ...randomShapes(12, isa === 'avx2' ? 20 : 10)];
      for (const threads of [1, 2, 3]) {
        addon.setThreads(threads);
        // Threshold 0: every product with more than 4 rows is split over the threads, so the
        // column and row partitions (including parts with no work) are exercised on small shapes.
        addon.setParallelThreshold(threads === 1 ? 2e6 : 0);
        for (const [m, n, k] of shapes) for (const [ta, tb] of TRANSPOSES) checkSgemm({ m, n, k, ta, tb }, rand);
      }
    });
  }

  it('large products over the default threshold (the pool with its default settings)', () => {
    addon.setIsa('auto');
    addon.setThreads(2);
    addon.setParallelThreshold(2e6);
    const rand = seeded(3);
    // 2*300*520*130 = 40.6 MFLOP, split by columns; 2*700*40*300 = 16.8 MFLOP, split by rows.
    for (const [ta, tb] of TRANSPOSES) {
      checkSgemm({ m: 300, n: 520, k: 130, ta, tb }, rand);
      checkSgemm({ m: 700, n: 40, k: 300, ta, tb }, rand);
    }
  });

  it('k = 0 writes zeros, m = 0 or n = 0 writes nothing', () => {
    const heap = new Float32Array(64).fill(7);
    addon.sgemm(heap.buffer, 2, 3, 0, 0, 0, 1, 0, 3, 1, 4 * 16, 3);
    expect(Array.from(heap.subarray(16, 22))).toEqual([0, 0, 0, 0, 0, 0]);
    expect(heap[22]).toBe(7);
    addon.sgemm(heap.buffer, 0, 3, 2, 0, 2, 1, 0, 3, 1, 4 * 30, 3);
    expect(heap[30]).toBe(7);
  });

  it('sgemmBatch: per-entry offsets (shared and broadcast operands) match per-entry sgemm', () => {
    const rand = seeded(4);
    const [m, n, k] = [37, 45, 70];
    const heap = new Float32Array(3 * m * k + 2 * k * n + 2 * 6 * m * n);
    for (let i = 0; i < 3 * m * k + 2 * k * n; i++) heap[i] = rand() * 2 - 1;
    const aAt = (i: number) => 4 * (i * m * k);
    const bAt = (i: number) => 4 * (3 * m * k + i * k * n);
    const out1 = 3 * m * k + 2 * k * n;
    const out2 = out1 + 6 * m * n;
    // 6 entries: a cycles over 3 matrices, b over 2 (a [3,1] x [1,2] style broadcast).
    const aBytes = Uint32Array.from({ length: 6 }, (_, i) => aAt(i % 3));
    const bBytes = Uint32Array.from({ length: 6 }, (_, i) => bAt(Math.floor(i / 3)));
    const cBytes = Uint32Array.from({ length: 6 }, (_, i) => 4 * (out1 + i * m * n));
    for (const threads of [1, 2]) {
      addon.setThreads(threads);
      addon.setParallelThreshold(0);
      heap.fill(0, out1);
      addon.sgemmBatch(heap.buffer, m, n, k, 1, m, n, 1, n, aBytes, bBytes, cBytes);
      for (let i = 0; i < 6; i++) {
        addon.sgemm(heap.buffer, m, n, k, aBytes[i], 1, m, bBytes[i], n, 1, 4 * (out2 + i * m * n), n);
      }
      expect(heap.subarray(out1, out2)).toEqual(heap.subarray(out2));
    }
    addon.setThreads(2);
    addon.setParallelThreshold(2e6);
  });

  it('rejects operands outside the heap and bad arguments with RangeErrors naming them', () => {
    const heap = new ArrayBuffer(4 * 100);
    // A [10, 10] at byte 4: its last element is at byte 4 + 4*99 = 400, one past the end.
    expect(() => addon.sgemm(heap, 10, 1, 10, 4, 10, 1, 0, 1, 1, 0, 1)).toThrow(/op\(A\).*outside the heap/);
    expect(() => addon.sgemm(heap, 1, 10, 10, 0, 10, 1, 4, 10, 1, 0, 10)).toThrow(/op\(B\).*outside the heap/);
    expect(() => addon.sgemm(heap, 10, 10, 1, 0, 1, 1, 0, 10, 1, 4, 10)).toThrow(/C .*outside the heap/);
    expect(() => addon.sgemm(heap, 2, 5, 2, 0, 2, 1, 0, 5, 1, 0, 4)).toThrow(/ldc must be at least n/);
    expect(() => addon.sgemm(heap, -1, 5, 2, 0, 2, 1, 0, 5, 1, 0, 5)).toThrow(RangeError);
    expect(() => addon.sgemm(heap, 1.5, 5, 2, 0, 2, 1, 0, 5, 1, 0, 5)).toThrow(/m must be a non-negative integer/);
    expect(() => addon.sgemm({} as ArrayBuffer, 1, 1, 1, 0, 1, 1, 0, 1, 1, 0, 1)).toThrow(/heap must be/);
    const offsets = new Uint32Array([0]);
    expect(() => addon.sgemmBatch(heap, 1, 1, 1, 1, 1, 1, 1, 1, offsets, new Uint32Array([400]), offsets)).toThrow(
      /op\(B\) of batch entry 0/,
    );
    expect(() => addon.sgemmBatch(heap, 1, 1, 1, 1, 1, 1, 1, 1, offsets, offsets, new Uint32Array(2))).toThrow(/same length/);
    expect(() => addon.setThreads(0)).toThrow(RangeError);
  });
});

// ---------------------------------------------------------------------------------------------
// Through tfjs: BatchMatMul / _FusedMatMul on the wasm heap, native vs the SIMD path.

function randomTensor(shape: number[], rand: () => number): tf.Tensor {
  const size = shape.reduce((x, y) => x * y, 1);
  return tf.tensor(Float32Array.from({ length: size }, () => rand() * 2 - 1), shape);
}

function withKernel<T>(kernel: 'native' | 'simd', fn: () => T): T {
  const saved = matMulStrategy.kernel;
  matMulStrategy.kernel = kernel;
  try {
    return fn();
  } finally {
    matMulStrategy.kernel = saved;
  }
}

/** Both results against the float64 loop's bound, so their difference is within 2 bounds. */
function expectBothClose(native: Float32Array, simd: Float32Array, k: number, absSums: Float64Array, what: string): void {
  for (let i = 0; i < native.length; i++) {
    const bound = 2 * 2 * ((k * U) / (1 - k * U)) * absSums[i] + 1e-30;
    if (!(Math.abs(native[i] - simd[i]) <= bound)) {
      throw new Error(`${what}: element ${i}: native ${native[i]} vs simd ${simd[i]} (bound ${bound})`);
    }
  }
}

describe.skipIf(!status.available)('native path through tfjs (wasm heap) vs the SIMD path', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });
  afterAll(() => {
    matMulStrategy.kernel = 'native';
  });

  it('initBackend reports the native matmul path', async () => {
    const info = await initBackend({ backend: 'wasm' });
    expect(info.matmul.path).toBe('native');
    expect(['avx512f', 'avx2']).toContain(info.matmul.isa);
    expect(matMulPath()).toEqual(info.matmul);
    expect(withKernel('simd', () => matMulPath().path)).toBe('simd');
  });

  const CASES: { a: number[]; b: number[]; ta: boolean; tb: boolean }[] = [
    { a: [768, 128], b: [128, 65], ta: false, tb: false },
    { a: [130, 77], b: [130, 203], ta: true, tb: false },
    { a: [61, 300], b: [45, 300], ta: false, tb: true },
    { a: [3, 2, 33, 40], b: [3, 2, 40, 17], ta: false, tb: false }, // batched
    { a: [3, 2, 40, 33], b: [3, 2, 17, 40], ta: true, tb: true }, // batched, both transposed
    { a: [4, 1, 20, 24], b: [1, 3, 24, 31], ta: false, tb: false }, // broadcast [4,1] x [1,3]
    { a: [5, 25, 19], b: [19, 26], ta: false, tb: false }, // unbatched b: rows folded
    { a: [5, 19, 25], b: [26, 19], ta: true, tb: true }, // unbatched b, transposed a: per-entry
    { a: [1, 256], b: [768, 256], ta: false, tb: true }, // decode matvec x W^T
    { a: [1, 4, 1, 64], b: [1, 4, 128, 64], ta: false, tb: true }, // cached attention, M = 1
    { a: [12, 4, 64, 64], b: [12, 4, 64, 32], ta: true, tb: false }, // attention dV: batched on the pool
  ];

  it.each(CASES.map((c) => [`${JSON.stringify(c.a)}${c.ta ? 'T' : ''} x ${JSON.stringify(c.b)}${c.tb ? 'T' : ''}`, c] as const))(
    '%s',
    (_name, c) => {
      const rand = seeded(c.a.length * 100 + c.a[c.a.length - 1]);
      const a = randomTensor(c.a, rand);
      const b = randomTensor(c.b, rand);
      const native = withKernel('native', () => tf.tidy(() => tf.matMul(a, b, c.ta, c.tb).dataSync() as Float32Array));
      const simd = withKernel('simd', () => tf.tidy(() => tf.matMul(a, b, c.ta, c.tb).dataSync() as Float32Array));
      // sum_p |a||b| per output (the error bound's scale), from a matmul of the absolute values.
      const absSums = Float64Array.from(
        withKernel('simd', () => tf.tidy(() => tf.matMul(tf.abs(a), tf.abs(b), c.ta, c.tb).dataSync() as Float32Array)),
      );
      const k = c.ta ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
      expect(native.length).toBe(simd.length);
      // The abs-sum matmul itself is rounded: inflate it by (1 + gamma_K).
      for (let i = 0; i < absSums.length; i++) absSums[i] *= 1 + 2 * k * U;
      expectBothClose(native, simd, k, absSums, JSON.stringify(c));
      tf.dispose([a, b]);
    },
  );

  it('fused matmul (bias + relu) on the native path matches the SIMD path', () => {
    const rand = seeded(11);
    const a = randomTensor([50, 70], rand);
    const b = randomTensor([40, 70], rand);
    const bias = randomTensor([40], rand);
    const run = () => tf.tidy(() => tf.fused.matMul({ a, b, transposeB: true, bias, activation: 'relu' }).dataSync() as Float32Array);
    const native = withKernel('native', run);
    const simd = withKernel('simd', run);
    const absSums = Float64Array.from(
      withKernel('simd', () =>
        tf.tidy(() => tf.add(tf.matMul(tf.abs(a), tf.abs(b), false, true), tf.abs(bias)).dataSync() as Float32Array),
      ),
    );
    expectBothClose(native, simd, 71, absSums, 'fused');
    expect(native.some((x) => x === 0)).toBe(true); // relu applied
    tf.dispose([a, b, bias]);
  });
});

class TinyLm extends Module {
  wte: Embedding;
  ln: LayerNorm;
  up: Linear;
  down: Linear;
  constructor(vocab: number, width: number) {
    super();
    const rng = createRng(5);
    this.wte = new Embedding(vocab, width, { rng });
    this.ln = new LayerNorm(width);
    this.up = new Linear(width, 4 * width, { rng });
    this.down = new Linear(4 * width, width, { rng });
  }
  loss(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar {
    return tf.tidy(() => {
      const [b, t] = ids.shape;
      const x = this.wte.forward(ids) as tf.Tensor3D;
      const h = tf.add(x, this.down.forward(gelu(this.up.forward(this.ln.forward(x)))));
      // tied head: logits = h E^T
      const logits = tf.matMul(tf.reshape(h, [b * t, -1]), this.wte.weight, false, true);
      return crossEntropy(logits, tf.reshape(targets, [-1])) as tf.Scalar;
    });
  }
}

describe.skipIf(!status.available)('a training step on the native path matches the SIMD path', () => {
  beforeAll(async () => {
    await initBackend({ backend: 'wasm' });
  });

  it('loss and every gradient agree to float32 rounding (relative 1e-4 of the gradient norm)', () => {
    const model = new TinyLm(65, 96);
    const params = model.trainableParameters();
    const rand = seeded(9);
    const ids = tf.tensor2d(Int32Array.from({ length: 8 * 48 }, () => Math.floor(rand() * 65)), [8, 48], 'int32');
    const targets = tf.tensor2d(Int32Array.from({ length: 8 * 48 }, () => Math.floor(rand() * 65)), [8, 48], 'int32');
    const step = (kernel: 'native' | 'simd') =>
      withKernel(kernel, () => {
        const { loss, grads } = computeGradients(() => model.loss(ids, targets), params);
        const out = { loss: loss.dataSync()[0], grads: new Map([...grads].map(([name, g]) => [name, g.dataSync() as Float32Array])) };
        tf.dispose([loss, ...grads.values()]);
        return out;
      });
    const native = step('native');
    const simd = step('simd');
    // ln(65) = 4.17 for a random model; the two losses differ only by rounding.
    expect(Math.abs(native.loss - simd.loss)).toBeLessThan(1e-5 * Math.abs(simd.loss));
    expect(native.grads.size).toBe(simd.grads.size);
    for (const [name, g] of simd.grads) {
      const h = native.grads.get(name)!;
      let norm = 0;
      let diff = 0;
      for (let i = 0; i < g.length; i++) {
        norm += g[i] * g[i];
        diff += (g[i] - h[i]) ** 2;
      }
      expect(Math.sqrt(diff), `gradient ${name}`).toBeLessThan(1e-4 * Math.sqrt(norm) + 1e-12);
    }
    tf.dispose([ids, targets]);
    model.dispose();
  });
});

describe('LLMKIT_NATIVE=0', () => {
  it('disables the native path: initBackend reports simd and the reason', () => {
    const root = fileURLToPath(new URL('../../..', import.meta.url));
    const code = [
      "const { initBackend } = await import('@llmkit/core');",
      "const info = await initBackend({ backend: 'wasm' });",
      'console.log(JSON.stringify(info.matmul));',
    ].join('\n');
    const run = spawnSync(process.execPath, ['--conditions=@llmkit/source', '--import', 'tsx', '--input-type=module', '-e', code], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, LLMKIT_NATIVE: '0', NODE_OPTIONS: '' },
      timeout: 120_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const matmul = JSON.parse(run.stdout.trim().split('\n').pop()!);
    // core's WebAssembly SIMD sgemm, or its XNNPACK path when that is switched off too
    const path = process.env.LLMKIT_WASM_SIMD === '0' ? 'xnnpack' : 'simd';
    expect(matmul).toEqual({ path, nativeUnavailable: 'disabled by LLMKIT_NATIVE=0' });
  });
});
