/**
 * BEIR-layout loading (corpus.jsonl, queries.jsonl, qrels/test.tsv) and the standard metrics:
 * nDCG@10 with gains 2^g - 1 (as pytrec_eval / BEIR), recall@100 over relevant documents (grade > 0).
 * Shared by bench/bm25-quality.bench.ts and test/bm25-quality.test.ts.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Document, Retriever } from '../src/index.js';

/** /work/shared/reference/ir/cranfield, reached from the repository root as ../shared/reference. */
export const CRANFIELD_DIR = resolve(import.meta.dirname, '..', '..', '..', '..', 'shared', 'reference', 'ir', 'cranfield');

export interface BeirData {
  corpus: Document[];
  queries: Array<{ id: string; text: string }>;
  qrels: Map<string, Map<string, number>>;
}

export function loadBeir(dir: string): BeirData {
  const jsonl = (file: string) =>
    readFileSync(join(dir, file), 'utf8')
      .split('\n')
      .filter((l) => l.trim() !== '')
      .map((l) => JSON.parse(l) as Record<string, string>);
  const corpus = jsonl('corpus.jsonl').map((r) => ({ id: r._id!, text: `${r.title ?? ''} ${r.text ?? ''}`.trim(), metadata: { title: r.title ?? '' } }));
  const queries = jsonl('queries.jsonl').map((r) => ({ id: r._id!, text: r.text! }));
  const qrels = new Map<string, Map<string, number>>();
  for (const line of readFileSync(join(dir, 'qrels', 'test.tsv'), 'utf8').split('\n').slice(1)) {
    if (line.trim() === '') continue;
    const [q, d, s] = line.split('\t');
    if (!qrels.has(q!)) qrels.set(q!, new Map());
    qrels.get(q!)!.set(d!, Number(s));
  }
  return { corpus, queries, qrels };
}

export interface QualityResult {
  ndcg10: number;
  recall100: number;
  queries: number;
}

/** Mean nDCG@10 and recall@100 over the judged queries. */
export async function evaluateRetriever(retriever: Retriever, data: BeirData): Promise<QualityResult> {
  let ndcg = 0;
  let recall = 0;
  let n = 0;
  for (const query of data.queries) {
    const rel = data.qrels.get(query.id);
    if (rel === undefined) continue;
    n++;
    const hits = await retriever.retrieve(query.text, { k: 100 });
    let dcg = 0;
    hits.slice(0, 10).forEach((h, i) => {
      dcg += (2 ** (rel.get(h.document.id) ?? 0) - 1) / Math.log2(i + 2);
    });
    let idcg = 0;
    [...rel.values()].sort((a, b) => b - a).slice(0, 10).forEach((g, i) => {
      idcg += (2 ** g - 1) / Math.log2(i + 2);
    });
    ndcg += idcg > 0 ? dcg / idcg : 0;
    const relevant = [...rel.values()].filter((g) => g > 0).length;
    recall += relevant > 0 ? hits.filter((h) => (rel.get(h.document.id) ?? 0) > 0).length / relevant : 0;
  }
  return { ndcg10: ndcg / n, recall100: recall / n, queries: n };
}
