// OpenAICompatibleModel against recorded-shape responses of llama.cpp, OpenAI and vLLM (test/fixtures/openai),
// served by a tiny local HTTP server that writes SSE transcripts in small random pieces; plus the SSE parser.
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LogprobsUnsupportedError, OpenAIApiError, OpenAICompatibleModel } from '../src/serving/client.js';
import { SseParser } from '../src/serving/sse.js';

const fixture = (name: string): string => readFileSync(new URL(`./fixtures/openai/${name}`, import.meta.url), 'utf8');

/** fixture name -> [status, content type, body] */
const ROUTES: Record<string, [number, string, string]> = {
  'llamacpp-chat': [200, 'application/json', fixture('llamacpp-chat.json')],
  'llamacpp-chat-stream': [200, 'text/event-stream', fixture('llamacpp-chat-stream.sse')],
  'llamacpp-completion': [200, 'application/json', fixture('llamacpp-completion.json')],
  'openai-completion': [200, 'application/json', fixture('openai-completion.json')],
  'openai-chat-stream': [200, 'text/event-stream', fixture('openai-chat-stream.sse')],
  'openai-error-401': [401, 'application/json', fixture('openai-error-401.json')],
  'openai-error-echo': [400, 'application/json', fixture('openai-error-echo-logprobs.json')],
  'vllm-echo': [200, 'application/json', fixture('vllm-completion-echo-logprobs.json')],
  'no-logprobs': [200, 'application/json', fixture('openai-completion.json')],
  'html-502': [502, 'text/html', '<html><body>502 Bad Gateway</body></html>'],
  'stream-error': [200, 'text/event-stream', 'data: {"error":{"message":"model crashed","type":"server_error","param":null,"code":null}}\n\n'],
};

let server: Server;
let base = '';
const requests: Array<{ path: string; body: Record<string, unknown>; headers: IncomingMessage['headers'] }> = [];

/** Deterministic piece sizes 1..17 (mulberry32), so events and UTF-8 characters split across writes. */
function pieces(text: string, seed: number): Buffer[] {
  const bytes = Buffer.from(text, 'utf8');
  let a = seed >>> 0;
  const next = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; ) {
    const n = 1 + Math.floor(next() * 17);
    out.push(bytes.subarray(i, i + n));
    i += n;
  }
  return out;
}

