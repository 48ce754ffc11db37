/**
 * Contextual compression: retrieve, then shrink or drop what does not bear on the query. The
 * compressors follow LangChain's: LLM extraction (`LlmChainExtractor`), LLM yes/no filtering
 * (`LlmChainFilter`), embedding-similarity filtering (`EmbeddingsFilter`); any `Reranker` works too.
 */
import { InvalidArgumentError, type Embedder, type GenerateOptions, type LanguageModel } from '@llmkit/core';
import { RagError, type Reranker, type Retriever, type RetrieveOptions, type ScoredDocument } from '../types.js';
import { assertQuery, cosineSimilarity, resolveK, throwIfAborted } from './common.js';

/** Shrinks or filters retrieved documents for a query. */
export interface DocumentCompressor {
  compressDocuments(documents: ScoredDocument[], query: string, options?: { signal?: AbortSignal }): Promise<ScoredDocument[]>;
}

/** LangChain's extraction prompt. */
export const EXTRACT_PROMPT =
  'Given the following question and context, extract any part of the context *AS IS* that is relevant to answer the question. ' +
  'If none of the context is relevant return {noOutput}.\n\nRemember, *DO NOT* edit the extracted parts of the context.\n\n' +
  '> Question: {question}\n> Context:\n>>>\n{context}\n>>>\nExtracted relevant parts:';

/** LangChain's filter prompt. */
export const FILTER_PROMPT =
  'Given the following question and context, return YES if the context is relevant to the question and NO if it isn\'t.\n\n' +
  '> Question: {question}\n> Context:\n>>>\n{context}\n>>>\n> Relevant (YES / NO):';

function fill(template: string, values: Record<string, string>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => values[key] ?? m);
}

