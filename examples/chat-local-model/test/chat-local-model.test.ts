import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { afterAll, describe, expect, it } from 'vitest';
import { runChat } from '../src/main.js';

const cacheDir = mkdtempSync(join(tmpdir(), 'llmkit-example-chat-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  let text = '';
  stream.on('data', (d: Buffer) => (text += d.toString('utf8')));
  return { stream, text: () => text };
}

describe('example: chat-local-model', () => {
  let builtDir = '';

  it('builds the tiny fallback model, says so, and chats over readline with history and /reset', async () => {
    const lines: string[] = [];
    const out = capture();
    const r = await runChat({
      cacheDir,
      system: 'You are a sailor.',
      maxNewTokens: 6,
      input: Readable.from(['Hello\n', 'Where is the whale?\n', '/reset\n', 'Again\n', '/exit\n', 'never read\n']),
      output: out.stream,
      log: (l) => lines.push(l),
    });
    builtDir = r.modelDir;
    expect(r.tiny).toBe(true);
    expect(lines.some((l) => l.includes('RANDOM weights'))).toBe(true);
    expect(lines.some((l) => l.startsWith('chat template: from'))).toBe(true);
    // /reset kept the system message and dropped the first two exchanges; /exit stopped before 'never read'.
    expect(r.messages.map((m) => m.role)).toEqual(['system', 'user', 'assistant']);
    expect(r.messages[1]!.content).toBe('Again');
    expect(out.text().match(/assistant> /g)).toHaveLength(3);
  });

  it('loads a Hugging Face folder given with --model and answers a one-shot --prompt', async () => {
    const out = capture();
    const r = await runChat({ modelDir: builtDir, prompt: 'Hi', maxNewTokens: 4, output: out.stream, log: () => {} });
    expect(r.tiny).toBe(false);
    expect(r.messages.map((m) => m.role)).toEqual(['user', 'assistant']);
    expect(out.text().startsWith('assistant> ')).toBe(true);
  });

  it('rejects a folder without config.json with a typed error naming it', async () => {
    await expect(runChat({ modelDir: cacheDir + '/missing', prompt: 'x', log: () => {} })).rejects.toMatchObject({ code: 'checkpoint' });
  });
});
