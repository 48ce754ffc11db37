/**
 * Kernel overrides and additions that core registers on the tfjs `wasm`
 * backend (never by patching node_modules): matmuls in every transpose/batch
 * variant, Exp, Erf and float32 Add/Sub/Multiply/RealDiv on core's own SIMD
 * kernels (wasm/kernels/, loaded by wasm-kernels/simd-module.ts on tfjs' own
 * memory), a zero-copy Identity, and the kernels a transformer's backward
 * pass needs that stock tfjs-wasm 4.22 lacks. One kernel per file in ./wasm-kernels/, each with a comment on
 * what was slow or missing and how it is fixed.
 */
import { tf } from '../tf.js';
import * as batchMatMul from './wasm-kernels/batch-mat-mul.js';
import * as fusedMatMul from './wasm-kernels/fused-mat-mul.js';
import * as identity from './wasm-kernels/identity.js';
import { makeBinary } from './wasm-kernels/binary-simd.js';
import * as tile from './wasm-kernels/tile.js';
import * as transpose from './wasm-kernels/transpose.js';
import * as unarySimd from './wasm-kernels/unary-simd.js';
import * as unsortedSegmentSum from './wasm-kernels/unsorted-segment-sum.js';
import * as sumLeading from './wasm-kernels/sum-leading.js';
import type { KernelArgs, StockKernels } from './wasm-kernels/wasm-heap.js';
import * as rmsNorm from './wasm-kernels/rms-norm.js';
import * as addRmsNorm from './wasm-kernels/add-rms-norm.js';
import * as siluMul from './wasm-kernels/silu-mul.js';
import * as ropeHeads from './wasm-kernels/rope-heads.js';
import * as decodeAttention from './wasm-kernels/decode-attention.js';
import * as linearRows from './wasm-kernels/linear-rows.js';
import * as layerNormTrain from './wasm-kernels/layer-norm-train.js';
import * as geluTrain from './wasm-kernels/gelu-train.js';
import * as adamwUpdate from './wasm-kernels/adamw-update.js';
import * as splitV from './wasm-kernels/split-v.js';
import * as gatherV2 from './wasm-kernels/gather-v2.js';
import * as causalSoftmax from './wasm-kernels/causal-softmax.js';
import * as sumSquares from './wasm-kernels/sum-squares.js';
import * as crossEntropyTrain from './wasm-kernels/cross-entropy.js';

type KernelFactory = (stock: StockKernels) => (args: KernelArgs) => unknown;

interface WasmKernelFix {
  kernelName: string;
  make: KernelFactory;
}

