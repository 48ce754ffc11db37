import { fromHuggingFace, type HuggingFaceTokenizer } from '../huggingface/index.js';
import type { DecodeOptions, EncodeOptions, Encoding, Tokenizer } from '../types.js';
import { byteLevelToBytes } from './byte-level.js';

/** A Hugging Face `tokenizer.json` document (the subset of fields a trained byte-level BPE uses). */
export interface HuggingFaceTokenizerJSON {
  version: '1.0';
  truncation: null;
  padding: null;
  added_tokens: Array<{
    id: number;
    content: string;
    single_word: boolean;
    lstrip: boolean;
    rstrip: boolean;
    normalized: boolean;
    special: boolean;
  }>;
  normalizer: null;
  pre_tokenizer: Record<string, unknown>;
  post_processor: Record<string, unknown>;
  decoder: Record<string, unknown>;
  model: {
    type: 'BPE';
    dropout: null;
    unk_token: null;
    continuing_subword_prefix: null;
    end_of_word_suffix: null;
    fuse_unk: boolean;
    byte_fallback: boolean;
    ignore_merges: boolean;
    vocab: Record<string, number>;
    merges: Array<[string, string]>;
  };
}

/**
 * tiktoken-style encoding data: token bytes -> rank (= id), the pattern and the special tokens.
 * The shape fits `fromTiktokenRanks` (tiktoken module) directly.
 */
export interface TiktokenRanks {
  /** `[token bytes, rank]` for every byte-level token, in rank order (ranks = ids). */
  ranks: Array<[Uint8Array, number]>;
  /** The same ranks keyed by the token bytes in base64 (the `.tiktoken` file's first column). */
  base64Ranks: Map<string, number>;
  /** The pre-tokenization regex (tiktoken's `pat_str`). */
  pattern: string;
  /** Special tokens and their ids (tiktoken's `special_tokens`). */
  specialTokens: Record<string, number>;
  /** Vocabulary size including special tokens (tiktoken's `explicit_n_vocab`). */
  vocabSize: number;
}

/** What {@link trainBpe} learned. */
export interface BpeTrainingData {
  /** Token strings by id (byte-level strings, special tokens as written). */
  tokens: string[];
  /** Merges in rank order, as pairs of byte-level token strings. */
  merges: Array<[string, string]>;
  specialTokens: ReadonlyMap<string, number>;
  pattern: string;
}

function toBase64(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('base64');
}

/**
 * The result of {@link trainBpe}: vocabulary, merges and special tokens, exportable as a
 * Hugging Face `tokenizer.json` or as tiktoken ranks. It is itself a {@link Tokenizer}: the
 * encode/decode methods run {@link toHuggingFaceJSON} through `fromHuggingFace` (built on
 * first use), so they follow Hugging Face semantics (special tokens in the text are matched).
 */
export class BpeTrainingResult implements Tokenizer {
  /** Byte-level token string -> id, in id order (special tokens included). */
  readonly vocab: ReadonlyMap<string, number>;
  /** Token strings by id. */
  readonly tokens: readonly string[];
  /** Merges in rank order, as pairs of byte-level token strings (`Ġ` is a space). */
  readonly merges: ReadonlyArray<readonly [string, string]>;
  /** Special tokens and their ids (the first ids). */
  readonly specialTokens: ReadonlyMap<string, number>;
  /** The pre-tokenization regex used for training. */
  readonly pattern: string;

  private loaded: HuggingFaceTokenizer | undefined;

  constructor(data: BpeTrainingData) {
    this.tokens = data.tokens;
    this.vocab = new Map(data.tokens.map((t, id) => [t, id]));
    this.merges = data.merges;
    this.specialTokens = data.specialTokens;
    this.pattern = data.pattern;
  }

  /** Number of tokens, special tokens included (max id + 1). */
  get vocabSize(): number {
    return this.tokens.length;
  }

  /**
   * The trained tokenizer, loaded from {@link toHuggingFaceJSON} with `fromHuggingFace`
   * (built once, then cached).
   * @example
   * const ids = (await trainBpe(texts, { vocabSize: 8192 })).tokenizer().encode('hello');
   */
  tokenizer(): HuggingFaceTokenizer {
    this.loaded ??= fromHuggingFace(this.toHuggingFaceJSON());
    return this.loaded;
  }

