/**
 * Stage 5: retrieval-augmented generation over the State of the Union addresses. Chunks
 * (RecursiveCharacterTextSplitter) are embedded with the built-in LSA embedder (TF-IDF + truncated
 * SVD, fitted on the corpus: no model download) and stored in pgvector inside embedded PGlite; BM25
 * and the vector search are fused with reciprocal rank fusion (HybridRetriever); RagPipeline asks
 * the course's own model (LocalLanguageModel) with numbered sources and parses its citations.
 * Retrieval quality is measured on generated queries (recall@k, nDCG@10, MRR).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createProgress, createRng } from '@llmkit/core';
import { DecoderLM, LocalLanguageModel } from '@llmkit/model';
import {
  Bm25Retriever,
  HybridRetriever,
  LsaEmbedder,
  PgVectorStore,
  RagPipeline,
  RecursiveCharacterTextSplitter,
  VectorStoreRetriever,
  ENGLISH_STOPWORDS,
  type Document,
  type Retriever,
} from '@llmkit/rag';
import { stageDir, type DemoContext, type StageDefinition } from '../context.js';
import { sotuAddresses } from '../data/corpus.js';
import { modelDir } from '../data/tokens.js';

export interface RetrievalScores {
  retriever: string;
  recallAt1: number;
  recallAt5: number;
  recallAt10: number;
  ndcgAt10: number;
  mrr: number;
}

export interface RagAnswerRecord {
  question: string;
  answer: string;
  sources: Array<{ index: number; id: string; year: number; president: string; score: number; preview: string }>;
  citations: Array<{ marker: string; index: number; invalid: boolean }>;
}

export interface RagResult {
  addresses: number;
  chunks: number;
  dimension: number;
  explainedNote: string;
  queries: number;
  retrieval: RetrievalScores[];
  answers: RagAnswerRecord[];
  exampleQuery: { query: string; relevant: string; bm25Top: string[]; vectorTop: string[]; hybridTop: string[] };
}

export const RAG_QUESTIONS = [
  'What did the president say about jobs and the economy?',
  'What did the president say about health care?',
  'What did the president say about taxes?',
  'What did the president say about war and peace?',
];

const TABLE = 'sotu_chunks';

export const PLAIN_CHAT_TEMPLATE = "{% for message in messages %}{{ message['content'] }}{% if not loop.last %}{{ '\\n\\n' }}{% endif %}{% endfor %}";

/** The RAG index of stage 5, reopened from its folder (stage 7 uses it). Close it when done. */
export async function openRagIndex(ctx: DemoContext): Promise<{ retriever: HybridRetriever; bm25: Bm25Retriever; vector: VectorStoreRetriever; store: PgVectorStore; close: () => Promise<void> }> {
  const dir = stageDir(ctx, '5-rag');
  const embedder = await LsaEmbedder.load(join(dir, 'lsa-embedder.json'));
  const chunks = JSON.parse(readFileSync(join(dir, 'chunks.json'), 'utf8')) as Document[];
  const store = await PgVectorStore.create({ dimension: embedder.dimension, dataDir: join(dir, 'pgdata'), table: TABLE });
  const vector = new VectorStoreRetriever(store, embedder);
  const bm25 = Bm25Retriever.fromDocuments(chunks);
  const retriever = new HybridRetriever({ retrievers: [bm25, vector] });
  return { retriever, bm25, vector, store, close: () => store.close() };
}

/** The model the assistant runs on: the DPO-aligned model of stage 3. */
export async function assistantModel(ctx: DemoContext, maxNewTokens: number): Promise<{ llm: LocalLanguageModel; model: DecoderLM }> {
  const model = await DecoderLM.fromPretrained(modelDir(ctx, 'dpo'));
  // The course model was never trained on a chat format: a plain template that joins the messages
  // gives it the same text as a string prompt, while the system / user roles stay visible to the
  // guard (its injection rail screens user content, not the system prompt).
  model.tokenizerConfig = { ...(model.tokenizerConfig ?? {}), chat_template: PLAIN_CHAT_TEMPLATE };
  return { llm: new LocalLanguageModel({ model, id: 'course-demo-dpo', defaultMaxNewTokens: maxNewTokens }), model };
}

const STOPWORDS = new Set(ENGLISH_STOPWORDS);

function contentWords(sentence: string): string[] {
  return (sentence.toLowerCase().match(/[a-z]+/g) ?? []).filter((w) => w.length > 2 && !STOPWORDS.has(w));
}

