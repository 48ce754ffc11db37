/**
 * Tokenizers in GGUF metadata, both directions, following the reference tools:
 *
 * - export (a Hugging Face tokenizer.json -> `tokenizer.ggml.*`): byte-level BPE as
 *   convert_hf_to_gguf.py's `_set_vocab_gpt2` (model `gpt2`, tokens in byte-level spelling, merges,
 *   `tokenizer.ggml.pre` from the pre-tokenizer regex); SentencePiece-style vocabularies (BPE with
 *   `byte_fallback` and `▁` for spaces, as Llama 2 / Mistral / Gemma; or Unigram) as
 *   `_set_vocab_sentencepiece` / gguf-py's `LlamaHfVocab` (model `llama`, tokens with `▁` and
 *   `<0xXX>`, float32 scores, token types, `add_space_prefix`).
 * - import (`tokenizer.ggml.*` -> a tokenizer.json object for `fromHuggingFace`), as transformers'
 *   integrations/ggml.py (`GGUFGPTConverter`, `GGUFLlamaConverter`), but so that the result tokenizes
 *   as llama.cpp's own tokenizer does (llama-vocab.cpp): the `gpt2` pre-tokenizer is llama.cpp's
 *   regex list for `tokenizer.ggml.pre`, and a `llama` vocabulary becomes a byte-fallback BPE whose
 *   merges are every split of every token ranked by the token's score, which is llama.cpp's SPM
 *   algorithm (merge the adjacent pair whose concatenation is the highest-scoring token).
 *
 * llama.cpp's SPM tokenizer has no merge list: `llm_tokenizer_spm_session` starts from UTF-8
 * characters and repeatedly merges the adjacent pair whose concatenation is a token with the highest
 * `score` (ties: leftmost). A BPE tokenizer.json is exported with score(t) = -(rank of the first merge
 * that produces t), so the highest score is the lowest merge rank, as in BPE; tokens no merge produces
 * get -1e9 (merged last). This reproduces the BPE exactly when every way of splitting a token into two
 * tokens is itself a merge (true of converted SentencePiece vocabularies: Llama 2, Mistral); otherwise
 * {@link checkGgufTokenizer}'s probe reports the texts that differ.
 */
import { fromHuggingFace, type Tokenizer } from '@llmkit/tokenizer';
import { GgufError } from './errors.js';
import type { GgufValue } from './types.js';

/**
 * llama.cpp `llama_token_type` values written to `tokenizer.ggml.token_type`.
 * @example
 * LLAMA_TOKEN_TYPE.CONTROL; // 3: a special token, matched in text only when special tokens are parsed
 */
export const LLAMA_TOKEN_TYPE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

/** Score of a token that no merge produces (merged after every token a merge produces). */
export const GGUF_UNREACHABLE_SCORE = -1e9;

type Json = Record<string, unknown>;
type Meta = ReadonlyMap<string, GgufValue>;

const SPACE = '\u2581';
const BYTE_TOKEN = /^<0x[0-9A-Fa-f]{2}>$/;
const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
const str = (value: string): GgufValue => ({ type: 'string', value });
const bool = (value: boolean): GgufValue => ({ type: 'bool', value });

// ---------------------------------------------------------------------------------------------
// Pre-tokenizers: llama.cpp's regex lists per `tokenizer.ggml.pre` (llama-vocab.cpp,
// llm_tokenizer_bpe), in the original tokenizer.json (Oniguruma) form where llama.cpp adapted them.
// llama.cpp applies the list in order, each regex splitting the pieces of the previous one and keeping
// unmatched text as pieces: a Sequence of Split(regex, Isolated) does the same.
// ---------------------------------------------------------------------------------------------

const GPT2_REGEX = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)";
const LLAMA3_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";
const QWEN2_REGEX = "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** How llama.cpp pre-tokenizes a `gpt2` vocabulary with a given `tokenizer.ggml.pre`. */
export interface PreTokenizerSpec {
  /** Regexes applied in order; `null` = GPT-2's regex inside ByteLevel (use_regex). */
  regexes: string[] | null;
  /** llama.cpp sets `ignore_merges` (a word that is a token is taken whole). */
  ignoreMerges?: boolean;
  /** llama.cpp's default `add_bos` for this pre-tokenizer when the file does not say. */
  addBos?: boolean;
}

const LLAMA3: PreTokenizerSpec = { regexes: [LLAMA3_REGEX], ignoreMerges: true, addBos: true };
const QWEN2: PreTokenizerSpec = { regexes: [QWEN2_REGEX] };
const GPT2: PreTokenizerSpec = { regexes: null };
const DEFAULT: PreTokenizerSpec = { regexes: ['[\\p{P}\\$\\+<=>\\^~\\|]+', GPT2_REGEX, '\\p{N}+', '[0-9][0-9][0-9]'] };
const STARCODER: PreTokenizerSpec = { regexes: ['\\p{N}', GPT2_REGEX] };

