import { describe, expect, it } from 'vitest';
import { buildDemoData, formatTable, runMethod, SMALL, type DemoRow } from './preference-demo.js';

// DPO, IPO and KTO on the pretrained Moby Dick char-level Llama with a preference the test generates:
// completions with fewer letter "e" are better (pairs by rejection sampling from the model itself).
// The bigger run is bench/dpo-demo.bench.ts.
describe('preference alignment on the Moby Dick model', () => {
  it('DPO, IPO and KTO reach held-out reward accuracy >= 0.9 and shift sampled generations', async () => {
    const data = await buildDemoData(SMALL);
    expect(data.trainPairs.length).toBeGreaterThanOrEqual(30);
    expect(data.heldOutPairs.length).toBeGreaterThanOrEqual(8);
    const rows: DemoRow[] = [];
    for (const method of ['sigmoid', 'ipo', 'kto'] as const) rows.push(await runMethod(method, data, SMALL));
    console.log(`\n${formatTable(rows)}\n`);
    for (const r of rows) {
      expect(r.rewardAccuracy, r.method).toBeGreaterThanOrEqual(0.9);
      // the property rate (no "e" in a 12-char completion) must rise clearly over the base model's
      expect(r.rateAfter - r.rateBefore, r.method).toBeGreaterThan(0.25);
      expect(r.meanEAfter, r.method).toBeLessThan(r.meanEBefore * 0.6);
      expect(Number.isFinite(r.kl) && r.kl > 0, r.method).toBe(true);
    }
  }, 240_000);
});
