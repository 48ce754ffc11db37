/**
 * Loader of llmkit's WebAssembly ggml kernels (C in packages/quantization/wasm/ggml/, built by
 * tools/build-wasm.mjs into ./kernels.wasm.ts). The module is compiled and instantiated
 * synchronously on first use from the embedded base64 bytes; inputs are copied into the module's
 * memory in chunks of {@link CHUNK_VALUES} values, converted, and copied out. When WebAssembly (or
 * its SIMD extension) is unavailable, {@link ggmlWasm} returns null and callers use the
 * TypeScript reference implementation, which the kernels equal byte for byte.
 *
 * @internal Reached through quantizeBlocks / dequantizeBlocks (../registry.ts).
 */
import { GGML_BLOCK_GEOMETRY, type GgmlTypeName } from '../types.js';
import { WASM_BASE64 } from './kernels.wasm.js';

/** Values per kernel call: 256 KiB of float32 in, at most 256 KiB of block bytes out. */
export const CHUNK_VALUES = 1 << 16;

type Kernel = (input: number, output: number, blocks: number) => void;

/** Export names of the kernels, by ggml type. */
const QUANTIZE: Partial<Record<GgmlTypeName, string>> = {
  F16: 'quantize_f16',
  BF16: 'quantize_bf16',
  Q4_0: 'quantize_q4_0',
  Q4_1: 'quantize_q4_1',
  Q5_0: 'quantize_q5_0',
  Q5_1: 'quantize_q5_1',
  Q8_0: 'quantize_q8_0',
  Q8_1: 'quantize_q8_1',
  Q2_K: 'quantize_q2_K',
  Q3_K: 'quantize_q3_K',
  Q4_K: 'quantize_q4_K',
  Q5_K: 'quantize_q5_K',
  Q6_K: 'quantize_q6_K',
  Q8_K: 'quantize_q8_K',
};

const DEQUANTIZE: Partial<Record<GgmlTypeName, string>> = {
  F16: 'dequantize_f16',
  BF16: 'dequantize_bf16',
  Q4_0: 'dequantize_q4_0',
  Q4_1: 'dequantize_q4_1',
  Q5_0: 'dequantize_q5_0',
  Q5_1: 'dequantize_q5_1',
  Q8_0: 'dequantize_q8_0',
  Q8_1: 'dequantize_q8_1',
  Q2_K: 'dequantize_q2_K',
  Q3_K: 'dequantize_q3_K',
  Q4_K: 'dequantize_q4_K',
  Q5_K: 'dequantize_q5_K',
  Q6_K: 'dequantize_q6_K',
  Q8_K: 'dequantize_q8_K',
};

/** The ggml types with a wasm quantize kernel and with a wasm dequantize kernel. */
export const WASM_QUANTIZE_TYPES: readonly GgmlTypeName[] = Object.keys(QUANTIZE) as GgmlTypeName[];
export const WASM_DEQUANTIZE_TYPES: readonly GgmlTypeName[] = Object.keys(DEQUANTIZE) as GgmlTypeName[];

/** The instantiated kernels: convert whole blocks (no input checks: callers validate first; `out` is filled from 0 when given). */
export interface GgmlWasm {
  /** Whether `type` has a kernel for `op`. */
  has(type: GgmlTypeName, op: 'quantize' | 'dequantize'): boolean;
  /** Bytes of `values` (a whole number of blocks) in ggml's `type` format. */
  quantize(type: GgmlTypeName, values: Float32Array, out?: Uint8Array): Uint8Array;
  /** `count` values (a whole number of blocks) decoded from `bytes` (at least count/blockSize*typeSize long). */
  dequantize(type: GgmlTypeName, bytes: Uint8Array, count: number, out?: Float32Array): Float32Array;
}

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  const B = (globalThis as { Buffer?: { from(s: string, e: string): Uint8Array } }).Buffer;
  if (B !== undefined) return new Uint8Array(B.from(text, 'base64'));
  const binary = atob(text);
  const out = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) out[i] = binary.charCodeAt(i);
  return out;
}

let compiled: WebAssembly.Module | undefined;

/** The compiled module (compiled once; every instance gets its own memory). */
function compiledModule(): WebAssembly.Module {
  compiled ??= new WebAssembly.Module(decodeBase64(WASM_BASE64));
  return compiled;
}

/**
 * A private instance of the kernels whose memory holds `bytes` (block bytes) and `values` (float32)
 * for `capacity` values, laid out once and never grown, so the views stay valid for the instance's
 * life. The kernels then read and write these views in place: no copies, as ggml's C functions work
 * on the caller's buffers.
 */
export interface GgmlWasmWorkspace {
  readonly bytes: Uint8Array;
  readonly values: Float32Array;
  /** values[0, count) -> bytes (whole blocks of `type`). */
  quantize(type: GgmlTypeName, count: number): void;
  /** bytes -> values[0, count) (whole blocks of `type`). */
  dequantize(type: GgmlTypeName, count: number): void;
}

