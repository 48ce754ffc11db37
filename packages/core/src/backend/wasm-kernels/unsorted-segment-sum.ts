/**
 * `UnsortedSegmentSum` on wasm.
 *
 * Missing in stock tfjs-wasm 4.22, and tfjs-core's gradient of `GatherV2`
 * (and so of every embedding lookup) is built from it, so
 * `tf.variableGrads` over `tf.gather` threw "Kernel 'UnsortedSegmentSum' not
 * registered for backend 'wasm'".
 *
 * Fix: a direct loop on heap views. out[s, :] = sum of x[i, :] over rows i with
 * segmentIds[i] == s; rows whose id is negative or >= numSegments are dropped
 * (TensorFlow semantics). float32 and int32, segment ids of any rank (x's
 * leading dims matching the ids' shape are flattened into rows).
 */
import { f32View, heapOffset, i32View, sizeOf, type KernelArgs, type TensorInfo, type WasmBackend } from './wasm-heap.js';

export const KERNEL_NAME = 'UnsortedSegmentSum';

export function unsortedSegmentSum(args: KernelArgs): TensorInfo {
  const backend = args.backend as WasmBackend;
  const { x, segmentIds } = args.inputs as { x: TensorInfo; segmentIds: TensorInfo };
  const numSegments = Number((args.attrs ?? {}).numSegments);
  if (x.dtype !== 'float32' && x.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum on wasm supports float32 and int32, got ${x.dtype}.`);
  }
  if (segmentIds.dtype !== 'int32') {
    throw new Error(`UnsortedSegmentSum segmentIds must be int32, got ${segmentIds.dtype}.`);
  }
  const idRank = segmentIds.shape.length;
  const rows = sizeOf(segmentIds.shape);
  const rowShape = x.shape.slice(idRank);
  const width = sizeOf(rowShape);
  const out = backend.makeOutput([numSegments, ...rowShape], x.dtype);
  // Views only after makeOutput: it may grow the heap.
  const view = x.dtype === 'float32' ? f32View : i32View;
  const dst = view(backend, heapOffset(backend, out), numSegments * width);
  dst.fill(0);
  if (rows === 0 || width === 0) return out;
  const src = view(backend, heapOffset(backend, x), rows * width);
  const ids = i32View(backend, heapOffset(backend, segmentIds), rows);
  for (let i = 0; i < rows; i++) {
    const s = ids[i];
    if (s < 0 || s >= numSegments) continue;
    const o = s * width;
    const r = i * width;
    for (let j = 0; j < width; j++) dst[o + j] += src[r + j];
  }
  return out;
}
