/**
 * Loader of core's own WebAssembly SIMD kernels (C in packages/core/wasm/kernels/, built by
 * `node tools/build-wasm.mjs` into ./simd-kernels.wasm.ts, so installing never needs a compiler).
 *
 * Zero copy: the module is built with `--import-memory` and instantiated on tfjs-wasm's own
 * `WebAssembly.Memory` (`backend.wasm.asm.memory` in tfjs-backend-wasm 4.22), so the kernels take
 * tensors' heap offsets (`dataIdMap.get(dataId).memoryOffset`) and write into outputs allocated by
 * `backend.makeOutput`. When tfjs grows its memory the module sees the growth: it is the same
 * Memory object.
 *
 * Sharing a memory is only safe if the module owns none of it: it must have no data segments (they
 * would be copied over tfjs' heap at instantiation) and its code must not use the shadow stack
 * (`__stack_pointer` would point into tfjs' heap). The build test checks the disassembly for the
 * second; {@link assertNoDataSegments} checks the first here before instantiating. Scratch space
 * (packed panels) is one buffer `_malloc`ed from the tfjs heap once per backend and kept.
 *
 * The kernels are unavailable (and core falls back to the XNNPACK-based path) when the memory cannot
 * be found, when WebAssembly SIMD is missing, or when `LLMKIT_WASM_SIMD=0`.
 */
import { WASM_BASE64 } from './simd-kernels.wasm.js';
import type { WasmBackend, WasmModule } from './wasm-heap.js';

export interface SimdKernels {
  /** C[M,N] = op(A) op(B); pointers are heap byte offsets, strides in elements. See matmul.c. */
  sgemm(
    m: number, n: number, k: number,
    a: number, rsa: number, csa: number,
    b: number, rsb: number, csb: number,
    c: number, ldc: number, scratch: number,
  ): void;
  /** In-place bias + activation (0 linear, 1 relu, 2 relu6, 4 leakyrelu) on C [m, n]; bias 0 = none. */
  bias_act(c: number, m: number, n: number, bias: number, activation: number, alpha: number): void;
  /** y[i] = exp(x[i]) for n floats (heap byte offsets; y may equal x). */
  exp_f32(x: number, y: number, n: number): void;
  /** y[i] = erf(x[i]) for n floats. */
  erf_f32(x: number, y: number, n: number): void;
  /**
   * y[i] = a[i] op b[i % bn] (or b[i % bn] op a[i] when smallLeft is 1) for n floats, bn dividing n
   * (same shape, scalar, or a repeated row); op 0 add, 1 sub, 2 mul, 3 div.
   */
  binary_f32(op: number, a: number, b: number, y: number, n: number, bn: number, smallLeft: number): void;
  /** Byte offset of the 16-byte-aligned scratch buffer in the tfjs heap. */
  scratch: number;
}

const loaded = new WeakMap<WasmModule, SimdKernels | null>();
let loadError: Error | undefined;
let compiled: WebAssembly.Module | undefined;

function decodeBase64(text: string): Uint8Array<ArrayBuffer> {
  if (typeof Buffer !== 'undefined') {
    const decoded = Buffer.from(text, 'base64');
    const bytes = new Uint8Array(decoded.length);
    bytes.set(decoded);
    return bytes;
  }
  const binary = atob(text);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

/** Throws when a wasm binary has a data section with segments (it would overwrite the imported memory). */
export function assertNoDataSegments(bytes: Uint8Array): void {
  let at = 8;
  const uleb = (): number => {
    let result = 0;
    let shift = 0;
    for (;;) {
      const byte = bytes[at++];
      result += (byte & 0x7f) * 2 ** shift;
      if (byte < 0x80) return result;
      shift += 7;
    }
  };
  while (at < bytes.length) {
    const id = bytes[at++];
    const size = uleb();
    const end = at + size;
    if (id === 11 || id === 12) {
      const count = uleb();
      if (count > 0) throw new Error(`the kernel module has ${count} data segment(s); it must own no memory`);
    }
    at = end;
  }
}

/** tfjs-wasm's WebAssembly.Memory, or undefined when this build does not expose it. */
export function tfjsMemory(wasm: WasmModule): WebAssembly.Memory | undefined {
  const w = wasm as unknown as { asm?: { memory?: unknown }; wasmMemory?: unknown; HEAPU8: Uint8Array };
  for (const candidate of [w.asm?.memory, w.wasmMemory]) {
    if (candidate instanceof WebAssembly.Memory && candidate.buffer === w.HEAPU8.buffer) return candidate;
  }
  return undefined;
}

function instantiate(backend: WasmBackend): SimdKernels | null {
  if (typeof process !== 'undefined' && process.env?.LLMKIT_WASM_SIMD === '0') {
    loadError = new Error('disabled by LLMKIT_WASM_SIMD=0');
    return null;
  }
  const memory = tfjsMemory(backend.wasm);
  if (!memory) {
    loadError = new Error('tfjs-wasm does not expose its WebAssembly.Memory (backend.wasm.asm.memory)');
    return null;
  }
  try {
    if (!compiled) {
      const bytes = decodeBase64(WASM_BASE64);
      assertNoDataSegments(bytes);
      compiled = new WebAssembly.Module(bytes);
    }
    const instance = new WebAssembly.Instance(compiled, { env: { memory } });
    const exports = instance.exports as unknown as Omit<SimdKernels, 'scratch'> & { sgemm_scratch_bytes(): number };
    const bytes = exports.sgemm_scratch_bytes();
    const raw = backend.wasm._malloc(bytes + 16);
    return {
      sgemm: exports.sgemm,
      bias_act: exports.bias_act,
      exp_f32: exports.exp_f32,
      erf_f32: exports.erf_f32,
      binary_f32: exports.binary_f32,
      scratch: (raw + 15) & ~15,
    };
  } catch (error) {
    loadError = error as Error;
    return null;
  }
}

/** Core's SIMD kernels on this tfjs-wasm backend instance, or undefined when they cannot run. */
export function simdKernels(backend: WasmBackend): SimdKernels | undefined {
  let kernels = loaded.get(backend.wasm);
  if (kernels === undefined) {
    kernels = instantiate(backend);
    loaded.set(backend.wasm, kernels);
  }
  return kernels ?? undefined;
}

/** Why {@link simdKernels} returned undefined (the last failure), or undefined. */
export function simdKernelsError(): Error | undefined {
  return loadError;
}
