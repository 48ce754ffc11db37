/**
 * Okapi BM25 over an in-memory inverted index, scored as Lucene (>= 8) and bm25s' `lucene`
 * method do: idf = ln(1 + (N - df + 0.5) / (df + 0.5)), term weight
 * idf * tf / (tf + k1 * (1 - b + b * dl / avgdl)), summed over query terms (a term repeated
 * in the query counts each time). Tested against bm25s scores (fixture) and on Cranfield.
 */
import { InvalidArgumentError } from '@llmkit/core';
import { createAnalyzer, type Analyzer, type AnalyzerOptions } from '../text/analyzer.js';
import type { Document, Retriever, RetrieveOptions, ScoredDocument } from '../types.js';
import { assertQuery, resolveK, throwIfAborted, topKIndices } from './common.js';
import { matchesFilter, validateFilter } from '../stores/filter.js';

export interface Bm25Options {
  /** Term-frequency saturation. Default 1.5 (bm25s, Anserini use 0.9-1.5; Lucene 1.2). */
  k1?: number;
  /** Length normalisation, 0..1. Default 0.75. */
  b?: number;
  /** Your own analyzer, or options for the built-in one (lowercase, English stopwords, Snowball stemming). */
  analyzer?: Analyzer | AnalyzerOptions;
  /** Text that is indexed for a document. Default `doc.text`. E.g. `(d) => d.metadata.title + ' ' + d.text`. */
  indexText?: (document: Document) => string;
}

interface Posting {
  docs: Int32Array;
  weights: Float32Array;
}

/**
 * Sparse keyword retriever (BM25).
 * @example
 * const bm25 = Bm25Retriever.fromDocuments(docs, { k1: 1.2, b: 0.75 });
 * const hits = await bm25.retrieve('whale oil', { k: 5 }); // [{ document, score }]
 */
export class Bm25Retriever implements Retriever {
  readonly k1: number;
  readonly b: number;
  readonly analyze: Analyzer;
  private readonly indexText: (document: Document) => string;
  private documents: Document[] = [];
  private termCounts: Array<Map<string, number>> = [];
  private lengths: number[] = [];
  private postings = new Map<string, Posting>();
  private dirty = false;

  constructor(options: Bm25Options = {}) {
    const k1 = options.k1 ?? 1.5;
    const b = options.b ?? 0.75;
    if (!Number.isFinite(k1) || k1 < 0) throw new InvalidArgumentError(`Bm25Retriever: k1 must be a finite number >= 0; got ${k1}.`);
    if (!Number.isFinite(b) || b < 0 || b > 1) throw new InvalidArgumentError(`Bm25Retriever: b must be in [0, 1]; got ${b}.`);
    this.k1 = k1;
    this.b = b;
    this.analyze = typeof options.analyzer === 'function' ? options.analyzer : createAnalyzer(options.analyzer);
    this.indexText = options.indexText ?? ((d) => d.text);
  }

  /**
   * Index `documents` and return the retriever.
   * @throws InvalidArgumentError `invalid_argument` for a document without a string `text` or id.
   */
  static fromDocuments(documents: Document[], options: Bm25Options = {}): Bm25Retriever {
    const retriever = new Bm25Retriever(options);
    retriever.addDocuments(documents);
    return retriever;
  }

  /** Index texts; ids are their positions ("0", "1", ...) unless given. */
  static fromTexts(texts: string[], options: Bm25Options & { ids?: string[] } = {}): Bm25Retriever {
    return Bm25Retriever.fromDocuments(texts.map((text, i) => ({ id: options.ids?.[i] ?? String(i), text, metadata: {} })), options);
  }

  /** Number of indexed documents. */
  get size(): number {
    return this.documents.length;
  }

  /** Add documents (statistics are recomputed before the next query). */
  addDocuments(documents: Document[]): void {
    if (!Array.isArray(documents)) throw new InvalidArgumentError('Bm25Retriever.addDocuments: expected an array of documents.');
    for (const [i, d] of documents.entries()) {
      if (d === null || typeof d !== 'object' || typeof d.text !== 'string' || typeof d.id !== 'string') {
        throw new InvalidArgumentError(`Bm25Retriever: document ${i} needs a string id and text ({ id, text, metadata }); got ${JSON.stringify(d)?.slice(0, 80)}.`);
      }
    }
    for (const d of documents) {
      const terms = this.analyze(this.indexText(d));
      const counts = new Map<string, number>();
      for (const t of terms) counts.set(t, (counts.get(t) ?? 0) + 1);
      this.documents.push(d);
      this.termCounts.push(counts);
      this.lengths.push(terms.length);
    }
    this.dirty = true;
  }

  private build(): void {
    const n = this.documents.length;
    let total = 0;
    for (const l of this.lengths) total += l;
    const avgdl = n === 0 ? 0 : total / n;
    const lists = new Map<string, { docs: number[]; tfs: number[] }>();
    this.termCounts.forEach((counts, docIndex) => {
      for (const [term, tf] of counts) {
        let list = lists.get(term);
        if (list === undefined) lists.set(term, (list = { docs: [], tfs: [] }));
        list.docs.push(docIndex);
        list.tfs.push(tf);
      }
    });
    const postings = new Map<string, Posting>();
    for (const [term, list] of lists) {
      const df = list.docs.length;
      const idf = Math.log(1 + (n - df + 0.5) / (df + 0.5));
      const weights = new Float32Array(df);
      for (let j = 0; j < df; j++) {
        const tf = list.tfs[j]!;
        const dl = this.lengths[list.docs[j]!]!;
        const norm = avgdl === 0 ? 1 : 1 - this.b + (this.b * dl) / avgdl;
        weights[j] = (idf * tf) / (tf + this.k1 * norm);
      }
      postings.set(term, { docs: Int32Array.from(list.docs), weights });
    }
    this.postings = postings;
    this.dirty = false;
  }

  /** BM25 score of every indexed document for `query`, in insertion order. */
  scores(query: string): Float64Array {
    assertQuery(query, 'Bm25Retriever.scores');
    if (this.dirty) this.build();
    const out = new Float64Array(this.documents.length);
    for (const term of this.analyze(query)) {
      const posting = this.postings.get(term);
      if (posting === undefined) continue;
      const { docs, weights } = posting;
      for (let j = 0; j < docs.length; j++) out[docs[j]!]! += weights[j]!;
    }
    return out;
  }

  /**
   * The `k` best documents with a positive score (documents sharing no term with the query are
   * not returned), best first.
   * @throws InvalidArgumentError `invalid_argument` for a bad `k`; VectorStoreError `invalid_filter` for a malformed filter.
   */
  async retrieve(query: string, options: RetrieveOptions = {}): Promise<ScoredDocument[]> {
    const k = resolveK(options, 'Bm25Retriever.retrieve');
    throwIfAborted(options.signal, 'Bm25Retriever.retrieve');
    const scores = this.scores(query);
    const filter = options.filter;
    if (filter !== undefined) validateFilter(filter);
    const accept = filter === undefined ? undefined : (i: number) => matchesFilter(this.documents[i]!.metadata, filter);
    return topKIndices(scores, k, 0, accept).map((i) => ({ document: this.documents[i]!, score: scores[i]! }));
  }
}
