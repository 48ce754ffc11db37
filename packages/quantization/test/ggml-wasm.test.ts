/**
 * The WebAssembly ggml kernels (wasm/ggml/*.c, loaded by src/ggml/wasm/index.ts) against the
 * TypeScript reference implementations (`backend: 'js'`) and against ggml's own C code
 * (`quantize_row_<type>_ref` / `dequantize_row_<type>` from libggml-base.so through koffi,
 * test/ggml-reference.ts; skipped when absent): identical bytes and identical float32 bit
 * patterns on many value distributions, non-finite inputs, random block bytes, chunk
 * boundaries and offset views; plus the routing (backend option, LLMKIT_GGML_BACKEND,
 * registered replacements) and the committed .wasm being the build of its C sources.
 */
import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createRng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { createGgmlWorkspace, dequantizeBlocks, GGML_TYPES, quantizeBlocks, registerGgmlType } from '../src/ggml/registry.js';
import { makeTraits } from '../src/ggml/float.js';
import { GGML_BLOCK_GEOMETRY, type GgmlTypeName } from '../src/ggml/types.js';
import { CHUNK_VALUES, ggmlWasm, WASM_DEQUANTIZE_TYPES, WASM_QUANTIZE_TYPES } from '../src/ggml/wasm/index.js';
import { loadGgmlReference } from './ggml-reference.js';

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const ref = loadGgmlReference();
if (ref === null) console.warn('ggml-wasm.test: libggml-base.so (or koffi) missing: the comparisons with ggml are skipped.');

const TYPES: readonly GgmlTypeName[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q8_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_K', 'F16', 'BF16'];

function rng(seed: number): () => number {
  const r = createRng(seed);
  return () => r.random();
}

const gaussian = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const sign = (r: () => number) => (r() < 0.5 ? -1 : 1);

/** Distributions of 256-value groups (group g uses DISTRIBUTIONS[g % length]). */
const DISTRIBUTIONS: ReadonlyArray<[string, (r: () => number, i: number, g: Float32Array) => number]> = [
  ['normal', (r) => gaussian(r)],
  [
    'normal x 1e-8..1e4 per group',
    (r, i, g) => {
      if (i === 0) g[0] = 10 ** (-8 + 12 * r());
      return g[0] * gaussian(r);
    },
  ],
  ['cauchy', (r) => Math.tan(Math.PI * (r() - 0.5))],
  ['uniform -1..1', (r) => 2 * r() - 1],
  ['uniform 0..1', (r) => r()],
  ['uniform -3..-1', (r) => -1 - 2 * r()],
  ['constant', (r, i, g) => (i === 0 ? (g[0] = sign(r) * 10 ** (-6 + 9 * r())) : g[0])],
  ['zeros', () => 0],
  ['signed zeros', (r) => (r() < 0.5 ? -0 : 0)],
  [
    'one outlier',
    (r, i, g) => {
      if (i === 0) g[1] = 1 + Math.floor(r() * 255);
      return i === g[1] ? sign(r) * (10 + 1000 * r()) : 0.01 * gaussian(r);
    },
  ],
  ['mixed magnitudes 1e-8..1e4', (r) => sign(r) * 10 ** (-8 + 12 * r())],
  ['tiny 1e-6', (r) => 1e-6 * gaussian(r)],
  ['below GROUP_MAX_EPS 1e-17', (r) => 1e-17 * gaussian(r)],
  ['beyond float16 range 1e5..1e9', (r) => 10 ** (5 + 4 * r()) * gaussian(r)],
  ['huge 1e4', (r) => 1e4 * gaussian(r)],
  ['sparse 5%', (r) => (r() < 0.05 ? gaussian(r) : 0)],
  ['alternating zero / normal sub-blocks', (r, i) => ((i >> 4) % 2 === 0 ? 0 : gaussian(r))],
  ['integers -3..3', (r) => Math.floor(7 * r()) - 3],
  ['ties: multiples of 0.5', (r) => 0.5 * (Math.floor(17 * r()) - 8)],
  ['constant sub-blocks of 16', (r, i, g) => (i % 16 === 0 ? (g[0] = gaussian(r)) : g[0])],
  ['positive with offset', (r) => 5 + 0.1 * gaussian(r)],
  ['float16 subnormal edge 6e-8..6e-5', (r) => sign(r) * 10 ** (-7.2 + 2.9 * r())],
];

const GROUPS = DISTRIBUTIONS.length * 12; // 264 groups of 256 = 67,584 values
const data = new Float32Array(GROUPS * 256);
{
  const r = rng(20261130);
  const scratch = new Float32Array(2);
  for (let g = 0; g < GROUPS; g++) {
    const f = DISTRIBUTIONS[g % DISTRIBUTIONS.length][1];
    for (let i = 0; i < 256; i++) data[g * 256 + i] = f(r, i, scratch);
  }
}

const bits = (x: Float32Array) => new Uint32Array(x.buffer, x.byteOffset, x.length);

function firstDifference(a: Uint8Array | Uint32Array, b: Uint8Array | Uint32Array): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return a.length === b.length ? -1 : n;
}

