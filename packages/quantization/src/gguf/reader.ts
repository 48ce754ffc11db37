/**
 * Strict GGUF (v2/v3, little-endian) reader. Every length and count is checked against
 * the bytes that remain before anything is allocated, so a malformed or hostile file
 * fails with a {@link GgufError} naming the field and byte offset, never with a crash,
 * a hang or an allocation larger than the file.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { GGML_BLOCK_GEOMETRY, GGML_TYPE_IDS, type GgmlTypeName } from '../ggml/types.js';
import { GgufError } from './errors.js';
import {
  GGUF_DEFAULT_ALIGNMENT,
  GGUF_SCALAR_BYTES,
  GGUF_VALUE_TYPE_IDS,
  type GgufArrayValue,
  type GgufFile,
  type GgufMetadata,
  type GgufTensorInfo,
  type GgufValue,
  type GgufValueType,
} from './types.js';

/** Options of {@link readGGUF}. */
export interface ReadGgufOptions {
  /** Also return each tensor's bytes in `tensors[i].data` (default false: only the descriptions). */
  readTensorData?: boolean;
}

/** "GGUF" read as a little-endian uint32. */
export const GGUF_MAGIC = 0x46554747;
/** Most dimensions a GGUF tensor may have (ggml's GGML_MAX_DIMS). */
export const GGUF_MAX_DIMS = 4;
/** Longest tensor name the spec allows, in UTF-8 bytes. */
export const GGUF_MAX_TENSOR_NAME_BYTES = 64;
/** Deepest nesting of arrays inside arrays the reader accepts. */
export const GGUF_MAX_ARRAY_DEPTH = 16;

const VALUE_TYPE_NAMES: readonly GgufValueType[] = (Object.keys(GGUF_VALUE_TYPE_IDS) as GgufValueType[]).sort(
  (a, b) => GGUF_VALUE_TYPE_IDS[a] - GGUF_VALUE_TYPE_IDS[b]
);
const GGML_TYPE_BY_ID = new Map<number, GgmlTypeName>(
  (Object.entries(GGML_TYPE_IDS) as [GgmlTypeName, number][]).map(([name, id]) => [id, name])
);
/** Smallest encoding of one value of each type (strings: the 8-byte length; arrays: type + count). */
const MIN_VALUE_BYTES: Record<GgufValueType, number> = { ...GGUF_SCALAR_BYTES, string: 8, array: 12 };
/** key length (8) + one key byte + value type (4) + the smallest value (1). */
const MIN_KV_BYTES = 14;
/** name length (8) + one name byte + n_dims (4) + type (4) + offset (8). */
const MIN_TENSOR_INFO_BYTES = 25;
/** Bytes read ahead from a file when the parser needs more. */
const READ_CHUNK = 1 << 20;

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** Byte source: all of a buffer, or a file read on demand. */
interface Source {
  readonly label: string;
  readonly size: number;
  /** Bytes [0, end) are available in `bytes` after `ensure(end)`. */
  bytes: Uint8Array;
  ensure(end: number): void;
  read(offset: number, length: number): Uint8Array;
}

function bufferSource(bytes: Uint8Array): Source {
  return {
    label: 'buffer',
    size: bytes.length,
    bytes,
    ensure() {},
    read: (offset, length) => bytes.subarray(offset, offset + length),
  };
}

function fileSource(path: string, fd: number): Source {
  const size = fstatSync(fd).size;
  const src: Source = {
    label: `file ${JSON.stringify(path)}`,
    size,
    bytes: new Uint8Array(0),
    ensure(end: number) {
      if (end <= src.bytes.length) return;
      const want = Math.min(size, Math.max(end, src.bytes.length * 2, READ_CHUNK));
      const next = new Uint8Array(want);
      next.set(src.bytes);
      let at = src.bytes.length;
      while (at < want) {
        const n = readSync(fd, next, at, want - at, at);
        if (n <= 0) break;
        at += n;
      }
      if (at < want) {
        throw new GgufError(`GGUF ${src.label}: the file shrank while reading (expected ${size} bytes, got ${at}).`, { byteOffset: at });
      }
      src.bytes = next;
    },
    read(offset, length) {
      const out = new Uint8Array(length);
      let at = 0;
      while (at < length) {
        const n = readSync(fd, out, at, length - at, offset + at);
        if (n <= 0)
          throw new GgufError(`GGUF ${src.label}: unexpected end of file reading tensor data at byte ${offset + at}.`, {
            byteOffset: offset + at,
          });
        at += n;
      }
      return out;
    },
  };
  return src;
}

