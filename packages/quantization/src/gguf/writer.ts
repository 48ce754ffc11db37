/**
 * GGUF v3 writer: header, typed metadata, tensor infos, zero padding to the alignment and
 * tensor data (each tensor aligned), little-endian, as specified in ggml's docs/gguf.md.
 */
import { writeFileSync } from 'node:fs';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { quantizeBlocks } from '../ggml/registry.js';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, type GgmlTypeName } from '../ggml/types.js';
import { GgufError } from './errors.js';
import { GGUF_MAGIC, GGUF_MAX_DIMS } from './reader.js';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_SCALAR_BYTES,
  GGUF_VALUE_TYPE_IDS,
  type GgufArrayValue,
  type GgufTensorInput,
  type GgufValue,
  type GgufValueType,
} from './types.js';

/** Options of {@link writeGGUF}. */
export interface WriteGgufOptions {
  /** Metadata in the order to write it (a Map keeps insertion order; a plain object lists integer-like keys first, so prefer a Map). */
  metadata?: Map<string, GgufValue> | Record<string, GgufValue>;
  /** Tensors in the order to write them. */
  tensors?: readonly GgufTensorInput[];
  /**
   * Tensor data alignment (power of two, multiple of 8; default: `general.alignment` from
   * the metadata, else 32). A non-default value is added as `general.alignment` (uint32)
   * when the metadata lacks it.
   */
  alignment?: number;
}

/** Longest tensor name llama.cpp loads (GGML_MAX_NAME - 1), in UTF-8 bytes. */
export const GGUF_WRITE_MAX_TENSOR_NAME_BYTES = 63;

const utf8 = new TextEncoder();

const INT_RANGES: Partial<Record<GgufValueType, [number, number]>> = {
  uint8: [0, 0xff],
  int8: [-0x80, 0x7f],
  uint16: [0, 0xffff],
  int16: [-0x8000, 0x7fff],
  uint32: [0, 0xffffffff],
  int32: [-0x80000000, 0x7fffffff],
};
const BIG_RANGES: Partial<Record<GgufValueType, [bigint, bigint]>> = {
  uint64: [0n, 0xffffffffffffffffn],
  int64: [-0x8000000000000000n, 0x7fffffffffffffffn],
};
const FIXED_SIZE: Partial<Record<GgufValueType, number>> = GGUF_SCALAR_BYTES;

function bad(field: string, problem: string): never {
  throw new GgufError(`writeGGUF: ${field}: ${problem}`, { field });
}

/** Output size of a value's payload (without its type tag); validates it on the way. */
function scalarSize(type: GgufValueType, value: unknown, field: string, strings: Map<string, Uint8Array>): number {
  if (type === 'string') {
    if (typeof value !== 'string') bad(field, `a string value must be a JS string, got ${typeof value}.`);
    let b = strings.get(value);
    if (b === undefined) {
      b = utf8.encode(value);
      strings.set(value, b);
    }
    return 8 + b.length;
  }
  if (type === 'bool') {
    if (typeof value !== 'boolean') bad(field, `a bool value must be true or false, got ${typeof value}.`);
    return 1;
  }
  const big = BIG_RANGES[type];
  if (big !== undefined) {
    if (typeof value !== 'bigint' || value < big[0] || value > big[1])
      bad(field, `a ${type} value must be a bigint in [${big[0]}, ${big[1]}], got ${String(value)}.`);
    return 8;
  }
  if (typeof value !== 'number') bad(field, `a ${type} value must be a number, got ${typeof value}.`);
  const range = INT_RANGES[type];
  if (range !== undefined && !(Number.isInteger(value) && value >= range[0] && value <= range[1])) {
    bad(field, `a ${type} value must be an integer in [${range[0]}, ${range[1]}], got ${value}.`);
  }
  return FIXED_SIZE[type]!;
}

function checkType(type: unknown, field: string): GgufValueType {
  if (typeof type !== 'string' || !Object.prototype.hasOwnProperty.call(GGUF_VALUE_TYPE_IDS, type)) {
    bad(field, `unknown value type ${JSON.stringify(type)}; use one of ${Object.keys(GGUF_VALUE_TYPE_IDS).join(', ')}.`);
  }
  return type as GgufValueType;
}

