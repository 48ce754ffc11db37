// @llmkit/rag: Retrieval-augmented generation: loaders, splitters, embedders, vector stores (memory, HNSW, pgvector on PGlite or PostgreSQL), BM25, hybrid retrieval, RAG pipeline with citations.
// The public API is listed here by name as it lands.
export {};
