import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LocalLanguageModel, serve } from '@llmkit/model';
import { runRedTeamExample } from '../src/main.js';
import { loadLocalModel } from '@llmkit/example-shared';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-example-redteam-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const PROBES = ['override.ignore_previous', 'extraction.system_prompt', 'indirect.rag_document'];

describe('example: red-team', () => {
  it('runs the probes against the local model without and with the guard and writes JSON + HTML reports', async () => {
    const lines: string[] = [];
    const r = await runRedTeamExample({ cacheDir: dir, pretrainSteps: 0, attempts: 1, probes: PROBES, maxNewTokens: 8, outDir: join(dir, 'reports'), progress: false, log: (l) => lines.push(l) });
    expect(r.unguarded.overall.attempts).toBe(3);
    expect(r.guarded.overall.attempts).toBe(3);
    expect(r.unguarded.byProbe.map((p) => p.name).sort()).toEqual([...PROBES].sort());
    // "Ignore previous instructions" is caught by the guard's input injection rail.
    expect(r.incidents).toBeGreaterThan(0);
    expect(r.guarded.overall.asr).toBeLessThanOrEqual(r.unguarded.overall.asr);
    expect(JSON.parse(readFileSync(join(r.reportDir, 'guarded.json'), 'utf8')).overall.attempts).toBe(3);
    expect(readFileSync(join(r.reportDir, 'unguarded.html'), 'utf8')).toMatch(/<html/i);
    expect(lines.some((l) => l.trim().startsWith('overall'))).toBe(true);
  });

  it('red-teams an OpenAI-compatible endpoint given with --base-url', async () => {
    const local = await loadLocalModel({ cacheDir: dir, steps: 0, maxPositions: 2048, log: () => {} });
    const server = await serve(new LocalLanguageModel({ model: local.model, id: 'tiny' }), { port: 0, modelId: 'tiny' });
    try {
      const r = await runRedTeamExample({ baseUrl: `${server.url}/v1`, modelName: 'tiny', attempts: 1, probes: PROBES.slice(0, 1), maxNewTokens: 4, outDir: join(dir, 'remote'), progress: false, log: () => {} });
      expect(r.unguarded.overall.attempts).toBe(1);
      expect(r.unguarded.results[0]!.error).toBeUndefined();
      expect(existsSync(join(r.reportDir, 'unguarded.html'))).toBe(true);
    } finally {
      await server.close();
      local.model.dispose();
    }
  });

  it('rejects an unknown probe id, listing the known ones', async () => {
    await expect(runRedTeamExample({ baseUrl: 'http://127.0.0.1:1/v1', modelName: 'x', probes: ['nope'], log: () => {} })).rejects.toMatchObject({
      code: 'invalid_argument',
      message: expect.stringMatching(/dan\.classic/),
    });
  });
});
