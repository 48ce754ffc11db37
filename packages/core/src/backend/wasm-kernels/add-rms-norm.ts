/**
 * `LlmkitAddRmsNorm` on wasm (llmkit's own kernel): the residual add of a pre-norm block followed by the
 * next RMSNorm, `sum = x + residual`, `y = (sum * rsqrt(mean(sum^2) + eps)) * w`; outputs [sum, y].
 *
 * Why: 6 composed tfjs kernels (Add, Square, Mean, Add, Rsqrt, Multiply x2) per norm of a decoder layer,
 * dominated by tfjs dispatch when decoding one token. Fix: one pass per row (wasm/kernels/decode.c,
 * `add_rms_norm_f32`). Called only by `addRmsNorm` (src/ops/fused-decode.ts), which falls back to the
 * composed ops off wasm or without the SIMD module.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitAddRmsNorm';

export function addRmsNormKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x, residual, weight } = args.inputs as { x: TensorInfo; residual: TensorInfo; weight?: TensorInfo };
  const { eps } = args.attrs as { eps: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'addRmsNorm()');
  const n = x.shape[x.shape.length - 1];
  const sum = backend.makeOutput(x.shape, 'float32');
  const out = backend.makeOutput(x.shape, 'float32');
  const size = sizeOf(x.shape);
  if (size > 0) {
    kernels.add_rms_norm_f32(
      heapOffset(backend, x), heapOffset(backend, residual), weight ? heapOffset(backend, weight) : 0,
      heapOffset(backend, sum), heapOffset(backend, out), size / n, n, eps,
    );
  }
  return [sum, out];
}
