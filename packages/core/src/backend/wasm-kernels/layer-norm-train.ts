/**
 * `LlmkitLayerNorm` and `LlmkitLayerNormGrad` on wasm (llmkit's own kernels, no stock counterpart):
 * LayerNorm over the last dim, `y = ((x - mean) * rsqrt(var + eps)) * w + b`, and its backward pass.
 *
 * Why: composed from tfjs ops (`LayerNorm.forward`) it is ~10 kernels forward and ~25 in its autograd
 * backward (Mean, Sub, Square, Add, Rsqrt, Multiply, their gradients, Sum reductions of broadcasts);
 * in a small model's training step each call costs more in tfjs dispatch than its arithmetic.
 * Fix: one pass per row each way in core's SIMD module (wasm/kernels/train.c). The forward also
 * returns mean and rstd [rows] for the backward. Called only by `layerNorm` (src/ops/fused-train.ts)
 * inside its tf.customGrad; otherwise that op function runs the composed ops.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitLayerNorm';
export const GRAD_KERNEL_NAME = 'LlmkitLayerNormGrad';


/** inputs x [..., n], weight? [n], bias? [n]; attrs eps → [y, mean [rows], rstd [rows]]. */
export function layerNormKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x, weight, bias } = args.inputs as { x: TensorInfo; weight?: TensorInfo; bias?: TensorInfo };
  const { eps } = args.attrs as { eps: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'layerNorm() (src/ops/fused-train.ts)');
  const n = x.shape[x.shape.length - 1];
  const size = sizeOf(x.shape);
  const rows = n > 0 ? size / n : 0;
  const y = backend.makeOutput(x.shape, 'float32');
  const mean = backend.makeOutput([rows], 'float32');
  const rstd = backend.makeOutput([rows], 'float32');
  if (size > 0) {
    kernels.layer_norm_f32(
      heapOffset(backend, x), weight ? heapOffset(backend, weight) : 0, bias ? heapOffset(backend, bias) : 0,
      heapOffset(backend, y), heapOffset(backend, mean), heapOffset(backend, rstd), rows, n, eps,
    );
  }
  return [y, mean, rstd];
}

/** inputs dy, x [..., n], mean, rstd [rows], weight? [n]; attrs withBias → [dx, dw? [n], db? [n]]. */
export function layerNormGradKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { dy, x, mean, rstd, weight } = args.inputs as { dy: TensorInfo; x: TensorInfo; mean: TensorInfo; rstd: TensorInfo; weight?: TensorInfo };
  const { withBias } = args.attrs as { withBias: boolean };
  const kernels = requireSimdKernels(backend, GRAD_KERNEL_NAME, 'layerNorm() (src/ops/fused-train.ts)');
  const n = x.shape[x.shape.length - 1];
  const size = sizeOf(x.shape);
  const dx = backend.makeOutput(x.shape, 'float32');
  const dw = weight ? backend.makeOutput([n], 'float32') : undefined;
  const db = withBias ? backend.makeOutput([n], 'float32') : undefined;
  if (n > 0) {
    kernels.layer_norm_grad_f32(
      heapOffset(backend, dy), heapOffset(backend, x), weight ? heapOffset(backend, weight) : 0,
      heapOffset(backend, mean), heapOffset(backend, rstd), heapOffset(backend, dx),
      dw ? heapOffset(backend, dw) : 0, db ? heapOffset(backend, db) : 0, size / n, n,
    );
  }
  return [dx, ...(dw ? [dw] : []), ...(db ? [db] : [])];
}
