/**
 * `LlmkitGelu` / `LlmkitGeluGrad` (exact GELU `(x * 0.5) * (1 + erf(x / sqrt 2))`) and `LlmkitGeluTanh` /
 * `LlmkitGeluTanhGrad` (tanh GELU, `gelu_new`: `(x * 0.5) * (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))`) on
 * wasm (llmkit's own kernels, no stock counterpart).
 *
 * Why: composed (`gelu(x, 'none' | 'tanh')` in src/nn/functional.ts) they are 5 and 8 kernels forward and
 * ~12 and ~15 in their autograd backward, each a full pass over the MLP's widest activation. Fix: one pass
 * each way in core's SIMD module (wasm/kernels/train.c; the exact one with a rational erf, max abs error
 * 4.2e-7, 3.4x faster than the Erf kernel's). The forward also returns what the backward needs when asked
 * (the cdf `0.5 (1 + erf)` with `withCdf`, tanh(inner) with `withTanh`), so the backward recomputes
 * neither. Called only by `geluExact` / `geluTanh` (src/ops/fused-train.ts) inside their tf.customGrad.
 */
import { requireSimdKernels, type SimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

interface GeluVariant {
  kernelName: string;
  gradKernelName: string;
  /** Name of the saved tensor: the forward's second output and the backward's input. */
  saved: string;
  /** The forward's attribute that asks for the saved tensor. */
  withSaved: string;
  forward: (k: SimdKernels) => SimdKernels['gelu_f32'];
  backward: (k: SimdKernels) => SimdKernels['gelu_grad_f32'];
  opCall: string;
}

/** The forward (inputs x; attrs `withSaved` → [y] or [y, saved]) and backward (inputs x, saved, dy → dx) kernels of a variant. */
function geluKernels(v: GeluVariant) {
  return {
    forward(args: KernelArgs): TensorInfo[] {
      const backend = args.backend as WasmBackend;
      const { x } = args.inputs as { x: TensorInfo };
      const wanted = (args.attrs as Record<string, boolean>)[v.withSaved];
      const kernels = requireSimdKernels(backend, v.kernelName, v.opCall);
      const y = backend.makeOutput(x.shape, 'float32');
      const saved = wanted ? backend.makeOutput(x.shape, 'float32') : undefined;
      const size = sizeOf(x.shape);
      if (size > 0) v.forward(kernels)(heapOffset(backend, x), heapOffset(backend, y), saved ? heapOffset(backend, saved) : 0, size);
      return saved ? [y, saved] : [y];
    },
    backward(args: KernelArgs): TensorInfo {
      const backend = args.backend as WasmBackend;
      const inputs = args.inputs as Record<string, TensorInfo>;
      const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
      const kernels = requireSimdKernels(backend, v.gradKernelName, v.opCall);
      const dx = backend.makeOutput(x.shape, 'float32');
      const size = sizeOf(x.shape);
      if (size > 0) v.backward(kernels)(heapOffset(backend, x), heapOffset(backend, inputs[v.saved]!), heapOffset(backend, dy), heapOffset(backend, dx), size);
      return dx;
    },
  };
}

export const KERNEL_NAME = 'LlmkitGelu';
export const GRAD_KERNEL_NAME = 'LlmkitGeluGrad';
export const TANH_KERNEL_NAME = 'LlmkitGeluTanh';
export const TANH_GRAD_KERNEL_NAME = 'LlmkitGeluTanhGrad';

const exact = geluKernels({
  kernelName: KERNEL_NAME,
  gradKernelName: GRAD_KERNEL_NAME,
  saved: 'cdf',
  withSaved: 'withCdf',
  forward: (k) => k.gelu_f32,
  backward: (k) => k.gelu_grad_f32,
  opCall: 'geluExact() (src/ops/fused-train.ts)',
});
const tanh = geluKernels({
  kernelName: TANH_KERNEL_NAME,
  gradKernelName: TANH_GRAD_KERNEL_NAME,
  saved: 't',
  withSaved: 'withTanh',
  forward: (k) => k.gelu_tanh_f32,
  backward: (k) => k.gelu_tanh_grad_f32,
  opCall: 'geluTanh() (src/ops/fused-train.ts)',
});

/** Exact GELU: inputs x; attrs withCdf → [y] or [y, cdf]. */
export const geluKernel = exact.forward;
/** inputs x, cdf, dy (same shape) → dx. */
export const geluGradKernel = exact.backward;
/** tanh GELU: inputs x; attrs withTanh → [y] or [y, t]. */
export const geluTanhKernel = tanh.forward;
/** inputs x, t, dy (same shape) → dx. */
export const geluTanhGradKernel = tanh.backward;
