/**
 * Per-token cost of sampling on a 128k vocabulary (Llama 3 size) with 512
 * context tokens, ours against transformers.js run in the same process.
 *
 * Peer: `@huggingface/transformers` 4.x, its real sampling code path as
 * `generate()` runs it for one step: `LogitsProcessorList` with
 * `RepetitionPenaltyLogitsProcessor` and `TemperatureLogitsWarper` (what
 * `_get_logits_processor` builds), then `MultinomialSampler.sample`: `topk`
 * (an onnxruntime-node session), `softmax` and a weighted draw. The sampler
 * class itself is not exported, so its three lines are reproduced with the
 * exported `topk` and `softmax`.
 *
 * transformers.js 4.x ignores `top_p` (its TopP/TopK warpers are commented
 * out in `_get_logits_processor`; top-k is applied only inside the sampler),
 * so for the top-p row it does less work than asked: top_k 0 + temperature
 * + repetition penalty over the full vocabulary. A third row compares our top-p
 * with a straightforward full-sort JS transcription of transformers'
 * (Python) TopPLogitsWarper, which does the same work.
 *
 * Both sides copy the logits once per token (ours inside processLogits, the
 * peer into its fresh Tensor, as a model forward would give it).
 *
 *   npm run bench -- --filter sampling/bench/processors
 */
import { createRng, type Rng } from "@llmkit/core";
import { sample } from "../src/sample.js";
import type { SamplingConfig } from "../src/types.js";
import { packageVersion } from "../../../tools/bench/package-version.js";
import { secondsPerCall, secondsPerCallAsync } from "../../../tools/bench/timing.js";

const V = 128_256;
const CONTEXT = 512;

/** Microseconds per call after 5 warm-up calls. */
function time(fn: () => unknown, minMs = 1500): number {
  for (let i = 0; i < 5; i++) fn();
  return secondsPerCall(fn, minMs) * 1e6;
}

async function timeAsync(fn: () => Promise<unknown>, minMs = 1500): Promise<number> {
  for (let i = 0; i < 5; i++) await fn();
  return (await secondsPerCallAsync(fn, minMs)) * 1e6;
}

function line(bench: string, ours: number, peer: string, peerValue: number | null): void {
  console.log(
    JSON.stringify({
      bench,
      ours: +ours.toFixed(1),
      peer,
      peerValue: peerValue === null ? null : +peerValue.toFixed(1),
      ratio: peerValue === null ? null : +(ours / peerValue).toFixed(4),
      unit: "us/token",
    })
  );
}

const rng = createRng(0);
const logits = rng.normal(V, 0, 3);
const inputIds = Array.from({ length: CONTEXT }, () => rng.randint(0, V));
const context = { inputIds, promptLength: 256 };

/** transformers.js one-step sampler, or null when the package is absent. */
type PeerStep = (topK: number) => Promise<number>;
let peerStep: PeerStep | null = null;
let peerLabel = "transformers.js (not installed)";
try {
  const tjs = await import("@huggingface/" + "transformers");
  peerLabel = `@huggingface/transformers ${packageVersion("@huggingface/transformers")}`;
  const ids = [inputIds.map((id) => BigInt(id))];
  const processors = new tjs.LogitsProcessorList();
  processors.push(new tjs.RepetitionPenaltyLogitsProcessor(1.1));
  processors.push(new tjs.TemperatureLogitsWarper(0.7));
  const draw = Math.random;
  peerStep = async (topK: number) => {
    const t = new tjs.Tensor("float32", logits.slice(), [1, V]);
    const out = processors(ids, t);
    const [v, i] = await tjs.topk(out, topK > 0 ? Math.min(topK, V) : V);
    const p = tjs.softmax(v.data as Float32Array);
    const r = draw();
    let c = 0;
    for (let j = 0; j < p.length; j++) {
      c += p[j];
      if (r < c) return Number(i.data[j]);
    }
    return Number(i.data[p.length - 1]);
  };
} catch (error) {
  console.error(`note: @huggingface/transformers not importable (${(error as Error).message}); its rows print null`);
}

const rows: Array<{ bench: string; cfg: SamplingConfig; peerTopK: number; peerNote: string }> = [
  {
    bench: "sampling/top-p0.9-temp0.7-reppen1.1-128k-vs-transformers.js",
    cfg: { temperature: 0.7, topP: 0.9, repetitionPenalty: 1.1 },
    peerTopK: 0,
    peerNote: " (top_p=0.9 requested; it ignores top_p, so: temperature + repetition penalty + full-vocabulary topk/softmax)",
  },
  {
    bench: "sampling/top-k50-temp0.7-reppen1.1-128k-vs-transformers.js",
    cfg: { temperature: 0.7, topK: 50, repetitionPenalty: 1.1 },
    peerTopK: 50,
    peerNote: " (top_k=50, its default, applied in MultinomialSampler)",
  },
];
for (const row of rows) {
  const ours = time(() => sample(logits, row.cfg, rng, context));
  const peer = peerStep ? await timeAsync(() => peerStep!(row.peerTopK), 3000) : null;
  line(row.bench, ours, peerLabel + row.peerNote, peer);
}

/** transformers' (Python) TopPLogitsWarper transcribed directly: sort everything. */
const topPCfg = { temperature: 0.7, topP: 0.9, repetitionPenalty: 1.1 };
function fullSortSample(x0: Float32Array, ids: number[], r: Rng): number {
  const x = Float32Array.from(x0);
  for (const id of new Set(ids)) x[id] = x[id] < 0 ? x[id] * topPCfg.repetitionPenalty : x[id] / topPCfg.repetitionPenalty;
  for (let i = 0; i < x.length; i++) x[i] /= topPCfg.temperature;
  const idx = Array.from({ length: x.length }, (_, i) => i).sort((a, b) => x[a] - x[b]);
  const max = x[idx[idx.length - 1]];
  const p = idx.map((i) => Math.exp(x[i] - max));
  const total = p.reduce((a, b) => a + b, 0);
  let cum = 0;
  for (let j = 0; j < idx.length; j++) {
    cum += p[j] / total;
    if (cum <= 1 - topPCfg.topP && j < idx.length - 1) x[idx[j]] = -Infinity;
  }
  let t = 0;
  const w = Array.from(x, (v) => Math.exp(v - max));
  for (const v of w) t += v;
  const target = r.random() * t;
  let acc = 0;
  for (let i = 0; i < w.length; i++) {
    acc += w[i];
    if (target < acc) return i;
  }
  return w.length - 1;
}
line(
  "sampling/top-p0.9-temp0.7-reppen1.1-128k-vs-full-sort",
  time(() => sample(logits, topPCfg, rng, context)),
  "full-sort JS transcription of transformers' TopPLogitsWarper (same work)",
  time(() => fullSortSample(logits, inputIds, rng), 3000)
);
