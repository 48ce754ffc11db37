/**
 * Preference alignment on the pretrained Moby Dick char-level Llama (tools/testing/moby-model.ts),
 * a bigger run of test/demo.test.ts: rejection-sample 4 completions of 160 Moby Dick prompts with
 * the base model, score them by a generated preference (fewer letter "e"), keep best-vs-worst pairs
 * (score gap >= 2), train DPO (sigmoid), IPO and KTO on 80 % of them (full fine-tuning, and DPO
 * with a LoRA adapter whose reference is the base with the adapter disabled), and report held-out
 * reward accuracy, the rate of "e"-free completions in sampled generations before and after, and
 * the exact KL(policy ‖ reference) per sampled sequence.
 *
 * The "peer" of each line is the base model before alignment, measured in the same run.
 *
 *   npm run bench -- --filter dpo/bench/dpo-demo
 */
import { initBackend } from '@llmkit/core';
import { buildDemoData, formatTable, runMethod, type DemoRow, type DemoSettings } from '../test/preference-demo.js';

const SETTINGS: DemoSettings = { prompts: 160, promptChars: 24, n: 4, maxNewTokens: 12, steps: 30, batchSize: 8, lr: 1e-4, evalPrompts: 40, seed: 0 };

function line(bench: string, ours: number, peer: string, peerValue: number | null, unit: string): void {
  console.log(
    JSON.stringify({
      bench,
      ours: +ours.toFixed(4),
      peer,
      peerValue: peerValue === null ? null : +peerValue.toFixed(4),
      ratio: peerValue === null || peerValue === 0 ? null : +(ours / peerValue).toFixed(4),
      unit,
    }),
  );
}

async function main(): Promise<void> {
  await initBackend();
  const data = await buildDemoData(SETTINGS);
  console.error(`# ${data.trainPairs.length} train pairs, ${data.heldOutPairs.length} held-out pairs; base model: ${(100 * data.baseRate).toFixed(1)} % of completions without "e"`);
  const rows: DemoRow[] = [];
  for (const method of ['sigmoid', 'ipo', 'kto'] as const) rows.push(await runMethod(method, data, SETTINGS));
  rows.push(await runMethod('sigmoid', data, SETTINGS, { lora: true, lr: 3e-4 }));
  for (const r of rows) {
    const name = r.method.replace(/ \(LoRA r=8\)/, '-lora');
    line(`dpo-demo/${name}/no-e-rate`, r.rateAfter, 'base model', r.rateBefore, 'fraction of completions');
    line(`dpo-demo/${name}/mean-e`, r.meanEAfter, 'base model', r.meanEBefore, '"e" per completion');
    line(`dpo-demo/${name}/reward-accuracy`, r.rewardAccuracy, 'none', null, 'fraction of held-out pairs');
    line(`dpo-demo/${name}/kl`, r.kl, 'none', null, 'nats per sequence');
  }
  console.error(`\n${formatTable(rows)}\n`);
  console.error(`prompt: ${JSON.stringify(data.evalPrompts[0])}`);
  console.error(`  base model: ${data.baseExamples.map((t) => JSON.stringify(t)).join(' ')}`);
  for (const r of rows) console.error(`  ${r.method}: ${r.examples.map((t) => JSON.stringify(t)).join(' ')}`);
}

await main();
