/**
 * Where the time of one nanoGPT CPU-recipe training step goes on the wasm backend: per-kernel
 * time from tf.profile (wall time of each kernel, summed by kernel name, over `--steps` steps),
 * and the process CPU time per step: the earlier XNNPACK matmul path, core's SIMD matmul, and SIMD
 * matmul plus SIMD Exp/Erf/Multiply (elementwiseStrategy), alternating; with the optional native
 * addon (@llmkit/core-native) also native matmul on 1 thread and on its default threads. CPU time
 * (all threads of the process) and wall time are both printed: with 2 threads CPU time rises while
 * wall time falls. The kernel profile at the end uses the default path (native when it loads).
 * Not a *.bench.ts (no peer): a profiling tool for issue 12.
 *
 *   npx tsx --conditions=@llmkit/source packages/core/bench/profile-step.ts [--steps N]
 */
import { tf, initBackend, AdamW, clipGradNorm, computeGradients, createRng } from '../src/index.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { nativeMatMul } from '../src/backend/native.js';
import { elementwiseStrategy } from '../src/backend/wasm-kernels/unary-simd.js';
import { NanoGpt, NANOGPT_CPU_RECIPE } from './nanogpt.js';

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 5;
const BATCH = 12;

await initBackend({ backend: 'wasm' });
const rng = createRng(1);
const model = new NanoGpt(NANOGPT_CPU_RECIPE, createRng(0));
const params = model.trainableParameters();
const optimizer = new AdamW(params, { lr: 1e-3, betas: [0.9, 0.99], weightDecay: 0.1 });

function step(): void {
  const n = BATCH * NANOGPT_CPU_RECIPE.blockSize;
  const ids = Int32Array.from({ length: n + BATCH }, () => rng.randint(0, NANOGPT_CPU_RECIPE.vocabSize));
  const x = tf.tensor2d(ids.subarray(0, n), [BATCH, NANOGPT_CPU_RECIPE.blockSize], 'int32');
  const y = tf.tensor2d(ids.subarray(BATCH, n + BATCH), [BATCH, NANOGPT_CPU_RECIPE.blockSize], 'int32');
  const { loss, grads } = computeGradients(() => model.loss(x, y), params);
  const clipped = clipGradNorm(grads, 1.0);
  optimizer.step(clipped.grads);
  loss.dataSync();
  for (const t of [x, y, loss, ...grads.values(), ...clipped.grads.values()]) t.dispose();
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};
for (let i = 0; i < 2; i++) step();
const native = nativeMatMul();
const nativeThreads = native?.threads() ?? 1;
if (!native) console.error('# native variants skipped: @llmkit/core-native is not available (see matMulPath())');
type Variant = { matmul: 'xnnpack' | 'simd' | 'native'; elementwise: 'stock' | 'simd'; threads?: number };
const VARIANTS: Variant[] = [
  { matmul: 'xnnpack', elementwise: 'stock' },
  { matmul: 'simd', elementwise: 'stock' },
  { matmul: 'simd', elementwise: 'simd' },
  ...(native
    ? [
        { matmul: 'native', elementwise: 'simd', threads: 1 } as Variant,
        { matmul: 'native', elementwise: 'simd', threads: nativeThreads } as Variant,
      ]
    : []),
];
for (let round = 0; round < 2; round++) {
  for (const v of VARIANTS) {
    matMulStrategy.kernel = v.matmul;
    elementwiseStrategy.kernel = v.elementwise;
    if (native) native.setThreads(v.threads ?? nativeThreads);
    step();
    const c0 = cpuMs();
    const w0 = performance.now();
    for (let i = 0; i < steps; i++) step();
    console.log(JSON.stringify({ ...v, cpuMsPerStep: (cpuMs() - c0) / steps, wallMsPerStep: (performance.now() - w0) / steps }));
  }
}

matMulStrategy.kernel = 'native';
if (native) native.setThreads(nativeThreads);
elementwiseStrategy.kernel = 'simd';
const info = await tf.profile(() => {
  for (let i = 0; i < steps; i++) step();
});
const byName = new Map<string, { ms: number; calls: number }>();
for (const k of info.kernels) {
  const entry = byName.get(k.name) ?? { ms: 0, calls: 0 };
  entry.ms += (k.kernelTimeMs as number) / steps;
  entry.calls += 1 / steps;
  byName.set(k.name, entry);
}
const total = [...byName.values()].reduce((a, e) => a + e.ms, 0);
console.log(`kernel time per step (wall, sum of kernels): ${total.toFixed(1)} ms`);
for (const [name, e] of [...byName].sort((a, b) => b[1].ms - a[1].ms).slice(0, 25)) {
  console.log(`${name.padEnd(24)} ${e.ms.toFixed(2).padStart(8)} ms ${(100 * e.ms / total).toFixed(1).padStart(5)}%  ${e.calls.toFixed(0)} calls`);
}
optimizer.dispose();
model.dispose();
