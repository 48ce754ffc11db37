/**
 * HNSW (Malkov & Yashunin, 2016/2018) approximate nearest-neighbour store, written from the paper:
 * layered proximity graphs, greedy descent from the top layer, beam search (`ef`) at each layer,
 * the neighbour-selection heuristic (algorithm 4, as hnswlib applies it: keep a candidate only if it
 * is closer to the new node than to every neighbour already kept), M links per node (2M on layer 0),
 * deletion by tombstones (deleted nodes still route searches, never appear in results), persistence.
 *
 * Memory layout (no per-node objects): vectors row-major in a {@link VectorArena} (WebAssembly SIMD
 * distance kernels, one call per neighbour list); layer-0 links in one Int32Array, a block of
 * 1 + 2M ints per node (count, ids); links of layers >= 1 in one small Int32Array per node that has
 * them (blocks of 1 + M); a generation-counter visited set; typed-array heaps reused across searches.
 */
import type { DistanceMetric, Document, MetadataFilter, ScoredDocument, VectorSearchOptions, VectorStore } from '../types.js';
import { VectorStoreError } from '../types.js';
import { checkBatch, checkDimension, checkIds, checkK, checkMetric, checkVector, cloneDocument, closedError, normalized, toResults, TopK } from './common.js';
import { VectorArena } from './arena.js';
import { matchesFilter, validateFilter } from './filter.js';
import { MaxHeap, MinHeap } from './heap.js';
import { readStoreFiles, writeStoreFiles } from './persistence.js';

export interface HnswVectorStoreOptions {
  dimension: number;
  /** Default 'cosine'. */
  metric?: DistanceMetric;
  /** Links per node on layers >= 1 (2M on layer 0). Default 16. */
  M?: number;
  /** Beam width while inserting. Default 200. */
  efConstruction?: number;
  /** Beam width while searching (at least k is used). Default 64; raise for recall, lower for speed. */
  efSearch?: number;
  /** Seed of the level generator, for reproducible graphs. Default 42. */
  seed?: number;
  /**
   * A filtered search scans the matching documents exactly when at most this many match
   * (graph search with a selective filter loses recall). Default 2048.
   */
  exactFilterThreshold?: number;
}

const FORMAT = 'llmkit-hnsw-vector-store';
/** Largest M: keeps a layer-0 list (2M) inside one batched distance call and the link blocks small. */
const MAX_M = 2048;

function checkPositiveInt(v: unknown, name: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!Number.isInteger(v) || (v as number) < min || (v as number) > max) {
    throw new VectorStoreError('invalid_argument', `HnswVectorStore: ${name} must be an integer in [${min}, ${max === Number.MAX_SAFE_INTEGER ? 'inf' : max}], got ${JSON.stringify(v)}.`);
  }
  return v as number;
}

/**
 * Approximate nearest-neighbour vector store (HNSW graph in memory).
 *
 * @throws {VectorStoreError} `dimension_mismatch`, `invalid_vector`, `invalid_document`, `duplicate_id` (add), `invalid_filter`, `closed`.
 * @example
 * const store = new HnswVectorStore({ dimension: 384, M: 16, efConstruction: 200, efSearch: 64 });
 * await store.upsert(docs, vectors);
 * const hits = await store.search(queryVector, { k: 10, filter: { lang: 'en' } });
 * await store.save('./index'); const again = await HnswVectorStore.load('./index');
 */
