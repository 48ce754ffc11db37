import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCharModelDemo } from '../src/main.js';
import { CharVocab } from '../src/char-model.js';

const outDir = mkdtempSync(join(tmpdir(), 'llmkit-demo-'));
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('char-model demo', () => {
  it('learns: validation loss falls well below the uniform guess ln(V)', async () => {
    const lines: string[] = [];
    const { uniformLoss, initialEvalLoss, result, sample } = await runCharModelDemo({
      steps: 150,
      batchSize: 64,
      outDir,
      progress: false,
      log: (line) => lines.push(line),
    });
    // A model that predicts the uniform distribution over V characters has loss ln V;
    // the initial model is near it, and training must beat it by a clear margin.
    expect(initialEvalLoss).toBeGreaterThan(uniformLoss - 0.5);
    expect(result.bestEvalLoss!).toBeLessThan(uniformLoss - 1.2);
    expect(sample).toHaveLength(200);
    const metrics = readFileSync(join(outDir, 'metrics.jsonl'), 'utf8').trim().split('\n');
    expect(metrics.length).toBeGreaterThanOrEqual(15);
    expect(lines.some((l) => l.startsWith('backend:'))).toBe(true);
  });

  it('round-trips text through the vocabulary', () => {
    const vocab = new CharVocab('hello, world');
    expect(vocab.decode(vocab.encode('low hello'))).toBe('low hello');
    expect(() => vocab.encode('z')).toThrow(/not in the vocabulary/);
  });
});
