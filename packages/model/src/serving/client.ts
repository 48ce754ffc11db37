/**
 * `OpenAICompatibleModel`: core's `LanguageModel` over an OpenAI-compatible HTTP API (OpenAI,
 * vLLM, llama.cpp server, `serve()`), with `fetch`.
 */
import type { ChatMessage, Completion, FinishReason, GenerateOptions, GenerationChunk, LanguageModel, LogprobResult } from '@llmkit/core';
import { InvalidArgumentError, LlmkitError, type LlmkitErrorOptions } from '@llmkit/core/errors';
import { SseParser } from './sse.js';

/**
 * The server answered with an HTTP error (or an in-stream error event). Code `openai_api`.
 * @example
 * try { await lm.complete('hi'); } catch (e) { if (OpenAIApiError.isInstance(e)) console.error(e.status, e.details.code, e.message); }
 */
export class OpenAIApiError extends LlmkitError {
  constructor(
    message: string,
    /** HTTP status (0 for an error event inside a 200 stream). */
    readonly status: number,
    /** The API's `error.type`, `error.param` and `error.code`, when the body had them. */
    readonly details: { type?: string; param?: string | null; code?: string | number | null } = {},
    options?: LlmkitErrorOptions,
  ) {
    super('openai_api', message, options);
  }
}

/**
 * The endpoint cannot return prompt log-probabilities (no `echo` + `logprobs`). Code `logprobs_unsupported`.
 * @example
 * const score = await lm.logprobs('2 + 2 =', ' 4').catch((e) => (LogprobsUnsupportedError.isInstance(e) ? undefined : Promise.reject(e)));
 */
export class LogprobsUnsupportedError extends LlmkitError {
  constructor(message: string, options?: LlmkitErrorOptions) {
    super('logprobs_unsupported', message, options);
  }
}

/** Options of {@link OpenAICompatibleModel}. */
export interface OpenAICompatibleModelOptions {
  /** API base, e.g. `https://api.openai.com/v1` or `http://127.0.0.1:8000` (`/v1` is added when missing). */
  baseURL: string;
  /** Model name sent in every request. */
  model: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
  /** fetch implementation (default globalThis.fetch). */
  fetch?: typeof fetch;
  /** Default `max_tokens` when `maxNewTokens` is not given (omitted when undefined: the server's default). */
  defaultMaxTokens?: number;
}

interface ChoiceLike {
  text?: string;
  message?: { content?: string | null };
  delta?: { content?: string | null };
  finish_reason?: string | null;
  logprobs?: {
    tokens?: string[];
    token_logprobs?: Array<number | null>;
    top_logprobs?: Array<Record<string, number> | null> | null;
    text_offset?: number[];
  } | null;
}

interface ResponseLike {
  choices?: ChoiceLike[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string; type?: string; param?: string | null; code?: string | number | null } | string;
}

function finishReason(reason: string | null | undefined): FinishReason {
  if (reason === 'length') return 'length';
  if (reason === 'content_filter') return 'content_filter';
  return 'stop';
}

function errorFromBody(body: unknown, status: number, fallback: string): OpenAIApiError {
  const e = (body as ResponseLike | undefined)?.error;
  if (typeof e === 'string') return new OpenAIApiError(`${fallback}: ${e}`, status);
  if (e && typeof e === 'object') {
    return new OpenAIApiError(`${fallback}: ${e.message ?? 'unknown error'}`, status, { type: e.type, param: e.param ?? null, code: e.code ?? null });
  }
  return new OpenAIApiError(fallback, status);
}

