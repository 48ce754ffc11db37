/**
 * Shared plumbing for core's tfjs-wasm kernels: the (untyped, internal) shape
 * of `BackendWasm`, typed views on the wasm heap, "alias" tensor ids that point
 * into the middle of an existing heap buffer, and a cache of `cwrap`ped C entry
 * points per backend instance.
 *
 * How tfjs-wasm stores tensors: `backend.dataIdMap.get(dataId)` gives
 * `{ id, memoryOffset, shape, dtype, refCount }`; `memoryOffset` is a
 * `_malloc`ed byte offset in the wasm heap and `id` is the number the C++ side
 * knows the tensor by (`register_tensor(id, size, offset)`). The C++ kernels
 * look tensors up only by id, so registering a private id on a sub-range of a
 * buffer lets a C kernel work on one batch slice of a tensor without a copy.
 */
import { tf } from '../../tf.js';

type DataId = object;
export type TensorInfo = tf.TensorInfo;
export type NumericDType = 'float32' | 'int32' | 'bool';

export interface WasmModule {
  cwrap(name: string, returnType: string | null, argTypes: string[]): (...args: unknown[]) => unknown;
  HEAPU8: Uint8Array;
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
    getThreadsCount(): number;
  };
}

export interface WasmTensorData {
  id: number;
  memoryOffset: number;
  shape: number[];
  dtype: string;
  refCount: number;
}

/** The parts of tfjs-wasm's `BackendWasm` the kernels use (internal API of 4.22). */
export interface WasmBackend {
  wasm: WasmModule;
  dataIdMap: { get(dataId: DataId): WasmTensorData; has(dataId: DataId): boolean };
  makeOutput(shape: number[], dtype: string, memoryOffset?: number, values?: unknown): TensorInfo;
  typedArrayFromHeap(info: TensorInfo): Float32Array | Int32Array | Uint8Array;
  disposeData(dataId: DataId, force?: boolean): boolean;
  incRef(dataId: DataId): void;
}

export type KernelArgs = {
  inputs: Record<string, TensorInfo | undefined>;
  backend: unknown;
  attrs?: Record<string, unknown>;
};

/** Heap id of a tensor. */
export function heapId(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).id;
}

/** Byte offset of a tensor's data in the wasm heap. */
export function heapOffset(backend: WasmBackend, t: TensorInfo): number {
  return backend.dataIdMap.get(t.dataId).memoryOffset;
}

/**
 * A Float32Array view of `length` floats at byte `offset`. Take views only after
 * the last allocation of a kernel: `_malloc` may grow (and detach) the heap.
 */
export function f32View(backend: WasmBackend, offset: number, length: number): Float32Array {
  return new Float32Array(backend.wasm.HEAPU8.buffer, offset, length);
}

export function i32View(backend: WasmBackend, offset: number, length: number): Int32Array {
  return new Int32Array(backend.wasm.HEAPU8.buffer, offset, length);
}

/**
 * Private tensor ids for views into existing buffers. tfjs-wasm numbers its
 * tensors from 1 upwards, one per allocation, so ids near 2^31 never collide.
 * Every alias is disposed right after the C call that uses it, which also
 * drops any XNNPACK operator the C side cached on that id.
 */
const ALIAS_BASE = 0x7ff00000;

export class HeapAliases {
  private next = 0;
  private readonly live: number[] = [];
  constructor(private readonly backend: WasmBackend) {}

  /** Register an id for `size` elements (4-byte) at byte `offset`. */
  alias(offset: number, size: number): number {
    const id = ALIAS_BASE + this.next++;
    this.backend.wasm.tfjs.registerTensor(id, size, offset);
    this.live.push(id);
    return id;
  }

  /** Dispose every alias registered since the last release. */
  release(): void {
    for (const id of this.live) this.backend.wasm.tfjs.disposeData(id);
    this.live.length = 0;
    this.next = 0;
  }
}

const cwrapCache = new WeakMap<WasmModule, Map<string, (...args: unknown[]) => unknown>>();

/** `cwrap` a C entry point once per wasm module. */
export function cFunction(
  backend: WasmBackend,
  name: string,
  argTypes: string[],
): (...args: unknown[]) => unknown {
  let byName = cwrapCache.get(backend.wasm);
  if (!byName) {
    byName = new Map();
    cwrapCache.set(backend.wasm, byName);
  }
  let fn = byName.get(name);
  if (!fn) {
    fn = backend.wasm.cwrap(name, null, argTypes);
    byName.set(name, fn);
  }
  return fn;
}

/** Int32 shape as the byte array cwrap's 'array' argument type expects. */
export function shapeBytes(shape: number[]): Uint8Array {
  return new Uint8Array(new Int32Array(shape).buffer);
}

export function sizeOf(shape: number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

/** The stock kernel function registered for `name` on wasm when core's fixes were installed. */
export type StockKernels = ReadonlyMap<string, tf.KernelConfig>;
