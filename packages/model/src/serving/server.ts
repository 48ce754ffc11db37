/**
 * An OpenAI-compatible HTTP server (node:http, no framework) over a {@link ServableModel}:
 * GET /v1/models, POST /v1/completions and /v1/chat/completions, streaming (SSE) or not.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChatMessage } from '@llmkit/core';
import { InvalidArgumentError, LlmkitError } from '@llmkit/core/errors';
import type { Constraint, SamplingConfig } from '@llmkit/sampling';
import { z } from 'zod';
import {
  ChatCompletionRequestSchema,
  CompletionRequestSchema,
  type ChatCompletionRequest,
  type ChatTokenLogprob,
  type CompletionLogprobs,
  type CompletionRequest,
  type OpenAIErrorBody,
  type OpenAIUsage,
} from './openai-types.js';
import { sseData } from './sse.js';
import type { ServableModel, TokenChunk, TokenLogprob } from './types.js';

/** Options of {@link serve}. */
export interface ServeOptions {
  /** TCP port; 0 (default) picks a free one. */
  port?: number;
  /** Interface to bind. Default '127.0.0.1'. */
  host?: string;
  /** Model name reported by /v1/models and in responses; requests naming another model get 404. Default `model.id`. */
  modelId?: string;
  /** Largest request body in bytes. Default 8 MiB. */
  maxBodyBytes?: number;
}

/** A running server. */
export interface ServerHandle {
  /** Base URL, e.g. `http://127.0.0.1:41234` (the API lives under `/v1`). */
  readonly url: string;
  readonly port: number;
  /** Stop accepting connections, abort running generations and close the server. */
  close(): Promise<void>;
}

/** An error with its HTTP status and OpenAI error fields. */
class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly type: string = status >= 500 ? 'server_error' : 'invalid_request_error',
  ) {
    super(message);
  }
}

const CLIENT_ERROR_CODES = new Set([
  'invalid_argument',
  'chat_template',
  'unknown_token',
  'disallowed_special_token',
  'all_tokens_masked',
  'tokenizer_format',
]);

function isAbort(error: unknown): boolean {
  return error instanceof Error && (error.name === 'AbortError' || error.name === 'TimeoutError');
}

function toHttpError(error: unknown): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof z.ZodError) {
    const issue = error.issues[0];
    const param = issue && issue.path.length > 0 ? issue.path.map(String).join('.') : null;
    return new HttpError(400, `Invalid request: ${param ?? 'body'}: ${issue?.message ?? 'invalid value'}`, param, 'invalid_value');
  }
  if (LlmkitError.isInstance(error) && CLIENT_ERROR_CODES.has(error.code)) return new HttpError(400, error.message, null, error.code);
  const message = error instanceof Error ? error.message : String(error);
  return new HttpError(500, `Internal error: ${message}`, null, LlmkitError.isInstance(error) ? error.code : null);
}

