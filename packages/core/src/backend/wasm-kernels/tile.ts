/**
 * `Tile` on wasm (also behind `tf.broadcastTo`).
 *
 * Slow in stock tfjs-wasm 4.22: a generic per-element index loop; broadcasting
 * a [1, 1, 64, 64] causal mask to [12, 4, 64, 64] took ~10 ms per call (40 ms
 * of a 620 ms nanoGPT training step).
 *
 * Fix: copy whole rows of the input's last dimension (repeated `reps[-1]`
 * times with `TypedArray.set`), walking the outer dims with an odometer.
 * string tensors go to the stock kernel.
 */
import { sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'Tile';

export function makeTile(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: TensorInfo };
    const reps = (args.attrs ?? {}).reps as number[];
    const numeric = x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
    if (!numeric || x.shape.length === 0 || reps.length !== x.shape.length) {
      return stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    }
    const rank = x.shape.length;
    const outShape = x.shape.map((d, i) => d * reps[i]);
    const out = backend.makeOutput(outShape, x.dtype);
    if (sizeOf(outShape) === 0) return out;
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const xStrides = new Array<number>(rank);
    xStrides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) xStrides[d] = xStrides[d + 1] * x.shape[d + 1];
    const last = x.shape[rank - 1];
    const rowReps = reps[rank - 1];
    const rows = sizeOf(outShape) / outShape[rank - 1];
    const idx = new Array<number>(rank).fill(0);
    let o = 0;
    for (let r = 0; r < rows; r++) {
      let base = 0;
      for (let d = 0; d < rank - 1; d++) base += (idx[d] % x.shape[d]) * xStrides[d];
      const row = src.subarray(base, base + last);
      for (let k = 0; k < rowReps; k++, o += last) dst.set(row, o);
      for (let d = rank - 2; d >= 0; d--) {
        if (++idx[d] < outShape[d]) break;
        idx[d] = 0;
      }
    }
    return out;
  };
}