/** First index where the float32 bit patterns differ, treating any two NaNs as equal. */
function firstValueDifference(a: Float32Array, b: Float32Array): number {
  const ua = bits(a);
  const ub = bits(b);
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (ua[i] !== ub[i] && !(Number.isNaN(a[i]) && Number.isNaN(b[i]))) return i;
  }
  return -1;
}

function describeDifference(type: GgmlTypeName, at: number, a: Uint8Array, b: Uint8Array): string {
  const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[type];
  const block = Math.floor(at / typeSize);
  const group = Math.floor((block * blockSize) / 256);
  return `${type}: first byte difference at ${at} (block ${block}, '${DISTRIBUTIONS[group % DISTRIBUTIONS.length][0]}'): ${a[at]} vs ${b[at]}`;
}

/** Random block bytes; with `finite`, float16 (Q8_K: float32) scales are kept finite. */
function randomBlocks(type: GgmlTypeName, blocks: number, seed: number, finite: boolean): Uint8Array {
  const { typeSize } = GGML_BLOCK_GEOMETRY[type];
  const r = rng(seed);
  const out = new Uint8Array(blocks * typeSize);
  for (let i = 0; i < out.length; i++) out[i] = Math.floor(r() * 256);
  if (!finite) return out;
  const halfAt: Partial<Record<GgmlTypeName, number[]>> = {
    Q4_0: [0], Q4_1: [0, 2], Q5_0: [0], Q5_1: [0, 2], Q8_0: [0], Q8_1: [0, 2],
    Q2_K: [80, 82], Q3_K: [108], Q4_K: [0, 2], Q5_K: [0, 2], Q6_K: [208],
  };
  for (let b = 0; b < blocks; b++) {
    const o = b * typeSize;
    if (type === 'Q8_K') out[o + 3] = (out[o + 3] & 0x80) | (0x30 + (out[o + 3] & 0x1f));
    for (const at of halfAt[type] ?? []) if (((out[o + at + 1] >> 2) & 0x1f) === 0x1f) out[o + at + 1] &= ~0x04;
  }
  return out;
}

describe('wasm kernels load', () => {
  it('instantiates in Node and covers every quantized type plus F16/BF16', () => {
    expect(ggmlWasm()).not.toBeNull();
    for (const t of TYPES) {
      expect(WASM_QUANTIZE_TYPES).toContain(t);
      expect(WASM_DEQUANTIZE_TYPES).toContain(t);
    }
  });
});

