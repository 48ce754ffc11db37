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

// Splitters, text analysis, BM25 and retrievers
export {
  TextSplitter,
  chunksToDocuments,
  type TextSplitterOptions,
  type LengthFunction,
  type Chunk,
  type Span,
  type DocumentSplitter,
} from './splitters/text-splitter.js';
export {
  RecursiveCharacterTextSplitter,
  CharacterTextSplitter,
  type RecursiveCharacterTextSplitterOptions,
  type CharacterTextSplitterOptions,
} from './splitters/recursive-character.js';
export {
  separatorsForLanguage,
  SUPPORTED_SPLITTER_LANGUAGES,
  type SplitterLanguage,
  type SplitterLanguageName,
} from './splitters/languages.js';
export { TokenTextSplitter, type TokenTextSplitterOptions, type SplitterTokenizer } from './splitters/token.js';
export { SentenceSplitter, splitSentences, type SentenceSplitterOptions } from './splitters/sentence.js';
export {
  MarkdownHeaderTextSplitter,
  type MarkdownHeaderTextSplitterOptions,
  type MarkdownSection,
} from './splitters/markdown-header.js';
export { snowballEnglishStem } from './text/snowball-english.js';
export { createAnalyzer, ENGLISH_STOPWORDS, type Analyzer, type AnalyzerOptions } from './text/analyzer.js';
export { Bm25Retriever, type Bm25Options } from './retrieval/bm25.js';
export {
  reciprocalRankFusion,
  HybridRetriever,
  type ReciprocalRankFusionOptions,
  type HybridRetrieverOptions,
} from './retrieval/fusion.js';
export { mmrSelect, maxMarginalRelevance, MmrRetriever, type MmrOptions, type MmrRetrieverOptions } from './retrieval/mmr.js';
export {
  MultiQueryRetriever,
  HydeRetriever,
  parseQueryLines,
  MULTI_QUERY_PROMPT,
  HYDE_PROMPT,
  type MultiQueryRetrieverOptions,
  type HydeRetrieverOptions,
} from './retrieval/query-expansion.js';
export { ParentDocumentRetriever, type ParentDocumentRetrieverOptions } from './retrieval/parent-document.js';
export {
  ContextualCompressionRetriever,
  LlmChainExtractor,
  LlmChainFilter,
  EmbeddingsFilter,
  EXTRACT_PROMPT,
  FILTER_PROMPT,
  type DocumentCompressor,
  type ContextualCompressionRetrieverOptions,
} from './retrieval/contextual-compression.js';
// Loaders
export { decodeText, type LoaderInput, type LoaderCommonOptions } from './loaders/common.js';
export { parseText } from './loaders/text.js';
export { parseMarkdown } from './loaders/markdown.js';
export { parseHtml, findMainContent, htmlToText, type HtmlLoaderOptions } from './loaders/html.js';
export { parseJson, parseJsonl, resolveJsonPointer, type JsonLoaderOptions } from './loaders/json.js';
export { parseCsv, type CsvLoaderOptions } from './loaders/csv.js';
export { parsePdf, type PdfLoaderOptions } from './loaders/pdf.js';
export {
  loadFile,
  loadDirectory,
  DEFAULT_LOADERS,
  type FileLoader,
  type LoadFileOptions,
  type LoadDirectoryOptions,
  type LoadDirectoryResult,
} from './loaders/directory.js';
// RAG pipeline and memory
export { parseCitations, type Citation, type Source } from './pipeline/citations.js';
export {
  RagPipeline,
  citedDocuments,
  RAG_PROMPT,
  CONDENSE_PROMPT,
  type RagPipelineOptions,
  type RagAnswer,
  type RagStreamEvent,
} from './pipeline/rag-pipeline.js';
export {
  BufferWindowMemory,
  SummaryMemory,
  VectorMemory,
  SUMMARY_PROMPT,
  type ConversationMemory,
} from './pipeline/memory.js';

// Embedders, vector stores, cross-encoder
export { EmbedderError } from './embedders/errors.js';
export { LsaEmbedder, lsaTokenize, type LsaFitOptions } from './embedders/lsa.js';
export { OnnxEmbedder, type OnnxEmbedderOptions, type Pooling } from './embedders/onnx-embedder.js';
export { OnnxCrossEncoder, type OnnxCrossEncoderOptions } from './embedders/onnx-cross-encoder.js';
export { OpenAICompatibleEmbedder, type OpenAICompatibleEmbedderOptions } from './embedders/openai-compatible.js';
export { MemoryVectorStore, type MemoryVectorStoreOptions } from './stores/memory.js';
export { HnswVectorStore, type HnswVectorStoreOptions } from './stores/hnsw.js';
export { PgVectorStore, type PgVectorStoreOptions, type PgIndexOptions } from './stores/pgvector.js';
export { VectorStoreRetriever } from './stores/retriever.js';
export { matchesFilter, compileFilterToSql, type CompiledFilter } from './stores/filter.js';
