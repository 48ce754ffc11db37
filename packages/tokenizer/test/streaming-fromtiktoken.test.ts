// The stream decoder over our own tiktoken implementation (src/tiktoken), checked against the
// wasm `tiktoken` reference's decode of the same ids.
import { afterAll, describe, expect, it } from 'vitest';
import { fromTiktoken } from '../src/tiktoken/index.js';
import { checkPieces, mobyDick, rng, STRESS, stream } from './streaming-helpers.js';
import { TiktokenDouble } from './streaming-tiktoken-double.js';

const corpora = { 'moby dick (30 KB)': mobyDick(30_000), 'unicode stress': STRESS.repeat(4) };

for (const name of ['cl100k_base', 'o200k_base'] as const) {
  describe(`stream decoder over fromTiktoken('${name}')`, () => {
    const ours = fromTiktoken(name);
    const reference = new TiktokenDouble(name);
    afterAll(() => reference.free());

    for (const [corpus, text] of Object.entries(corpora)) {
      it(`${corpus}: pieces concatenate to the reference decode, one id at a time and in chunks`, () => {
        const ids = reference.encode(text);
        const expected = reference.decode(ids);
        expect(ours.decode(ids)).toBe(expected);
        const one = stream(ours, ids, () => 1);
        checkPieces(one, expected);
        expect(one.some((p) => p.includes('\uFFFD'))).toBe(false);
        const random = rng(3);
        checkPieces(stream(ours, ids, () => 1 + Math.floor(random() * 13)), expected);
      });
    }

    it('random byte-token ids (invalid UTF-8 included)', () => {
      const random = rng(5);
      for (let trial = 0; trial < 20; trial++) {
        const ids = Array.from({ length: 100 }, () => (random() < 0.7 ? Math.floor(random() * 256) : Math.floor(random() * 100_000)));
        const expected = reference.decode(ids);
        expect(ours.decode(ids)).toBe(expected);
        checkPieces(stream(ours, ids, () => 1), expected);
      }
    });
  });
}
