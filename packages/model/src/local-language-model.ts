/**
 * `LocalLanguageModel`: core's `LanguageModel` (text in, text out, log-probabilities) over a local
 * `DecoderLM` and its tokenizer, plus the token-level surface the OpenAI-compatible server uses.
 */
import { tf, type ChatMessage, type Completion, type GenerateOptions, type GenerationChunk, type LogprobResult } from '@llmkit/core';
import { InvalidArgumentError, LlmkitError } from '@llmkit/core/errors';
import {
  TextStopMatcher,
  generate as sampleTokens,
  jsonSchemaConstraint,
  jsonSchemaToRegex,
  regexConstraint,
  type Constraint,
  type SamplingConfig,
  type StepFn,
  type StepHooks,
} from '@llmkit/sampling';
import { applyChatTemplate, createStreamDecoder, tokenBytes, type Tokenizer } from '@llmkit/tokenizer';
import type { PromptTokenScore, ServableModel, TokenChunk, TokenGenerateOptions, TokenLogprob } from './serving/types.js';

/**
 * The parts of `DecoderLM` that `LocalLanguageModel` uses (structural, so any compatible model works).
 */
export interface DecoderLMLike {
  readonly config: {
    modelType: string;
    vocabSize: number;
    maxPositionEmbeddings: number;
    bosTokenId?: number;
    eosTokenId?: number | number[];
  };
  tokenizer?: Tokenizer;
  tokenizerConfig?: Record<string, unknown>;
  generationConfig?: Record<string, unknown>;
  /** logits [B, T, V] */
  forward(inputIds: number[][]): tf.Tensor3D;
  logprobs(context: number[], continuation: number[]): Promise<{ logprob: number; tokenLogprobs: number[]; isGreedy: boolean }>;
  stepFn(options?: { useCache?: boolean }): StepFn & StepHooks & { dispose?(): void };
}

/** Options of the {@link LocalLanguageModel} constructor. */
export interface LocalLanguageModelOptions {
  /** The model (a `DecoderLM`). */
  model: DecoderLMLike;
  /** Tokenizer; default `model.tokenizer`. */
  tokenizer?: Tokenizer;
  /** tokenizer_config.json (chat template, special tokens); default `model.tokenizerConfig`. */
  tokenizerConfig?: Record<string, unknown>;
  /** Identifier reported as `id`; default `${modelType}@local`. */
  id?: string;
  /** Default new-token limit of `generate`/`complete` (capped by the context). Default 256. */
  defaultMaxNewTokens?: number;
}

const JSON_OBJECT_DEPTH = 3;

/** Regex of compact JSON objects nested at most `depth` levels (the `json_object` response format). */
function jsonObjectRegex(depth: number): string {
  const str = jsonSchemaToRegex({ type: 'string' });
  const num = jsonSchemaToRegex({ type: 'number' });
  const scalar = `(?:${str}|${num}|true|false|null)`;
  let value = scalar;
  let object = '';
  for (let d = 1; d <= depth; d++) {
    object = `\\{(?:${str}:${value}(?:,${str}:${value})*)?\\}`;
    const array = `\\[(?:${value}(?:,${value})*)?\\]`;
    value = `(?:${scalar}|${object}|${array})`;
  }
  return object;
}

/** Natural-log softmax of one row (float64 accumulation). */
function logSoftmaxRow(logits: ArrayLike<number>, offset = 0, length = logits.length): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < length; i++) if (logits[offset + i]! > max) max = logits[offset + i]!;
  let sum = 0;
  for (let i = 0; i < length; i++) sum += Math.exp(logits[offset + i]! - max);
  const lse = max + Math.log(sum);
  const out = new Float64Array(length);
  for (let i = 0; i < length; i++) out[i] = logits[offset + i]! - lse;
  return out;
}

/** The k largest entries, best first (ties: lower id first). */
function topK(logprobs: Float64Array, k: number): TokenLogprob[] {
  const best: TokenLogprob[] = [];
  if (k <= 0) return best;
  for (let id = 0; id < logprobs.length; id++) {
    const lp = logprobs[id]!;
    if (best.length === k && lp <= best[k - 1]!.logprob) continue;
    let at = best.length;
    while (at > 0 && best[at - 1]!.logprob < lp) at--;
    best.splice(at, 0, { id, logprob: lp });
    if (best.length > k) best.pop();
  }
  return best;
}

