/**
 * Shared types of @llmkit/sampling. Logits are one `Float32Array` per
 * sequence over the whole vocabulary; `-Infinity` marks a forbidden token.
 */

/** Options of the logits-processor chain, named as in transformers' GenerationConfig (camelCased) and OpenAI's API. */
export interface SamplingConfig {
  /** Softmax temperature; 0 means greedy. Default 1. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  typicalP?: number;
  epsilonCutoff?: number;
  etaCutoff?: number;
  /** transformers' multiplicative repetition penalty (> 1 discourages repeats). */
  repetitionPenalty?: number;
  /** OpenAI's additive frequency penalty (per occurrence in the generated tokens). */
  frequencyPenalty?: number;
  /** OpenAI's additive presence penalty (once per token present in the generated tokens). */
  presencePenalty?: number;
  /** Added to the logits of the given token ids. */
  logitBias?: Record<number, number>;
  noRepeatNgramSize?: number;
  /** Token sequences that must not be generated. */
  badWordsIds?: number[][];
  /** Suppress EOS until this many new tokens exist. */
  minNewTokens?: number;
  eosTokenId?: number | number[];
  /** false: greedy (argmax) after processing. Default true when temperature > 0. */
  doSample?: boolean;
}

/** What processors may look at besides the logits. */
export interface LogitsContext {
  /** Every token of the sequence so far (prompt + generated). */
  inputIds: number[];
  /** How many of `inputIds` are the prompt. */
  promptLength: number;
}

/**
 * One decoding step: given the token ids of each sequence (prompt + generated
 * so far), return next-token logits for each. `@llmkit/model` implements it
 * with its KV cache; `state` carries model-specific data (e.g. the cache) and
 * `reorder` lets beam search permute that state.
 */
export type StepFn = (sequences: number[][]) => Promise<Float32Array[]>;

/** Optional hooks a step function may offer to beam search. */
export interface StepHooks {
  /** Beam search calls this with, for each new beam, the index of the beam it came from. */
  reorder?(beamIndices: number[]): void | Promise<void>;
}
