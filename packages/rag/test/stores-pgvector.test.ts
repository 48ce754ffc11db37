/** PgVectorStore specifics: PGlite persistence (in-process and across processes), reopen checks, HNSW/IVFFlat indexes. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { PgVectorStore } from '../src/stores/pgvector.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { VectorStoreError } from '../src/types.js';
import { randomVectors } from './stores-suite.js';

const tmp = mkdtempSync(path.join(os.tmpdir(), 'llmkit-pgvector-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

async function codeOf(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    return VectorStoreError.isInstance(e) ? (e as VectorStoreError).code : `not a VectorStoreError: ${String(e)}`;
  }
  return undefined;
}

describe('PgVectorStore on a PGlite dataDir', () => {
  const dataDir = path.join(tmp, 'db');
  const vs = randomVectors(50, 8, 11);
  const docs = vs.map((_, i) => ({ id: `d${i}`, text: `doc ${i}`, metadata: { i, parity: i % 2 ? 'odd' : 'even' } }));

  it('persists across close + reopen in the same process', async () => {
    const store = await PgVectorStore.create({ dataDir, dimension: 8, metric: 'l2' });
    await store.upsert(docs, vs);
    await store.delete(['d0']);
    await store.close();
    const again = await PgVectorStore.create({ dataDir, dimension: 8 });
    expect(again.metric).toBe('l2'); // remembered from the table
    expect(await again.count()).toBe(49);
    expect((await again.search(vs[7]!, { k: 1 }))[0]!.document).toEqual(docs[7]);
    await again.close();
  });

  it('persists across processes (a child `tsx` reopens the same dataDir)', () => {
    const script = path.join(tmp, 'child.mts');
    const src = path.join(repoRoot, 'packages/rag/src/stores/pgvector.ts');
    writeFileSync(
      script,
      `import { PgVectorStore } from ${JSON.stringify(src)};
const store = await PgVectorStore.create({ dataDir: ${JSON.stringify(dataDir)}, dimension: 8 });
const q = new Float32Array(${JSON.stringify(Array.from(vs[3]!))});
const hits = await store.search(q, { k: 2, filter: { parity: 'odd' } });
await store.upsert([{ id: 'from-child', text: 'child', metadata: {} }], [q]);
console.log(JSON.stringify({ count: await store.count(), ids: hits.map((h) => h.document.id) }));
await store.close();
`,
    );
    const out = execFileSync(path.join(repoRoot, 'node_modules/.bin/tsx'), ['--conditions=@llmkit/source', script], { cwd: repoRoot, encoding: 'utf8', timeout: 90_000 });
    const result = JSON.parse(out.trim().split('\n').pop()!) as { count: number; ids: string[] };
    expect(result.count).toBe(50); // 49 + the child's row
    expect(result.ids[0]).toBe('d3');
  });

  it('sees the child process write, and refuses a different dimension or metric', async () => {
    const store = await PgVectorStore.create({ dataDir, dimension: 8 });
    expect((await store.get(['from-child']))[0]?.text).toBe('child');
    await store.close();
    expect(await codeOf(PgVectorStore.create({ dataDir, dimension: 9 }))).toBe('dimension_mismatch');
    expect(await codeOf(PgVectorStore.create({ dataDir, dimension: 8, metric: 'cosine' }))).toBe('metric_mismatch');
    expect(await codeOf(PgVectorStore.create({ dataDir, dimension: 8, table: 'bad name; drop' }))).toBe('invalid_argument');
  });
});

describe('PgVectorStore indexes (in-memory PGlite)', () => {
  it('builds HNSW and IVFFlat indexes after loading rows; the planner uses them; results stay close to exact', async () => {
    const d = 32;
    const vs = randomVectors(2000, d, 5);
    const docs = vs.map((_, i) => ({ id: `v${i}`, text: '', metadata: { i } }));
    const store = await PgVectorStore.create({ dimension: d });
    const exact = new MemoryVectorStore({ dimension: d });
    await store.upsert(docs, vs);
    await exact.upsert(docs, vs);
    const queries = randomVectors(20, d, 6);
    for (const [method, opts] of [['hnsw', { m: 16, efConstruction: 64 }], ['ivfflat', { lists: 20 }]] as const) {
      await store.createIndex({ method, ...opts });
      await store.setSearchParameters(method === 'hnsw' ? { efSearch: 100 } : { probes: 10 });
      await store.sql('SET enable_seqscan = off');
      const plan = (await store.sql(`EXPLAIN SELECT id FROM ${store.table} ORDER BY embedding <=> $1::vector LIMIT 10`, [`[${Array.from(queries[0]!).join(',')}]`]))
        .map((r) => String(Object.values(r)[0]))
        .join('\n');
      expect(plan).toContain(`_${method}_idx`);
      let hit = 0;
      for (const q of queries) {
        const truth = new Set((await exact.search(q, { k: 10 })).map((h) => h.document.id));
        hit += (await store.search(q, { k: 10 })).filter((h) => truth.has(h.document.id)).length;
      }
      expect(hit / 200).toBeGreaterThanOrEqual(0.8);
    }
    expect(await codeOf(store.createIndex({ method: 'hnsw', m: 1 }))).toBe('invalid_argument');
    const version = await store.sql(`SELECT extversion FROM pg_extension WHERE extname = 'vector'`);
    console.log(`pgvector ${String(version[0]?.extversion)} in PGlite`);
    await store.close();
  });
});
