/**
 * `Exp` and `Erf` on wasm with core's SIMD kernels (wasm/kernels/elementwise.c).
 *
 * Slow in stock tfjs-wasm 4.22: both call the C library's scalar `expf`/`erff` per value. The exact
 * GELU's forward runs Erf and its gradient Exp on every MLP activation ([768, 512] per layer in the
 * nanoGPT recipe). Measured on [768, 512] in [-3, 3] (process CPU time per call): Exp 2.7 -> 0.77 ms,
 * Erf 8.8 -> 1.66 ms.
 *
 * Fix: four values at a time, in place on the tfjs heap: exp by Cephes' expf range reduction and
 * polynomial (<= 2 ulp), erf by its Maclaurin series below 1 and Abramowitz & Stegun 7.1.26 above
 * (the formula tfjs' cpu backend uses; absolute error <= 2.5e-7 in float32). Non-float32 inputs, or no SIMD module, go to the stock kernel.
 */
import { simdKernels, type SimdKernels } from './simd-module.js';
import { heapOffset, sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

/** 'simd': core's Exp, Erf, Add, Sub, Multiply and RealDiv kernels; 'stock': tfjs-wasm's (for benchmarks and tests). */
export const elementwiseStrategy = { kernel: 'simd' as 'simd' | 'stock' };

type UnaryName = 'exp_f32' | 'erf_f32';

function makeUnary(kernelName: string, cName: UnaryName) {
  return (stock: StockKernels) =>
    (args: KernelArgs): TensorInfo => {
      const backend = args.backend as WasmBackend;
      const { x } = args.inputs as { x: TensorInfo };
      const kernels: SimdKernels | undefined =
        elementwiseStrategy.kernel === 'simd' && x.dtype === 'float32' ? simdKernels(backend) : undefined;
      if (!kernels) return stock.get(kernelName)!.kernelFunc(args as never) as TensorInfo;
      const out = backend.makeOutput(x.shape, 'float32');
      const size = sizeOf(x.shape);
      if (size > 0) kernels[cName](heapOffset(backend, x), heapOffset(backend, out), size);
      return out;
    };
}

export const makeExp = makeUnary('Exp', 'exp_f32');
export const makeErf = makeUnary('Erf', 'erf_f32');