/**
 * `tokenizer.ggml.pre` values loadGGUF rebuilds, with llama.cpp's regexes for each (applied in order,
 * each splitting the pieces of the previous one; `regexes: null` is GPT-2's split inside ByteLevel).
 * @example
 * GGUF_PRE_TOKENIZERS['llama-bpe'].ignoreMerges; // true, as llama.cpp sets for Llama 3
 */
export const GGUF_PRE_TOKENIZERS: Readonly<Record<string, PreTokenizerSpec>> = {
  default: DEFAULT,
  'gpt-2': GPT2,
  'phi-2': GPT2,
  mpt: GPT2,
  olmo: GPT2,
  llama3: LLAMA3,
  'llama-v3': LLAMA3,
  'llama-bpe': LLAMA3,
  falcon3: LLAMA3,
  pixtral: LLAMA3,
  dbrx: { regexes: [LLAMA3_REGEX] },
  'smaug-bpe': { regexes: [LLAMA3_REGEX] },
  qwen2: QWEN2,
  'deepseek-r1-qwen': QWEN2,
  stablelm2: QWEN2,
  starcoder: STARCODER,
  refact: STARCODER,
  'command-r': STARCODER,
  smollm: STARCODER,
};

/**
 * Token texts llama.cpp retypes as CONTROL when it loads a vocabulary (llama-vocab.cpp: the EOT, EOM, FIM
 * and end-of-generation detection "by text"): a token with such a text that is not CONTROL in the file
 * is then no longer matched in text when special tokens are not parsed.
 */
export const LLAMA_CPP_CONTROL_BY_TEXT: ReadonlySet<string> = new Set([
  '<|eot_id|>', '<|im_end|>', '<|end|>', '<|return|>', '<|call|>', '<|flush|>', '<|calls|>', '<end_of_turn>', '<|endoftext|>',
  '</s>', '<|eom_id|>', '<EOT>', '_<EOT>', '[EOT]', '[EOS]', '<|end_of_text|>', '<end_of_utterance>', '<eos>', '<turn|>',
  '<|tool_response>', '<｜end▁of▁sentence｜>', '[e~[',
  '<|fim_prefix|>', '<fim-prefix>', '<fim_prefix>', '<｜fim▁begin｜>', '<PRE>', '▁<PRE>', '<|code_prefix|>', '<|prefix|>',
  '<|fim_suffix|>', '<fim-suffix>', '<fim_suffix>', '<｜fim▁hole｜>', '<SUF>', '▁<SUF>', '<|code_suffix|>', '<|suffix|>',
  '<|fim_middle|>', '<fim-middle>', '<fim_middle>', '<｜fim▁end｜>', '<MID>', '▁<MID>', '<|code_middle|>', '<|middle|>',
  '<|fim_pad|>', '<fim-pad>', '<fim_pad>', '<PAD>', '[PAD]', '<|fim_repo|>', '<|repo_name|>', '<fim-repo>', '<REPO>', '<reponame>', '<|file_sep|>',
]);

/** Every `tokenizer.ggml.model` llama.cpp knows (llama-vocab.cpp `load`); others are malformed. */
const LLAMA_CPP_MODELS = new Set(['no_vocab', 'none', 'llama', 'gpt2', 'bert', 't5', 'rwkv', 'plamo2', 'gemma4', 'hybriddna', 'whitespace']);

// ---------------------------------------------------------------------------------------------
// Export
// ---------------------------------------------------------------------------------------------

/** What the exporter knows besides tokenizer.json. */
export interface TokenizerExportContext {
  vocabSize: number;
  bosTokenId?: number;
  eosTokenId?: number;
  padTokenId?: number;
  tokenizerConfig?: Record<string, unknown>;
}

/** llama.cpp's tokenizer.json regexes for byte-level BPE, recognised from the Split pattern. */
const PRE_TOKENIZER_PATTERNS: ReadonlyArray<readonly [string, string]> = [
  // Llama 3 / tiktoken cl100k (GPT-4): Oniguruma form and llmkit's trainBpe JS form.
  [LLAMA3_REGEX, 'llama-bpe'],
  ["('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+", 'llama-bpe'],
  // Qwen2: single digits.
  [QWEN2_REGEX, 'qwen2'],
  // GPT-2.
  ["'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+", 'gpt-2'],
];

function steps(component: unknown, listKey: string): Json[] {
  if (!component || typeof component !== 'object') return [];
  const c = component as Json;
  if (c.type === 'Sequence' && Array.isArray(c[listKey])) return (c[listKey] as unknown[]).flatMap((s) => steps(s, listKey));
  return [c];
}

function preTokenizerName(json: Json): string | undefined {
  for (const step of steps(json.pre_tokenizer, 'pretokenizers')) {
    if (step.type === 'ByteLevel' && step.use_regex !== false) return 'gpt-2';
    if (step.type === 'Split') {
      const pattern = (step.pattern as { Regex?: string } | undefined)?.Regex;
      const hit = PRE_TOKENIZER_PATTERNS.find(([p]) => p === pattern);
      if (hit) return hit[1];
    }
  }
  return undefined;
}

