/**
 * Vector stores at N x 384 random vectors (default N = 100k; `--n 20000` to scale down), cosine, top-10:
 * index build time, query latency and recall@10 against exact search, for MemoryVectorStore (exact),
 * HnswVectorStore (M 16, efConstruction 200) and PgVectorStore on PGlite + pgvector (rows loaded first,
 * then CREATE INDEX USING hnsw m 16 ef_construction 64 — pgvector's defaults), side by side with
 * usearch (C++ HNSW with SIMD, single thread, same M / efConstruction / ef) in the same process.
 * Peers: exact search vs usearch.exactSearch; HNSW vs usearch HNSW; PGlite vs usearch HNSW.
 *
 *   npm run bench -- --filter rag/bench/vector-stores [--n 20000] [--queries 200] [--ef 64,256,512] [--skip-pg] [--skip-hnsw] [--exact-only]
 */
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import usearch from 'usearch';
import { HnswVectorStore, MemoryVectorStore, PgVectorStore, type Document } from '../src/index.js';
import { packageVersion } from '../../../tools/bench/package-version.js';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}
const N = arg('n', 100_000);
const Q = arg('queries', 200);
const D = 384;
const skipPg = process.argv.includes('--skip-pg');

function line(bench: string, ours: number, peer: string, peerValue: number | null, unit: string): void {
  console.log(
    JSON.stringify({ bench, ours: +ours.toPrecision(4), peer, peerValue: peerValue === null ? null : +peerValue.toPrecision(4), ratio: peerValue === null ? null : +(ours / peerValue).toFixed(4), unit }),
  );
}
const log = (msg: string): void => void process.stderr.write(`# ${msg}\n`);

// mulberry32 uniform in [-1, 1)
let seed = 12345;
const rand = (): number => {
  seed = (seed + 0x6d2b79f5) >>> 0;
  let t = seed;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
};
const flat = Float32Array.from({ length: N * D }, rand);
const vectors = Array.from({ length: N }, (_, i) => flat.subarray(i * D, (i + 1) * D));
const queries = Array.from({ length: Q }, () => Float32Array.from({ length: D }, rand));
const docs: Document[] = vectors.map((_, i) => ({ id: String(i), text: '', metadata: {} }));
const ms = (t0: number): number => performance.now() - t0;
const recall = (got: string[][], truth: Set<string>[]): number => got.reduce((s, g, i) => s + g.filter((id) => truth[i]!.has(id)).length, 0) / (10 * truth.length);

log(`N ${N} x ${D}, ${Q} queries, usearch ${packageVersion('usearch')}`);

// Exact: ours vs usearch exact (brute force, SIMD).
let t0 = performance.now();
const memory = new MemoryVectorStore({ dimension: D });
for (let i = 0; i < N; i += 10_000) await memory.upsert(docs.slice(i, i + 10_000), vectors.slice(i, i + 10_000));
const memoryBuild = ms(t0);
for (const q of queries.slice(0, 5)) memory.searchSync(q, { k: 10 }); // warm-up (JIT), untimed
t0 = performance.now();
const truth = queries.map((q) => new Set(memory.searchSync(q, { k: 10 }).map((h) => h.document.id)));
const memoryQuery = ms(t0) / Q;
// usearch.exactSearch: brute force over the flat dataset (SIMD, 1 thread), same metric, one query per call.
// (Index.search takes no "exact" flag in the JS binding: it would be an HNSW search.)
const usearchExactSearch = (q: Float32Array): unknown => usearch.exactSearch(flat, q, D, 10, usearch.MetricKind.Cos, 1);
for (const q of queries.slice(0, 5)) usearchExactSearch(q);
t0 = performance.now();
const usearchTruth = queries.map((q) => Array.from((usearchExactSearch(q) as { keys: BigUint64Array }).keys, (k) => String(k)));
const usearchExact = ms(t0) / Q;
line(`exact top-10 query, ${N}x${D}`, memoryQuery, `usearch ${packageVersion('usearch')} exactSearch (SIMD, 1 thread)`, usearchExact, 'ms/query');
line(`exact top-10 agreement with usearch exactSearch, ${N}x${D}`, recall(usearchTruth, truth), 'identical', 1, 'recall');
if (process.argv.includes('--exact-only')) process.exit(0);

