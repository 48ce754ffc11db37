import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { generatePreferences, runDpoExample } from '../src/main.js';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-example-dpo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('example: dpo', () => {
  it('generates TRL conversational preference records whose chosen is the rejected text upper-cased', () => {
    const records = generatePreferences(3);
    for (const r of records) {
      const chosen = (r.chosen as Array<{ content: string }>)[0]!.content;
      const rejected = (r.rejected as Array<{ content: string }>)[0]!.content;
      expect(chosen).toBe(rejected.toUpperCase());
      expect((r.prompt as Array<{ role: string }>)[0]!.role).toBe('user');
    }
  });

  it('moves the held-out preference margin towards the chosen answers and saves a PEFT adapter', async () => {
    const lines: string[] = [];
    const r = await runDpoExample({ cacheDir: dir, pretrainSteps: 0, steps: 8, pairs: 16, outDir: join(dir, 'out'), progress: false, log: (l) => lines.push(l) });
    expect(r.trainPairs).toBe(12);
    expect(r.heldOutPairs).toBe(4);
    // The DPO gradient raises log p(chosen) - log p(rejected) relative to the reference; on held-out pairs
    // of the same (trivially generalising) kind the policy's own margin must grow.
    expect(r.marginAfter).toBeGreaterThan(r.marginBefore);
    expect(r.eval.rewardMargin).toBeGreaterThan(0);
    expect(existsSync(join(r.adapterDir, 'adapter_model.safetensors'))).toBe(true);
    expect(JSON.parse(readFileSync(join(r.adapterDir, 'adapter_config.json'), 'utf8')).peft_type).toBe('LORA');
    expect(readFileSync(join(dir, 'out', 'dpo-log.jsonl'), 'utf8').trim().length).toBeGreaterThan(0);
  });
});
