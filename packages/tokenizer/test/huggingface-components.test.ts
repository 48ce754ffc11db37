// Component-level parity with the Rust binding on small synthetic tokenizer.json files: every Split
// behavior x invert x pattern (Oniguruma syntax: (?i:...), possessive quantifiers, \s), Metaspace
// prepend schemes, ByteLevel options, Digits, Punctuation, added-token flags (lstrip, rstrip,
// single_word, normalized, special) and the allowedSpecial safe mode.
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { BYTE_TO_CHAR } from '../src/huggingface/byte-level.js';
import { fromHuggingFace, translateOnigurumaPattern } from '../src/huggingface/index.js';
import { utf16Offsets } from './huggingface-corpus.js';

const require = createRequire(import.meta.url);
interface RustTokenizer {
  encode(text: string, pair: null, options: { addSpecialTokens: boolean }): Promise<{ getIds(): number[]; getOffsets(): number[][] }>;
}
const { Tokenizer } = require('tokenizers') as { Tokenizer: { fromString(s: string): RustTokenizer } };

const TEXTS = [
  "Hello world, THE theme and ANDROID's 12345 apples!!  They'LL see... a++b",
  '  leading and trailing  ',
  'naïve café — 日本語 テキスト 👍🏽 ok\tTab\nNewline\r\n  x',
  '<special> inside<special>text [ADD] a[ADD]b  [ADD]  word',
  '',
];

function wordLevel(preTokenizer: unknown, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    version: '1.0',
    added_tokens: [],
    normalizer: null,
    pre_tokenizer: preTokenizer,
    post_processor: null,
    decoder: null,
    model: { type: 'WordLevel', vocab: { '[UNK]': 0, the: 1, and: 2 }, unk_token: '[UNK]' },
    ...extra,
  };
}


async function expectSameAsRust(json: Record<string, unknown>, label: string): Promise<void> {
  const source = JSON.stringify(json);
  const ref = Tokenizer.fromString(source);
  const ours = fromHuggingFace(source);
  for (const text of TEXTS) {
    for (const addSpecialTokens of [true, false]) {
      const e = await ref.encode(text, null, { addSpecialTokens });
      const got = ours.encodeWithOffsets(text, { addSpecialTokens });
      expect({ label, text, ids: got.ids, offsets: got.offsets }).toEqual({ label, text, ids: e.getIds(), offsets: utf16Offsets(text, e.getOffsets()) });
    }
  }
}

describe('pre-tokenizers match HF', () => {
  const patterns = [
    { Regex: "(?i:the|and|'ll)" },
    { Regex: '\\p{L}++' },
    { Regex: '[aeiou]*+' },
    { Regex: '\\s+(?!\\S)|\\s+' },
    { Regex: '\\p{N}{1,3}' },
    { Regex: '.' },
    { String: ' ' },
    { String: 'the' },
  ];
  const behaviors = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];
  it('Split: every behavior, invert, string and Oniguruma regex patterns', async () => {
    for (const pattern of patterns) {
      for (const behavior of behaviors) {
        for (const invert of [false, true]) {
          await expectSameAsRust(wordLevel({ type: 'Split', pattern, behavior, invert }), `${JSON.stringify(pattern)} ${behavior} ${invert}`);
        }
      }
    }
  });

  it('Metaspace, ByteLevel, Whitespace, WhitespaceSplit, BertPreTokenizer, Digits, Punctuation', async () => {
    const configs: unknown[] = [
      ...['always', 'first', 'never'].flatMap((prepend_scheme) =>
        [true, false].map((split) => ({ type: 'Metaspace', replacement: '▁', prepend_scheme, split })),
      ),
      ...[true, false].flatMap((add_prefix_space) =>
        [true, false].map((use_regex) => ({ type: 'ByteLevel', add_prefix_space, trim_offsets: true, use_regex })),
      ),
      { type: 'Whitespace' },
      { type: 'WhitespaceSplit' },
      { type: 'BertPreTokenizer' },
      { type: 'Digits', individual_digits: true },
      { type: 'Digits', individual_digits: false },
      ...behaviors.map((behavior) => ({ type: 'Punctuation', behavior })),
      { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }] },
    ];
    for (const config of configs) await expectSameAsRust(wordLevel(config), JSON.stringify(config));
  });
});

