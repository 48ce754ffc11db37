/**
 * Retrieval quality on Cranfield (1,400 abstracts, 225 judged queries, BEIR layout under
 * /work/shared/reference/ir/cranfield): nDCG@10 and recall@100 of our BM25 (Lucene BM25, k1 1.5,
 * b 0.75, English stopwords, Snowball stemming, title + text) against the bm25s reference figures
 * measured with the same settings (/work/shared/reference/README.md), then the two JS peers run
 * here side by side (minisearch with wink-porter2-stemmer, wink-bm25-text-search with its usual
 * prep pipeline), and a hybrid of BM25 with the built-in LSA embedder by reciprocal-rank fusion.
 * Skips (exit 0, a message on stderr) where the reference data is absent.
 *
 *   npm run bench -- --filter rag/bench/bm25-quality
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import MiniSearch from 'minisearch';
import { Bm25Retriever, HybridRetriever, LsaEmbedder, MemoryVectorStore, VectorStoreRetriever, type Retriever, type ScoredDocument } from '../src/index.js';
import { packageVersion } from '../../../tools/bench/package-version.js';
import { CRANFIELD_DIR, evaluateRetriever, loadBeir } from './beir.js';

if (!existsSync(CRANFIELD_DIR)) {
  console.error(`# skipped: ${CRANFIELD_DIR} not found (reference data exists only on development machines)`);
  process.exit(0);
}

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const winkBm25 = require('wink-bm25-text-search') as () => any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const nlpUtils = require('wink-nlp-utils') as any;
const porter2 = require('wink-porter2-stemmer') as (w: string) => string;

const data = loadBeir(CRANFIELD_DIR);
const byId = new Map(data.corpus.map((d) => [d.id, d]));

function line(bench: string, ours: number, peer: string, peerValue: number): void {
  console.log(JSON.stringify({ bench, ours: +ours.toFixed(4), peer, peerValue: +peerValue.toFixed(4), ratio: +(ours / peerValue).toFixed(4), unit: 'score' }));
}

const bm25 = Bm25Retriever.fromDocuments(data.corpus, { k1: 1.5, b: 0.75 });
const ours = await evaluateRetriever(bm25, data);
const REFERENCE = { ndcg10: 0.3633, recall100: 0.7381 }; // bm25s 0.3, same settings (README of the reference data)
line('cranfield BM25 nDCG@10', ours.ndcg10, 'bm25s 0.3 lucene + Snowball (reference figure)', REFERENCE.ndcg10);
line('cranfield BM25 recall@100', ours.recall100, 'bm25s 0.3 lucene + Snowball (reference figure)', REFERENCE.recall100);

const mini = new MiniSearch({ fields: ['text'], storeFields: [], processTerm: (t) => porter2(t.toLowerCase()) });
mini.addAll(data.corpus);
const miniRetriever: Retriever = {
  retrieve: async (q, o) => mini.search(q).slice(0, o?.k ?? 4).map((r) => ({ document: byId.get(String(r.id))!, score: r.score })),
};
const miniQ = await evaluateRetriever(miniRetriever, data);
line('cranfield BM25 nDCG@10', ours.ndcg10, `minisearch ${packageVersion('minisearch')}`, miniQ.ndcg10);
line('cranfield BM25 recall@100', ours.recall100, `minisearch ${packageVersion('minisearch')}`, miniQ.recall100);

const wink = winkBm25();
wink.defineConfig({ fldWeights: { text: 1 }, bm25Params: { k1: 1.5, b: 0.75 } });
wink.definePrepTasks([nlpUtils.string.lowerCase, nlpUtils.string.tokenize0, nlpUtils.tokens.removeWords, nlpUtils.tokens.stem]);
data.corpus.forEach((d) => wink.addDoc({ text: d.text }, d.id));
wink.consolidate();
const winkRetriever: Retriever = {
  retrieve: async (q, o) => (wink.search(q, o?.k ?? 4) as Array<[string, number]>).map(([id, score]): ScoredDocument => ({ document: byId.get(String(id))!, score })),
};
const winkQ = await evaluateRetriever(winkRetriever, data);
line('cranfield BM25 nDCG@10', ours.ndcg10, `wink-bm25-text-search ${packageVersion('wink-bm25-text-search')}`, winkQ.ndcg10);
line('cranfield BM25 recall@100', ours.recall100, `wink-bm25-text-search ${packageVersion('wink-bm25-text-search')}`, winkQ.recall100);

// Hybrid: BM25 + LSA (dense, fitted on the corpus) fused by RRF, against BM25 alone.
const embedder = LsaEmbedder.fit(data.corpus.map((d) => d.text), { dimension: 256 });
const store = new MemoryVectorStore({ dimension: embedder.dimension, metric: 'ip' });
await store.upsert(data.corpus, await embedder.embed(data.corpus.map((d) => d.text)));
const dense = new VectorStoreRetriever(store, embedder);
const denseQ = await evaluateRetriever(dense, data);
const hybridQ = await evaluateRetriever(new HybridRetriever({ retrievers: [bm25, dense], candidates: 100 }), data);
line('cranfield hybrid BM25+LSA (RRF) nDCG@10', hybridQ.ndcg10, 'our BM25 alone', ours.ndcg10);
line('cranfield hybrid BM25+LSA (RRF) recall@100', hybridQ.recall100, 'our BM25 alone', ours.recall100);
line('cranfield LSA-256 dense nDCG@10', denseQ.ndcg10, 'our BM25 alone', ours.ndcg10);
