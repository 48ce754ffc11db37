/**
 * The shapes every part of @llmkit/rag agrees on: documents, chunks, retrievers, vector stores.
 * One definition here; loaders, splitters, stores, retrievers and the pipeline import it.
 */
import { LlmkitError } from '@llmkit/core';

/** Metadata values are JSON-serialisable (they go to disk and into SQL as jsonb). */
export type MetadataValue = string | number | boolean | null | MetadataValue[] | { [key: string]: MetadataValue };
export type Metadata = Record<string, MetadataValue>;

/**
 * A unit of text with a stable id. Loaders set `metadata.source` (file path or URL); splitters
 * add `metadata.parentId` (the document it came from) and `metadata.loc = { start, end }`:
 * the chunk is `parent.text.slice(start, end)` (UTF-16 offsets into the parent's text).
 */
export interface Document {
  id: string;
  text: string;
  metadata: Metadata;
}

/** One retrieval hit; higher `score` is better for every retriever (distances are turned into similarities). */
export interface ScoredDocument {
  document: Document;
  score: number;
}

export interface RetrieveOptions {
  /** How many results. Default 4 (LangChain's default). */
  k?: number;
  /** Only documents whose metadata matches (see MetadataFilter). */
  filter?: MetadataFilter;
  signal?: AbortSignal;
}

/** Anything that answers a query with ranked documents: BM25, vector stores, hybrid, rerankers. */
export interface Retriever {
  retrieve(query: string, options?: RetrieveOptions): Promise<ScoredDocument[]>;
}

/** Re-scores candidate documents for a query (cross-encoders, LLM rerankers); returns them best first. */
export interface Reranker {
  rerank(query: string, documents: Document[], options?: { topN?: number }): Promise<ScoredDocument[]>;
}

/**
 * Metadata filter, a small subset of Mongo/Chroma syntax that maps to SQL:
 * `{ source: "a.md" }` (equality), `{ page: { $gte: 2, $lt: 5 } }`, `{ lang: { $in: ["en", "fr"] } }`,
 * `{ $and: [...] }`, `{ $or: [...] }`; operators `$eq $ne $gt $gte $lt $lte $in $nin`.
 */
export type MetadataFilter = { [key: string]: MetadataValue | FilterOperators | MetadataFilter[] };
export interface FilterOperators {
  $eq?: MetadataValue;
  $ne?: MetadataValue;
  $gt?: number | string;
  $gte?: number | string;
  $lt?: number | string;
  $lte?: number | string;
  $in?: MetadataValue[];
  $nin?: MetadataValue[];
}

export type DistanceMetric = 'cosine' | 'ip' | 'l2';

export interface VectorSearchOptions {
  k?: number;
  filter?: MetadataFilter;
}

/**
 * Vector store contract shared by MemoryVectorStore, HnswVectorStore and PgVectorStore.
 * `score` in results is a similarity (higher is better): cosine similarity, inner product, or -L2 distance.
 */
export interface VectorStore {
  readonly dimension: number;
  readonly metric: DistanceMetric;
  /** Insert or replace by id (all-or-nothing: a bad row rejects the whole call). */
  upsert(documents: Document[], vectors: Float32Array[]): Promise<void>;
  /** Alias of upsert that fails with VectorStoreError `duplicate_id` when an id exists. */
  add(documents: Document[], vectors: Float32Array[]): Promise<void>;
  delete(ids: string[]): Promise<void>;
  get(ids: string[]): Promise<Array<Document | undefined>>;
  search(query: Float32Array, options?: VectorSearchOptions): Promise<ScoredDocument[]>;
  count(): Promise<number>;
  /** Flush to disk where the store persists; release resources. Further calls throw VectorStoreError `closed`. */
  close(): Promise<void>;
}

/** Errors of this package: `code` says what went wrong, the message says which input and how to fix it. */
export class RagError extends LlmkitError {}
export class LoaderError extends RagError {}
export class VectorStoreError extends RagError {}