describe('post-processors match HF', () => {
  function byteLevelBpe(postProcessor: unknown): Record<string, unknown> {
    const vocab: Record<string, number> = {};
    BYTE_TO_CHAR.forEach((c, b) => (vocab[c] = b));
    const merges = [['Ġ', 't'], ['Ġt', 'h'], ['Ġth', 'e'], ['Ġ', 'Ġ'], ['ĠĠ', 'Ġ'], ['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o'], ['Ġ', 'a']];
    for (const [a, b] of merges) vocab[a! + b!] = Object.keys(vocab).length;
    vocab['<s>'] = Object.keys(vocab).length;
    vocab['</s>'] = Object.keys(vocab).length;
    return {
      added_tokens: [
        { id: vocab['<s>'], content: '<s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false },
        { id: vocab['</s>'], content: '</s>', special: true, single_word: false, lstrip: false, rstrip: false, normalized: false },
      ],
      normalizer: null,
      pre_tokenizer: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      post_processor: postProcessor,
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
    };
  }
  it('ByteLevel and RobertaProcessing offset trimming, BertProcessing', async () => {
    for (const trim_offsets of [true, false]) {
      for (const add_prefix_space of [true, false]) {
        await expectSameAsRust(byteLevelBpe({ type: 'ByteLevel', add_prefix_space, trim_offsets, use_regex: true }), `ByteLevel ${trim_offsets} ${add_prefix_space}`);
        await expectSameAsRust(byteLevelBpe({ type: 'RobertaProcessing', sep: ['</s>', 267], cls: ['<s>', 266], add_prefix_space, trim_offsets }), `Roberta ${trim_offsets} ${add_prefix_space}`);
      }
    }
    await expectSameAsRust(byteLevelBpe({ type: 'BertProcessing', sep: ['</s>', 267], cls: ['<s>', 266] }), 'Bert');
  });
});

describe('added tokens match HF', () => {
  it('lstrip, rstrip, single_word, normalized, special', async () => {
    for (const flags of [
      { lstrip: true, rstrip: false, single_word: false, normalized: false },
      { lstrip: false, rstrip: true, single_word: false, normalized: false },
      { lstrip: true, rstrip: true, single_word: false, normalized: true },
      { lstrip: false, rstrip: false, single_word: true, normalized: false },
      { lstrip: false, rstrip: false, single_word: true, normalized: true },
    ]) {
      for (const special of [true, false]) {
        const json = wordLevel(
          { type: 'WhitespaceSplit' },
          {
            normalizer: { type: 'Lowercase' },
            added_tokens: [
              { id: 3, content: '<special>', special, ...flags },
              { id: 4, content: '[ADD]', special: !special, ...flags },
              { id: 5, content: 'word', special: false, ...flags },
            ],
            post_processor: {
              type: 'TemplateProcessing',
              single: [{ SpecialToken: { id: '<special>', type_id: 0 } }, { Sequence: { id: 'A', type_id: 0 } }],
              pair: [{ Sequence: { id: 'A', type_id: 0 } }, { Sequence: { id: 'B', type_id: 1 } }],
              special_tokens: { '<special>': { id: '<special>', ids: [3], tokens: ['<special>'] } },
            },
          },
        );
        await expectSameAsRust(json, JSON.stringify({ ...flags, special }));
      }
    }
  });

  it('allowedSpecial: [] encodes special tokens in the text as ordinary text (safe mode)', () => {
    const tok = fromHuggingFace(join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'node_modules', '@lenml', 'tokenizer-llama3', 'models', 'tokenizer.json'));
    const text = 'Hi <|eot_id|> there';
    const eot = tok.tokenToId('<|eot_id|>')!;
    expect(tok.encode(text)).toContain(eot);
    const safe = tok.encode(text, { allowedSpecial: [] });
    expect(safe).not.toContain(eot);
    expect(tok.decode(safe)).toBe(text);
    expect(tok.encode(text, { allowedSpecial: ['<|eot_id|>'] })).toContain(eot);
    expect(tok.encode(text, { disallowedSpecial: ['<|eot_id|>'] })).not.toContain(eot);
    expect(tok.specialTokens.get('<|eot_id|>')).toBe(eot);
    expect(tok.vocabSize).toBe(128256);
    expect(tok.countTokens(text)).toBe(tok.encode(text).length);
    expect(tok.encodeBatch([text, 'x'])).toEqual([tok.encode(text), tok.encode('x')]);
  });
});

describe('translateOnigurumaPattern', () => {
  it('scoped case-insensitivity and possessive quantifiers', () => {
    const ci = new RegExp(translateOnigurumaPattern("(?i:'s|'ll)x"), 'u');
    expect(ci.test("'Sx")).toBe(true);
    expect(ci.test("'LLx")).toBe(true);
    expect(ci.test("'LLX")).toBe(false);
    const possessive = new RegExp(`^${translateOnigurumaPattern('a*+a')}$`, 'u');
    expect(possessive.test('aaa')).toBe(false);
    const plus = new RegExp(translateOnigurumaPattern('[ab]++c'), 'u');
    expect(plus.exec('xababc')?.[0]).toBe('ababc');
    expect(new RegExp(translateOnigurumaPattern('\\s'), 'u').test('\uFEFF')).toBe(false);
    expect(new RegExp(translateOnigurumaPattern('\\s'), 'u').test('\u0085')).toBe(true);
  });
});
