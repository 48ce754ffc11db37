import { tf } from '../tf.js';
import { InvalidArgumentError, SafetensorsError } from '../errors/index.js';
import { byteLengthOf, dtypeRank, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';
import { compareUtf8, isWellFormedUnicode, littleEndianBytes } from './bytes.js';
import { encodeBfloat16, encodeFloat16 } from './float-conversion.js';
import { MAX_SAFETENSORS_HEADER_BYTES } from './parse.js';

/**
 * A tensor given as raw bytes, for dtypes tfjs lacks (I64, U64, F8_*, ...) or
 * data already encoded. `data` is written as it lies in memory, which must be
 * little-endian, row-major; its byte length must equal numel * dtype size.
 * Entries returned by `parseSafetensors` are RawTensors.
 */
export interface RawTensor {
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first; `[]` for a scalar. */
  shape: number[];
  data: ArrayBufferView;
}

/** What {@link writeSafetensors} accepts per name. */
export type SafetensorsWritable = tf.Tensor | RawTensor;

/** Options of {@link writeSafetensors}. */
export interface WriteSafetensorsOptions {
  /**
   * Target dtype. A single dtype (`'F16'`, `'BF16'`, `'F32'` or `'F64'`) applies
   * to every float32 tf tensor and leaves int32/bool tensors and RawTensors
   * alone. A record maps tensor names to dtypes for those tf tensors only
   * (integer targets such as `'I64'` or `'U8'` are range-checked).
   */
  dtype?: SafetensorsDtype | Record<string, SafetensorsDtype>;
}

interface Prepared {
  name: string;
  dtype: SafetensorsDtype;
  shape: number[];
  bytes: Uint8Array;
}

const FLOAT_TARGETS: readonly SafetensorsDtype[] = ['F32', 'F16', 'BF16', 'F64'];

type Encoder = (values: Float32Array | Int32Array | Uint8Array, fail: (detail: string) => never) => Uint8Array;

function checkRange(values: ArrayLike<number>, min: number, max: number, fail: (detail: string) => never): void {
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v < min || v > max) fail(`value ${v} at flat index ${i} is outside [${min}, ${max}]`);
  }
}

function integerEncoder(
  make: (values: ArrayLike<number>) => ArrayBufferView,
  min: number,
  max: number,
  elementBytes: number,
): Encoder {
  return (values, fail) => {
    checkRange(values, min, max, fail);
    return littleEndianBytes(make(values), elementBytes);
  };
}

/** How tf data becomes each target dtype's bytes: a registry, so a new target is one entry. */
const ENCODERS: Partial<Record<SafetensorsDtype, Encoder>> = {
  F32: (values) => littleEndianBytes(values instanceof Float32Array ? values : Float32Array.from(values), 4),
  F64: (values) => littleEndianBytes(Float64Array.from(values), 8),
  F16: (values) => littleEndianBytes(encodeFloat16(values), 2),
  BF16: (values) => littleEndianBytes(encodeBfloat16(values), 2),
  BOOL: (values, fail) => {
    checkRange(values, 0, 1, fail);
    return Uint8Array.from(values);
  },
  U8: integerEncoder((v) => Uint8Array.from(v), 0, 255, 1),
  I8: integerEncoder((v) => Int8Array.from(v), -128, 127, 1),
  I16: integerEncoder((v) => Int16Array.from(v), -32768, 32767, 2),
  U16: integerEncoder((v) => Uint16Array.from(v), 0, 65535, 2),
  I32: integerEncoder((v) => (v instanceof Int32Array ? v : Int32Array.from(v)), -(2 ** 31), 2 ** 31 - 1, 4),
  U32: integerEncoder((v) => Uint32Array.from(v), 0, 2 ** 32 - 1, 4),
  I64: integerEncoder((v) => BigInt64Array.from(v, (x) => BigInt(x)), -(2 ** 31), 2 ** 31 - 1, 8),
  U64: integerEncoder((v) => BigUint64Array.from(v, (x) => BigInt(x)), 0, 2 ** 31 - 1, 8),
};

