/**
 * HNSW (Malkov & Yashunin, 2016/2018) approximate nearest-neighbour store, written from the paper:
 * layered proximity graphs, greedy descent from the top layer, beam search (`ef`) at each layer,
 * the neighbour-selection heuristic (algorithm 4, as hnswlib applies it: keep a candidate only if it
 * is closer to the new node than to every neighbour already kept), M links per node (2M on layer 0),
 * deletion by tombstones (deleted nodes still route searches, never appear in results), persistence.
 */
import type { DistanceMetric, Document, MetadataFilter, ScoredDocument, VectorSearchOptions, VectorStore } from '../types.js';
import { VectorStoreError } from '../types.js';
import {
  checkBatch,
  checkDimension,
  checkIds,
  checkK,
  checkMetric,
  checkVector,
  cloneDocument,
  closedError,
  dot,
  normalized,
  squaredL2,
  similarity,
  toResults,
  TopK,
} from './common.js';
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

function checkPositiveInt(v: unknown, name: string, min = 1): number {
  if (!Number.isInteger(v) || (v as number) < min) throw new VectorStoreError('invalid_argument', `HnswVectorStore: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}.`);
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
  private rngState: number;
  private data: Float32Array;
  private nodeCount = 0;
  private levels: number[] = [];
  /** links[node][level] = neighbour node ids. */
  private links: number[][][] = [];
  private docs: Array<Document | null> = [];
  private nodeOf = new Map<string, number>();
  private entryPoint = -1;
  private maxLevel = -1;
  private visited = new Uint32Array(64);
  private visitMark = 0;
  private closed = false;

  constructor(options: HnswVectorStoreOptions) {
    if (typeof options !== 'object' || options === null) throw new VectorStoreError('invalid_argument', 'new HnswVectorStore({ dimension, ... }) needs an options object.');
    this.dimension = checkDimension(options.dimension, 'HnswVectorStore');
    this.metric = checkMetric(options.metric ?? 'cosine', 'HnswVectorStore');
    this.M = checkPositiveInt(options.M ?? 16, 'M', 2);
    this.efConstruction = checkPositiveInt(options.efConstruction ?? 200, 'efConstruction');
    this.efSearch = checkPositiveInt(options.efSearch ?? 64, 'efSearch');
    this.exactFilterThreshold = checkPositiveInt(options.exactFilterThreshold ?? 2048, 'exactFilterThreshold', 0);
    this.maxM0 = 2 * this.M;
    this.mL = 1 / Math.log(this.M);
    this.rngState = (checkPositiveInt(options.seed ?? 42, 'seed', 0) >>> 0) || 1;
    this.data = new Float32Array(this.dimension * 64);
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

  /** Distance (lower is closer) between query `q` and node `node`. */
  private distanceTo(q: Float32Array, node: number): number {
    return -similarity(this.metric, q, this.data, node * this.dimension, this.dimension);
  }

  private distanceBetween(a: number, b: number): number {
    const d = this.dimension;
    return this.metric === 'l2' ? squaredL2(this.data, a * d, this.data, b * d, d) : -dot(this.data, a * d, this.data, b * d, d);
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

  private greedy(q: Float32Array, entry: number, fromLevel: number, toLevel: number): number {
    let current = entry;
    let currentDist = this.distanceTo(q, current);
    for (let level = fromLevel; level > toLevel; level--) {
      let changed = true;
      while (changed) {
        changed = false;
        for (const nb of this.links[current]![level]!) {
          const dist = this.distanceTo(q, nb);
          if (dist < currentDist) {
            currentDist = dist;
            current = nb;
            changed = true;
          }
        }
      }
    }
    return current;
  }

  /**
   * Beam search on one layer (algorithm 2). Returns a max-heap of the `ef` closest nodes that pass
   * `allowed` (all nodes when it is undefined); every node is still used for routing.
   */
  private searchLayer(q: Float32Array, entries: number[], ef: number, level: number, allowed?: (node: number) => boolean): MaxHeap {
    const visited = this.newVisit();
    const mark = this.visitMark;
    const candidates = new MinHeap();
    const results = new MaxHeap();
    for (const e of entries) {
      visited[e] = mark;
      const dist = this.distanceTo(q, e);
      candidates.push(dist, e);
      if (!allowed || allowed(e)) results.push(dist, e);
    }
    while (results.size > ef) results.pop();
    while (candidates.size > 0) {
      const cDist = candidates.topKey();
      const c = candidates.topVal();
      if (results.size >= ef && cDist > results.topKey()) break;
      candidates.pop();
      for (const nb of this.links[c]![level]!) {
        if (visited[nb] === mark) continue;
        visited[nb] = mark;
        const dist = this.distanceTo(q, nb);
        if (results.size < ef || dist < results.topKey()) {
          candidates.push(dist, nb);
          if (!allowed || allowed(nb)) {
            results.push(dist, nb);
            if (results.size > ef) results.pop();
          }
        }
      }
    }
    return results;
  }

  /** Neighbour-selection heuristic (algorithm 4 without extension or kept pruned links, as in hnswlib). */
  private selectNeighbors(candidates: Array<[number, number]>, m: number): number[] {
    candidates.sort((a, b) => a[0] - b[0]);
    if (candidates.length <= m) return candidates.map((c) => c[1]);
    const kept: number[] = [];
    for (const [dist, node] of candidates) {
      if (kept.length >= m) break;
      let good = true;
      for (const r of kept) {
        if (this.distanceBetween(node, r) < dist) {
          good = false;
          break;
        }
      }
      if (good) kept.push(node);
    }
    return kept;
  }

  private heapToPairs(heap: MaxHeap): Array<[number, number]> {
    return heap.keys.map((k, i) => [k, heap.vals[i]!] as [number, number]);
  }

  private insertNode(vector: Float32Array, doc: Document): void {
    const node = this.nodeCount++;
    const d = this.dimension;
    if ((node + 1) * d > this.data.length) {
      const grown = new Float32Array(Math.max((node + 1) * d, this.data.length * 2));
      grown.set(this.data);
      this.data = grown;
    }
    const q = this.metric === 'cosine' ? normalized(vector) : vector;
    this.data.set(q, node * d);
    const level = Math.floor(-Math.log(this.random()) * this.mL);
    this.levels.push(level);
    this.links.push(Array.from({ length: level + 1 }, () => []));
    this.docs.push(doc);
    this.nodeOf.set(doc.id, node);
    if (this.entryPoint < 0) {
      this.entryPoint = node;
      this.maxLevel = level;
      return;
    }
    const stored = this.data.subarray(node * d, (node + 1) * d);
    let entry = this.greedy(stored, this.entryPoint, this.maxLevel, level);
    let entries = [entry];
    for (let lc = Math.min(level, this.maxLevel); lc >= 0; lc--) {
      const found = this.heapToPairs(this.searchLayer(stored, entries, this.efConstruction, lc));
      const neighbours = this.selectNeighbors(found.slice(), this.M);
      this.links[node]![lc] = neighbours;
      const maxLinks = lc === 0 ? this.maxM0 : this.M;
      for (const nb of neighbours) {
        const list = this.links[nb]![lc]!;
        if (list.length < maxLinks) list.push(node);
        else {
          const pairs: Array<[number, number]> = list.map((x) => [this.distanceBetween(nb, x), x]);
          pairs.push([this.distanceBetween(nb, node), node]);
          this.links[nb]![lc] = this.selectNeighbors(pairs, maxLinks);
        }
      }
      entries = found.map((p) => p[1]);
      entry = entries[0]!;
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

  /** Rebuilds the graph from the live documents only (drops tombstones). */
  compact(): void {
    this.ensureOpen();
    const d = this.dimension;
    const live: Array<[Document, Float32Array]> = [];
    for (let n = 0; n < this.nodeCount; n++) {
      const doc = this.docs[n];
      if (doc) live.push([doc, this.data.slice(n * d, (n + 1) * d)]);
    }
    this.nodeCount = 0;
    this.levels = [];
    this.links = [];
    this.docs = [];
    this.nodeOf.clear();
    this.entryPoint = -1;
    this.maxLevel = -1;
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

  /** Synchronous {@link search}; `ef` overrides {@link efSearch} for this call. */
  searchSync(query: Float32Array, options: VectorSearchOptions & { ef?: number } = {}): ScoredDocument[] {
    this.ensureOpen();
    const k = checkK(options.k);
    checkVector(query, this.dimension, this.metric, 'query');
    const filter: MetadataFilter | undefined = options.filter;
    if (filter !== undefined) validateFilter(filter);
    if (this.nodeOf.size === 0) return [];
    const q = this.metric === 'cosine' ? normalized(query) : query;
    const docOf = (node: number): Document => this.docs[node]!;
    let allowed: (node: number) => boolean = (node) => this.docs[node] !== null;
    if (filter !== undefined) {
      const matching: number[] = [];
      for (let n = 0; n < this.nodeCount; n++) {
        const doc = this.docs[n];
        if (doc && matchesFilter(doc.metadata, filter)) matching.push(n);
      }
      if (matching.length <= this.exactFilterThreshold || matching.length <= k) {
        const top = new TopK(Math.max(1, Math.min(k, matching.length)));
        for (const n of matching) top.push(similarity(this.metric, q, this.data, n * this.dimension, this.dimension), n);
        return matching.length === 0 ? [] : toResults(this.metric, top.sorted(), docOf);
      }
      const ok = new Uint8Array(this.nodeCount);
      for (const n of matching) ok[n] = 1;
      allowed = (node) => ok[node] === 1;
    }
    const ef = Math.max(options.ef ?? this.efSearch, k);
    const entry = this.greedy(q, this.entryPoint, this.maxLevel, 0);
    const found = this.heapToPairs(this.searchLayer(q, [entry], ef, 0, allowed)).sort((a, b) => a[0] - b[0]);
    return toResults(
      this.metric,
      found.slice(0, k).map(([dist, node]) => ({ score: -dist, slot: node })),
      docOf,
    );
  }

  async count(): Promise<number> {
    this.ensureOpen();
    return this.nodeOf.size;
  }

  /** Writes the graph, vectors and documents to folder `dir`, replacing it atomically. */
  async save(dir: string): Promise<void> {
    this.ensureOpen();
    const n = this.nodeCount;
    const offsets = [0];
    const flat: number[] = [];
    for (let node = 0; node < n; node++) {
      for (const list of this.links[node]!) {
        for (const x of list) flat.push(x);
        offsets.push(flat.length);
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
        vectors: { dtype: 'F32', shape: [n, this.dimension], data: this.data.subarray(0, n * this.dimension) },
        levels: { dtype: 'I32', shape: [n], data: Int32Array.from(this.levels) },
        link_offsets: { dtype: 'I32', shape: [offsets.length], data: Int32Array.from(offsets) },
        links: { dtype: 'I32', shape: [flat.length], data: Int32Array.from(flat) },
      },
      documents: this.docs.map((doc, node) => doc ?? { id: `\u0000deleted:${node}`, text: '', metadata: { deleted: true } }),
    });
  }

  /**
   * Opens a folder written by {@link save}.
   * @throws {VectorStoreError} `not_found`, `corrupt_store`.
   */
  static async load(dir: string): Promise<HnswVectorStore> {
    const { manifest: m, tensors, documents } = await readStoreFiles(dir, FORMAT);
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
    const bad = (what: string): VectorStoreError => new VectorStoreError('corrupt_store', `${dir}: ${what}; the store folder is damaged, re-create it.`);
    if (!(vectors instanceof Float32Array) || vectors.length !== n * d) throw bad(`vectors are not ${n} x ${d} F32`);
    if (!(levels instanceof Int32Array) || levels.length !== n || !(offsets instanceof Int32Array) || !(flat instanceof Int32Array)) throw bad('graph tensors are missing');
    if (documents.length !== n) throw bad(`documents.jsonl has ${documents.length} lines for ${n} nodes`);
    store.data = n > 0 ? vectors : new Float32Array(d);
    store.nodeCount = n;
    store.levels = Array.from(levels);
    let o = 0;
    for (let node = 0; node < n; node++) {
      const lists: number[][] = [];
      for (let l = 0; l <= levels[node]!; l++, o++) {
        if (o + 1 >= offsets.length) throw bad('link offsets are truncated');
        const list = Array.from(flat.subarray(offsets[o]!, offsets[o + 1]!));
        if (list.some((x) => x < 0 || x >= n)) throw bad(`node ${node} links outside the graph`);
        lists.push(list);
      }
      store.links.push(lists);
      const doc = documents[node]!;
      if (doc.id.startsWith('\u0000deleted:')) store.docs.push(null);
      else {
        store.docs.push(doc);
        store.nodeOf.set(doc.id, node);
      }
    }
    store.entryPoint = m.entryPoint as number;
    store.maxLevel = m.maxLevel as number;
    store.rngState = (m.rngState as number) >>> 0 || 1;
    return store;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.links = [];
    this.docs = [];
    this.nodeOf.clear();
    this.data = new Float32Array(0);
  }
}
