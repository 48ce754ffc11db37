/**
 * `Identity` on wasm (behind `tf.clone`, `tf.identity` and many gradients, e.g. of `add`).
 *
 * Slow in stock tfjs-wasm 4.22: allocates a new buffer and copies the input (about 300 copies per
 * nanoGPT training step).
 *
 * Fix: share the input's buffer and count a reference, as tfjs' cpu backend and the wasm `Reshape`
 * kernel do: tensors are immutable, and core's kernels only ever write to outputs they allocate.
 * string tensors go to the stock kernel.
 */
import type { KernelArgs, StockKernels, TensorInfo, WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'Identity';

export function makeIdentity(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const { x } = args.inputs as { x: TensorInfo };
    if (x.dtype === 'string') return stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    (args.backend as WasmBackend).incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}