const patternString = (p: unknown): string | undefined => (p && typeof p === 'object' ? ((p as Json).String as string | undefined) : undefined);

/** Kind of vocabulary: byte-level BPE, SentencePiece-style (`▁`, byte fallback), or neither. */
function vocabularyKind(json: Json, model: Json): 'gpt2' | 'llama' | 'other' {
  const pre = steps(json.pre_tokenizer, 'pretokenizers');
  const dec = steps(json.decoder, 'decoders');
  if (model.type === 'Unigram') return 'llama';
  if (model.type !== 'BPE') return 'other';
  if (pre.some((s) => s.type === 'ByteLevel') || dec.some((s) => s.type === 'ByteLevel')) return 'gpt2';
  const norm = steps(json.normalizer, 'normalizers');
  const metaspace =
    pre.some((s) => s.type === 'Metaspace') ||
    dec.some((s) => s.type === 'Metaspace' || s.type === 'ByteFallback') ||
    norm.some((s) => (s.type === 'Replace' && patternString(s.pattern) === ' ' && s.content === SPACE) || (s.type === 'Prepend' && s.prepend === SPACE));
  return model.byte_fallback === true || metaspace ? 'llama' : 'gpt2';
}

/** add_bos / add_eos and the ids of those tokens, from the post-processor (what the tokenizer does). */
function specialAdds(json: Json, idOf: (token: string) => number | undefined): { bos?: number; eos?: number; known: boolean } {
  const pp = steps(json.post_processor, 'processors');
  let out: { bos?: number; eos?: number; known: boolean } = { known: false };
  for (const p of pp) {
    if (p.type === 'TemplateProcessing' && Array.isArray(p.single)) {
      const single = p.single as Json[];
      const first = (single[0]?.SpecialToken as Json | undefined)?.id as string | undefined;
      const last = single.length > 1 ? ((single[single.length - 1]?.SpecialToken as Json | undefined)?.id as string | undefined) : undefined;
      const idOfSpecial = (name: string | undefined): number | undefined => {
        if (name === undefined) return undefined;
        const entry = (p.special_tokens as Record<string, Json> | undefined)?.[name];
        const ids = entry?.ids as number[] | undefined;
        return ids?.[0] ?? idOf(name);
      };
      out = { bos: idOfSpecial(first), eos: idOfSpecial(last), known: true };
    } else if (p.type === 'BertProcessing' || p.type === 'RobertaProcessing') {
      const pair = (v: unknown): number | undefined => (Array.isArray(v) ? (v[1] as number) : undefined);
      out = { bos: pair(p.cls), eos: pair(p.sep), known: true };
    }
  }
  return out;
}

/**
 * The `tokenizer.ggml.*` metadata for a Hugging Face tokenizer.json (see the module comment), appended
 * to `meta`. Returns the vocabulary kind written: `gpt2`, `llama` or `no_vocab`.
 */