beforeAll(async () => {
  server = createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
    requests.push({ path: req.url ?? '', body, headers: req.headers });
    const route = ROUTES[String(req.headers['x-fixture'])];
    if (!route) {
      res.writeHead(404).end();
      return;
    }
    const [status, type, text] = route;
    res.writeHead(status, { 'content-type': type });
    if (type !== 'text/event-stream') {
      res.end(text);
      return;
    }
    for (const piece of pieces(text, 42)) {
      res.write(piece);
      await new Promise((r) => setImmediate(r));
    }
    res.end();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => new Promise<void>((r) => server.close(() => r())));

const client = (name: string, extra: Partial<ConstructorParameters<typeof OpenAICompatibleModel>[0]> = {}) =>
  new OpenAICompatibleModel({ baseURL: base, model: 'test-model', apiKey: 'sk-test', headers: { 'x-fixture': name }, ...extra });

async function collect(gen: AsyncIterable<{ text: string; finishReason?: string }>): Promise<{ text: string; finish?: string; count: number }> {
  let text = '';
  let finish: string | undefined;
  let count = 0;
  for await (const c of gen) {
    text += c.text;
    if (c.finishReason) finish = c.finishReason;
    count++;
  }
  return { text, finish, count };
}

describe('SseParser', () => {
  it('parses events split anywhere, CRLF / CR line ends, comments and multi-line data', () => {
    const transcript = 'data: {"a":1}\r\n\r\n: keep-alive\n\nevent: ping\ndata: x\ndata: y\r\rdata:[DONE]\n\n';
    const expected = [{ data: '{"a":1}' }, { event: 'ping', data: 'x\ny' }, { data: '[DONE]' }];
    for (let size = 1; size <= transcript.length; size++) {
      const parser = new SseParser();
      const events = [];
      for (let i = 0; i < transcript.length; i += size) events.push(...parser.push(transcript.slice(i, i + size)));
      events.push(...parser.end());
      expect(events).toEqual(expected);
    }
  });

  it('end() dispatches a last event without its blank line', () => {
    const parser = new SseParser();
    expect(parser.push('data: tail')).toEqual([]);
    expect(parser.end()).toEqual([{ data: 'tail' }]);
  });
});

describe('OpenAICompatibleModel on recorded responses', () => {
  it('llama.cpp chat (non-streaming): content, finish reason, usage; request shape', async () => {
    const result = await client('llamacpp-chat').complete([{ role: 'user', content: 'Capital of France?' }], { maxNewTokens: 32, temperature: 0, topK: 1, stop: ['\n'] });
    expect(result).toEqual({ text: 'The capital of France is Paris.', finishReason: 'stop', usage: { promptTokens: 27, completionTokens: 8 } });
    const last = requests.at(-1)!;
    expect(last.path).toBe('/v1/chat/completions');
    expect(last.headers.authorization).toBe('Bearer sk-test');
    expect(last.body).toEqual({
      model: 'test-model',
      stream: false,
      messages: [{ role: 'user', content: 'Capital of France?' }],
      max_tokens: 32,
      temperature: 0,
      top_k: 1,
      stop: ['\n'],
    });
  });

  it('llama.cpp chat stream (split chunks, keep-alive comment, null role content, usage + timings)', async () => {
    const { text, finish } = await collect(client('llamacpp-chat-stream').generate([{ role: 'user', content: 'Capital?' }]));
    expect(text).toBe('The capital of France is Paris — ünïcödé 日本 😀.');
    expect(finish).toBe('stop');
    expect(requests.at(-1)!.body.stream).toBe(true);
    expect(requests.at(-1)!.body.stream_options).toEqual({ include_usage: true });
  });

  it('llama.cpp and OpenAI completions (strings go to /v1/completions)', async () => {
    const llama = await client('llamacpp-completion').complete('The capital of France is');
    expect(llama).toEqual({ text: ' Paris, and its largest city is also Paris.', finishReason: 'length', usage: { promptTokens: 6, completionTokens: 12 } });
    expect(requests.at(-1)!.path).toBe('/v1/completions');
    expect(requests.at(-1)!.body.prompt).toBe('The capital of France is');
    const openai = await client('openai-completion').complete('Say this is a test');
    expect(openai.text).toBe('\n\nThis is a test.');
    expect(openai.finishReason).toBe('stop');
  });

  it('OpenAI chat stream with include_usage (empty-choices usage chunk)', async () => {
    const { text, finish } = await collect(client('openai-chat-stream', { baseURL: `${base}/v1/` }).generate([{ role: 'user', content: 'Hi' }]));
    expect(text).toBe('Hello! How can I help you today?');
    expect(finish).toBe('length');
  });

  it('HTTP errors become OpenAIApiError with the server message and status', async () => {
    const error = await client('openai-error-401').complete('x').catch((e: unknown) => e);
    expect(OpenAIApiError.isInstance(error)).toBe(true);
    const e = error as OpenAIApiError;
    expect(e.status).toBe(401);
    expect(e.code).toBe('openai_api');
    expect(e.message).toMatch(/Incorrect API key provided/);
    expect(e.details).toEqual({ type: 'invalid_request_error', param: null, code: 'invalid_api_key' });
    const html = (await client('html-502').complete('x').catch((err: unknown) => err)) as OpenAIApiError;
    expect(html.status).toBe(502);
    expect(html.message).toMatch(/502 Bad Gateway/);
    const streamed = (await collect(client('stream-error').generate('x')).catch((err: unknown) => err)) as OpenAIApiError;
    expect(OpenAIApiError.isInstance(streamed)).toBe(true);
    expect(streamed.message).toMatch(/model crashed/);
  });

  it('logprobs via echo + logprobs (vLLM body): continuation tokens found by text_offset', async () => {
    // Fixture values are dyadic, so the sums are exact: ' Paris' alone is -1.5 (and the argmax of its top list).
    const paris = await client('vllm-echo').logprobs('The capital of France is', ' Paris');
    expect(paris).toEqual({ logprob: -1.5, tokens: [{ token: ' Paris', logprob: -1.5 }], isGreedy: true });
    expect(requests.at(-1)!.body).toEqual({ model: 'test-model', prompt: 'The capital of France is Paris', echo: true, logprobs: 1, max_tokens: 1, temperature: 0 });
    // -9.125 - 1.25 - 0.0625 - 0.5 - 1.5 = -12.4375; ' capital' is not greedy (' first' has -3.25).
    // The trailing space of the context moves into the continuation (lm-eval).
    const rest = await client('vllm-echo').logprobs('The ', 'capital of France is Paris');
    expect(rest.logprob).toBe(-12.4375);
    expect(rest.tokens.map((t) => t.token)).toEqual([' capital', ' of', ' France', ' is', ' Paris']);
    expect(rest.isGreedy).toBe(false);
  });

  it('logprobs on servers without echo + logprobs throw LogprobsUnsupportedError', async () => {
    const refused = await client('openai-error-echo').logprobs('a', ' b').catch((e: unknown) => e);
    expect(LogprobsUnsupportedError.isInstance(refused)).toBe(true);
    expect((refused as Error).message).toMatch(/echo/);
    const missing = await client('no-logprobs').logprobs('a', ' b').catch((e: unknown) => e);
    expect(LogprobsUnsupportedError.isInstance(missing)).toBe(true);
  });

  it('validates its options', () => {
    expect(() => new OpenAICompatibleModel({ baseURL: 'localhost:8000', model: 'm' })).toThrow(/baseURL/);
    expect(() => new OpenAICompatibleModel({ baseURL: 'http://x', model: '' })).toThrow(/model/);
  });
});