export class HnswVectorStore implements VectorStore {
  readonly dimension: number;
  readonly metric: DistanceMetric;
  readonly M: number;
  readonly efConstruction: number;
  /** Beam width of searches; may be changed at any time. */
  efSearch: number;
  readonly exactFilterThreshold: number;
  private readonly maxM0: number;
  private readonly mL: number;
  /** Ints per node in {@link links0} (count + 2M ids) and per level block in {@link upper} (count + M ids). */
  private readonly stride0: number;
  private readonly strideUp: number;
  private readonly isL2: boolean;
  private rngState: number;
  private arena: VectorArena;
  private nodeCount = 0;
  private capacity = 0;
  private levels = new Int32Array(0);
  private links0 = new Int32Array(0);
  /** upper[node]: level blocks 1..levels[node] (null for nodes on layer 0 only). */
  private upper: Array<Int32Array | null> = [];
  /** 1 while the node's document is live (not deleted or replaced). */
  private alive = new Uint8Array(0);
  private docs: Array<Document | null> = [];
  private nodeOf = new Map<string, number>();
  private entryPoint = -1;
  private maxLevel = -1;
  private visited = new Uint32Array(0);
  private visitMark = 0;
  private readonly candidates = new MinHeap();
  private readonly results = new MaxHeap();
  private foundD = new Float64Array(256);
  private foundN = new Int32Array(256);
  private closed = false;

  constructor(options: HnswVectorStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new VectorStoreError('invalid_argument', 'new HnswVectorStore({ dimension, ... }) needs an options object.');
    this.dimension = checkDimension(options.dimension, 'HnswVectorStore');
    this.metric = checkMetric(options.metric ?? 'cosine', 'HnswVectorStore');
    this.M = checkPositiveInt(options.M ?? 16, 'M', 2, MAX_M);
    this.efConstruction = checkPositiveInt(options.efConstruction ?? 200, 'efConstruction');
    this.efSearch = checkPositiveInt(options.efSearch ?? 64, 'efSearch');
    this.exactFilterThreshold = checkPositiveInt(options.exactFilterThreshold ?? 2048, 'exactFilterThreshold', 0);
    this.maxM0 = 2 * this.M;
    this.mL = 1 / Math.log(this.M);
    this.stride0 = 1 + this.maxM0;
    this.strideUp = 1 + this.M;
    this.isL2 = this.metric === 'l2';
    this.rngState = (checkPositiveInt(options.seed ?? 42, 'seed', 0) >>> 0) || 1;
    this.arena = this.newArena();
  }

  private newArena(): VectorArena {
    return new VectorArena(this.dimension, this.isL2, 64, Math.max(4096, this.maxM0 + 2));
  }

  private ensureOpen(): void {
    if (this.closed) throw closedError('HnswVectorStore');
  }

  /** xorshift32, uniform in (0, 1). */
  private random(): number {
    let x = this.rngState;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.rngState = x >>> 0;
    return (this.rngState + 1) / 4294967297;
  }

  /** Grows the per-node arrays to hold `n` nodes. */
  private reserveNodes(n: number): void {
    this.arena.reserve(n);
    if (n <= this.capacity) return;
    const cap = Math.max(n, Math.ceil(this.capacity * 1.5), 64);
    const levels = new Int32Array(cap);
    levels.set(this.levels.subarray(0, this.nodeCount));
    const links0 = new Int32Array(cap * this.stride0);
    links0.set(this.links0.subarray(0, this.nodeCount * this.stride0));
    const alive = new Uint8Array(cap);
    alive.set(this.alive.subarray(0, this.nodeCount));
    this.levels = levels;
    this.links0 = links0;
    this.alive = alive;
    this.capacity = cap;
  }

  /** Distances (lower is closer) from the vector at arena offset `qAt` to the `count` ids at arena.idsAt; left at arena.outAt. */
  private batchDistances(qAt: number, count: number): void {
    const a = this.arena;
    a.idsRaw(qAt, count);
    if (!this.isL2) {
      const f = a.f32;
      const end = a.outAt + count;
      for (let i = a.outAt; i < end; i++) f[i] = -f[i]!;
    }
  }

  private newVisit(): Uint32Array {
    if (this.visited.length < this.nodeCount) this.visited = new Uint32Array(Math.max(this.nodeCount, this.visited.length * 2));
    this.visitMark++;
    if (this.visitMark === 0xffffffff) {
      this.visited.fill(0);
      this.visitMark = 1;
    }
    return this.visited;
  }

