/**
 * The matmul strategy shared by core's `BatchMatMul` and `_FusedMatMul` wasm
 * kernels.
 *
 * Stock tfjs-wasm 4.22 (`batch_mat_mul_impl.cc`) runs XNNPACK's packed,
 * SIMD fully-connected operator only when `!transposeA && !transposeB` and both
 * operands have batch size 1; everything else (every transposed matmul, every
 * 3-D/4-D matmul, and so every matmul gradient) falls to `slow_batch_matmul`, a
 * scalar triple loop at ~1-2 GFLOP/s against ~25 for the XNNPACK path.
 *
 * Default (matMulStrategy.kernel 'native'), when the optional @llmkit/core-native addon loads
 * (see ../native.ts): its AVX-512 / AVX2+FMA sgemm with a thread pool, on the operands in place
 * on the tfjs heap (the addon gets the heap's ArrayBuffer view and byte offsets), with the same
 * strides and batch broadcast as the SIMD path below; batched products go in one call.
 *
 * Otherwise (or with kernel 'simd'): core's own WebAssembly SIMD sgemm
 * (packages/core/wasm/kernels/matmul.c, see simd-module.ts) reads both operands
 * in place on the tfjs heap with any transpose and batch broadcast: ~28 GFLOP/s
 * in training shapes (bench/matmul.bench.ts), 1.1-2.4x the path below.
 *
 * Earlier fix, kept as the fallback (no SIMD module, or sigmoid/elu/prelu
 * epilogues) and as the reference in tests ('xnnpack'):
 *  1. Transposed operands are transposed once into a temporary ([.., K, M] ->
 *     [.., M, K]); that costs O(MK) memory traffic against O(MKN) flops.
 *  2. When `b` has no batch (or only size-1 batch dims) the batch of `a` is
 *     folded into its rows: [B, M, K] x [K, N] is one [B*M, K] x [K, N] call.
 *  3. True batched products (attention) run one XNNPACK call per batch entry on
 *     "alias" tensor ids registered on the slices of the existing buffers, so
 *     no slice is copied; broadcast batch dims map each output batch entry to
 *     its `a` and `b` entries.
 */
import { tf } from '../../tf.js';
import { simdKernels, type SimdKernels } from './simd-module.js';
import { nativeMatMul, type NativeMatMulAddon } from '../native.js';
import {
  cFunction,
  HeapAliases,
  f32View,
  heapId,
  heapOffset,
  shapeBytes,
  sizeOf,
  type TensorInfo,
  type WasmBackend,
} from './wasm-heap.js';

/** Knobs for measuring alternatives in benchmarks; the defaults are the fastest measured. */
export const matMulStrategy = {
  /**
   * 'native': the @llmkit/core-native addon (AVX-512 / AVX2+FMA, threads) when it loaded, else
   * 'simd'; 'simd': core's own WebAssembly SIMD sgemm (wasm/kernels/matmul.c) on the tensors in
   * place, for every transpose and batch variant; 'xnnpack': the transpose-then-XNNPACK path below
   * (also the fallback when the SIMD module cannot load, see simd-module.ts).
   */
  kernel: 'native' as 'native' | 'simd' | 'xnnpack',
  /** 'wasm': tfjs-wasm's Transpose kernel; 'js': a blocked loop over heap views. */
  transpose: 'wasm' as 'wasm' | 'js',
  /** 'alias': per-batch XNNPACK calls on aliased slices; 'copy': copy each slice out first. */
  batched: 'alias' as 'alias' | 'copy',
};

/** Fused epilogue passed through to tfjs-wasm's `_FusedMatMul` C entry point. */
export interface FusedEpilogue {
  /** FusableActivation enum value of tfjs-wasm (0 linear, 1 relu, 2 relu6, 3 prelu, 4 leakyrelu, 5 sigmoid, 6 elu). */
  activation: number;
  bias?: TensorInfo;
  preluWeights?: TensorInfo;
  leakyreluAlpha: number;
}

const BATCH_MATMUL_ARGS = ['number', 'array', 'number', 'number', 'array', 'number', 'number', 'number', 'number'];
const FUSED_MATMUL_ARGS = [
  'number', 'array', 'number', 'number', 'array', 'number', 'number', 'number',
  'number', 'number', 'number', 'number', 'number',
];

export interface MatMulDims {
  m: number;
  k: number;
  n: number;
  outerA: number[];
  outerB: number[];
  outOuter: number[];
  batchA: number;
  batchB: number;
  batchOut: number;
}