export function tokenizerToGguf(json: Json, ctx: TokenizerExportContext, meta: Map<string, GgufValue>, warnings: string[]): 'gpt2' | 'llama' | 'no_vocab' {
  const model = (json.model ?? {}) as Json;
  const added = (Array.isArray(json.added_tokens) ? json.added_tokens : []) as { id: number; content: string; special?: boolean }[];
  const addedById = new Map(added.map((a) => [a.id, a] as const));
  const byId = new Map<number, string>();
  const unigram = model.type === 'Unigram' && Array.isArray(model.vocab);
  const unigramScores = new Map<number, number>();
  if (unigram) {
    (model.vocab as [string, number][]).forEach(([piece, score], id) => {
      byId.set(id, piece);
      unigramScores.set(id, score);
    });
  } else if (model.vocab && typeof model.vocab === 'object' && !Array.isArray(model.vocab)) {
    for (const [t, id] of Object.entries(model.vocab as Record<string, number>)) byId.set(id, t);
  } else {
    return 'no_vocab';
  }
  for (const a of added) byId.set(a.id, a.content);
  let maxId = -1;
  for (const k of byId.keys()) if (k > maxId) maxId = k;
  const n = Math.max(ctx.vocabSize, maxId + 1);
  const kind = vocabularyKind(json, model);
  const idOf = new Map<string, number>();
  for (const [id, t] of byId) if (!idOf.has(t)) idOf.set(t, id);

  const unkToken = typeof model.unk_token === 'string' ? model.unk_token : undefined;
  const unkId = unigram ? (typeof model.unk_id === 'number' ? model.unk_id : undefined) : unkToken !== undefined ? idOf.get(unkToken) : undefined;
  const tokens: string[] = [];
  const types: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = byId.get(i);
    const a = addedById.get(i);
    let type: number = LLAMA_TOKEN_TYPE.NORMAL;
    if (t === undefined) type = LLAMA_TOKEN_TYPE.UNUSED;
    else if (kind === 'llama' && i === unkId) type = LLAMA_TOKEN_TYPE.UNKNOWN;
    else if (a) type = a.special ? LLAMA_TOKEN_TYPE.CONTROL : LLAMA_TOKEN_TYPE.USER_DEFINED;
    else if (kind === 'llama' && BYTE_TOKEN.test(t)) type = LLAMA_TOKEN_TYPE.BYTE;
    let text = t ?? `[PAD${i}]`;
    // convert_hf_to_gguf: user-defined SentencePiece tokens are matched in the raw text, so their ▁ are spaces
    if (kind === 'llama' && type === LLAMA_TOKEN_TYPE.USER_DEFINED) text = text.replaceAll(SPACE, ' ');
    tokens.push(text);
    types.push(type);
  }
  const seen = new Map<string, number>();
  tokens.forEach((t, i) => {
    const prev = seen.get(t);
    if (prev !== undefined) throw new GgufError(`exportGGUF: token ${JSON.stringify(t)} has ids ${prev} and ${i}; llama.cpp rejects a vocabulary with duplicate tokens.`, { field: 'tokenizer.ggml.tokens' });
    seen.set(t, i);
  });

  const retyped = tokens.filter((t, i) => types[i] !== LLAMA_TOKEN_TYPE.CONTROL && types[i] !== LLAMA_TOKEN_TYPE.UNUSED && LLAMA_CPP_CONTROL_BY_TEXT.has(t));
  if (retyped.length > 0 && kind !== 'other') {
    warnings.push(
      `llama.cpp retypes ${retyped.map((t) => JSON.stringify(t)).slice(0, 5).join(', ')}${retyped.length > 5 ? ` and ${retyped.length - 5} more` : ''} as control tokens by their text, ` +
        'so with special-token parsing off it does not match them in text as this tokenizer does',
    );
  }

  if (kind === 'other') {
    // WordPiece / WordLevel: llama.cpp's `bert` vocabulary needs a WordPiece-specific layout; token ids only.
    meta.set('tokenizer.ggml.model', str('no_vocab'));
    meta.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens });
    meta.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: types });
    warnings.push(`the ${String(model.type)} vocabulary has no llama.cpp tokenizer this exporter writes; tokenizer.ggml.model is "no_vocab" (llama.cpp takes token ids only)`);
    return 'no_vocab';
  }

  const adds = specialAdds(json, (t) => idOf.get(t));
  let bos = ctx.bosTokenId;
  let eos = ctx.eosTokenId;
  if (adds.bos !== undefined && bos !== undefined && adds.bos !== bos) warnings.push(`the post-processor adds token ${adds.bos} at the start but config.bos_token_id is ${bos}; tokenizer.ggml.bos_token_id is ${bos}`);
  if (adds.eos !== undefined && eos !== undefined && adds.eos !== eos) warnings.push(`the post-processor adds token ${adds.eos} at the end but config.eos_token_id is ${eos}; tokenizer.ggml.eos_token_id is ${eos}`);
  bos ??= adds.bos;
  eos ??= adds.eos;
  for (const [key, flag] of [['add_bos_token', adds.bos !== undefined], ['add_eos_token', adds.eos !== undefined]] as const) {
    const cfg = ctx.tokenizerConfig?.[key];
    if (typeof cfg === 'boolean' && cfg !== flag) warnings.push(`tokenizer_config.${key} is ${cfg} but the tokenizer.json post-processor ${flag ? 'adds' : 'does not add'} it; tokenizer.ggml.${key} follows the post-processor (${flag})`);
  }

  if (kind === 'gpt2') {
    meta.set('tokenizer.ggml.model', str('gpt2'));
    const pre = preTokenizerName(json);
    if (pre === undefined) warnings.push('the tokenizer\'s pre-tokenizer regex is not one llama.cpp knows; tokenizer.ggml.pre is "default" and llama.cpp may split text differently');
    meta.set('tokenizer.ggml.pre', str(pre ?? 'default'));
    meta.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens });
    meta.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: types });
    if (Array.isArray(model.merges)) {
      const merges = (model.merges as unknown[]).map((x) => (Array.isArray(x) ? x.join(' ') : String(x)));
      meta.set('tokenizer.ggml.merges', { type: 'array', itemType: 'string', value: merges });
    }
  } else {
    meta.set('tokenizer.ggml.model', str('llama'));
    meta.set('tokenizer.ggml.pre', str('default'));
    meta.set('tokenizer.ggml.tokens', { type: 'array', itemType: 'string', value: tokens });
    const scores = new Array<number>(n).fill(GGUF_UNREACHABLE_SCORE);
    if (unigram) {
      for (const [id, s] of unigramScores) scores[id] = Math.fround(s);
      warnings.push('Unigram vocabulary: llama.cpp\'s `llama` (SPM) tokenizer merges pieces greedily by score instead of finding the most probable segmentation (Viterbi), so some texts tokenize differently');
    } else {
      // score(t) = -(rank of the first merge producing t): llama.cpp merges the highest score first.
      const merges = Array.isArray(model.merges) ? (model.merges as unknown[]) : [];
      const scored = new Set<number>();
      merges.forEach((m, rank) => {
        const [l, r] = Array.isArray(m) ? (m as [string, string]) : splitMerge(String(m));
        const id = idOf.get(l + r);
        if (id !== undefined && !scored.has(id)) {
          scored.add(id);
          scores[id] = rank === 0 ? 0 : -rank;
        }
      });
      if (merges.length > 1 << 24) warnings.push(`${merges.length} merges: ranks above 2^24 are not exact in float32 scores`);
    }
    meta.set('tokenizer.ggml.scores', { type: 'array', itemType: 'float32', value: scores });
    meta.set('tokenizer.ggml.token_type', { type: 'array', itemType: 'int32', value: types });
    const prefix = addSpacePrefix(json);
    meta.set('tokenizer.ggml.add_space_prefix', bool(prefix));
    const missingBytes = 256 - tokens.filter((t, i) => types[i] === LLAMA_TOKEN_TYPE.BYTE && BYTE_TOKEN.test(t)).length;
    if (missingBytes > 0) {
      warnings.push(
        `the vocabulary lacks ${missingBytes} of the 256 <0xXX> byte tokens: llama.cpp's SPM tokenizer falls back to bytes for characters outside the vocabulary and fails (std::out_of_range) on such text`,
      );
    }
    for (const step of steps(json.normalizer, 'normalizers')) {
      const spaceReplace = step.type === 'Replace' && patternString(step.pattern) === ' ' && step.content === SPACE;
      const prepend = step.type === 'Prepend' && step.prepend === SPACE;
      if (!spaceReplace && !prepend) warnings.push(`normalizer ${String(step.type)} is not representable: llama.cpp's SPM tokenizer only replaces spaces with ▁ (and prepends one when add_space_prefix)`);
    }
    for (const step of steps(json.pre_tokenizer, 'pretokenizers')) {
      const gemmaSplit = step.type === 'Split' && patternString(step.pattern) === ' ';
      if (step.type !== 'Metaspace' && !gemmaSplit) warnings.push(`pre-tokenizer ${String(step.type)} is not representable: llama.cpp's SPM tokenizer does not split the text before merging`);
    }
    if (unkId !== undefined) meta.set('tokenizer.ggml.unknown_token_id', u32(unkId));
  }
  if (bos !== undefined) meta.set('tokenizer.ggml.bos_token_id', u32(bos));
  if (eos !== undefined) meta.set('tokenizer.ggml.eos_token_id', u32(eos));
  if (ctx.padTokenId !== undefined) meta.set('tokenizer.ggml.padding_token_id', u32(ctx.padTokenId));
  meta.set('tokenizer.ggml.add_bos_token', bool(adds.bos !== undefined));
  meta.set('tokenizer.ggml.add_eos_token', bool(adds.eos !== undefined));
  return kind;
}

