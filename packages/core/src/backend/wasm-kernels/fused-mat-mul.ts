/**
 * `_FusedMatMul` on wasm (matmul + bias + activation, from `tf.fused.matMul`).
 *
 * Slow in stock tfjs-wasm 4.22 for the same reason as `BatchMatMul`: any
 * transpose or batch > 1 runs the scalar loop (~1-2 GFLOP/s). That loop also
 * indexes a rank-1 bias by `min(i * N + j, size - 1)`, so a bias is only right
 * on the first output row whenever the slow path runs.
 *
 * Fix: the matmul-core strategy: core's SIMD sgemm followed by its bias +
 * linear/relu/relu6/leakyrelu epilogue (bias per output column); for sigmoid,
 * elu and prelu the XNNPACK path (explicit transpose, fold batch into rows,
 * per-batch XNNPACK calls on aliases) with the epilogue passed to its C entry
 * point. Cases left to the stock kernel: non-float32, a zero dim, a
 * bias that is not rank-1 of length N, and PReLU weights with a batched `b`.
 */
import { fastMatMul, matMulDims } from './matmul-core.js';
import { sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = '_FusedMatMul';

const ACTIVATIONS: Record<string, number> = {
  linear: 0,
  relu: 1,
  relu6: 2,
  prelu: 3,
  leakyrelu: 4,
  sigmoid: 5,
  elu: 6,
};

export function makeFusedMatMul(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const { a, b, bias, preluActivationWeights } = args.inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const attrs = (args.attrs ?? {}) as {
      transposeA: boolean;
      transposeB: boolean;
      activation: string;
      leakyreluAlpha?: number;
    };
    const toStock = () => stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    const activation = ACTIVATIONS[attrs.activation ?? 'linear'];
    if (
      activation === undefined ||
      a.dtype !== 'float32' ||
      b.dtype !== 'float32' ||
      sizeOf(a.shape) === 0 ||
      sizeOf(b.shape) === 0
    ) {
      return toStock();
    }
    const dims = matMulDims(a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB));
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== dims.n)) return toStock();
    if (preluActivationWeights && dims.batchB !== 1) return toStock();
    return fastMatMul(args.backend as WasmBackend, a, b, Boolean(attrs.transposeA), Boolean(attrs.transposeB), {
      activation,
      bias,
      preluWeights: preluActivationWeights,
      leakyreluAlpha: attrs.leakyreluAlpha ?? 0,
    });
  };
}
