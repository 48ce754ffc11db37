/**
 * bench/train-step: ms per training step of the nanoGPT CPU recipe (see
 * nanogpt.ts), measured side by side in one process: stock tfjs-wasm, then
 * with core's wasm kernel fixes; plus PyTorch CPU on the same threads when the
 * reference Python stack is present (tools/bench/nanogpt_torch.py).
 *
 * With the optional native matmul addon (@llmkit/core-native) the fixed run uses it (core's
 * default); the same step with core's WebAssembly SIMD matmul runs alternating with it, and both
 * are reported in wall time and process CPU time (all threads: with 2 threads CPU time rises while
 * wall time falls).
 *
 * Stock tfjs-wasm has no gradient for `gather` (UnsortedSegmentSum is missing),
 * so the stock run computes the embedding as one-hot x weight, which is what a
 * stock user must do; the fixed run uses the gather-based Embedding.
 *
 * Run: npx tsx --conditions=@llmkit/source packages/core/bench/train-step.bench.ts [--steps N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { tf, initBackend, AdamW, clipGradNorm, computeGradients, createRng, Embedding } from '../src/index.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/backend/wasm-fixes.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { loadNativeMatMul, nativeMatMul } from '../src/backend/native.js';
import { NanoGpt, NANOGPT_CPU_RECIPE } from './nanogpt.js';

const args = process.argv.slice(2);
const stepsArg = args.indexOf('--steps');
const steps = stepsArg >= 0 ? Number(args[stepsArg + 1]) : 10;
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const BATCH = 12;

function makeBatch(rng: ReturnType<typeof createRng>): { x: tf.Tensor2D; y: tf.Tensor2D } {
  const n = BATCH * NANOGPT_CPU_RECIPE.blockSize;
  const ids = Int32Array.from({ length: n + BATCH }, () => rng.randint(0, NANOGPT_CPU_RECIPE.vocabSize));
  return {
    x: tf.tensor2d(ids.subarray(0, n), [BATCH, NANOGPT_CPU_RECIPE.blockSize], 'int32'),
    y: tf.tensor2d(ids.subarray(BATCH, n + BATCH), [BATCH, NANOGPT_CPU_RECIPE.blockSize], 'int32'),
  };
}

function oneHotEmbedding(layer: Embedding): void {
  // Stock wasm cannot differentiate gather: use one-hot x weight instead.
  layer.forward = (ids: tf.Tensor) =>
    tf.tidy(() => {
      const flat = tf.reshape(ids, [-1]) as tf.Tensor1D;
      const [rows, dim] = layer.weight.shape as [number, number];
      const out = tf.matMul(tf.cast(tf.oneHot(flat, rows), 'float32'), layer.weight);
      return tf.reshape(out, [...ids.shape, dim]);
    });
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

/** Wall and process-CPU ms per step (CPU time is the robust figure on a shared machine). */
function timeSteps(stock: boolean, count: number, warmup: number): { wall: number; cpu: number } {
  const rng = createRng(1);
  const model = new NanoGpt(NANOGPT_CPU_RECIPE, createRng(0));
  if (stock) {
    oneHotEmbedding(model.wte);
    oneHotEmbedding(model.wpe);
  }
  const params = model.trainableParameters();
  const optimizer = new AdamW(params, { lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.1 });
  const step = () => {
    const { x, y } = makeBatch(rng);
    const { loss, grads } = computeGradients(() => model.loss(x, y), params);
    const clipped = clipGradNorm(grads, 1.0);
    optimizer.step(clipped.grads);
    loss.dataSync();
    for (const t of [x, y, loss, ...grads.values(), ...clipped.grads.values()]) t.dispose();
  };
  for (let i = 0; i < warmup; i++) step();
  const start = performance.now();
  const cpuStart = cpuMs();
  for (let i = 0; i < count; i++) step();
  const ms = (performance.now() - start) / count;
  const cpu = (cpuMs() - cpuStart) / count;
  optimizer.dispose();
  model.dispose();
  return { wall: ms, cpu };
}