function splitMerge(m: string): [string, string] {
  const sp = m.indexOf(' ', 1);
  return sp < 0 ? [m, ''] : [m.slice(0, sp), m.slice(sp + 1)];
}

/** Whether the tokenizer puts ▁ before the text (Llama 2's Prepend normalizer, Metaspace always/first). */
function addSpacePrefix(json: Json): boolean {
  if (steps(json.normalizer, 'normalizers').some((s) => s.type === 'Prepend' && s.prepend === SPACE)) return true;
  for (const s of steps(json.pre_tokenizer, 'pretokenizers')) {
    if (s.type !== 'Metaspace') continue;
    const scheme = typeof s.prepend_scheme === 'string' ? s.prepend_scheme : s.add_prefix_space === false ? 'never' : 'always';
    return scheme !== 'never';
  }
  return false;
}

// ---------------------------------------------------------------------------------------------
// Import
// ---------------------------------------------------------------------------------------------

function field(key: string): string {
  return `metadata["${key}"]`;
}

function stringArray(meta: Meta, key: string): readonly string[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array' || v.itemType !== 'string') throw new GgufError(`loadGGUF: ${key} must be an array of strings, got ${v.type === 'array' ? `an array of ${v.itemType}` : v.type}.`, { field: field(key) });
  return v.value as readonly string[];
}

function numberArray(meta: Meta, key: string, length: number): readonly number[] | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  if (v.type !== 'array' || !['int32', 'float32', 'uint32', 'int16', 'uint16', 'int8', 'uint8', 'float64'].includes(v.itemType)) {
    throw new GgufError(`loadGGUF: ${key} must be a numeric array, got ${v.type === 'array' ? `an array of ${v.itemType}` : v.type}.`, { field: field(key) });
  }
  const values = v.value as readonly number[];
  if (values.length !== length) {
    throw new GgufError(`loadGGUF: ${key} has ${values.length} entries but tokenizer.ggml.tokens has ${length}; the file's vocabulary is inconsistent (re-export it).`, { field: field(key) });
  }
  for (let i = 0; i < values.length; i++) {
    if (!Number.isFinite(values[i])) throw new GgufError(`loadGGUF: ${key}[${i}] is ${values[i]}, not a finite number.`, { field: `${field(key)}[${i}]` });
  }
  return values;
}

