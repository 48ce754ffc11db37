/**
 * Maximal marginal relevance (Carbonell & Goldstein, 1998): pick documents one at a time,
 * maximising lambda * sim(query, d) - (1 - lambda) * max over picked p of sim(d, p), cosine
 * similarity. Same selection as LangChain's `maximalMarginalRelevance` (tested against it).
 */
import { InvalidArgumentError, type Embedder } from '@llmkit/core';
import type { Document, Retriever, RetrieveOptions, ScoredDocument } from '../types.js';
import { assertQuery, cosineSimilarity, resolveK, throwIfAborted } from './common.js';

export interface MmrOptions {
  /** How many to select. Default 4. */
  k?: number;
  /** 1 = pure relevance, 0 = pure diversity. Default 0.5. */
  lambda?: number;
}

function checkLambda(lambda: number, where: string): void {
  if (!Number.isFinite(lambda) || lambda < 0 || lambda > 1) throw new InvalidArgumentError(`${where}: lambda must be in [0, 1]; got ${lambda}.`);
}

/**
 * Indices of the selected vectors, in selection order.
 * @throws InvalidArgumentError `invalid_argument` for lambda outside [0, 1] or vectors of different lengths.
 */
export function mmrSelect(query: Float32Array, vectors: Float32Array[], options: MmrOptions = {}): number[] {
  const k = Math.min(options.k ?? 4, vectors.length);
  const lambda = options.lambda ?? 0.5;
  checkLambda(lambda, 'mmrSelect');
  for (const [i, v] of vectors.entries()) {
    if (v.length !== query.length) throw new InvalidArgumentError(`mmrSelect: vector ${i} has length ${v.length}, the query ${query.length}; embed both with the same model.`);
  }
  if (k <= 0) return [];
  const relevance = vectors.map((v) => cosineSimilarity(query, v));
  const selected: number[] = [];
  const maxSimToSelected = new Float64Array(vectors.length).fill(-Infinity);
  // The first pick is the most relevant (LangChain does the same).
  let best = 0;
  for (let i = 1; i < vectors.length; i++) if (relevance[i]! > relevance[best]!) best = i;
  selected.push(best);
  while (selected.length < k) {
    const last = selected[selected.length - 1]!;
    let pick = -1;
    let pickScore = -Infinity;
    for (let i = 0; i < vectors.length; i++) {
      if (selected.includes(i)) continue;
      const sim = cosineSimilarity(vectors[i]!, vectors[last]!);
      if (sim > maxSimToSelected[i]!) maxSimToSelected[i] = sim;
      const score = lambda * relevance[i]! - (1 - lambda) * maxSimToSelected[i]!;
      if (score > pickScore) {
        pickScore = score;
        pick = i;
      }
    }
    if (pick === -1) break;
    selected.push(pick);
  }
  return selected;
}

/**
 * Re-order candidate documents for diversity with MMR, embedding the query and the documents with
 * `embedder`. `score` in the result is each document's cosine similarity to the query.
 * @example
 * const diverse = await maxMarginalRelevance('whale anatomy', hits.map((h) => h.document), { embedder, k: 5, lambda: 0.7 });
 */
export async function maxMarginalRelevance(
  query: string,
  documents: Document[],
  options: MmrOptions & { embedder: Embedder },
): Promise<ScoredDocument[]> {
  if (!options || typeof options.embedder?.embed !== 'function') throw new InvalidArgumentError('maxMarginalRelevance: options.embedder (an Embedder) is required.');
  if (documents.length === 0) return [];
  const [queryVector, ...vectors] = await options.embedder.embed([query, ...documents.map((d) => d.text)]);
  const picked = mmrSelect(queryVector!, vectors, options);
  return picked.map((i) => ({ document: documents[i]!, score: cosineSimilarity(queryVector!, vectors[i]!) }));
}

export interface MmrRetrieverOptions {
  retriever: Retriever;
  embedder: Embedder;
  /** Candidates fetched from `retriever` before MMR. Default 20 (LangChain's fetchK). */
  fetchK?: number;
  /** Default 0.5. */
  lambda?: number;
}

/**
 * Any retriever, diversified: fetch `fetchK` candidates, return `k` chosen by MMR.
 * @example
 * const diverse = new MmrRetriever({ retriever: bm25, embedder, fetchK: 30, lambda: 0.6 });
 */
export class MmrRetriever implements Retriever {
  constructor(private readonly options: MmrRetrieverOptions) {
    if (!options || typeof options.retriever?.retrieve !== 'function' || typeof options.embedder?.embed !== 'function') {
      throw new InvalidArgumentError('MmrRetriever: options.retriever (a Retriever) and options.embedder (an Embedder) are required.');
    }
    checkLambda(options.lambda ?? 0.5, 'MmrRetriever');
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    assertQuery(query, 'MmrRetriever.retrieve');
    const k = resolveK(options, 'MmrRetriever.retrieve');
    throwIfAborted(options.signal, 'MmrRetriever.retrieve');
    const candidates = await this.options.retriever.retrieve(query, { ...options, k: Math.max(this.options.fetchK ?? 20, k) });
    return maxMarginalRelevance(query, candidates.map((c) => c.document), { embedder: this.options.embedder, k, lambda: this.options.lambda ?? 0.5 });
  }
}
