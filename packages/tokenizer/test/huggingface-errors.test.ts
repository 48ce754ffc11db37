// Malformed tokenizer.json: typed TokenizerFormatError naming the JSON path, and a seeded fuzz test
// (thousands of mutated small tokenizer.json files) that never crashes with another error or hangs.
import { describe, expect, it } from 'vitest';
import { TokenizerFormatError } from '../src/errors.js';
import { fromHuggingFace } from '../src/huggingface/index.js';
import { rng } from './corpora.js';
import { BYTE_TO_CHAR } from '../src/huggingface/byte-level.js';

type Json = Record<string, unknown>;

function byteLevelBpe(): Json {
  const vocab: Record<string, number> = {};
  BYTE_TO_CHAR.forEach((c, b) => (vocab[c] = b));
  const merges = [['Ġ', 't'], ['Ġt', 'h'], ['Ġth', 'e'], ['h', 'e'], ['l', 'l'], ['he', 'll'], ['hell', 'o']];
  for (const [a, b] of merges) vocab[a! + b!] = Object.keys(vocab).length;
  vocab['<|end|>'] = Object.keys(vocab).length;
  return {
    version: '1.0',
    added_tokens: [{ id: vocab['<|end|>'], content: '<|end|>', single_word: false, lstrip: false, rstrip: false, normalized: false, special: true }],
    normalizer: {
      type: 'Sequence',
      normalizers: [{ type: 'NFC' }, { type: 'Replace', pattern: { Regex: '\\s{3,}' }, content: '  ' }, { type: 'Strip', strip_left: false, strip_right: true }],
    },
    pre_tokenizer: {
      type: 'Sequence',
      pretokenizers: [
        { type: 'Split', pattern: { Regex: "(?i:'s|'ll)|\\p{L}++|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+" }, behavior: 'Isolated', invert: false },
        { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: 'Sequence',
      processors: [
        { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
        {
          type: 'TemplateProcessing',
          single: [{ Sequence: { id: 'A', type_id: 0 } }, { SpecialToken: { id: '<|end|>', type_id: 0 } }],
          pair: [],
          special_tokens: { '<|end|>': { id: '<|end|>', ids: [vocab['<|end|>']], tokens: ['<|end|>'] } },
        },
      ],
    },
    decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: { type: 'BPE', dropout: null, unk_token: null, continuing_subword_prefix: null, end_of_word_suffix: null, fuse_unk: false, byte_fallback: false, ignore_merges: true, vocab, merges: merges.map(([a, b]) => `${a} ${b}`) },
  };
}

function wordPiece(): Json {
  const vocab: Record<string, number> = {};
  for (const t of ['[UNK]', '[CLS]', '[SEP]', 'the', 'hello', '##s', '##ing', 'a', 'b', 'c', '##a', '##b', ',', '.']) vocab[t] = Object.keys(vocab).length;
  return {
    added_tokens: [{ id: 1, content: '[CLS]', special: true }, { id: 2, content: '[SEP]', special: true }],
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: { type: 'BertProcessing', sep: ['[SEP]', 2], cls: ['[CLS]', 1] },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: { type: 'WordPiece', unk_token: '[UNK]', continuing_subword_prefix: '##', max_input_chars_per_word: 100, vocab },
  };
}

function unigram(): Json {
  const vocab: Array<[string, number]> = [['<unk>', 0], ['▁', -2], ['▁the', -3], ['h', -4], ['e', -4], ['llo', -5], ['▁he', -4.5]];
  for (let b = 0; b < 256; b++) vocab.push([`<0x${b.toString(16).toUpperCase().padStart(2, '0')}>`, -10]);
  return {
    normalizer: { type: 'Sequence', normalizers: [{ type: 'NFKC' }, { type: 'Lowercase' }, { type: 'StripAccents' }, { type: 'Prepend', prepend: '▁' }] },
    pre_tokenizer: { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first', split: true },
    decoder: { type: 'Sequence', decoders: [{ type: 'ByteFallback' }, { type: 'Metaspace', replacement: '▁', prepend_scheme: 'first' }, { type: 'Fuse' }, { type: 'Strip', content: ' ', start: 1, stop: 0 }] },
    model: { type: 'Unigram', unk_id: 0, byte_fallback: true, vocab },
  };
}

function wordLevel(): Json {
  return {
    normalizer: { type: 'NFD' },
    pre_tokenizer: { type: 'Sequence', pretokenizers: [{ type: 'WhitespaceSplit' }, { type: 'Digits', individual_digits: true }, { type: 'Punctuation', behavior: 'Contiguous' }] },
    decoder: { type: 'Replace', pattern: { String: '_' }, content: ' ' },
    model: { type: 'WordLevel', unk_token: '<unk>', vocab: { '<unk>': 0, the: 1, whale: 2 } },
  };
}

function expectFormatError(input: unknown, path: string | RegExp, message?: RegExp): void {
  let caught: unknown;
  try {
    fromHuggingFace(input as object);
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(TokenizerFormatError);
  const e = caught as TokenizerFormatError;
  if (typeof path === 'string') expect(e.path).toBe(path);
  else expect(e.path).toMatch(path);
  expect(e.message).toContain(e.path);
  if (message) expect(e.message).toMatch(message);
}

describe('malformed tokenizer.json', () => {
  it('truncated JSON text', () => {
    const text = JSON.stringify(byteLevelBpe());
    expectFormatError(text.slice(0, text.length / 2), '$', /invalid JSON/);
  });

  it('wrong types name the JSON path', () => {
    const bpe = byteLevelBpe();
    (bpe.model as Json).vocab = 'nope';
    expectFormatError(bpe, '$.model.vocab');
    const wp = wordPiece();
    (wp.model as Json).max_input_chars_per_word = 'many';
    expectFormatError(wp, '$.model.max_input_chars_per_word');
    const added = byteLevelBpe();
    (added.added_tokens as Json[])[0]!.id = 'x';
    expectFormatError(added, '$.added_tokens[0].id');
    const pre = byteLevelBpe();
    ((pre.pre_tokenizer as Json).pretokenizers as Json[])[1]!.add_prefix_space = 3;
    expectFormatError(pre, '$.pre_tokenizer.pretokenizers[1].add_prefix_space');
  });

  it('merges referencing unknown tokens', () => {
    const bpe = byteLevelBpe();
    const merges = (bpe.model as Json).merges as string[];
    merges.push('Ġzzz q');
    expectFormatError(bpe, `$.model.merges[${merges.length - 1}]`, /not in the vocabulary/);
    const pairs = byteLevelBpe();
    (pairs.model as Json).merges = [['h', 'e'], ['e', 'missing']];
    expectFormatError(pairs, '$.model.merges[1]', /"missing"/);
  });

  it('unknown component types list the supported ones', () => {
    const bpe = byteLevelBpe();
    ((bpe.normalizer as Json).normalizers as Json[])[1] = { type: 'Shout' };
    expectFormatError(bpe, '$.normalizer.normalizers[1].type', /supported: .*BertNormalizer.*NFC/);
    const dec = wordPiece();
    dec.decoder = { type: 'Telepathy' };
    expectFormatError(dec, '$.decoder.type', /supported: .*ByteFallback/);
    const model = wordPiece();
    (model.model as Json).type = 'Markov';
    expectFormatError(model, '$.model.type', /supported: BPE, Unigram, WordLevel, WordPiece/);
  });

  it('Precompiled charsmaps that are garbage load or fail with TokenizerFormatError, never crash', () => {
    const random = rng(7);
    for (let i = 0; i < 300; i++) {
      const bytes = new Uint8Array(4 + Math.floor(random() * 64));
      for (let k = 0; k < bytes.length; k++) bytes[k] = Math.floor(random() * 256);
      if (random() < 0.7) new DataView(bytes.buffer).setUint32(0, 4 * Math.floor(random() * ((bytes.length - 4) / 4 + 1)), true);
      const json = wordLevel();
      json.normalizer = { type: 'Precompiled', precompiled_charsmap: Buffer.from(bytes).toString('base64') };
      try {
        const tok = fromHuggingFace(json);
        tok.encodeWithOffsets('héllo ﬁ ① 日本 👍🏽');
      } catch (error) {
        expect(error).toBeInstanceOf(TokenizerFormatError);
      }
    }
  });

  it('a missing file is a TokenizerFormatError', () => {
    expectFormatError('/nonexistent/tokenizer.json', '$', /cannot read/);
  });
});


const ODD_STRINGS = ['', 'BPE', 'Precompiled', 'Metaspace', 'Unigram', 'Sequence', 'Regex', '(', '\\', '[a-', 'a++', '(?i:x', '\\p{Foo}', '▁', '<0xZZ>', 'Isolated', 'removed', 'first', '##'];
const ODD_VALUES: unknown[] = [null, true, false, 0, -1, 1.5, 2 ** 31, 1e12, [], {}, [[]], { type: 'BPE' }, { String: ' ' }, { Regex: '(' }];

function mutate(root: Json, random: () => number): void {
  const nodes: Array<{ parent: Json | unknown[]; key: string | number }> = [];
  const walk = (value: unknown, depth: number) => {
    if (depth > 6 || nodes.length > 3000) return;
    if (Array.isArray(value)) {
      value.forEach((v, i) => {
        if (i < 30) {
          nodes.push({ parent: value, key: i });
          walk(v, depth + 1);
        }
      });
    } else if (value && typeof value === 'object') {
      for (const k of Object.keys(value).slice(0, 300)) {
        nodes.push({ parent: value as Json, key: k });
        walk((value as Json)[k], depth + 1);
      }
    }
  };
  walk(root, 0);
  const target = nodes[Math.floor(random() * nodes.length)];
  if (!target) return;
  const parent = target.parent as Record<string | number, unknown>;
  const current = parent[target.key];
  const r = random();
  if (r < 0.2) {
    if (Array.isArray(target.parent)) target.parent.splice(target.key as number, 1);
    else delete parent[target.key];
  } else if (r < 0.45 && typeof current === 'string') {
    const pos = Math.floor(random() * (current.length + 1));
    const insert = ODD_STRINGS[Math.floor(random() * ODD_STRINGS.length)]!;
    parent[target.key] = random() < 0.5 ? current.slice(0, pos) + insert + current.slice(pos) : current.slice(0, pos);
  } else if (r < 0.6) {
    parent[target.key] = ODD_STRINGS[Math.floor(random() * ODD_STRINGS.length)];
  } else if (r < 0.85) {
    parent[target.key] = structuredClone(ODD_VALUES[Math.floor(random() * ODD_VALUES.length)]);
  } else if (typeof current === 'number') {
    parent[target.key] = Math.floor(random() * 600) - 5;
  } else {
    const other = nodes[Math.floor(random() * nodes.length)]!;
    parent[target.key] = structuredClone((other.parent as Record<string | number, unknown>)[other.key]);
  }
}

describe('fuzz: mutated tokenizer.json', () => {
  it('never throws anything but TokenizerFormatError and never hangs', () => {
    const random = rng(Number(process.env.LLMKIT_FUZZ_SEED ?? 20240611));
    const bases = [byteLevelBpe(), wordPiece(), unigram(), wordLevel()];
    const texts = ["Hello the world, it's 1234 héllo<|end|>   ", '', '日本語 👍🏽\n\t x'];
    const iterations = Number(process.env.LLMKIT_FUZZ_ITERATIONS ?? 3000);
    let loaded = 0;
    let slowest = 0;
    for (let i = 0; i < iterations; i++) {
      const json = structuredClone(bases[i % bases.length]!);
      const n = 1 + Math.floor(random() * 3);
      for (let k = 0; k < n; k++) mutate(json, random);
      let input: string | Json = json;
      if (random() < 0.1) {
        const text = JSON.stringify(json);
        input = text.slice(0, Math.floor(random() * text.length));
      }
      const t0 = performance.now();
      try {
        const tok = fromHuggingFace(input);
        loaded++;
        for (const text of texts) {
          const enc = tok.encodeWithOffsets(text);
          expect(tok.encode(text, { addSpecialTokens: false, allowedSpecial: [] })).toBeInstanceOf(Array);
          tok.decode(enc.ids);
          tok.decode([0, 1, 2, 99999, -1], { skipSpecialTokens: true });
        }
      } catch (error) {
        if (!(error instanceof TokenizerFormatError)) {
          throw new Error(`iteration ${i}: ${String(error)}\n${JSON.stringify(input).slice(0, 2000)}`, { cause: error });
        }
      }
      slowest = Math.max(slowest, performance.now() - t0);
    }
    expect(loaded).toBeGreaterThan(iterations / 10);
    expect(slowest).toBeLessThan(2000);
  });
});