describe('wasm == TypeScript reference, byte for byte and bit for bit', () => {
  for (const type of TYPES) {
    it(`${type}: quantize over ${DISTRIBUTIONS.length} distributions, dequantize of the result and of random bytes`, () => {
      const js = quantizeBlocks(type, data, { backend: 'js' });
      const wasm = quantizeBlocks(type, data, { backend: 'wasm' });
      const at = firstDifference(wasm, js);
      if (at >= 0) expect.fail(describeDifference(type, at, wasm, js));
      expect(wasm.length).toBe(js.length);

      expect(firstDifference(bits(dequantizeBlocks(type, js, data.length, { backend: 'wasm' })), bits(dequantizeBlocks(type, js, data.length, { backend: 'js' })))).toBe(-1);

      const blocks = 300;
      const count = blocks * GGML_BLOCK_GEOMETRY[type].blockSize;
      const finite = randomBlocks(type, blocks, 11 + GGML_BLOCK_GEOMETRY[type].typeSize, true);
      expect(firstDifference(bits(dequantizeBlocks(type, finite, count, { backend: 'wasm' })), bits(dequantizeBlocks(type, finite, count, { backend: 'js' })))).toBe(-1);
      // Fully random bytes: Inf/NaN scales too (NaN payloads may differ between engines' float paths).
      const wild = randomBlocks(type, blocks, 99 + GGML_BLOCK_GEOMETRY[type].typeSize, false);
      expect(firstValueDifference(dequantizeBlocks(type, wild, count, { backend: 'wasm' }), dequantizeBlocks(type, wild, count, { backend: 'js' }))).toBe(-1);
    });

    it(`${type}: non-finite and float32-extreme inputs (NaN, +-Infinity, +-3e38)`, () => {
      const x = new Float32Array(16 * 256).map((_, i) => Math.sin(i) * (i % 7));
      const specials = [NaN, Infinity, -Infinity, 3e38, -3e38, 1e-45, -1e-45, 65504, 65520, -65520, Infinity, NaN, -3e38, 0, -0, 1e38];
      specials.forEach((v, b) => {
        x[b * 256 + ((37 * b) % 256)] = v;
        if (b >= 10) x[b * 256 + 200] = -v;
      });
      const wasm = quantizeBlocks(type, x, { backend: 'wasm' });
      const js = quantizeBlocks(type, x, { backend: 'js' });
      const at = firstDifference(wasm, js);
      if (at >= 0) expect.fail(`${type}: byte ${at}: ${wasm[at]} vs ${js[at]}`);
      expect(firstValueDifference(dequantizeBlocks(type, js, x.length, { backend: 'wasm' }), dequantizeBlocks(type, js, x.length, { backend: 'js' }))).toBe(-1);
      if (ref !== null && ref.has(type, 'quantize')) {
        // ggml itself does not reject these; its bit tricks and float16 overflow define the bytes.
        const theirs = ref.quantize(type, x);
        const c = firstDifference(wasm, theirs);
        if (c >= 0) expect.fail(`${type}: byte ${c}: ${wasm[c]} vs ggml ${theirs[c]}`);
      }
    });
  }
});

describe('F16 / BF16 kernels on every bit pattern class', () => {
  it('decode all 65536 float16 / bfloat16 patterns; encode 2^20 random float32 bit patterns and the rounding boundaries', () => {
    const all = new Uint8Array(65536 * 2);
    for (let h = 0; h < 65536; h++) {
      all[2 * h] = h & 0xff;
      all[2 * h + 1] = h >> 8;
    }
    const r = rng(17);
    const n = 1 << 20;
    const x = new Float32Array(n);
    const u = new Uint32Array(x.buffer);
    for (let i = 0; i < n; i++) u[i] = Math.floor(r() * 2 ** 32) >>> 0;
    // Every float16 value and the float32 values half an ulp (and one float32 ulp more or less) away.
    for (let h = 0; h < 65536 && 8 * h + 8 <= n; h++) {
      const v = new Float32Array(dequantizeBlocks('F16', all.subarray(2 * h, 2 * h + 2), 1, { backend: 'js' }));
      const b = new Uint32Array(v.buffer)[0];
      const step = (b & 0x7f800000) >= 0x38800000 ? 0x1000 : 0; // half a float16 ulp of a normal value, in float32 bits
      const k = 8 * h;
      u[k] = b;
      u[k + 1] = b + step;
      u[k + 2] = b + step + 1;
      u[k + 3] = b + step - 1;
      u[k + 4] = b - step;
      u[k + 5] = b - 1;
      u[k + 6] = b + 1;
      u[k + 7] = (b & 0xffff0000) | 0x8000; // bfloat16 tie
    }
    for (const type of ['F16', 'BF16'] as const) {
      expect(firstValueDifference(dequantizeBlocks(type, all, 65536, { backend: 'wasm' }), dequantizeBlocks(type, all, 65536, { backend: 'js' }))).toBe(-1);
      expect(firstDifference(bits(dequantizeBlocks(type, all, 65536, { backend: 'wasm' })), bits(dequantizeBlocks(type, all, 65536, { backend: 'js' })))).toBe(-1);
      const at = firstDifference(quantizeBlocks(type, x, { backend: 'wasm' }), quantizeBlocks(type, x, { backend: 'js' }));
      if (at >= 0) expect.fail(`${type}: value ${at >> 1} (bits 0x${u[at >> 1].toString(16)}) encodes differently`);
    }
  });
});