  /** Array holding the links of `node` on `level`, and the offset of its block (count first). */
  private listArray(node: number, level: number): Int32Array {
    return level === 0 ? this.links0 : this.upper[node]!;
  }
  private listOffset(node: number, level: number): number {
    return level === 0 ? node * this.stride0 : (level - 1) * this.strideUp;
  }

  /** Greedy descent (ef = 1) from `entry` through layers fromLevel..toLevel+1. */
  private greedy(qAt: number, entry: number, fromLevel: number, toLevel: number): number {
    const a = this.arena;
    let current = entry;
    a.i32[a.idsAt] = entry;
    this.batchDistances(qAt, 1);
    let currentDist = a.f32[a.outAt]!;
    for (let level = fromLevel; level > toLevel; level--) {
      let changed = true;
      while (changed) {
        changed = false;
        const arr = this.listArray(current, level);
        const off = this.listOffset(current, level);
        const cnt = arr[off]!;
        if (cnt === 0) break;
        const i32 = a.i32;
        for (let j = 0; j < cnt; j++) i32[a.idsAt + j] = arr[off + 1 + j]!;
        this.batchDistances(qAt, cnt);
        const f32 = a.f32;
        for (let j = 0; j < cnt; j++) {
          const dist = f32[a.outAt + j]!;
          if (dist < currentDist) {
            currentDist = dist;
            current = i32[a.idsAt + j]!;
            changed = true;
          }
        }
      }
    }
    return current;
  }

  /**
   * Beam search on one layer (algorithm 2) from `count` entries (foundN/foundD when `entryDists`,
   * else ids computed here). Leaves the `ef` closest nodes that pass `allowed` (all nodes when null)
   * in {@link results}; every node is still used for routing.
   */
  private searchLayer(qAt: number, entries: Int32Array, entryDists: Float64Array | null, count: number, ef: number, level: number, allowed: Uint8Array | null): MaxHeap {
    const a = this.arena;
    const visited = this.newVisit();
    const mark = this.visitMark;
    const candidates = this.candidates;
    const results = this.results;
    candidates.clear();
    results.clear();
    if (entryDists === null) {
      for (let i = 0; i < count; i++) a.i32[a.idsAt + i] = entries[i]!;
      this.batchDistances(qAt, count);
    }
    for (let i = 0; i < count; i++) {
      const e = entries[i]!;
      if (visited[e] === mark) continue;
      visited[e] = mark;
      const dist = entryDists === null ? a.f32[a.outAt + i]! : entryDists[i]!;
      candidates.push(dist, e);
      if (allowed === null || allowed[e] === 1) results.push(dist, e);
    }
    while (results.size > ef) results.pop();
    const idsAt = a.idsAt;
    const outAt = a.outAt;
    const isLayer0 = level === 0;
    const links0 = this.links0;
    const stride0 = this.stride0;
    while (candidates.size > 0) {
      const cDist = candidates.topKey();
      if (results.size >= ef && cDist > results.topKey()) break;
      const c = candidates.topVal();
      candidates.pop();
      const arr = isLayer0 ? links0 : this.upper[c]!;
      const off = isLayer0 ? c * stride0 : (level - 1) * this.strideUp;
      const cnt = arr[off]!;
      const i32 = a.i32;
      let m = 0;
      for (let j = 1; j <= cnt; j++) {
        const nb = arr[off + j]!;
        if (visited[nb] === mark) continue;
        visited[nb] = mark;
        i32[idsAt + m++] = nb;
      }
      if (m === 0) continue;
      this.batchDistances(qAt, m);
      const f32 = a.f32;
      for (let j = 0; j < m; j++) {
        const dist = f32[outAt + j]!;
        if (results.size < ef || dist < results.topKey()) {
          const nb = i32[idsAt + j]!;
          candidates.push(dist, nb);
          if (allowed === null || allowed[nb] === 1) {
            results.push(dist, nb);
            if (results.size > ef) results.pop();
          }
        }
      }
    }
    return results;
  }