/** Generated queries: content words of one sentence of a random chunk; relevant = chunks containing that sentence. */
export function generateQueries(chunks: Document[], n: number, seed: number): Array<{ query: string; relevant: Set<string>; sentence: string }> {
  const rng = createRng(seed);
  const out: Array<{ query: string; relevant: Set<string>; sentence: string }> = [];
  let guard = 0;
  while (out.length < n && guard++ < n * 50) {
    const chunk = chunks[Math.floor(rng.random() * chunks.length)]!;
    const sentences = chunk.text.split(/(?<=[.!?])\s+/).filter((s) => contentWords(s).length >= 6);
    if (sentences.length === 0) continue;
    const sentence = sentences[Math.floor(rng.random() * sentences.length)]!;
    const words = contentWords(sentence);
    // Keep 5 words in order, dropping some at random: a keyword query, not the sentence itself.
    const keep = new Set<number>();
    while (keep.size < Math.min(5, words.length)) keep.add(Math.floor(rng.random() * words.length));
    const query = [...keep].sort((a, b) => a - b).map((i) => words[i]).join(' ');
    const relevant = new Set(chunks.filter((c) => c.text.includes(sentence)).map((c) => c.id));
    out.push({ query, relevant, sentence });
  }
  return out;
}

/** recall@k, nDCG@10 (binary relevance, ideal ranking puts every relevant chunk first) and MRR. */
export function retrievalScores(name: string, rankings: string[][], relevant: Array<Set<string>>): RetrievalScores {
  let r1 = 0;
  let r5 = 0;
  let r10 = 0;
  let ndcg = 0;
  let mrr = 0;
  rankings.forEach((ranking, q) => {
    const rel = relevant[q]!;
    const firstHit = ranking.findIndex((id) => rel.has(id));
    if (firstHit === 0) r1++;
    if (firstHit >= 0 && firstHit < 5) r5++;
    if (firstHit >= 0 && firstHit < 10) r10++;
    if (firstHit >= 0) mrr += 1 / (firstHit + 1);
    let dcg = 0;
    ranking.slice(0, 10).forEach((id, i) => {
      if (rel.has(id)) dcg += 1 / Math.log2(i + 2);
    });
    let ideal = 0;
    for (let i = 0; i < Math.min(10, rel.size); i++) ideal += 1 / Math.log2(i + 2);
    ndcg += ideal > 0 ? dcg / ideal : 0;
  });
  const n = Math.max(1, rankings.length);
  return { retriever: name, recallAt1: r1 / n, recallAt5: r5 / n, recallAt10: r10 / n, ndcgAt10: ndcg / n, mrr: mrr / n };
}