/** Shapes of a (possibly transposed, batched, broadcast) matmul; throws tfjs' message on mismatch. */
export function matMulDims(a: TensorInfo, b: TensorInfo, transposeA: boolean, transposeB: boolean): MatMulDims {
  const aRank = a.shape.length;
  const bRank = b.shape.length;
  const innerA = transposeA ? a.shape[aRank - 2] : a.shape[aRank - 1];
  const innerB = transposeB ? b.shape[bRank - 1] : b.shape[bRank - 2];
  const m = transposeA ? a.shape[aRank - 1] : a.shape[aRank - 2];
  const n = transposeB ? b.shape[bRank - 2] : b.shape[bRank - 1];
  if (innerA !== innerB) {
    throw new Error(
      `Error in matMul: inner shapes (${innerA}) and (${innerB}) of Tensors with shapes ${a.shape} and ` +
        `${b.shape} and transposeA=${transposeA} and transposeB=${transposeB} must match.`,
    );
  }
  const outerA = a.shape.slice(0, -2);
  const outerB = b.shape.slice(0, -2);
  const outOuter = tf.broadcast_util.assertAndGetBroadcastShape(outerA, outerB);
  return {
    m,
    k: innerA,
    n,
    outerA,
    outerB,
    outOuter,
    batchA: sizeOf(outerA),
    batchB: sizeOf(outerB),
    batchOut: sizeOf(outOuter),
  };
}

/**
 * [batch, rows, cols] -> [batch, cols, rows] into a new float32 tensor that the
 * caller disposes.
 */
export function transposeLast2(
  backend: WasmBackend,
  x: TensorInfo,
  batch: number,
  rows: number,
  cols: number,
): TensorInfo {
  if (matMulStrategy.transpose === 'wasm') {
    const stock = stockTranspose();
    return stock({
      inputs: { x: { dataId: x.dataId, shape: [batch, rows, cols], dtype: x.dtype } },
      backend,
      attrs: { perm: [0, 2, 1] },
    }) as TensorInfo;
  }
  const out = backend.makeOutput([batch, cols, rows], 'float32');
  const size = batch * rows * cols;
  const src = f32View(backend, heapOffset(backend, x), size);
  const dst = f32View(backend, heapOffset(backend, out), size);
  const block = 32;
  const plane = rows * cols;
  for (let b = 0; b < batch; b++) {
    const base = b * plane;
    for (let r0 = 0; r0 < rows; r0 += block) {
      const r1 = Math.min(r0 + block, rows);
      for (let c0 = 0; c0 < cols; c0 += block) {
        const c1 = Math.min(c0 + block, cols);
        for (let r = r0; r < r1; r++) {
          const srcRow = base + r * cols;
          for (let c = c0; c < c1; c++) dst[base + c * rows + r] = src[srcRow + c];
        }
      }
    }
  }
  return out;
}

function stockTranspose(): tf.KernelFunc {
  // The registered Transpose: stock, or core's, which hands rank <= 4 to stock.
  return tf.getKernel('Transpose', 'wasm')!.kernelFunc;
}

/** Right-aligned broadcast map from each output batch index to an operand batch index. */
function broadcastIndex(outOuter: number[], operandOuter: number[]): Int32Array {
  const total = sizeOf(outOuter);
  const map = new Int32Array(total);
  const rank = outOuter.length;
  const offset = rank - operandOuter.length;
  const opStrides: number[] = new Array(rank).fill(0);
  let stride = 1;
  for (let d = operandOuter.length - 1; d >= 0; d--) {
    opStrides[d + offset] = operandOuter[d] === 1 ? 0 : stride;
    stride *= operandOuter[d];
  }
  for (let i = 0; i < total; i++) {
    let rem = i;
    let idx = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const coord = rem % outOuter[d];
      rem = (rem - coord) / outOuter[d];
      idx += coord * opStrides[d];
    }
    map[i] = idx;
  }
  return map;
}

/**
 * a @ b for float32 tensors with tfjs' BatchMatMul semantics (transposes,
 * broadcast batch dims), through XNNPACK only. Returns a new tensor of shape
 * [...broadcast(outerA, outerB), M, N].
 */
