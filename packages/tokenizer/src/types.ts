/**
 * The one interface every llmkit tokenizer implements, whether it was loaded
 * from a tiktoken encoding, a Hugging Face tokenizer.json, or trained.
 */

/** Which special tokens may appear in the input text (tiktoken semantics). */
export type SpecialTokenSet = 'all' | Iterable<string>;

export interface EncodeOptions {
  /** Add the tokenizer's special tokens around the text (HF post-processor, e.g. BOS). Default: true for HF tokenizers, n/a for tiktoken. */
  addSpecialTokens?: boolean;
  /** Special tokens in the text that are encoded as special ids. Default: none (tiktoken), all (HF, its `added_tokens` behaviour). */
  allowedSpecial?: SpecialTokenSet;
  /** Special tokens whose presence in the text throws DisallowedSpecialTokenError. Default 'all' minus allowedSpecial (tiktoken); for HF, tokens not allowed are encoded as ordinary text. */
  disallowedSpecial?: SpecialTokenSet;
}

export interface DecodeOptions {
  /** Drop special tokens from the output. Default false. */
  skipSpecialTokens?: boolean;
}

/** An encoding with per-token detail. Offsets are UTF-16 code-unit spans `[start, end)` into the input string. */
export interface Encoding {
  ids: number[];
  tokens: string[];
  offsets: Array<[number, number]>;
  /** 1 for tokens added by the post-processor or special tokens, else 0. */
  specialTokensMask: number[];
}

export interface Tokenizer {
  /** Size of the vocabulary including special/added tokens (max id + 1). */
  readonly vocabSize: number;
  /** Special (and added special) tokens and their ids. */
  readonly specialTokens: ReadonlyMap<string, number>;
  encode(text: string, options?: EncodeOptions): number[];
  /** Encode with tokens, offsets and the special-tokens mask. */
  encodeWithOffsets(text: string, options?: EncodeOptions): Encoding;
  encodeBatch(texts: string[], options?: EncodeOptions): number[][];
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string;
  countTokens(text: string, options?: EncodeOptions): number;
  tokenToId(token: string): number | undefined;
  idToToken(id: number): string | undefined;
}
