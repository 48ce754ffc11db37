// The stream decoder over SentencePiece-style tokenizers (Metaspace / byte-fallback decoders, which
// strip the leading space of a text and build characters from <0xNN> byte tokens). A test double over
// the @huggingface/tokenizers JS package's decode, for the real Llama 2 and Gemma 3 tokenizer.json.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Tokenizer as HfTokenizer } from '@huggingface/tokenizers';
import { describe, expect, it } from 'vitest';
import type { DecodeOptions, Encoding, EncodeOptions, Tokenizer } from '../src/types.js';
import { checkPieces, mobyDick, rng, STRESS, stream } from './streaming-helpers.js';

const require = createRequire(import.meta.url);

function load(model: string): Tokenizer {
  const dir = `@lenml/tokenizer-${model}/models/`;
  const json = JSON.parse(readFileSync(require.resolve(dir + 'tokenizer.json'), 'utf8')) as Record<string, unknown>;
  const config = JSON.parse(readFileSync(require.resolve(dir + 'tokenizer_config.json'), 'utf8')) as Record<string, unknown>;
  const hf = new HfTokenizer(json, config);
  const unsupported = (): never => {
    throw new Error('not part of this test double');
  };
  return {
    vocabSize: 0,
    specialTokens: new Map(),
    encode: (text: string, options?: EncodeOptions) => hf.encode(text, { add_special_tokens: options?.addSpecialTokens ?? false }).ids,
    decode: (ids: ArrayLike<number>, options?: DecodeOptions) =>
      hf.decode(Array.from(ids), { skip_special_tokens: options?.skipSpecialTokens ?? false }),
    encodeWithOffsets: (): Encoding => unsupported(),
    encodeBatch: () => unsupported(),
    countTokens: () => unsupported(),
    tokenToId: (token: string) => hf.token_to_id(token),
    idToToken: (id: number) => hf.id_to_token(id),
  };
}

const text = mobyDick(12_000) + STRESS.repeat(2);

for (const model of ['llama2', 'gemma3']) {
  describe(`stream decoder over ${model} (SentencePiece decoders)`, () => {
    const tokenizer = load(model);
    const ids = tokenizer.encode(text);
    const expected = tokenizer.decode(ids);

    it('one id at a time: pieces concatenate to the full decode, no transient U+FFFD', () => {
      expect(ids.length).toBeGreaterThan(1000);
      const pieces = stream(tokenizer, ids, () => 1);
      checkPieces(pieces, expected);
      expect(pieces.some((p) => p.includes('\uFFFD'))).toBe(expected.includes('\uFFFD'));
    });

    it('random chunks', () => {
      const random = rng(13);
      checkPieces(stream(tokenizer, ids, () => 1 + Math.floor(random() * 9)), expected);
    });
  });
}
