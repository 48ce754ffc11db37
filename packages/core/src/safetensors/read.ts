import { tf } from '../tf.js';
import { InvalidArgumentError, SafetensorsError } from '../errors/index.js';
import type { SafetensorsDtype } from './dtypes.js';
import { hostOrderCopy } from './bytes.js';
import { decodeBfloat16, decodeFloat16 } from './float-conversion.js';
import { parseSafetensors, type SafetensorsEntry } from './parse.js';

/** Result of {@link readSafetensors}. */
export interface SafetensorsTensors {
  /** tf tensors in file order (float32, int32 or bool; see {@link readSafetensors}). The caller owns and disposes them. */
  tensors: Map<string, tf.Tensor>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
  /** Each tensor's dtype in the file, before conversion. */
  dtypes: Map<string, SafetensorsDtype>;
}

type Decoded = { values: Float32Array | Int32Array | Uint8Array; dtype: 'float32' | 'int32' | 'bool' };
type Decoder = (data: Uint8Array, name: string, source: string) => Decoded;

const INT32_MIN = -(2 ** 31);
const INT32_MAX = 2 ** 31 - 1;

function sourceLabel(source: string): string {
  return source === 'buffer' ? 'buffer' : `file "${source}"`;
}

function outOfInt32(name: string, dtype: SafetensorsDtype, value: bigint | number, source: string): never {
  throw new SafetensorsError(
    `Cannot read tensor ${JSON.stringify(name)} (${dtype}) of safetensors ${sourceLabel(source)} as int32: it holds ${value}, ` +
      `outside [${INT32_MIN}, ${INT32_MAX}]; tfjs has no 64-bit integers, so use parseSafetensors for the raw bytes ` +
      '(e.g. new BigInt64Array(entry.data.slice().buffer)) or store the tensor as I32 if its values fit.',
  );
}

function toInt32(values: ArrayLike<number>): Decoded {
  return { values: Int32Array.from(values), dtype: 'int32' };
}

/** How each dtype becomes tf data: a registry, so a new dtype is one entry. */
const DECODERS: Partial<Record<SafetensorsDtype, Decoder>> = {
  F32: (data) => ({ values: new Float32Array(hostOrderCopy(data, 4)), dtype: 'float32' }),
  F16: (data) => ({ values: decodeFloat16(new Uint16Array(hostOrderCopy(data, 2))), dtype: 'float32' }),
  BF16: (data) => ({ values: decodeBfloat16(new Uint16Array(hostOrderCopy(data, 2))), dtype: 'float32' }),
  // float64 -> float32 rounds to nearest even (typed-array assignment), as numpy's astype does.
  F64: (data) => ({ values: Float32Array.from(new Float64Array(hostOrderCopy(data, 8))), dtype: 'float32' }),
  I8: (data) => toInt32(new Int8Array(data.buffer, data.byteOffset, data.length)),
  U8: (data) => toInt32(data),
  I16: (data) => toInt32(new Int16Array(hostOrderCopy(data, 2))),
  U16: (data) => toInt32(new Uint16Array(hostOrderCopy(data, 2))),
  I32: (data) => ({ values: new Int32Array(hostOrderCopy(data, 4)), dtype: 'int32' }),
  U32: (data, name, source) => {
    const values = new Uint32Array(hostOrderCopy(data, 4));
    for (const v of values) if (v > INT32_MAX) outOfInt32(name, 'U32', v, source);
    return toInt32(values);
  },
  I64: (data, name, source) => {
    const values = new BigInt64Array(hostOrderCopy(data, 8));
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v < BigInt(INT32_MIN) || v > BigInt(INT32_MAX)) outOfInt32(name, 'I64', v, source);
      out[i] = Number(v);
    }
    return { values: out, dtype: 'int32' };
  },
  U64: (data, name, source) => {
    const values = new BigUint64Array(hostOrderCopy(data, 8));
    const out = new Int32Array(values.length);
    for (let i = 0; i < values.length; i++) {
      const v = values[i];
      if (v > BigInt(INT32_MAX)) outOfInt32(name, 'U64', v, source);
      out[i] = Number(v);
    }
    return { values: out, dtype: 'int32' };
  },
  BOOL: (data) => ({ values: Uint8Array.from(data, (b) => (b !== 0 ? 1 : 0)), dtype: 'bool' }),
};