/** The registry: every kernel core installs on wasm. */
const WASM_KERNEL_FIXES: readonly WasmKernelFix[] = [
  { kernelName: batchMatMul.KERNEL_NAME, make: batchMatMul.makeBatchMatMul },
  { kernelName: fusedMatMul.KERNEL_NAME, make: fusedMatMul.makeFusedMatMul },
  { kernelName: unsortedSegmentSum.KERNEL_NAME, make: () => unsortedSegmentSum.unsortedSegmentSum },
  { kernelName: transpose.KERNEL_NAME, make: transpose.makeTranspose },
  { kernelName: tile.KERNEL_NAME, make: tile.makeTile },
  { kernelName: identity.KERNEL_NAME, make: identity.makeIdentity },
  { kernelName: 'Exp', make: unarySimd.makeExp },
  { kernelName: 'Erf', make: unarySimd.makeErf },
  { kernelName: 'Add', make: makeBinary('Add') },
  { kernelName: 'Sub', make: makeBinary('Sub') },
  { kernelName: 'Multiply', make: makeBinary('Multiply') },
  { kernelName: 'RealDiv', make: makeBinary('RealDiv') },
  { kernelName: sumLeading.KERNEL_NAME, make: sumLeading.makeSum },
  // llmkit's own fused kernels for cached decoding (no stock counterpart; op functions in ../ops/fused-decode.ts)
  { kernelName: rmsNorm.KERNEL_NAME, make: () => rmsNorm.rmsNormKernel },
  { kernelName: addRmsNorm.KERNEL_NAME, make: () => addRmsNorm.addRmsNormKernel },
  { kernelName: siluMul.KERNEL_NAME, make: () => siluMul.siluMulKernel },
  { kernelName: ropeHeads.KERNEL_NAME, make: () => ropeHeads.ropeHeadsKernel },
  { kernelName: decodeAttention.KERNEL_NAME, make: () => decodeAttention.decodeAttentionKernel },
  { kernelName: linearRows.KERNEL_NAME, make: () => linearRows.linearRowsKernel },
  // llmkit's own fused kernels for training (no stock counterpart; op functions in ../ops/fused-train.ts)
  { kernelName: layerNormTrain.KERNEL_NAME, make: () => layerNormTrain.layerNormKernel },
  { kernelName: layerNormTrain.GRAD_KERNEL_NAME, make: () => layerNormTrain.layerNormGradKernel },
  { kernelName: geluTrain.KERNEL_NAME, make: () => geluTrain.geluKernel },
  { kernelName: geluTrain.GRAD_KERNEL_NAME, make: () => geluTrain.geluGradKernel },
  { kernelName: adamwUpdate.KERNEL_NAME, make: () => adamwUpdate.adamwKernel },
  { kernelName: splitV.KERNEL_NAME, make: splitV.makeSplitV },
  { kernelName: gatherV2.KERNEL_NAME, make: gatherV2.makeGatherV2 },
  { kernelName: causalSoftmax.KERNEL_NAME, make: () => causalSoftmax.causalSoftmaxKernel },
  { kernelName: causalSoftmax.GRAD_KERNEL_NAME, make: () => causalSoftmax.causalSoftmaxGradKernel },
  { kernelName: geluTrain.TANH_KERNEL_NAME, make: () => geluTrain.geluTanhKernel },
  { kernelName: geluTrain.TANH_GRAD_KERNEL_NAME, make: () => geluTrain.geluTanhGradKernel },
  { kernelName: sumSquares.KERNEL_NAME, make: () => sumSquares.sumSquaresKernel },
  { kernelName: crossEntropyTrain.KERNEL_NAME, make: () => crossEntropyTrain.crossEntropyKernel },
  { kernelName: crossEntropyTrain.GRAD_KERNEL_NAME, make: () => crossEntropyTrain.crossEntropyGradKernel },
];

const BACKEND = 'wasm';

/** Stock configs saved at install (undefined: the kernel did not exist). */
let saved: Map<string, tf.KernelConfig | undefined> | undefined;

/**
 * Register core's wasm kernels, keeping the stock ones to delegate to and to
 * restore. Idempotent. Returns the kernel names core registered or replaced.
 */
export function installWasmKernelFixes(): string[] {
  if (saved) return WASM_KERNEL_FIXES.map((f) => f.kernelName);
  const stockConfigs = new Map<string, tf.KernelConfig | undefined>();
  const stock = new Map<string, tf.KernelConfig>();
  for (const fix of WASM_KERNEL_FIXES) {
    const config = tf.getKernel(fix.kernelName, BACKEND);
    stockConfigs.set(fix.kernelName, config);
    if (config) stock.set(fix.kernelName, config);
  }
  for (const fix of WASM_KERNEL_FIXES) {
    if (stockConfigs.get(fix.kernelName)) tf.unregisterKernel(fix.kernelName, BACKEND);
    tf.registerKernel({
      kernelName: fix.kernelName,
      backendName: BACKEND,
      kernelFunc: fix.make(stock) as unknown as tf.KernelFunc,
    });
  }
  saved = stockConfigs;
  return WASM_KERNEL_FIXES.map((f) => f.kernelName);
}

/** Restore exactly the stock wasm kernels (the configs saved by install). No-op when not installed. */
export function uninstallWasmKernelFixes(): void {
  if (!saved) return;
  for (const [name, config] of saved) {
    if (tf.getKernel(name, BACKEND)) tf.unregisterKernel(name, BACKEND);
    if (config) tf.registerKernel(config);
  }
  saved = undefined;
}

/** Whether core's wasm kernel fixes are currently registered. */
export function wasmKernelFixesInstalled(): boolean {
  return saved !== undefined;
}
