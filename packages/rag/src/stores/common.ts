/** Validation, distance kernels and the top-k heap shared by the vector stores. */
import type { DistanceMetric, Document, Metadata, ScoredDocument } from '../types.js';
import { VectorStoreError } from '../types.js';

export const METRICS: readonly DistanceMetric[] = ['cosine', 'ip', 'l2'];

export function checkMetric(metric: unknown, where: string): DistanceMetric {
  if (!METRICS.includes(metric as DistanceMetric)) {
    throw new VectorStoreError('invalid_argument', `${where}: metric must be one of ${METRICS.join(', ')}, got ${JSON.stringify(metric)}.`);
  }
  return metric as DistanceMetric;
}

export function checkDimension(dimension: unknown, where: string): number {
  if (!Number.isInteger(dimension) || (dimension as number) < 1 || (dimension as number) > 65_535) {
    throw new VectorStoreError('invalid_argument', `${where}: dimension must be an integer in [1, 65535], got ${JSON.stringify(dimension)}.`);
  }
  return dimension as number;
}

export function checkK(k: unknown): number {
  if (k === undefined) return 4;
  if (!Number.isInteger(k) || (k as number) < 1) {
    throw new VectorStoreError('invalid_argument', `search option k must be a positive integer, got ${JSON.stringify(k)}.`);
  }
  return k as number;
}

/**
 * Checks one vector: Float32Array of the store's dimension, finite. A zero query has no cosine
 * similarity and is rejected; a zero document vector is stored and scores 0 against every query
 * (an embedder such as LSA gives it to a text with no known term).
 */
export function checkVector(v: unknown, dimension: number, metric: DistanceMetric, what: string, allowZero = false): Float32Array {
  if (!(v instanceof Float32Array)) {
    throw new VectorStoreError('invalid_vector', `${what} must be a Float32Array, got ${Object.prototype.toString.call(v)}; wrap it with new Float32Array(...).`);
  }
  if (v.length !== dimension) {
    throw new VectorStoreError(
      'dimension_mismatch',
      `${what} has dimension ${v.length} but the store holds ${dimension}-d vectors; embed with the same model the store was created with, or create a new store with dimension ${v.length}.`,
    );
  }
  let norm = 0;
  for (let i = 0; i < v.length; i++) {
    const x = v[i]!;
    if (!Number.isFinite(x)) throw new VectorStoreError('invalid_vector', `${what}[${i}] is ${x}; vectors must be finite.`);
    norm += x * x;
  }
  if (metric === 'cosine' && norm === 0 && !allowZero) {
    throw new VectorStoreError('invalid_vector', `${what} is all zeros, which has no cosine similarity; use metric 'l2' or 'ip', or a query with known terms.`);
  }
  return v;
}

function checkMetadata(m: unknown, what: string): Metadata {
  if (typeof m !== 'object' || m === null || Array.isArray(m)) {
    throw new VectorStoreError('invalid_document', `${what}.metadata must be a plain object (use {} for none), got ${JSON.stringify(m)}.`);
  }
  try {
    const round = JSON.stringify(m);
    if (round === undefined) throw new Error('not serialisable');
  } catch (cause) {
    throw new VectorStoreError('invalid_document', `${what}.metadata is not JSON-serialisable; keep strings, numbers, booleans, null, arrays and objects only.`, { cause });
  }
  return m as Metadata;
}

/**
 * Validates a whole upsert batch before anything is written: equal lengths, ids non-empty and unique
 * within the batch, texts strings, metadata JSON, vectors of the right dimension.
 */
export function checkBatch(documents: unknown, vectors: unknown, dimension: number, metric: DistanceMetric): { documents: Document[]; vectors: Float32Array[] } {
  if (!Array.isArray(documents) || !Array.isArray(vectors)) {
    throw new VectorStoreError('invalid_argument', 'upsert/add take (documents: Document[], vectors: Float32Array[]).');
  }
  if (documents.length !== vectors.length) {
    throw new VectorStoreError('invalid_argument', `upsert got ${documents.length} documents but ${vectors.length} vectors; pass one vector per document.`);
  }
  const seen = new Set<string>();
  documents.forEach((d: unknown, i) => {
    const doc = d as Document;
    if (typeof doc !== 'object' || doc === null || typeof doc.id !== 'string' || doc.id.length === 0) {
      throw new VectorStoreError('invalid_document', `documents[${i}].id must be a non-empty string.`);
    }
    if (seen.has(doc.id)) throw new VectorStoreError('duplicate_id', `documents[${i}].id ${JSON.stringify(doc.id)} appears twice in one batch; ids must be unique.`);
    seen.add(doc.id);
    if (typeof doc.text !== 'string') throw new VectorStoreError('invalid_document', `documents[${i}].text must be a string.`);
    checkMetadata(doc.metadata, `documents[${i}]`);
    checkVector(vectors[i], dimension, metric, `vectors[${i}]`, true);
  });
  return { documents: documents as Document[], vectors: vectors as Float32Array[] };
}

