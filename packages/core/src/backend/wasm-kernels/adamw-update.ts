/**
 * `LlmkitAdamW` on wasm (llmkit's own kernel, no stock counterpart): one AdamW update of a parameter,
 * returning the new parameter, first and second moments.
 *
 * Why: the composed update (src/optim/adamw.ts) is ~14 tfjs kernels per parameter (Multiply, Sub, Add,
 * Sqrt, RealDiv, ...), ~380 kernel calls per step for a 27-parameter model, nearly all dispatch.
 * Fix: one pass in core's SIMD module (wasm/kernels/train.c, `adamw_f32`) doing the same float32
 * operations in the same order, so the result is bit-identical. Called only by `adamwUpdate`
 * (src/ops/fused-train.ts); without the SIMD module that op function runs the composed ops.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitAdamW';

/** inputs param, grad, expAvg, expAvgSq (same shape); attrs: float32 scalars of the update → [param, expAvg, expAvgSq]. */
export function adamwKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { param, grad, expAvg, expAvgSq } = args.inputs as Record<'param' | 'grad' | 'expAvg' | 'expAvgSq', TensorInfo>;
  const a = args.attrs as { decay: boolean; decayF: number; omb1: number; beta2: number; omb2: number; bc2Sqrt: number; eps: number; negStep: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'adamwUpdate() (src/ops/fused-train.ts)');
  const p = backend.makeOutput(param.shape, 'float32');
  const m = backend.makeOutput(param.shape, 'float32');
  const v = backend.makeOutput(param.shape, 'float32');
  const size = sizeOf(param.shape);
  if (size > 0) {
    kernels.adamw_f32(
      heapOffset(backend, param), heapOffset(backend, grad), heapOffset(backend, expAvg), heapOffset(backend, expAvgSq),
      heapOffset(backend, p), heapOffset(backend, m), heapOffset(backend, v), size,
      a.decay ? 1 : 0, a.decayF, a.omb1, a.beta2, a.omb2, a.bc2Sqrt, a.eps, a.negStep,
    );
  }
  return [p, m, v];
}
