/**
 * Query expansion through a LanguageModel: multi-query (the model rewrites the question several
 * ways; results of all versions are fused) and HyDE (Gao et al. 2022, "Precise Zero-Shot Dense
 * Retrieval without Relevance Labels": the model writes a hypothetical answer passage whose
 * embedding is searched instead of the question's).
 */
import { InvalidArgumentError, type Embedder, type GenerateOptions, type LanguageModel } from '@llmkit/core';
import { RagError, type Retriever, type RetrieveOptions, type ScoredDocument, type VectorStore } from '../types.js';
import { assertQuery, resolveK, throwIfAborted } from './common.js';
import { reciprocalRankFusion } from './fusion.js';

/** LangChain's MultiQueryRetriever prompt, adapted to `{count}` and `{question}` placeholders. */
export const MULTI_QUERY_PROMPT =
  'You are an AI language model assistant. Your task is to generate {count} different versions of the given ' +
  'user question to retrieve relevant documents from a vector database. By generating multiple perspectives ' +
  'on the user question, your goal is to help the user overcome some of the limitations of distance-based ' +
  'similarity search. Provide these alternative questions separated by newlines, without numbering.\n' +
  'Original question: {question}';

/** The HyDE paper's web-search prompt. */
export const HYDE_PROMPT = 'Please write a passage to answer the question.\nQuestion: {question}\nPassage:';

function fill(template: string, values: Record<string, string | number>): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => (key in values ? String(values[key]) : m));
}

async function completeText(llm: LanguageModel, prompt: string, options: GenerateOptions, where: string): Promise<string> {
  try {
    return (await llm.complete(prompt, options)).text;
  } catch (cause) {
    throw new RagError('language_model', `${where}: the language model ${llm.id} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

function checkLlm(llm: unknown, where: string): asserts llm is LanguageModel {
  if (typeof (llm as LanguageModel | undefined)?.complete !== 'function') {
    throw new InvalidArgumentError(`${where}: options.llm must be a LanguageModel (with complete(prompt, options)).`);
  }
}

/** Lines of a model answer as queries: numbering and bullets stripped, blanks dropped. */
export function parseQueryLines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/^\s*(?:\d+[.)]|[-*•])\s*/, '').trim())
    .filter((l) => l !== '');
}

export interface MultiQueryRetrieverOptions {
  retriever: Retriever;
  llm: LanguageModel;
  /** Alternative questions to ask for. Default 3. */
  queryCount?: number;
  /** Prompt template with `{count}` and `{question}`. Default {@link MULTI_QUERY_PROMPT}. */
  prompt?: string;
  /** Also search the original question. Default true. */
  includeOriginal?: boolean;
  /** Generation options. Default `{ temperature: 0, maxNewTokens: 256 }`. */
  generateOptions?: GenerateOptions;
}

/**
 * @example
 * const mq = new MultiQueryRetriever({ retriever: bm25, llm });
 * await mq.retrieve('how do whalers find whales', { k: 5 });
 */
export class MultiQueryRetriever implements Retriever {
  constructor(private readonly options: MultiQueryRetrieverOptions) {
    if (typeof options?.retriever?.retrieve !== 'function') throw new InvalidArgumentError('MultiQueryRetriever: options.retriever (a Retriever) is required.');
    checkLlm(options.llm, 'MultiQueryRetriever');
    const n = options.queryCount ?? 3;
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`MultiQueryRetriever: queryCount must be a positive integer; got ${n}.`);
  }

  /** The alternative questions the model proposes (at most `queryCount`). */
  async generateQueries(question: string, signal?: AbortSignal): Promise<string[]> {
    const count = this.options.queryCount ?? 3;
    const prompt = fill(this.options.prompt ?? MULTI_QUERY_PROMPT, { count, question });
    const text = await completeText(this.options.llm, prompt, { temperature: 0, maxNewTokens: 256, ...this.options.generateOptions, signal }, 'MultiQueryRetriever');
    return parseQueryLines(text).slice(0, count);
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    assertQuery(query, 'MultiQueryRetriever.retrieve');
    const k = resolveK(options, 'MultiQueryRetriever.retrieve');
    throwIfAborted(options.signal, 'MultiQueryRetriever.retrieve');
    const generated = await this.generateQueries(query, options.signal);
    const queries = [...new Set([...(this.options.includeOriginal === false ? [] : [query]), ...generated])];
    if (queries.length === 0) return [];
    const lists = await Promise.all(queries.map((q) => this.options.retriever.retrieve(q, { ...options, k })));
    return reciprocalRankFusion(lists).slice(0, k);
  }
}

export interface HydeRetrieverOptions {
  llm: LanguageModel;
  embedder: Embedder;
  vectorStore: VectorStore;
  /** Prompt template with `{question}`. Default {@link HYDE_PROMPT}. */
  prompt?: string;
  /** Hypothetical documents to generate; their embeddings (and the question's) are averaged. Default 1. */
  hypotheses?: number;
  /** Average the question's own embedding in too (the paper does). Default true. */
  includeQuery?: boolean;
  /** Default `{ temperature: 0.7, maxNewTokens: 256 }` (greedy when hypotheses is 1). */
  generateOptions?: GenerateOptions;
}

/**
 * @example
 * const hyde = new HydeRetriever({ llm, embedder, vectorStore: store });
 * await hyde.retrieve('what is ambergris', { k: 3 });
 */
export class HydeRetriever implements Retriever {
  constructor(private readonly options: HydeRetrieverOptions) {
    checkLlm(options?.llm, 'HydeRetriever');
    if (typeof options.embedder?.embed !== 'function') throw new InvalidArgumentError('HydeRetriever: options.embedder (an Embedder) is required.');
    if (typeof options.vectorStore?.search !== 'function') throw new InvalidArgumentError('HydeRetriever: options.vectorStore (a VectorStore) is required.');
    const n = options.hypotheses ?? 1;
    if (!Number.isInteger(n) || n < 1) throw new InvalidArgumentError(`HydeRetriever: hypotheses must be a positive integer; got ${n}.`);
  }

  /** The hypothetical passages for `question`. */
  async hypothesize(question: string, signal?: AbortSignal): Promise<string[]> {
    const n = this.options.hypotheses ?? 1;
    const prompt = fill(this.options.prompt ?? HYDE_PROMPT, { question });
    const base: GenerateOptions = { temperature: n === 1 ? 0 : 0.7, maxNewTokens: 256, ...this.options.generateOptions, signal };
    const out: string[] = [];
    for (let i = 0; i < n; i++) out.push((await completeText(this.options.llm, prompt, { ...base, seed: base.seed === undefined ? undefined : base.seed + i }, 'HydeRetriever')).trim());
    return out;
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    assertQuery(query, 'HydeRetriever.retrieve');
    const k = resolveK(options, 'HydeRetriever.retrieve');
    throwIfAborted(options.signal, 'HydeRetriever.retrieve');
    const passages = (await this.hypothesize(query, options.signal)).filter((p) => p !== '');
    const texts = [...(this.options.includeQuery === false ? [] : [query]), ...passages];
    if (texts.length === 0) texts.push(query);
    const vectors = await this.options.embedder.embed(texts);
    const mean = new Float32Array(this.options.embedder.dimension);
    for (const v of vectors) for (let i = 0; i < mean.length; i++) mean[i]! += v[i]! / vectors.length;
    return this.options.vectorStore.search(mean, { k, filter: options.filter });
  }
}
