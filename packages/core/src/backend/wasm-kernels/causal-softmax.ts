/**
 * `LlmkitCausalSoftmax` and `LlmkitCausalSoftmaxGrad` on wasm (llmkit's own kernels, no stock
 * counterpart): the attention probabilities `softmax(s * scale + causal mask)` over the last dim of
 * scores [..., tq, tk], and their backward `(p * (dp - sum(dp * p))) * scale`.
 *
 * Why: composed it is a scale Multiply, a mask Add and a Softmax forward, and ~6 kernels in the
 * autograd backward, each a full pass over [B, H, T, T]. Fix: one pass each way in core's SIMD module
 * (wasm/kernels/train.c); masked keys are exactly 0, as exp of -1e9 / -inf is in the composed ops.
 * Called only by `causalSoftmax` (src/ops/fused-train.ts) inside its tf.customGrad.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitCausalSoftmax';
export const GRAD_KERNEL_NAME = 'LlmkitCausalSoftmaxGrad';


function dims(shape: number[]): [number, number, number] {
  const tq = shape[shape.length - 2];
  const tk = shape[shape.length - 1];
  return [tq * tk === 0 ? 0 : sizeOf(shape) / (tq * tk), tq, tk];
}

/** inputs scores [..., tq, tk]; attrs scale, offset (row i attends keys j <= i + offset) → probs. */
export function causalSoftmaxKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { scores } = args.inputs as { scores: TensorInfo };
  const { scale, offset } = args.attrs as { scale: number; offset: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'causalSoftmax() (src/ops/fused-train.ts)');
  const p = backend.makeOutput(scores.shape, 'float32');
  const [batch, tq, tk] = dims(scores.shape);
  if (batch > 0) kernels.causal_softmax_f32(heapOffset(backend, scores), heapOffset(backend, p), batch, tq, tk, scale, offset);
  return p;
}

/** inputs probs, dy (same shape); attrs scale, offset → d scores. */
export function causalSoftmaxGradKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { probs, dy } = args.inputs as { probs: TensorInfo; dy: TensorInfo };
  const { scale, offset } = args.attrs as { scale: number; offset: number };
  const kernels = requireSimdKernels(backend, GRAD_KERNEL_NAME, 'causalSoftmax() (src/ops/fused-train.ts)');
  const ds = backend.makeOutput(probs.shape, 'float32');
  const [batch, tq, tk] = dims(probs.shape);
  if (batch > 0) {
    kernels.causal_softmax_grad_f32(heapOffset(backend, probs), heapOffset(backend, dy), heapOffset(backend, ds), batch, tq, tk, scale, offset);
  }
  return ds;
}