export function checkIds(ids: unknown, what: string): string[] {
  if (!Array.isArray(ids) || !ids.every((x) => typeof x === 'string')) {
    throw new VectorStoreError('invalid_argument', `${what} takes an array of string ids.`);
  }
  return ids as string[];
}

export function closedError(name: string): VectorStoreError {
  return new VectorStoreError('closed', `${name} is closed; create or open a new store instead of reusing a closed one.`);
}

/** Copy of a document (callers may mutate what they get back). */
export function cloneDocument(d: Document): Document {
  return { id: d.id, text: d.text, metadata: structuredClone(d.metadata) };
}

/** Dot product, unrolled by 4. */
export function dot(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n4 = n - (n % 4);
  for (; i < n4; i += 4) {
    s0 += a[aOff + i]! * b[bOff + i]!;
    s1 += a[aOff + i + 1]! * b[bOff + i + 1]!;
    s2 += a[aOff + i + 2]! * b[bOff + i + 2]!;
    s3 += a[aOff + i + 3]! * b[bOff + i + 3]!;
  }
  for (; i < n; i++) s0 += a[aOff + i]! * b[bOff + i]!;
  return s0 + s1 + s2 + s3;
}

/** Squared Euclidean distance, unrolled by 4. */
export function squaredL2(a: Float32Array, aOff: number, b: Float32Array, bOff: number, n: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let i = 0;
  const n4 = n - (n % 4);
  for (; i < n4; i += 4) {
    const d0 = a[aOff + i]! - b[bOff + i]!;
    const d1 = a[aOff + i + 1]! - b[bOff + i + 1]!;
    const d2 = a[aOff + i + 2]! - b[bOff + i + 2]!;
    const d3 = a[aOff + i + 3]! - b[bOff + i + 3]!;
    s0 += d0 * d0;
    s1 += d1 * d1;
    s2 += d2 * d2;
    s3 += d3 * d3;
  }
  for (; i < n; i++) {
    const d = a[aOff + i]! - b[bOff + i]!;
    s0 += d * d;
  }
  return s0 + s1 + s2 + s3;
}

/** Copy of `v`, scaled to unit length (cosine stores keep unit vectors, so cosine = dot). */
export function normalized(v: Float32Array): Float32Array {
  let n = 0;
  for (let i = 0; i < v.length; i++) n += v[i]! * v[i]!;
  const out = new Float32Array(v.length);
  if (n === 0) return out;
  const inv = 1 / Math.sqrt(n);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * inv;
  return out;
}

/**
 * Internal "higher is better" similarity from a stored vector: dot for cosine (unit vectors) and ip,
 * minus squared L2 for l2. `toScore` turns it into the public score (-L2 distance for l2).
 */
export function similarity(metric: DistanceMetric, q: Float32Array, data: Float32Array, off: number, d: number): number {
  return metric === 'l2' ? -squaredL2(q, 0, data, off, d) : dot(q, 0, data, off, d);
}

export function toScore(metric: DistanceMetric, sim: number): number {
  return metric === 'l2' ? -Math.sqrt(-sim) : sim;
}

/** Keeps the `k` largest (score, slot) pairs: a binary min-heap on score. */
export class TopK {
  readonly scores: Float64Array;
  readonly slots: Int32Array;
  size = 0;
  constructor(readonly k: number) {
    this.scores = new Float64Array(k);
    this.slots = new Int32Array(k);
  }
  /** Smallest kept score, or -Infinity while not full. */
  get threshold(): number {
    return this.size < this.k ? -Infinity : this.scores[0]!;
  }
  push(score: number, slot: number): void {
    const { scores, slots } = this;
    if (this.size < this.k) {
      let i = this.size++;
      while (i > 0) {
        const p = (i - 1) >> 1;
        if (scores[p]! <= score) break;
        scores[i] = scores[p]!;
        slots[i] = slots[p]!;
        i = p;
      }
      scores[i] = score;
      slots[i] = slot;
      return;
    }
    if (score <= scores[0]!) return;
    let i = 0;
    const n = this.size;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && scores[r]! < scores[l]! ? r : l;
      if (scores[c]! >= score) break;
      scores[i] = scores[c]!;
      slots[i] = slots[c]!;
      i = c;
    }
    scores[i] = score;
    slots[i] = slot;
  }
  /** Pairs best first. */
  sorted(): Array<{ score: number; slot: number }> {
    const out: Array<{ score: number; slot: number }> = [];
    for (let i = 0; i < this.size; i++) out.push({ score: this.scores[i]!, slot: this.slots[i]! });
    return out.sort((a, b) => b.score - a.score);
  }
}

export function toResults(metric: DistanceMetric, pairs: Array<{ score: number; slot: number }>, docOf: (slot: number) => Document): ScoredDocument[] {
  return pairs.map((p) => ({ document: cloneDocument(docOf(p.slot)), score: toScore(metric, p.score) }));
}