  /** Empties {@link results} into foundD/foundN, closest first; returns the count. */
  private drainResults(): number {
    const r = this.results;
    const n = r.size;
    if (this.foundD.length < n) {
      this.foundD = new Float64Array(n * 2);
      this.foundN = new Int32Array(n * 2);
    }
    for (let i = n - 1; i >= 0; i--) {
      this.foundD[i] = r.topKey();
      this.foundN[i] = r.topVal();
      r.pop();
    }
    return n;
  }

  /**
   * Neighbour-selection heuristic (algorithm 4 without extension or kept pruned links, as hnswlib):
   * candidates (dists, nodes) sorted closest first; a candidate is kept when it is closer to the base
   * than to every neighbour kept so far. Writes at most m ids into arr[off + 1..] and the count at arr[off].
   */
  private selectNeighbors(dists: Float64Array, nodes: Int32Array, count: number, m: number, arr: Int32Array, off: number): void {
    if (count <= m) {
      for (let i = 0; i < count; i++) arr[off + 1 + i] = nodes[i]!;
      arr[off] = count;
      return;
    }
    const a = this.arena;
    let kept = 0;
    for (let i = 0; i < count && kept < m; i++) {
      const node = nodes[i]!;
      let good = true;
      if (kept > 0) {
        for (let j = 0; j < kept; j++) a.i32[a.idsAt + j] = arr[off + 1 + j]!;
        this.batchDistances(a.rowOffset(node), kept);
        const f32 = a.f32;
        const dist = dists[i]!;
        for (let j = 0; j < kept; j++) {
          if (f32[a.outAt + j]! < dist) {
            good = false;
            break;
          }
        }
      }
      if (good) arr[off + 1 + kept++] = node;
    }
    arr[off] = kept;
  }

  private shrinkD = new Float64Array(0);
  private shrinkN = new Int32Array(0);

  /** Adds `node` to the list of `nb` on `level`, re-selecting with the heuristic when the list is full. */
  private connect(nb: number, node: number, level: number): void {
    const arr = this.listArray(nb, level);
    const off = this.listOffset(nb, level);
    const maxLinks = level === 0 ? this.maxM0 : this.M;
    const cnt = arr[off]!;
    if (cnt < maxLinks) {
      arr[off + 1 + cnt] = node;
      arr[off] = cnt + 1;
      return;
    }
    const a = this.arena;
    const n = cnt + 1;
    for (let j = 0; j < cnt; j++) a.i32[a.idsAt + j] = arr[off + 1 + j]!;
    a.i32[a.idsAt + cnt] = node;
    this.batchDistances(a.rowOffset(nb), n);
    if (this.shrinkD.length < n) {
      this.shrinkD = new Float64Array(n);
      this.shrinkN = new Int32Array(n);
    }
    // Insertion sort of <= 2M + 1 pairs by distance.
    const d = this.shrinkD;
    const ids = this.shrinkN;
    for (let i = 0; i < n; i++) {
      const dist = a.f32[a.outAt + i]!;
      const id = a.i32[a.idsAt + i]!;
      let j = i - 1;
      while (j >= 0 && d[j]! > dist) {
        d[j + 1] = d[j]!;
        ids[j + 1] = ids[j]!;
        j--;
      }
      d[j + 1] = dist;
      ids[j + 1] = id;
    }
    this.selectNeighbors(d, ids, n, maxLinks, arr, off);
  }

