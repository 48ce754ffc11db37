/**
 * `LlmkitGeluTanh` and `LlmkitGeluTanhGrad` on wasm (llmkit's own kernels, no stock counterpart):
 * tanh GELU (`gelu_new`) `(x * 0.5) * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` and its backward.
 *
 * Why: composed (`gelu(x, 'tanh')` in src/nn/functional.ts) it is 8 kernels forward and ~15 in its
 * autograd backward over the MLP's widest activation. Fix: one pass each way in core's SIMD module
 * (wasm/kernels/train.c); the forward also returns tanh(inner) when asked (`withTanh`) for the
 * backward. Called only by `geluTanh` (src/ops/fused-train.ts) inside its tf.customGrad.
 */
import { simdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitGeluTanh';
export const GRAD_KERNEL_NAME = 'LlmkitGeluTanhGrad';

function kernelsOf(backend: WasmBackend, name: string) {
  const kernels = simdKernels(backend);
  if (!kernels) throw new Error(`${name}: core's SIMD module is not loaded; call geluTanh() (src/ops/fused-train.ts), which falls back to tfjs ops`);
  return kernels;
}

/** inputs x; attrs withTanh → [y] or [y, t]. */
export function geluTanhKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { x } = args.inputs as { x: TensorInfo };
  const { withTanh } = args.attrs as { withTanh: boolean };
  const kernels = kernelsOf(backend, KERNEL_NAME);
  const y = backend.makeOutput(x.shape, 'float32');
  const t = withTanh ? backend.makeOutput(x.shape, 'float32') : undefined;
  const size = sizeOf(x.shape);
  if (size > 0) kernels.gelu_tanh_f32(heapOffset(backend, x), heapOffset(backend, y), t ? heapOffset(backend, t) : 0, size);
  return t ? [y, t] : [y];
}

/** inputs x, t, dy (same shape) → dx. */
export function geluTanhGradKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, t, dy } = args.inputs as { x: TensorInfo; t: TensorInfo; dy: TensorInfo };
  const kernels = kernelsOf(backend, GRAD_KERNEL_NAME);
  const dx = backend.makeOutput(x.shape, 'float32');
  const size = sizeOf(x.shape);
  if (size > 0) kernels.gelu_tanh_grad_f32(heapOffset(backend, x), heapOffset(backend, t), heapOffset(backend, dy), heapOffset(backend, dx), size);
  return dx;
}