function idList(value: unknown): number[] {
  if (typeof value === 'number' && Number.isInteger(value)) return [value];
  if (Array.isArray(value)) return value.filter((v): v is number => typeof v === 'number' && Number.isInteger(v));
  return [];
}

function specialTokenText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (value && typeof value === 'object' && typeof (value as { content?: unknown }).content === 'string') return (value as { content: string }).content;
  return undefined;
}

/**
 * A local decoder model as a `LanguageModel`: generation streams text (stream decoder, stop strings),
 * chat prompts go through the tokenizer_config chat template, `logprobs` scores a continuation as
 * lm-evaluation-harness does. It is also the `ServableModel` that `serve()` exposes over HTTP.
 *
 * Sampling defaults come from the model's generation_config.json (`do_sample`, `temperature`,
 * `top_k`, `top_p`): without `do_sample: true` decoding is greedy unless `temperature` is given.
 *
 * @example
 * const model = await DecoderLM.fromPretrained('./tiny-llama');
 * const lm = new LocalLanguageModel({ model });
 * const { text } = await lm.complete([{ role: 'user', content: 'Hi!' }], { maxNewTokens: 20 });
 */
export class LocalLanguageModel implements ServableModel {
  readonly id: string;
  readonly model: DecoderLMLike;
  readonly tokenizer: Tokenizer;
  readonly tokenizerConfig: Record<string, unknown> | undefined;
  readonly contextLength: number;
  /** Token ids that end generation (config, generation_config and tokenizer_config `eos_token`). */
  readonly eosTokenIds: number[];
  private readonly defaultMaxNewTokens: number;
  private vocabulary: Uint8Array[] | undefined;
  private readonly constraints = new Map<string, Constraint>();