export function fastMatMul(
  backend: WasmBackend,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  fused?: FusedEpilogue,
): TensorInfo {
  const d = matMulDims(a, b, transposeA, transposeB);
  const { m, k, n, batchA, batchB, batchOut } = d;
  if (matMulStrategy.kernel !== 'xnnpack' && (!fused || SIMD_EPILOGUES.has(fused.activation))) {
    const kernels = simdKernels(backend);
    const addon = matMulStrategy.kernel === 'native' ? nativeMatMul() : undefined;
    // The fused epilogue (bias, activation) is the SIMD module's bias_act.
    if (addon && (kernels || !fused || (!fused.bias && fused.activation === 0))) {
      return nativeMatMulOnHeap(backend, addon, kernels, a, b, transposeA, transposeB, d, fused);
    }
    if (kernels) return simdMatMul(backend, kernels, a, b, transposeA, transposeB, d, fused);
  }
  if (!fused && transposeB && !transposeA && batchB === 1 && batchA * m <= SMALL_ROWS_TRANSPOSED_B) {
    return smallRowsTimesTransposed(backend, a, b, d);
  }
  const temps: TensorInfo[] = [];
  const aliases = new HeapAliases(backend);
  try {
    const a3 = transposeA ? keep(temps, transposeLast2(backend, a, batchA, k, m)) : a;
    const b3 = transposeB ? keep(temps, transposeLast2(backend, b, batchB, n, k)) : b;
    const out = backend.makeOutput([...d.outOuter, m, n], 'float32');
    const aId = heapId(backend, a3);
    const bId = heapId(backend, b3);
    const outId = heapId(backend, out);
    const bIsTemp = b3 !== b;

    if (batchB === 1) {
      // [B, M, K] x [K, N] == [B*M, K] x [K, N]: one XNNPACK call.
      let biasId = 0;
      if (fused?.bias) {
        // A cached operator is keyed on (b id, bias id). With a temporary b, an
        // alias of the bias keeps the bias's key list from growing per call.
        biasId = bIsTemp
          ? aliases.alias(heapOffset(backend, fused.bias), n)
          : heapId(backend, fused.bias);
      }
      callMatMul(backend, aId, [1, batchA * m, k], bId, [1, k, n], outId, fused, biasId);
      return out;
    }

    const aMap = broadcastIndex(d.outOuter, d.outerA);
    const bMap = broadcastIndex(d.outOuter, d.outerB);
    const aBase = heapOffset(backend, a3);
    const bBase = heapOffset(backend, b3);
    const outBase = heapOffset(backend, out);
    const biasBase = fused?.bias ? heapOffset(backend, fused.bias) : 0;
    const aSize = m * k;
    const bSize = k * n;
    const outSize = m * n;
    if (matMulStrategy.batched === 'copy') {
      return copyBatched(backend, a3, b3, out, aMap, bMap, m, k, n, fused);
    }
    for (let i = 0; i < batchOut; i++) {
      const ai = batchA === 1 ? aId : aliases.alias(aBase + aMap[i] * aSize * 4, aSize);
      const bi = aliases.alias(bBase + bMap[i] * bSize * 4, bSize);
      const oi = aliases.alias(outBase + i * outSize * 4, outSize);
      const biasId = fused?.bias ? aliases.alias(biasBase, n) : 0;
      callMatMul(backend, ai, [1, m, k], bi, [1, k, n], oi, fused, biasId);
      aliases.release();
    }
    return out;
  } finally {
    aliases.release();
    for (const t of temps) backend.disposeData(t.dataId);
  }
}

/** Fused activations matmul.c's bias_act applies: linear, relu, relu6, leakyrelu. */
const SIMD_EPILOGUES = new Set([0, 1, 2, 4]);

/**
 * The SIMD path: one sgemm call per output batch entry (one call in all when `b` is unbatched and
 * `a` untransposed: its batch folds into rows), reading `a` and `b` in place through element
 * strides, so a transpose costs only the packing inside sgemm.
 */
function simdMatMul(
  backend: WasmBackend,
  kernels: SimdKernels,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  d: MatMulDims,
  fused?: FusedEpilogue,
): TensorInfo {
  const { m, k, n, batchA, batchB, batchOut } = d;
  const out = backend.makeOutput([...d.outOuter, m, n], 'float32');
  const aBase = heapOffset(backend, a);
  const bBase = heapOffset(backend, b);
  const outBase = heapOffset(backend, out);
  // op(A)(i, p) = a[i * rsa + p * csa]; a is stored [m, k], or [k, m] when transposed.
  const rsa = transposeA ? 1 : k;
  const csa = transposeA ? m : 1;
  const rsb = transposeB ? 1 : n;
  const csb = transposeB ? k : 1;
  if (batchB === 1 && !transposeA) {
    kernels.sgemm(batchA * m, n, k, aBase, rsa, csa, bBase, rsb, csb, outBase, n, kernels.scratch);
  } else {
    const aMap = batchA === 1 ? undefined : broadcastIndex(d.outOuter, d.outerA);
    const bMap = batchB === 1 ? undefined : broadcastIndex(d.outOuter, d.outerB);
    const aSize = m * k * 4;
    const bSize = k * n * 4;
    const outSize = m * n * 4;
    for (let i = 0; i < batchOut; i++) {
      const ai = aBase + (aMap ? aMap[i] : 0) * aSize;
      const bi = bBase + (bMap ? bMap[i] : 0) * bSize;
      kernels.sgemm(m, n, k, ai, rsa, csa, bi, rsb, csb, outBase + i * outSize, n, kernels.scratch);
    }
  }
  if (fused && (fused.bias || fused.activation !== 0)) {
    const bias = fused.bias ? heapOffset(backend, fused.bias) : 0;
    kernels.bias_act(outBase, batchOut * m, n, bias, fused.activation, fused.leakyreluAlpha);
  }
  return out;
}

