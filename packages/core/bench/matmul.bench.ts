/**
 * Matmul throughput on the tfjs wasm backend: core's own WebAssembly SIMD
 * sgemm (wasm/kernels/matmul.c) vs stock tfjs-wasm 4.22 and vs core's earlier
 * transpose-then-XNNPACK path, side by side in one process, for the matmuls
 * of one training step of the nanoGPT CPU recipe (char-level, 4 layers, 4
 * heads, width 128, block 64, batch 12 -> 768 rows) and of one decoding step.
 * One JSON line per figure; `ofCeiling` is ours as a fraction of the
 * ~43 GFLOP/s one core reaches with 128-bit wasm SIMD (no FMA).
 *
 * With the optional native addon (@llmkit/core-native) built, two more variants: native on 1
 * thread and native on its default threads (LLMKIT_NATIVE_THREADS, else all cores), reported in
 * `matmul/.../native` lines as wall GFLOP/s (the figure threads improve) and CPU GFLOP/s (per
 * CPU second of all threads) of the whole tf.matMul (dispatch, output allocation, dataSync), and
 * in `kernel` the addon call alone on the same tensors, with `ofPeak` = wall GFLOP/s / (threads x
 * per-core peak) and `ofPeakPerThread` = CPU GFLOP/s / per-core peak. Per-core peak is an assumption stated in the
 * output: for AVX-512, 2 FMA units x 16 lanes x 2 flops x NATIVE_GHZ (default 2.3, the nominal
 * clock of this machine's Xeon; a turbo clock above it shows as ofPeak > 1), half that for AVX2.
 * (A loop of 24 independent zmm FMA chains measured 176 GFLOP/s on one core here on 2026-11-29,
 * i.e. ~2.75 GHz under AVX-512: NATIVE_GHZ=2.75 gives the fraction of that measured peak.)
 *
 * Time is the process's CPU time (process.cpuUsage), not wall time: on a
 * shared machine wall time mostly measures the other processes. The
 * variants run in alternating windows, median of 7.
 *
 *   npx tsx --conditions=@llmkit/source packages/core/bench/matmul.bench.ts
 */
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes } from '../src/backend/wasm-fixes.js';
import { matMulStrategy } from '../src/backend/wasm-kernels/matmul-core.js';
import { nativeMatMul, type NativeMatMulAddon } from '../src/backend/native.js';
import { heapOffset, type WasmBackend } from '../src/backend/wasm-kernels/wasm-heap.js';

const WASM_SIMD_CEILING = 43;
const NATIVE_GHZ = Number(process.env.NATIVE_GHZ ?? 2.3);

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

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

let wallOfLastWindow = 0;

/**
 * GFLOP/s (per CPU second of this process, all threads) of one window of >= 60 ms CPU time; the
 * same window's GFLOP/s per wall second is left in `wallOfLastWindow`.
 */
function window(c: Case, a: tf.Tensor, b: tf.Tensor): number {
  const run = () => tf.tidy(() => void tf.matMul(a, b, c.transposeA, c.transposeB).dataSync());
  let n = 0;
  const t0 = cpuMs();
  const w0 = performance.now();
  let t = 0;
  do {
    run();
    n++;
    t = cpuMs() - t0;
  } while (t < 60);
  wallOfLastWindow = (flops(c) * n) / ((performance.now() - w0) / 1000) / 1e9;
  return (flops(c) * n) / (t / 1000) / 1e9;
}

/**
 * The native kernel alone on the tensors in place (no tfjs op dispatch, output allocation or
 * dataSync): the same addon calls matmul-core.ts makes, into a preallocated output. The bench's
 * batched cases have equal batches or an unbatched b.
 */
function kernelWindow(native: NativeMatMulAddon, c: Case, a: tf.Tensor, b: tf.Tensor, out: tf.Tensor): { cpu: number; wall: number } {
  const backend = tf.backend() as unknown as WasmBackend;
  const ra = c.a.length;
  const m = c.transposeA ? c.a[ra - 1] : c.a[ra - 2];
  const k = c.transposeA ? c.a[ra - 2] : c.a[ra - 1];
  const n = c.transposeB ? c.b[c.b.length - 2] : c.b[c.b.length - 1];
  const batch = c.a.slice(0, -2).reduce((x, y) => x * y, 1);
  const [ao, bo, co] = [heapOffset(backend, a), heapOffset(backend, b), heapOffset(backend, out)];
  const rsa = c.transposeA ? 1 : k;
  const csa = c.transposeA ? m : 1;
  const rsb = c.transposeB ? 1 : n;
  const csb = c.transposeB ? k : 1;
  const unbatchedB = c.b.length === 2;
  const aBytes = Uint32Array.from({ length: batch }, (_, i) => ao + i * m * k * 4);
  const bBytes = Uint32Array.from({ length: batch }, (_, i) => bo + (unbatchedB ? 0 : i * k * n * 4));
  const cBytes = Uint32Array.from({ length: batch }, (_, i) => co + i * m * n * 4);
  const heap = backend.wasm.HEAPU8;
  const run =
    batch === 1 || (unbatchedB && !c.transposeA)
      ? () => native.sgemm(heap, batch * m, n, k, ao, rsa, csa, bo, rsb, csb, co, n)
      : () => native.sgemmBatch(heap, m, n, k, rsa, csa, rsb, csb, n, aBytes, bBytes, cBytes);
  let count = 0;
  const t0 = cpuMs();
  const w0 = performance.now();
  let t = 0;
  do {
    run();
    count++;
    t = cpuMs() - t0;
  } while (t < 60);
  const f = flops(c) * count;
  return { cpu: f / (t / 1000) / 1e9, wall: f / ((performance.now() - w0) / 1000) / 1e9 };
}