describe.skipIf(ref === null)('wasm == ggml C reference (libggml-base.so via koffi; skipped when absent)', () => {
  for (const type of TYPES) {
    it(`${type}: quantize == ggml's quantize_row_${type}_ref, dequantize == ggml's dequantize_row_${type}`, () => {
      if (!ref!.has(type, 'quantize')) return; // Q8_1 has no dequantizer in ggml, checked below
      const ours = quantizeBlocks(type, data, { backend: 'wasm' });
      const theirs = ref!.quantize(type, data);
      const at = firstDifference(ours, theirs);
      if (at >= 0) expect.fail(describeDifference(type, at, ours, theirs));
      if (!ref!.has(type, 'dequantize')) return;
      expect(firstDifference(bits(dequantizeBlocks(type, theirs, data.length, { backend: 'wasm' })), bits(ref!.dequantize(type, theirs, data.length)))).toBe(-1);
      const blocks = 200;
      const count = blocks * GGML_BLOCK_GEOMETRY[type].blockSize;
      const bytes = randomBlocks(type, blocks, 5 + GGML_BLOCK_GEOMETRY[type].typeSize, true);
      expect(firstDifference(bits(dequantizeBlocks(type, bytes, count, { backend: 'wasm' })), bits(ref!.dequantize(type, bytes, count)))).toBe(-1);
    });
  }
});

describe('chunking, views and output buffers', () => {
  it('inputs longer than one kernel chunk, not a multiple of it, from offset views, into caller buffers', () => {
    const n = 2 * CHUNK_VALUES + 3 * 256;
    const backing = new Float32Array(n + 64);
    const r = rng(3);
    for (let i = 0; i < backing.length; i++) backing[i] = gaussian(r) * (1 + (i % 300));
    const x = backing.subarray(64); // byteOffset 256
    for (const type of ['Q4_K', 'Q8_0', 'Q6_K', 'F16'] as const) {
      const js = quantizeBlocks(type, x, { backend: 'js' });
      const wasm = quantizeBlocks(type, x, { backend: 'wasm' });
      expect(firstDifference(wasm, js)).toBe(-1);
      const padded = new Uint8Array(js.length + 10);
      padded.set(js, 10);
      const view = padded.subarray(10);
      const yJs = dequantizeBlocks(type, view, n, { backend: 'js' });
      const out = new Float32Array(n + 5).fill(7);
      const y = dequantizeBlocks(type, view, n, { backend: 'wasm', out });
      expect(y.length).toBe(n);
      expect(y.buffer).toBe(out.buffer);
      expect(firstDifference(bits(y), bits(yJs))).toBe(-1);
      expect(out[n]).toBe(7); // nothing written past count
      const outBytes = new Uint8Array(js.length);
      expect(quantizeBlocks(type, x, { out: outBytes })).toBe(outBytes);
      expect(firstDifference(outBytes, js)).toBe(-1);
    }
  });

  it('empty input gives empty output; bad out buffers are rejected with the needed size', () => {
    expect(quantizeBlocks('Q4_K', new Float32Array(0), { backend: 'wasm' }).length).toBe(0);
    expect(dequantizeBlocks('Q4_K', new Uint8Array(0), 0, { backend: 'wasm' }).length).toBe(0);
    expect(() => dequantizeBlocks('Q8_0', new Uint8Array(34), 32, { out: new Float32Array(31) })).toThrow(/length >= 32/);
    expect(() => quantizeBlocks('Q8_0', new Float32Array(32), { out: new Uint8Array(33) })).toThrow(InvalidArgumentError);
    expect(() => quantizeBlocks('Q4_K', new Float32Array(100), { backend: 'wasm' })).toThrow(/multiple of the Q4_K block size 256/);
    expect(() => dequantizeBlocks('Q4_K', new Uint8Array(143), 256, { backend: 'wasm' })).toThrow(InvalidArgumentError);
  });
});

