import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { assertNoDataSegments, simdKernels, simdKernelsError, tfjsMemory } from '../src/backend/wasm-kernels/simd-module.js';
import { heapOffset, type WasmBackend } from '../src/backend/wasm-kernels/wasm-heap.js';
import { expectClose } from '../src/testing/expect-close.js';
import { seeded } from './seeded.js';

// Core's WebAssembly SIMD sgemm (packages/core/wasm/kernels/matmul.c), run on tfjs-wasm's own memory,
// against three independent results on the same inputs: a float64 triple loop written here, tfjs'
// 'cpu' backend, and core's earlier transpose-then-XNNPACK path (matMulStrategy.kernel = 'xnnpack').
// Inputs are uniform in [-0.5, 0.5) (a additionally scaled by 1/sqrt(K)), so every output is O(1)
// and fp32 rounding over K <= 700 terms stays below ~1e-5 absolute; tolerance 2e-5.


const sizeOf = (shape: number[]) => shape.reduce((x, y) => x * y, 1);

function randomArray(size: number, rand: () => number, scale = 1): Float32Array {
  const out = new Float32Array(size);
  for (let i = 0; i < size; i++) out[i] = (rand() - 0.5) * scale;
  return out;
}

/** float64 reference of tfjs' BatchMatMul semantics (transposes, right-aligned broadcast batch dims). */
function referenceMatMul(
  a: Float32Array, aShape: number[], b: Float32Array, bShape: number[], ta: boolean, tb: boolean,
): { values: Float64Array; shape: number[] } {
  const ra = aShape.length;
  const rb = bShape.length;
  const m = ta ? aShape[ra - 1] : aShape[ra - 2];
  const k = ta ? aShape[ra - 2] : aShape[ra - 1];
  const n = tb ? bShape[rb - 2] : bShape[rb - 1];
  const outerA = aShape.slice(0, -2);
  const outerB = bShape.slice(0, -2);
  const rank = Math.max(outerA.length, outerB.length);
  const padA = [...new Array(rank - outerA.length).fill(1), ...outerA];
  const padB = [...new Array(rank - outerB.length).fill(1), ...outerB];
  const outer = padA.map((d, i) => Math.max(d, padB[i]));
  const batch = sizeOf(outer);
  const values = new Float64Array(batch * m * n);
  for (let bi = 0; bi < batch; bi++) {
    // output batch coordinates -> operand batch indices
    let rem = bi;
    let ia = 0;
    let ib = 0;
    let strideA = 1;
    let strideB = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rem % outer[d];
      rem = Math.floor(rem / outer[d]);
      ia += (padA[d] === 1 ? 0 : coord) * strideA;
      ib += (padB[d] === 1 ? 0 : coord) * strideB;
      strideA *= padA[d];
      strideB *= padB[d];
    }
    const ao = ia * m * k;
    const bo = ib * k * n;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) {
          const av = ta ? a[ao + p * m + i] : a[ao + i * k + p];
          const bv = tb ? b[bo + j * k + p] : b[bo + p * n + j];
          s += av * bv;
        }
        values[(bi * m + i) * n + j] = s;
      }
    }
  }
  return { values, shape: [...outer, m, n] };
}

interface Case {
  a: number[];
  b: number[];
  ta: boolean;
  tb: boolean;
}

function operandShapes(m: number, k: number, n: number, ta: boolean, tb: boolean, outerA: number[], outerB: number[]): Case {
  return { a: [...outerA, ...(ta ? [k, m] : [m, k])], b: [...outerB, ...(tb ? [n, k] : [k, n])], ta, tb };
}

/** Fixed edge cases: every transpose pair at sizes around the kernel's blocks (MR 4, NR 8, KC 256, MC 128, NC 512). */
const FIXED: Case[] = [];
for (const [m, k, n] of [
  [1, 1, 1], [3, 5, 7], [4, 8, 8], [5, 9, 9], [17, 3, 31], [129, 257, 33], [130, 300, 520], [2, 64, 130], [4, 700, 9],
]) {
  for (const ta of [false, true]) for (const tb of [false, true]) FIXED.push(operandShapes(m, k, n, ta, tb, [], []));
}
FIXED.push(
  operandShapes(64, 32, 64, false, true, [3, 4], [3, 4]), // attention Q K^T
  operandShapes(64, 64, 32, true, false, [2, 3], [2, 3]), // dV = A^T dY
  operandShapes(1, 64, 40, false, true, [1, 4], [1, 4]), // cached decoding: q K^T
  operandShapes(1, 40, 64, false, false, [1, 4], [1, 4]), // cached decoding: p V
  operandShapes(6, 10, 11, false, false, [3, 2], []), // batched a folded into rows
  operandShapes(6, 10, 11, true, true, [3, 2], []), // batched transposed a: per-batch calls
  operandShapes(5, 3, 2, false, false, [], [4]), // unbatched a, batched b
  operandShapes(5, 3, 4, false, false, [2, 1], [1, 3]), // broadcast both ways
  operandShapes(3, 5, 4, true, true, [2, 1], [3]),
);