/**
 * A remote model behind an OpenAI-compatible API as a `LanguageModel`. Chat messages go to
 * `/v1/chat/completions`, plain strings to `/v1/completions`; `generate` streams (SSE), `complete`
 * does not; `logprobs` asks `/v1/completions` for `echo` + `logprobs` (vLLM, llama.cpp with
 * `n_probs`, `serve()`; OpenAI's current models refuse it and a {@link LogprobsUnsupportedError} is thrown).
 *
 * GenerateOptions map to `max_tokens`, `temperature`, `top_p`, `seed`, `stop`, `frequency_penalty`,
 * `presence_penalty`; `topK`, `minP` and `repetitionPenalty` are sent as the vLLM / llama.cpp
 * extensions `top_k`, `min_p`, `repetition_penalty` only when set.
 *
 * @example
 * const lm = new OpenAICompatibleModel({ baseURL: 'http://127.0.0.1:8000/v1', model: 'tiny' });
 * for await (const c of lm.generate([{ role: 'user', content: 'Hi' }], { maxNewTokens: 16 })) process.stdout.write(c.text);
 */
export class OpenAICompatibleModel implements LanguageModel {
  readonly id: string;
  private readonly base: string;
  private readonly options: OpenAICompatibleModelOptions;
  private readonly fetchFn: typeof fetch;

  constructor(options: OpenAICompatibleModelOptions) {
    if (!options || typeof options.baseURL !== 'string' || !/^https?:\/\//.test(options.baseURL)) {
      throw new InvalidArgumentError('OpenAICompatibleModel: baseURL must be an http(s) URL such as "http://127.0.0.1:8000/v1".');
    }
    if (typeof options.model !== 'string' || options.model.length === 0) {
      throw new InvalidArgumentError('OpenAICompatibleModel: model must be the model name the server expects (see GET /v1/models).');
    }
    const fetchFn = options.fetch ?? globalThis.fetch;
    if (typeof fetchFn !== 'function') throw new InvalidArgumentError('OpenAICompatibleModel: no fetch available; pass options.fetch.');
    this.options = options;
    this.fetchFn = fetchFn;
    const trimmed = options.baseURL.replace(/\/+$/, '');
    this.base = /\/v\d+$/.test(trimmed) ? trimmed : `${trimmed}/v1`;
    this.id = options.model;
  }

  private body(prompt: string | ChatMessage[], options: GenerateOptions, stream: boolean): { path: string; body: Record<string, unknown> } {
    const body: Record<string, unknown> = { model: this.options.model, stream };
    let path: string;
    if (typeof prompt === 'string') {
      path = '/completions';
      body.prompt = prompt;
    } else if (Array.isArray(prompt)) {
      path = '/chat/completions';
      body.messages = prompt.map((m) => {
        const out: Record<string, unknown> = { role: m.role, content: m.content };
        if (m.name !== undefined) out.name = m.name;
        if (m.toolCallId !== undefined) out.tool_call_id = m.toolCallId;
        return out;
      });
    } else {
      throw new InvalidArgumentError('prompt must be a string or an array of chat messages ({ role, content }).');
    }
    const maxTokens = options.maxNewTokens ?? this.options.defaultMaxTokens;
    if (maxTokens !== undefined) body.max_tokens = maxTokens;
    if (options.temperature !== undefined) body.temperature = options.temperature;
    if (options.topP !== undefined) body.top_p = options.topP;
    if (options.topK !== undefined) body.top_k = options.topK;
    if (options.minP !== undefined) body.min_p = options.minP;
    if (options.repetitionPenalty !== undefined) body.repetition_penalty = options.repetitionPenalty;
    if (options.frequencyPenalty !== undefined) body.frequency_penalty = options.frequencyPenalty;
    if (options.presencePenalty !== undefined) body.presence_penalty = options.presencePenalty;
    if (options.seed !== undefined) body.seed = options.seed;
    if (options.stop !== undefined && options.stop.length > 0) body.stop = options.stop;
    if (stream) body.stream_options = { include_usage: true };
    return { path, body };
  }

