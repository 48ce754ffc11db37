import { afterAll, describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '../src/errors.js';
import { createStreamDecoder } from '../src/streaming/index.js';
import type { Tokenizer } from '../src/types.js';
import { checkPieces, mobyDick, rng, STRESS, stream } from './streaming-helpers.js';
import { TiktokenDouble } from './streaming-tiktoken-double.js';

const encodings = [new TiktokenDouble('cl100k_base'), new TiktokenDouble('o200k_base')];
afterAll(() => encodings.forEach((e) => e.free()));

const corpora = {
  'moby dick (60 KB)': mobyDick(60_000),
  'unicode stress': STRESS.repeat(8),
};

for (const tokenizer of encodings) {
  describe(`stream decoder over tiktoken ${tokenizer.name}`, () => {
    for (const [name, text] of Object.entries(corpora)) {
      const ids = tokenizer.encode(text);
      const expected = tokenizer.decode(ids);

      it(`${name}: one id at a time concatenates to the full decode, no transient U+FFFD`, () => {
        expect(expected).toBe(text);
        const pieces = stream(tokenizer, ids, () => 1);
        checkPieces(pieces, expected);
        expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(false);
      });

      it(`${name}: random chunks`, () => {
        const random = rng(7);
        checkPieces(stream(tokenizer, ids, () => 1 + Math.floor(random() * 17)), expected);
      });
    }

    it('emits emoji and CJK only once complete, even when split into byte tokens', () => {
      // Byte-level tokens for each UTF-8 byte of the text: every multi-byte character is split.
      const text = '👨‍👩‍👧 中文 é 🇯🇵';
      const byteIds = Array.from(new TextEncoder().encode(text)).map((b) => byteToken(tokenizer, b));
      expect(tokenizer.decode(byteIds)).toBe(text);
      const decoder = createStreamDecoder(tokenizer);
      const pieces = byteIds.map((id) => decoder.push(id));
      pieces.push(decoder.flush());
      checkPieces(pieces, text);
      expect(pieces.filter((p) => p !== '')).toContain('中');
    });

    it('random ids (invalid UTF-8 included) still concatenate to the full decode', () => {
      const random = rng(11);
      // Single-byte tokens make invalid and incomplete sequences common.
      const byteIds = Array.from({ length: 256 }, (_, b) => byteToken(tokenizer, b));
      for (let trial = 0; trial < 40; trial++) {
        const ids = Array.from({ length: 120 }, () =>
          random() < 0.7 ? byteIds[Math.floor(random() * 256)]! : Math.floor(random() * 100_000),
        );
        const expected = tokenizer.decode(ids);
        checkPieces(stream(tokenizer, ids, () => 1), expected);
        checkPieces(stream(tokenizer, ids, () => 1 + Math.floor(random() * 6)), expected);
      }
    });

    it('a real U+FFFD in the text is emitted', () => {
      const ids = tokenizer.encode('a\uFFFDb\uFFFD');
      const pieces = stream(tokenizer, ids, () => 1);
      checkPieces(pieces, 'a\uFFFDb\uFFFD');
    });

    it('decodes O(window) ids per push, not the whole stream', () => {
      const ids = tokenizer.encode(corpora['moby dick (60 KB)']);
      const before = tokenizer.decodedIds;
      stream(tokenizer, ids, () => 1);
      expect((tokenizer.decodedIds - before) / ids.length).toBeLessThan(12);
    });
  });
}

/** The id of the token that is the single byte `b` (every byte-level BPE vocabulary has one). */
function byteToken(tokenizer: TiktokenDouble, b: number): number {
  const id = byteIds.get(`${tokenizer.name}:${b}`);
  if (id !== undefined) return id;
  // Search the 0..100k range once per encoding for single-byte tokens.
  let found = 0;
  for (let candidate = 0; candidate < 100_000 && found < 256; candidate++) {
    const bytes = tokenizer.tokenBytes(candidate);
    if (bytes?.length === 1) {
      byteIds.set(`${tokenizer.name}:${bytes[0]}`, candidate);
      found++;
    }
  }
  return byteIds.get(`${tokenizer.name}:${b}`)!;
}
const byteIds = new Map<string, number>();

describe('stream decoder API', () => {
  const tokenizer = encodings[0]!;

  it('reset starts a new stream; flush is idempotent', () => {
    const decoder = createStreamDecoder(tokenizer);
    const [first, ...rest] = tokenizer.encode('Hello 世界');
    decoder.push(first!);
    decoder.reset();
    const out = rest.map((id) => decoder.push(id)).join('') + decoder.flush();
    expect(out).toBe(tokenizer.decode(rest));
    expect(decoder.flush()).toBe('');
  });

  it('skipSpecialTokens is passed to decode', () => {
    const ids = tokenizer.encode('a<|endoftext|>b', { allowedSpecial: 'all' });
    const decoder = createStreamDecoder(tokenizer, { skipSpecialTokens: true });
    expect(ids.map((id) => decoder.push(id)).join('') + decoder.flush()).toBe('ab');
  });

  it('rejects bad ids and options', () => {
    expect(() => createStreamDecoder(tokenizer).push(1.5)).toThrow(InvalidArgumentError);
    expect(() => createStreamDecoder(tokenizer, { maxPendingTokens: 0 })).toThrow(InvalidArgumentError);
  });
});
