/**
 * `LlmkitLinearRows` on wasm (llmkit's own kernel): several linear layers applied to the same few rows
 * (one token per sequence in decoding), `y_i = x w_i^T (+ b_i)` for x [M, K] and weights [N_i, K]
 * (`Linear`'s [out, in] layout); with attr `swiglu` and two weights, the one output
 * `silu(x w_0^T + b_0) * (x w_1^T + b_1)` (Llama's gate/up projections and SwiGLU).
 * Inputs x, w0..w{count-1}, and b{i} for every i in attr `biases`.
 *
 * Why: decoding runs 7 projections per Llama layer, each one `BatchMatMul` (plus `Add` for a bias,
 * plus 3 kernels for SiLU-gating), and tfjs' dispatch per kernel is a large part of a step for a small
 * model. Fix: one call for q/k/v, one for gate/up with the SwiGLU, in core's SIMD module
 * (wasm/kernels/decode.c, `linear_rows_f32`, `swiglu_rows_f32`: the dot products of sgemm's few-row
 * path, eight weight rows per pass over x, so values equal core's BatchMatMul bit for bit). Called
 * only by `linearRows` / `swigluRows` (src/ops/fused-decode.ts), which fall back to tfjs ops off wasm
 * or without the SIMD module.
 */
import { requireSimdKernels } from './simd-module.js';
import { heapOffset, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitLinearRows';

/** Heap offset of bias `b{i}`, or 0 when layer i has none. */
function biasOffset(backend: WasmBackend, inputs: Record<string, TensorInfo>, biases: number[], i: number): number {
  return biases.includes(i) ? heapOffset(backend, inputs[`b${i}`]) : 0;
}

export function linearRowsKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const inputs = args.inputs as Record<string, TensorInfo>;
  const { count, biases, swiglu } = args.attrs as { count: number; biases: number[]; swiglu: boolean };
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'linearRows()');
  const x = inputs.x;
  const [m, k] = x.shape;
  if (swiglu) {
    const n = inputs.w0.shape[0];
    const out = backend.makeOutput([m, n], 'float32');
    let scratch = kernels.scratch;
    let temp: TensorInfo | undefined;
    if (m * n * 4 > kernels.scratchBytes) {
      temp = backend.makeOutput([m, n], 'float32');
      scratch = heapOffset(backend, temp);
    }
    kernels.swiglu_rows_f32(
      heapOffset(backend, x), m, k, heapOffset(backend, inputs.w0), biasOffset(backend, inputs, biases, 0), heapOffset(backend, inputs.w1),
      biasOffset(backend, inputs, biases, 1), n,
      heapOffset(backend, out), scratch,
    );
    if (temp) backend.disposeData(temp.dataId);
    return [out];
  }
  const outs: TensorInfo[] = [];
  for (let i = 0; i < count; i++) {
    const w = inputs[`w${i}`];
    const n = w.shape[0];
    const out = backend.makeOutput([m, n], 'float32');
    kernels.linear_rows_f32(heapOffset(backend, x), m, k, heapOffset(backend, w), n, biasOffset(backend, inputs, biases, i), heapOffset(backend, out));
    outs.push(out);
  }
  return outs;
}
