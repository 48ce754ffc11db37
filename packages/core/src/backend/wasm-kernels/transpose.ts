/**
 * `Transpose` on wasm, for permutations of rank >= 5.
 *
 * Slow in stock tfjs-wasm 4.22: after dropping size-1 dims it runs specialised
 * loops up to rank 4 but a generic per-element index computation above that.
 * The attention head split `[B, T, 3, H, D] -> [3, B, H, T, D]` (and its
 * gradient) hit it: 24 ms per call for 295K floats, ~165 ms of a 620 ms
 * nanoGPT training step.
 *
 * Fix: drop size-1 dims and merge dims that stay adjacent under the
 * permutation (the QKV split becomes rank 4 or 5); rank <= 4 goes to the stock
 * kernel, higher ranks to an odometer loop on heap views (~1 ms for the same
 * tensor). string/complex tensors go to the stock kernel.
 */
import { sizeOf, type KernelArgs, type StockKernels, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'Transpose';

/** Remove size-1 dims, then merge input dims that remain consecutive in the permutation. */
export function simplifyPermutation(shape: number[], perm: number[]): { shape: number[]; perm: number[] } {
  const keep = shape.map((d) => d !== 1);
  const renumber: number[] = [];
  let next = 0;
  for (let i = 0; i < shape.length; i++) renumber[i] = keep[i] ? next++ : -1;
  const s1 = shape.filter((_, i) => keep[i]);
  const p1 = perm.filter((p) => keep[p]).map((p) => renumber[p]);
  // merge runs p, p+1, ... in the permutation
  const groups: number[][] = [];
  for (const p of p1) {
    const last = groups[groups.length - 1];
    if (last && last[last.length - 1] + 1 === p) last.push(p);
    else groups.push([p]);
  }
  const order = groups.map((g) => g[0]).sort((a, b) => a - b);
  const shapeOut = order.map((first) => groups.find((g) => g[0] === first)!.reduce((acc, d) => acc * s1[d], 1));
  const permOut = groups.map((g) => order.indexOf(g[0]));
  return { shape: shapeOut, perm: permOut };
}

export function makeTranspose(stock: StockKernels) {
  return (args: KernelArgs): TensorInfo => {
    const backend = args.backend as WasmBackend;
    const { x } = args.inputs as { x: TensorInfo };
    const perm = (args.attrs ?? {}).perm as number[];
    const simple = simplifyPermutation(x.shape, perm);
    const numeric = x.dtype === 'float32' || x.dtype === 'int32' || x.dtype === 'bool';
    if (!numeric || simple.shape.length <= 4) {
      return stock.get(KERNEL_NAME)!.kernelFunc(args as never) as TensorInfo;
    }
    const out = backend.makeOutput(perm.map((p) => x.shape[p]), x.dtype);
    const src = backend.typedArrayFromHeap(x);
    const dst = backend.typedArrayFromHeap(out);
    const rank = simple.shape.length;
    const inStrides = new Array<number>(rank);
    inStrides[rank - 1] = 1;
    for (let d = rank - 2; d >= 0; d--) inStrides[d] = inStrides[d + 1] * simple.shape[d + 1];
    const oShape = simple.perm.map((p) => simple.shape[p]);
    const oStrides = simple.perm.map((p) => inStrides[p]);
    const inner = oShape[rank - 1];
    const innerStride = oStrides[rank - 1];
    const rows = sizeOf(oShape) / inner;
    const idx = new Array<number>(rank).fill(0);
    let base = 0;
    let o = 0;
    for (let r = 0; r < rows; r++) {
      for (let j = 0, s = base; j < inner; j++, s += innerStride) dst[o++] = src[s];
      for (let d = rank - 2; d >= 0; d--) {
        idx[d]++;
        base += oStrides[d];
        if (idx[d] < oShape[d]) break;
        base -= oStrides[d] * oShape[d];
        idx[d] = 0;
      }
    }
    return out;
  };
}
