/**
 * An OpenAI-compatible server for a local model: `serve(new LocalLanguageModel({ model }))` from
 * @llmkit/model exposes /v1/models, /v1/completions and /v1/chat/completions (SSE streaming,
 * logprobs, stop, seed, response_format json_object / json_schema through constrained decoding).
 * Any OpenAI client works against it: curl, the `openai` SDK, or llmkit's `OpenAICompatibleModel`.
 *
 * At start it sends itself three requests (a chat completion, a streamed completion and a JSON-schema
 * constrained chat completion) so you see the API work, prints curl commands, then serves until Ctrl-C.
 * Without `--model` it serves a tiny Llama pretrained for a few steps on Moby Dick (gibberish, but real).
 *
 *   npm run start -- [--model DIR] [--port 8080] [--host 127.0.0.1] [--model-id NAME] [--pretrain-steps 100] [--no-self-test] [--exit]
 */
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { LocalLanguageModel, OpenAICompatibleModel, SseParser, serve, type ServerHandle } from '@llmkit/model';
import { loadLocalModel } from '@llmkit/example-shared';

export interface OpenAIServerOptions {
  modelDir?: string;
  pretrainSteps?: number;
  cacheDir?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  host?: string;
  modelId?: string;
  /** Send the three demo requests after starting. Default true. */
  selfTest?: boolean;
  log?: (line: string) => void;
}

export interface SelfTestResult {
  models: string[];
  chat: string;
  streamedChunks: number;
  streamed: string;
  json: unknown;
}

export interface OpenAIServer {
  server: ServerHandle;
  modelId: string;
  selfTest?: SelfTestResult;
  /** Closes the server and frees the model. */
  close(): Promise<void>;
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

export async function startOpenAIServer(options: OpenAIServerOptions = {}): Promise<OpenAIServer> {
  const log = options.log ?? ((line: string) => console.log(line));
  const { model } = await loadLocalModel({
    modelDir: options.modelDir,
    cacheDir: options.cacheDir ?? join(EXAMPLE_DIR, '.cache'),
    steps: options.pretrainSteps ?? 100,
    log,
  });
  const modelId = options.modelId ?? (options.modelDir ? 'local-model' : 'tiny-moby-llama');
  const lm = new LocalLanguageModel({ model, id: modelId, defaultMaxNewTokens: 64 });
  const server = await serve(lm, { port: options.port ?? 8080, host: options.host ?? '127.0.0.1', modelId });
  const base = `${server.url}/v1`;
  log(`serving ${modelId} at ${base} (OpenAI-compatible: /models, /completions, /chat/completions)`);
  log(`try:\n  curl ${base}/models\n  curl ${base}/chat/completions -H 'Content-Type: application/json' -d '{"model":"${modelId}","messages":[{"role":"user","content":"Hello"}],"max_tokens":20}'`);

  let selfTest: SelfTestResult | undefined;
  if (options.selfTest ?? true) selfTest = await runSelfTest(base, modelId, log);
  return {
    server,
    modelId,
    selfTest,
    close: async () => {
      await server.close();
      model.dispose();
    },
  };
}

/** The three demo requests: plain HTTP (fetch), SSE parsing, and llmkit's client. */
async function runSelfTest(base: string, modelId: string, log: (line: string) => void): Promise<SelfTestResult> {
  const models = (await (await fetch(`${base}/models`)).json()) as { data: Array<{ id: string }> };
  log(`GET /v1/models -> ${models.data.map((m) => m.id).join(', ')}`);

  const client = new OpenAICompatibleModel({ baseURL: base, model: modelId });
  const chat = await client.complete([{ role: 'user', content: 'Tell me about the white whale.' }], { maxNewTokens: 24, temperature: 0.7, seed: 1 });
  log(`POST /v1/chat/completions (OpenAICompatibleModel.complete) -> ${JSON.stringify(chat.text)} [${chat.finishReason}]`);

  const response = await fetch(`${base}/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: modelId, prompt: 'Call me Ishmael. Some years ago', max_tokens: 16, temperature: 0.8, seed: 3, stream: true }),
  });
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let streamed = '';
  let streamedChunks = 0;
  for await (const bytes of response.body as unknown as AsyncIterable<Uint8Array>) {
    for (const event of parser.push(decoder.decode(bytes, { stream: true }))) {
      if (event.data === '[DONE]') continue;
      const chunk = JSON.parse(event.data) as { choices: Array<{ text: string }> };
      streamedChunks++;
      streamed += chunk.choices[0]?.text ?? '';
    }
  }
  log(`POST /v1/completions stream=true -> ${streamedChunks} SSE chunks: ${JSON.stringify(streamed)}`);

  const schema = { type: 'object', properties: { name: { type: 'string', maxLength: 12 }, legs: { type: 'integer' } }, required: ['name', 'legs'], additionalProperties: false };
  const structured = await fetch(`${base}/chat/completions`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({
      model: modelId,
      messages: [{ role: 'user', content: 'Describe a sailor as JSON.' }],
      max_tokens: 96,
      temperature: 0,
      response_format: { type: 'json_schema', json_schema: { name: 'sailor', schema } },
    }),
  });
  const body = (await structured.json()) as { choices: Array<{ message: { content: string } }> };
  const content = body.choices[0]!.message.content;
  let json: unknown = content;
  try {
    json = JSON.parse(content);
  } catch {
    /* the length limit cut the object: shown as text */
  }
  log(`POST /v1/chat/completions response_format=json_schema -> ${content}`);
  return { models: models.data.map((m) => m.id), chat: chat.text, streamedChunks, streamed, json };
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  const running = await startOpenAIServer({
    modelDir: flag(args, '--model'),
    port: num('--port'),
    host: flag(args, '--host'),
    modelId: flag(args, '--model-id'),
    pretrainSteps: num('--pretrain-steps'),
    selfTest: !args.includes('--no-self-test'),
  });
  if (args.includes('--exit')) {
    await running.close();
  } else {
    console.log('press Ctrl-C to stop');
    process.once('SIGINT', () => void running.close().then(() => process.exit(0)));
  }
}
