// Shared by the streaming tests: corpora, a seeded PRNG, a stream driver and the piece checks.
import { expect } from 'vitest';
import { createStreamDecoder } from '../src/streaming/index.js';
import type { Tokenizer } from '../src/types.js';


export { mobyDick, rng } from './corpora.js';

export const STRESS =
  'Family: 👨‍👩‍👧‍👦, skin tones 👋🏻👋🏼👋🏽👋🏾👋🏿, flags 🇯🇵🇫🇷🏳️‍🌈, keycap 1️⃣. ' +
  '中文分词没有空格很难处理，日本語のテキストと한국어 문장도 있습니다。 ' +
  'Combining: e\u0301 a\u0308 n\u0303 Z\u0335\u0327\u0350a\u0336l\u0337g\u0338o\u0334. ' +
  'RTL: שלום עולם، مرحبا بالعالم. Devanagari: नमस्ते दुनिया. Thai: สวัสดีชาวโลก. ' +
  'Math 𝔸𝔹ℂ 𝟘𝟙𝟚, symbols ∮ ≠ ≤ ⊂, BOM \uFEFF inside, tabs\t\tand   spaces,\n\nnewlines\r\n' +
  "contractions: we'll they'RE I'M, digits 1234567890 3.14159 ";


/** Feed ids in chunks of the given sizes; return the emitted pieces (flush last). */
export function stream(tokenizer: Tokenizer, ids: number[], chunkSize: () => number): string[] {
  const decoder = createStreamDecoder(tokenizer);
  const pieces: string[] = [];
  for (let i = 0; i < ids.length; ) {
    const n = Math.max(1, chunkSize());
    const chunk = ids.slice(i, i + n);
    pieces.push(n === 1 ? decoder.push(chunk[0]!) : decoder.push(chunk));
    i += n;
  }
  pieces.push(decoder.flush());
  return pieces;
}

export function checkPieces(pieces: string[], expected: string): void {
  const joined = pieces.join('');
  expect(joined.length).toBe(expected.length);
  expect(joined === expected).toBe(true);
  let at = 0;
  for (const piece of pieces) {
    if (piece.length === 0) continue;
    // No piece splits a surrogate pair.
    const first = piece.charCodeAt(0);
    const last = piece.charCodeAt(piece.length - 1);
    expect(first >= 0xdc00 && first <= 0xdfff && at > 0 && expected.charCodeAt(at - 1) >= 0xd800).toBe(false);
    expect(last >= 0xd800 && last <= 0xdbff).toBe(false);
    // A U+FFFD in a piece is one the full decode has at that very place (implied by equality, checked directly).
    for (let j = piece.indexOf('\uFFFD'); j >= 0; j = piece.indexOf('\uFFFD', j + 1)) expect(expected[at + j]).toBe('\uFFFD');
    at += piece.length;
  }
}