function randomCases(count: number, seed: number): Case[] {
  const rand = seeded(seed);
  const int = (lo: number, hi: number) => lo + Math.floor(rand() * (hi - lo + 1));
  const cases: Case[] = [];
  for (let c = 0; c < count; c++) {
    const m = rand() < 0.25 ? int(1, 4) : int(1, 150);
    const k = int(1, rand() < 0.2 ? 600 : 90);
    const n = int(1, rand() < 0.1 ? 600 : 90);
    const kind = int(0, 3);
    const outerA = kind === 0 ? [] : kind === 1 ? [int(1, 3)] : kind === 2 ? [int(1, 2), int(1, 3)] : [];
    const outerB = kind === 2 ? [rand() < 0.5 ? 1 : outerA[0], outerA[1]] : kind === 3 ? [int(2, 3)] : kind === 1 && rand() < 0.5 ? outerA : [];
    cases.push(operandShapes(m, k, n, rand() < 0.5, rand() < 0.5, outerA, outerB));
  }
  return cases;
}

const label = (c: Case) => `[${c.a}]${c.ta ? 'T' : ''} x [${c.b}]${c.tb ? 'T' : ''}`;

function inputs(c: Case, seed: number): { a: Float32Array; b: Float32Array } {
  const rand = seeded(seed);
  const k = c.ta ? c.a[c.a.length - 2] : c.a[c.a.length - 1];
  return { a: randomArray(sizeOf(c.a), rand, 1 / Math.sqrt(k)), b: randomArray(sizeOf(c.b), rand) };
}