const median = (xs: number[]) => [...xs].sort((x, y) => x - y)[Math.floor(xs.length / 2)];

/**
 * Stock and fixed kernels measured in alternating windows (7 each, median),
 * so that load from other processes on a shared machine hits both alike.
 */
interface Measured {
  stock: number;
  xnnpack: number;
  ours: number;
  /** native, 1 thread: CPU GFLOP/s and wall GFLOP/s */
  native1?: { cpu: number; wall: number };
  /** native, default threads */
  nativeN?: { cpu: number; wall: number };
  /** the native kernel alone (see kernelWindow), 1 thread and default threads */
  kernel1?: { cpu: number; wall: number };
  kernelN?: { cpu: number; wall: number };
}

function measure(c: Case, a: tf.Tensor, b: tf.Tensor): Measured {
  const stock: number[] = [];
  const xnnpack: number[] = [];
  const ours: number[] = [];
  const native = nativeMatMul();
  const threads = native?.threads() ?? 1;
  const n1 = { cpu: [] as number[], wall: [] as number[] };
  const nN = { cpu: [] as number[], wall: [] as number[] };
  const k1 = { cpu: [] as number[], wall: [] as number[] };
  const kN = { cpu: [] as number[], wall: [] as number[] };
  const out = native ? tf.tidy(() => tf.matMul(a, b, c.transposeA, c.transposeB)) : undefined;
  for (let w = 0; w < 8; w++) {
    uninstallWasmKernelFixes();
    const s = window(c, a, b);
    installWasmKernelFixes();
    matMulStrategy.kernel = 'xnnpack';
    const x = window(c, a, b);
    matMulStrategy.kernel = 'simd';
    const o = window(c, a, b);
    if (native) {
      matMulStrategy.kernel = 'native';
      native.setThreads(1);
      const c1 = window(c, a, b);
      const w1 = wallOfLastWindow;
      const kernelOne = kernelWindow(native, c, a, b, out!);
      native.setThreads(threads);
      const cN = window(c, a, b);
      const wN = wallOfLastWindow;
      const kernelN = kernelWindow(native, c, a, b, out!);
      matMulStrategy.kernel = 'simd';
      if (w > 0) {
        n1.cpu.push(c1);
        n1.wall.push(w1);
        nN.cpu.push(cN);
        nN.wall.push(wN);
        k1.cpu.push(kernelOne.cpu);
        k1.wall.push(kernelOne.wall);
        kN.cpu.push(kernelN.cpu);
        kN.wall.push(kernelN.wall);
      }
    }
    if (w > 0) {
      // window 0 is warm-up
      stock.push(s);
      xnnpack.push(x);
      ours.push(o);
    }
  }
  const result: Measured = { stock: median(stock), xnnpack: median(xnnpack), ours: median(ours) };
  if (native) {
    result.native1 = { cpu: median(n1.cpu), wall: median(n1.wall) };
    result.nativeN = { cpu: median(nN.cpu), wall: median(nN.wall) };
    result.kernel1 = { cpu: median(k1.cpu), wall: median(k1.wall) };
    result.kernelN = { cpu: median(kN.cpu), wall: median(kN.wall) };
    out!.dispose();
  }
  return result;
}

async function main(): Promise<void> {
  const info = await initBackend({ backend: 'wasm' });
  const native = nativeMatMul();
  const isa = native?.isa() ?? '';
  const threads = native?.threads() ?? 1;
  // Per-core fp32 FMA peak: 2 FMA units x lanes x 2 flops x GHz (16 lanes for AVX-512, 8 for AVX2).
  const corePeak = 2 * (isa === 'avx512f' ? 16 : 8) * 2 * NATIVE_GHZ;
  if (native) {
    console.error(
      `# native: ${isa}, ${threads} threads; peak assumed ${corePeak.toFixed(1)} GFLOP/s per core ` +
        `(2 FMA units x ${isa === 'avx512f' ? 16 : 8} lanes x 2 flops x ${NATIVE_GHZ} GHz; set NATIVE_GHZ to change), ${(corePeak * threads).toFixed(1)} for ${threads} threads`,
    );
  } else {
    console.error(`# native variant skipped: ${info.matmul.nativeUnavailable}`);
  }
  for (const c of CASES) {
    const a = tf.randomUniform(c.a, -1, 1);
    const b = tf.randomUniform(c.b, -1, 1);
    const { stock, xnnpack, ours, native1, nativeN, kernel1, kernelN } = measure(c, a, b);
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
    if (native1 && nativeN && kernel1 && kernelN) {
      console.log(
        JSON.stringify({
          bench: `matmul/${c.name}/${transposes}/native`,
          ours: round(nativeN.wall),
          peer: 'core WebAssembly SIMD sgemm (1 thread, CPU time)',
          peerValue: round(ours),
          ratio: round(nativeN.wall / ours),
          unit: 'GFLOP/s (wall)',
          isa,
          threads,
          cpuGflops: round(nativeN.cpu),
          oneThread: { wall: round(native1.wall), cpu: round(native1.cpu) },
          // The addon call alone (no tfjs dispatch, allocation, dataSync): the kernel's share of peak.
          kernel: {
            wall: round(kernelN.wall),
            cpu: round(kernelN.cpu),
            ofPeak: round(kernelN.wall / (corePeak * threads)),
            ofPeakPerThread: round(kernelN.cpu / corePeak),
            oneThread: { wall: round(kernel1.wall), cpu: round(kernel1.cpu), ofPeak: round(kernel1.cpu / corePeak) },
          },
        }),
      );
    }
  }
}

await main();