class Parser {
  pos = 0;
  private view: DataView;
  private viewOf: Uint8Array;

  constructor(readonly src: Source) {
    this.viewOf = src.bytes;
    this.view = new DataView(src.bytes.buffer, src.bytes.byteOffset, src.bytes.byteLength);
  }

  fail(field: string, at: number, problem: string): never {
    throw new GgufError(`GGUF ${this.src.label}: ${field} at byte ${at}: ${problem}`, { field, byteOffset: at });
  }

  get remaining(): number {
    return this.src.size - this.pos;
  }

  /** Make `n` bytes at the cursor available, or fail as truncated. */
  need(n: number, field: string): void {
    if (n > this.remaining) {
      this.fail(field, this.pos, `the file is truncated (${n} bytes needed, ${Math.max(0, this.remaining)} left of ${this.src.size}).`);
    }
    this.src.ensure(this.pos + n);
    if (this.src.bytes !== this.viewOf) {
      this.viewOf = this.src.bytes;
      this.view = new DataView(this.viewOf.buffer, this.viewOf.byteOffset, this.viewOf.byteLength);
    }
  }

  u8(field: string): number {
    this.need(1, field);
    return this.view.getUint8(this.pos++);
  }
  u32(field: string): number {
    this.need(4, field);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(field: string): bigint {
    this.need(8, field);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }

  /** A u64 that must be a count/length no larger than `limit` (checked before any use). */
  length(field: string, limit: number, what: string): number {
    const at = this.pos;
    const v = this.u64(field);
    if (v > BigInt(limit))
      this.fail(field, at, `${what} ${v} exceeds what the remaining ${Math.max(0, this.src.size - this.pos)} bytes can hold.`);
    return Number(v);
  }

  string(field: string): string {
    const len = this.length(`${field} length`, this.remaining - 8, 'string length');
    this.need(len, field);
    const at = this.pos;
    const raw = this.viewOf.subarray(at, at + len);
    this.pos += len;
    try {
      return utf8.decode(raw);
    } catch {
      return this.fail(field, at, 'the string is not valid UTF-8.');
    }
  }

  valueType(field: string): GgufValueType {
    const at = this.pos;
    const id = this.u32(field);
    const name = VALUE_TYPE_NAMES[id];
    if (name === undefined) this.fail(field, at, `unknown metadata value type ${id} (valid: 0..12).`);
    return name;
  }

  scalar(type: Exclude<GgufValueType, 'array'>, field: string): number | bigint | boolean | string {
    if (type === 'string') return this.string(field);
    const size = MIN_VALUE_BYTES[type];
    this.need(size, field);
    const at = this.pos;
    const v = this.view;
    this.pos += size;
    switch (type) {
      case 'uint8':
        return v.getUint8(at);
      case 'int8':
        return v.getInt8(at);
      case 'uint16':
        return v.getUint16(at, true);
      case 'int16':
        return v.getInt16(at, true);
      case 'uint32':
        return v.getUint32(at, true);
      case 'int32':
        return v.getInt32(at, true);
      case 'float32':
        return v.getFloat32(at, true);
      case 'float64':
        return v.getFloat64(at, true);
      case 'uint64':
        return v.getBigUint64(at, true);
      case 'int64':
        return v.getBigInt64(at, true);
      case 'bool': {
        const b = v.getUint8(at);
        if (b > 1) this.fail(field, at, `bool must be 0 or 1, got ${b}.`);
        return b === 1;
      }
    }
  }

  array(field: string, depth: number): GgufArrayValue {
    if (depth > GGUF_MAX_ARRAY_DEPTH) this.fail(field, this.pos, `arrays are nested more than ${GGUF_MAX_ARRAY_DEPTH} deep.`);
    const itemType = this.valueType(`${field} item type`);
    const countAt = this.pos;
    const count = this.u64(`${field} count`);
    if (count * BigInt(MIN_VALUE_BYTES[itemType]) > BigInt(this.remaining)) {
      this.fail(`${field} count`, countAt, `${count} ${itemType} items cannot fit in the remaining ${this.remaining} bytes.`);
    }
    const n = Number(count);
    const items: unknown[] = new Array(n);
    if (itemType === 'array') {
      for (let i = 0; i < n; i++) items[i] = this.array(`${field}[${i}]`, depth + 1);
    } else {
      for (let i = 0; i < n; i++) items[i] = this.scalar(itemType, `${field}[${i}]`);
    }
    return { type: 'array', itemType, value: items } as GgufArrayValue;
  }

  value(field: string): GgufValue {
    const type = this.valueType(`${field} value type`);
    if (type === 'array') return this.array(field, 1);
    return { type, value: this.scalar(type, field) } as GgufValue;
  }
}

/** A key or name for messages: JSON-quoted, long ones shortened. */
function show(s: string): string {
  return JSON.stringify(s.length > 80 ? `${s.slice(0, 77)}...` : s);
}

function align(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

function parse(src: Source, options: ReadGgufOptions): GgufFile {
  const p: Parser = new Parser(src);
  if (src.size < 4) p.fail('magic', 0, `the file is truncated (${src.size} bytes; a GGUF file starts with the 4-byte magic "GGUF").`);
  const magic = p.u32('magic');
  if (magic !== GGUF_MAGIC) {
    const shown = Array.from(src.bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, '0')).join(' ');
    p.fail('magic', 0, `bad magic ${shown} (expected 47 47 55 46, "GGUF"): not a GGUF file.`);
  }
  const versionAt = p.pos;
  const version = p.u32('version');
  if (version !== 2 && version !== 3) {
    const swapped = ((version & 0xff) << 24) | (((version >>> 8) & 0xff) << 16) | (((version >>> 16) & 0xff) << 8) | (version >>> 24);
    const hint =
      swapped === 2 || swapped === 3
        ? ' It looks big-endian; only little-endian GGUF is supported (convert it with gguf-py).'
        : version === 1
        ? ' GGUF v1 (32-bit counts) is obsolete; convert the file with a current llama.cpp.'
        : '';
    p.fail('version', versionAt, `unsupported GGUF version ${version >>> 0} (supported: 2, 3).${hint}`);
  }
  const tensorCountAt = p.pos;
  const tensorCount64 = p.u64('tensor_count');
  const kvCountAt = p.pos;
  const kvCount64 = p.u64('metadata_kv_count');
  if (tensorCount64 * BigInt(MIN_TENSOR_INFO_BYTES) > BigInt(p.remaining)) {
    p.fail(
      'tensor_count',
      tensorCountAt,
      `${tensorCount64} tensor infos (at least ${MIN_TENSOR_INFO_BYTES} bytes each) cannot fit in a ${src.size}-byte file.`
    );
  }
  if (kvCount64 * BigInt(MIN_KV_BYTES) > BigInt(p.remaining)) {
    p.fail(
      'metadata_kv_count',
      kvCountAt,
      `${kvCount64} key/value pairs (at least ${MIN_KV_BYTES} bytes each) cannot fit in a ${src.size}-byte file.`
    );
  }
  const tensorCount = Number(tensorCount64);
  const kvCount = Number(kvCount64);

  const metadata: GgufMetadata = new Map();
  let alignmentAt = 0;
  for (let i = 0; i < kvCount; i++) {
    const keyAt = p.pos;
    const key = p.string(`metadata[${i}].key`);
    if (key.length === 0) p.fail(`metadata[${i}].key`, keyAt, 'the key is empty.');
    if (metadata.has(key)) p.fail(`metadata[${i}].key`, keyAt, `duplicate key ${show(key)}.`);
    if (key === 'general.alignment') alignmentAt = p.pos;
    metadata.set(key, p.value(`metadata[${show(key)}]`));
  }

  let alignment = GGUF_DEFAULT_ALIGNMENT;
  const alignmentValue = metadata.get('general.alignment');
  if (alignmentValue !== undefined) {
    if (alignmentValue.type !== 'uint32') {
      p.fail('metadata["general.alignment"]', alignmentAt, `general.alignment must be a uint32, got ${alignmentValue.type}.`);
    }
    const a = alignmentValue.value;
    if (a === 0 || (a & (a - 1)) !== 0)
      p.fail('metadata["general.alignment"]', alignmentAt, `general.alignment ${a} is not a power of two.`);
    alignment = a;
  }

  const tensors: { info: Omit<GgufTensorInfo, 'data'>; at: number }[] = [];
  const names = new Set<string>();
  for (let i = 0; i < tensorCount; i++) {
    const field = `tensor_infos[${i}]`;
    const at = p.pos;
    const nameAt = p.pos + 8;
    const name = p.string(`${field}.name`);
    const nameBytes = p.pos - nameAt;
    if (nameBytes === 0) p.fail(`${field}.name`, nameAt, 'the tensor name is empty.');
    if (nameBytes > GGUF_MAX_TENSOR_NAME_BYTES)
      p.fail(`${field}.name`, nameAt, `the tensor name is ${nameBytes} bytes long (at most ${GGUF_MAX_TENSOR_NAME_BYTES}).`);
    if (names.has(name)) p.fail(`${field}.name`, nameAt, `duplicate tensor name ${show(name)}.`);
    names.add(name);
    const nDimsAt = p.pos;
    const nDims = p.u32(`${field}.n_dims`);
    if (nDims > GGUF_MAX_DIMS) p.fail(`${field}.n_dims`, nDimsAt, `${nDims} dimensions (at most ${GGUF_MAX_DIMS}).`);
    const shape: number[] = [];
    let elements = 1;
    for (let d = 0; d < nDims; d++) {
      const dimAt = p.pos;
      const dim = p.u64(`${field}.dims[${d}]`);
      if (dim > BigInt(Number.MAX_SAFE_INTEGER)) p.fail(`${field}.dims[${d}]`, dimAt, `dimension ${dim} is absurd.`);
      shape.push(Number(dim));
      elements *= Number(dim);
    }
    const typeAt = p.pos;
    const typeId = p.u32(`${field}.type`);
    const type = GGML_TYPE_BY_ID.get(typeId);
    if (type === undefined)
      p.fail(
        `${field}.type`,
        typeAt,
        `unknown or unsupported ggml type id ${typeId} (supported: ${[...GGML_TYPE_BY_ID].map(([id, n]) => `${n}=${id}`).join(', ')}).`
      );
    const { blockSize, typeSize } = GGML_BLOCK_GEOMETRY[type];
    const ne0 = nDims === 0 ? 1 : shape[0];
    if (ne0 % blockSize !== 0)
      p.fail(`${field}.dims[0]`, nDimsAt + 4, `row length ${ne0} is not a multiple of the ${type} block size ${blockSize}.`);
    // Rows * bytes per row; float arithmetic is fine here because anything past the file size is rejected below.
    const byteLength = elements === 0 ? 0 : (elements / blockSize) * typeSize;
    if (!(byteLength <= src.size))
      p.fail(
        field,
        at,
        `tensor ${JSON.stringify(name)} of shape [${shape.join(', ')}] (${type}) needs ${byteLength} bytes, more than the ${
          src.size
        }-byte file.`
      );
    const offsetAt = p.pos;
    const offset64 = p.u64(`${field}.offset`);
    if (offset64 > BigInt(src.size))
      p.fail(`${field}.offset`, offsetAt, `offset ${offset64} is past the end of the ${src.size}-byte file.`);
    const offset = Number(offset64);
    if (offset % alignment !== 0) p.fail(`${field}.offset`, offsetAt, `offset ${offset} is not a multiple of the alignment ${alignment}.`);
    tensors.push({ info: { name, shape, type, offset, byteLength }, at: offsetAt });
  }

  const dataOffset = align(p.pos, alignment);
  const dataSize = Math.max(0, src.size - dataOffset);
  for (let i = 0; i < tensors.length; i++) {
    const { info, at } = tensors[i];
    if (info.offset + info.byteLength > dataSize) {
      p.fail(
        `tensor_infos[${i}].offset`,
        at,
        `tensor ${JSON.stringify(info.name)} spans data bytes [${info.offset}, ${
          info.offset + info.byteLength
        }) but the data section (from byte ${dataOffset}) holds ${dataSize} bytes: the file is truncated or the offset is wrong.`
      );
    }
  }
  const order = tensors.map((t, i) => i).filter((i) => tensors[i].info.byteLength > 0);
  order.sort((a, b) => tensors[a].info.offset - tensors[b].info.offset);
  for (let k = 1; k < order.length; k++) {
    const prev = tensors[order[k - 1]].info;
    const cur = tensors[order[k]];
    if (prev.offset + prev.byteLength > cur.info.offset) {
      p.fail(
        `tensor_infos[${order[k]}].offset`,
        cur.at,
        `tensor ${JSON.stringify(cur.info.name)} at data offset ${cur.info.offset} overlaps tensor ${JSON.stringify(prev.name)} ([${
          prev.offset
        }, ${prev.offset + prev.byteLength})).`
      );
    }
  }

  const out: GgufTensorInfo[] = tensors.map(({ info }) =>
    options.readTensorData === true ? { ...info, data: src.read(dataOffset + info.offset, info.byteLength) } : info
  );
  return { version, alignment, dataOffset, metadata, tensors: out };
}

/**
 * Read a GGUF file (v3, or v2) synchronously from a path or from bytes: metadata with value types, tensor
 * descriptions and, with `readTensorData`, tensor bytes. From a path only the header is
 * read unless tensor data is requested (each tensor then gets its own buffer); from bytes,
 * `data` is a view into the given buffer.
 *
 * The reader is strict: bad magic, unsupported version, truncation, counts or lengths the
 * file cannot hold, unknown value or tensor types, non-UTF-8 strings, bools other than 0/1,
 * more than 4 dimensions, row lengths that are not a multiple of the block size,
 * misaligned, out-of-range or overlapping tensor data, and duplicate keys or tensor names
 * all throw a {@link GgufError} naming the field and its byte offset.
 *
 * @throws GgufError for malformed files; InvalidArgumentError for a bad argument.
 * @example
 * const file = readGGUF('tiny.gguf', { readTensorData: true });
 * file.metadata.get('general.architecture'); // { type: 'string', value: 'llama' }
 * const t = file.tensors[0];
 * dequantizeBlocks(t.type, t.data!, t.shape.reduce((a, b) => a * b, 1));
 */
export function readGGUF(pathOrBytes: string | Uint8Array, options: ReadGgufOptions = {}): GgufFile {
  if (typeof options !== 'object' || options === null)
    throw new InvalidArgumentError('readGGUF: options must be an object like { readTensorData: true }.');
  if (pathOrBytes instanceof Uint8Array) return parse(bufferSource(pathOrBytes), options);
  if (typeof pathOrBytes !== 'string' || pathOrBytes.length === 0) {
    throw new InvalidArgumentError('readGGUF: pass a file path (string) or the file bytes (Uint8Array).');
  }
  let fd: number;
  try {
    fd = openSync(pathOrBytes, 'r');
  } catch (e) {
    throw new InvalidArgumentError(`readGGUF: cannot open ${JSON.stringify(pathOrBytes)}: ${(e as Error).message}`, { cause: e });
  }
  try {
    return parse(fileSource(pathOrBytes, fd), options);
  } finally {
    closeSync(fd);
  }
}