async function matMulOn(backend: 'cpu' | 'wasm', c: Case, a: Float32Array, b: Float32Array): Promise<Float32Array> {
  await tf.setBackend(backend);
  const ta = tf.tensor(a, c.a);
  const tb = tf.tensor(b, c.b);
  const out = tf.matMul(ta, tb, c.ta, c.tb);
  const values = out.dataSync() as Float32Array;
  tf.dispose([ta, tb, out]);
  return values;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

afterAll(async () => {
  matMulStrategy.kernel = 'simd';
  await tf.setBackend('wasm');
});

describe('SIMD kernel module', () => {
  it('loads on tfjs-wasm, sharing its WebAssembly.Memory', () => {
    const backend = tf.backend() as unknown as WasmBackend;
    expect(simdKernelsError()).toBeUndefined();
    const kernels = simdKernels(backend);
    expect(kernels).toBeDefined();
    const memory = tfjsMemory(backend.wasm)!;
    expect(memory.buffer).toBe(backend.wasm.HEAPU8.buffer);
    expect(kernels!.scratch % 16).toBe(0);
  });

  it('assertNoDataSegments rejects a module that would write into the shared memory', () => {
    // Hand-assembled: magic, version 1, then a data section (id 11) with one active segment
    // (memory 0, offset i32.const 0, 1 byte 0x2a). Sizes: section body = 1 + 1 + 3 + 1 + 1 = 7 bytes.
    const header = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    const withData = Uint8Array.from([...header, 11, 7, 1, 0, 0x41, 0x00, 0x0b, 1, 0x2a]);
    expect(() => assertNoDataSegments(withData)).toThrow(/data segment/);
    // the same data section with zero segments is harmless
    expect(() => assertNoDataSegments(Uint8Array.from([...header, 11, 1, 0]))).not.toThrow();
  });
});

describe('SIMD sgemm vs float64 reference, cpu backend and the XNNPACK path', () => {
  const cases = [...FIXED, ...randomCases(40, 12)];
  it.each(cases.map((c, i) => [label(c), c, i] as const))('%s', async (_name, c, i) => {
    const { a, b } = inputs(c, 1000 + i);
    const ref = referenceMatMul(a, c.a, b, c.b, c.ta, c.tb);
    matMulStrategy.kernel = 'simd';
    const simd = await matMulOn('wasm', c, a, b);
    matMulStrategy.kernel = 'xnnpack';
    const xnnpack = await matMulOn('wasm', c, a, b);
    matMulStrategy.kernel = 'simd';
    const cpu = await matMulOn('cpu', c, a, b);
    expectClose(simd, ref.values, { atol: 2e-5, label: `${label(c)} simd vs float64` });
    // tfjs' cpu backend sizes the output batch as max(batchA, batchB), wrong when both operands
    // broadcast ([2,1] against [1,3]): compare with it only where it computes the full output.
    if (cpu.length === simd.length) expectClose(simd, cpu, { atol: 2e-5, label: `${label(c)} simd vs cpu` });
    else expect(sizeOf(ref.shape)).toBe(simd.length);
    expectClose(simd, xnnpack, { atol: 2e-5, label: `${label(c)} simd vs xnnpack path` });
  });

  it('fused matmul: bias and relu / relu6 / leakyrelu epilogues match cpu', async () => {
    const rand = seeded(7);
    for (const activation of ['linear', 'relu', 'relu6', 'leakyrelu'] as const) {
      for (const [ta, tb] of [[false, false], [false, true], [true, false]] as const) {
        const run = async (backend: 'cpu' | 'wasm') => {
          await tf.setBackend(backend);
          return tf.tidy(() => {
            const a = tf.tensor(aVals, ta ? [37, 9] : [9, 37]);
            const b = tf.tensor(bVals, tb ? [13, 37] : [37, 13]);
            const bias = tf.tensor1d(biasVals);
            const y = tf.fused.matMul({ a, b, transposeA: ta, transposeB: tb, bias, activation, leakyreluAlpha: 0.3 });
            return y.dataSync() as Float32Array;
          });
        };
        const aVals = randomArray(9 * 37, rand, 20);
        const bVals = randomArray(37 * 13, rand);
        const biasVals = randomArray(13, rand, 4);
        expectClose(await run('wasm'), await run('cpu'), { atol: 2e-5, label: `${activation} ${ta}${tb}` });
      }
    }
  });
});

describe('SIMD sgemm memory safety', () => {
  it('writes only its output: tensors allocated around it keep their values', async () => {
    await tf.setBackend('wasm');
    const before = tf.tensor(randomArray(1000, seeded(1)));
    const a = tf.tensor(randomArray(37 * 41, seeded(2)), [37, 41]);
    const b = tf.tensor(randomArray(43 * 41, seeded(3)), [43, 41]);
    const expected = Float32Array.from(before.dataSync() as Float32Array);
    const aCopy = Float32Array.from(a.dataSync() as Float32Array);
    const out = tf.matMul(a, b, false, true);
    const after = tf.tensor(randomArray(1000, seeded(4)));
    const afterValues = Float32Array.from(after.dataSync() as Float32Array);
    out.dataSync();
    tf.matMul(a, b, false, true).dispose();
    expect(before.dataSync()).toEqual(expected);
    expect(a.dataSync()).toEqual(aCopy);
    expect(after.dataSync()).toEqual(afterValues);
    tf.dispose([before, a, b, out, after]);
  });

  it('stays correct after tfjs grows its memory (same Memory object, new buffer)', async () => {
    await tf.setBackend('wasm');
    const backend = tf.backend() as unknown as WasmBackend;
    const memory = tfjsMemory(backend.wasm)!;
    const bytesBefore = memory.buffer.byteLength;
    const big = tf.zeros([Math.ceil(bytesBefore / 4) + 1024]); // forces a grow
    expect(memory.buffer.byteLength).toBeGreaterThan(bytesBefore);
    const c = operandShapes(33, 45, 19, true, false, [], []);
    const { a, b } = inputs(c, 99);
    const simd = await matMulOn('wasm', c, a, b);
    expectClose(simd, referenceMatMul(a, c.a, b, c.b, c.ta, c.tb).values, { atol: 2e-5 });
    // the output really lives in the tfjs heap
    const ta = tf.tensor(a, c.a);
    const tb = tf.tensor(b, c.b);
    const out = tf.matMul(ta, tb, true, false);
    const view = new Float32Array(memory.buffer, heapOffset(backend, out), 33 * 19);
    expect(Array.from(view)).toEqual(Array.from(simd));
    tf.dispose([big, ta, tb, out]);
  });

  it('keeps tf.memory().numTensors flat over repeated batched transposed matmuls', async () => {
    await tf.setBackend('wasm');
    const a = tf.randomUniform([2, 3, 16, 8]);
    const b = tf.randomUniform([2, 3, 16, 8]);
    const run = () => tf.tidy(() => tf.sum(tf.matMul(a, b, true, false)).dataSync());
    run();
    const n = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) run();
    expect(tf.memory().numTensors).toBe(n);
    tf.dispose([a, b]);
  });
});
