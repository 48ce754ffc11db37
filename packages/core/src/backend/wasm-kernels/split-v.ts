/**
 * `SplitV` on wasm (tf.split), for float32, int32 and bool tensors.
 *
 * Slow in stock tfjs-wasm 4.22: each output is a `slice` that first copies the whole input out of
 * the heap (`readSync`), then copies one row at a time through a new `subarray` per row. The
 * attention QKV split of the nanoGPT CPU recipe ([12, 64, 384] into 3) took ~2 ms per call, ~9 ms
 * of an ~85 ms training step.
 *
 * Fix: copy straight from the input's heap bytes to each output's with `copyWithin`, one call per
 * contiguous run (one per output when the split axis is the first non-trivial one). Other dtypes
 * (string, complex64) go to the stock kernel.
 */
import { tf } from '../../tf.js';
import { heapOffset, sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'SplitV';

const BYTES: Record<string, number> = { float32: 4, int32: 4, bool: 1 };

export function makeSplitV(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo[] => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: TensorInfo };
    const bytes = BYTES[x.dtype];
    if (!bytes) return stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo[];
    const { numOrSizeSplits, axis } = (args.attrs ?? {}) as { numOrSizeSplits: number | number[]; axis: number | number[] };
    const ax = tf.util.parseAxisParam(axis, x.shape)[0];
    const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, ax);
    const outer = sizeOf(x.shape.slice(0, ax));
    const inner = sizeOf(x.shape.slice(ax + 1)) * bytes;
    const rowIn = x.shape[ax] * inner;
    const outs = sizes.map((s) => {
      const shape = x.shape.slice();
      shape[ax] = s;
      return backend.makeOutput(shape, x.dtype);
    });
    // views only after the last allocation (_malloc may grow the heap)
    const heap = backend.wasm.HEAPU8;
    const src = heapOffset(backend, x);
    let begin = 0;
    for (let k = 0; k < sizes.length; k++) {
      const run = sizes[k] * inner;
      if (run > 0) {
        const dst = heapOffset(backend, outs[k]);
        for (let o = 0; o < outer; o++) {
          const from = src + o * rowIn + begin;
          heap.copyWithin(dst + o * run, from, from + run);
        }
      }
      begin += run;
    }
    return outs;
  };
}
