/**
 * Name -> traits registry of the ggml tensor types llmkit can quantize and dequantize, and
 * the two entry points everything else uses: {@link quantizeBlocks} and {@link dequantizeBlocks}.
 */
import { BackendError, InvalidArgumentError } from '@llmkit/core/errors';
import { BF16, F16, F32, checkDequantizeInput, checkQuantizeInput } from './float.js';
import { Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1 } from './legacy.js';
import { Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K } from './k-quants.js';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, type GgmlTypeName, type GgmlTypeTraits } from './types.js';
import { ggmlWasm, ggmlWasmError, instantiateWorkspace } from './wasm/index.js';

const BUILTIN_TYPES: readonly GgmlTypeTraits[] = [F32, F16, BF16, Q4_0, Q4_1, Q5_0, Q5_1, Q8_0, Q8_1, Q2_K, Q3_K, Q4_K, Q5_K, Q6_K, Q8_K];
const BUILTIN = new Map<GgmlTypeName, GgmlTypeTraits>(BUILTIN_TYPES.map((t) => [t.name, t]));

const registry = new Map<GgmlTypeName, GgmlTypeTraits>(BUILTIN_TYPES.map((t) => [t.name, t]));

/**
 * The implemented ggml types by name (read-only view; add types with {@link registerGgmlType}).
 *
 * @example
 * GGML_TYPES.get('Q8_0')?.typeSize; // 34
 * [...GGML_TYPES.keys()]; // ['F32', 'F16', 'BF16', 'Q4_0', ...]
 */
export const GGML_TYPES: ReadonlyMap<GgmlTypeName, GgmlTypeTraits> = registry;

/** Options of {@link registerGgmlType}. */
export interface RegisterGgmlTypeOptions {
  /** Replace an already registered implementation of the same type (default false: that throws). */
  replace?: boolean;
}

function isTypeName(name: unknown): name is GgmlTypeName {
  return typeof name === 'string' && Object.prototype.hasOwnProperty.call(GGML_TYPE_IDS, name);
}

function implementedList(): string {
  return [...registry.keys()].join(', ');
}

/**
 * Add (or with `replace`, swap) the implementation of a ggml type. The traits must name a
 * type of `GGML_TYPE_IDS` and agree with its id and `GGML_BLOCK_GEOMETRY`.
 *
 * @throws InvalidArgumentError when the name is unknown, the id or geometry disagree, a
 *   method is missing, or the type is already registered without `replace`.
 * @example
 * import { Q4_K } from './k-quants.js';
 * registerGgmlType(Q4_K);
 */
export function registerGgmlType(traits: GgmlTypeTraits, options: RegisterGgmlTypeOptions = {}): void {
  if (typeof traits !== 'object' || traits === null) {
    throw new InvalidArgumentError(
      'registerGgmlType: traits must be an object with name, id, blockSize, typeSize, quantize and dequantize.'
    );
  }
  const { name } = traits;
  if (!isTypeName(name)) {
    throw new InvalidArgumentError(
      `registerGgmlType: unknown ggml type name ${JSON.stringify(name)}; use one of ${Object.keys(GGML_TYPE_IDS).join(', ')}.`
    );
  }
  const geometry = GGML_BLOCK_GEOMETRY[name];
  if (traits.id !== GGML_TYPE_IDS[name] || traits.blockSize !== geometry.blockSize || traits.typeSize !== geometry.typeSize) {
    throw new InvalidArgumentError(
      `registerGgmlType: ${name} must have id ${GGML_TYPE_IDS[name]}, blockSize ${geometry.blockSize} and typeSize ${geometry.typeSize} ` +
        `(got id ${traits.id}, blockSize ${traits.blockSize}, typeSize ${traits.typeSize}).`
    );
  }
  if (typeof traits.quantize !== 'function' || typeof traits.dequantize !== 'function') {
    throw new InvalidArgumentError(`registerGgmlType: ${name} needs quantize(values) and dequantize(bytes, count) functions.`);
  }
  const existing = registry.get(name);
  if (existing !== undefined && existing !== traits && options.replace !== true) {
    throw new InvalidArgumentError(`registerGgmlType: ${name} is already registered; pass { replace: true } to swap its implementation.`);
  }
  registry.set(name, traits);
}

/**
 * The traits of an implemented type.
 *
 * @throws InvalidArgumentError naming the type when it is unknown or not implemented.
 * @example
 * getGgmlType('Q4_0').blockSize; // 32
 */