const keys = BigUint64Array.from({ length: N }, (_, i) => BigInt(i));
const exactIndex = new usearch.Index({ metric: 'cos', connectivity: 16, dimensions: D, expansion_add: 200, expansion_search: 64 } as never);
t0 = performance.now();
exactIndex.add(keys, flat, 1);
const usearchBuild = ms(t0);
const usearchFile = path.join(mkdtempSync(path.join(os.tmpdir(), 'llmkit-usearch-')), 'index.usearch');
exactIndex.save(usearchFile);

// HNSW: ours vs usearch at the same M / efConstruction, recall at several ef.
if (!process.argv.includes('--skip-hnsw')) {
  t0 = performance.now();
  const hnsw = new HnswVectorStore({ dimension: D, M: 16, efConstruction: 200 });
  const step = Math.max(1, Math.floor(N / 10));
  for (let i = 0; i < N; i += step) {
    await hnsw.upsert(docs.slice(i, i + step), vectors.slice(i, i + step));
    log(`hnsw inserted ${Math.min(N, i + step)} / ${N} (${(ms(t0) / 1000).toFixed(0)} s)`);
  }
  const hnswBuild = ms(t0);
  line(`HNSW build (M 16, efConstruction 200), ${N}x${D}`, hnswBuild / 1000, `usearch ${packageVersion('usearch')} HNSW build (1 thread)`, usearchBuild / 1000, 's');
  const efs = (process.argv.includes('--ef') ? process.argv[process.argv.indexOf('--ef') + 1]!.split(',').map(Number) : [64, 128, 256, 512, 1024]);
  for (const ef of efs) {
    // usearch's JS binding cannot change expansion_search after construction, and the saved file does not
    // hold it: the timed graph is saved once and loaded into an index constructed with this ef.
    const idx = new usearch.Index({ metric: 'cos', connectivity: 16, dimensions: D, expansion_add: 200, expansion_search: ef } as never);
    idx.load(usearchFile);
    t0 = performance.now();
    const ours = queries.map((q) => hnsw.searchSync(q, { k: 10, ef }).map((h) => h.document.id));
    const oursMs = ms(t0) / Q;
    t0 = performance.now();
    const theirs = queries.map((q) => Array.from(idx.search(q, 10, 1).keys, (k) => String(k)));
    const theirsMs = ms(t0) / Q;
    line(`HNSW top-10 query, ef ${ef}, ${N}x${D}`, oursMs, `usearch ${packageVersion('usearch')} HNSW`, theirsMs, 'ms/query');
    line(`HNSW recall@10, ef ${ef}, ${N}x${D}`, recall(ours, truth), `usearch ${packageVersion('usearch')} HNSW`, recall(theirs, truth), 'recall');
  }
}
line(`MemoryVectorStore load, ${N}x${D}`, memoryBuild / 1000, 'usearch HNSW build', usearchBuild / 1000, 's');

if (!skipPg) {
  const store = await PgVectorStore.create({ dimension: D });
  t0 = performance.now();
  for (let i = 0; i < N; i += 2000) await store.upsert(docs.slice(i, i + 2000), vectors.slice(i, i + 2000));
  const load = ms(t0);
  log(`pglite loaded ${N} rows in ${(load / 1000).toFixed(1)} s`);
  t0 = performance.now();
  await store.createIndex({ method: 'hnsw', m: 16, efConstruction: 64 });
  const index = ms(t0);
  line(`PGlite+pgvector load rows then CREATE INDEX hnsw (m 16, ef_construction 64), ${N}x${D}`, (load + index) / 1000, `usearch ${packageVersion('usearch')} HNSW build (efConstruction 200)`, usearchBuild / 1000, 's');
  for (const ef of [40, 100, 200]) {
    await store.setSearchParameters({ efSearch: ef });
    t0 = performance.now();
    const got: string[][] = [];
    for (const q of queries) got.push((await store.search(q, { k: 10 })).map((h) => h.document.id));
    line(`PGlite+pgvector top-10 query, hnsw.ef_search ${ef}, ${N}x${D}`, ms(t0) / Q, 'MemoryVectorStore exact', memoryQuery, 'ms/query');
    line(`PGlite+pgvector recall@10, hnsw.ef_search ${ef}, ${N}x${D}`, recall(got, truth), 'MemoryVectorStore exact', 1, 'recall');
  }
  await store.close();
}
