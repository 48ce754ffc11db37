/**
 * `LlmkitSiluMul` on wasm (llmkit's own kernel): the SwiGLU gate `y = silu(gate) * up` with
 * `silu(g) = g * sigmoid(g)`.
 *
 * Why: 3 composed tfjs kernels (Sigmoid, Multiply x2) per MLP of a decoder layer, dominated by dispatch
 * when decoding one token. Fix: one pass (wasm/kernels/decode.c, `silu_mul_f32`, sigmoid as
 * 1 / (1 + exp(-g)) with the exp of core's Exp kernel). Called only by `siluMul`
 * (src/ops/fused-decode.ts), which falls back to the composed ops off wasm or without the SIMD module.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitSiluMul';

export function siluMulKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { gate, up } = args.inputs as { gate: TensorInfo; up: TensorInfo };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'siluMul()');
  const out = backend.makeOutput(gate.shape, 'float32');
  const size = sizeOf(gate.shape);
  if (size > 0) kernels.silu_mul_f32(heapOffset(backend, gate), heapOffset(backend, up), heapOffset(backend, out), size);
  return out;
}