  private insertNode(vector: Float32Array, doc: Document): void {
    const node = this.nodeCount;
    this.reserveNodes(node + 1);
    this.nodeCount++;
    const a = this.arena;
    a.f32.set(this.metric === 'cosine' ? normalized(vector) : vector, a.rowOffset(node));
    const level = Math.floor(-Math.log(this.random()) * this.mL);
    this.levels[node] = level;
    this.links0[node * this.stride0] = 0;
    this.upper[node] = level > 0 ? new Int32Array(level * this.strideUp) : null;
    this.docs[node] = doc;
    this.alive[node] = 1;
    this.nodeOf.set(doc.id, node);
    if (this.entryPoint < 0) {
      this.entryPoint = node;
      this.maxLevel = level;
      return;
    }
    const qAt = a.rowOffset(node);
    const entry = this.greedy(qAt, this.entryPoint, this.maxLevel, level);
    this.foundN[0] = entry;
    let count = 1;
    let known = false;
    for (let lc = Math.min(level, this.maxLevel); lc >= 0; lc--) {
      this.searchLayer(qAt, this.foundN, known ? this.foundD : null, count, this.efConstruction, lc, null);
      count = this.drainResults();
      known = true;
      const arr = this.listArray(node, lc);
      const off = this.listOffset(node, lc);
      this.selectNeighbors(this.foundD, this.foundN, count, this.M, arr, off);
      const chosen = arr[off]!;
      for (let j = 0; j < chosen; j++) this.connect(arr[off + 1 + j]!, node, lc);
    }
    if (level > this.maxLevel) {
      this.maxLevel = level;
      this.entryPoint = node;
    }
  }

  private tombstone(node: number): void {
    const doc = this.docs[node];
    if (doc) this.nodeOf.delete(doc.id);
    this.docs[node] = null;
    this.alive[node] = 0;
  }

  async upsert(documents: Document[], vectors: Float32Array[]): Promise<void> {
    this.ensureOpen();
    checkBatch(documents, vectors, this.dimension, this.metric);
    for (let i = 0; i < documents.length; i++) {
      const doc = cloneDocument(documents[i]!);
      const old = this.nodeOf.get(doc.id);
      if (old !== undefined) this.tombstone(old);
      this.insertNode(vectors[i]!, doc);
    }
  }

  async add(documents: Document[], vectors: Float32Array[]): Promise<void> {
    this.ensureOpen();
    checkBatch(documents, vectors, this.dimension, this.metric);
    for (const d of documents) {
      if (this.nodeOf.has(d.id)) throw new VectorStoreError('duplicate_id', `add: id ${JSON.stringify(d.id)} is already in the store; use upsert to replace it.`);
    }
    await this.upsert(documents, vectors);
  }

  /** Marks documents deleted (tombstones); {@link compact} rebuilds the graph without them. */
  async delete(ids: string[]): Promise<void> {
    this.ensureOpen();
    for (const id of checkIds(ids, 'delete')) {
      const node = this.nodeOf.get(id);
      if (node !== undefined) this.tombstone(node);
    }
  }

  /** Number of deleted or replaced nodes still in the graph. */
  get tombstones(): number {
    return this.nodeCount - this.nodeOf.size;
  }

  private resetGraph(): void {
    this.arena.release();
    this.arena = this.newArena();
    this.nodeCount = 0;
    this.capacity = 0;
    this.levels = new Int32Array(0);
    this.links0 = new Int32Array(0);
    this.alive = new Uint8Array(0);
    this.upper = [];
    this.docs = [];
    this.nodeOf.clear();
    this.entryPoint = -1;
    this.maxLevel = -1;
  }

  /** Rebuilds the graph from the live documents only (drops tombstones). */
  compact(): void {
    this.ensureOpen();
    const live: Array<[Document, Float32Array]> = [];
    for (let n = 0; n < this.nodeCount; n++) {
      const doc = this.docs[n];
      if (doc) live.push([doc, this.arena.rowCopy(n)]);
    }
    this.resetGraph();
    for (const [doc, v] of live) this.insertNode(v, doc);
  }

  async get(ids: string[]): Promise<Array<Document | undefined>> {
    this.ensureOpen();
    return checkIds(ids, 'get').map((id) => {
      const node = this.nodeOf.get(id);
      return node === undefined ? undefined : cloneDocument(this.docs[node]!);
    });
  }

  async search(query: Float32Array, options: VectorSearchOptions = {}): Promise<ScoredDocument[]> {
    this.ensureOpen();
    return this.searchSync(query, options);
  }

  /** Similarity (higher is better, -squared L2 for l2) in double precision from the scratch query to `node`. */
  private exactSimilarity(node: number): number {
    const s = this.arena.exact(this.arena.queryAt, this.arena.rowOffset(node));
    return this.isL2 ? -s : s;
  }

