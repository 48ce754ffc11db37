/**
 * BM25 indexing throughput and query latency: ours against minisearch and
 * wink-bm25-text-search, side by side in one process, on 10k chunks (~1000 characters) of Moby
 * Dick and State of the Union speeches (~10 MB). Every engine stems: ours with its Snowball English analyzer,
 * minisearch with wink-porter2-stemmer in `processTerm`, wink with its usual prep pipeline
 * (lowercase, tokenize0, removeWords, stem). Queries: 300 seeded 3-word queries, top 10.
 *
 *   npm run bench -- --filter rag/bench/bm25
 */
import { createRequire } from 'node:module';
import MiniSearch from 'minisearch';
import { createRng } from '@llmkit/core';
import { Bm25Retriever } from '../src/index.js';
import { packageVersion } from '../../../tools/bench/package-version.js';
import { bestMs, secondsPerCallAsync, secondsPerCall } from '../../../tools/bench/timing.js';
import { chunkDocuments } from './corpus.js';

const require = createRequire(import.meta.url);
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const winkBm25 = require('wink-bm25-text-search') as () => any;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const nlpUtils = require('wink-nlp-utils') as any;
const porter2 = require('wink-porter2-stemmer') as (w: string) => string;

const docs = chunkDocuments(10_000);
const bytes = docs.reduce((n, d) => n + d.text.length, 0);
const rng = createRng(7);
const vocabulary = docs.slice(0, 2000).flatMap((d) => d.text.toLowerCase().match(/[a-z]{4,}/g) ?? []);
const queries = Array.from({ length: 300 }, () => Array.from({ length: 3 }, () => vocabulary[rng.randint(0, vocabulary.length)]).join(' '));

function line(bench: string, ours: number, peer: string, peerValue: number, unit: string): void {
  console.log(JSON.stringify({ bench, ours: +ours.toPrecision(4), peer, peerValue: +peerValue.toPrecision(4), ratio: +(ours / peerValue).toFixed(4), unit }));
}

const buildOurs = () => Bm25Retriever.fromDocuments(docs);
const buildMini = () => {
  const ms = new MiniSearch({ fields: ['text'], storeFields: [], processTerm: (t) => porter2(t.toLowerCase()) });
  ms.addAll(docs);
  return ms;
};
const buildWink = () => {
  const engine = winkBm25();
  engine.defineConfig({ fldWeights: { text: 1 }, bm25Params: { k1: 1.5, b: 0.75 } });
  engine.definePrepTasks([nlpUtils.string.lowerCase, nlpUtils.string.tokenize0, nlpUtils.tokens.removeWords, nlpUtils.tokens.stem]);
  docs.forEach((d, i) => engine.addDoc({ text: d.text }, i));
  engine.consolidate();
  return engine;
};

// Indexing: ours builds its posting lists lazily on the first query, so time until the first result.
const oursIndexMs = await bestMs(async () => {
  const r = buildOurs();
  await r.retrieve('whale', { k: 1 });
}, 3);
const miniIndexMs = await bestMs(buildMini, 3);
const winkIndexMs = await bestMs(buildWink, 3);
const title = `bm25 index ${docs.length} docs (${(bytes / 1e6).toFixed(1)} MB)`;
line(title, (docs.length / oursIndexMs) * 1000, `minisearch ${packageVersion('minisearch')}`, (docs.length / miniIndexMs) * 1000, 'docs/s');
line(title, (docs.length / oursIndexMs) * 1000, `wink-bm25-text-search ${packageVersion('wink-bm25-text-search')}`, (docs.length / winkIndexMs) * 1000, 'docs/s');

const ours = buildOurs();
await ours.retrieve('warmup', { k: 10 });
const mini = buildMini();
const wink = buildWink();
let qi = 0;
const next = () => queries[qi++ % queries.length]!;
const oursUs = (await secondsPerCallAsync(() => ours.retrieve(next(), { k: 10 }), 1500)) * 1e6;
const miniUs = secondsPerCall(() => mini.search(next()).slice(0, 10), 1500) * 1e6;
const winkUs = secondsPerCall(() => wink.search(next(), 10), 1500) * 1e6;
const qtitle = `bm25 query latency, 3 words, top 10 of ${docs.length} docs`;
line(qtitle, oursUs, `minisearch ${packageVersion('minisearch')}`, miniUs, 'us/query');
line(qtitle, oursUs, `wink-bm25-text-search ${packageVersion('wink-bm25-text-search')}`, winkUs, 'us/query');