  constructor(options: LocalLanguageModelOptions) {
    if (!options || typeof options !== 'object' || !options.model || typeof options.model.stepFn !== 'function') {
      throw new InvalidArgumentError('LocalLanguageModel: options.model must be a DecoderLM (e.g. from DecoderLM.fromPretrained(dir)).');
    }
    const model = options.model;
    const tokenizer = options.tokenizer ?? model.tokenizer;
    if (!tokenizer) {
      throw new InvalidArgumentError(
        'LocalLanguageModel: the model has no tokenizer; pass options.tokenizer (e.g. fromHuggingFace(dir + "/tokenizer.json")).',
      );
    }
    const defaultMax = options.defaultMaxNewTokens ?? 256;
    if (!Number.isInteger(defaultMax) || defaultMax < 1) {
      throw new InvalidArgumentError(`LocalLanguageModel: defaultMaxNewTokens = ${String(defaultMax)}; give an integer >= 1.`);
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.tokenizerConfig = options.tokenizerConfig ?? model.tokenizerConfig;
    this.id = options.id ?? `${model.config.modelType}@local`;
    this.contextLength = model.config.maxPositionEmbeddings;
    this.defaultMaxNewTokens = defaultMax;
    const eos = new Set([...idList(model.config.eosTokenId), ...idList(model.generationConfig?.eos_token_id)]);
    const eosText = specialTokenText(this.tokenizerConfig?.eos_token);
    const eosId = eosText === undefined ? undefined : tokenizer.tokenToId(eosText);
    if (eosId !== undefined) eos.add(eosId);
    this.eosTokenIds = [...eos].filter((id) => id >= 0 && id < model.config.vocabSize);
  }

  // ------------------------------------------------------------------ token surface

  /** Prompt ids: strings via `tokenizer.encode` (special tokens added as the tokenizer does), chats via the chat template. */
  encodePrompt(prompt: string | ChatMessage[]): number[] {
    let ids: number[];
    if (typeof prompt === 'string') {
      ids = this.tokenizer.encode(prompt);
    } else if (Array.isArray(prompt)) {
      const text = applyChatTemplate(prompt, { tokenizerConfig: this.tokenizerConfig ?? {}, addGenerationPrompt: true });
      ids = this.tokenizer.encode(text, { addSpecialTokens: false });
    } else {
      throw new InvalidArgumentError('prompt must be a string or an array of chat messages ({ role, content }).');
    }
    if (ids.length === 0) ids = [this.prefixTokenId()];
    return ids;
  }

  /** BOS, else the first EOS: what an empty prompt or context starts from (lm-eval's prefix token). */
  private prefixTokenId(): number {
    const id = this.model.config.bosTokenId ?? this.eosTokenIds[0];
    if (id === undefined) {
      throw new InvalidArgumentError('The prompt encodes to no tokens and the model has no bos_token_id / eos_token_id to start from; give a non-empty prompt.');
    }
    return id;
  }

  private checkIds(ids: number[], name: string): void {
    const vocab = this.model.config.vocabSize;
    for (const id of ids) {
      if (!Number.isInteger(id) || id < 0 || id >= vocab) {
        throw new InvalidArgumentError(`${name} holds the token id ${String(id)}, outside the vocabulary [0, ${vocab}); pass ids from this model's tokenizer.`);
      }
    }
  }

  tokenText(id: number): string {
    return this.tokenizer.decode([id]);
  }

  tokenBytes(id: number): Uint8Array {
    return this.vocabularyBytes()[id] ?? new Uint8Array(0);
  }

  decode(ids: number[]): string {
    return this.tokenizer.decode(ids, { skipSpecialTokens: true });
  }

  private vocabularyBytes(): Uint8Array[] {
    if (!this.vocabulary) {
      const bytes = tokenBytes(this.tokenizer);
      // The model's embedding may be larger than the tokenizer (padded vocabularies): those ids spell nothing.
      while (bytes.length < this.model.config.vocabSize) bytes.push(new Uint8Array(0));
      this.vocabulary = bytes.slice(0, this.model.config.vocabSize);
    }
    return this.vocabulary;
  }

  /**
   * A cached constraint producing JSON: `'object'` = any JSON object (nesting up to 3 levels), or a
   * JSON schema (keywords supported by `jsonSchemaConstraint`).
   * @throws InvalidArgumentError for an unsupported schema, or when the model has no EOS token.
   */
  jsonConstraint(schema: 'object' | object): Constraint {
    const key = schema === 'object' ? 'object' : JSON.stringify(schema);
    const cached = this.constraints.get(key);
    if (cached) return cached;
    if (this.eosTokenIds.length === 0) {
      throw new InvalidArgumentError('Structured output needs an end-of-sequence token; set eos_token_id in the model config.');
    }
    const options = { eosTokenId: this.eosTokenIds };
    const constraint =
      schema === 'object'
        ? regexConstraint(jsonObjectRegex(JSON_OBJECT_DEPTH), this.vocabularyBytes(), options)
        : jsonSchemaConstraint(schema, this.vocabularyBytes(), options);
    if (this.constraints.size >= 16) this.constraints.delete(this.constraints.keys().next().value as string);
    this.constraints.set(key, constraint);
    return constraint;
  }

  /**
   * Stream tokens: sampling over the model's KV-cached step function, text through a stream decoder,
   * stop strings trimmed, optional top log-probabilities and constraint.
   * @throws InvalidArgumentError when the prompt leaves no room in the context or an option is invalid.
   */
  async *generateTokens(prompt: number[], options: TokenGenerateOptions): AsyncGenerator<TokenChunk, void, undefined> {
    if (!Array.isArray(prompt) || prompt.length === 0) throw new InvalidArgumentError('generateTokens: prompt must be a non-empty array of token ids.');
    this.checkIds(prompt, 'prompt');
    const room = this.contextLength - prompt.length;
    if (room < 1) {
      throw new InvalidArgumentError(
        `The prompt has ${prompt.length} tokens; the model's context is ${this.contextLength}. Shorten the prompt.`,
      );
    }
    const maxNewTokens = Math.min(options.maxNewTokens, room);
    const k = options.topLogprobs ?? 0;
    if (!Number.isInteger(k) || k < 0) throw new InvalidArgumentError(`topLogprobs = ${String(k)}; give an integer >= 0.`);
    const step = this.model.stepFn();
    let lastLogits: Float32Array | undefined;
    const recording: StepFn = async (sequences) => {
      const out = await step(sequences);
      lastLogits = out[0];
      return out;
    };
    const eos = new Set([...this.eosTokenIds, ...(options.constraint?.eosTokenIds ?? [])]);
    const stream = createStreamDecoder(this.tokenizer, { skipSpecialTokens: true });
    const matcher = new TextStopMatcher(options.stop ?? []);
    let text = '';
    try {
      const chunks = sampleTokens(recording, {
        prompt,
        maxNewTokens,
        config: options.sampling ?? {},
        seed: options.seed,
        stopTokenIds: this.eosTokenIds,
        signal: options.signal,
        constraint: options.constraint,
      });
      for await (const c of chunks) {
        const final = c.finishReason !== undefined;
        const isEos = final && c.finishReason === 'stop' && eos.has(c.tokenId);
        if (!isEos) text += stream.push(c.tokenId);
        if (final) text += stream.flush();
        const update = matcher.update(text, final);
        const chunk: TokenChunk = { tokenId: c.tokenId, logprob: c.logprob, text: update.delta };
        if (k > 0 && lastLogits) chunk.topLogprobs = topK(logSoftmaxRow(lastLogits), k);
        if (update.stopped) {
          chunk.finishReason = 'stop';
          yield chunk;
          return;
        }
        if (c.finishReason) chunk.finishReason = c.finishReason;
        yield chunk;
      }
    } finally {
      step.dispose?.();
    }
  }

  /** Log-probability of every prompt token given the tokens before it, with the `topLogprobs` best alternatives. */
  async scorePrompt(ids: number[], topLogprobs: number): Promise<PromptTokenScore[]> {
    if (!Array.isArray(ids) || ids.length === 0) throw new InvalidArgumentError('scorePrompt: ids must be a non-empty array of token ids.');
    this.checkIds(ids, 'ids');
    if (ids.length > this.contextLength) {
      throw new InvalidArgumentError(`scorePrompt: ${ids.length} tokens exceed the model's context of ${this.contextLength}; shorten the text.`);
    }
    const logits = this.model.forward([ids]);
    let data: Float32Array;
    try {
      data = (await logits.data()) as Float32Array;
    } finally {
      logits.dispose();
    }
    const vocab = data.length / ids.length;
    const out: PromptTokenScore[] = [{ id: ids[0]!, logprob: null, topLogprobs: [] }];
    for (let i = 1; i < ids.length; i++) {
      const row = logSoftmaxRow(data, (i - 1) * vocab, vocab);
      out.push({ id: ids[i]!, logprob: row[ids[i]!]!, topLogprobs: topK(row, topLogprobs) });
    }
    return out;
  }

  // ------------------------------------------------------------------ LanguageModel

  /** SamplingConfig from core's GenerateOptions, with generation_config.json defaults. */
  samplingConfig(options: GenerateOptions = {}): SamplingConfig {
    const gen = this.model.generationConfig ?? {};
    const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
    const doSample = gen.do_sample === true;
    const config: SamplingConfig = {
      temperature: options.temperature ?? (doSample ? (num(gen.temperature) ?? 1) : 0),
    };
    const topKValue = options.topK ?? (doSample ? num(gen.top_k) : undefined);
    const topPValue = options.topP ?? (doSample ? num(gen.top_p) : undefined);
    if (topKValue !== undefined && topKValue > 0) config.topK = topKValue;
    if (topPValue !== undefined && topPValue < 1) config.topP = topPValue;
    if (options.minP !== undefined) config.minP = options.minP;
    if (options.repetitionPenalty !== undefined) config.repetitionPenalty = options.repetitionPenalty;
    if (options.frequencyPenalty !== undefined) config.frequencyPenalty = options.frequencyPenalty;
    if (options.presencePenalty !== undefined) config.presencePenalty = options.presencePenalty;
    return config;
  }

  /**
   * Stream a generation as text chunks (the last one carries `finishReason`); `tokenIds` holds each chunk's token.
   * @throws InvalidArgumentError for a bad prompt or option; the signal's reason when aborted.
   * @example
   * for await (const c of lm.generate([{ role: 'user', content: 'Hi' }], { maxNewTokens: 16, stop: ['\n'] })) process.stdout.write(c.text);
   */
  async *generate(prompt: string | ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<GenerationChunk, void, undefined> {
    yield* this.generateFromIds(this.encodePrompt(prompt), options);
  }

  private async *generateFromIds(ids: number[], options: GenerateOptions): AsyncGenerator<GenerationChunk, void, undefined> {
    const maxNewTokens = options.maxNewTokens ?? this.defaultMaxNewTokens;
    if (!Number.isInteger(maxNewTokens) || maxNewTokens < 1) {
      throw new InvalidArgumentError(`maxNewTokens = ${String(options.maxNewTokens)}; give an integer >= 1.`);
    }
    for await (const chunk of this.generateTokens(ids, {
      maxNewTokens,
      sampling: this.samplingConfig(options),
      seed: options.seed,
      stop: options.stop,
      signal: options.signal,
    })) {
      const out: GenerationChunk = { text: chunk.text, tokenIds: [chunk.tokenId] };
      if (chunk.finishReason) out.finishReason = chunk.finishReason;
      yield out;
    }
  }

  /**
   * Generate to the end; `usage` counts prompt and generated tokens.
   * @throws InvalidArgumentError as {@link LocalLanguageModel.generate}.
   * @example
   * const { text, finishReason } = await lm.complete('Once upon a time', { maxNewTokens: 32, temperature: 0 });
   */
  async complete(prompt: string | ChatMessage[], options: GenerateOptions = {}): Promise<Completion> {
    const ids = this.encodePrompt(prompt);
    let text = '';
    const tokenIds: number[] = [];
    let finishReason: Completion['finishReason'] = 'length';
    for await (const chunk of this.generateFromIds(ids, options)) {
      text += chunk.text;
      tokenIds.push(...(chunk.tokenIds ?? []));
      if (chunk.finishReason) finishReason = chunk.finishReason;
    }
    return { text, finishReason, tokenIds, usage: { promptTokens: ids.length, completionTokens: tokenIds.length } };
  }

  /**
   * Log-probability of `continuation` after `context`, tokenized as lm-evaluation-harness does:
   * trailing spaces of the context move to the continuation, `whole = encode(context + continuation)`,
   * the continuation tokens are `whole` minus the first `encode(context).length` tokens (no special
   * tokens; an empty context starts from BOS / EOS). Long inputs are cut on the left to the context.
   * @throws InvalidArgumentError when `continuation` is empty or does not fit the context.
   * @example
   * const { logprob, isGreedy } = await lm.logprobs('The capital of France is', ' Paris');
   */
  async logprobs(context: string, continuation: string): Promise<LogprobResult> {
    if (typeof context !== 'string' || typeof continuation !== 'string') throw new InvalidArgumentError('logprobs(context, continuation) takes two strings.');
    if (continuation.length === 0) throw new InvalidArgumentError('logprobs: continuation is empty; give the text to score.');
    const spaces = context.length - context.trimEnd().length;
    if (spaces > 0) {
      continuation = context.slice(context.length - spaces) + continuation;
      context = context.slice(0, context.length - spaces);
    }
    const encode = (s: string): number[] => this.tokenizer.encode(s, { addSpecialTokens: false });
    let contextIds: number[];
    let continuationIds: number[];
    if (context.length === 0) {
      contextIds = [this.prefixTokenId()];
      continuationIds = encode(continuation);
    } else {
      const whole = encode(context + continuation);
      contextIds = encode(context);
      continuationIds = whole.slice(contextIds.length);
    }
    if (continuationIds.length === 0) throw new InvalidArgumentError('logprobs: the continuation encodes to no tokens.');
    if (continuationIds.length >= this.contextLength) {
      throw new InvalidArgumentError(`logprobs: the continuation has ${continuationIds.length} tokens, more than the context of ${this.contextLength}.`);
    }
    const excess = contextIds.length + continuationIds.length - this.contextLength;
    if (excess > 0) contextIds = contextIds.slice(excess);
    const result = await this.model.logprobs(contextIds, continuationIds);
    if (result.tokenLogprobs.length !== continuationIds.length) {
      throw new LlmkitError('step_output', `model.logprobs returned ${result.tokenLogprobs.length} values for ${continuationIds.length} tokens.`);
    }
    return {
      logprob: result.logprob,
      isGreedy: result.isGreedy,
      tokens: continuationIds.map((id, i) => ({ token: this.tokenText(id), id, logprob: result.tokenLogprobs[i]! })),
    };
  }
}
