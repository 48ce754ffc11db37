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
  /** y[j] = sum over the rows of x [rows, cols] in row order (column sums). */
  sum_rows_f32(x: number, y: number, rows: number, cols: number): void;
  /** Byte offset of the 16-byte-aligned scratch buffer in the tfjs heap. */
  scratch: number;
  /** Size of that scratch buffer in bytes. */
  scratchBytes: number;
  /** RMSNorm of rows x [rows, n] times weight w [n] (w 0: none) into y; see decode.c. */
  rms_norm_f32(x: number, w: number, y: number, rows: number, n: number, eps: number): void;
  /** sum = x + res, y = RMSNorm(sum) * w, rows of n. */
  add_rms_norm_f32(x: number, res: number, w: number, sum: number, y: number, rows: number, n: number, eps: number): void;
  /** y = silu(g) * u for n floats. */
  silu_mul_f32(g: number, u: number, y: number, n: number): void;
  /** Rotary embedding of x [rows, heads * d] (first rd features) with one cos/sin row of rd values. */
  rope_f32(x: number, cos: number, sin: number, y: number, rows: number, heads: number, d: number, rd: number): void;
  /** One query per (batch, head) over k/v [b, hkv, tk, d]; keys start..tk-1; scratch tk + dq floats. */
  decode_attention_f32(
    q: number, k: number, v: number, out: number, scratch: number,
    b: number, h: number, hkv: number, tk: number, dq: number, dv: number, start: number, scale: number,
  ): void;
  /** y [m, n] = x [m, k] w^T (+ bias; 0 none), w [n, k]: dot products as sgemm's few-row path. */
  linear_rows_f32(x: number, m: number, k: number, w: number, n: number, bias: number, y: number): void;
  /** y = silu(x wg^T + bg) * (x wu^T + bu); u: m * n floats of scratch. */
  swiglu_rows_f32(x: number, m: number, k: number, wg: number, bg: number, wu: number, bu: number, n: number, y: number, u: number): void;
  /** LayerNorm of rows x [rows, n] with optional w, b (0: none) into y; writes mean and rstd [rows]. See train.c. */
  layer_norm_f32(x: number, w: number, b: number, y: number, mean: number, rstd: number, rows: number, n: number, eps: number): void;
  /** Backward of layer_norm_f32: dx, and dw / db summed over rows (0: not wanted). */
  layer_norm_grad_f32(dy: number, x: number, w: number, mean: number, rstd: number, dx: number, dw: number, db: number, rows: number, n: number): void;
  /** Exact GELU y of n floats; with cdf != 0 also writes 0.5 (1 + erf(x / sqrt 2)). */
  gelu_f32(x: number, y: number, cdf: number, n: number): void;
  /** dx = dy * (cdf + x * phi(x)) for n floats. */
  gelu_grad_f32(x: number, cdf: number, dy: number, dx: number, n: number): void;
  /** One AdamW update of n floats into pOut, mOut, vOut (the composed float32 ops in order). */
  adamw_f32(
    p: number, g: number, m: number, v: number, pOut: number, mOut: number, vOut: number, n: number,
    decay: number, decayF: number, omb1: number, beta2: number, omb2: number, bc2Sqrt: number, eps: number, negStep: number,
  ): void;
  /** Causal softmax of s [batch, tq, tk] * scale into p: row i attends keys j <= i + offset, masked keys 0. */
  causal_softmax_f32(s: number, p: number, batch: number, tq: number, tk: number, scale: number, offset: number): void;
  /** Backward of causal_softmax_f32: ds = (p * (dp - sum(dp * p))) * scale over the attended keys. */
  causal_softmax_grad_f32(p: number, dp: number, ds: number, batch: number, tq: number, tk: number, scale: number, offset: number): void;
  /** Sum of squares of n floats, accumulated in float64. */
  sum_squares_f32(x: number, n: number): number;
  /** tanh GELU y of n floats; with t != 0 also writes tanh(inner). */
  gelu_tanh_f32(x: number, y: number, t: number, n: number): void;
  /** Backward of gelu_tanh_f32 from the saved tanh t. */
  gelu_tanh_grad_f32(x: number, t: number, dy: number, dx: number, n: number): void;
  /** Per row of x [rows, c]: max, sum of exp(x - max) and (xmean != 0) the mean of x. */
  ce_rows_f32(x: number, rows: number, c: number, mx: number, se: number, xmean: number): void;
  /** Cross-entropy backward: dx = scale_i * (exp(x - lse_i) - q), q = (1 - eps) onehot(t_i) + eps / c. */
  ce_grad_f32(x: number, lse: number, t: number, scale: number, rows: number, c: number, eps: number, dx: number): void;
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
    const exports = instance.exports as unknown as Omit<SimdKernels, 'scratch' | 'scratchBytes'> & { sgemm_scratch_bytes(): number };
    const bytes = exports.sgemm_scratch_bytes();
    const raw = backend.wasm._malloc(bytes + 16);
    return {
      sgemm: exports.sgemm,
      bias_act: exports.bias_act,
      exp_f32: exports.exp_f32,
      erf_f32: exports.erf_f32,
      binary_f32: exports.binary_f32,
      sum_rows_f32: exports.sum_rows_f32,
      scratch: (raw + 15) & ~15,
      scratchBytes: bytes,
      rms_norm_f32: exports.rms_norm_f32,
      add_rms_norm_f32: exports.add_rms_norm_f32,
      silu_mul_f32: exports.silu_mul_f32,
      rope_f32: exports.rope_f32,
      decode_attention_f32: exports.decode_attention_f32,
      linear_rows_f32: exports.linear_rows_f32,
      swiglu_rows_f32: exports.swiglu_rows_f32,
      layer_norm_f32: exports.layer_norm_f32,
      layer_norm_grad_f32: exports.layer_norm_grad_f32,
      gelu_f32: exports.gelu_f32,
      gelu_grad_f32: exports.gelu_grad_f32,
      adamw_f32: exports.adamw_f32,
      causal_softmax_f32: exports.causal_softmax_f32,
      causal_softmax_grad_f32: exports.causal_softmax_grad_f32,
      sum_squares_f32: exports.sum_squares_f32,
      gelu_tanh_f32: exports.gelu_tanh_f32,
      gelu_tanh_grad_f32: exports.gelu_tanh_grad_f32,
      ce_rows_f32: exports.ce_rows_f32,
      ce_grad_f32: exports.ce_grad_f32,
    };
  } catch (error) {
    loadError = error as Error;
    return null;
  }
}

/**
 * Core's SIMD kernels for one of llmkit's own kernels (no stock counterpart to fall back to): throws
 * when they cannot run, naming the kernel and the op function `opCall` that falls back to tfjs ops.
 */
export function requireSimdKernels(backend: WasmBackend, kernelName: string, opCall: string): SimdKernels {
  const kernels = simdKernels(backend);
  if (!kernels) throw new Error(`${kernelName}: core's SIMD module is not loaded; call ${opCall}, which falls back to tfjs ops`);
  return kernels;
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