describe('createGgmlWorkspace: conversion in place in wasm memory', () => {
  it('equals the TypeScript reference for every type (quantize bytes, dequantize bits, partial counts), for both backends', () => {
    for (const type of TYPES) {
      const { blockSize } = GGML_BLOCK_GEOMETRY[type];
      const n = data.length - (data.length % blockSize);
      const x = data.subarray(0, n);
      const js = quantizeBlocks(type, x, { backend: 'js' });
      const jsValues = dequantizeBlocks(type, js, n, { backend: 'js' });
      for (const backend of ['wasm', 'js'] as const) {
        const ws = createGgmlWorkspace(type, n, { backend });
        expect(ws.backend).toBe(backend);
        ws.values.set(x);
        const q = ws.quantize();
        expect(q).toBe(ws.bytes);
        expect(firstDifference(q, js)).toBe(-1);
        ws.values.fill(Number.NaN);
        expect(firstValueDifference(ws.dequantize(), jsValues)).toBe(-1);
        // A prefix of whole blocks: only that prefix is written.
        const part = 3 * blockSize;
        ws.values.fill(7);
        const y = ws.dequantize(part);
        expect(y.length).toBe(part);
        expect(firstValueDifference(y, jsValues.subarray(0, part))).toBe(-1);
        expect(ws.values[part]).toBe(7);
      }
    }
  });

  it('random block bytes decode as dequantizeBlocks decodes them; the views stay valid across workspaces', () => {
    const first = createGgmlWorkspace('Q8_0', 4096);
    for (const type of ['Q8_0', 'Q4_K', 'Q5_K', 'Q8_K'] as const) {
      const blocks = 64;
      const n = blocks * GGML_BLOCK_GEOMETRY[type].blockSize;
      const bytes = randomBlocks(type, blocks, 99, true);
      const ws = createGgmlWorkspace(type, n);
      ws.bytes.set(bytes);
      expect(firstValueDifference(ws.dequantize(), dequantizeBlocks(type, bytes, n, { backend: 'js' }))).toBe(-1);
    }
    expect(first.values.length).toBe(4096); // not detached by the later instances
    expect(first.bytes.length).toBe((4096 / 32) * 34);
  });

  it('rejects bad capacities and counts with typed errors that name the fix', () => {
    expect(() => createGgmlWorkspace('Q4_K', 100)).toThrow(/multiple of Q4_K's block size 256/);
    expect(() => createGgmlWorkspace('Q4_K', 0)).toThrow(InvalidArgumentError);
    expect(() => createGgmlWorkspace('Q8_0', 2 ** 31)).toThrow(/in parts/);
    expect(() => createGgmlWorkspace('Q9_9' as GgmlTypeName, 256)).toThrow(InvalidArgumentError);
    const ws = createGgmlWorkspace('Q8_0', 64);
    expect(() => ws.dequantize(96)).toThrow(/between 0 and the capacity 64/);
    expect(() => ws.quantize(16)).toThrow(InvalidArgumentError);
    expect(ws.dequantize(0).length).toBe(0);
  });
});

describe('backend routing', () => {
  const saved = process.env.LLMKIT_GGML_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.LLMKIT_GGML_BACKEND;
    else process.env.LLMKIT_GGML_BACKEND = saved;
  });

  it('LLMKIT_GGML_BACKEND=js routes to the TypeScript traits; an unknown value is rejected by name', () => {
    const x = data.subarray(0, 4 * 256);
    const calls: string[] = [];
    const original = GGML_TYPES.get('Q4_K')!;
    const spy = makeTraits(
      'Q4_K',
      (v) => (calls.push('q'), original.quantize(v)),
      (b, n) => (calls.push('d'), original.dequantize(b, n))
    );
    registerGgmlType(spy, { replace: true });
    try {
      // A registered replacement runs under 'auto' (the wasm kernel is only used for the built-in traits).
      delete process.env.LLMKIT_GGML_BACKEND;
      quantizeBlocks('Q4_K', x);
      expect(calls).toEqual(['q']);
    } finally {
      registerGgmlType(original, { replace: true });
    }
    process.env.LLMKIT_GGML_BACKEND = 'js';
    expect(firstDifference(quantizeBlocks('Q8_0', x), quantizeBlocks('Q8_0', x, { backend: 'wasm' }))).toBe(-1);
    process.env.LLMKIT_GGML_BACKEND = 'simd';
    expect(() => quantizeBlocks('Q8_0', x)).toThrow(/LLMKIT_GGML_BACKEND is "simd"/);
    expect(() => quantizeBlocks('Q8_0', x, { backend: 'js' })).not.toThrow(); // an explicit option wins
  });

  it('rejects unknown backends and wasm for F32 (no kernel) with typed errors', () => {
    const x = new Float32Array(32);
    expect(() => quantizeBlocks('Q8_0', x, { backend: 'gpu' as 'js' })).toThrow(InvalidArgumentError);
    expect(() => quantizeBlocks('F32', x, { backend: 'wasm' })).toThrow(/no wasm quantize kernel for F32/);
    expect(quantizeBlocks('F32', x).length).toBe(128); // auto: F32 stays a JS copy
  });
});

