/**
 * Quality of the built-in LsaEmbedder (TF-IDF + truncated SVD fitted on the corpus, no download) as a
 * dense retriever, against BM25 (our Bm25Retriever, defaults) on Cranfield (1400 abstracts, 225 judged
 * queries, BEIR layout in /work/shared/reference/ir/cranfield): nDCG@10 and recall@100, plus fit time.
 * LSA is the embedded default because it needs no model files; this reports honestly how far it is from
 * a lexical baseline. Skips with a message when the reference folder is absent.
 *
 *   npm run bench -- --filter rag/bench/embedders-quality
 */
import { existsSync } from 'node:fs';
import { Bm25Retriever, LsaEmbedder, MemoryVectorStore, VectorStoreRetriever } from '../src/index.js';
import { CRANFIELD_DIR, evaluateRetriever, loadBeir } from './beir.js';

if (!existsSync(CRANFIELD_DIR)) {
  console.warn(`# skipped: ${CRANFIELD_DIR} is absent (reference IR collections are not in the repository)`);
  process.exit(0);
}
const data = loadBeir(CRANFIELD_DIR);
const bm25 = await evaluateRetriever(Bm25Retriever.fromDocuments(data.corpus), data);
const line = (bench: string, ours: number, peerValue: number, unit: string): void =>
  console.log(JSON.stringify({ bench, ours: +ours.toFixed(4), peer: 'BM25 (Bm25Retriever defaults)', peerValue: +peerValue.toFixed(4), ratio: +(ours / peerValue).toFixed(4), unit }));

for (const dimension of [128, 256]) {
  const t0 = performance.now();
  const embedder = LsaEmbedder.fit(data.corpus.map((d) => d.text), { dimension });
  const fitS = (performance.now() - t0) / 1000;
  const retriever = new VectorStoreRetriever(new MemoryVectorStore({ dimension }), embedder);
  await retriever.addDocuments(data.corpus);
  const q = await evaluateRetriever(retriever, data);
  line(`Cranfield nDCG@10, LsaEmbedder ${dimension}-d (fit ${fitS.toFixed(1)} s)`, q.ndcg10, bm25.ndcg10, 'nDCG@10');
  line(`Cranfield recall@100, LsaEmbedder ${dimension}-d`, q.recall100, bm25.recall100, 'recall@100');
}
