// @llmkit/rag: Retrieval-augmented generation: loaders, splitters, embedders, vector stores (memory, HNSW, pgvector on PGlite or PostgreSQL), BM25, hybrid retrieval, RAG pipeline with citations.
// Every export is listed by name; internals stay private.

// Shared shapes
export {
  RagError,
  LoaderError,
  VectorStoreError,
  type Document,
  type ScoredDocument,
  type Retriever,
  type RetrieveOptions,
  type Reranker,
  type VectorStore,
  type VectorSearchOptions,
  type DistanceMetric,
  type Metadata,
  type MetadataValue,
  type MetadataFilter,
  type FilterOperators,
} from './types.js';