  private async post(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<Response> {
    const headers: Record<string, string> = { 'content-type': 'application/json', ...this.options.headers };
    if (this.options.apiKey) headers.authorization = `Bearer ${this.options.apiKey}`;
    const url = this.base + path;
    let response: Response;
    try {
      response = await this.fetchFn(url, { method: 'POST', headers, body: JSON.stringify(body), signal });
    } catch (cause) {
      if (cause instanceof Error && cause.name === 'AbortError') throw cause;
      throw new OpenAIApiError(`POST ${url} failed: ${(cause as Error).message}`, 0, {}, { cause });
    }
    if (!response.ok) {
      const text = await response.text().catch(() => '');
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      const error = errorFromBody(parsed, response.status, `POST ${url} returned HTTP ${response.status}`);
      if (parsed === undefined && text) throw new OpenAIApiError(`${error.message}: ${text.slice(0, 500)}`, response.status);
      throw error;
    }
    return response;
  }

  private async json(path: string, body: Record<string, unknown>, signal?: AbortSignal): Promise<ResponseLike> {
    const response = await this.post(path, body, signal);
    const text = await response.text();
    let parsed: ResponseLike;
    try {
      parsed = JSON.parse(text) as ResponseLike;
    } catch (cause) {
      throw new OpenAIApiError(`${path}: the response is not JSON: ${text.slice(0, 200)}`, response.status, {}, { cause });
    }
    if (parsed.error) throw errorFromBody(parsed, response.status, `${path} returned an error`);
    if (!Array.isArray(parsed.choices)) throw new OpenAIApiError(`${path}: the response has no choices array.`, response.status);
    return parsed;
  }

  /**
   * Stream a generation over SSE (robust to events split across network chunks and to `: keep-alive` comments).
   * @throws OpenAIApiError on an HTTP error or an in-stream error event; the signal's reason when aborted.
   */
  async *generate(prompt: string | ChatMessage[], options: GenerateOptions = {}): AsyncGenerator<GenerationChunk, void, undefined> {
    const { path, body } = this.body(prompt, options, true);
    const response = await this.post(path, body, options.signal);
    if (!response.body) throw new OpenAIApiError(`${path}: the streaming response has no body.`, response.status);
    const reader = response.body.getReader();
    const decoder = new TextDecoder();
    const parser = new SseParser();
    let finish: FinishReason | undefined;
    let done = false;
    try {
      while (!done) {
        const { value, done: ended } = await reader.read();
        const events = ended ? [...parser.push(decoder.decode()), ...parser.end()] : parser.push(decoder.decode(value, { stream: true }));
        for (const event of events) {
          if (event.data === '[DONE]') {
            done = true;
            break;
          }
          let payload: ResponseLike;
          try {
            payload = JSON.parse(event.data) as ResponseLike;
          } catch (cause) {
            throw new OpenAIApiError(`${path}: a stream event is not JSON: ${event.data.slice(0, 200)}`, response.status, {}, { cause });
          }
          if (payload.error) throw errorFromBody(payload, 0, `${path}: the stream reported an error`);
          const choice = payload.choices?.find((c) => ((c as { index?: number }).index ?? 0) === 0);
          if (!choice) continue;
          const text = choice.text ?? choice.delta?.content ?? '';
          if (choice.finish_reason) finish = finishReason(choice.finish_reason);
          if (text !== '') yield { text };
        }
        if (ended) break;
      }
    } finally {
      await reader.cancel().catch(() => undefined);
    }
    yield { text: '', finishReason: finish ?? 'stop' };
  }

  /**
   * One non-streaming request; the first choice's text, finish reason and usage.
   * @throws OpenAIApiError on an HTTP error or a malformed body.
   */
  async complete(prompt: string | ChatMessage[], options: GenerateOptions = {}): Promise<Completion> {
    const { path, body } = this.body(prompt, options, false);
    const response = await this.json(path, body, options.signal);
    const choice = response.choices![0];
    if (!choice) throw new OpenAIApiError(`${path}: the response has no choices.`, 200);
    const result: Completion = { text: choice.text ?? choice.message?.content ?? '', finishReason: finishReason(choice.finish_reason) };
    if (response.usage && typeof response.usage.prompt_tokens === 'number') {
      result.usage = { promptTokens: response.usage.prompt_tokens, completionTokens: response.usage.completion_tokens ?? 0 };
    }
    return result;
  }

  /**
   * Log-probability of `continuation` after `context` via `/v1/completions` with `echo: true`,
   * `logprobs: 1`, `max_tokens: 1`, `temperature: 0` (as lm-evaluation-harness's `local-completions`).
   * Trailing spaces of the context move to the continuation; the continuation tokens are the echoed
   * prompt tokens that end after the context (`text_offset`), so a token straddling the boundary counts.
   * @throws LogprobsUnsupportedError when the server returns no prompt log-probabilities or refuses echo.
   * @throws OpenAIApiError on other HTTP errors.
   */
  async logprobs(context: string, continuation: string): Promise<LogprobResult> {
    if (typeof context !== 'string' || typeof continuation !== 'string' || continuation.length === 0) {
      throw new InvalidArgumentError('logprobs(context, continuation) takes two strings; continuation must be non-empty.');
    }
    const spaces = context.length - context.trimEnd().length;
    if (spaces > 0) {
      continuation = context.slice(context.length - spaces) + continuation;
      context = context.slice(0, context.length - spaces);
    }
    const full = context + continuation;
    const body = { model: this.options.model, prompt: full, echo: true, logprobs: 1, max_tokens: 1, temperature: 0 };
    let response: ResponseLike;
    try {
      response = await this.json('/completions', body);
    } catch (error) {
      if (OpenAIApiError.isInstance(error) && (error.status === 400 || error.status === 404 || error.status === 422) && /echo|logprob/i.test(error.message)) {
        throw new LogprobsUnsupportedError(
          `${this.base} does not return prompt log-probabilities (echo + logprobs on /completions): ${error.message}. Use a server that does (vLLM, serve()) or a LocalLanguageModel.`,
          { cause: error },
        );
      }
      throw error;
    }
    const lp = response.choices?.[0]?.logprobs;
    const tokens = lp?.tokens;
    const values = lp?.token_logprobs;
    const offsets = lp?.text_offset;
    if (!Array.isArray(tokens) || !Array.isArray(values) || !Array.isArray(offsets) || offsets.length !== tokens.length) {
      throw new LogprobsUnsupportedError(
        `${this.base}/completions returned no echoed prompt log-probabilities (tokens, token_logprobs, text_offset); the server does not support echo + logprobs.`,
      );
    }
    const result: LogprobResult = { logprob: 0, tokens: [], isGreedy: true };
    for (let i = 0; i < tokens.length; i++) {
      const start = offsets[i]!;
      const end = i + 1 < offsets.length ? offsets[i + 1]! : start + tokens[i]!.length;
      if (start >= full.length) break; // generated tokens after the echoed prompt
      if (end <= context.length) continue; // context tokens
      const value = values[i];
      if (typeof value !== 'number') {
        throw new LogprobsUnsupportedError(`${this.base}/completions gave no log-probability for the prompt token ${JSON.stringify(tokens[i])}.`);
      }
      result.logprob += value;
      result.tokens.push({ token: tokens[i]!, logprob: value });
      const top = lp?.top_logprobs?.[i];
      if (top && typeof top === 'object') {
        let best: string | undefined;
        let bestValue = -Infinity;
        for (const [token, v] of Object.entries(top)) {
          if (v > bestValue) {
            bestValue = v;
            best = token;
          }
        }
        if (best !== undefined && best !== tokens[i] && bestValue > value) result.isGreedy = false;
      }
    }
    if (result.tokens.length === 0) throw new LogprobsUnsupportedError(`${this.base}/completions echoed no tokens for the continuation.`);
    return result;
  }
}
