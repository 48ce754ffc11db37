// A real crash: a child process running a task is killed with SIGKILL midway; re-running with the same
// cacheDir finishes with no repeated model calls and the results of an uninterrupted run.
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { LanguageModel, LogprobResult } from '@llmkit/core';
import { afterAll, describe, expect, it } from 'vitest';
import { runTask } from '../src/index.js';
import { crashLogprob, crashTask } from './fixtures/harness-crash-task.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);
const cacheDir = mkdtempSync(path.join(tmpdir(), 'llmkit-eval-crash-'));
afterAll(() => rmSync(cacheDir, { recursive: true, force: true }));

class CountingModel implements LanguageModel {
  readonly id = 'crash-model';
  calls: string[] = [];
  async *generate() {}
  async complete() {
    return { text: '', finishReason: 'stop' as const };
  }
  async logprobs(context: string, continuation: string): Promise<LogprobResult> {
    this.calls.push(JSON.stringify({ context, continuation }));
    return { logprob: crashLogprob(context, continuation), tokens: [], isGreedy: false };
  }
}

function cacheLines(): string[] {
  const files = existsSync(cacheDir) ? readdirSync(cacheDir).filter((f) => f.endsWith('.jsonl')) : [];
  return files.length ? readFileSync(path.join(cacheDir, files[0]!), 'utf8').split('\n').filter((l) => l.trim() !== '') : [];
}

describe('crash and resume', () => {
  it('SIGKILL midway, then resume: no repeated calls, identical results', async () => {
    const tsx = path.dirname(require.resolve('tsx/package.json'));
    const child = spawn(process.execPath, ['--import', pathToImport(path.join(tsx, 'dist/loader.mjs')), '--conditions=@llmkit/source', path.join(here, 'fixtures/harness-crash-child.ts'), cacheDir], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.on('data', (d) => (stderr += String(d)));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    const start = Date.now();
    while (cacheLines().length < 40) {
      if (Date.now() - start > 60_000) throw new Error(`the child wrote no cache lines in 60 s: ${stderr}`);
      if (child.exitCode !== null) throw new Error(`the child exited early (${child.exitCode}): ${stderr}`);
      await new Promise((r) => setTimeout(r, 10));
    }
    child.kill('SIGKILL');
    await exited;
    const answered = cacheLines();
    const intact = answered.filter((l) => {
      try {
        JSON.parse(l);
        return true;
      } catch {
        return false;
      }
    });
    expect(intact.length).toBeGreaterThanOrEqual(40);
    expect(intact.length).toBeLessThan(160);
    const cachedRequests = new Set(intact.map((l) => JSON.stringify({ context: JSON.parse(l).request.context, continuation: JSON.parse(l).request.continuation })));

    const model = new CountingModel();
    const resumed = await runTask(crashTask(), model, { cacheDir, progress: false, bootstrapIters: 100 });
    for (const call of model.calls) expect(cachedRequests.has(call)).toBe(false);
    expect(model.calls.length + cachedRequests.size).toBe(160);
    expect(resumed.requests.cached).toBe(cachedRequests.size);

    const reference = await runTask(crashTask(), new CountingModel(), { progress: false, bootstrapIters: 100 });
    expect(resumed.metrics).toEqual(reference.metrics);
    expect(resumed.samples).toEqual(reference.samples);
  });
});

function pathToImport(p: string): string {
  return new URL(`file://${p}`).href;
}
