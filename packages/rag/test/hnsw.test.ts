/** HNSW recall against exact search, tombstones, compaction and persistence. */
import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { HnswVectorStore } from '../src/stores/hnsw.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import type { Document } from '../src/types.js';
import { VectorStoreError } from '../src/types.js';
import { randomVectors } from './stores-suite.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmkit-hnsw-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const docsFor = (n: number, offset = 0): Document[] => Array.from({ length: n }, (_, i) => ({ id: `v${i + offset}`, text: '', metadata: { even: (i + offset) % 2 === 0 } }));

async function recallAt10(hnsw: HnswVectorStore, exact: MemoryVectorStore, queries: Float32Array[], filter?: Document['metadata']): Promise<number> {
  let hit = 0;
  let total = 0;
  for (const q of queries) {
    const truth = new Set((await exact.search(q, { k: 10, filter })).map((h) => h.document.id));
    const got = await hnsw.search(q, { k: 10, filter });
    hit += got.filter((h) => truth.has(h.document.id)).length;
    total += truth.size;
  }
  return hit / total;
}

describe('HnswVectorStore', () => {
  const n = 5000;
  const d = 384;
  const vectors = randomVectors(n, d, 2024);
  const queries = randomVectors(50, d, 77);
  const hnsw = new HnswVectorStore({ dimension: d, M: 16, efConstruction: 200, efSearch: 400, exactFilterThreshold: 100 });
  const exact = new MemoryVectorStore({ dimension: d });

  it('reaches recall@10 >= 0.95 against exact search on 5k random 384-d vectors', async () => {
    await hnsw.upsert(docsFor(n), vectors);
    await exact.upsert(docsFor(n), vectors);
    const recall = await recallAt10(hnsw, exact, queries);
    console.log(`HNSW recall@10 on ${n} x ${d} (M 16, efConstruction 200, efSearch 400): ${recall.toFixed(4)}`);
    expect(recall).toBeGreaterThanOrEqual(0.95);
    // Random 384-d data is hard for any HNSW: usearch 2.26 with the same M/efConstruction gets 0.864 at ef 128 and 0.95 at ef 256 on this set (ours: 0.858, 0.944).
    // A beam of 16 on the same graph finds fewer true neighbours: the beam matters (the test can fail).
    let low = 0;
    for (const q of queries) {
      const truth = new Set((await exact.search(q, { k: 10 })).map((h) => h.document.id));
      low += hnsw.searchSync(q, { k: 10, ef: 16 }).filter((h) => truth.has(h.document.id)).length;
    }
    expect(low / (queries.length * 10)).toBeLessThan(recall);
  });

  it('keeps recall with a filter that matches half the documents (graph search, not the exact fallback)', async () => {
    const recall = await recallAt10(hnsw, exact, queries.slice(0, 20), { even: true });
    expect(recall).toBeGreaterThanOrEqual(0.9);
    for (const h of await hnsw.search(queries[0]!, { k: 10, filter: { even: true } })) expect(h.document.metadata.even).toBe(true);
  });

  it('skips tombstones, re-inserts replaced ids, and compacts', async () => {
    const small = new HnswVectorStore({ dimension: 8, M: 4, efConstruction: 32, efSearch: 16 });
    const vs = randomVectors(400, 8, 4);
    await small.upsert(docsFor(400), vs);
    await small.delete(['v0', 'v1', 'v2']);
    await small.upsert([{ id: 'v3', text: 'moved', metadata: {} }], [vs[10]!]);
    expect(small.tombstones).toBe(4);
    expect(await small.count()).toBe(397);
    const hits = await small.search(vs[0]!, { k: 50 });
    expect(hits.map((h) => h.document.id)).not.toContain('v0');
    expect((await small.search(vs[10]!, { k: 2 })).map((h) => h.document.id).sort()).toEqual(['v10', 'v3']);
    small.compact();
    expect(small.tombstones).toBe(0);
    expect(await small.count()).toBe(397);
    expect((await small.search(vs[10]!, { k: 2 })).map((h) => h.document.id).sort()).toEqual(['v10', 'v3']);
  });

  it('saves and loads the same graph (identical results), then keeps inserting', async () => {
    const dir = path.join(tmp, 'hnsw');
    await hnsw.delete(['v5']);
    await hnsw.save(dir);
    const loaded = await HnswVectorStore.load(dir);
    expect(await loaded.count()).toBe(n - 1);
    expect(loaded.tombstones).toBe(1);
    for (const q of queries.slice(0, 10)) {
      expect(await loaded.search(q, { k: 10 })).toEqual(await hnsw.search(q, { k: 10 }));
    }
    await loaded.upsert(docsFor(1, n), [queries[0]!]);
    expect((await loaded.search(queries[0]!, { k: 1 }))[0]!.document.id).toBe(`v${n}`);
  });

  it('persists a MemoryVectorStore and rejects a missing or wrong folder', async () => {
    const dir = path.join(tmp, 'memory');
    await exact.save(dir);
    const loaded = await MemoryVectorStore.load(dir);
    expect(await loaded.count()).toBe(n);
    expect(await loaded.search(queries[1]!, { k: 5 })).toEqual(await exact.search(queries[1]!, { k: 5 }));
    await expect(MemoryVectorStore.load(path.join(tmp, 'nothing'))).rejects.toSatisfy((e) => VectorStoreError.isInstance(e) && (e as VectorStoreError).code === 'not_found');
    await expect(MemoryVectorStore.load(path.join(tmp, 'hnsw'))).rejects.toSatisfy((e) => VectorStoreError.isInstance(e) && (e as VectorStoreError).code === 'corrupt_store');
  });
});
