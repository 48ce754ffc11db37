/**
 * ggml K-quant throughput: llmkit's TypeScript quantize/dequantize (byte-exact with ggml)
 * vs ggml's own C reference (`quantize_row_<type>_ref`, `dequantize_row_<type>` from
 * node-llama-cpp's prebuilt libggml-base.so, called through koffi with preallocated
 * buffers) on the same 1,048,576 normal values. One JSON line per figure, in Mvalues/s;
 * ratio = ours / peer.
 *
 *   npx tsx --conditions=@llmkit/source packages/quantization/bench/ggml.bench.ts
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../../../tools/bench/package-version.js';
import { Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K } from '../src/ggml/k-quants.js';
import type { GgmlTypeTraits } from '../src/ggml/types.js';
import { secondsPerCall } from '../../../tools/bench/timing.js';

const N = 1 << 20;
const TYPES: readonly GgmlTypeTraits[] = [Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K];

function findLibrary(): string {
  const rel = join('node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64', 'libggml-base.so');
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 6; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
  }
  throw new Error('libggml-base.so not found: install @node-llama-cpp/linux-x64 (linux x64 only)');
}


const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Ours and the peer in alternating windows (first pair is warm-up), so shared-machine load hits both. */
function measure(ours: () => void, peer: () => void, windows = 6): { ours: number; peer: number } {
  const o: number[] = [];
  const p: number[] = [];
  for (let w = 0; w < windows; w++) {
    const so = secondsPerCall(ours, 150);
    const sp = secondsPerCall(peer, 150);
    if (w > 0) {
      o.push(so);
      p.push(sp);
    }
  }
  return { ours: median(o), peer: median(p) };
}

function main(): void {
  const koffi = createRequire(import.meta.url)('koffi');
  const lib = koffi.load(findLibrary());
  const peerName = `ggml C reference (libggml-base, @node-llama-cpp/linux-x64 ${packageVersion('@node-llama-cpp/linux-x64')}) via koffi`;

  // Normal values, fixed seed (mulberry32 + Box-Muller).
  const x = new Float32Array(N);
  let a = 1234567;
  const r = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  for (let i = 0; i < N; i++) x[i] = Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());

  for (const t of TYPES) {
    const lower = t.name.replace(/^Q(\d)_K$/, 'q$1_K');
    const cQuantize = lib.func(`void quantize_row_${lower}_ref(const float*, void*, int64_t)`);
    const cDequantize = lib.func(`void dequantize_row_${lower}(const void*, float*, int64_t)`);
    const cBytes = Buffer.alloc((N / t.blockSize) * t.typeSize);
    const cValues = new Float32Array(N);
    const bytes = t.quantize(x);

    const q = measure(
      () => void t.quantize(x),
      () => cQuantize(x, cBytes, N)
    );
    const d = measure(
      () => void t.dequantize(bytes, N),
      () => cDequantize(bytes, cValues, N)
    );
    const round = (v: number) => Math.round(v * 100) / 100;
    for (const [op, m] of [
      ['quantize', q],
      ['dequantize', d],
    ] as const) {
      const ours = N / m.ours / 1e6;
      const peer = N / m.peer / 1e6;
      console.log(
        JSON.stringify({
          bench: `ggml/${t.name}/${op}/1M-normal`,
          ours: round(ours),
          peer: peerName,
          peerValue: round(peer),
          ratio: round(ours / peer),
          unit: 'Mvalues/s',
        })
      );
    }
  }
}

main();
