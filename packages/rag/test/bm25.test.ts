// BM25 and its analyzer against the Python references: NLTK's Snowball English stemmer on 31k
// words of Moby Dick and the State of the Union, and bm25s (method "lucene") scores, both from
// tools/fixtures/gen_rag_stemmer.py.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LlmkitError } from '@llmkit/core';
import { Bm25Retriever, createAnalyzer, ENGLISH_STOPWORDS, snowballEnglishStem } from '../src/index.js';

const fixture = JSON.parse(readFileSync(join(import.meta.dirname, 'fixtures', 'snowball-english.json'), 'utf8')) as {
  versions: Record<string, string>;
  stopwords: string[];
  stems: Record<string, string>;
  bm25: { k1: number; b: number; corpus: string[]; queries: string[]; scores: number[][] };
};

describe('snowballEnglishStem', () => {
  it(`matches NLTK ${fixture.versions.nltk} SnowballStemmer("english") on every fixture word`, () => {
    const entries = Object.entries(fixture.stems);
    expect(entries.length).toBeGreaterThan(30_000);
    const wrong = entries.filter(([word, stem]) => snowballEnglishStem(word) !== stem).slice(0, 10);
    expect(wrong).toEqual([]);
  });

  it('handles the published examples and prototype-like words', () => {
    // From the Snowball English page's sample vocabulary.
    expect(['consign', 'consigned', 'consigning', 'consignment', 'generously', 'knightly'].map(snowballEnglishStem)).toEqual([
      'consign', 'consign', 'consign', 'consign', 'generous', 'knight',
    ]);
    expect(snowballEnglishStem('constructor')).toBe('constructor');
    expect(snowballEnglishStem('__proto__')).toBe('__proto__');
  });
});

describe('createAnalyzer', () => {
  it('uses bm25s English stopwords', () => {
    expect([...ENGLISH_STOPWORDS].sort()).toEqual([...fixture.stopwords].sort());
  });

  it('lowercases, keeps 2+ word-character tokens, drops stopwords, stems', () => {
    expect(createAnalyzer()("The Whale's jaw; a whaling-ship, 1851 and I.")).toEqual(['whale', 'jaw', 'whale', 'ship', '1851']);
    expect(createAnalyzer({ stemmer: false, stopwords: false })('The whales')).toEqual(['the', 'whales']);
    expect(() => createAnalyzer({ tokenPattern: /\w+/ })).toThrow(/g flag/);
  });
});

describe('Bm25Retriever', () => {
  const { corpus, queries, scores, k1, b } = fixture.bm25;
  const retriever = Bm25Retriever.fromTexts(corpus, { k1, b });

  it(`scores like bm25s ${fixture.versions.bm25s} (lucene, k1 ${k1}, b ${b})`, () => {
    queries.forEach((query, qi) => {
      const ours = retriever.scores(query);
      scores[qi]!.forEach((expected, di) => expect(ours[di]).toBeCloseTo(expected, 5));
    });
    // The fixture has real signal: the whale query scores some documents above zero.
    expect(Math.max(...scores[0]!)).toBeGreaterThan(0.5);
  });

  it('retrieve returns the k best matching documents, best first, with filters', async () => {
    const hits = await retriever.retrieve('whale hunting', { k: 3 });
    const expectedOrder = scores[0]!.map((s, i) => [s, i] as const).filter(([s]) => s > 0).sort((x, y) => y[0] - x[0]).slice(0, 3).map(([, i]) => String(i));
    expect(hits.map((h) => h.document.id)).toEqual(expectedOrder);
    expect(hits[0]!.score).toBeGreaterThan(hits[1]!.score);

    const docs = corpus.map((text, i) => ({ id: `d${i}`, text, metadata: { book: i < 4 ? 'moby' : 'other', n: i } }));
    const filtered = Bm25Retriever.fromDocuments(docs);
    const onlyOther = await filtered.retrieve('whale', { k: 10, filter: { book: 'other' } });
    expect(onlyOther.map((h) => h.document.id)).toEqual(['d7']);
    const range = await filtered.retrieve('whale', { k: 10, filter: { n: { $gte: 2, $lt: 4 } } });
    expect(range.map((h) => h.document.id)).toEqual(['d3']);
    expect(await filtered.retrieve('zzzz unknown', { k: 3 })).toEqual([]);
  });

  it('addDocuments updates statistics', async () => {
    const r = Bm25Retriever.fromTexts(['red apple', 'green apple']);
    const before = r.scores('apple')[0]!;
    r.addDocuments([{ id: '2', text: 'blue sky', metadata: {} }]);
    // idf(apple) = ln(1 + (N - 2 + .5) / 2.5): N 2 -> 3 raises it; hand-derived values.
    expect(before).toBeCloseTo(Math.log(1 + 0.5 / 2.5) * (1 / (1 + 1.5)), 6);
    expect(r.scores('apple')[0]!).toBeCloseTo(Math.log(1 + 1.5 / 2.5) * (1 / (1 + 1.5 * (0.25 + (0.75 * 2) / 2))), 6);
    expect(r.size).toBe(3);
  });

  it('typed errors', async () => {
    for (const fn of [
      () => new Bm25Retriever({ b: 2 }),
      () => new Bm25Retriever({ k1: -1 }),
      () => Bm25Retriever.fromDocuments([{ id: 'x' } as never]),
    ]) {
      expect(fn).toThrow(LlmkitError);
    }
    await expect(retriever.retrieve('x', { k: 0 })).rejects.toThrow(/k must be a positive integer/);
    await expect(retriever.retrieve('whale', { signal: AbortSignal.abort() })).rejects.toMatchObject({ code: 'aborted' });
    await expect(retriever.retrieve('x', { filter: { a: { $regex: 'x' } as never } })).rejects.toThrow(/\$regex/);
  });
});
