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
  const rows = absent ? [] : readFileSync(devPath, 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; label: number; system_prompt?: string | null });
  const measure = (withSystemPrompt: boolean) => {
    let tp = 0, fn = 0, tn = 0, fp = 0;
    for (const r of rows) {
      const options = withSystemPrompt && r.system_prompt ? { systemPrompt: r.system_prompt } : {};
      const y = detectInjectionSync(r.text, options).label === 'injection' ? 1 : 0;
      if (r.label === 1) y ? tp++ : fn++;
      else y ? fp++ : tn++;
    }
    const tpr = tp / (tp + fn);
    const fpr = fp / (fp + tn);
    return { tpr, fpr, balancedAccuracy: (tpr + 1 - fpr) / 2 };
  };
  it('meets issue 11 (balanced accuracy >= 0.90, FPR <= 5%) when rows are scored with their system prompt', () => {
    // The CyberSecEval rows carry the system prompt they attack; the detector gets it as options.systemPrompt.
    const m = measure(true);
    expect(m.fpr).toBeLessThanOrEqual(0.05);
    expect(m.balancedAccuracy).toBeGreaterThanOrEqual(0.9); // measured 0.908 (TPR 0.846, FPR 0.031)
  });
  it('keeps FPR <= 5% and a regression floor without the system prompt (text alone)', () => {
    const m = measure(false);
    expect(m.fpr).toBeLessThanOrEqual(0.05);
    expect(m.balancedAccuracy).toBeGreaterThanOrEqual(0.88); // measured 0.893 (0.884 before issue 11)
  });
});