export function instantiateWorkspace(byteCapacity: number, valueCapacity: number): GgmlWasmWorkspace {
  const instance = new WebAssembly.Instance(compiledModule(), {});
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  const heapBase = (exports.__heap_base as WebAssembly.Global).value as number;
  const valuesAt = (heapBase + 63) & ~63;
  const bytesAt = (valuesAt + valueCapacity * 4 + 63) & ~63;
  const end = bytesAt + byteCapacity;
  if (end > 2 ** 32 - 65536) throw new RangeError(`ggml wasm workspace: ${end} bytes do not fit in 32-bit WebAssembly memory (4 GiB)`);
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const values = new Float32Array(memory.buffer, valuesAt, valueCapacity);
  const bytes = new Uint8Array(memory.buffer, bytesAt, byteCapacity);
  const kernel = (table: Partial<Record<GgmlTypeName, string>>, type: GgmlTypeName, op: string): Kernel => {
    const name = table[type];
    if (name === undefined) throw new Error(`ggml wasm: no ${op} kernel for ${type}`);
    return exports[name] as Kernel;
  };
  return {
    bytes,
    values,
    quantize(type, count) {
      kernel(QUANTIZE, type, 'quantize')(valuesAt, bytesAt, count / GGML_BLOCK_GEOMETRY[type].blockSize);
    },
    dequantize(type, count) {
      kernel(DEQUANTIZE, type, 'dequantize')(bytesAt, valuesAt, count / GGML_BLOCK_GEOMETRY[type].blockSize);
    },
  };
}

function instantiate(): GgmlWasm {
  const instance = new WebAssembly.Instance(compiledModule(), {});
  const exports = instance.exports as Record<string, unknown>;
  const memory = exports.memory as WebAssembly.Memory;
  const heapBase = (exports.__heap_base as WebAssembly.Global).value as number;
  const input = (heapBase + 15) & ~15;
  const output = input + CHUNK_VALUES * 4;
  // The largest chunk output: F16/BF16 bytes (2 per value) or Q8_K (292 per 256) fit in CHUNK_VALUES * 4.
  const end = output + CHUNK_VALUES * 4;
  if (memory.buffer.byteLength < end) memory.grow(Math.ceil((end - memory.buffer.byteLength) / 65536));
  const kernel = (name: string | undefined): Kernel | undefined => (name === undefined ? undefined : (exports[name] as Kernel));
  // Views are created after growing, and the module never grows its memory itself.
  const inF32 = new Float32Array(memory.buffer, input, CHUNK_VALUES);
  const inU8 = new Uint8Array(memory.buffer, input, CHUNK_VALUES * 4);
  const outU8 = new Uint8Array(memory.buffer, output, CHUNK_VALUES * 4);
  const outF32 = new Float32Array(memory.buffer, output, CHUNK_VALUES);
  return {
    has(type, op) {
      return (op === 'quantize' ? QUANTIZE : DEQUANTIZE)[type] !== undefined;
    },
    quantize(type, values, into) {
      const run = kernel(QUANTIZE[type]);
      if (run === undefined) throw new Error(`ggml wasm: no quantize kernel for ${type}`);
      const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[type];
      const n = values.length;
      const out = into ?? new Uint8Array((n / blockSize) * typeSize);
      for (let at = 0; at < n; at += CHUNK_VALUES) {
        const m = Math.min(CHUNK_VALUES, n - at);
        const blocks = m / blockSize;
        inF32.set(m === n ? values : values.subarray(at, at + m));
        run(input, output, blocks);
        out.set(outU8.subarray(0, blocks * typeSize), (at / blockSize) * typeSize);
      }
      return out;
    },
    dequantize(type, bytes, count, into) {
      const run = kernel(DEQUANTIZE[type]);
      if (run === undefined) throw new Error(`ggml wasm: no dequantize kernel for ${type}`);
      const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[type];
      const out = into ?? new Float32Array(count);
      for (let at = 0; at < count; at += CHUNK_VALUES) {
        const m = Math.min(CHUNK_VALUES, count - at);
        const blocks = m / blockSize;
        const from = (at / blockSize) * typeSize;
        inU8.set(bytes.subarray(from, from + blocks * typeSize));
        run(input, output, blocks);
        out.set(m === CHUNK_VALUES ? outF32 : outF32.subarray(0, m), at);
      }
      return out;
    },
  };
}

let loaded: GgmlWasm | null | undefined;
let loadError: unknown;

/**
 * The wasm kernels, instantiated on first call; null when this JavaScript engine cannot run
 * them (no WebAssembly, no SIMD). {@link ggmlWasmError} tells why.
 */
export function ggmlWasm(): GgmlWasm | null {
  if (loaded === undefined) {
    try {
      loaded = typeof WebAssembly === 'object' ? instantiate() : null;
      if (loaded === null) loadError = new Error('WebAssembly is not available in this JavaScript engine');
    } catch (e) {
      loaded = null;
      loadError = e;
    }
  }
  return loaded;
}

/** Why {@link ggmlWasm} returned null (undefined when it loaded or was not tried yet). */
export function ggmlWasmError(): unknown {
  return loadError;
}