/** Which targets each tf dtype may be written as; the first is the default. */
const ALLOWED_TARGETS: Record<string, readonly SafetensorsDtype[]> = {
  float32: FLOAT_TARGETS,
  int32: ['I32', 'I64', 'I16', 'I8', 'U8', 'U16', 'U32', 'U64', 'F32', 'F64', 'F16', 'BF16'],
  bool: ['BOOL', 'U8'],
};

function isTfTensor(value: unknown): value is tf.Tensor {
  return value instanceof tf.Tensor;
}

function isRawTensor(value: unknown): value is RawTensor {
  return typeof value === 'object' && value !== null && 'dtype' in value && 'shape' in value && 'data' in value;
}

function validateShape(name: string, shape: unknown): number[] {
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw new SafetensorsError(
      `Cannot write tensor ${JSON.stringify(name)}: shape ${JSON.stringify(shape)} must be an array of non-negative integers; fix the RawTensor's shape.`,
    );
  }
  return [...shape] as number[];
}

async function prepareTfTensor(name: string, tensor: tf.Tensor, target: SafetensorsDtype | undefined): Promise<Prepared> {
  const allowed = ALLOWED_TARGETS[tensor.dtype];
  if (allowed === undefined) {
    throw new SafetensorsError(
      `Cannot write tensor ${JSON.stringify(name)}: tf dtype ${tensor.dtype} has no safetensors equivalent here; cast it to float32, int32 or bool, or pass a RawTensor.`,
    );
  }
  const dtype = target ?? allowed[0];
  if (!allowed.includes(dtype)) {
    throw new InvalidArgumentError(
      `Cannot write ${tensor.dtype} tensor ${JSON.stringify(name)} as ${dtype}; allowed targets for ${tensor.dtype} are ${allowed.join(', ')}. ` +
        'Cast it first (tf.cast) or pass a RawTensor with the bytes you want.',
    );
  }
  if (tensor.isDisposed) {
    throw new InvalidArgumentError(`Cannot write tensor ${JSON.stringify(name)}: it has been disposed; write it before disposing it.`);
  }
  const values = (await tensor.data()) as Float32Array | Int32Array | Uint8Array;
  const encoder = ENCODERS[dtype] as Encoder;
  const bytes = encoder(values, (detail) => {
    throw new SafetensorsError(`Cannot write tensor ${JSON.stringify(name)} as ${dtype}: ${detail}; choose a wider dtype.`);
  });
  return { name, dtype, shape: [...tensor.shape], bytes };
}

function prepareRawTensor(name: string, raw: RawTensor, target: SafetensorsDtype | undefined): Prepared {
  if (!isSafetensorsDtype(raw.dtype)) {
    throw new SafetensorsError(
      `Cannot write tensor ${JSON.stringify(name)}: RawTensor dtype ${JSON.stringify(raw.dtype)} is not a safetensors dtype; use one of F32, F16, BF16, I64, ... .`,
    );
  }
  if (target !== undefined && target !== raw.dtype) {
    throw new InvalidArgumentError(
      `Cannot write RawTensor ${JSON.stringify(name)} (${raw.dtype}) as ${target}: raw bytes are written as they are; convert the data yourself or drop options.dtype for it.`,
    );
  }
  const shape = validateShape(name, raw.shape);
  if (!ArrayBuffer.isView(raw.data)) {
    throw new SafetensorsError(`Cannot write tensor ${JSON.stringify(name)}: RawTensor data must be a typed array or DataView; wrap the bytes in a Uint8Array.`);
  }
  const numel = shape.reduce((a, b) => a * b, 1);
  const expected = byteLengthOf(raw.dtype, numel);
  if (expected !== raw.data.byteLength) {
    throw new SafetensorsError(
      `Cannot write tensor ${JSON.stringify(name)}: ${raw.data.byteLength} bytes of data, but dtype ${raw.dtype} with shape [${shape.join(', ')}] needs ` +
        `${expected ?? 'a whole number of'} bytes; fix the shape or the data.`,
    );
  }
  return { name, dtype: raw.dtype, shape, bytes: new Uint8Array(raw.data.buffer, raw.data.byteOffset, raw.data.byteLength) };
}

