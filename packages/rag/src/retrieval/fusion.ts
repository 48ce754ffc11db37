/**
 * Reciprocal-rank fusion (Cormack, Clarke & Büttcher, SIGIR 2009) and the hybrid retriever built on
 * it: each list contributes weight / (k + rank) (rank from 1) to a document, documents are matched
 * by id, and the fused score orders the result. k = 60 as in the paper (and LangChain's
 * EnsembleRetriever, Elasticsearch, OpenSearch).
 */
import { InvalidArgumentError } from '@llmkit/core';
import type { Retriever, RetrieveOptions, ScoredDocument } from '../types.js';
import { assertQuery, resolveK, throwIfAborted } from './common.js';

export interface ReciprocalRankFusionOptions {
  /** Rank constant. Default 60. */
  k?: number;
  /** One weight per list. Default 1 each. */
  weights?: number[];
}

/**
 * Fuse ranked lists (best first) into one, best first; `score` is the fused RRF score.
 * The first occurrence of a document id supplies the returned document.
 * @throws InvalidArgumentError `invalid_argument` for a bad `k` or a weights/list count mismatch.
 * @example
 * reciprocalRankFusion([bm25Hits, denseHits], { weights: [0.4, 0.6] });
 */
export function reciprocalRankFusion(lists: ScoredDocument[][], options: ReciprocalRankFusionOptions = {}): ScoredDocument[] {
  const k = options.k ?? 60;
  if (!Number.isFinite(k) || k < 0) throw new InvalidArgumentError(`reciprocalRankFusion: k must be a finite number >= 0; got ${k}.`);
  const weights = options.weights ?? lists.map(() => 1);
  if (weights.length !== lists.length) {
    throw new InvalidArgumentError(`reciprocalRankFusion: got ${weights.length} weights for ${lists.length} result lists; give one weight per list.`);
  }
  if (weights.some((w) => !Number.isFinite(w) || w < 0)) throw new InvalidArgumentError(`reciprocalRankFusion: weights must be finite and >= 0; got ${JSON.stringify(weights)}.`);
  const fused = new Map<string, ScoredDocument & { order: number }>();
  let order = 0;
  lists.forEach((list, li) => {
    const seen = new Set<string>();
    list.forEach((hit, rank) => {
      const id = hit.document.id;
      if (seen.has(id)) return; // a list that repeats a document counts it once, at its best rank
      seen.add(id);
      const add = weights[li]! / (k + rank + 1);
      const entry = fused.get(id);
      if (entry === undefined) fused.set(id, { document: hit.document, score: add, order: order++ });
      else entry.score += add;
    });
  });
  return [...fused.values()].sort((a, b) => b.score - a.score || a.order - b.order).map(({ document, score }) => ({ document, score }));
}

export interface HybridRetrieverOptions {
  /** The retrievers to fuse, e.g. `[bm25, vectorStoreRetriever]`. */
  retrievers: Retriever[];
  /** One weight per retriever. Default equal weights. */
  weights?: number[];
  /** RRF rank constant. Default 60. */
  rrfK?: number;
  /** How many candidates to ask each retriever for. Default max(4k, 50). */
  candidates?: number;
}

/**
 * Dense + sparse (or any) retrievers fused by weighted reciprocal-rank fusion.
 * @example
 * const hybrid = new HybridRetriever({ retrievers: [bm25, dense], weights: [0.5, 0.5] });
 * await hybrid.retrieve('who hunts the white whale', { k: 5 });
 */
export class HybridRetriever implements Retriever {
  readonly retrievers: Retriever[];
  readonly weights: number[];
  readonly rrfK: number;
  readonly candidates: number | undefined;

  constructor(options: HybridRetrieverOptions) {
    if (!options || !Array.isArray(options.retrievers) || options.retrievers.length === 0 || options.retrievers.some((r) => typeof r?.retrieve !== 'function')) {
      throw new InvalidArgumentError('HybridRetriever: options.retrievers must be a non-empty array of retrievers (objects with retrieve(query, options)).');
    }
    this.retrievers = options.retrievers;
    this.weights = options.weights ?? options.retrievers.map(() => 1);
    this.rrfK = options.rrfK ?? 60;
    this.candidates = options.candidates;
    // Validate weights and k now rather than at the first query.
    reciprocalRankFusion(this.retrievers.map(() => []), { k: this.rrfK, weights: this.weights });
    if (this.candidates !== undefined && (!Number.isInteger(this.candidates) || this.candidates < 1)) {
      throw new InvalidArgumentError(`HybridRetriever: candidates must be a positive integer; got ${this.candidates}.`);
    }
  }

  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    assertQuery(query, 'HybridRetriever.retrieve');
    const k = resolveK(options, 'HybridRetriever.retrieve');
    throwIfAborted(options.signal, 'HybridRetriever.retrieve');
    const candidates = this.candidates ?? Math.max(4 * k, 50);
    const lists = await Promise.all(this.retrievers.map((r) => r.retrieve(query, { ...options, k: candidates })));
    return reciprocalRankFusion(lists, { k: this.rrfK, weights: this.weights }).slice(0, k);
  }
}
