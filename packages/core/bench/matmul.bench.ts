/**
 * Matmul throughput on the tfjs wasm backend: core's own WebAssembly SIMD
 * sgemm (wasm/kernels/matmul.c) vs stock tfjs-wasm 4.22 and vs core's earlier
 * transpose-then-XNNPACK path, side by side in one process, for the matmuls
 * of one training step of the nanoGPT CPU recipe (char-level, 4 layers, 4
 * heads, width 128, block 64, batch 12 -> 768 rows) and of one decoding step.
 * One JSON line per figure; `ofCeiling` is ours as a fraction of the
 * ~43 GFLOP/s one core reaches with 128-bit wasm SIMD (no FMA).
 *
 * Time is the process's CPU time (process.cpuUsage), not wall time: on a
 * shared machine wall time mostly measures the other processes. The three
 * variants run in alternating windows, median of 7.
 *
 *   npx tsx --conditions=@llmkit/source packages/core/bench/matmul.bench.ts
 */
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/backend/wasm-fixes.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';

const WASM_SIMD_CEILING = 43;

interface Case {
  name: string;
  a: number[];
  b: number[];
  transposeA: boolean;
  transposeB: boolean;
}

const CASES: Case[] = [
  // MLP up-projection [B*T, C] x [C, 4C] and its two gradient forms
  { name: '768x128x512', a: [768, 128], b: [128, 512], transposeA: false, transposeB: false },
  { name: '768x128x512', a: [768, 128], b: [768, 512], transposeA: true, transposeB: false }, // dW = X^T dY
  { name: '768x128x512', a: [768, 512], b: [128, 512], transposeA: false, transposeB: true }, // dX = dY W^T
  // QKV projection
  { name: '768x128x384', a: [768, 128], b: [128, 384], transposeA: false, transposeB: false },
  { name: '768x128x384', a: [768, 128], b: [768, 384], transposeA: true, transposeB: false },
  // tied LM head (vocab 65): logits = H E^T
  { name: '768x128x65', a: [768, 128], b: [65, 128], transposeA: false, transposeB: true },
  // attention, [batch, heads, T, head dim]
  { name: 'attn[12,4,64,32]x[12,4,32,64]', a: [12, 4, 64, 32], b: [12, 4, 32, 64], transposeA: false, transposeB: false },
  { name: 'attn[12,4,64,32]x[12,4,64,32]', a: [12, 4, 64, 32], b: [12, 4, 64, 32], transposeA: false, transposeB: true }, // Q K^T
  { name: 'attn[12,4,64,64]x[12,4,64,32]', a: [12, 4, 64, 64], b: [12, 4, 64, 32], transposeA: false, transposeB: false }, // A V
  { name: 'attn[12,4,64,64]x[12,4,64,32]', a: [12, 4, 64, 64], b: [12, 4, 64, 32], transposeA: true, transposeB: false }, // dV = A^T dY
  // a 3-D activation times a 2-D weight (not reshaped by the caller)
  { name: '[12,64,128]x[128,512]', a: [12, 64, 128], b: [128, 512], transposeA: false, transposeB: false },
  // decoding one token: x W^T against a [out, in] weight, and cached attention
  { name: 'decode[1,256]x[768,256]', a: [1, 256], b: [768, 256], transposeA: false, transposeB: true },
  { name: 'decode[1,4,1,64]x[1,4,128,64]', a: [1, 4, 1, 64], b: [1, 4, 128, 64], transposeA: false, transposeB: true },
];

function flops(c: Case): number {
  const ra = c.a.length;
  const m = c.transposeA ? c.a[ra - 1] : c.a[ra - 2];
  const k = c.transposeA ? c.a[ra - 2] : c.a[ra - 1];
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = c.a.slice(0, -2).reduce((x, y) => x * y, 1);
  return 2 * batch * m * k * n;
}

const cpuMs = () => process.cpuUsage().user / 1000;

/** GFLOP/s (per CPU second of this process) of one window of >= 60 ms CPU time. */
function window(c: Case, a: tf.Tensor, b: tf.Tensor): number {
  const run = () => tf.tidy(() => void tf.matMul(a, b, c.transposeA, c.transposeB).dataSync());
  let n = 0;
  const t0 = cpuMs();
  let t = 0;
  do {
    run();
    n++;
    t = cpuMs() - t0;
  } while (t < 60);
  return (flops(c) * n) / (t / 1000) / 1e9;
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/**
 * Stock and fixed kernels measured in alternating windows (7 each, median),
 * so that load from other processes on a shared machine hits both alike.
 */
function measure(c: Case, a: tf.Tensor, b: tf.Tensor): { stock: number; xnnpack: number; ours: number } {
  const stock: number[] = [];
  const xnnpack: number[] = [];
  const ours: number[] = [];
  for (let w = 0; w < 8; w++) {
    uninstallWasmKernelFixes();
    const s = window(c, a, b);
    installWasmKernelFixes();
    matMulStrategy.kernel = 'xnnpack';
    const x = window(c, a, b);
    matMulStrategy.kernel = 'simd';
    const o = window(c, a, b);
    if (w > 0) {
      // window 0 is warm-up
      stock.push(s);
      xnnpack.push(x);
      ours.push(o);
    }
  }
  return { stock: median(stock), xnnpack: median(xnnpack), ours: median(ours) };
}

async function main(): Promise<void> {
  await initBackend({ backend: 'wasm' });
  for (const c of CASES) {
    const a = tf.randomUniform(c.a, -1, 1);
    const b = tf.randomUniform(c.b, -1, 1);
    const { stock, xnnpack, ours } = measure(c, a, b);
    a.dispose();
    b.dispose();
    const transposes = `${c.transposeA ? 'T' : 'N'}${c.transposeB ? 'T' : 'N'}`;
    const round = (x: number) => Math.round(x * 100) / 100;
    console.log(
      JSON.stringify({
        bench: `matmul/${c.name}/${transposes}`,
        ours: round(ours),
        peer: 'tfjs-wasm stock',
        peerValue: round(stock),
        ratio: round(ours / stock),
        unit: 'GFLOP/s',
        ofCeiling: round(ours / WASM_SIMD_CEILING),
      }),
    );
    console.log(
      JSON.stringify({
        bench: `matmul/${c.name}/${transposes}/vs-xnnpack-path`,
        ours: round(ours),
        peer: 'core transpose + XNNPACK path (before the SIMD kernels)',
        peerValue: round(xnnpack),
        ratio: round(ours / xnnpack),
        unit: 'GFLOP/s',
      }),
    );
  }
}

await main();