export const ragStage: StageDefinition<RagResult> = {
  id: '5-rag',
  title: 'Stage 5/7: RAG over the State of the Union addresses (PGlite + pgvector, BM25 hybrid)',
  narration:
    'Retrieval-augmented generation: split the addresses into chunks, embed them (LSA: TF-IDF + SVD),\n' +
    'store the vectors in pgvector inside embedded PGlite, search by meaning and by keywords (BM25),\n' +
    'fuse both rankings (reciprocal rank fusion), and let the model answer from numbered sources.',
  dependsOn: ['3-align'],
  settings: (s) => ({ rag: s.rag, seed: s.seed }),
  async run(ctx, dir) {
    const r = ctx.settings.rag;
    const addresses = sotuAddresses(r.minYear);
    const parents: Document[] = addresses.map((a) => ({ id: `sotu-${a.year}-${a.name.replace(/[^A-Za-z]+/g, '-')}`, text: a.text, metadata: { source: `${a.name}, ${a.year}`, year: a.year, president: a.name, party: a.party } }));
    const splitter = new RecursiveCharacterTextSplitter({ chunkSize: r.chunkSize, chunkOverlap: r.chunkOverlap });
    const chunks = splitter.splitDocuments(parents).map((c) => ({ ...c, metadata: { source: c.metadata.source, year: c.metadata.year, president: c.metadata.president, parentId: c.metadata.parentId ?? null } }) as Document);
    writeFileSync(join(dir, 'chunks.json'), JSON.stringify(chunks));
    ctx.log(`   ${addresses.length} addresses (${r.minYear}-${addresses.at(-1)?.year}) -> ${chunks.length} chunks of at most ${r.chunkSize} characters`);

    const embedder = LsaEmbedder.fit(chunks.map((c) => c.text), { dimension: r.lsaDimension, seed: ctx.settings.seed });
    await embedder.save(join(dir, 'lsa-embedder.json'));
    const store = await PgVectorStore.create({ dimension: embedder.dimension, dataDir: join(dir, 'pgdata'), table: TABLE });
    try {
      const vector = new VectorStoreRetriever(store, embedder);
      const bar = createProgress({ total: chunks.length, label: 'embed + insert', enabled: ctx.progress });
      const batch = Math.max(256, Math.ceil(chunks.length / 10));
      for (let i = 0; i < chunks.length; i += batch) {
        await vector.addDocuments(chunks.slice(i, i + batch));
        bar.update(Math.min(chunks.length, i + batch));
      }
      bar.stop();
      await store.createIndex({ method: 'hnsw', m: 16, efConstruction: 64 });
      ctx.log(`   pgvector: ${await store.count()} rows, HNSW index (m 16, ef_construction 64), LSA dimension ${embedder.dimension}`);
      const bm25 = Bm25Retriever.fromDocuments(chunks);
      const hybrid = new HybridRetriever({ retrievers: [bm25, vector] });

      // Retrieval metrics on generated queries.
      const queries = generateQueries(chunks, r.queries, ctx.settings.seed);
      const retrievers: Array<[string, Retriever]> = [['BM25', bm25], ['vector (LSA + pgvector)', vector], ['hybrid (RRF)', hybrid]];
      const retrieval: RetrievalScores[] = [];
      const tops: string[][] = [];
      const qbar = createProgress({ total: queries.length * retrievers.length, label: 'retrieval queries', enabled: ctx.progress });
      let done = 0;
      for (const [name, retriever] of retrievers) {
        const rankings: string[][] = [];
        for (const q of queries) {
          rankings.push((await retriever.retrieve(q.query, { k: 10 })).map((h) => h.document.id));
          qbar.update(++done);
        }
        tops.push(rankings[0]!.slice(0, 3));
        retrieval.push(retrievalScores(name, rankings, queries.map((q) => q.relevant)));
      }
      qbar.stop();
      for (const s of retrieval) ctx.log(`   ${s.retriever.padEnd(24)} recall@1 ${s.recallAt1.toFixed(2)}  recall@5 ${s.recallAt5.toFixed(2)}  recall@10 ${s.recallAt10.toFixed(2)}  nDCG@10 ${s.ndcgAt10.toFixed(3)}  MRR ${s.mrr.toFixed(3)}`);

      // Answers with citations from the course's model.
      const { llm, model } = await assistantModel(ctx, r.maxNewTokens);
      const pipeline = new RagPipeline({ retriever: hybrid, llm, k: 3, chat: true, maxContextChars: 3 * r.chunkSize, generateOptions: { maxNewTokens: r.maxNewTokens, temperature: 0 } });
      const answers: RagAnswerRecord[] = [];
      for (const question of RAG_QUESTIONS.slice(0, r.questions)) {
        const a = await pipeline.answer(question);
        answers.push({
          question,
          answer: a.answer,
          sources: a.sources.map((s) => ({ index: s.index, id: s.document.id, year: Number(s.document.metadata.year), president: String(s.document.metadata.president), score: s.score, preview: s.document.text.slice(0, 160) })),
          citations: a.citations.map((c) => ({ marker: c.marker, index: c.index, invalid: c.invalid })),
        });
        ctx.log(`   Q: ${question}`);
        ctx.log(`      sources: ${a.sources.map((s) => `[${s.index}] ${s.document.metadata.source}`).join('; ')}`);
        ctx.log(`      A: ${JSON.stringify(a.answer.slice(0, 160))} (${a.citations.length} citation markers)`);
      }
      model.dispose();
      const q0 = queries[0]!;
      return {
        addresses: addresses.length,
        chunks: chunks.length,
        dimension: embedder.dimension,
        explainedNote: 'LSA embedder fitted on the chunks themselves (TF-IDF + randomized truncated SVD).',
        queries: queries.length,
        retrieval,
        answers,
        exampleQuery: { query: q0.query, relevant: [...q0.relevant].join(', '), bm25Top: tops[0]!, vectorTop: tops[1]!, hybridTop: tops[2]! },
      };
    } finally {
      await store.close();
    }
  },
};