function tokenId(meta: Meta, key: string, n: number): number | undefined {
  const v = meta.get(key);
  if (v === undefined) return undefined;
  const id = v.type === 'uint32' || v.type === 'int32' || v.type === 'uint16' || v.type === 'int16' || v.type === 'uint8' || v.type === 'int8' ? v.value : v.type === 'uint64' || v.type === 'int64' ? Number(v.value) : NaN;
  if (!Number.isInteger(id) || id < 0 || id >= n) {
    throw new GgufError(`loadGGUF: ${key} is ${v.type === 'array' ? 'an array' : String(v.value)}, not a token id below the vocabulary size ${n}.`, { field: field(key) });
  }
  return id;
}

function flag(meta: Meta, key: string, fallback: boolean): boolean {
  const v = meta.get(key);
  if (v === undefined) return fallback;
  if (v.type !== 'bool') throw new GgufError(`loadGGUF: ${key} must be a bool, got ${v.type}.`, { field: field(key) });
  return v.value;
}

/** Result of {@link tokenizerJsonFromGguf}. */
export interface TokenizerFromGgufResult {
  /** The tokenizer.json object (undefined when the file has no vocabulary this converter rebuilds). */
  json: Record<string, unknown> | undefined;
  /** `tokenizer.ggml.model`, or undefined when absent. */
  model: string | undefined;
}

/**
 * Rebuild a Hugging Face tokenizer.json object from GGUF tokenizer metadata (see the module comment).
 * `gpt2` and `llama` vocabularies are rebuilt; a file without `tokenizer.ggml.model`, or with
 * `no_vocab`, has none; llama.cpp models this converter does not rebuild (bert, t5, rwkv, ...) give a
 * warning and none.
 *
 * @throws GgufError naming the metadata field: a model llama.cpp does not know, tokens that are not
 *   strings or repeat, scores / token types whose length differs from the tokens, special token ids
 *   outside the vocabulary, merges naming tokens the vocabulary lacks.
 * @example
 * const { json } = tokenizerJsonFromGguf(readGGUF('model.gguf').metadata, []);
 * const tok = json && fromHuggingFace(json); // tokenizes as llama.cpp does with this file
 */