  encode(text: string, options?: EncodeOptions): number[] {
    return this.tokenizer().encode(text, options);
  }

  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding {
    return this.tokenizer().encodeWithOffsets(text, options);
  }

  encodeBatch(texts: string[], options?: EncodeOptions): number[][] {
    return this.tokenizer().encodeBatch(texts, options);
  }

  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    return this.tokenizer().decode(ids, options);
  }

  countTokens(text: string, options?: EncodeOptions): number {
    return this.tokenizer().countTokens(text, options);
  }

  tokenToId(token: string): number | undefined {
    return this.vocab.get(token);
  }

  idToToken(id: number): string | undefined {
    return this.tokens[id];
  }

  /**
   * A complete Hugging Face `tokenizer.json` (serialize with `JSON.stringify`): Split(pattern,
   * isolated) + ByteLevel pre-tokenizer, byte-level BPE model, ByteLevel post-processor and
   * decoder, special tokens as `added_tokens`.
   * @example
   * const { Tokenizer } = require('tokenizers');
   * const hf = Tokenizer.fromString(JSON.stringify(result.toHuggingFaceJSON()));
   */
  toHuggingFaceJSON(): HuggingFaceTokenizerJSON {
    const vocab: Record<string, number> = {};
    this.tokens.forEach((token, id) => {
      vocab[token] = id;
    });
    return {
      version: '1.0',
      truncation: null,
      padding: null,
      added_tokens: [...this.specialTokens].map(([content, id]) => ({
        id,
        content,
        single_word: false,
        lstrip: false,
        rstrip: false,
        normalized: false,
        special: true,
      })),
      normalizer: null,
      pre_tokenizer: {
        type: 'Sequence',
        pretokenizers: [
          { type: 'Split', pattern: { Regex: this.pattern }, behavior: 'Isolated', invert: false },
          { type: 'ByteLevel', add_prefix_space: false, trim_offsets: true, use_regex: false },
        ],
      },
      post_processor: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: false, use_regex: true },
      decoder: { type: 'ByteLevel', add_prefix_space: true, trim_offsets: true, use_regex: true },
      model: {
        type: 'BPE',
        dropout: null,
        unk_token: null,
        continuing_subword_prefix: null,
        end_of_word_suffix: null,
        fuse_unk: false,
        byte_fallback: false,
        // Every token is reachable through the merges; a whole word that is in the vocabulary
        // but is built by a different merge path must still follow the merges.
        ignore_merges: false,
        vocab,
        merges: this.merges.map(([a, b]) => [a, b]),
      },
    };
  }

  /**
   * tiktoken-style ranks: each byte-level token's bytes -> its id (rank), plus the pattern and
   * special tokens. Ranks equal the ids of {@link toHuggingFaceJSON}, so they start after the
   * special tokens. tiktoken merges the adjacent pair whose concatenation has the lowest rank;
   * for a trained vocabulary that equals applying the merges except when a token's bytes were
   * learned through two different splits (rare).
   */
  toTiktokenRanks(): TiktokenRanks {
    const ranks: Array<[Uint8Array, number]> = [];
    const base64Ranks = new Map<string, number>();
    this.tokens.forEach((token, id) => {
      if (this.specialTokens.get(token) === id) return;
      const bytes = byteLevelToBytes(token);
      ranks.push([bytes, id]);
      base64Ranks.set(toBase64(bytes), id);
    });
    return {
      ranks,
      base64Ranks,
      pattern: this.pattern,
      specialTokens: Object.fromEntries(this.specialTokens),
      vocabSize: this.vocabSize,
    };
  }

  /**
   * The `.tiktoken` file format: one `base64(bytes) rank` line per token, in rank order.
   * Special tokens and the pattern are not part of that format (see {@link toTiktokenRanks}).
   */
  toTiktokenFile(): string {
    let out = '';
    for (const [base64, rank] of this.toTiktokenRanks().base64Ranks) out += `${base64} ${rank}\n`;
    return out;
  }
}