function errorBody(error: HttpError): OpenAIErrorBody {
  return { error: { message: error.message, type: error.type, param: error.param, code: error.code } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

async function readBody(req: IncomingMessage, limit: number): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) throw new HttpError(413, `Request body exceeds ${limit} bytes.`, null, 'body_too_large');
    chunks.push(chunk as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  if (text.trim() === '') throw new HttpError(400, 'Request body is empty; send a JSON object.', null, 'invalid_json');
  try {
    return JSON.parse(text) as unknown;
  } catch (cause) {
    throw new HttpError(400, `Request body is not valid JSON: ${(cause as Error).message}`, null, 'invalid_json');
  }
}

type Sampling = Pick<CompletionRequest, 'temperature' | 'top_p' | 'top_k' | 'min_p' | 'repetition_penalty' | 'frequency_penalty' | 'presence_penalty' | 'logit_bias'>;

function samplingConfig(body: Sampling): SamplingConfig {
  const config: SamplingConfig = { temperature: body.temperature ?? 1 };
  if (body.top_p != null && body.top_p < 1) config.topP = body.top_p;
  if (body.top_k != null && body.top_k > 0) config.topK = body.top_k;
  if (body.min_p != null && body.min_p > 0) config.minP = body.min_p;
  if (body.repetition_penalty != null && body.repetition_penalty !== 1) config.repetitionPenalty = body.repetition_penalty;
  if (body.frequency_penalty) config.frequencyPenalty = body.frequency_penalty;
  if (body.presence_penalty) config.presencePenalty = body.presence_penalty;
  if (body.logit_bias) {
    const bias: Record<number, number> = {};
    for (const [key, value] of Object.entries(body.logit_bias)) {
      if (!/^\d+$/.test(key)) throw new HttpError(400, `logit_bias keys must be token ids, got ${JSON.stringify(key)}.`, 'logit_bias', 'invalid_value');
      bias[Number(key)] = value;
    }
    config.logitBias = bias;
  }
  return config;
}

function stopList(stop: string | string[] | null | undefined): string[] {
  const list = stop == null ? [] : typeof stop === 'string' ? [stop] : stop;
  if (list.some((s) => s.length === 0)) throw new HttpError(400, 'stop strings must be non-empty.', 'stop', 'invalid_value');
  return list;
}

function constraintOf(model: ServableModel, format: CompletionRequest['response_format']): Constraint | undefined {
  if (!format || format.type === 'text') return undefined;
  try {
    return format.type === 'json_object' ? model.jsonConstraint('object') : model.jsonConstraint(format.json_schema.schema);
  } catch (error) {
    const e = toHttpError(error);
    throw new HttpError(e.status, e.message, 'response_format', e.code);
  }
}

function chatMessages(body: ChatCompletionRequest): ChatMessage[] {
  return body.messages.map((m) => {
    const content = m.content == null ? '' : typeof m.content === 'string' ? m.content : m.content.map((p) => p.text).join('');
    const message: ChatMessage = { role: m.role === 'developer' ? 'system' : m.role, content };
    if (m.name !== undefined) message.name = m.name;
    if (m.tool_call_id !== undefined) message.toolCallId = m.tool_call_id;
    return message;
  });
}

/** Per-request settings shared by both endpoints. */
interface Job {
  prompt: number[];
  maxTokens: number;
  sampling: SamplingConfig;
  seed?: number;
  stop: string[];
  constraint?: Constraint;
  topLogprobs: number;
  signal: AbortSignal;
}

/** Runs one generation, collecting tokens; `onChunk` sees every token as it comes. */
async function runJob(model: ServableModel, job: Job, onChunk?: (chunk: TokenChunk) => void): Promise<{ chunks: TokenChunk[]; finishReason: 'stop' | 'length' }> {
  const chunks: TokenChunk[] = [];
  let finishReason: 'stop' | 'length' = 'length';
  if (job.maxTokens === 0) return { chunks, finishReason };
  for await (const chunk of model.generateTokens(job.prompt, {
    maxNewTokens: job.maxTokens,
    sampling: job.sampling,
    seed: job.seed,
    stop: job.stop,
    signal: job.signal,
    constraint: job.constraint,
    topLogprobs: job.topLogprobs,
  })) {
    chunks.push(chunk);
    onChunk?.(chunk);
    if (chunk.finishReason) finishReason = chunk.finishReason;
  }
  return { chunks, finishReason };
}

function topRecord(model: ServableModel, top: TokenLogprob[] | undefined): Record<string, number> {
  const record: Record<string, number> = {};
  for (const t of top ?? []) {
    const text = model.tokenText(t.id);
    if (!(text in record)) record[text] = t.logprob;
  }
  return record;
}

function chatLogprob(model: ServableModel, id: number, logprob: number, top: TokenLogprob[] | undefined): ChatTokenLogprob {
  return {
    token: model.tokenText(id),
    logprob,
    bytes: Array.from(model.tokenBytes(id)),
    top_logprobs: (top ?? []).map((t) => ({ token: model.tokenText(t.id), logprob: t.logprob, bytes: Array.from(model.tokenBytes(t.id)) })),
  };
}

/** Appends generated tokens to a completions `logprobs` object; `offset` is the text offset of the first. */
function appendCompletionLogprobs(model: ServableModel, target: CompletionLogprobs, chunks: TokenChunk[], offset: number): number {
  for (const c of chunks) {
    const text = model.tokenText(c.tokenId);
    target.tokens.push(text);
    target.token_logprobs.push(c.logprob);
    target.top_logprobs.push(topRecord(model, c.topLogprobs));
    target.text_offset.push(offset);
    offset += text.length;
  }
  return offset;
}

/** An SSE response whose headers go out with the first event, so errors before it still get a JSON error status. */
function lazyStream(res: ServerResponse): { write(payload: unknown): void; end(): void } {
  let started = false;
  const start = (): void => {
    if (started) return;
    started = true;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  };
  return {
    write(payload) {
      start();
      res.write(sseData(payload));
    },
    end() {
      start();
      res.end(sseData('[DONE]'));
    },
  };
}

function emptyLogprobs(): CompletionLogprobs {
  return { tokens: [], token_logprobs: [], top_logprobs: [], text_offset: [] };
}

/**
 * Serve a model over the OpenAI API on loopback (or `host`): `GET /v1/models`,
 * `POST /v1/completions` and `POST /v1/chat/completions` with `stream`, `max_tokens` /
 * `max_completion_tokens`, `temperature`, `top_p`, `top_k` / `min_p` / `repetition_penalty` (vLLM
 * extensions), `frequency_penalty`, `presence_penalty`, `logit_bias`, `seed`, `stop`, `n`, `logprobs`
 * / `top_logprobs`, `echo` (completions) and `response_format` (`json_object`, `json_schema`).
 * Generations run one at a time, in arrival order; a client that disconnects aborts its generation.
 * Errors are OpenAI error bodies (`{ error: { message, type, param, code } }`) with 400, 404, 405,
 * 413 or 500.
 *
 * @param model A `LocalLanguageModel` (or any {@link ServableModel}).
 * @throws InvalidArgumentError for a bad port or host.
 * @example
 * const server = await serve(new LocalLanguageModel({ model }), { port: 8000 });
 * // curl $URL/v1/chat/completions -d '{"messages":[{"role":"user","content":"Hi"}]}'
 * await server.close();
 */
export async function serve(model: ServableModel, options: ServeOptions = {}): Promise<ServerHandle> {
  if (!model || typeof model.generateTokens !== 'function' || typeof model.encodePrompt !== 'function') {
    throw new InvalidArgumentError('serve(model): pass a LocalLanguageModel (new LocalLanguageModel({ model })).');
  }
  const port = options.port ?? 0;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new InvalidArgumentError(`serve: port = ${String(port)}; give an integer 0-65535.`);
  const host = options.host ?? '127.0.0.1';
  const modelId = options.modelId ?? model.id;
  const maxBody = options.maxBodyBytes ?? 8 * 1024 * 1024;
  const created = Math.floor(Date.now() / 1000);
  const controllers = new Set<AbortController>();
  let queue: Promise<unknown> = Promise.resolve();

  /** Run `fn` after every earlier generation has finished. */
  const exclusive = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const checkModel = (name: string | undefined): void => {
    if (name !== undefined && name !== modelId) {
      throw new HttpError(404, `The model '${name}' does not exist; this server serves '${modelId}'.`, 'model', 'model_not_found');
    }
  };

  const maxTokensFor = (promptLength: number, requested: number | null | undefined, fallback: number): number => {
    const room = model.contextLength - promptLength;
    if (room < 1) {
      throw new HttpError(400, `This model's maximum context length is ${model.contextLength} tokens; the prompt has ${promptLength}. Shorten it.`, 'messages', 'context_length_exceeded');
    }
    const wanted = requested ?? fallback;
    if (wanted > room) {
      throw new HttpError(
        400,
        `This model's maximum context length is ${model.contextLength} tokens; the prompt (${promptLength}) plus max_tokens (${wanted}) exceed it. Lower max_tokens.`,
        'max_tokens',
        'context_length_exceeded',
      );
    }
    return wanted;
  };

  async function completions(body: CompletionRequest, res: ServerResponse, signal: AbortSignal): Promise<void> {
    checkModel(body.model);
    if (body.suffix) throw new HttpError(400, 'suffix is not supported by this server.', 'suffix', 'unsupported_parameter');
    if (body.best_of != null && body.best_of !== (body.n ?? 1)) throw new HttpError(400, 'best_of is not supported (only best_of == n).', 'best_of', 'unsupported_parameter');
    const raw = body.prompt;
    const prompts: Array<string | number[]> =
      typeof raw === 'string' ? [raw] : typeof raw[0] === 'number' ? [raw as number[]] : (raw as Array<string | number[]>);
    const n = body.n ?? 1;
    const echo = body.echo ?? false;
    const k = body.logprobs ?? null;
    const stream = body.stream ?? false;
    const sampling = samplingConfig(body);
    const stop = stopList(body.stop);
    const constraint = constraintOf(model, body.response_format);
    const encoded = prompts.map((p) => (typeof p === 'string' ? model.encodePrompt(p) : p));
    const jobs = encoded.map((ids) => ({ ids, maxTokens: maxTokensFor(ids.length, body.max_tokens, 16) }));
    const id = `cmpl-${randomUUID()}`;
    const usage: OpenAIUsage = { prompt_tokens: encoded.reduce((s, ids) => s + ids.length, 0), completion_tokens: 0, total_tokens: 0 };
    const base = { id, object: 'text_completion' as const, created: Math.floor(Date.now() / 1000), model: modelId, system_fingerprint: 'fp_llmkit' };
    const sse = lazyStream(res);
    const choices: Array<{ index: number; text: string; logprobs: CompletionLogprobs | null; finish_reason: 'stop' | 'length' }> = [];
    let remaining = jobs.length * n;
    for (let p = 0; p < jobs.length; p++) {
      const { ids, maxTokens } = jobs[p]!;
      const promptText = typeof prompts[p] === 'string' ? (prompts[p] as string) : model.decode(ids);
      for (let j = 0; j < n; j++) {
        const index = p * n + j;
        const logprobs = k === null ? null : emptyLogprobs();
        let offset = 0;
        if (logprobs && echo) {
          const scores = await model.scorePrompt(ids, k ?? 0);
          for (const s of scores) {
            const text = model.tokenText(s.id);
            logprobs.tokens.push(text);
            logprobs.token_logprobs.push(s.logprob);
            logprobs.top_logprobs.push(s.logprob === null ? null : topRecord(model, s.topLogprobs));
            logprobs.text_offset.push(offset);
            offset += text.length;
          }
        }
        offset = promptText.length;
        if (stream && echo) sse.write({ ...base, choices: [{ index, text: promptText, logprobs, finish_reason: null }] });
        const seed = body.seed == null ? undefined : body.seed + j;
        const job: Job = { prompt: ids, maxTokens, sampling, seed, stop, constraint, topLogprobs: k ?? 0, signal };
        const onChunk = stream
          ? (c: TokenChunk): void => {
              if (c.finishReason) return;
              if (c.text === '' && k === null) return;
              let lp: CompletionLogprobs | null = null;
              if (k !== null) {
                lp = emptyLogprobs();
                offset = appendCompletionLogprobs(model, lp, [c], offset);
              }
              sse.write({ ...base, choices: [{ index, text: c.text, logprobs: lp, finish_reason: null }] });
            }
          : undefined;
        const { chunks, finishReason } = await runJob(model, job, onChunk);
        usage.completion_tokens += chunks.length;
        remaining--;
        const text = chunks.map((c) => c.text).join('');
        if (stream) {
          const last = chunks[chunks.length - 1];
          let lp: CompletionLogprobs | null = null;
          if (k !== null && last) {
            lp = emptyLogprobs();
            offset = appendCompletionLogprobs(model, lp, [last], offset);
          }
          const chunk: Record<string, unknown> = { ...base, choices: [{ index, text: last?.text ?? '', logprobs: lp, finish_reason: finishReason }] };
          if (remaining === 0 && !body.stream_options?.include_usage) chunk.usage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
          sse.write(chunk);
        } else {
          if (logprobs) appendCompletionLogprobs(model, logprobs, chunks, offset);
          choices.push({ index, text: echo ? promptText + text : text, logprobs, finish_reason: finishReason });
        }
      }
    }
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    if (stream) {
      if (body.stream_options?.include_usage) sse.write({ ...base, choices: [], usage });
      sse.end();
    } else {
      sendJson(res, 200, { ...base, choices, usage });
    }
  }

  async function chat(body: ChatCompletionRequest, res: ServerResponse, signal: AbortSignal): Promise<void> {
    checkModel(body.model);
    if (body.top_logprobs != null && body.top_logprobs > 0 && !body.logprobs) {
      throw new HttpError(400, 'top_logprobs needs logprobs: true.', 'top_logprobs', 'invalid_value');
    }
    const n = body.n ?? 1;
    const wantLogprobs = body.logprobs ?? false;
    const k = wantLogprobs ? (body.top_logprobs ?? 0) : 0;
    const stream = body.stream ?? false;
    const sampling = samplingConfig(body);
    const stop = stopList(body.stop);
    const constraint = constraintOf(model, body.response_format);
    const ids = model.encodePrompt(chatMessages(body));
    const maxTokens = maxTokensFor(ids.length, body.max_completion_tokens ?? body.max_tokens, model.contextLength - ids.length);
    const id = `chatcmpl-${randomUUID()}`;
    const usage: OpenAIUsage = { prompt_tokens: ids.length, completion_tokens: 0, total_tokens: 0 };
    const base = { id, object: 'chat.completion.chunk' as const, created: Math.floor(Date.now() / 1000), model: modelId, system_fingerprint: 'fp_llmkit' };
    const sse = lazyStream(res);
    const choices: unknown[] = [];
    for (let index = 0; index < n; index++) {
      const seed = body.seed == null ? undefined : body.seed + index;
      const job: Job = { prompt: ids, maxTokens, sampling, seed, stop, constraint, topLogprobs: k, signal };
      let roleSent = false;
      const sendRole = (): void => {
        if (roleSent) return;
        roleSent = true;
        sse.write({ ...base, choices: [{ index, delta: { role: 'assistant', content: '' }, logprobs: null, finish_reason: null }] });
      };
      const onChunk = stream
        ? (c: TokenChunk): void => {
            sendRole();
            if (c.finishReason) return;
            if (c.text === '' && !wantLogprobs) return;
            const logprobs = wantLogprobs ? { content: [chatLogprob(model, c.tokenId, c.logprob, c.topLogprobs)] } : null;
            sse.write({ ...base, choices: [{ index, delta: { content: c.text }, logprobs, finish_reason: null }] });
          }
        : undefined;
      const { chunks, finishReason } = await runJob(model, job, onChunk);
      usage.completion_tokens += chunks.length;
      const text = chunks.map((c) => c.text).join('');
      if (stream) {
        const last = chunks[chunks.length - 1];
        const logprobs = wantLogprobs && last ? { content: [chatLogprob(model, last.tokenId, last.logprob, last.topLogprobs)] } : null;
        const delta = last && last.text !== '' ? { content: last.text } : {};
        const chunk: Record<string, unknown> = { ...base, choices: [{ index, delta, logprobs, finish_reason: finishReason }] };
        if (index === n - 1 && !body.stream_options?.include_usage) chunk.usage = { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens };
        sendRole();
        sse.write(chunk);
      } else {
        choices.push({
          index,
          message: { role: 'assistant', content: text, refusal: null },
          logprobs: wantLogprobs ? { content: chunks.map((c) => chatLogprob(model, c.tokenId, c.logprob, c.topLogprobs)) } : null,
          finish_reason: finishReason,
        });
      }
    }
    usage.total_tokens = usage.prompt_tokens + usage.completion_tokens;
    if (stream) {
      if (body.stream_options?.include_usage) sse.write({ ...base, choices: [], usage });
      sse.end();
    } else {
      sendJson(res, 200, { ...base, object: 'chat.completion', choices, usage });
    }
  }

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '/').split('?')[0]!.replace(/\/+$/, '');
    const method = req.method ?? 'GET';
    if (path === '/v1/models') {
      if (method !== 'GET') throw new HttpError(405, `Method ${method} not allowed on ${path}; use GET.`, null, 'method_not_allowed');
      sendJson(res, 200, { object: 'list', data: [{ id: modelId, object: 'model', created, owned_by: 'llmkit', max_model_len: model.contextLength }] });
      return;
    }
    if (path.startsWith('/v1/models/')) {
      if (method !== 'GET') throw new HttpError(405, `Method ${method} not allowed on ${path}; use GET.`, null, 'method_not_allowed');
      const name = decodeURIComponent(path.slice('/v1/models/'.length));
      checkModel(name);
      sendJson(res, 200, { id: modelId, object: 'model', created, owned_by: 'llmkit' });
      return;
    }
    const endpoint = path === '/v1/completions' ? 'completions' : path === '/v1/chat/completions' ? 'chat' : undefined;
    if (!endpoint) throw new HttpError(404, `Unknown endpoint ${method} ${path}; this server has /v1/models, /v1/completions and /v1/chat/completions.`, null, 'not_found');
    if (method !== 'POST') throw new HttpError(405, `Method ${method} not allowed on ${path}; use POST.`, null, 'method_not_allowed');
    const json = await readBody(req, maxBody);
    const controller = new AbortController();
    controllers.add(controller);
    const onClose = (): void => {
      if (!res.writableFinished) controller.abort(new DOMException('The client disconnected.', 'AbortError'));
    };
    res.on('close', onClose);
    try {
      if (endpoint === 'completions') {
        const body = CompletionRequestSchema.parse(json);
        await exclusive(async () => {
          controller.signal.throwIfAborted();
          await completions(body, res, controller.signal);
        });
      } else {
        const body = ChatCompletionRequestSchema.parse(json);
        await exclusive(async () => {
          controller.signal.throwIfAborted();
          await chat(body, res, controller.signal);
        });
      }
    } finally {
      controllers.delete(controller);
      res.off('close', onClose);
    }
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      if (res.destroyed || (isAbort(error) && res.writableEnded)) return;
      if (isAbort(error) && req.destroyed) return;
      const http = toHttpError(error);
      if (res.headersSent) {
        // Mid-stream: report in-band (as vLLM does) and end the stream.
        if (!res.writableEnded) res.end(sseData(errorBody(http)));
        return;
      }
      sendJson(res, http.status, errorBody(http), http.status === 405 ? { allow: path405(req.url) } : {});
    });
  });
  const path405 = (url: string | undefined): string => ((url ?? '').startsWith('/v1/models') ? 'GET' : 'POST');

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostForUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostForUrl}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        for (const c of controllers) c.abort(new DOMException('The server is closing.', 'AbortError'));
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeAllConnections();
      }),
  };
}
