/** The vector stores' batched distance kernels (WebAssembly SIMD and the JavaScript fallback) and HNSW format checks. */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { simdAvailable, VectorArena } from '../src/stores/arena.js';
import { HnswVectorStore } from '../src/stores/hnsw.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { VectorStoreError } from '../src/types.js';
import { randomVectors } from './stores-suite.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmkit-hnsw-kernels-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// Reference: the definitions, summed in float64 one term at a time.
const dot64 = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + x * b[i]!, 0);
const l264 = (a: Float32Array, b: Float32Array): number => a.reduce((s, x, i) => s + (x - b[i]!) ** 2, 0);

describe('VectorArena kernels', () => {
  it('runs the WebAssembly SIMD kernels on Node', () => {
    expect(simdAvailable()).toBe(true);
    expect(new VectorArena(8, false).simd).toBe(true);
    expect(new VectorArena(8, false, 64, 4096, false).simd).toBe(false);
  });

  // Dimensions cover the 16-wide SIMD body, the 4-wide tail and the scalar tail.
  for (const dim of [1, 3, 4, 16, 21, 384]) {
    for (const l2 of [false, true]) {
      for (const simd of [true, false]) {
        it(`${l2 ? 'squared L2' : 'dot'} at dim ${dim} (${simd ? 'SIMD' : 'JavaScript'}) equals the float64 definition to f32 rounding`, () => {
          const rows = randomVectors(300, dim, 11 + dim);
          const [q] = randomVectors(1, dim, 5);
          const arena = new VectorArena(dim, l2, 4, 128, simd);
          arena.reserve(rows.length);
          rows.forEach((r, i) => arena.f32.set(r, arena.rowOffset(i)));
          arena.setQuery(q!);
          const ref = (i: number): number => (l2 ? l264(q!, rows[i]!) : dot64(q!, rows[i]!));
          // A sum of dim products of values in [-1, 1) in f32 is off by at most ~dim * 2^-24 * sum|terms|.
          const tol = (i: number): number => 1e-6 * dim * (l2 ? 4 : 1) + 1e-6 * Math.abs(ref(i));
          // Rows path, in blocks of the scratch capacity.
          for (let first = 0; first < rows.length; first += arena.batch) {
            const count = Math.min(arena.batch, rows.length - first);
            arena.rowsRaw(first, count);
            for (let i = 0; i < count; i++) expect(Math.abs(arena.f32[arena.outAt + i]! - ref(first + i))).toBeLessThanOrEqual(tol(first + i));
          }
          // Ids path, with repeated and unordered ids, from the scratch query and from a stored row.
          const ids = [299, 0, 7, 7, 150, 1];
          ids.forEach((id, j) => (arena.i32[arena.idsAt + j] = id));
          arena.idsRaw(arena.queryAt, ids.length);
          ids.forEach((id, j) => expect(Math.abs(arena.f32[arena.outAt + j]! - ref(id))).toBeLessThanOrEqual(tol(id)));
          arena.idsRaw(arena.rowOffset(3), ids.length);
          ids.forEach((id, j) => {
            const want = l2 ? l264(rows[3]!, rows[id]!) : dot64(rows[3]!, rows[id]!);
            expect(Math.abs(arena.f32[arena.outAt + j]! - want)).toBeLessThanOrEqual(1e-6 * dim * 4 + 1e-6 * Math.abs(want));
          });
          // Double-precision rescoring is exact to float64 rounding.
          expect(arena.exact(arena.queryAt, arena.rowOffset(5))).toBeCloseTo(ref(5), 10);
        });
      }
    }
  }

  it('keeps rows when it grows (views are replaced, contents kept)', () => {
    const arena = new VectorArena(5, false, 2);
    const rows = randomVectors(1000, 5, 3);
    rows.forEach((r, i) => {
      arena.reserve(i + 1);
      arena.f32.set(r, arena.rowOffset(i));
    });
    expect(Array.from(arena.row(0))).toEqual(Array.from(rows[0]!));
    expect(Array.from(arena.rowCopy(999))).toEqual(Array.from(rows[999]!));
  });
});

describe('HnswVectorStore format and limits', () => {
  it('rejects a store folder of another format version with corrupt_store naming the version', async () => {
    const store = new HnswVectorStore({ dimension: 4, M: 4 });
    const vs = randomVectors(20, 4, 9);
    await store.upsert(vs.map((_, i) => ({ id: `d${i}`, text: '', metadata: {} })), vs);
    const dir = path.join(tmp, 'v2');
    await store.save(dir);
    const manifest = JSON.parse(readFileSync(path.join(dir, 'store.json'), 'utf8')) as Record<string, unknown>;
    expect(manifest.version).toBe(1);
    writeFileSync(path.join(dir, 'store.json'), JSON.stringify({ ...manifest, version: 2 }));
    await expect(HnswVectorStore.load(dir)).rejects.toSatisfy(
      (e) => VectorStoreError.isInstance(e) && (e as VectorStoreError).code === 'corrupt_store' && /version 2/.test((e as Error).message),
    );
  });

  it('rejects an M beyond the limit with invalid_argument', () => {
    expect(() => new HnswVectorStore({ dimension: 4, M: 5000 })).toThrow(/M must be an integer in \[2, 2048\]/);
  });

  it('ranks the same with the SIMD kernels as an exact float64 scan (MemoryVectorStore rescoring)', async () => {
    // 2000 x 64 random vectors: the MemoryVectorStore top-10 (f32 SIMD scan + float64 rescoring) equals
    // a plain float64 scan of the definition, ids and scores.
    const vs = randomVectors(2000, 64, 21);
    const store = new MemoryVectorStore({ dimension: 64, metric: 'ip' });
    await store.upsert(vs.map((_, i) => ({ id: `d${i}`, text: '', metadata: {} })), vs);
    for (const q of randomVectors(20, 64, 22)) {
      const want = vs.map((v, i) => ({ i, s: dot64(q, v) })).sort((a, b) => b.s - a.s).slice(0, 10);
      const got = await store.search(q, { k: 10 });
      expect(got.map((h) => h.document.id)).toEqual(want.map((w) => `d${w.i}`));
      got.forEach((h, j) => expect(h.score).toBeCloseTo(want[j]!.s, 9));
    }
  });
});
