/**
 * The shared interfaces every layer-3 package (rag, eval, security) builds on.
 * Local models (@llmkit/model) and remote OpenAI-compatible endpoints implement
 * `LanguageModel`; embedders implement `Embedder`. Field names follow the
 * OpenAI chat API where one exists, camelCased.
 */

/** A chat role as in the OpenAI and Hugging Face chat formats. */
export type ChatRole = 'system' | 'user' | 'assistant' | 'tool';

/** One message of a conversation. */
export interface ChatMessage {
  role: ChatRole;
  content: string;
  /** Optional speaker name (OpenAI `name`). */
  name?: string;
  /** For `tool` messages: the id of the call this answers. */
  toolCallId?: string;
}

/** Options of a generation request. Omitted fields take the model's defaults. */
export interface GenerateOptions {
  /** Maximum number of new tokens. */
  maxNewTokens?: number;
  /** Softmax temperature; 0 means greedy. */
  temperature?: number;
  topK?: number;
  topP?: number;
  minP?: number;
  repetitionPenalty?: number;
  frequencyPenalty?: number;
  presencePenalty?: number;
  /** Generation stops before any of these strings; the stop string is not returned. */
  stop?: string[];
  /** Seed for sampling, for reproducible output. */
  seed?: number;
  /** Cancels the request. */
  signal?: AbortSignal;
}

/** Why a generation ended, in the OpenAI API's words. */
export type FinishReason = 'stop' | 'length' | 'content_filter' | 'error';

/** One streamed piece of a generation. */
export interface GenerationChunk {
  /** New text in this chunk (may be empty when only token ids arrive). */
  text: string;
  /** Token ids behind `text`, when the model exposes them. */
  tokenIds?: number[];
  /** Set on the last chunk. */
  finishReason?: FinishReason;
}

/** Token counts of a request, as in the OpenAI `usage` object. */
export interface Usage {
  promptTokens: number;
  completionTokens: number;
}

/** A finished generation. */
export interface Completion {
  text: string;
  finishReason: FinishReason;
  usage?: Usage;
  tokenIds?: number[];
}

/** Log-probabilities of a continuation given a context. */
export interface LogprobResult {
  /** Sum of the continuation tokens' log-probabilities (natural log). */
  logprob: number;
  /** Per continuation token: its text, id and log-probability. */
  tokens: Array<{ token: string; id?: number; logprob: number }>;
  /** True when every continuation token was the argmax (lm-eval's `is_greedy`). */
  isGreedy: boolean;
}

/**
 * A model that can produce text and score text.
 * @example
 * for await (const chunk of model.generate('Once upon', { maxNewTokens: 20 })) process.stdout.write(chunk.text);
 */
export interface LanguageModel {
  /** A stable identifier, e.g. `llama-tiny@local` or `gpt-4o-mini`. */
  readonly id: string;
  /** Stream a generation. */
  generate(prompt: string | ChatMessage[], options?: GenerateOptions): AsyncIterable<GenerationChunk>;
  /** Generate to the end and return the whole completion. */
  complete(prompt: string | ChatMessage[], options?: GenerateOptions): Promise<Completion>;
  /** Log-probability of `continuation` after `context`. Optional: remote chat endpoints may lack it. */
  logprobs?(context: string, continuation: string): Promise<LogprobResult>;
}

/** Turns texts into fixed-size vectors. */
export interface Embedder {
  /** Length of every vector `embed` returns. */
  readonly dimension: number;
  /** One vector per input text, in order. */
  embed(texts: string[]): Promise<Float32Array[]>;
}