export function getGgmlType(type: GgmlTypeName): GgmlTypeTraits {
  const traits = isTypeName(type) ? registry.get(type) : undefined;
  if (traits === undefined) {
    const what = isTypeName(type) ? 'is not implemented' : 'is not a ggml type';
    throw new InvalidArgumentError(`ggml type ${JSON.stringify(type)} ${what}; implemented types: ${implementedList()}.`);
  }
  return traits;
}

/**
 * Which implementation {@link quantizeBlocks} / {@link dequantizeBlocks} run: `'wasm'` the
 * WebAssembly SIMD kernels (packages/quantization/wasm/ggml), `'js'` the TypeScript reference
 * (`GGML_TYPES.get(type).quantize`), `'auto'` (default) wasm when this engine runs it and the
 * type has a kernel, else js. Both give the same bytes and values bit for bit.
 */
export type GgmlBackend = 'auto' | 'js' | 'wasm';

/** Options of {@link quantizeBlocks} and {@link dequantizeBlocks}. */
export interface GgmlBlocksOptions {
  /**
   * Implementation to run (default `'auto'`, or the `LLMKIT_GGML_BACKEND` environment variable
   * when set: `auto`, `js` or `wasm`). A type replaced with {@link registerGgmlType} always runs
   * its registered implementation under `'auto'`.
   */
  backend?: GgmlBackend;
}

/** Options of {@link quantizeBlocks}. */
export interface GgmlQuantizeOptions extends GgmlBlocksOptions {
  /** Write the bytes here (length at least the quantized size; the prefix is written and returned) instead of a new array. */
  out?: Uint8Array;
}

/** Options of {@link dequantizeBlocks}. */
export interface GgmlDequantizeOptions extends GgmlBlocksOptions {
  /** Write the values here (length at least `count`; the prefix is written and returned) instead of a new array. */
  out?: Float32Array;
}

function checkOut<T extends Uint8Array | Float32Array>(caller: string, kind: 'Uint8Array' | 'Float32Array', out: T | undefined, need: number): T | undefined {
  if (out === undefined) return undefined;
  const ok = kind === 'Uint8Array' ? out instanceof Uint8Array : out instanceof Float32Array;
  if (!ok || out.length < need) {
    throw new InvalidArgumentError(
      `${caller}: options.out must be a ${kind} of length >= ${need} (got ${ok ? `length ${out.length}` : String((out as object)?.constructor?.name ?? out)}); allocate new ${kind}(${need}) or omit out.`
    );
  }
  return out.length === need ? out : (out.subarray(0, need) as T);
}

const BACKENDS: readonly GgmlBackend[] = ['auto', 'js', 'wasm'];

function chooseBackend(caller: string, options: GgmlBlocksOptions | undefined): GgmlBackend {
  if (options !== undefined && (typeof options !== 'object' || options === null)) {
    throw new InvalidArgumentError(`${caller}: options must be an object such as { backend: 'js' } (got ${String(options)}).`);
  }
  const requested = options?.backend;
  if (requested !== undefined) {
    if (!BACKENDS.includes(requested)) {
      throw new InvalidArgumentError(`${caller}: backend ${JSON.stringify(requested)} is not one of 'auto', 'js', 'wasm'.`);
    }
    return requested;
  }
  const env = typeof process === 'object' && process !== null ? process.env?.LLMKIT_GGML_BACKEND : undefined;
  if (env === undefined || env === '') return 'auto';
  if (!(BACKENDS as readonly string[]).includes(env)) {
    throw new InvalidArgumentError(
      `${caller}: the environment variable LLMKIT_GGML_BACKEND is ${JSON.stringify(env)}; set it to auto, js or wasm, or unset it.`
    );
  }
  return env as GgmlBackend;
}

/** The wasm kernels when `backend` selects them for this type and operation, else undefined. */
function wasmFor(caller: string, type: GgmlTypeName, traits: GgmlTypeTraits, op: 'quantize' | 'dequantize', backend: GgmlBackend) {
  if (backend === 'js') return undefined;
  const wasm = ggmlWasm();
  if (backend === 'auto') return wasm !== null && traits === BUILTIN.get(type) && wasm.has(type, op) ? wasm : undefined;
  if (wasm === null) {
    const why = ggmlWasmError();
    throw new BackendError(
      `${caller}: backend 'wasm' was requested but the WebAssembly kernels cannot run here (${why instanceof Error ? why.message : String(why)}); use backend 'js' or 'auto'.`,
      { cause: why }
    );
  }
  if (!wasm.has(type, op)) {
    throw new InvalidArgumentError(`${caller}: there is no wasm ${op} kernel for ${type}; use backend 'js' or 'auto'.`);
  }
  return wasm;
}