  /** Synchronous {@link search}; `ef` overrides {@link efSearch} for this call. */
  searchSync(query: Float32Array, options: VectorSearchOptions & { ef?: number } = {}): ScoredDocument[] {
    this.ensureOpen();
    const k = checkK(options.k);
    checkVector(query, this.dimension, this.metric, 'query');
    const filter: MetadataFilter | undefined = options.filter;
    if (filter !== undefined) validateFilter(filter);
    if (this.nodeOf.size === 0) return [];
    this.arena.setQuery(this.metric === 'cosine' ? normalized(query) : query);
    const docOf = (node: number): Document => this.docs[node]!;
    let allowed = this.alive;
    if (filter !== undefined) {
      const matching: number[] = [];
      for (let n = 0; n < this.nodeCount; n++) {
        const doc = this.docs[n];
        if (doc && matchesFilter(doc.metadata, filter)) matching.push(n);
      }
      if (matching.length <= this.exactFilterThreshold || matching.length <= k) {
        if (matching.length === 0) return [];
        const top = new TopK(Math.max(1, Math.min(k, matching.length)));
        for (const n of matching) top.push(this.exactSimilarity(n), n);
        return toResults(this.metric, top.sorted(), docOf);
      }
      allowed = new Uint8Array(this.nodeCount);
      for (const n of matching) allowed[n] = 1;
    }
    const ef = Math.max(options.ef ?? this.efSearch, k);
    const qAt = this.arena.queryAt;
    const entry = this.greedy(qAt, this.entryPoint, this.maxLevel, 0);
    this.foundN[0] = entry;
    this.searchLayer(qAt, this.foundN, null, 1, ef, 0, allowed);
    const count = this.drainResults();
    // Rank by the f32 kernel, then report double-precision scores of the top k (best first).
    const top: Array<{ score: number; slot: number }> = [];
    for (let i = 0; i < Math.min(k, count); i++) top.push({ score: this.exactSimilarity(this.foundN[i]!), slot: this.foundN[i]! });
    top.sort((x, y) => y.score - x.score);
    return toResults(this.metric, top, docOf);
  }

  async count(): Promise<number> {
    this.ensureOpen();
    return this.nodeOf.size;
  }

  /** Writes the graph, vectors and documents to folder `dir`, replacing it atomically. */
  async save(dir: string): Promise<void> {
    this.ensureOpen();
    const n = this.nodeCount;
    let total = 0;
    let lists = 0;
    for (let node = 0; node < n; node++) {
      for (let l = 0; l <= this.levels[node]!; l++) total += this.listArray(node, l)[this.listOffset(node, l)]!;
      lists += this.levels[node]! + 1;
    }
    const offsets = new Int32Array(lists + 1);
    const flat = new Int32Array(total);
    let o = 0;
    let at = 0;
    for (let node = 0; node < n; node++) {
      for (let l = 0; l <= this.levels[node]!; l++) {
        const arr = this.listArray(node, l);
        const off = this.listOffset(node, l);
        const cnt = arr[off]!;
        flat.set(arr.subarray(off + 1, off + 1 + cnt), at);
        at += cnt;
        offsets[++o] = at;
      }
    }
    await writeStoreFiles(dir, {
      manifest: {
        format: FORMAT,
        version: 1,
        dimension: this.dimension,
        metric: this.metric,
        M: this.M,
        efConstruction: this.efConstruction,
        efSearch: this.efSearch,
        exactFilterThreshold: this.exactFilterThreshold,
        entryPoint: this.entryPoint,
        maxLevel: this.maxLevel,
        rngState: this.rngState,
        nodes: n,
        count: this.nodeOf.size,
      },
      tensors: {
        vectors: { dtype: 'F32', shape: [n, this.dimension], data: this.arena.rows(n).slice() },
        levels: { dtype: 'I32', shape: [n], data: this.levels.slice(0, n) },
        link_offsets: { dtype: 'I32', shape: [offsets.length], data: offsets },
        links: { dtype: 'I32', shape: [flat.length], data: flat },
      },
      documents: this.docs.slice(0, n).map((doc, node) => doc ?? { id: `\u0000deleted:${node}`, text: '', metadata: { deleted: true } }),
    });
  }

