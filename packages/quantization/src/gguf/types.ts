/**
 * GGUF data model: typed metadata values (the value type travels with the value, so a
 * read-then-write round trip is byte-exact) and tensor descriptions.
 * Spec: https://github.com/ggml-org/ggml/blob/master/docs/gguf.md
 */
import type { GgmlTypeName } from '../ggml/types.js';

/** GGUF metadata value type ids (`gguf_metadata_value_type`), by name. */
export const GGUF_VALUE_TYPE_IDS = {
  uint8: 0,
  int8: 1,
  uint16: 2,
  int16: 3,
  uint32: 4,
  int32: 5,
  float32: 6,
  bool: 7,
  string: 8,
  array: 9,
  uint64: 10,
  int64: 11,
  float64: 12,
} as const;

/** Name of a GGUF metadata value type. */
export type GgufValueType = keyof typeof GGUF_VALUE_TYPE_IDS;

/** Bytes of one value of each fixed-size GGUF value type (all but string and array). */
export const GGUF_SCALAR_BYTES = {
  uint8: 1,
  int8: 1,
  uint16: 2,
  int16: 2,
  uint32: 4,
  int32: 4,
  float32: 4,
  bool: 1,
  uint64: 8,
  int64: 8,
  float64: 8,
} as const satisfies Partial<Record<GgufValueType, number>>;

/** Value types held as JS numbers (64-bit integers are bigints). */
export type GgufNumberType = 'uint8' | 'int8' | 'uint16' | 'int16' | 'uint32' | 'int32' | 'float32' | 'float64';
/** 64-bit integer value types, held as bigints. */
export type GgufBigIntType = 'uint64' | 'int64';

/** A single (non-array) metadata value with its GGUF type. */
export type GgufScalarValue =
  | { readonly type: GgufNumberType; readonly value: number }
  | { readonly type: GgufBigIntType; readonly value: bigint }
  | { readonly type: 'bool'; readonly value: boolean }
  | { readonly type: 'string'; readonly value: string };

/**
 * A metadata array: all items share `itemType`. Arrays of arrays hold nested
 * `GgufArrayValue`s, each with its own item type (as on disk).
 */
export type GgufArrayValue =
  | { readonly type: 'array'; readonly itemType: GgufNumberType; readonly value: readonly number[] }
  | { readonly type: 'array'; readonly itemType: GgufBigIntType; readonly value: readonly bigint[] }
  | { readonly type: 'array'; readonly itemType: 'bool'; readonly value: readonly boolean[] }
  | { readonly type: 'array'; readonly itemType: 'string'; readonly value: readonly string[] }
  | { readonly type: 'array'; readonly itemType: 'array'; readonly value: readonly GgufArrayValue[] };

/**
 * A GGUF metadata value with its type, e.g. `{ type: 'uint32', value: 32 }` or
 * `{ type: 'array', itemType: 'string', value: ['a', 'b'] }`.
 */
export type GgufValue = GgufScalarValue | GgufArrayValue;

/** Metadata as a key -> typed value map (file order is kept by Map iteration). */
export type GgufMetadata = Map<string, GgufValue>;

/** A tensor as described in a GGUF file. */
export interface GgufTensorInfo {
  /** Tensor name (at most 64 UTF-8 bytes). */
  readonly name: string;
  /**
   * Dimensions in ggml order: `shape[0]` (ne0) varies fastest, i.e. it is the row length.
   * This is the reverse of the PyTorch/numpy shape: a `[out, in]` weight has shape `[in, out]` here.
   */
  readonly shape: readonly number[];
  /** ggml tensor type. */
  readonly type: GgmlTypeName;
  /** Offset of the tensor data from the start of the data section (a multiple of the alignment). */
  readonly offset: number;
  /** Bytes of tensor data (`ggmlRowBytes(type, elements)`). */
  readonly byteLength: number;
  /** The raw tensor bytes, when read with `readTensorData: true`. */
  readonly data?: Uint8Array;
}

/** Result of `readGGUF`. */
export interface GgufFile {
  /** GGUF format version (2 or 3). */
  readonly version: number;
  /** Alignment of the tensor data (`general.alignment`, default 32). */
  readonly alignment: number;
  /** Absolute byte offset of the data section in the file. */
  readonly dataOffset: number;
  /** Metadata key/value pairs in file order. */
  readonly metadata: GgufMetadata;
  /** Tensor descriptions in file order. */
  readonly tensors: GgufTensorInfo[];
}

/** A tensor to write with `writeGGUF`. */
export interface GgufTensorInput {
  /** Unique name, at most 63 UTF-8 bytes (llama.cpp's GGML_MAX_NAME - 1). */
  name: string;
  /** Dimensions in ggml order (`shape[0]` fastest; see {@link GgufTensorInfo.shape}), 0 to 4 of them. */
  shape: readonly number[];
  /** ggml type to store. */
  type: GgmlTypeName;
  /**
   * Raw bytes already in `type`'s layout (exactly `ggmlRowBytes(type, elements)` long), or
   * float32 values (row-major, `shape[0]` fastest) that are quantized with `quantizeBlocks(type, data)`.
   */
  data: Uint8Array | Float32Array;
}

/** The default tensor data alignment of GGUF. */
export const GGUF_DEFAULT_ALIGNMENT = 32;
