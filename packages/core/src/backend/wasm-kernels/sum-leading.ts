/**
 * `Sum` over leading axes on wasm for float32 (column sums).
 *
 * Slow in stock tfjs-wasm 4.22 when the reduced axes are not the innermost ones: it transposes the
 * whole input so they are, then sums. Every bias gradient of a Linear is such a sum ([B*T, n] -> [n]),
 * 16 per step of a GPT-2 4x128 model: ~1 ms each on [768, 512], 17 ms of a ~90 ms training step.
 *
 * Fix: when the reduced axes are exactly the leading ones, core's SIMD `sum_rows_f32`
 * (wasm/kernels/elementwise.c) adds the rows in order in place on the tfjs heap, no transpose
 * (sequential summation: error <= (rows - 1) eps sum|x|; stock sums in another order, so results
 * differ from it at float32 rounding). Any other axes, non-float32 input, or no SIMD module: the
 * stock kernel.
 */
import { simdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';
import { elementwiseStrategy } from './unary-simd.js';

export const KERNEL_NAME = 'Sum';

export function makeSum(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: TensorInfo };
    const attrs = (args.attrs ?? {}) as { axis?: number | number[]; keepDims?: boolean };
    const toStock = () => stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    if (elementwiseStrategy.kernel !== 'simd' || x.dtype !== 'float32') return toStock();
    const rank = x.shape.length;
    const raw = attrs.axis === undefined || attrs.axis === null ? [...Array(rank).keys()] : Array.isArray(attrs.axis) ? attrs.axis : [attrs.axis];
    const axes = [...new Set(raw.map((a) => (a < 0 ? a + rank : a)))].sort((p, q) => p - q);
    // only leading axes 0..k-1, with at least one axis kept (a full reduction is stock's row sum already)
    const k = axes.length;
    if (k === 0 || k >= rank || axes.some((a, i) => a !== i)) return toStock();
    const rows = sizeOf(x.shape.slice(0, k));
    const cols = sizeOf(x.shape.slice(k));
    if (rows === 0 || cols === 0) return toStock();
    const kernels = simdKernels(backend);
    if (!kernels) return toStock();
    const outShape = attrs.keepDims ? [...x.shape.slice(0, k).map(() => 1), ...x.shape.slice(k)] : x.shape.slice(k);
    const out = backend.makeOutput(outShape, 'float32');
    kernels.sum_rows_f32(heapOffset(backend, x), heapOffset(backend, out), rows, cols);
    return out;
  };
}
