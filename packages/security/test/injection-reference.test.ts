import { existsSync, readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { detectInjectionSync } from '../src/index.js';

// Development evaluation only: the shipped classifier is never trained on this file.
const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');
const devPath = resolve(repoRoot, '../shared/reference/injection/dev.jsonl');
const absent = !existsSync(devPath);
if (absent) console.warn(`[security] skipping injection reference test: ${devPath} is absent (development data, not shipped)`);

describe.skipIf(absent)('injection detection on the reference dev set', () => {
  it('keeps FPR <= 5% on the benign part and balanced accuracy above the recorded level', () => {
    const rows = readFileSync(devPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: number });
    let tp = 0, fn = 0, tn = 0, fp = 0;
    for (const r of rows) {
      const y = detectInjectionSync(r.text).label === 'injection' ? 1 : 0;
      if (r.label === 1) y ? tp++ : fn++;
      else y ? fp++ : tn++;
    }
    const tpr = tp / (tp + fn);
    const fpr = fp / (fp + tn);
    // Acceptance: FPR <= 5% on the benign part (XSTest and self-instruct included).
    expect(fpr).toBeLessThanOrEqual(0.05);
    // Regression floor below the measured 0.884 (the target of 0.90 is not reached by the fast layers; see README).
    expect((tpr + 1 - fpr) / 2).toBeGreaterThanOrEqual(0.86);
  });
});
