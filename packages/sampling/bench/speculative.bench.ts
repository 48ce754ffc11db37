// Speculative decoding speed-up on toy models with an artificial per-call cost.
//
// Run: npx tsx --conditions=@llmkit/source packages/sampling/bench/speculative.bench.ts
//
// Target: a fixed random logit table (next token depends on the last token), vocab 256, whose
// every call (one position or all positions, as a batched forward pass) busy-waits
// TARGET_US microseconds. Draft: the target table plus Gaussian noise (so they differ), each call
// busy-waits DRAFT_US. Plain decoding = generateAll over the target StepFn (one call per token);
// speculative = speculativeDecode with k draft tokens per target call. Same config (temperature 1),
// same number of new tokens; the figure is wall time per generated token, best of 3.
import { createRng } from '@llmkit/core';
import { generateAll } from '../src/decoding/generate.js';
import { speculativeDecode, type MultiStepFn } from '../src/decoding/speculative.js';
import type { StepFn } from '../src/types.js';
import { bestMs } from '../../../tools/bench/timing.js';

const VOCAB = 256;
const TARGET_US = 2000;
const DRAFT_US = 200;
const NEW_TOKENS = 200;

function busyWait(microseconds: number): void {
  const end = performance.now() + microseconds / 1000;
  while (performance.now() < end) {
    // spin
  }
}

const rng = createRng(0);
const targetTable = Array.from({ length: VOCAB }, () => rng.normal(VOCAB, 0, 2.5));
function draftTable(noise: number): Float32Array[] {
  return targetTable.map((row) => row.map((v) => v + noise * rng.normalOne()));
}

const targetStep: StepFn = async (sequences) => {
  busyWait(TARGET_US);
  return sequences.map((s) => targetTable[s[s.length - 1]]);
};
const targetAllPositions: MultiStepFn = async (sequences) => {
  busyWait(TARGET_US);
  return sequences.map((s) => s.map((token) => targetTable[token]));
};
const makeDraft = (table: Float32Array[]): StepFn => async (sequences) => {
  busyWait(DRAFT_US);
  return sequences.map((s) => table[s[s.length - 1]]);
};

const best = (run: () => Promise<void>, times = 3): Promise<number> => bestMs(run, times);

const plainMs = await best(async () => {
  await generateAll(targetStep, { prompt: [1], maxNewTokens: NEW_TOKENS, seed: 1 });
});
for (const noise of [0.5, 1.5]) {
  const draftStep = makeDraft(draftTable(noise));
  for (const k of [2, 4, 8]) {
    let acceptance = 0;
    let targetCalls = 0;
    const specMs = await best(async () => {
      const r = await speculativeDecode(targetAllPositions, draftStep, { prompt: [1], k, maxNewTokens: NEW_TOKENS, seed: 1 });
      acceptance = r.stats.acceptanceRate;
      targetCalls = r.stats.targetCalls;
    });
    const ours = specMs / NEW_TOKENS;
    const peerValue = plainMs / NEW_TOKENS;
    console.log(
      JSON.stringify({
        bench: `sampling/speculative-k${k}-draftnoise${noise}`,
        ours: +ours.toFixed(4),
        peer: `plain target sampling (generateAll), target ${TARGET_US}us/call, draft ${DRAFT_US}us/call`,
        peerValue: +peerValue.toFixed(4),
        ratio: +(ours / peerValue).toFixed(4),
        speedup: +(peerValue / ours).toFixed(3),
        acceptanceRate: +acceptance.toFixed(4),
        targetCalls,
        tokensPerTargetCall: +(NEW_TOKENS / targetCalls).toFixed(3),
        // Leviathan et al. eq. 1 with alpha = the observed acceptance rate: (1 - alpha^(k+1)) / (1 - alpha)
        expectedTokensPerTargetCall: +((1 - acceptance ** (k + 1)) / (1 - acceptance)).toFixed(3),
        unit: 'ms/token',
      }),
    );
  }
}