function validateMetadata(metadata: unknown): Array<[string, string]> | undefined {
  if (metadata === undefined || metadata === null) return undefined;
  if (typeof metadata !== 'object' || Array.isArray(metadata) || metadata instanceof Map) {
    throw new InvalidArgumentError('writeSafetensors metadata must be a plain object of strings, e.g. { format: "pt" }.');
  }
  const entries = Object.entries(metadata as Record<string, unknown>);
  for (const [key, value] of entries) {
    if (typeof value !== 'string') {
      throw new InvalidArgumentError(
        `writeSafetensors metadata[${JSON.stringify(key)}] is ${typeof value}, but safetensors metadata values must be strings; JSON.stringify it.`,
      );
    }
    if (!isWellFormedUnicode(key) || !isWellFormedUnicode(value)) {
      throw new InvalidArgumentError(`writeSafetensors metadata[${JSON.stringify(key)}] contains a lone UTF-16 surrogate, which UTF-8 cannot encode.`);
    }
  }
  return entries as Array<[string, string]>;
}

/**
 * Serialize tensors to safetensors bytes and, when `path` is given, write them
 * to that file. Returns the bytes either way.
 *
 * The layout is the one `safetensors.torch.save_file` / `safetensors.numpy.save_file`
 * produce, so for the same tensors and metadata the bytes are identical:
 * tensors sorted by descending dtype (Rust enum order: U64, I64, F64, C64, F32,
 * U32, I32, BF16, F16, U16, I16, F8_*, I8, U8, ..., BOOL) then by name (UTF-8
 * byte order), compact JSON with keys `dtype`, `shape`, `data_offsets`,
 * `__metadata__` first, and the header padded with spaces to a multiple of 8.
 * One exception: Python keeps metadata in a Rust HashMap whose iteration order
 * is random per process, so with two or more metadata keys Python's own output
 * is not reproducible; we write metadata keys in the object's own order.
 *
 * tf tensors default to F32 (float32), I32 (int32) and BOOL (bool); see
 * {@link WriteSafetensorsOptions.dtype} for F16/BF16 and integer targets.
 *
 * @param path File to write, or `null` to only return the bytes.
 * @param tensors Tensors by (Hugging Face) name, as a Map or a plain object.
 * @param metadata `__metadata__` string map; omitted from the file when undefined.
 * @throws {SafetensorsError} `safetensors_format` for an invalid name, a
 *   RawTensor whose bytes do not match its dtype and shape, a value out of
 *   range for an integer target, a tf dtype without an equivalent, or a header
 *   over 100 MB.
 * @throws {InvalidArgumentError} `invalid_argument` for bad metadata or
 *   options, a disposed tensor, or a file that cannot be written.
 * @example
 * const bytes = await writeSafetensors('model.safetensors', { 'lm_head.weight': w }, { format: 'pt' }, { dtype: 'BF16' });
 * const ids: RawTensor = { dtype: 'I64', shape: [2], data: new BigInt64Array([1n, 2n]) };
 * await writeSafetensors(null, new Map([['ids', ids]]));
 */