/**
 * The native path: the same strides and batch mapping as {@link simdMatMul}, through the
 * @llmkit/core-native addon on tfjs' heap (its current view, taken after the output is
 * allocated: allocating may grow and replace the buffer). Batched products go in one
 * sgemmBatch call, which also spreads the batch entries over the addon's threads.
 */
function nativeMatMulOnHeap(
  backend: WasmBackend,
  addon: NativeMatMulAddon,
  kernels: SimdKernels | undefined,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  d: MatMulDims,
  fused?: FusedEpilogue,
): TensorInfo {
  const { m, k, n, batchA, batchB, batchOut } = d;
  const out = backend.makeOutput([...d.outOuter, m, n], 'float32');
  const aBase = heapOffset(backend, a);
  const bBase = heapOffset(backend, b);
  const outBase = heapOffset(backend, out);
  const heap = backend.wasm.HEAPU8;
  // op(A)(i, p) = a[i * rsa + p * csa]; a is stored [m, k], or [k, m] when transposed.
  const rsa = transposeA ? 1 : k;
  const csa = transposeA ? m : 1;
  const rsb = transposeB ? 1 : n;
  const csb = transposeB ? k : 1;
  if (batchB === 1 && !transposeA) {
    // [B, M, K] x [K, N] == [B*M, K] x [K, N]: one call.
    addon.sgemm(heap, batchA * m, n, k, aBase, rsa, csa, bBase, rsb, csb, outBase, n);
  } else if (batchOut === 1) {
    addon.sgemm(heap, m, n, k, aBase, rsa, csa, bBase, rsb, csb, outBase, n);
  } else {
    const aMap = batchA === 1 ? undefined : broadcastIndex(d.outOuter, d.outerA);
    const bMap = batchB === 1 ? undefined : broadcastIndex(d.outOuter, d.outerB);
    const aBytes = new Uint32Array(batchOut);
    const bBytes = new Uint32Array(batchOut);
    const cBytes = new Uint32Array(batchOut);
    for (let i = 0; i < batchOut; i++) {
      aBytes[i] = aBase + (aMap ? aMap[i] : 0) * m * k * 4;
      bBytes[i] = bBase + (bMap ? bMap[i] : 0) * k * n * 4;
      cBytes[i] = outBase + i * m * n * 4;
    }
    addon.sgemmBatch(heap, m, n, k, rsa, csa, rsb, csb, n, aBytes, bBytes, cBytes);
  }
  if (fused && (fused.bias || fused.activation !== 0)) {
    const bias = fused.bias ? heapOffset(backend, fused.bias) : 0;
    kernels!.bias_act(outBase, batchOut * m, n, bias, fused.activation, fused.leakyreluAlpha);
  }
  return out;
}

/** Which implementation {@link fastMatMul} uses now on this wasm backend (unfused products). */
export function matMulKernelInUse(backend: WasmBackend): 'native' | 'simd' | 'xnnpack' {
  if (matMulStrategy.kernel === 'xnnpack') return 'xnnpack';
  if (matMulStrategy.kernel === 'native' && nativeMatMul()) return 'native';
  return simdKernels(backend) ? 'simd' : 'xnnpack';
}

/**
 * Up to this many rows of `a` against a transposed, unbatched `b` (x @ W^T in
 * decoding: one token, a [out, in] weight) run as JS dot products over heap
 * views. The XNNPACK path would transpose W and pack it into a fresh operator
 * on every call (~12 ms for a 2048 x 256 weight); the dot products read each
 * contiguous row of W once (~0.5 ms). Measured break-even is well above 8 rows.
 */
export const SMALL_ROWS_TRANSPOSED_B = 8;

