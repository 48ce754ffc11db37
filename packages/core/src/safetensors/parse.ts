import { SafetensorsError } from '../errors/index.js';
import { byteLengthOf, isSafetensorsDtype, type SafetensorsDtype } from './dtypes.js';
import { describeJson, JsonNumber, JsonSyntaxError, parseStrictJson, type JsonValue } from './header-json.js';

/** Largest header the reader accepts, in bytes (the Rust library's `MAX_HEADER_SIZE`). */
export const MAX_SAFETENSORS_HEADER_BYTES = 100_000_000;

/** Where a tensor's bytes lie, as declared in the header. */
export interface SafetensorsTensorInfo {
  dtype: SafetensorsDtype;
  /** Dimensions, outermost first; `[]` for a scalar. */
  shape: number[];
  /** `[begin, end)` byte offsets relative to the start of the data section. */
  dataOffsets: [number, number];
}

/** The parsed and validated header of a safetensors file. */
export interface SafetensorsHeader {
  /** Tensors in data-section order (ascending offsets), which is the order writers laid them out. */
  tensors: Map<string, SafetensorsTensorInfo>;
  /** The `__metadata__` string map (empty when absent). */
  metadata: Record<string, string>;
  /** Whether the header had a `__metadata__` entry at all (an empty one counts). */
  hasMetadata: boolean;
  /** Length of the JSON header in bytes, as stored in the first 8 bytes (padding included). */
  headerLength: number;
  /** Byte offset of the data section in the file: `8 + headerLength`. */
  dataStart: number;
  /** Total file length the header was validated against: `dataStart + data section length`. */
  fileLength: number;
}

/** A tensor's raw bytes, as stored: little-endian, row-major (C order). */
export interface SafetensorsEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  /** Zero-copy view into the parsed bytes. Copy it before mutating or keeping it past the source buffer's life. */
  data: Uint8Array;
}

/** A parsed safetensors file: raw tensor views plus metadata. */
export interface SafetensorsFile {
  /** Tensors in data-section order. Every entry is also a valid `RawTensor` for `writeSafetensors`. */
  tensors: Map<string, SafetensorsEntry>;
  metadata: Record<string, string>;
  /** The validated header (offsets, header length, ...). */
  header: SafetensorsHeader;
}

/** Options shared by the parsing functions. */
export interface ParseSafetensorsOptions {
  /** Name of the input used in error messages (a file path). Default `'buffer'`. */
  source?: string;
}

/** Options of {@link readSafetensorsHeader}. */
export interface ReadSafetensorsHeaderOptions extends ParseSafetensorsOptions {
  /**
   * Length of the whole file, when `bytes` holds only its beginning (lazy
   * loading: read 8 bytes, then the header). Default `bytes.length`.
   */
  fileLength?: number;
}

const FIX_CORRUPT = 're-export the file (e.g. with safetensors.torch.save_file or writeSafetensors), or re-download it if it was truncated';

function fail(source: string, problem: string, fix: string = FIX_CORRUPT, cause?: unknown): never {
  throw new SafetensorsError(`Invalid safetensors ${source === 'buffer' ? 'buffer' : `file "${source}"`}: ${problem}; ${fix}.`, {
    cause,
  });
}

function tensorLabel(name: string): string {
  return `tensor ${JSON.stringify(name)}`;
}

/**
 * Length in bytes of the JSON header announced by the first 8 bytes of a
 * safetensors file (little-endian u64).
 *
 * @throws {SafetensorsError} `safetensors_format` when fewer than 8 bytes are
 *   given or the length exceeds {@link MAX_SAFETENSORS_HEADER_BYTES}.
 * @example
 * const prefix = new Uint8Array(8); // first 8 bytes of a file
 * const n = safetensorsHeaderLength(prefix); // then read bytes 8 .. 8 + n
 */
export function safetensorsHeaderLength(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): number {
  const source = options.source ?? 'buffer';
  if (!(bytes instanceof Uint8Array)) {
    fail(source, `expected a Uint8Array, got ${bytes === null ? 'null' : typeof bytes}`, 'pass the file contents as bytes');
  }
  if (bytes.length < 8) {
    fail(source, `it is ${bytes.length} bytes long, shorter than the 8-byte header length prefix`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, 8);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(MAX_SAFETENSORS_HEADER_BYTES)) {
    fail(
      source,
      `the header length prefix says ${n} bytes, more than the ${MAX_SAFETENSORS_HEADER_BYTES}-byte limit (is this a safetensors file?)`,
      'check that the input is a .safetensors file; the first 8 bytes must be the little-endian length of the JSON header',
    );
  }
  return Number(n);
}