describe('without WebAssembly', () => {
  it('falls back to the TypeScript path (same bytes); backend wasm throws BackendError', () => {
    // A child Node with WebAssembly removed (--no-expose-wasm) loads the package from source through tsx.
    const registry = resolve(repoRoot, 'packages/quantization/src/ggml/registry.ts');
    const code = [
      `const { quantizeBlocks } = await import(${JSON.stringify(registry)});`,
      `const x = new Float32Array(512).map((_, i) => Math.sin(i) * (1 + (i % 37)));`,
      `let wasmError = 'none';`,
      `try { quantizeBlocks('Q4_K', x, { backend: 'wasm' }); } catch (e) { wasmError = e.constructor.name + ':' + e.code; }`,
      `console.log(JSON.stringify({ wasm: typeof WebAssembly, q4k: Array.from(quantizeBlocks('Q4_K', x)), q80: Array.from(quantizeBlocks('Q8_0', x)), wasmError }));`,
    ].join('\n');
    const run = spawnSync(process.execPath, ['--no-expose-wasm', '--import', 'tsx', '--conditions=@llmkit/source', '--input-type=module', '-e', code], {
      cwd: repoRoot,
      encoding: 'utf8',
      timeout: 90_000,
    });
    expect(run.status, run.stderr).toBe(0);
    const got = JSON.parse(run.stdout.trim().split('\n').pop()!);
    expect(got.wasm).toBe('undefined');
    expect(got.wasmError).toBe('BackendError:backend');
    const x = new Float32Array(512).map((_, i) => Math.sin(i) * (1 + (i % 37)));
    expect(got.q4k).toEqual(Array.from(quantizeBlocks('Q4_K', x, { backend: 'wasm' })));
    expect(got.q80).toEqual(Array.from(quantizeBlocks('Q8_0', x, { backend: 'wasm' })));
  });
});

describe('committed wasm module', () => {
  const clang = spawnSync('clang', ['--version'], { encoding: 'utf8' });
  const hasClang = !clang.error && clang.status === 0;
  if (!hasClang) console.warn('ggml-wasm.test: clang is not installed: the rebuild check of the committed .wasm is skipped.');
  it.skipIf(!hasClang)('is the build of wasm/ggml/*.c (node tools/build-wasm.mjs --check)', () => {
    // Checked in a scratch copy holding only this module, so other packages' wasm sources cannot interfere.
    const root = mkdtempSync(join(tmpdir(), 'llmkit-ggml-wasm-check-'));
    try {
      const rel = 'packages/quantization';
      cpSync(resolve(repoRoot, 'tools/build-wasm.mjs'), join(root, 'tools/build-wasm.mjs'));
      cpSync(resolve(repoRoot, rel, 'wasm/ggml'), join(root, rel, 'wasm/ggml'), { recursive: true });
      cpSync(resolve(repoRoot, rel, 'src/ggml/wasm/kernels.wasm.ts'), join(root, rel, 'src/ggml/wasm/kernels.wasm.ts'));
      const run = spawnSync(process.execPath, ['tools/build-wasm.mjs', '--check'], { cwd: root, encoding: 'utf8' });
      const output = `${run.stdout}${run.stderr}`;
      if (/not comparable/.test(output)) {
        console.warn(`ggml-wasm.test: ${output.trim()}`);
        return;
      }
      expect(output).toMatch(/packages\/quantization\/src\/ggml\/wasm\/kernels\.wasm\.ts matches its sources/);
      expect(run.status, output).toBe(0);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});
