/**
 * `LlmkitDecodeAttention` on wasm (llmkit's own kernel): attention of one query per (batch, head) over
 * the cached keys/values, grouped-query aware. Inputs q [B, H, 1, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv];
 * attrs scale and start (keys start .. Tk - 1 are visible: a sliding window). Output [B, H * Dv], the
 * heads merged, ready for the output projection.
 *
 * Why: the composed path (scale, reshape, batched QK^T, mask, a masked softmax of ~10 kernels, PV,
 * reshape, transpose, reshape) is about 20 kernels per layer, dominated by tfjs dispatch for one token.
 * Fix: one call (wasm/kernels/decode.c, `decode_attention_f32`), scores in core's scratch buffer (a
 * temporary heap buffer when Tk + D floats exceed it). Called only by `decodeAttention`
 * (src/ops/fused-decode.ts), which falls back to the composed ops off wasm or without the SIMD module.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitDecodeAttention';

export function decodeAttentionKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { q, k, v } = args.inputs as { q: TensorInfo; k: TensorInfo; v: TensorInfo };
  const { scale, start } = args.attrs as { scale: number; start: number };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'decodeAttention()');
  const [b, h, , d] = q.shape;
  const [, hkv, tk] = k.shape;
  const dv = v.shape[3];
  const out = backend.makeOutput([b, h * dv], 'float32');
  if (b === 0 || h === 0 || dv === 0) return out;
  const need = (tk + d) * 4;
  let scratch = kernels.scratch;
  let temp: TensorInfo | undefined;
  if (need > kernels.scratchBytes) {
    temp = backend.makeOutput([tk + d], 'float32');
    scratch = heapOffset(backend, temp);
  }
  kernels.decode_attention_f32(
    heapOffset(backend, q), heapOffset(backend, k), heapOffset(backend, v), heapOffset(backend, out), scratch,
    b, h, hkv, tk, d, dv, start, scale,
  );
  if (temp) backend.disposeData(temp.dataId);
  return out;
}
