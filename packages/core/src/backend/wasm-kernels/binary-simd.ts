/**
 * `Add`, `Sub`, `Multiply` and `RealDiv` on wasm for float32.
 *
 * Slower than needed in stock tfjs-wasm 4.22, and together they run ~640 times per nanoGPT training
 * step (AdamW's moment updates, layer norm, GELU, residuals, attention scaling). Measured for
 * Multiply on [768, 512] (process CPU time per call, including allocation): same shape
 * 281 -> 243 us, times a scalar 240 -> 130 us, times a [512] row 183 -> 120 us.
 *
 * Fix: core's SIMD `binary_f32` (wasm/kernels/elementwise.c) in place on the tfjs heap for the
 * shapes that cover those calls: equal shapes, a scalar on either side, and an operand whose shape
 * (leading 1s dropped) is the trailing part of the other's (a row repeated over leading dims). Any
 * other broadcast, non-float32 inputs, or no SIMD module: the stock kernel. Each value is one IEEE
 * operation, so results are bit-identical to the stock kernels and to tfjs' cpu backend.
 */
import { simdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';
import { elementwiseStrategy } from './unary-simd.js';

/** tfjs kernel name -> op code of binary_f32. */
export const BINARY_OPS: Readonly<Record<string, number>> = { Add: 0, Sub: 1, Multiply: 2, RealDiv: 3 };

/** Whether `small` broadcasts to `big` as a repeated trailing block (or is a scalar). */
function isTrailing(small: number[], big: number[]): boolean {
  let s = 0;
  while (s < small.length && small[s] === 1) s++;
  const rest = small.slice(s);
  if (rest.length > big.length) return false;
  const offset = big.length - rest.length;
  return rest.every((d, i) => d === big[offset + i]);
}

export function makeBinary(kernelName: string) {
  const op = BINARY_OPS[kernelName];
  return (stock: StockKernels) =>
    (args: KernelArgs): TensorInfo => {
      const backend = args.backend as WasmBackend;
      const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
      const toStock = () => stock.get(kernelName)!.kernelFunc(args as never) as TensorInfo;
      if (elementwiseStrategy.kernel !== 'simd' || a.dtype !== 'float32' || b.dtype !== 'float32') return toStock();
      const sizeA = sizeOf(a.shape);
      const sizeB = sizeOf(b.shape);
      // the operand the other broadcasts to; on equal sizes the higher rank (it sets the output shape)
      const bIsBig = sizeB > sizeA || (sizeB === sizeA && b.shape.length > a.shape.length);
      const big = bIsBig ? b : a;
      const small = bIsBig ? a : b;
      if (!isTrailing(small.shape, big.shape)) return toStock();
      const n = sizeOf(big.shape);
      const bn = sizeOf(small.shape);
      if (bn === 0 || n === 0) return toStock();
      const kernels = simdKernels(backend);
      if (!kernels) return toStock();
      const out = backend.makeOutput(big.shape, 'float32');
      kernels.binary_f32(op, heapOffset(backend, big), heapOffset(backend, small), heapOffset(backend, out), n, bn, bIsBig ? 1 : 0);
      return out;
    };
}
