/**
 * LoRA vs full fine-tuning on the shared pretrained Moby Dick model (tools/testing/moby-model.ts,
 * default options: char-level Llama, hidden 128, 2 layers): time per optimizer step (forward,
 * backward, AdamW) and memory after the steps, for full fine-tuning (the peer, run in the same
 * process) and LoRA r = 8 / 16 / 64 on every linear layer ('all-linear', alpha = 2r), plus QLoRA
 * r = 8 (NF4 base weights, double quantization).
 *
 * Memory: the growth of `tf.memory().numBytes` over the run (parameters, optimizer state and live
 * tensors; QLoRA's NF4 codes live in JS memory and are not in it) and the process
 * RSS after each run (RSS is cumulative over the process and noisy; the tensor bytes are exact).
 * Batch: 12 windows of 64 tokens, 3 warm-up steps then the best-of / median over 8 steps.
 *
 *   npm run bench -- --filter lora/bench/lora
 */
import { AdamW, computeGradients, createRng, initBackend, tf } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import { applyLora, type LoraConfig } from '../src/index.js';

const BATCH = 12;
const BLOCK = 64;
const WARMUP = 3;
const STEPS = 8;

interface RunResult {
  msPerStep: number;
  tensorMB: number;
  rssMB: number;
  trainable: number;
}

await initBackend();
const moby = await mobyDickModel();
const dir = moby.dir;
moby.model.dispose();
const rng = createRng(0);
const starts = Array.from({ length: BATCH }, () => rng.randint(0, moby.train.length - BLOCK - 1));
const inputs = tf.tensor2d(starts.map((s) => Array.from(moby.train.subarray(s, s + BLOCK))), [BATCH, BLOCK], 'int32');
const targets = tf.tensor2d(starts.map((s) => Array.from(moby.train.subarray(s + 1, s + BLOCK + 1))), [BATCH, BLOCK], 'int32');

async function run(config: LoraConfig | null): Promise<RunResult> {
  const baseline = tf.memory().numBytes;
  const lm = await DecoderLM.fromPretrained(dir);
  const lora = config ? applyLora(lm, config) : null;
  const model = lora ? lora.model : lm;
  model.train();
  const params = lora ? lora.trainableParameters() : lm.trainableParameters();
  const optimizer = new AdamW(params, { lr: 1e-3 });
  const step = () => {
    const { loss, grads } = computeGradients(() => model.loss(inputs, targets), params);
    optimizer.step(grads);
    loss.dataSync();
    loss.dispose();
    grads.forEach((g) => g.dispose());
  };
  for (let i = 0; i < WARMUP; i++) step();
  const times: number[] = [];
  for (let i = 0; i < STEPS; i++) {
    const t0 = performance.now();
    step();
    times.push(performance.now() - t0);
  }
  times.sort((a, b) => a - b);
  const result = {
    msPerStep: times[Math.floor(times.length / 2)],
    tensorMB: (tf.memory().numBytes - baseline) / 2 ** 20,
    rssMB: process.memoryUsage().rss / 2 ** 20,
    trainable: params.reduce((s, [, p]) => s + p.size, 0),
  };
  // AdamW has no public dispose; free its moment buffers so the next run starts from the same baseline
  (optimizer as unknown as { disposeState(): void }).disposeState();
  lm.dispose();
  return result;
}

function line(bench: string, ours: number, peerValue: number, unit: string): void {
  console.log(JSON.stringify({ bench, ours: +ours.toFixed(3), peer: 'full fine-tuning', peerValue: +peerValue.toFixed(3), ratio: +(ours / peerValue).toFixed(4), unit }));
}

const full = await run(null);
const cases: Array<[string, LoraConfig]> = [
  ['lora r=8', { r: 8, loraAlpha: 16, targetModules: 'all-linear' }],
  ['lora r=16', { r: 16, loraAlpha: 32, targetModules: 'all-linear' }],
  ['lora r=64', { r: 64, loraAlpha: 128, targetModules: 'all-linear' }],
  ['qlora nf4 r=8', { r: 8, loraAlpha: 16, targetModules: 'all-linear', quantizeBase: { type: 'nf4', doubleQuant: true } }],
];
for (const [name, config] of cases) {
  const r = await run(config);
  line(`${name} step time`, r.msPerStep, full.msPerStep, 'ms/step');
  line(`${name} tensor memory`, r.tensorMB, full.tensorMB, 'MB');
  line(`${name} rss`, r.rssMB, full.rssMB, 'MB');
  line(`${name} trainable params`, r.trainable, full.trainable, 'params');
}
tf.dispose([inputs, targets]);
