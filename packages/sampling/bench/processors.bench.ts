/**
 * Per-token cost of top-p + temperature + repetition penalty (and the draw) on
 * a 128k vocabulary: `sample(logits, { temperature: 0.7, topP: 0.9,
 * repetitionPenalty: 1.1 }, rng, context)` with 512 context tokens.
 *
 * Peer: `@huggingface/transformers` (transformers.js) when importable; it is
 * not installed in this repo, so the peer is a straightforward full-sort JS
 * implementation (copy, penalty, divide, sort all 128k indices, softmax,
 * cumulative mask, inverse-CDF draw), i.e. what a direct transcription of
 * transformers' TopPLogitsWarper does. Note transformers.js 4.x ignores top_p
 * altogether (see TOOLCHAIN.md), so even when installed it would not be a
 * like-for-like top-p peer.
 *
 *   npx tsx --conditions=@llmkit/source packages/sampling/bench/processors.bench.ts
 */
import { createRng, type Rng } from "@llmkit/core";
import { sample } from "../src/sample.js";

const V = 128_256;
const CONTEXT = 512;
const cfg = { temperature: 0.7, topP: 0.9, repetitionPenalty: 1.1 };

/** Straightforward full-sort reference (the peer). */
function naiveSample(
  logits: Float32Array,
  inputIds: number[],
  rng: Rng
): number {
  const x = Float32Array.from(logits);
  for (const id of new Set(inputIds))
    x[id] =
      x[id] < 0 ? x[id] * cfg.repetitionPenalty : x[id] / cfg.repetitionPenalty;
  for (let i = 0; i < x.length; i++) x[i] /= cfg.temperature;
  const idx = Array.from({ length: x.length }, (_, i) => i).sort(
    (a, b) => x[a] - x[b]
  );
  const max = x[idx[idx.length - 1]];
  const p = idx.map((i) => Math.exp(x[i] - max));
  const total = p.reduce((a, b) => a + b, 0);
  let cum = 0;
  for (let j = 0; j < idx.length; j++) {
    cum += p[j] / total;
    if (cum <= 1 - cfg.topP && j < idx.length - 1) x[idx[j]] = -Infinity;
  }
  let t = 0;
  const w = Array.from(x, (v) => Math.exp(v - max));
  for (const v of w) t += v;
  const target = rng.random() * t;
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i];
    if (target < acc) return i;
  }
  return w.length - 1;
}

function time(fn: () => void, minMs = 1500): number {
  for (let i = 0; i < 5; i++) fn();
  let n = 0;
  const t0 = performance.now();
  while (performance.now() - t0 < minMs) {
    fn();
    n++;
  }
  return ((performance.now() - t0) / n) * 1000;
}

const rng = createRng(0);
const logits = rng.normal(V, 0, 3);
const inputIds = Array.from({ length: CONTEXT }, () => rng.randint(0, V));
const context = { inputIds, promptLength: 256 };

let peerName = "full-sort JS reference (straightforward: sort all 128k)";
try {
  await import("@huggingface/" + "transformers");
  peerName +=
    "; note: @huggingface/transformers is importable but its top_p warper is a no-op in 4.x, so it is not used";
} catch {
  console.error(
    "note: @huggingface/transformers is not installed; peer = full-sort JS reference implementation"
  );
}

const ours = time(() => sample(logits, cfg, rng, context));
const peer = time(() => naiveSample(logits, inputIds, rng), 3000);
console.log(
  JSON.stringify({
    bench: "sampling/processors-top-p-temp-reppen-128k",
    ours,
    peer: peerName,
    peerValue: peer,
    ratio: ours / peer,
    unit: "us/token",
  })
);
