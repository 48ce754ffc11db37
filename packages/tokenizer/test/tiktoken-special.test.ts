import { get_encoding } from 'tiktoken';
import { describe, expect, it } from 'vitest';
import { DisallowedSpecialTokenError, InvalidArgumentError, TokenizerFormatError, UnknownTokenError } from '../src/errors.js';
import {
  fromTiktoken,
  fromTiktokenRanks,
  loadTiktoken,
  parseTiktokenBpeFile,
  TIKTOKEN_PATTERNS,
  tiktokenPatternToRegExp,
} from '../src/tiktoken/index.js';
import { mobyDick } from './tiktoken-corpora.js';

const cl100k = fromTiktoken('cl100k_base');

describe('special tokens (tiktoken semantics)', () => {
  const text = 'hello <|endoftext|> world <|fim_prefix|>x';
  const ref = get_encoding('cl100k_base');

  it('throws DisallowedSpecialTokenError naming the token by default, as tiktoken throws', () => {
    expect(() => ref.encode(text)).toThrow(/endoftext/);
    let error: unknown;
    try {
      cl100k.encode(text);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DisallowedSpecialTokenError);
    expect((error as DisallowedSpecialTokenError).token).toBe('<|endoftext|>');
    expect((error as DisallowedSpecialTokenError).code).toBe('disallowed_special_token');
    expect(() => cl100k.countTokens(text)).toThrow(DisallowedSpecialTokenError);
    expect(() => cl100k.encodeWithOffsets(text)).toThrow(DisallowedSpecialTokenError);
  });

  it('matches tiktoken for allowedSpecial / disallowedSpecial combinations', () => {
    const cases: Array<[Parameters<typeof cl100k.encode>[1], 'all' | string[], 'all' | string[]]> = [
      [{ allowedSpecial: 'all' }, 'all', 'all'],
      [{ allowedSpecial: ['<|endoftext|>', '<|fim_prefix|>'] }, ['<|endoftext|>', '<|fim_prefix|>'], 'all'],
      [{ allowedSpecial: ['<|endoftext|>'], disallowedSpecial: [] }, ['<|endoftext|>'], []],
      [{ disallowedSpecial: [] }, [], []],
    ];
    for (const [options, allowed, disallowed] of cases) {
      expect(cl100k.encode(text, options)).toEqual(Array.from(ref.encode(text, allowed, disallowed)));
    }
    expect(cl100k.encode(text, { allowedSpecial: 'all' })).toContain(100257);
    // only one allowed: the other still throws
    expect(() => cl100k.encode(text, { allowedSpecial: ['<|endoftext|>'] })).toThrow(/fim_prefix/);
    // a custom disallowed string
    expect(() => cl100k.encode('say hello', { disallowedSpecial: ['hello'] })).toThrow(DisallowedSpecialTokenError);
  });

  it('encodeOrdinary treats special tokens as text', () => {
    expect(cl100k.encodeOrdinary(text)).toEqual(Array.from(ref.encode_ordinary(text)));
    expect(cl100k.encodeOrdinary(text)).not.toContain(100257);
    expect(cl100k.encode(text, { disallowedSpecial: [] })).toEqual(cl100k.encodeOrdinary(text));
  });

  it('decode skipSpecialTokens drops special ids', () => {
    const ids = cl100k.encode(text, { allowedSpecial: 'all' });
    expect(cl100k.decode(ids)).toBe(text);
    expect(cl100k.decode(ids, { skipSpecialTokens: true })).toBe('hello  world x');
  });

  it('rejects malformed options with InvalidArgumentError', () => {
    expect(() => cl100k.encode('x', { allowedSpecial: 'some' as unknown as 'all' })).toThrow(InvalidArgumentError);
    expect(() => cl100k.encode('x', { allowedSpecial: [1 as unknown as string] })).toThrow(InvalidArgumentError);
  });

  it('exposes specialTokens and vocabSize', () => {
    expect(cl100k.specialTokens.get('<|endoftext|>')).toBe(100257);
    expect(cl100k.vocabSize).toBe(100277);
    expect(fromTiktoken('o200k_base').vocabSize).toBe(200019);
    expect(fromTiktoken('gpt2').vocabSize).toBe(50257);
    expect(fromTiktoken('p50k_edit').vocabSize).toBe(50284);
  });
});