async function ask(llm: LanguageModel, prompt: string, options: GenerateOptions, where: string): Promise<string> {
  try {
    return (await llm.complete(prompt, options)).text;
  } catch (cause) {
    throw new RagError('language_model', `${where}: the language model ${llm.id} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

function checkLlm(llm: unknown, where: string): asserts llm is LanguageModel {
  if (typeof (llm as LanguageModel | undefined)?.complete !== 'function') throw new InvalidArgumentError(`${where}: options.llm must be a LanguageModel.`);
}

/**
 * Keeps only the parts of each document the model quotes as relevant; drops documents it answers
 * `NO_OUTPUT` for. When the extract occurs verbatim in the document, `metadata.extractLoc`
 * holds its `{ start, end }` in the document's text.
 */
export class LlmChainExtractor implements DocumentCompressor {
  private readonly noOutput: string;
  constructor(private readonly options: { llm: LanguageModel; prompt?: string; noOutput?: string; generateOptions?: GenerateOptions }) {
    checkLlm(options?.llm, 'LlmChainExtractor');
    this.noOutput = options.noOutput ?? 'NO_OUTPUT';
  }

  async compressDocuments(documents: ScoredDocument[], query: string, options: { signal?: AbortSignal } = {}): Promise<ScoredDocument[]> {
    const out: ScoredDocument[] = [];
    for (const hit of documents) {
      const prompt = fill(this.options.prompt ?? EXTRACT_PROMPT, { question: query, context: hit.document.text, noOutput: this.noOutput });
      const text = (await ask(this.options.llm, prompt, { temperature: 0, maxNewTokens: 512, ...this.options.generateOptions, signal: options.signal }, 'LlmChainExtractor')).trim();
      if (text === '' || text.includes(this.noOutput)) continue;
      const at = hit.document.text.indexOf(text);
      const metadata = { ...hit.document.metadata, ...(at >= 0 ? { extractLoc: { start: at, end: at + text.length } } : {}) };
      out.push({ document: { ...hit.document, text, metadata }, score: hit.score });
    }
    return out;
  }
}

/** Drops documents the model does not call relevant (answer starting with YES). */
export class LlmChainFilter implements DocumentCompressor {
  constructor(private readonly options: { llm: LanguageModel; prompt?: string; generateOptions?: GenerateOptions }) {
    checkLlm(options?.llm, 'LlmChainFilter');
  }

  async compressDocuments(documents: ScoredDocument[], query: string, options: { signal?: AbortSignal } = {}): Promise<ScoredDocument[]> {
    const out: ScoredDocument[] = [];
    for (const hit of documents) {
      const prompt = fill(this.options.prompt ?? FILTER_PROMPT, { question: query, context: hit.document.text });
      const answer = await ask(this.options.llm, prompt, { temperature: 0, maxNewTokens: 3, ...this.options.generateOptions, signal: options.signal }, 'LlmChainFilter');
      if (/^\W*yes\b/i.test(answer)) out.push(hit);
    }
    return out;
  }
}

/**
 * Keeps documents whose embedding's cosine similarity to the query's is at least
 * `similarityThreshold` (and/or the `k` most similar), rescored by that similarity, best first.
 */
export class EmbeddingsFilter implements DocumentCompressor {
  constructor(private readonly options: { embedder: Embedder; similarityThreshold?: number; k?: number }) {
    if (typeof options?.embedder?.embed !== 'function') throw new InvalidArgumentError('EmbeddingsFilter: options.embedder (an Embedder) is required.');
    if (options.similarityThreshold === undefined && options.k === undefined) {
      throw new InvalidArgumentError('EmbeddingsFilter: give similarityThreshold (e.g. 0.76) and/or k, or nothing would be filtered.');
    }
  }

  async compressDocuments(documents: ScoredDocument[], query: string): Promise<ScoredDocument[]> {
    if (documents.length === 0) return [];
    const [q, ...vectors] = await this.options.embedder.embed([query, ...documents.map((d) => d.document.text)]);
    let scored = documents.map((d, i) => ({ document: d.document, score: cosineSimilarity(q!, vectors[i]!) }));
    if (this.options.similarityThreshold !== undefined) scored = scored.filter((s) => s.score >= this.options.similarityThreshold!);
    scored.sort((a, b) => b.score - a.score);
    return this.options.k === undefined ? scored : scored.slice(0, this.options.k);
  }
}

export interface ContextualCompressionRetrieverOptions {
  baseRetriever: Retriever;
  /** A DocumentCompressor, or a Reranker (cross-encoder) whose order and scores replace the base ones. */
  compressor: DocumentCompressor | Reranker;
  /** Candidates fetched from the base retriever. Default max(2k, 10). */
  fetchK?: number;
}

/**
 * @example
 * const compressed = new ContextualCompressionRetriever({ baseRetriever: bm25, compressor: new LlmChainExtractor({ llm }) });
 */
export class ContextualCompressionRetriever implements Retriever {
  constructor(private readonly options: ContextualCompressionRetrieverOptions) {
    if (typeof options?.baseRetriever?.retrieve !== 'function') throw new InvalidArgumentError('ContextualCompressionRetriever: options.baseRetriever is required.');
    const c = options.compressor as Partial<DocumentCompressor & Reranker> | undefined;
    if (typeof c?.compressDocuments !== 'function' && typeof c?.rerank !== 'function') {
      throw new InvalidArgumentError('ContextualCompressionRetriever: options.compressor must have compressDocuments(docs, query) or rerank(query, docs).');
    }
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    assertQuery(query, 'ContextualCompressionRetriever.retrieve');
    const k = resolveK(options, 'ContextualCompressionRetriever.retrieve');
    throwIfAborted(options.signal, 'ContextualCompressionRetriever.retrieve');
    const hits = await this.options.baseRetriever.retrieve(query, { ...options, k: this.options.fetchK ?? Math.max(2 * k, 10) });
    const c = this.options.compressor as Partial<DocumentCompressor & Reranker>;
    const out = typeof c.compressDocuments === 'function'
      ? await c.compressDocuments(hits, query, { signal: options.signal })
      : await c.rerank!(query, hits.map((h) => h.document), { topN: k });
    return out.slice(0, k);
  }
}
