import { describe, expect, it } from 'vitest';
import {
  bytePairMerge,
  bytePairMergeHeap,
  bytePairMergeIdsInto,
  bytePairMergeReference,
  bytePairMergeSmall,
} from '../src/bpe/byte-pair-merge.js';
import { PairRankTable } from '../src/bpe/pair-rank-table.js';
import { fromTiktoken } from '../src/tiktoken/index.js';
import { utf8ByteString } from '../src/tiktoken/ranks.js';
import { rng, unicodeStress } from './tiktoken-corpora.js';

function randomBytes(random: () => number, length: number, alphabet: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += String.fromCharCode(Math.floor(random() * alphabet));
  return out;
}

/** A random rank table over a small alphabet, with ranks not ordered by length (stress for tie rules). */
function randomRanks(random: () => number, alphabet: number, count: number): Map<string, number> {
  const ranks = new Map<string, number>();
  const tokens: string[] = [];
  for (let b = 0; b < alphabet; b++) tokens.push(String.fromCharCode(b));
  while (tokens.length < count) {
    const a = tokens[Math.floor(random() * tokens.length)];
    const b = tokens[Math.floor(random() * tokens.length)];
    if (!tokens.includes(a + b)) tokens.push(a + b);
  }
  // shuffle the ranks of multi-byte tokens
  const order = tokens.map((_, i) => i);
  for (let i = order.length - 1; i > alphabet; i--) {
    const j = alphabet + Math.floor(random() * (i - alphabet + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  tokens.forEach((t, i) => ranks.set(t, order[i]));
  return ranks;
}

function tableOf(ranks: Map<string, number>): PairRankTable {
  return new PairRankTable([...ranks.keys()], [...ranks.values()], (bytes) => ranks.get(bytes));
}

/** The id-based merge (parts are ids, pair ranks from the table). */
function mergeIds(piece: string, ranks: Map<string, number>, table = tableOf(ranks)): number[] {
  const byteIds = new Int32Array(256).fill(-1);
  for (let b = 0; b < 256; b++) byteIds[b] = ranks.get(String.fromCharCode(b)) ?? -1;
  const out: number[] = [];
  if (piece.length > 0) bytePairMergeIdsInto(piece, byteIds, table, out);
  return out;
}

function idsOf(piece: string, bounds: number[], ranks: Map<string, number>): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < bounds.length; i++) out.push(ranks.get(piece.slice(bounds[i], bounds[i + 1])) as number);
  return out;
}

describe('byte-pair merge: fast paths vs reference', () => {
  it('agree on random pieces with random rank tables', () => {
    const random = rng(42);
    for (let trial = 0; trial < 60; trial++) {
      const alphabet = 2 + Math.floor(random() * 5);
      const ranks = randomRanks(random, alphabet, alphabet + 5 + Math.floor(random() * 60));
      for (let k = 0; k < 20; k++) {
        const piece = randomBytes(random, Math.floor(random() * 300), alphabet);
        const expected = bytePairMergeReference(piece, ranks);
        expect(bytePairMergeSmall(piece, ranks)).toEqual(expected);
        expect(bytePairMergeHeap(piece, ranks)).toEqual(expected);
        expect(bytePairMerge(piece, ranks, 64)).toEqual(expected);
        expect(mergeIds(piece, ranks)).toEqual(idsOf(piece, expected, ranks));
      }
    }
  });

  it('agree on real cl100k ranks for random UTF-8 pieces and repetitive runs', () => {
    const enc = fromTiktoken('cl100k_base');
    // the rank map of the tokenizer, keyed by byte strings
    const ranks = (enc as unknown as { bytesToRank: Map<string, number> }).bytesToRank;
    const cl100kTable = tableOf(ranks);
    const random = rng(3);
    const pieces = ['a'.repeat(257), 'ab'.repeat(90), ' '.repeat(200), '=-'.repeat(70)];
    for (let i = 0; i < 150; i++) pieces.push(utf8ByteString(unicodeStress(1 + Math.floor(random() * 120), 500 + i)));
    for (let i = 0; i < 50; i++) pieces.push(randomBytes(random, 1 + Math.floor(random() * 200), 256));
    for (const piece of pieces) {
      const expected = bytePairMergeReference(piece, ranks);
      expect(bytePairMergeSmall(piece, ranks, enc.maxTokenLength)).toEqual(expected);
      expect(bytePairMergeHeap(piece, ranks, enc.maxTokenLength)).toEqual(expected);
      if (piece.length <= 128) expect(mergeIds(piece, ranks, cl100kTable)).toEqual(idsOf(piece, expected, ranks));
    }
  });

  it('handles empty and one-byte pieces', () => {
    const ranks = new Map([['a', 0]]);
    for (const f of [bytePairMergeReference, bytePairMergeSmall, bytePairMergeHeap]) {
      expect(f('', ranks)).toEqual([0]);
      expect(f('a', ranks)).toEqual([0, 1]);
    }
  });

  it('is fast on long unbroken pieces (heap path, O(n log n))', () => {
    const enc = fromTiktoken('o200k_base', { cache: false });
    enc.encode('warm up the merge tables: xqzj'); // builds the id-pair table outside the timing
    for (const text of ['a'.repeat(100_000), '的'.repeat(100_000), 'ab1'.repeat(10_000)]) {
      const start = performance.now();
      enc.encode(text);
      expect(performance.now() - start).toBeLessThan(1_500);
    }
  });
});