function arraySize(a: GgufArrayValue, field: string, strings: Map<string, Uint8Array>, depth: number): number {
  if (depth > 16) bad(field, 'arrays are nested more than 16 deep.');
  const itemType = checkType(a.itemType, `${field}.itemType`);
  if (!Array.isArray(a.value)) bad(field, 'an array value must hold a JS array in `value`.');
  let size = 12;
  const items = a.value as readonly unknown[];
  if (itemType === 'array') {
    for (let i = 0; i < items.length; i++) {
      const item = items[i] as GgufArrayValue;
      if (typeof item !== 'object' || item === null || item.type !== 'array')
        bad(`${field}[${i}]`, "items of an 'array' array must be { type: 'array', itemType, value }.");
      size += arraySize(item, `${field}[${i}]`, strings, depth + 1);
    }
  } else {
    for (let i = 0; i < items.length; i++) size += scalarSize(itemType, items[i], `${field}[${i}]`, strings);
  }
  return size;
}

function valueSize(v: GgufValue, field: string, strings: Map<string, Uint8Array>): number {
  if (typeof v !== 'object' || v === null) bad(field, 'a metadata value must be { type, value } (e.g. { type: "uint32", value: 1 }).');
  const type = checkType(v.type, `${field}.type`);
  return 4 + (type === 'array' ? arraySize(v as GgufArrayValue, field, strings, 1) : scalarSize(type, v.value, field, strings));
}

