/**
 * `BatchMatMul` on wasm.
 *
 * Slow in stock tfjs-wasm 4.22: only the 2-D, untransposed case reaches
 * XNNPACK (~23 GFLOP/s here); `transposeA`/`transposeB` and any batch > 1 run a
 * scalar blocked triple loop (measured 1.1-2 GFLOP/s: X^T dY 1.1, dY W^T 1.9,
 * attention Q K^T 1.3, [12,64,128] x [128,512] 1.8). Every matmul gradient is
 * a transposed matmul, so training ran almost entirely on the slow loop.
 *
 * Fix: core's WebAssembly SIMD sgemm on the operands in place, any transpose
 * and batch (see matmul-core.ts; fallback: explicit transpose into a temporary
 * and XNNPACK calls on zero-copy aliases). Degenerate shapes (a zero dim) and
 * non-float32 inputs go to the stock kernel.
 */
import { fastMatMul } from './matmul-core.js';
import { sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'BatchMatMul';

export function makeBatchMatMul(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = (args.attrs ?? {}) as { transposeA: boolean; transposeB: boolean };
    if (a.dtype !== 'float32' || b.dtype !== 'float32' || sizeOf(a.shape) === 0 || sizeOf(b.shape) === 0) {
      return stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    }
    return fastMatMul(args.backend as WasmBackend, a, b, Boolean(transposeA), Boolean(transposeB));
  };
}