/**
 * Quantize `values` (a whole number of blocks) to ggml's block format `type`, byte for byte
 * what ggml's `quantize_row_<type>_ref` writes. Runs the WebAssembly kernel of the type when
 * available (see {@link GgmlBackend}); the result does not depend on the backend.
 *
 * @throws InvalidArgumentError when the type is unknown or unimplemented, values.length is
 *   not a multiple of the type's block size, or the backend option is invalid.
 * @throws BackendError when `backend: 'wasm'` is requested and WebAssembly cannot run.
 * @example
 * const bytes = quantizeBlocks('Q8_0', new Float32Array(64).fill(0.25)); // 2 blocks, 68 bytes
 * dequantizeBlocks('Q8_0', bytes, 64); // Float32Array(64) of 0.25
 * quantizeBlocks('Q4_K', weights, { backend: 'js' }); // the TypeScript reference, same bytes
 */
export function quantizeBlocks(type: GgmlTypeName, values: Float32Array, options?: GgmlQuantizeOptions): Uint8Array {
  const traits = getGgmlType(type);
  const wasm = wasmFor('quantizeBlocks', type, traits, 'quantize', chooseBackend('quantizeBlocks', options));
  checkQuantizeInput(type, traits.blockSize, values);
  const out = checkOut('quantizeBlocks', 'Uint8Array', options?.out, (values.length / traits.blockSize) * traits.typeSize);
  if (wasm !== undefined) return wasm.quantize(type, values, out);
  const bytes = traits.quantize(values);
  if (out === undefined) return bytes;
  out.set(bytes);
  return out;
}

/**
 * Decode `count` values (a whole number of blocks) from ggml block bytes of `type`, bit for
 * bit what ggml's `dequantize_row_<type>` returns. Runs the WebAssembly kernel of the type
 * when available (see {@link GgmlBackend}); the result does not depend on the backend.
 *
 * @throws InvalidArgumentError when the type is unknown or unimplemented, count is not a
 *   multiple of the block size, bytes is too short, or the backend option is invalid.
 * @throws BackendError when `backend: 'wasm'` is requested and WebAssembly cannot run.
 * @example
 * dequantizeBlocks('F16', new Uint8Array([0x00, 0x3c]), 1); // Float32Array [1]
 * const buffer = new Float32Array(4096);
 * dequantizeBlocks('Q4_K', bytes, 4096, { out: buffer }); // reuses buffer (returns it)
 */
export function dequantizeBlocks(type: GgmlTypeName, bytes: Uint8Array, count: number, options?: GgmlDequantizeOptions): Float32Array {
  const traits = getGgmlType(type);
  const wasm = wasmFor('dequantizeBlocks', type, traits, 'dequantize', chooseBackend('dequantizeBlocks', options));
  checkDequantizeInput(type, traits.blockSize, traits.typeSize, bytes, count);
  const out = checkOut('dequantizeBlocks', 'Float32Array', options?.out, count);
  if (wasm !== undefined) return wasm.dequantize(type, bytes, count, out);
  const values = traits.dequantize(bytes, count);
  if (out === undefined) return values;
  out.set(values);
  return out;
}

/**
 * Buffers for converting up to `capacity` values of one ggml type without copies: `bytes` (the
 * block bytes) and `values` (float32) live inside the memory of a private WebAssembly instance of
 * the kernels, which read and write them in place, as ggml's C functions work on the caller's
 * buffers. Fill `bytes` (for instance with `fs.readSync(fd, ws.bytes)`) and call `dequantize()`, or
 * fill `values` and call `quantize()`. Use it in loops over many tensors of one type: the plain
 * {@link dequantizeBlocks} copies its input into wasm memory and its result out of it, which costs
 * about as much as the conversion for the fastest types (Q8_0, Q4_K, Q5_K, Q8_K).
 * Without WebAssembly (or with `backend: 'js'`) the same object runs the TypeScript reference on
 * ordinary arrays. The buffers belong to the workspace: copy out what must outlive the next call.
 */