/** out[r, j] = a[r, :] . b[j, :] for a [..., M, K] (rows folded) and b [N, K]. */
function smallRowsTimesTransposed(backend: WasmBackend, a: TensorInfo, b: TensorInfo, d: MatMulDims): TensorInfo {
  const { m, k, n, batchA } = d;
  const rows = batchA * m;
  const out = backend.makeOutput([...d.outOuter, m, n], 'float32');
  // Views are taken after makeOutput: allocating may grow (and detach) the wasm heap.
  const av = f32View(backend, heapOffset(backend, a), rows * k);
  const bv = f32View(backend, heapOffset(backend, b), n * k);
  const ov = f32View(backend, heapOffset(backend, out), rows * n);
  const k4 = k - (k % 4);
  for (let r = 0; r < rows; r++) {
    const ar = r * k;
    for (let j = 0; j < n; j++) {
      const bj = j * k;
      let s0 = 0;
      let s1 = 0;
      let s2 = 0;
      let s3 = 0;
      let t = 0;
      for (; t < k4; t += 4) {
        s0 += av[ar + t] * bv[bj + t];
        s1 += av[ar + t + 1] * bv[bj + t + 1];
        s2 += av[ar + t + 2] * bv[bj + t + 2];
        s3 += av[ar + t + 3] * bv[bj + t + 3];
      }
      for (; t < k; t++) s0 += av[ar + t] * bv[bj + t];
      ov[r * n + j] = s0 + s1 + (s2 + s3);
    }
  }
  return out;
}

function keep(temps: TensorInfo[], t: TensorInfo): TensorInfo {
  temps.push(t);
  return t;
}

function callMatMul(
  backend: WasmBackend,
  aId: number,
  aShape: number[],
  bId: number,
  bShape: number[],
  outId: number,
  fused: FusedEpilogue | undefined,
  biasId: number,
): void {
  if (fused) {
    const fn = cFunction(backend, '_FusedMatMul', FUSED_MATMUL_ARGS);
    const preluId = fused.preluWeights ? heapId(backend, fused.preluWeights) : 0;
    fn(aId, shapeBytes(aShape), 3, bId, shapeBytes(bShape), 3, 0, 0, fused.activation, biasId, preluId,
      fused.leakyreluAlpha, outId);
  } else {
    const fn = cFunction(backend, 'BatchMatMul', BATCH_MATMUL_ARGS);
    fn(aId, shapeBytes(aShape), 3, bId, shapeBytes(bShape), 3, 0, 0, outId);
  }
}

/** The "per-batch slices" alternative: copy each slice into its own tensor, multiply, copy back. */
function copyBatched(
  backend: WasmBackend,
  a3: TensorInfo,
  b3: TensorInfo,
  out: TensorInfo,
  aMap: Int32Array,
  bMap: Int32Array,
  m: number,
  k: number,
  n: number,
  fused: FusedEpilogue | undefined,
): TensorInfo {
  const as = backend.makeOutput([1, m, k], 'float32');
  const bs = backend.makeOutput([1, k, n], 'float32');
  const os = backend.makeOutput([1, m, n], 'float32');
  try {
    const aAll = f32View(backend, heapOffset(backend, a3), sizeOf(a3.shape));
    const bAll = f32View(backend, heapOffset(backend, b3), sizeOf(b3.shape));
    const oAll = f32View(backend, heapOffset(backend, out), sizeOf(out.shape));
    const aV = f32View(backend, heapOffset(backend, as), m * k);
    const bV = f32View(backend, heapOffset(backend, bs), k * n);
    const oV = f32View(backend, heapOffset(backend, os), m * n);
    for (let i = 0; i < aMap.length; i++) {
      aV.set(aAll.subarray(aMap[i] * m * k, (aMap[i] + 1) * m * k));
      bV.set(bAll.subarray(bMap[i] * k * n, (bMap[i] + 1) * k * n));
      // A fresh b id per slice would be needed for XNNPACK's operator cache
      // (keyed on the b id) to see the new weights; dispose-and-rewrite keeps it honest.
      backend.wasm.tfjs.disposeData(heapId(backend, bs));
      backend.wasm.tfjs.registerTensor(heapId(backend, bs), k * n, heapOffset(backend, bs));
      const biasId = fused?.bias ? heapId(backend, fused.bias) : 0;
      callMatMul(backend, heapId(backend, as), [1, m, k], heapId(backend, bs), [1, k, n], heapId(backend, os), fused, biasId);
      oAll.set(oV, i * m * n);
    }
  } finally {
    backend.disposeData(as.dataId);
    backend.disposeData(bs.dataId);
    backend.disposeData(os.dataId);
  }
  return out;
}
