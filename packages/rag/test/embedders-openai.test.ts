/** OpenAICompatibleEmbedder against a local node:http server speaking the /v1/embeddings protocol. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleEmbedder } from '../src/embedders/openai-compatible.js';
import { EmbedderError } from '../src/embedders/errors.js';

// The fake model: embedding of text t is [t.length, number of spaces, 1] (or `dim` entries when asked).
const requests: Array<{ auth?: string; body: { model: string; input: string[]; dimensions?: number } }> = [];
let mode: 'ok' | 'wrong-dim' | '500-once' | '401' | 'shuffled' | 'short' = 'ok';
let failed = false;
const server = http.createServer((req, res) => {
  let raw = '';
  req.on('data', (c) => (raw += c));
  req.on('end', () => {
    const body = JSON.parse(raw) as { model: string; input: string[]; dimensions?: number };
    requests.push({ auth: req.headers.authorization, body });
    if (req.url !== '/v1/embeddings') return void res.writeHead(404).end('not found');
    if (mode === '401') return void res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}');
    if (mode === '500-once' && !failed) {
      failed = true;
      return void res.writeHead(503).end('busy');
    }
    const embed = (t: string): number[] => (mode === 'wrong-dim' ? [1, 2] : [t.length, t.split(' ').length - 1, 1]);
    let data = body.input.map((t, index) => ({ object: 'embedding', index, embedding: embed(t) }));
    if (mode === 'shuffled') data = data.reverse();
    if (mode === 'short') data = data.slice(1);
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ object: 'list', data, model: body.model }));
  });
});
let baseURL = '';
beforeAll(async () => {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseURL = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

async function code(p: Promise<unknown>): Promise<string | undefined> {
  try {
    await p;
  } catch (e) {
    expect(EmbedderError.isInstance(e)).toBe(true);
    return (e as EmbedderError).code;
  }
  return undefined;
}

describe('OpenAICompatibleEmbedder', () => {
  it('batches requests, keeps order, sends model and key, learns the dimension', async () => {
    mode = 'ok';
    requests.length = 0;
    const e = await OpenAICompatibleEmbedder.create({ baseURL, model: 'fake', apiKey: 'sk-test', batchSize: 2 });
    expect(e.dimension).toBe(3);
    const texts = ['a', 'b c', 'd e f', 'ghij', 'k'];
    const v = await e.embed(texts);
    expect(v.map((x) => Array.from(x))).toEqual(texts.map((t) => [t.length, t.split(' ').length - 1, 1]));
    expect(requests.slice(1).map((r) => r.body.input.length)).toEqual([2, 2, 1]);
    expect(requests[1]!.auth).toBe('Bearer sk-test');
    expect(requests[1]!.body.model).toBe('fake');
  });

  it('puts out-of-order replies back by index', async () => {
    mode = 'shuffled';
    const e = new OpenAICompatibleEmbedder({ baseURL, model: 'fake', dimension: 3 });
    expect((await e.embed(['aa', 'b'])).map((x) => x[0])).toEqual([2, 1]);
  });

  it('raises typed errors: dimension mismatch, HTTP status, malformed reply, network', async () => {
    mode = 'wrong-dim';
    expect(await code(new OpenAICompatibleEmbedder({ baseURL, model: 'fake', dimension: 3 }).embed(['x']))).toBe('dimension_mismatch');
    mode = '401';
    const err = (await new OpenAICompatibleEmbedder({ baseURL, model: 'fake', dimension: 3, maxRetries: 0 }).embed(['x']).then(() => undefined, (e: unknown) => e)) as EmbedderError | undefined;
    expect(err?.code).toBe('http_error');
    expect(err?.message).toMatch(/HTTP 401.*bad key.*apiKey/s);
    mode = 'short';
    expect(await code(new OpenAICompatibleEmbedder({ baseURL, model: 'fake', dimension: 3 }).embed(['x', 'y']))).toBe('invalid_response');
    mode = 'ok';
    expect(await code(new OpenAICompatibleEmbedder({ baseURL: baseURL.replace('/v1', '/v2'), model: 'fake', dimension: 3, maxRetries: 0 }).embed(['x']))).toBe('http_error');
    expect(await code(new OpenAICompatibleEmbedder({ baseURL: 'http://127.0.0.1:1/v1', model: 'fake', dimension: 3, maxRetries: 0 }).embed(['x']))).toBe('network');
    expect(() => new OpenAICompatibleEmbedder({ baseURL: 'localhost', model: 'fake', dimension: 3 })).toThrow(/baseURL must be an http/);
  });

  it('retries a 503 and succeeds', async () => {
    mode = '500-once';
    failed = false;
    const e = new OpenAICompatibleEmbedder({ baseURL, model: 'fake', dimension: 3, maxRetries: 1 });
    expect(Array.from((await e.embed(['abc']))[0]!)).toEqual([3, 0, 1]);
    expect(failed).toBe(true);
  });
});
