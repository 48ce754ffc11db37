/**
 * `GatherV2` on wasm (tf.gather) with `batchDims` 0, for float32, int32 and bool tensors and int32
 * indices.
 *
 * Slow in stock tfjs-wasm 4.22: the C++ kernel computes a multi-dimensional index per output
 * element. The token-embedding lookup of the nanoGPT CPU recipe ([65, 128] rows for [12, 64] ids,
 * 98K floats) took ~5 ms per call, ~4-5 ms of a ~70 ms training step.
 *
 * Fix: copy whole rows (the contiguous `inner` block after the gather axis) from heap to heap with
 * `copyWithin`, one call per (outer, index) pair. An index out of [0, dim) or another case goes to
 * the stock kernel, so its behaviour there is unchanged.
 */
import { tf } from '../../tf.js';
import { heapOffset, i32View, sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'GatherV2';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

export function makeGatherV2(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = (args.attrs ?? {}) as { axis: number; batchDims?: number };
    const bytes = BYTES[x.dtype];
    const toStock = () => stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    if (!bytes || indices.dtype !== 'int32' || (batchDims ?? 0) !== 0 || x.shape.length === 0) return toStock();
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const dim = x.shape[ax];
    const count = sizeOf(indices.shape);
    const idx = i32View(backend, heapOffset(backend, indices), count);
    for (let i = 0; i < count; i++) if (!(idx[i] >= 0 && idx[i] < dim)) return toStock();
    const outer = sizeOf(x.shape.slice(0, ax));
    const inner = sizeOf(x.shape.slice(ax + 1)) * bytes;
    const out = backend.makeOutput([...x.shape.slice(0, ax), ...indices.shape, ...x.shape.slice(ax + 1)], x.dtype);
    if (inner === 0 || count === 0 || outer === 0) return out;
    // views only after the last allocation (_malloc may grow the heap)
    const heap = backend.wasm.HEAPU8;
    const ids = i32View(backend, heapOffset(backend, indices), count);
    const src = heapOffset(backend, x);
    let dst = heapOffset(backend, out);
    for (let o = 0; o < outer; o++) {
      const base = src + o * dim * inner;
      for (let i = 0; i < count; i++, dst += inner) {
        const from = base + ids[i] * inner;
        if (inner === 4) {
          heap[dst] = heap[from];
          heap[dst + 1] = heap[from + 1];
          heap[dst + 2] = heap[from + 2];
          heap[dst + 3] = heap[from + 3];
        } else heap.copyWithin(dst, from, from + inner);
      }
    }
    return out;
  };
}