function asIndex(value: JsonValue | undefined): number | undefined {
  return value instanceof JsonNumber && value.isIndex() ? value.value : undefined;
}

/**
 * Parse and validate the header of a safetensors file without touching the
 * tensor data: the length prefix, the JSON, every tensor's dtype, shape and
 * offsets, and that the offsets cover the data section exactly (no gaps, no
 * overlaps), as the Rust library requires. Use it for lazy loading: pass the
 * first `8 + headerLength` bytes and the total `fileLength`.
 *
 * @throws {SafetensorsError} `safetensors_format` for a short input, an
 *   oversized or truncated header, invalid UTF-8 or JSON, a non-object header,
 *   `__metadata__` that is not a string-to-string object, duplicate names, an
 *   unknown dtype, a bad shape, or offsets that are out of range, overlap,
 *   leave gaps, or disagree with dtype and shape.
 * @example
 * const fd = await fs.open(path);
 * const prefix = Buffer.alloc(8);
 * await fd.read(prefix, 0, 8, 0);
 * const head = Buffer.alloc(8 + safetensorsHeaderLength(prefix));
 * await fd.read(head, 0, head.length, 0);
 * const header = readSafetensorsHeader(head, { source: path, fileLength: (await fd.stat()).size });
 * for (const [name, info] of header.tensors) console.log(name, info.dtype, info.shape);
 */
