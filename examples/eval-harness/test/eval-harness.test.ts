import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DecoderLM, LocalLanguageModel, serve } from '@llmkit/model';
import { mobyClozeTask, runEvalHarness } from '../src/main.js';
import { loadLocalModel } from '@llmkit/example-shared';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-example-eval-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('example: eval-harness', () => {
  it('generates a seeded 4-choice task with the answer at varying positions', () => {
    const task = mobyClozeTask(12);
    expect(task.docs).toHaveLength(12);
    for (const doc of task.docs) expect(new Set(doc.choices as string[]).size).toBe(4);
    expect(new Set(task.docs.map((d) => d.label)).size).toBeGreaterThan(1);
    expect(JSON.stringify(mobyClozeTask(12).docs)).toBe(JSON.stringify(task.docs));
  });

  let acc = -1;
  it('evaluates the local model, writes results, and answers a re-run from the request cache', async () => {
    const lines: string[] = [];
    const opts = { cacheDir: dir, pretrainSteps: 30, limit: 8, outDir: join(dir, 'out'), progress: false as const, log: (l: string) => lines.push(l) };
    const first = await runEvalHarness(opts);
    expect(first.result.n).toBe(8);
    // 8 documents x 4 choices = 32 log-likelihood requests.
    expect(first.result.requests.total).toBe(32);
    expect(first.result.requests.modelCalls).toBeGreaterThan(0);
    acc = first.result.metrics.acc!.value;
    expect(acc).toBeGreaterThanOrEqual(0);
    expect(acc).toBeLessThanOrEqual(1);
    expect(Object.keys(first.result.categories!).sort()).toEqual(['context', 'spelling']);
    expect(JSON.parse(readFileSync(first.outputPath, 'utf8')).task).toBe('moby-cloze');
    const again = await runEvalHarness(opts);
    expect(again.result.requests.modelCalls).toBe(0);
    expect(again.result.metrics.acc!.value).toBe(acc);
  });

  it('evaluates the same model behind an OpenAI-compatible endpoint (--base-url) to the same accuracy', async () => {
    const local = await loadLocalModel({ cacheDir: dir, steps: 30, log: () => {} });
    const model: DecoderLM = local.model;
    const server = await serve(new LocalLanguageModel({ model, id: 'tiny' }), { port: 0, modelId: 'tiny' });
    try {
      const remote = await runEvalHarness({ baseUrl: `${server.url}/v1`, modelName: 'tiny', limit: 8, outDir: join(dir, 'remote'), progress: false, log: () => {} });
      expect(remote.result.requests.modelCalls).toBe(32);
      expect(remote.result.metrics.acc!.value).toBe(acc);
    } finally {
      await server.close();
      model.dispose();
    }
  });

  it('rejects --base-url without --model-name', async () => {
    await expect(runEvalHarness({ baseUrl: 'http://127.0.0.1:1/v1', log: () => {} })).rejects.toMatchObject({ code: 'invalid_argument' });
  });
});
