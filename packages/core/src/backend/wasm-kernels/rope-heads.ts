/**
 * `LlmkitRopeHeads` on wasm (llmkit's own kernel): splits the q/k/v projections of one new token per
 * sequence into heads and applies the rotary embedding to q and k, HF `rotate_half` convention.
 * Inputs q [B, H*D], k [B, Hkv*D], v [B, Hkv*Dv], cos/sin [rd] (one position for every row);
 * attrs nHeads, nKvHeads, headDim. Outputs q [B, H, 1, D] and k [B, Hkv, 1, D] rotated, and v
 * [B, Hkv, 1, Dv] (v's buffer, shared by reference like tfjs' Reshape).
 *
 * Why: the composed path (reshape + transpose per tensor, then slice, neg, concat, mul, mul, add for
 * each of q and k) is about 20 kernels per layer, dominated by tfjs dispatch for one token. Fix: one
 * call (wasm/kernels/decode.c, `rope_f32` on q and on k). Called only by `ropeDecodeQkv`
 * (src/ops/fused-decode.ts), which falls back to the composed ops off wasm or without the SIMD module.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitRopeHeads';

export function ropeHeadsKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { q, k, v, cos, sin } = args.inputs as { q: TensorInfo; k: TensorInfo; v: TensorInfo; cos: TensorInfo; sin: TensorInfo };
  const { nHeads, nKvHeads, headDim } = args.attrs as { nHeads: number; nKvHeads: number; headDim: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'ropeDecodeQkv()');
  const b = q.shape[0];
  const rd = cos.shape[cos.shape.length - 1];
  const dv = v.shape[1] / nKvHeads;
  const qOut = backend.makeOutput([b, nHeads, 1, headDim], 'float32');
  const kOut = backend.makeOutput([b, nKvHeads, 1, headDim], 'float32');
  const c = heapOffset(backend, cos);
  const s = heapOffset(backend, sin);
  if (b > 0) {
    kernels.rope_f32(heapOffset(backend, q), c, s, heapOffset(backend, qOut), b, nHeads, headDim, rd);
    kernels.rope_f32(heapOffset(backend, k), c, s, heapOffset(backend, kOut), b, nKvHeads, headDim, rd);
  }
  backend.incRef(v.dataId);
  return [qOut, kOut, { dataId: v.dataId, shape: [b, nKvHeads, 1, dv], dtype: 'float32' }];
}