describe('tokens, bytes and offsets', () => {
  it('BOM is one token (3305) in cl100k like tiktoken', () => {
    expect(cl100k.encode('\uFEFF')).toEqual([3305]);
  });

  it('tokenToId / idToToken / decodeTokenBytes', () => {
    expect(cl100k.tokenToId(' world')).toBe(1917);
    expect(cl100k.idToToken(1917)).toBe(' world');
    expect(cl100k.tokenToId('<|endoftext|>')).toBe(100257);
    expect(cl100k.idToToken(100257)).toBe('<|endoftext|>');
    expect(cl100k.idToToken(-1)).toBeUndefined();
    expect(cl100k.idToToken(100261)).toBeUndefined(); // a gap between special ids
    // a token that is not valid UTF-8 on its own: latin-1 byte string form
    const ids = cl100k.encode('🙂');
    expect(ids.length).toBeGreaterThan(1);
    const first = cl100k.decodeTokenBytes(ids[0]);
    const token = cl100k.idToToken(ids[0]) as string;
    expect(Array.from(token, (c) => c.charCodeAt(0))).toEqual(Array.from(first));
    expect(cl100k.tokenToId(token)).toBe(ids[0]);
    expect(() => cl100k.decode([100261])).toThrow(UnknownTokenError);
    expect(() => cl100k.decodeBytes([1e9])).toThrow(UnknownTokenError);
  });

  it('decode replaces broken UTF-8 with U+FFFD', () => {
    const ids = cl100k.encode('🙂');
    expect(cl100k.decode(ids.slice(0, 1))).toContain('\uFFFD');
    expect(cl100k.decode(ids)).toBe('🙂');
  });

  it('encodeWithOffsets gives UTF-16 spans; split characters share their span', () => {
    const text = 'Hello, 世界! 🙂 naïve <|endoftext|> end';
    const encoding = cl100k.encodeWithOffsets(text, { allowedSpecial: 'all' });
    expect(encoding.ids).toEqual(cl100k.encode(text, { allowedSpecial: 'all' }));
    expect(encoding.tokens.length).toBe(encoding.ids.length);
    expect(encoding.specialTokensMask.filter((x) => x === 1).length).toBe(1);
    const special = encoding.ids.indexOf(100257);
    expect(encoding.offsets[special]).toEqual([text.indexOf('<|'), text.indexOf('<|') + 13]);
    // spans cover the text in order; for whole-character tokens the slice is the token text
    let covered = 0;
    for (let i = 0; i < encoding.ids.length; i++) {
      const [start, end] = encoding.offsets[i];
      expect(start).toBeLessThan(end);
      expect(start).toBeLessThanOrEqual(covered);
      covered = Math.max(covered, end);
      const bytes = cl100k.decodeTokenBytes(encoding.ids[i]);
      const whole = new TextDecoder('utf-8', { fatal: false }).decode(bytes);
      if (!whole.includes('\uFFFD')) expect(text.slice(start, end)).toBe(whole);
    }
    expect(covered).toBe(text.length);
    // '世' is split over two byte-level tokens in cl100k: both get its span
    const world = text.indexOf('世');
    expect(encoding.offsets.filter(([s, e]) => s === world && e === world + 1).length).toBe(2);
  });

  it('encodeBatch encodes each text', () => {
    expect(cl100k.encodeBatch(['a b', 'c'])).toEqual([cl100k.encode('a b'), cl100k.encode('c')]);
  });
});

describe('loading', () => {
  it('loadTiktoken (dynamic import) gives the same cached tokenizer as fromTiktoken', async () => {
    const loaded = await loadTiktoken('cl100k_base');
    expect(loaded).toBe(cl100k);
    const p50k = await loadTiktoken('p50k_base', { cache: false });
    expect(p50k.encode('hello world')).toEqual(fromTiktoken('p50k_base').encode('hello world'));
    await expect(loadTiktoken('nope' as 'gpt2')).rejects.toThrow(InvalidArgumentError);
  });
});

