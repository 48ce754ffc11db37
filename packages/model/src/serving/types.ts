/**
 * The token-level surface the OpenAI-compatible server needs from a model. `LocalLanguageModel`
 * implements it over a `DecoderLM`; tests may implement it with a deterministic fake.
 */
import type { ChatMessage, LanguageModel } from '@llmkit/core';
import type { Constraint, SamplingConfig } from '@llmkit/sampling';

/** A token and its log-probability (natural log). */
export interface TokenLogprob {
  id: number;
  logprob: number;
}

/** Options of {@link ServableModel.generateTokens}. */
export interface TokenGenerateOptions {
  /** Upper bound on new tokens (>= 1). */
  maxNewTokens: number;
  /** Processor chain and sampling settings (temperature 0 = greedy). */
  sampling?: SamplingConfig;
  /** Seed of a fresh RNG for this generation. */
  seed?: number;
  /** Strings that end generation; trimmed from the text. */
  stop?: string[];
  /** Aborts generation (the iterator throws the signal's reason). */
  signal?: AbortSignal;
  /** Structured output constraint (see {@link ServableModel.jsonConstraint}). */
  constraint?: Constraint;
  /** Also report the `topLogprobs` most likely tokens of every step (0 = none). */
  topLogprobs?: number;
}

/** One generated token. */
export interface TokenChunk {
  tokenId: number;
  /** Log-probability under the raw model distribution. */
  logprob: number;
  /** New text that may be shown now (stop strings trimmed, incomplete characters held back; '' for EOS). */
  text: string;
  /** The most likely tokens of this step, best first (when `topLogprobs` > 0). */
  topLogprobs?: TokenLogprob[];
  /** Set on the last chunk: 'stop' (EOS, stop string, completed constraint) or 'length'. */
  finishReason?: 'stop' | 'length';
}

/** Log-probability of one prompt token given the tokens before it (`null` for the first token). */
export interface PromptTokenScore {
  id: number;
  logprob: number | null;
  topLogprobs: TokenLogprob[];
}

/**
 * What `serve()` needs: the `LanguageModel` surface plus tokens. Implemented by `LocalLanguageModel`.
 */
export interface ServableModel extends LanguageModel {
  /** Longest prompt + completion, in tokens. */
  readonly contextLength: number;
  /** Prompt token ids: a plain string as the tokenizer encodes it (with BOS where the tokenizer adds one), chat through the chat template. */
  encodePrompt(prompt: string | ChatMessage[]): number[];
  /** The text of one token on its own (may contain U+FFFD for a partial UTF-8 character). */
  tokenText(id: number): string;
  /** The raw bytes of one token ('' for special tokens). */
  tokenBytes(id: number): Uint8Array;
  /** Text of a token sequence. */
  decode(ids: number[]): string;
  /** Stream tokens with per-token log-probabilities. */
  generateTokens(prompt: number[], options: TokenGenerateOptions): AsyncGenerator<TokenChunk, void, undefined>;
  /** Log-probabilities of every prompt token given its prefix (for `echo` with `logprobs`). */
  scorePrompt(ids: number[], topLogprobs: number): Promise<PromptTokenScore[]>;
  /** A constraint producing JSON: `'object'` (any JSON object) or a JSON schema. */
  jsonConstraint(schema: 'object' | object): Constraint;
}