export function readSafetensorsHeader(bytes: Uint8Array, options: ReadSafetensorsHeaderOptions = {}): SafetensorsHeader {
  const source = options.source ?? 'buffer';
  const headerLength = safetensorsHeaderLength(bytes, options);
  const fileLength = options.fileLength ?? bytes.length;
  if (!Number.isSafeInteger(fileLength) || fileLength < 0) {
    fail(source, `options.fileLength ${String(fileLength)} is not a non-negative integer`, 'pass the total file size in bytes');
  }
  const dataStart = 8 + headerLength;
  if (dataStart > bytes.length || dataStart > fileLength) {
    fail(
      source,
      `the header length prefix says ${headerLength} bytes, but only ${Math.min(bytes.length, fileLength) - 8} bytes follow the prefix`,
      options.fileLength === undefined ? FIX_CORRUPT : `${FIX_CORRUPT}; for lazy loading pass at least the first 8 + ${headerLength} bytes`,
    );
  }

  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes.subarray(8, dataStart));
  } catch (error) {
    return fail(source, 'the header is not valid UTF-8', FIX_CORRUPT, error);
  }
  let root: JsonValue;
  try {
    root = parseStrictJson(text);
  } catch (error) {
    if (!(error instanceof JsonSyntaxError)) throw error;
    if (error.duplicateKey !== undefined) {
      return fail(
        source,
        `the name ${JSON.stringify(error.duplicateKey)} appears more than once in the header (${error.message})`,
        'give every tensor a unique name; a JSON reader would silently keep only the last one',
        error,
      );
    }
    return fail(source, `the header is not valid JSON (${error.message})`, FIX_CORRUPT, error);
  }
  if (!(root instanceof Map)) {
    fail(source, `the header must be a JSON object, found ${describeJson(root)}`);
  }

  const metadata: Record<string, string> = {};
  let hasMetadata = false;
  const entries: Array<[string, SafetensorsTensorInfo]> = [];
  for (const [name, value] of root) {
    if (name === '__metadata__') {
      hasMetadata = true;
      if (!(value instanceof Map)) {
        fail(source, `__metadata__ must be an object of strings, found ${describeJson(value)}`, 'store metadata as a string-to-string map (JSON-encode other values)');
      }
      for (const [key, item] of value) {
        if (typeof item !== 'string') {
          fail(
            source,
            `__metadata__ value ${JSON.stringify(key)} is ${describeJson(item)}, but metadata values must be strings`,
            'store metadata as a string-to-string map (JSON-encode other values)',
          );
        }
        metadata[key] = item;
      }
      continue;
    }
    const label = tensorLabel(name);
    if (!(value instanceof Map)) fail(source, `${label} must be described by an object, found ${describeJson(value)}`);
    const dtype = value.get('dtype');
    if (typeof dtype !== 'string') fail(source, `${label} has no string "dtype" (found ${dtype === undefined ? 'nothing' : describeJson(dtype)})`);
    if (!isSafetensorsDtype(dtype)) {
      fail(
        source,
        `${label} has unknown dtype ${JSON.stringify(dtype)}`,
        'use one of the safetensors dtypes (F32, F16, BF16, F64, I8..I64, U8..U64, BOOL, F8_*, C64); the file may come from a newer safetensors version',
      );
    }
    const shapeValue = value.get('shape');
    if (!Array.isArray(shapeValue)) fail(source, `${label} has no "shape" array (found ${shapeValue === undefined ? 'nothing' : describeJson(shapeValue)})`);
    const shape: number[] = [];
    for (const dim of shapeValue) {
      const size = asIndex(dim);
      if (size === undefined) {
        fail(source, `${label} has a bad shape: dimension ${describeJson(dim)} is not a non-negative integer`);
      }
      shape.push(size);
    }
    const offsetsValue = value.get('data_offsets');
    const begin = Array.isArray(offsetsValue) && offsetsValue.length === 2 ? asIndex(offsetsValue[0]) : undefined;
    const end = Array.isArray(offsetsValue) && offsetsValue.length === 2 ? asIndex(offsetsValue[1]) : undefined;
    if (begin === undefined || end === undefined) {
      fail(
        source,
        `${label} needs "data_offsets" as [begin, end] non-negative integers, found ${offsetsValue === undefined ? 'nothing' : describeJson(offsetsValue)}`,
      );
    }
    entries.push([name, { dtype, shape, dataOffsets: [begin, end] }]);
  }

  const dataLength = fileLength - dataStart;
  for (const [name, info] of entries) {
    const label = tensorLabel(name);
    const [begin, end] = info.dataOffsets;
    if (end < begin) fail(source, `${label} has data_offsets [${begin}, ${end}] with end before begin`);
    if (end > dataLength) {
      fail(source, `${label} has data_offsets [${begin}, ${end}] past the end of the data section (${dataLength} bytes)`);
    }
    let numel = 1;
    for (const dim of info.shape) numel *= dim;
    const expected = byteLengthOf(info.dtype, numel);
    if (expected === undefined) {
      fail(source, `${label} with dtype ${info.dtype} and shape [${info.shape.join(', ')}] does not fill a whole number of bytes (or is too large)`);
    }
    if (expected !== end - begin) {
      fail(
        source,
        `${label} has ${end - begin} bytes (data_offsets [${begin}, ${end}]) but dtype ${info.dtype} with shape [${info.shape.join(', ')}] needs ${expected}`,
      );
    }
  }

  // The Rust library sorts by offsets and requires each tensor to start where the previous one ended.
  entries.sort((a, b) => a[1].dataOffsets[0] - b[1].dataOffsets[0] || a[1].dataOffsets[1] - b[1].dataOffsets[1]);
  let covered = 0;
  let previous: string | undefined;
  for (const [name, info] of entries) {
    const [begin] = info.dataOffsets;
    if (begin < covered) {
      fail(source, `${tensorLabel(name)} (data_offsets [${begin}, ${info.dataOffsets[1]}]) overlaps ${tensorLabel(previous ?? '')} which ends at ${covered}`);
    }
    if (begin > covered) {
      fail(
        source,
        `bytes ${covered}..${begin} of the data section belong to no tensor (gap before ${tensorLabel(name)}); safetensors requires the tensors to cover the data exactly`,
      );
    }
    covered = info.dataOffsets[1];
    previous = name;
  }
  if (covered !== dataLength) {
    fail(
      source,
      `the tensors cover ${covered} bytes but the data section has ${dataLength} (${dataLength > covered ? 'trailing bytes belong to no tensor' : 'data is missing'}); safetensors requires the tensors to cover the data exactly`,
    );
  }

  return { tensors: new Map(entries), metadata, hasMetadata, headerLength, dataStart, fileLength };
}

/**
 * Parse a whole safetensors file into zero-copy views of each tensor's raw
 * little-endian bytes, after full validation (see {@link readSafetensorsHeader}).
 * Works for every dtype, including those `readSafetensors` cannot turn into tf
 * tensors (I64 beyond int32, U64, F8_*, C64, ...).
 *
 * @throws {SafetensorsError} `safetensors_format` when the bytes are not a valid safetensors file.
 * @example
 * const file = parseSafetensors(bytes);
 * const ids = file.tensors.get('input_ids')!; // { dtype: 'I64', shape: [1, 8], data: Uint8Array(64) }
 * const values = new BigInt64Array(ids.data.slice().buffer);
 */
export function parseSafetensors(bytes: Uint8Array, options: ParseSafetensorsOptions = {}): SafetensorsFile {
  const header = readSafetensorsHeader(bytes, { source: options.source });
  const tensors = new Map<string, SafetensorsEntry>();
  for (const [name, info] of header.tensors) {
    const [begin, end] = info.dataOffsets;
    tensors.set(name, {
      dtype: info.dtype,
      shape: info.shape,
      data: bytes.subarray(header.dataStart + begin, header.dataStart + end),
    });
  }
  return { tensors, metadata: header.metadata, header };
}
