/** Embeddings from any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, llama.cpp server, Ollama, TEI...). */
import type { Embedder } from '@llmkit/core';
import { EmbedderError } from './errors.js';

export interface OpenAICompatibleEmbedderOptions {
  /** Base URL including the version path, e.g. `https://api.openai.com/v1` or `http://localhost:8080/v1`. */
  baseURL: string;
  model: string;
  /** Length of the vectors; every response is checked against it. `create` asks the server when omitted. */
  dimension?: number;
  apiKey?: string;
  /** Sent as the request's `dimensions` field (models that can shorten their output, e.g. text-embedding-3). */
  requestDimensions?: boolean;
  /** Texts per request. Default 64. */
  batchSize?: number;
  /** Retries after HTTP 429/5xx or a network error, with exponential backoff (Retry-After honoured). Default 2. */
  maxRetries?: number;
  /** Per-request timeout in ms. Default 60_000. */
  timeoutMs?: number;
  headers?: Record<string, string>;
  /** fetch implementation (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
}

interface EmbeddingResponse {
  data?: Array<{ embedding?: number[] | string; index?: number }>;
}

function decodeBase64Floats(s: string): number[] {
  const bytes = Buffer.from(s, 'base64');
  return Array.from(new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)));
}

/**
 * {@link Embedder} over HTTP, batched, with typed errors for HTTP failures, malformed replies and dimension mismatches.
 *
 * @throws {EmbedderError} `http_error` (non-2xx, message has status and body), `network`, `timeout`,
 *   `invalid_response`, `dimension_mismatch`, `invalid_argument`.
 * @example
 * const embedder = await OpenAICompatibleEmbedder.create({ baseURL: 'http://localhost:8080/v1', model: 'nomic-embed-text' });
 * const vectors = await embedder.embed(['Call me Ishmael.', 'It was the best of times']);
 */
export class OpenAICompatibleEmbedder implements Embedder {
  readonly dimension: number;
  private readonly options: Required<Pick<OpenAICompatibleEmbedderOptions, 'batchSize' | 'maxRetries' | 'timeoutMs'>> & OpenAICompatibleEmbedderOptions;
  private readonly url: string;

  constructor(options: OpenAICompatibleEmbedderOptions & { dimension: number }) {
    const where = 'OpenAICompatibleEmbedder';
    if (typeof options !== 'object' || options === null) throw new EmbedderError('invalid_argument', `${where} needs { baseURL, model, dimension }.`);
    if (typeof options.baseURL !== 'string' || !/^https?:\/\//.test(options.baseURL)) {
      throw new EmbedderError('invalid_argument', `${where}: baseURL must be an http(s) URL such as http://localhost:8080/v1, got ${JSON.stringify(options.baseURL)}.`);
    }
    if (typeof options.model !== 'string' || options.model === '') throw new EmbedderError('invalid_argument', `${where}: model must be a non-empty string.`);
    const intOpt = (v: unknown, name: string, min: number): number => {
      if (!Number.isInteger(v) || (v as number) < min) throw new EmbedderError('invalid_argument', `${where}: ${name} must be an integer >= ${min}, got ${JSON.stringify(v)}.`);
      return v as number;
    };
    this.dimension = intOpt(options.dimension, 'dimension', 1);
    this.options = {
      ...options,
      batchSize: intOpt(options.batchSize ?? 64, 'batchSize', 1),
      maxRetries: intOpt(options.maxRetries ?? 2, 'maxRetries', 0),
      timeoutMs: intOpt(options.timeoutMs ?? 60_000, 'timeoutMs', 1),
    };
    this.url = `${options.baseURL.replace(/\/+$/, '')}/embeddings`;
  }

