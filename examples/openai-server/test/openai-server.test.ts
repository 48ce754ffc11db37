import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { OpenAICompatibleModel } from '@llmkit/model';
import { startOpenAIServer, type OpenAIServer } from '../src/main.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'llmkit-example-server-'));
let running: OpenAIServer | undefined;
afterAll(async () => {
  await running?.close();
  rmSync(cacheDir, { recursive: true, force: true });
});

describe('example: openai-server', () => {
  it('serves the tiny model over the OpenAI API; the self-test exercises chat, SSE streaming and json_schema', async () => {
    const lines: string[] = [];
    running = await startOpenAIServer({ cacheDir, pretrainSteps: 0, port: 0, log: (l) => lines.push(l) });
    const t = running.selfTest!;
    expect(t.models).toEqual(['tiny-moby-llama']);
    expect(t.chat.length).toBeGreaterThan(0);
    expect(t.streamedChunks).toBeGreaterThan(1);
    // Constrained decoding: whatever the random weights prefer, the output matches the schema.
    expect(t.json).toEqual({ name: expect.any(String), legs: expect.any(Number) });
    const json = t.json as { name: string; legs: number };
    expect([...json.name].length).toBeLessThanOrEqual(12);
    expect(Number.isInteger(json.legs)).toBe(true);
    expect(lines.some((l) => l.includes('curl http://127.0.0.1:'))).toBe(true);
  });

  it('answers a second client while running, and reports unknown models as OpenAI errors', async () => {
    const base = `${running!.server.url}/v1`;
    const client = new OpenAICompatibleModel({ baseURL: base, model: 'tiny-moby-llama' });
    const greedy1 = await client.complete('Call me', { maxNewTokens: 5, temperature: 0 });
    const greedy2 = await client.complete('Call me', { maxNewTokens: 5, temperature: 0 });
    expect(greedy1.text).toBe(greedy2.text);
    const res = await fetch(`${base}/chat/completions`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ model: 'gpt-4o', messages: [{ role: 'user', content: 'hi' }] }),
    });
    expect(res.status).toBe(404);
    expect(((await res.json()) as { error: { message: string } }).error.message).toMatch(/gpt-4o/);
  });
});