describe('custom encodings and the .tiktoken format', () => {
  const r50k = fromTiktoken('r50k_base');
  const toBase64 = (bytes: Uint8Array): string => Buffer.from(bytes).toString('base64');
  const file = Array.from({ length: 50256 }, (_, id) => `${toBase64(r50k.decodeTokenBytes(id))} ${id}`).join('\n') + '\n';

  it('parses a .tiktoken file and encodes like the built-in encoding', () => {
    const parsed = parseTiktokenBpeFile(file);
    expect(parsed.length).toBe(50256);
    expect(Array.from(parsed[256][0])).toEqual(Array.from(r50k.decodeTokenBytes(256)));
    const custom = fromTiktokenRanks({ ranks: file, pattern: TIKTOKEN_PATTERNS.r50k, specialTokens: { '<|endoftext|>': 50256 } });
    const text = mobyDick().slice(0, 20_000);
    expect(custom.encode(text)).toEqual(r50k.encode(text));
    const fromPairs = fromTiktokenRanks({ ranks: parsed, pattern: TIKTOKEN_PATTERNS.r50k });
    expect(fromPairs.encode(text)).toEqual(r50k.encode(text));
  });

  it('rejects malformed .tiktoken lines with TokenizerFormatError naming the line', () => {
    for (const bad of ['IQ== 0\nnot-base64! 1\n', 'IQ== 0\nIg==\n', 'IQ== x\n', 'IQ== 0\nIQ== 1\n', 'IQ== 0\nIg== 0\n']) {
      let error: unknown;
      try {
        fromTiktokenRanks({ ranks: bad, pattern: TIKTOKEN_PATTERNS.r50k });
      } catch (e) {
        error = e;
      }
      expect(error, bad).toBeInstanceOf(TokenizerFormatError);
    }
    expect(() => parseTiktokenBpeFile('IQ== 0\n@@ 1')).toThrow(expect.objectContaining({ path: 'line2' }));
  });

  it('throws TokenizerFormatError when the ranks cannot encode a byte', () => {
    const tiny = fromTiktokenRanks({
      ranks: [
        [new Uint8Array([97]), 0],
        ['b', 1],
        ['ab', 2],
      ],
      pattern: TIKTOKEN_PATTERNS.r50k,
    });
    expect(tiny.encode('ab')).toEqual([2]);
    expect(tiny.encode('aab')).toEqual([0, 2]);
    expect(() => tiny.encode('abc')).toThrow(TokenizerFormatError);
  });

  it('rejects a special id that is also a rank, and an unknown encoding name', () => {
    expect(() => fromTiktokenRanks({ ranks: [['a', 0]], pattern: 'a', specialTokens: { '<s>': 0 } })).toThrow(TokenizerFormatError);
    expect(() => fromTiktoken('cl200k' as 'gpt2')).toThrow(InvalidArgumentError);
  });
});

describe('pattern translation', () => {
  it('expands (?i:...) with Unicode case folding and uses White_Space for \\s', () => {
    const re = tiktokenPatternToRegExp(TIKTOKEN_PATTERNS.cl100k);
    expect("I'LL we'Ve it'ſ".match(re)).toEqual(['I', "'LL", ' we', "'Ve", ' it', "'ſ"]);
    expect('a\uFEFFb'.match(re)).toEqual(['a', '\uFEFFb']);
    expect('a\u0085b'.match(re)).toEqual(['a', '\u0085b']);
  });

  it('rejects possessive quantifiers and other inline flags', () => {
    expect(() => tiktokenPatternToRegExp('\\p{L}++')).toThrow(TokenizerFormatError);
    expect(() => tiktokenPatternToRegExp('(?x)a')).toThrow(TokenizerFormatError);
    expect(() => tiktokenPatternToRegExp('(')).toThrow(TokenizerFormatError);
  });
});
