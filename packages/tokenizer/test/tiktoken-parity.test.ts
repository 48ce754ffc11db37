import { get_encoding, type Tiktoken } from 'tiktoken';
import { afterAll, describe, expect, it } from 'vitest';
import { fromTiktoken, TIKTOKEN_ENCODING_NAMES, type TiktokenEncodingName } from '../src/tiktoken/index.js';
import { mobyDick, rng, sourceCode, stateOfTheUnion, unicodeStress } from './tiktoken-corpora.js';

// Id-for-id parity with the reference tiktoken (wasm build of OpenAI's Rust core).
const corpora: Record<string, string> = {
  mobyDick: mobyDick().slice(0, 150_000),
  stateOfTheUnion: stateOfTheUnion(100_000),
  sourceCode: sourceCode(100_000),
  unicodeStress: unicodeStress(60_000, 7),
};

const references = new Map<string, Tiktoken>();
function reference(name: TiktokenEncodingName): Tiktoken {
  let enc = references.get(name);
  if (enc === undefined) {
    enc = get_encoding(name);
    references.set(name, enc);
  }
  return enc;
}
afterAll(() => {
  for (const enc of references.values()) enc.free();
});

function firstMismatch(a: ArrayLike<number>, b: ArrayLike<number>): string | undefined {
  const n = Math.max(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i])
      return `at ${i}: ours ${JSON.stringify(Array.from(a).slice(Math.max(0, i - 3), i + 4))} vs tiktoken ${JSON.stringify(
        Array.from(b).slice(Math.max(0, i - 3), i + 4)
      )}`;
  }
  return undefined;
}

describe.each(TIKTOKEN_ENCODING_NAMES)('%s parity with tiktoken', (name) => {
  const ours = fromTiktoken(name);

  it.each(Object.keys(corpora))('encodes %s id-for-id and decodes it back', (corpus) => {
    const text = corpora[corpus];
    const ref = reference(name);
    // the stress text contains special tokens: allow them (encodeOrdinary below covers them as text)
    const expected = ref.encode(text, 'all');
    const actual = ours.encode(text, { allowedSpecial: 'all' });
    expect(firstMismatch(actual, expected)).toBeUndefined();
    expect(actual.length).toBe(expected.length);
    expect(ours.encodeOrdinary(text)).toEqual(Array.from(ref.encode_ordinary(text)));
    expect(ours.decodeBytes(actual)).toEqual(ref.decode(expected));
    expect(ours.decode(actual)).toBe(text);
    expect(ours.countTokens(text, { allowedSpecial: 'all' })).toBe(expected.length);
  });

  it('matches on short random mixes of stress fragments (many pieces at string edges)', () => {
    const ref = reference(name);
    const random = rng(11);
    for (let i = 0; i < 300; i++) {
      const text = unicodeStress(1 + Math.floor(random() * 40), 1000 + i);
      expect(firstMismatch(ours.encode(text, { allowedSpecial: 'all' }), ref.encode(text, 'all')), JSON.stringify(text)).toBeUndefined();
      expect(firstMismatch(ours.encodeOrdinary(text), ref.encode_ordinary(text)), JSON.stringify(text)).toBeUndefined();
    }
  });

  it('decodes random id sequences (partial UTF-8 included) to the same bytes and text', () => {
    const ref = reference(name);
    const random = rng(5);
    const decoder = new TextDecoder();
    const ordinaryMax = name.startsWith('o200k') ? 199_998 : name.startsWith('cl100k') ? 100_255 : 50_255;
    for (let i = 0; i < 200; i++) {
      const ids = Array.from({ length: 1 + Math.floor(random() * 12) }, () => Math.floor(random() * ordinaryMax));
      const bytes = ref.decode(new Uint32Array(ids));
      expect(ours.decodeBytes(ids)).toEqual(bytes);
      expect(ours.decode(ids)).toBe(decoder.decode(bytes));
    }
  });

  it('encodes lone surrogates as U+FFFD like tiktoken', () => {
    const ref = reference(name);
    for (const text of ['a\uD800b', '\uDC00', 'x \uD83D', '\uD83D\uD83D\uDE00 y']) {
      expect(ours.encode(text)).toEqual(Array.from(ref.encode(text)));
    }
  });
});

describe('long pieces', () => {
  it.each(['cl100k_base', 'o200k_base'] as const)('%s: "a" x 6k and 6k CJK chars match tiktoken (heap merge path)', (name) => {
    const ours = fromTiktoken(name);
    const ref = reference(name);
    for (const text of ['a'.repeat(6_000), '北京市朝阳区'.repeat(1_000), ' '.repeat(3_000) + 'x', '🙂'.repeat(1_000), 'ab'.repeat(2_000)]) {
      expect(firstMismatch(ours.encode(text), ref.encode(text))).toBeUndefined();
    }
  });

  it('encodes "a" x 100k and 100k CJK characters quickly', () => {
    const ours = fromTiktoken('cl100k_base', { cache: false });
    ours.encode('warm up the merge tables: xqzj'); // builds the id-pair table outside the timing
    for (const text of ['a'.repeat(100_000), '北京市朝阳区建国门外大街'.repeat(8_334).slice(0, 100_000)]) {
      const start = performance.now();
      const ids = ours.encode(text);
      expect(performance.now() - start).toBeLessThan(1_000);
      expect(ours.decode(ids)).toBe(text);
    }
  });
});