/** Options of {@link readSafetensors}. */
export interface ReadSafetensorsOptions {
  /** Name of the input used in error messages when bytes are given. Default: the path, or `'buffer'`. */
  source?: string;
}

/**
 * Load a safetensors file (path) or buffer (bytes) into tf tensors.
 *
 * Conversions: F32, F16, BF16 and F64 become float32 (F16/BF16 exactly; F64
 * rounded to nearest even); I8, U8, I16, U16 and I32 become int32; I64, U64 and
 * U32 become int32 when every value fits, else the read fails (use
 * {@link parseSafetensors} for raw access); BOOL becomes bool. FP8, FP4/FP6 and
 * C64 tensors have no tf equivalent and must be read with `parseSafetensors`.
 * The caller owns the returned tensors and must dispose them.
 *
 * @throws {SafetensorsError} `safetensors_format` when the input is malformed
 *   (see {@link readSafetensorsHeader}), a tensor's values do not fit int32, or
 *   a dtype has no tf equivalent.
 * @throws {InvalidArgumentError} `invalid_argument` when the input is neither a path nor a Uint8Array, or the file cannot be read.
 * @example
 * const { tensors, metadata, dtypes } = await readSafetensors('model.safetensors');
 * const wte = tensors.get('transformer.wte.weight')!; // float32, even if stored as BF16
 * console.log(dtypes.get('transformer.wte.weight'), metadata.format);
 * tf.dispose([...tensors.values()]);
 */
export async function readSafetensors(pathOrBytes: string | Uint8Array, options: ReadSafetensorsOptions = {}): Promise<SafetensorsTensors> {
  let bytes: Uint8Array;
  let source: string;
  if (typeof pathOrBytes === 'string') {
    source = options.source ?? pathOrBytes;
    const { readFile } = await import('node:fs/promises');
    try {
      const buffer = await readFile(pathOrBytes);
      bytes = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength); // plain view, not a Buffer
    } catch (error) {
      throw new InvalidArgumentError(
        `Cannot read safetensors file "${pathOrBytes}": ${(error as Error).message}; check the path (relative paths resolve against ${process.cwd()}).`,
        { cause: error },
      );
    }
  } else if (pathOrBytes instanceof Uint8Array) {
    source = options.source ?? 'buffer';
    bytes = pathOrBytes;
  } else {
    throw new InvalidArgumentError(
      `readSafetensors expects a file path or a Uint8Array, got ${pathOrBytes === null ? 'null' : typeof pathOrBytes}; pass the path or the file's bytes.`,
    );
  }

  const file = parseSafetensors(bytes, { source });
  const tensors = new Map<string, tf.Tensor>();
  const dtypes = new Map<string, SafetensorsDtype>();
  try {
    for (const [name, entry] of file.tensors) {
      const decoded = decodeEntry(name, entry, source);
      tensors.set(name, tf.tensor(decoded.values, entry.shape, decoded.dtype));
      dtypes.set(name, entry.dtype);
    }
  } catch (error) {
    tf.dispose([...tensors.values()]);
    throw error;
  }
  return { tensors, metadata: file.metadata, dtypes };
}

function decodeEntry(name: string, entry: SafetensorsEntry, source: string): Decoded {
  const decoder = DECODERS[entry.dtype];
  if (decoder === undefined) {
    throw new SafetensorsError(
      `Cannot read tensor ${JSON.stringify(name)} of safetensors ${sourceLabel(source)} as a tf tensor: dtype ${entry.dtype} has no tfjs equivalent; ` +
        'use parseSafetensors to get its raw bytes and decode them yourself.',
    );
  }
  return decoder(entry.data, name, source);
}
