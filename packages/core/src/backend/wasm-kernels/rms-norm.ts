/**
 * `LlmkitRmsNorm` on wasm (llmkit's own kernel, no stock counterpart): RMSNorm of the last dim times an
 * optional weight, `y = (x * rsqrt(mean(x^2) + eps)) * w`.
 *
 * Why: composed from tfjs ops (`RMSNorm.forward`) it is 5 kernels (Square, Mean, Add, Rsqrt, Multiply x2);
 * in cached decoding of a small model each kernel call costs more in tfjs dispatch than its arithmetic.
 * Fix: one pass per row in core's SIMD module (wasm/kernels/decode.c, `rms_norm_f32`). Called only by
 * `rmsNorm` (src/ops/fused-decode.ts) for float32 inputs when the SIMD module is loaded; otherwise that
 * op function runs the composed ops.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitRmsNorm';

export function rmsNormKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, weight } = args.inputs as { x: TensorInfo; weight?: TensorInfo };
  const { eps } = args.attrs as { eps: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'rmsNorm() (src/ops/fused-decode.ts)');
  const n = x.shape[x.shape.length - 1];
  const out = backend.makeOutput(x.shape, 'float32');
  const size = sizeOf(x.shape);
  if (size > 0) kernels.rms_norm_f32(heapOffset(backend, x), weight ? heapOffset(backend, weight) : 0, heapOffset(backend, out), size / n, n, eps);
  return out;
}