export async function writeSafetensors(
  path: string | null,
  tensors: Map<string, SafetensorsWritable> | Record<string, SafetensorsWritable>,
  metadata?: Record<string, string>,
  options: WriteSafetensorsOptions = {},
): Promise<Uint8Array> {
  if (path !== null && typeof path !== 'string') {
    throw new InvalidArgumentError(`writeSafetensors path must be a string or null, got ${typeof path}.`);
  }
  if (typeof tensors !== 'object' || tensors === null) {
    throw new InvalidArgumentError('writeSafetensors tensors must be a Map or a plain object of tf tensors / RawTensors.');
  }
  const items: Array<[string, unknown]> = tensors instanceof Map ? [...tensors.entries()] : Object.entries(tensors);
  const metadataEntries = validateMetadata(metadata);

  const dtypeOption = options.dtype;
  let globalTarget: SafetensorsDtype | undefined;
  let perTensor: Record<string, SafetensorsDtype> = {};
  if (typeof dtypeOption === 'string') {
    if (!FLOAT_TARGETS.includes(dtypeOption)) {
      throw new InvalidArgumentError(
        `writeSafetensors options.dtype ${JSON.stringify(dtypeOption)} must be one of ${FLOAT_TARGETS.join(', ')} (it applies to float32 tensors); use a per-name record for other targets.`,
      );
    }
    globalTarget = dtypeOption;
  } else if (dtypeOption !== undefined) {
    if (typeof dtypeOption !== 'object' || dtypeOption === null) {
      throw new InvalidArgumentError('writeSafetensors options.dtype must be a dtype string or a record of tensor name -> dtype.');
    }
    const names = new Set(items.map(([name]) => name));
    for (const [name, dtype] of Object.entries(dtypeOption)) {
      if (!names.has(name)) {
        throw new InvalidArgumentError(`writeSafetensors options.dtype names ${JSON.stringify(name)}, which is not among the tensors; check the spelling.`);
      }
      if (!isSafetensorsDtype(dtype)) {
        throw new InvalidArgumentError(`writeSafetensors options.dtype[${JSON.stringify(name)}] = ${JSON.stringify(dtype)} is not a safetensors dtype.`);
      }
    }
    perTensor = dtypeOption;
  }

  const prepared: Prepared[] = [];
  for (const [name, value] of items) {
    if (typeof name !== 'string' || !isWellFormedUnicode(name)) {
      throw new SafetensorsError(`Cannot write tensor ${JSON.stringify(name)}: its name must be a string without lone UTF-16 surrogates; rename it.`);
    }
    if (name === '__metadata__') {
      throw new SafetensorsError('Cannot write a tensor named "__metadata__": that key holds the file metadata; rename the tensor.');
    }
    const target = Object.prototype.hasOwnProperty.call(perTensor, name) ? perTensor[name] : undefined;
    if (isTfTensor(value)) {
      prepared.push(await prepareTfTensor(name, value, target ?? (value.dtype === 'float32' ? globalTarget : undefined)));
    } else if (isRawTensor(value)) {
      prepared.push(prepareRawTensor(name, value, target));
    } else {
      throw new SafetensorsError(`Cannot write tensor ${JSON.stringify(name)}: expected a tf.Tensor or a RawTensor { dtype, shape, data }, got ${typeof value}.`);
    }
  }

  const bytes = serialize(prepared, metadataEntries);
  if (path !== null) {
    const { writeFile } = await import('node:fs/promises');
    try {
      await writeFile(path, bytes);
    } catch (error) {
      throw new InvalidArgumentError(`Cannot write safetensors file "${path}": ${(error as Error).message}; check that the folder exists and is writable.`, {
        cause: error,
      });
    }
  }
  return bytes;
}

/** Lay out header and data exactly like the Rust `serialize`. */
function serialize(prepared: Prepared[], metadata: Array<[string, string]> | undefined): Uint8Array {
  // Descending dtype (enum order), then ascending name by UTF-8 bytes.
  prepared.sort((a, b) => dtypeRank(b.dtype) - dtypeRank(a.dtype) || compareUtf8(a.name, b.name));

  // serde_json escapes exactly what JSON.stringify escapes for well-formed strings:
  // '"', '\\', and control characters below U+0020 (\b \t \n \f \r, else \u00xx lowercase).
  const parts: string[] = [];
  if (metadata !== undefined) {
    parts.push(`"__metadata__":{${metadata.map(([k, v]) => `${JSON.stringify(k)}:${JSON.stringify(v)}`).join(',')}}`);
  }
  let offset = 0;
  for (const t of prepared) {
    const end = offset + t.bytes.length;
    parts.push(`${JSON.stringify(t.name)}:{"dtype":"${t.dtype}","shape":[${t.shape.join(',')}],"data_offsets":[${offset},${end}]}`);
    offset = end;
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const headerLength = Math.ceil(json.length / 8) * 8;
  if (headerLength > MAX_SAFETENSORS_HEADER_BYTES) {
    throw new SafetensorsError(
      `Cannot write safetensors: the header would be ${headerLength} bytes, over the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit readers enforce; shorten names or metadata, or split the checkpoint into shards.`,
    );
  }

  const out = new Uint8Array(8 + headerLength + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(headerLength), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + headerLength);
  let position = 8 + headerLength;
  for (const t of prepared) {
    out.set(t.bytes, position);
    position += t.bytes.length;
  }
  return out;
}
