/**
 * ggml quantize/dequantize throughput per GGUF type: llmkit's default path (`quantizeBlocks` /
 * `dequantizeBlocks`, WebAssembly SIMD kernels byte-exact with ggml) vs ggml's own C reference
 * (`quantize_row_<type>_ref`, `dequantize_row_<type>` from node-llama-cpp's prebuilt
 * libggml-base.so, called through koffi with preallocated buffers) on the same 1,048,576 normal
 * values, side by side in one process. One JSON line per figure, in Mvalues/s; ratio = ours / peer.
 * The main line (`ggml/<type>/<op>/1M-normal`) writes into a preallocated buffer (`{ out }`), the
 * same contract as the C functions; it includes copying into and out of wasm memory.
 * `.../alloc` is the plain call that allocates its result (a fresh 4 MiB Float32Array per
 * dequantize: page faults and GC that the C side does not pay), and `.../js` the TypeScript
 * reference implementation (`backend: 'js'`, allocating), both against the same C peer.
 * `.../workspace` converts in place between buffers that live in WebAssembly memory
 * (`createGgmlWorkspace`), as the C functions convert between buffers in native memory.
 *
 *   npm run bench -- --filter quantization/bench/ggml
 *   npx tsx --conditions=@llmkit/source packages/quantization/bench/ggml.bench.ts [Q4_K Q8_0 ...]
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { packageVersion } from '../../../tools/bench/package-version.js';
import { secondsPerCall } from '../../../tools/bench/timing.js';
import { createGgmlWorkspace, dequantizeBlocks, quantizeBlocks } from '../src/ggml/registry.js';
import { GGML_BLOCK_GEOMETRY, type GgmlTypeName } from '../src/ggml/types.js';

const N = 1 << 20;
const ALL: readonly GgmlTypeName[] = ['Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q8_0', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K', 'Q8_K', 'F16', 'BF16'];
const picked = process.argv.slice(2).filter((a) => (ALL as readonly string[]).includes(a)) as GgmlTypeName[];
const TYPES = picked.length > 0 ? picked : ALL;

function findLibrary(): string {
  const rel = join('node_modules', '@node-llama-cpp', 'linux-x64', 'bins', 'linux-x64', 'libggml-base.so');
  for (let dir = dirname(fileURLToPath(import.meta.url)), i = 0; i < 6; i++, dir = dirname(dir)) {
    if (existsSync(join(dir, rel))) return join(dir, rel);
  }
  throw new Error('libggml-base.so not found: install @node-llama-cpp/linux-x64 (linux x64 only)');
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Each function in turn, in alternating windows (the first round is warm-up), so shared-machine load hits all. */
function measure(fns: ReadonlyArray<() => void>, windows = 6, ms = 120): number[] {
  const times: number[][] = fns.map(() => []);
  for (let w = 0; w < windows; w++) {
    fns.forEach((f, k) => {
      const s = secondsPerCall(f, ms);
      if (w > 0) times[k].push(s);
    });
  }
  return times.map(median);
}

/** ggml's C entry points for a type (the row converters for F16 / BF16). */
function cNames(type: GgmlTypeName): [string, string] {
  if (type === 'F16') return ['ggml_fp32_to_fp16_row', 'ggml_fp16_to_fp32_row'];
  if (type === 'BF16') return ['ggml_fp32_to_bf16_row_ref', 'ggml_bf16_to_fp32_row'];
  const lower = type.toLowerCase().replace(/_k$/, '_K');
  return [`quantize_row_${lower}_ref`, `dequantize_row_${lower}`];
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

  const round = (v: number) => Math.round(v * 100) / 100;
  for (const type of TYPES) {
    const [qName, dName] = cNames(type);
    const cQuantize = lib.func(`void ${qName}(const float*, void*, int64_t)`);
    const cDequantize = lib.func(`void ${dName}(const void*, float*, int64_t)`);
    const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[type];
    const cBytes = Buffer.alloc((N / blockSize) * typeSize);
    const cValues = new Float32Array(N);
    const bytes = quantizeBlocks(type, x);
    // The kernels must be byte-exact with C before their speed means anything.
    cQuantize(x, cBytes, N);
    if (Buffer.compare(Buffer.from(bytes), cBytes) !== 0) throw new Error(`${type}: quantize bytes differ from ggml's`);

    const outBytes = new Uint8Array(bytes.length);
    const outValues = new Float32Array(N);
    // In place in wasm memory: both buffers live in the workspace, as C's live in native memory.
    const ws = createGgmlWorkspace(type, N);
    ws.values.set(x);
    if (Buffer.compare(Buffer.from(ws.quantize()), cBytes) !== 0) throw new Error(`${type}: workspace quantize bytes differ from ggml's`);
    const [qWasm, qC, qAlloc, qJs, qWs] = measure([
      () => void quantizeBlocks(type, x, { out: outBytes }),
      () => cQuantize(x, cBytes, N),
      () => void quantizeBlocks(type, x),
      () => void quantizeBlocks(type, x, { backend: 'js' }),
      () => void ws.quantize(),
    ]);
    const [dWasm, dC, dAlloc, dJs, dWs] = measure([
      () => void dequantizeBlocks(type, bytes, N, { out: outValues }),
      () => cDequantize(bytes, cValues, N),
      () => void dequantizeBlocks(type, bytes, N),
      () => void dequantizeBlocks(type, bytes, N, { backend: 'js' }),
      () => void ws.dequantize(),
    ]);
    for (const [op, ours, alloc, js, inPlace, peer] of [
      ['quantize', qWasm, qAlloc, qJs, qWs, qC],
      ['dequantize', dWasm, dAlloc, dJs, dWs, dC],
    ] as const) {
      const peerValue = N / peer / 1e6;
      for (const [suffix, s] of [
        ['', ours],
        ['/alloc', alloc],
        ['/js', js],
        ['/workspace', inPlace],
      ] as const) {
        const value = N / s / 1e6;
        console.log(
          JSON.stringify({
            bench: `ggml/${type}/${op}/1M-normal${suffix}`,
            ours: round(value),
            peer: peerName,
            peerValue: round(peerValue),
            ratio: round(value / peerValue),
            unit: 'Mvalues/s',
          })
        );
      }
    }
  }
}

main();
