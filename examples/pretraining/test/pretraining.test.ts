import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runPretraining } from '../src/main.js';

const outDir = mkdtempSync(join(tmpdir(), 'llmkit-example-pretrain-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('example: pretraining', () => {
  it('pretrains a tiny Llama on part of Moby Dick, saves an HF checkpoint and samples with 5 strategies', async () => {
    const lines: string[] = [];
    const r = await runPretraining({ steps: 25, hidden: 32, layers: 1, batchSize: 4, blockSize: 32, vocabSize: 300, chars: 60_000, sampleTokens: 8, outDir, progress: false, log: (l) => lines.push(l) });
    // A fresh model predicts close to the uniform distribution, whose loss is ln V; 25 steps of AdamW
    // at lr 3e-3 must already learn the unigram statistics and beat it clearly.
    expect(Math.abs(r.initialValLoss - r.uniformLoss)).toBeLessThan(0.3);
    expect(r.finalValLoss).toBeLessThan(r.initialValLoss - 0.5);
    for (const file of ['config.json', 'model.safetensors', 'tokenizer.json']) expect(existsSync(join(r.checkpointDir, file))).toBe(true);
    expect(JSON.parse(readFileSync(join(r.checkpointDir, 'config.json'), 'utf8')).model_type).toBe('llama');
    expect(r.samples.map((s) => s.strategy)).toHaveLength(5);
    for (const s of r.samples) expect(s.text.length).toBeGreaterThan(0);
    expect(readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n').length).toBeGreaterThanOrEqual(2);
    expect(lines.some((l) => l.startsWith('[greedy] Call me Ishmael.'))).toBe(true);
  });
});