function pytorchMs(): { ms: number; label: string } | undefined {
  const python = [join(root, '.venv-ref/bin/python'), 'python3'].find((p) => p === 'python3' || existsSync(p))!;
  const run = spawnSync(python, [join(root, 'tools/bench/nanogpt_torch.py'), '--threads', '2', '--steps', '30'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0) {
    console.error(`# PyTorch peer skipped (${python}: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}); last recorded: ~34 ms/step on this machine (docs/benchmarks.md)`);
    return undefined;
  }
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!);
  return { ms: result.msPerStep, label: `pytorch ${result.torch} cpu (${result.threads} threads)` };
}

const info = await initBackend({ kernelFixes: false });
if (info.backend !== 'wasm') console.error(`# note: backend is ${info.backend}, not wasm; the stock/fixed comparison is about wasm`);
uninstallWasmKernelFixes();
const stockTimes = timeSteps(true, Math.max(2, Math.ceil(steps / 4)), 1);
installWasmKernelFixes();
await loadNativeMatMul();
const native = nativeMatMul();
let fixedTimes: { wall: number; cpu: number };
let simdTimes: { wall: number; cpu: number } | undefined;
if (native) {
  // Alternating halves, summed: SIMD matmul, native, SIMD, native.
  const sum = { simd: { wall: 0, cpu: 0 }, native: { wall: 0, cpu: 0 } };
  const half = Math.max(2, Math.ceil(steps / 2));
  for (let round = 0; round < 2; round++) {
    for (const kernel of ['simd', 'native'] as const) {
      matMulStrategy.kernel = kernel;
      const t = timeSteps(false, half, 2);
      sum[kernel].wall += t.wall / 2;
      sum[kernel].cpu += t.cpu / 2;
    }
  }
  fixedTimes = sum.native;
  simdTimes = sum.simd;
} else {
  console.error(`# native matmul not available (${info.matmul.nativeUnavailable ?? 'see matMulPath()'}): core's WebAssembly SIMD matmul`);
  fixedTimes = timeSteps(false, steps, 2);
}
const fixedMs = fixedTimes.wall;
const line = (peer: string, peerValue: number) =>
  console.log(JSON.stringify({ bench: 'core/train-step/nanogpt-cpu', ours: round(fixedMs), peer, peerValue: round(peerValue), ratio: round(fixedMs / peerValue), unit: 'ms/step' }));
line('tfjs-wasm 4.22 stock (one-hot embedding)', stockTimes.wall);
console.log(
  JSON.stringify({
    bench: 'core/train-step/nanogpt-cpu/cpu-time',
    ours: round(fixedTimes.cpu),
    peer: 'tfjs-wasm 4.22 stock (one-hot embedding), process CPU time',
    peerValue: round(stockTimes.cpu),
    ratio: round(fixedTimes.cpu / stockTimes.cpu),
    unit: 'cpu ms/step',
  }),
);
if (native && simdTimes) {
  const label = `native matmul (${native.isa()}, ${native.threads()} threads)`;
  console.log(
    JSON.stringify({
      bench: 'core/train-step/nanogpt-cpu/native-vs-simd',
      ours: round(fixedTimes.wall),
      peer: `same step with core's WebAssembly SIMD matmul, wall; ours: ${label}`,
      peerValue: round(simdTimes.wall),
      ratio: round(fixedTimes.wall / simdTimes.wall),
      unit: 'ms/step',
    }),
  );
  console.log(
    JSON.stringify({
      bench: 'core/train-step/nanogpt-cpu/native-vs-simd/cpu-time',
      ours: round(fixedTimes.cpu),
      peer: `same step with core's WebAssembly SIMD matmul, process CPU time; ours: ${label}`,
      peerValue: round(simdTimes.cpu),
      ratio: round(fixedTimes.cpu / simdTimes.cpu),
      unit: 'cpu ms/step',
    }),
  );
}
const torch = pytorchMs();
if (torch) {
  line(torch.label, torch.ms);
  console.log(
    JSON.stringify({
      bench: 'core/train-step/nanogpt-cpu/cpu-time-vs-pytorch-wall',
      ours: round(fixedTimes.cpu),
      peer: `${torch.label}, wall`,
      peerValue: round(torch.ms),
      ratio: round(fixedTimes.cpu / torch.ms),
      unit: 'ms/step (ours: CPU time)',
    }),
  );
}

function round(x: number): number {
  return Math.round(x * 1000) / 1000;
}