export interface GgmlWorkspace {
  readonly type: GgmlTypeName;
  /** Values the workspace holds (a multiple of the type's block size). */
  readonly capacity: number;
  /** Block bytes of `capacity` values (`capacity / blockSize * typeSize` bytes). */
  readonly bytes: Uint8Array;
  /** `capacity` float32 values. */
  readonly values: Float32Array;
  /** Which implementation converts: the wasm kernels in place, or the TypeScript reference. */
  readonly backend: 'wasm' | 'js';
  /** Decode the first `count` values (default: capacity) from `bytes` into `values`; returns `values.subarray(0, count)`. */
  dequantize(count?: number): Float32Array;
  /** Encode the first `count` values (default: capacity) of `values` into `bytes`; returns the written prefix of `bytes`. */
  quantize(count?: number): Uint8Array;
}

/**
 * A {@link GgmlWorkspace} for `capacity` values of `type`.
 *
 * @throws InvalidArgumentError when the type is unknown, capacity is not a positive multiple of the
 *   block size, or the buffers would not fit in 32-bit WebAssembly memory (4 GiB; split the tensor).
 * @throws BackendError when `backend: 'wasm'` is requested and WebAssembly cannot run.
 * @example
 * const ws = createGgmlWorkspace('Q4_K', 4096 * 4096);
 * ws.bytes.set(tensorBytes); // or fs.readSync(fd, ws.bytes, 0, ws.bytes.length, offset)
 * const weights = ws.dequantize(); // a view of ws.values, no copy
 */
export function createGgmlWorkspace(type: GgmlTypeName, capacity: number, options?: GgmlBlocksOptions): GgmlWorkspace {
  const caller = 'createGgmlWorkspace';
  const traits = getGgmlType(type);
  const backend = chooseBackend(caller, options);
  const { blockSize, typeSize } = traits;
  if (!Number.isSafeInteger(capacity) || capacity <= 0 || capacity % blockSize !== 0) {
    throw new InvalidArgumentError(`${caller}: capacity must be a positive multiple of ${type}'s block size ${blockSize} (got ${capacity}); round it up to whole blocks.`);
  }
  const byteCapacity = (capacity / blockSize) * typeSize;
  const limit = 2 ** 32 - 16 * 65536;
  if (capacity * 4 + byteCapacity > limit) {
    throw new InvalidArgumentError(
      `${caller}: ${capacity} values of ${type} need ${capacity * 4 + byteCapacity} bytes, more than 32-bit WebAssembly memory holds; convert the tensor in parts (a multiple of ${blockSize} values each).`
    );
  }
  const wasm = wasmFor(caller, type, traits, 'dequantize', backend) && wasmFor(caller, type, traits, 'quantize', backend) ? ggmlWasm() : undefined;
  const countOf = (count: number | undefined): number => {
    const n = count ?? capacity;
    if (!Number.isSafeInteger(n) || n < 0 || n > capacity || n % blockSize !== 0) {
      throw new InvalidArgumentError(`${caller}: count must be a multiple of ${blockSize} between 0 and the capacity ${capacity} (got ${count}).`);
    }
    return n;
  };
  if (wasm) {
    const ws = instantiateWorkspace(byteCapacity, capacity);
    return {
      type,
      capacity,
      bytes: ws.bytes,
      values: ws.values,
      backend: 'wasm',
      dequantize(count) {
        const n = countOf(count);
        ws.dequantize(type, n);
        return n === capacity ? ws.values : ws.values.subarray(0, n);
      },
      quantize(count) {
        const n = countOf(count);
        ws.quantize(type, n);
        const used = (n / blockSize) * typeSize;
        return used === byteCapacity ? ws.bytes : ws.bytes.subarray(0, used);
      },
    };
  }
  const bytes = new Uint8Array(byteCapacity);
  const values = new Float32Array(capacity);
  return {
    type,
    capacity,
    bytes,
    values,
    backend: 'js',
    dequantize(count) {
      const n = countOf(count);
      values.set(traits.dequantize(bytes.subarray(0, (n / blockSize) * typeSize), n));
      return n === capacity ? values : values.subarray(0, n);
    },
    quantize(count) {
      const n = countOf(count);
      const written = traits.quantize(n === capacity ? values : values.subarray(0, n));
      bytes.set(written);
      return written.length === byteCapacity ? bytes : bytes.subarray(0, written.length);
    },
  };
}