export function tokenizerJsonFromGguf(meta: Meta, warnings: string[]): TokenizerFromGgufResult {
  const mv = meta.get('tokenizer.ggml.model');
  if (mv === undefined) return { json: undefined, model: undefined };
  if (mv.type !== 'string') throw new GgufError(`loadGGUF: tokenizer.ggml.model must be a string, got ${mv.type}.`, { field: field('tokenizer.ggml.model') });
  const model = mv.value;
  if (!LLAMA_CPP_MODELS.has(model)) {
    throw new GgufError(`loadGGUF: tokenizer.ggml.model "${model}" is not a llama.cpp tokenizer (known: ${[...LLAMA_CPP_MODELS].join(', ')}); pass { tokenizer: false } to load the weights only.`, {
      field: field('tokenizer.ggml.model'),
    });
  }
  if (model === 'no_vocab' || model === 'none') return { json: undefined, model };
  if (model !== 'gpt2' && model !== 'llama') {
    warnings.push(`tokenizer.ggml.model "${model}" is not rebuilt (llmkit rebuilds "gpt2" and "llama" vocabularies); the model has no tokenizer`);
    return { json: undefined, model };
  }
  const tokens = stringArray(meta, 'tokenizer.ggml.tokens');
  if (!tokens) throw new GgufError('loadGGUF: tokenizer.ggml.tokens is missing; the file names a tokenizer but holds no vocabulary.', { field: field('tokenizer.ggml.tokens') });
  const n = tokens.length;
  const types = numberArray(meta, 'tokenizer.ggml.token_type', n);
  const vocab: Record<string, number> = Object.create(null) as Record<string, number>;
  for (let i = 0; i < n; i++) {
    const t = tokens[i]!;
    if (t.length === 0) throw new GgufError(`loadGGUF: tokenizer.ggml.tokens[${i}] is empty.`, { field: `${field('tokenizer.ggml.tokens')}[${i}]` });
    if (vocab[t] !== undefined) {
      throw new GgufError(`loadGGUF: token ${JSON.stringify(t)} appears at ids ${vocab[t]} and ${i} (llama.cpp rejects duplicate tokens too).`, { field: `${field('tokenizer.ggml.tokens')}[${i}]` });
    }
    vocab[t] = i;
  }
  const ids = {
    bos: tokenId(meta, 'tokenizer.ggml.bos_token_id', n),
    eos: tokenId(meta, 'tokenizer.ggml.eos_token_id', n),
    unk: tokenId(meta, 'tokenizer.ggml.unknown_token_id', n),
    pad: tokenId(meta, 'tokenizer.ggml.padding_token_id', n),
  };
  // llama.cpp: the SPM unknown token defaults to id 0; take the token typed UNKNOWN when the id is absent
  if (ids.unk === undefined && types) {
    const k = types.indexOf(LLAMA_TOKEN_TYPE.UNKNOWN);
    if (k >= 0) ids.unk = k;
  }
  const addedTokens: Json[] = [];
  if (types) {
    for (let i = 0; i < n; i++) {
      const t = types[i]!;
      if (t === LLAMA_TOKEN_TYPE.CONTROL || t === LLAMA_TOKEN_TYPE.UNKNOWN || t === LLAMA_TOKEN_TYPE.USER_DEFINED) {
        addedTokens.push({ id: i, content: tokens[i], single_word: false, lstrip: false, rstrip: false, normalized: false, special: t !== LLAMA_TOKEN_TYPE.USER_DEFINED });
      }
    }
  } else {
    // transformers' GGUFLlamaConverter without token types: unk, bos and eos are the special tokens
    for (const id of new Set([ids.unk, ids.bos, ids.eos])) {
      if (id !== undefined) addedTokens.push({ id, content: tokens[id], single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
    }
  }

  let json: Json;
  let addBosDefault: boolean;
  if (model === 'gpt2') {
    const mergeList = stringArray(meta, 'tokenizer.ggml.merges');
    if (!mergeList) throw new GgufError('loadGGUF: tokenizer.ggml.merges is missing; a "gpt2" vocabulary needs its merges (llama.cpp refuses the file too).', { field: field('tokenizer.ggml.merges') });
    const merges: [string, string][] = mergeList.map((m, r) => {
      const [a, b] = splitMerge(m);
      if (b === '' || vocab[a] === undefined || vocab[b] === undefined || vocab[a + b] === undefined) {
        throw new GgufError(`loadGGUF: merge ${JSON.stringify(m)} must be "a b" with a, b and ab in tokenizer.ggml.tokens.`, { field: `${field('tokenizer.ggml.merges')}[${r}]` });
      }
      return [a, b];
    });
    const preV = meta.get('tokenizer.ggml.pre');
    const preName = preV?.type === 'string' ? preV.value : 'default';
    let spec = GGUF_PRE_TOKENIZERS[preName];
    if (!spec) {
      warnings.push(`tokenizer.ggml.pre "${preName}" is not one llmkit rebuilds (${Object.keys(GGUF_PRE_TOKENIZERS).join(', ')}); using GPT-2's pre-tokenizer, so some texts may split differently than in llama.cpp`);
      spec = GPT2;
    }
    addBosDefault = spec.addBos ?? false;
    const byteLevel = { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: spec.regexes === null };
    json = {
      normalizer: null,
      pre_tokenizer:
        spec.regexes === null
          ? byteLevel
          : { type: 'Sequence', pretokenizers: [...spec.regexes.map((r) => ({ type: 'Split', pattern: { Regex: r }, behavior: 'Isolated', invert: false })), byteLevel] },
      decoder: { type: 'ByteLevel', add_prefix_space: false, trim_offsets: false, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: ids.unk !== undefined ? tokens[ids.unk] : null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        ignore_merges: spec.ignoreMerges ?? false,
        vocab,
        merges,
      },
    };
  } else {
    const scores = numberArray(meta, 'tokenizer.ggml.scores', n);
    if (!scores) throw new GgufError('loadGGUF: tokenizer.ggml.scores is missing; a "llama" vocabulary is merged by score.', { field: field('tokenizer.ggml.scores') });
    addBosDefault = true;
    const prefix = flag(meta, 'tokenizer.ggml.add_space_prefix', true);
    json = {
      normalizer: prefix
        ? { type: 'Sequence', normalizers: [{ type: 'Prepend', prepend: SPACE }, { type: 'Replace', pattern: { String: ' ' }, content: SPACE }] }
        : { type: 'Replace', pattern: { String: ' ' }, content: SPACE },
      pre_tokenizer: null,
      decoder: {
        type: 'Sequence',
        decoders: [
          { type: 'Replace', pattern: { String: SPACE }, content: ' ' },
          { type: 'ByteFallback' },
          { type: 'Fuse' },
          ...(prefix ? [{ type: 'Strip', content: ' ', start: 1, stop: 0 }] : []),
        ],
      },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: ids.unk !== undefined ? tokens[ids.unk] : null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: true,
        byte_fallback: true,
        ignore_merges: false,
        vocab,
        merges: mergesFromScores(tokens, scores, vocab),
      },
    };
  }
  const addBos = flag(meta, 'tokenizer.ggml.add_bos_token', addBosDefault);
  const addEos = flag(meta, 'tokenizer.ggml.add_eos_token', false);
  if (addBos && ids.bos === undefined) throw new GgufError('loadGGUF: tokenizer.ggml.add_bos_token is true but tokenizer.ggml.bos_token_id is not set.', { field: field('tokenizer.ggml.bos_token_id') });
  if (addEos && ids.eos === undefined) throw new GgufError('loadGGUF: tokenizer.ggml.add_eos_token is true but tokenizer.ggml.eos_token_id is not set.', { field: field('tokenizer.ggml.eos_token_id') });
  json.post_processor = addBos || addEos ? templateProcessing(addBos ? ids.bos : undefined, addEos ? ids.eos : undefined, tokens) : null;
  return { json: { version: '1.0', truncation: null, padding: null, added_tokens: addedTokens, ...json }, model };
}

function templateProcessing(bos: number | undefined, eos: number | undefined, tokens: readonly string[]): Json {
  const special: Record<string, Json> = {};
  const single: Json[] = [];
  const pair: Json[] = [];
  const sp = (id: number, typeId: number): Json => {
    special[tokens[id]!] = { id: tokens[id], ids: [id], tokens: [tokens[id]] };
    return { SpecialToken: { id: tokens[id], type_id: typeId } };
  };
  if (bos !== undefined) single.push(sp(bos, 0));
  single.push({ Sequence: { id: 'A', type_id: 0 } });
  if (eos !== undefined) single.push(sp(eos, 0));
  if (bos !== undefined) pair.push(sp(bos, 0));
  pair.push({ Sequence: { id: 'A', type_id: 0 } });
  if (eos !== undefined) pair.push(sp(eos, 0));
  if (bos !== undefined) pair.push(sp(bos, 1));
  pair.push({ Sequence: { id: 'B', type_id: 1 } });
  if (eos !== undefined) pair.push(sp(eos, 1));
  return { type: 'TemplateProcessing', single, pair, special_tokens: special };
}

/**
 * BPE merges equivalent to llama.cpp's SPM tokenizer (transformers' GGUFTokenizerSkeleton): every
 * split of every token into two tokens, ordered by the token's score (highest first), then token id,
 * then the scores of the two halves (highest first), then the split position.
 */
export function mergesFromScores(tokens: readonly string[], scores: readonly number[], vocab: Readonly<Record<string, number>>): [string, string][] {
  const cand: { l: string; r: string; id: number; sl: number; sr: number; pos: number }[] = [];
  for (let id = 0; id < tokens.length; id++) {
    const t = tokens[id]!;
    for (let k = 1; k < t.length; k++) {
      const c = t.charCodeAt(k);
      if (c >= 0xdc00 && c <= 0xdfff) continue; // inside a surrogate pair: not a code point boundary
      const l = t.slice(0, k);
      const r = t.slice(k);
      const il = vocab[l];
      const ir = vocab[r];
      if (il !== undefined && ir !== undefined) cand.push({ l, r, id, sl: scores[il]!, sr: scores[ir]!, pos: k });
    }
  }
  cand.sort((a, b) => scores[b.id]! - scores[a.id]! || a.id - b.id || b.sl - a.sl || b.sr - a.sr || a.pos - b.pos);
  return cand.map((c) => [c.l, c.r]);
}

// ---------------------------------------------------------------------------------------------
// Probe: does the GGUF vocabulary tokenize as the original?
// ---------------------------------------------------------------------------------------------

/** Texts {@link checkGgufTokenizer} encodes with both tokenizers: English, code, CJK, emoji, whitespace runs, digits. */
export const GGUF_TOKENIZER_PROBE: readonly string[] = [
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,',
  "It's a truth universally acknowledged; we'll see: don't they've I'd.",
  'def add(x, y):\n    return x + y  # sum\n\n\tif (a<=b && c!=d) { x[0] = 0x1F; }',
  '東京は日本の首都です。中文分词测试，한국어 텍스트.',
  'emoji 🤖🚀 and 👩‍👩‍👧 families, café naïve résumé',
  '  leading spaces, trailing spaces   \n\n\nthree newlines   and   runs\t\ttabs',
  '1234567 + 89 = 1234656; 3.14159 2026-11-29',
];

/**
 * Rebuild the tokenizer from the GGUF metadata just written and compare it with `original` on
 * {@link GGUF_TOKENIZER_PROBE} (special tokens not parsed, none added, as llama.cpp's
 * `tokenize(text, false, false)`). Returns a warning per differing text (at most three), or none.
 */
export function checkGgufTokenizer(original: Tokenizer, meta: Meta): string[] {
  const scratch: string[] = [];
  const { json } = tokenizerJsonFromGguf(meta, scratch);
  if (!json) return [];
  const rebuilt = fromHuggingFace(json);
  const out: string[] = [];
  for (const text of GGUF_TOKENIZER_PROBE) {
    const opts = { addSpecialTokens: false, allowedSpecial: [] as string[] };
    const a = original.encode(text, opts);
    const b = rebuilt.encode(text, opts);
    if (a.length !== b.length || a.some((x, i) => x !== b[i])) {
      const at = a.findIndex((x, i) => x !== b[i]);
      out.push(`llama.cpp's tokenizer for this vocabulary splits ${JSON.stringify(text.slice(0, 40))}... differently (first difference at token ${at < 0 ? Math.min(a.length, b.length) : at}: ${a.length} vs ${b.length} tokens)`);
      if (out.length >= 3) break;
    }
  }
  return out;
}