  /** Like the constructor; when `dimension` is omitted, embeds one probe text to learn it. */
  static async create(options: OpenAICompatibleEmbedderOptions): Promise<OpenAICompatibleEmbedder> {
    if (options?.dimension !== undefined) return new OpenAICompatibleEmbedder(options as OpenAICompatibleEmbedderOptions & { dimension: number });
    const probe = new OpenAICompatibleEmbedder({ ...options, dimension: 1 });
    const [v] = await probe.request(['dimension probe'], false);
    return new OpenAICompatibleEmbedder({ ...options, dimension: v!.length });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new EmbedderError('invalid_argument', 'OpenAICompatibleEmbedder.embed(texts) takes an array of strings.');
    const out: Float32Array[] = [];
    for (let i = 0; i < texts.length; i += this.options.batchSize) out.push(...(await this.request(texts.slice(i, i + this.options.batchSize), true)));
    return out;
  }

  private async request(texts: string[], check: boolean): Promise<Float32Array[]> {
    const { apiKey, headers, model, requestDimensions, maxRetries, timeoutMs } = this.options;
    const body = JSON.stringify({ model, input: texts, encoding_format: 'float', ...(requestDimensions ? { dimensions: this.dimension } : {}) });
    const doFetch = this.options.fetch ?? globalThis.fetch;
    for (let attempt = 0; ; attempt++) {
      let response: Response;
      try {
        response = await doFetch(this.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(apiKey ? { authorization: `Bearer ${apiKey}` } : {}), ...headers },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (cause) {
        const timeout = (cause as Error)?.name === 'TimeoutError';
        if (attempt < maxRetries) {
          await new Promise((r) => setTimeout(r, 200 * 2 ** attempt));
          continue;
        }
        throw new EmbedderError(timeout ? 'timeout' : 'network', `POST ${this.url} ${timeout ? `timed out after ${timeoutMs} ms` : `failed: ${(cause as Error).message}`}; check that the server is running and baseURL is right.`, { cause });
      }
      if (!response.ok) {
        const text = (await response.text().catch(() => '')).slice(0, 500);
        if ((response.status === 429 || response.status >= 500) && attempt < maxRetries) {
          const retryAfter = Number(response.headers.get('retry-after'));
          await new Promise((r) => setTimeout(r, Number.isFinite(retryAfter) && retryAfter > 0 ? Math.min(retryAfter, 30) * 1000 : 200 * 2 ** attempt));
          continue;
        }
        const hint = response.status === 401 || response.status === 403 ? ' Check apiKey.' : response.status === 404 ? ' Check baseURL (it should end with /v1) and model.' : '';
        const error = new EmbedderError('http_error', `POST ${this.url} returned HTTP ${response.status} ${response.statusText}: ${text}.${hint}`);
        (error as EmbedderError & { status?: number }).status = response.status;
        throw error;
      }
      let json: EmbeddingResponse;
      try {
        json = (await response.json()) as EmbeddingResponse;
      } catch (cause) {
        throw new EmbedderError('invalid_response', `POST ${this.url} returned a body that is not JSON.`, { cause });
      }
      const data = json?.data;
      if (!Array.isArray(data) || data.length !== texts.length) {
        throw new EmbedderError('invalid_response', `POST ${this.url} returned ${Array.isArray(data) ? data.length : 'no'} embeddings for ${texts.length} inputs.`);
      }
      const vectors: Float32Array[] = new Array(texts.length);
      data.forEach((item, i) => {
        const index = item.index ?? i;
        const raw = typeof item.embedding === 'string' ? decodeBase64Floats(item.embedding) : item.embedding;
        if (!Number.isInteger(index) || index < 0 || index >= texts.length || vectors[index] || !Array.isArray(raw) || !raw.every((x) => typeof x === 'number' && Number.isFinite(x))) {
          throw new EmbedderError('invalid_response', `POST ${this.url}: data[${i}] is not a finite embedding with a unique index in [0, ${texts.length}).`);
        }
        if (check && raw.length !== this.dimension) {
          throw new EmbedderError('dimension_mismatch', `Model ${model} returned a ${raw.length}-d vector but this embedder expects ${this.dimension}; set dimension to ${raw.length} (and rebuild stores made with the old size).`);
        }
        vectors[index] = Float32Array.from(raw);
      });
      return vectors;
    }
  }
}