class Writer {
  pos = 0;
  readonly view: DataView;
  constructor(readonly bytes: Uint8Array, private readonly strings: Map<string, Uint8Array>) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  u32(v: number): void {
    this.view.setUint32(this.pos, v, true);
    this.pos += 4;
  }
  u64(v: number | bigint): void {
    this.view.setBigUint64(this.pos, BigInt(v), true);
    this.pos += 8;
  }
  string(s: string): void {
    let b = this.strings.get(s);
    if (b === undefined) {
      b = utf8.encode(s);
      this.strings.set(s, b);
    }
    this.u64(b.length);
    this.bytes.set(b, this.pos);
    this.pos += b.length;
  }
  scalar(type: GgufValueType, value: unknown): void {
    const v = this.view;
    const at = this.pos;
    switch (type) {
      case 'string':
        return this.string(value as string);
      case 'bool':
        v.setUint8(at, value ? 1 : 0);
        break;
      case 'uint8':
        v.setUint8(at, value as number);
        break;
      case 'int8':
        v.setInt8(at, value as number);
        break;
      case 'uint16':
        v.setUint16(at, value as number, true);
        break;
      case 'int16':
        v.setInt16(at, value as number, true);
        break;
      case 'uint32':
        v.setUint32(at, value as number, true);
        break;
      case 'int32':
        v.setInt32(at, value as number, true);
        break;
      case 'float32':
        v.setFloat32(at, value as number, true);
        break;
      case 'float64':
        v.setFloat64(at, value as number, true);
        break;
      case 'uint64':
        v.setBigUint64(at, value as bigint, true);
        break;
      case 'int64':
        v.setBigInt64(at, value as bigint, true);
        break;
      case 'array':
        throw new Error('unreachable');
    }
    this.pos += FIXED_SIZE[type]!;
  }
  array(a: GgufArrayValue): void {
    this.u32(GGUF_VALUE_TYPE_IDS[a.itemType]);
    this.u64(a.value.length);
    if (a.itemType === 'array') for (const item of a.value) this.array(item);
    else for (const item of a.value as readonly unknown[]) this.scalar(a.itemType, item);
  }
  value(v: GgufValue): void {
    this.u32(GGUF_VALUE_TYPE_IDS[v.type]);
    if (v.type === 'array') this.array(v);
    else this.scalar(v.type, v.value);
  }
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function tensorBytes(t: GgufTensorInput, i: number, names: Set<string>): { nameBytes: Uint8Array; data: Uint8Array; type: GgmlTypeName } {
  const field = `tensors[${i}]`;
  if (typeof t !== 'object' || t === null) bad(field, 'a tensor must be { name, shape, type, data }.');
  if (typeof t.name !== 'string' || t.name.length === 0) bad(`${field}.name`, 'the name must be a non-empty string.');
  const nameBytes = utf8.encode(t.name);
  if (nameBytes.length > GGUF_WRITE_MAX_TENSOR_NAME_BYTES) {
    bad(
      `${field}.name`,
      `${JSON.stringify(t.name)} is ${nameBytes.length} UTF-8 bytes; llama.cpp loads at most ${GGUF_WRITE_MAX_TENSOR_NAME_BYTES}.`
    );
  }
  if (names.has(t.name)) bad(`${field}.name`, `duplicate tensor name ${JSON.stringify(t.name)}.`);
  names.add(t.name);
  if (typeof t.type !== 'string' || !Object.prototype.hasOwnProperty.call(GGML_TYPE_IDS, t.type)) {
    bad(`${field}.type`, `unknown ggml type ${JSON.stringify(t.type)}; use one of ${Object.keys(GGML_TYPE_IDS).join(', ')}.`);
  }
  const type = t.type;
  if (!Array.isArray(t.shape) || t.shape.length > GGUF_MAX_DIMS || !t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    bad(
      `${field}.shape`,
      `the shape must be 0 to ${GGUF_MAX_DIMS} non-negative integers in ggml order (ne0 first), got ${JSON.stringify(t.shape)}.`
    );
  }
  const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[type];
  const ne0 = t.shape.length === 0 ? 1 : t.shape[0];
  if (ne0 % blockSize !== 0)
    bad(
      `${field}.shape`,
      `row length shape[0] = ${ne0} is not a multiple of the ${type} block size ${blockSize}; pad the rows or pick another type.`
    );
  const elements = t.shape.reduce((a, b) => a * b, 1);
  const byteLength = (elements / blockSize) * typeSize;
  if (!Number.isSafeInteger(byteLength)) bad(`${field}.shape`, `the tensor is too large (${elements} elements).`);
  let data: Uint8Array;
  if (t.data instanceof Float32Array) {
    if (t.data.length !== elements)
      bad(`${field}.data`, `${t.data.length} float values for shape [${t.shape.join(', ')}] (${elements} elements).`);
    try {
      data = quantizeBlocks(type, t.data);
    } catch (e) {
      throw new GgufError(`writeGGUF: ${field}.data: cannot quantize to ${type}: ${(e as Error).message}`, {
        field: `${field}.data`,
        cause: e,
      });
    }
  } else if (t.data instanceof Uint8Array) {
    if (t.data.length !== byteLength) {
      bad(`${field}.data`, `${t.data.length} bytes, but shape [${t.shape.join(', ')}] of ${type} takes ${byteLength} bytes.`);
    }
    data = t.data;
  } else {
    bad(`${field}.data`, 'data must be a Uint8Array of raw ggml bytes or a Float32Array to quantize.');
  }
  return { nameBytes, data, type };
}

/**
 * Write a GGUF v3 file: returns its bytes and, when `path` is a string, also writes them
 * there. Metadata values keep the types given (`{ type: 'uint32', value: 7 }`), so what
 * {@link readGGUF} returns writes back byte for byte. Float32Array tensor data is
 * quantized with `quantizeBlocks(type, data)`; Uint8Array data is stored as is.
 * Tensor data is laid out in the given order, each tensor aligned and padded with zeros.
 *
 * @throws GgufError naming the field for invalid metadata or tensors (bad value type or
 *   range, duplicate tensor names, shape/data mismatch, unquantizable type);
 *   InvalidArgumentError for bad options.
 * @example
 * const bytes = writeGGUF('tiny.gguf', {
 *   metadata: new Map([['general.architecture', { type: 'string', value: 'llama' }]]),
 *   tensors: [{ name: 'token_embd.weight', shape: [64, 10], type: 'Q8_0', data: new Float32Array(640) }],
 * });
 */
export function writeGGUF(path: string | null, options: WriteGgufOptions): Uint8Array {
  if (path !== null && (typeof path !== 'string' || path.length === 0)) {
    throw new InvalidArgumentError('writeGGUF: path must be a file path (string) or null to only return the bytes.');
  }
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('writeGGUF: options must be an object { metadata, tensors, alignment }.');
  const rawMetadata = options.metadata ?? new Map<string, GgufValue>();
  const entries: [string, GgufValue][] = rawMetadata instanceof Map ? [...rawMetadata] : Object.entries(rawMetadata);
  const tensors = options.tensors ?? [];
  if (!Array.isArray(tensors)) throw new InvalidArgumentError('writeGGUF: tensors must be an array of { name, shape, type, data }.');

  const metaAlignment = entries.find(([k]) => k === 'general.alignment')?.[1];
  if (metaAlignment !== undefined && (metaAlignment.type !== 'uint32' || typeof metaAlignment.value !== 'number')) {
    bad('metadata["general.alignment"]', `general.alignment must be a uint32 value, got ${String(metaAlignment.type)}.`);
  }
  const alignment = options.alignment ?? (metaAlignment?.value as number | undefined) ?? GGUF_DEFAULT_ALIGNMENT;
  if (!Number.isInteger(alignment) || alignment < 8 || alignment > 0x80000000 || (alignment & (alignment - 1)) !== 0) {
    throw new InvalidArgumentError(
      `writeGGUF: alignment ${String(alignment)} must be a power of two of at least 8 (GGUF requires a multiple of 8).`
    );
  }
  if (metaAlignment !== undefined && metaAlignment.value !== alignment) {
    bad(
      'metadata["general.alignment"]',
      `general.alignment ${String(metaAlignment.value)} disagrees with the alignment option ${alignment}.`
    );
  }
  if (metaAlignment === undefined && alignment !== GGUF_DEFAULT_ALIGNMENT)
    entries.push(['general.alignment', { type: 'uint32', value: alignment }]);

  const strings = new Map<string, Uint8Array>();
  let size = 24;
  const seen = new Set<string>();
  for (const [key, value] of entries) {
    if (typeof key !== 'string' || key.length === 0) bad('metadata', 'keys must be non-empty strings.');
    if (seen.has(key)) bad(`metadata[${JSON.stringify(key)}]`, 'duplicate key.');
    seen.add(key);
    size += scalarSize('string', key, `metadata[${JSON.stringify(key)}] key`, strings);
    if (strings.get(key)!.length > 0xffff) bad(`metadata[${JSON.stringify(key)}]`, 'keys are at most 65535 UTF-8 bytes.');
    size += valueSize(value, `metadata[${JSON.stringify(key)}]`, strings);
  }

  const names = new Set<string>();
  const prepared = tensors.map((t, i) => tensorBytes(t, i, names));
  for (let i = 0; i < prepared.length; i++) size += 8 + prepared[i].nameBytes.length + 4 + 8 * tensors[i].shape.length + 4 + 8;
  const dataOffset = alignUp(size, alignment);
  const offsets: number[] = [];
  let dataSize = 0;
  for (const p of prepared) {
    offsets.push(dataSize);
    dataSize = alignUp(dataSize + p.data.length, alignment);
  }
  const total = dataOffset + dataSize;
  if (total > 2 ** 31 - 1) {
    throw new InvalidArgumentError(
      `writeGGUF: the file would be ${total} bytes; this writer builds it in memory and supports up to 2 GiB.`
    );
  }

  const out = new Uint8Array(total); // zero-filled: padding is zeros
  const w = new Writer(out, strings);
  w.u32(GGUF_MAGIC);
  w.u32(3);
  w.u64(prepared.length);
  w.u64(entries.length);
  for (const [key, value] of entries) {
    w.string(key);
    w.value(value);
  }
  prepared.forEach((p, i) => {
    w.u64(p.nameBytes.length);
    out.set(p.nameBytes, w.pos);
    w.pos += p.nameBytes.length;
    w.u32(tensors[i].shape.length);
    for (const d of tensors[i].shape) w.u64(d);
    w.u32(GGML_TYPE_IDS[p.type]);
    w.u64(offsets[i]);
  });
  if (w.pos !== size) throw new GgufError(`writeGGUF: internal size mismatch (${w.pos} != ${size}); please report this.`);
  prepared.forEach((p, i) => out.set(p.data, dataOffset + offsets[i]));
  if (path !== null) writeFileSync(path, out);
  return out;
}
