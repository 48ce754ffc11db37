// The pipeline end to end with a real LanguageModel implementation: @llmkit/model's
// LocalLanguageModel over the shared character-level Moby Dick model (tools/testing, cached in
// os.tmpdir(); ~50 s to train the first time). Its context is 256 characters, so the chunks are
// small and maxContextChars keeps the prompt inside it.
import { beforeAll, describe, expect, it } from 'vitest';
import { LocalLanguageModel } from '@llmkit/model';
import type { Tokenizer } from '@llmkit/tokenizer';
import { Bm25Retriever, RagPipeline, RecursiveCharacterTextSplitter, type RagStreamEvent } from '../src/index.js';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';

let llm: LocalLanguageModel;
let text: string;
beforeAll(async () => {
  const moby = await mobyDickModel();
  text = moby.text;
  llm = new LocalLanguageModel({ model: moby.model, tokenizer: moby.tokenizer as unknown as Tokenizer, id: 'moby-char-llama' });
});

describe('RagPipeline with LocalLanguageModel', () => {
  it('streams a generation conditioned on the retrieved sources', async () => {
    const parent = { id: 'moby', text: text.slice(0, 60_000), metadata: { source: 'moby-dick.txt' } };
    const chunks = new RecursiveCharacterTextSplitter({ chunkSize: 70, chunkOverlap: 0 }).splitDocuments([parent]);
    const rag = new RagPipeline({
      retriever: Bm25Retriever.fromDocuments(chunks),
      llm,
      k: 3,
      prompt: 'Sources:\n{sources}\nQ: {question}\nA:',
      formatSource: (s) => `[${s.index}] ${s.document.text}`,
      maxContextChars: 160,
      generateOptions: { maxNewTokens: 24, temperature: 0 },
    });
    const events: RagStreamEvent[] = [];
    for await (const e of rag.stream('who is the whale?')) events.push(e);
    const done = events.at(-1) as Extract<RagStreamEvent, { type: 'done' }>;
    expect(done.type).toBe('done');
    const { result } = done;
    // The prompt holds the sources that fit (whole) and lists the others as dropped.
    expect(result.sources.length).toBeGreaterThanOrEqual(1);
    expect(result.sources.length + result.droppedSources.length).toBe(3);
    expect((result.prompt as string).length).toBeLessThan(256 - 24);
    // Greedy generation of 24 characters, streamed piece by piece.
    const pieces = events.filter((e) => e.type === 'text').map((e) => (e as { text: string }).text);
    expect(pieces.length).toBeGreaterThan(1);
    expect(pieces.join('')).toBe(result.answer);
    expect(result.answer.length).toBe(24);
    expect(result.finishReason).toBe('length');
    // Greedy decoding is deterministic: the same question gives the same answer.
    expect((await rag.answer('who is the whale?')).answer).toBe(result.answer);
  });
});
