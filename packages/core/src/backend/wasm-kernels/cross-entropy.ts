/**
 * `LlmkitCrossEntropy` and `LlmkitCrossEntropyGrad` on wasm (llmkit's own kernels, no stock
 * counterpart): cross-entropy of logits [M, C] with int32 class targets [M] (ignoreIndex, label
 * smoothing, reduction as core's `crossEntropy`), and its gradient w.r.t. the logits.
 *
 * Why: composed (`crossEntropy` in src/nn/functional.ts) it is ~20 small tfjs kernels forward and
 * ~10 backward per step. Fix: the per-row passes over the logits (max, sum of exp, mean) run in
 * core's SIMD module (wasm/kernels/train.c, `ce_rows_f32`), the per-row log-sum-exp, losses and the
 * reduction in float64 here (M values); the backward is one pass (`ce_grad_f32`). Called only by
 * `fusedCrossEntropy` (src/ops/fused-train.ts) inside its tf.customGrad.
 */
import { requireSimdKernels } from './simd-module.js';
import { f32View, heapOffset, i32View, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'LlmkitCrossEntropy';
export const GRAD_KERNEL_NAME = 'LlmkitCrossEntropyGrad';

interface CeAttrs {
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: 'mean' | 'sum' | 'none';
}


/** inputs logits [M, C] float32, targets [M] int32 → [loss ([] or [M]), lse [M]]. */
export function crossEntropyKernel(args: KernelArgs): TensorInfo[] {
  const backend = args.backend as WasmBackend;
  const { logits, targets } = args.inputs as { logits: TensorInfo; targets: TensorInfo };
  const { ignoreIndex, labelSmoothing: eps, reduction } = args.attrs as unknown as CeAttrs;
  const kernels = requireSimdKernels(backend, KERNEL_NAME, 'crossEntropy() (src/nn/functional.ts)');
  const [m, c] = logits.shape;
  const loss = backend.makeOutput(reduction === 'none' ? [m] : [], 'float32');
  const lse = backend.makeOutput([m], 'float32');
  const scratch = backend.wasm._malloc(Math.max(1, 3 * m) * 4);
  try {
    if (m > 0 && c > 0) kernels.ce_rows_f32(heapOffset(backend, logits), m, c, scratch, scratch + 4 * m, eps > 0 ? scratch + 8 * m : 0);
    // views after the last allocation (_malloc may grow and detach the heap)
    const mx = f32View(backend, scratch, m);
    const se = f32View(backend, scratch + 4 * m, m);
    const xmean = f32View(backend, scratch + 8 * m, m);
    const x = f32View(backend, heapOffset(backend, logits), m * c);
    const t = i32View(backend, heapOffset(backend, targets), m);
    const lseOut = f32View(backend, heapOffset(backend, lse), m);
    const rows = reduction === 'none' ? f32View(backend, heapOffset(backend, loss), m) : undefined;
    let total = 0;
    let valid = 0;
    for (let i = 0; i < m; i++) {
      const l = mx[i] + Math.log(se[i]);
      lseOut[i] = l;
      let row = 0;
      if (t[i] !== ignoreIndex) {
        valid++;
        // -logp[t] = lse - x_t; smoothing: -mean_c logp_c = lse - mean_c x_c
        row = eps > 0 ? (1 - eps) * (l - x[i * c + t[i]]) + eps * (l - xmean[i]) : l - x[i * c + t[i]];
      }
      if (rows) rows[i] = row;
      total += row;
    }
    if (!rows) f32View(backend, heapOffset(backend, loss), 1)[0] = reduction === 'sum' ? total : total / valid;
  } finally {
    backend.wasm._free(scratch);
  }
  return [loss, lse];
}

/** inputs logits [M, C], lse [M], targets [M] int32, dy ([] or [M]) → dlogits [M, C]. */
export function crossEntropyGradKernel(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { logits, lse, targets, dy } = args.inputs as { logits: TensorInfo; lse: TensorInfo; targets: TensorInfo; dy: TensorInfo };
  const { ignoreIndex, labelSmoothing: eps, reduction } = args.attrs as unknown as CeAttrs;
  const kernels = requireSimdKernels(backend, GRAD_KERNEL_NAME, 'crossEntropy() (src/nn/functional.ts)');
  const [m, c] = logits.shape;
  const dx = backend.makeOutput([m, c], 'float32');
  const scratch = backend.wasm._malloc(Math.max(1, m) * 4);
  try {
    const t = i32View(backend, heapOffset(backend, targets), m);
    const g = f32View(backend, heapOffset(backend, dy), reduction === 'none' ? m : 1);
    let valid = 0;
    for (let i = 0; i < m; i++) if (t[i] !== ignoreIndex) valid++;
    const scale = f32View(backend, scratch, m);
    for (let i = 0; i < m; i++) {
      // the upstream gradient of row i; 0 for ignored rows; / valid rows for 'mean' (float32 as the composed ops)
      const up = reduction === 'none' ? g[i] : reduction === 'sum' ? g[0] : Math.fround(g[0] / valid);
      scale[i] = t[i] === ignoreIndex ? 0 : up;
    }
    if (m > 0 && c > 0) {
      kernels.ce_grad_f32(heapOffset(backend, logits), heapOffset(backend, lse), heapOffset(backend, targets), scratch, m, c, eps, heapOffset(backend, dx));
    }
  } finally {
    backend.wasm._free(scratch);
  }
  return dx;
}