  /**
   * Opens a folder written by {@link save}.
   * @throws {VectorStoreError} `not_found`, `corrupt_store`.
   */
  static async load(dir: string): Promise<HnswVectorStore> {
    const { manifest: m, tensors, documents } = await readStoreFiles(dir, FORMAT);
    const bad = (what: string): VectorStoreError => new VectorStoreError('corrupt_store', `${dir}: ${what}; the store folder is damaged, re-create it.`);
    if (m.version !== 1) throw bad(`store.json has format version ${JSON.stringify(m.version)}, this @llmkit/rag reads version 1`);
    const store = new HnswVectorStore({
      dimension: m.dimension as number,
      metric: m.metric as DistanceMetric,
      M: m.M as number,
      efConstruction: m.efConstruction as number,
      efSearch: m.efSearch as number,
      exactFilterThreshold: m.exactFilterThreshold as number,
    });
    const n = m.nodes as number;
    const d = store.dimension;
    const vectors = tensors.vectors?.data;
    const levels = tensors.levels?.data;
    const offsets = tensors.link_offsets?.data;
    const flat = tensors.links?.data;
    if (!Number.isInteger(n) || n < 0) throw bad(`store.json nodes is ${JSON.stringify(m.nodes)}`);
    if (!(vectors instanceof Float32Array) || vectors.length !== n * d) throw bad(`vectors are not ${n} x ${d} F32`);
    if (!(levels instanceof Int32Array) || levels.length !== n || !(offsets instanceof Int32Array) || !(flat instanceof Int32Array)) throw bad('graph tensors are missing');
    if (documents.length !== n) throw bad(`documents.jsonl has ${documents.length} lines for ${n} nodes`);
    store.reserveNodes(n);
    store.arena.f32.set(vectors, store.arena.rowOffset(0));
    store.nodeCount = n;
    store.levels.set(levels);
    let o = 0;
    for (let node = 0; node < n; node++) {
      const level = levels[node]!;
      if (level < 0 || level > 64) throw bad(`node ${node} has level ${level}`);
      store.upper[node] = level > 0 ? new Int32Array(level * store.strideUp) : null;
      for (let l = 0; l <= level; l++, o++) {
        if (o + 1 >= offsets.length) throw bad('link offsets are truncated');
        const from = offsets[o]!;
        const to = offsets[o + 1]!;
        const max = l === 0 ? store.maxM0 : store.M;
        if (from < 0 || to < from || to > flat.length || to - from > max) throw bad(`node ${node} has a bad link list on level ${l}`);
        const arr = store.listArray(node, l);
        const off = store.listOffset(node, l);
        for (let j = from; j < to; j++) {
          const x = flat[j]!;
          if (x < 0 || x >= n) throw bad(`node ${node} links outside the graph`);
          arr[off + 1 + j - from] = x;
        }
        arr[off] = to - from;
      }
      const doc = documents[node]!;
      if (doc.id.startsWith('\u0000deleted:')) store.docs[node] = null;
      else {
        store.docs[node] = doc;
        store.alive[node] = 1;
        store.nodeOf.set(doc.id, node);
      }
    }
    store.entryPoint = m.entryPoint as number;
    store.maxLevel = m.maxLevel as number;
    if (n > 0 && (!Number.isInteger(store.entryPoint) || store.entryPoint < 0 || store.entryPoint >= n || levels[store.entryPoint] !== store.maxLevel)) throw bad('the entry point is not a node of the top level');
    store.rngState = (m.rngState as number) >>> 0 || 1;
    return store;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.upper = [];
    this.docs = [];
    this.nodeOf.clear();
    this.arena.release();
  }
}
