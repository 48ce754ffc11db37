/**
 * `LlmkitSumSquares` on wasm (llmkit's own kernel, no stock counterpart): the sums of squares of N
 * float32 tensors as one [N] float32 tensor (each accumulated in float64, then rounded).
 *
 * Why: clipGradNorm's per-tensor 2-norms were a Square and a Sum per gradient (54 kernels for a
 * 27-parameter model). Fix: one tfjs kernel that calls `sum_squares_f32` (wasm/kernels/train.c) per
 * input. Called only by `sumSquares` (src/ops/fused-train.ts).
 */
import { requireSimdKernels } from './simd-module.js';
import { f32View, heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitSumSquares';

/** inputs '0'..'N-1' (float32, any shapes) → [N] float32. */
export function sumSquaresKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const inputs = Object.values(args.inputs as Record<string, TensorInfo>);
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'sumSquares() (src/ops/fused-train.ts)');
  const sums = new Float32Array(inputs.length);
  inputs.forEach((x, i) => {
    const size = sizeOf(x.shape);
    sums[i] = size > 0 ? kernels.sum_squares_f32(heapOffset(backend, x), size) : 0;
  });
  const out = backend.makeOutput([inputs.length], 'float32');
  if (inputs.length > 0) f32View(backend, heapOffset(backend, out), inputs.length).set(sums);
  return out;
}
