/** Shared loader plumbing: byte decoding with BOM detection, source naming, metadata values. */
import iconv from 'iconv-lite';
import { LoaderError, type Document, type Metadata, type MetadataValue } from '../types.js';

/** Input of every parser: text, or raw bytes decoded with {@link decodeText}. */
export type LoaderInput = string | Uint8Array;

export interface LoaderCommonOptions {
  /** Shown in errors and stored as `metadata.source` (a path or URL). Default 'input'. */
  source?: string;
  /** For byte input: an encoding iconv-lite knows ('utf-8', 'latin1', 'windows-1252', 'utf-16le', 'shift_jis', ...). Default: from the BOM, else UTF-8 (strict). */
  encoding?: string;
  /** Extra metadata merged into every document. */
  metadata?: Metadata;
}

/**
 * Decode bytes: a byte-order mark (UTF-8, UTF-16 LE/BE) wins and is removed; otherwise `encoding`
 * through iconv-lite; otherwise strict UTF-8.
 * @throws LoaderError `invalid_encoding` for bytes that are not valid UTF-8 when no encoding is given,
 *   `unknown_encoding` for an encoding name iconv-lite does not know.
 */
export function decodeText(bytes: Uint8Array, options: { encoding?: string; source?: string } = {}): string {
  const source = options.source ?? 'input';
  if (bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) return new TextDecoder('utf-8').decode(bytes.subarray(3));
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16le');
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return iconv.decode(Buffer.from(bytes.subarray(2)), 'utf-16be');
  const encoding = options.encoding;
  if (encoding !== undefined && !/^utf-?8$/i.test(encoding)) {
    if (!iconv.encodingExists(encoding)) {
      throw new LoaderError('unknown_encoding', `${source}: unknown encoding ${JSON.stringify(encoding)}; use a name iconv-lite knows, e.g. 'latin1', 'windows-1252', 'utf-16le', 'shift_jis'.`);
    }
    return iconv.decode(Buffer.from(bytes), encoding);
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch (cause) {
    let at = 0;
    // Find the first bad byte for the message.
    for (let i = 1; i <= bytes.length; i++) {
      try {
        new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(0, i));
        at = i;
      } catch {
        if (i - at > 4) break;
      }
    }
    throw new LoaderError(
      'invalid_encoding',
      `${source}: not valid UTF-8 (first bad byte near offset ${at}); pass { encoding: 'latin1' } (or the file's real encoding, e.g. 'windows-1252', 'utf-16le').`,
      { cause },
    );
  }
}

export function inputText(input: LoaderInput, options: LoaderCommonOptions, where: string): string {
  if (typeof input === 'string') return input;
  if (input instanceof Uint8Array) return decodeText(input, { encoding: options.encoding, source: options.source });
  throw new LoaderError('invalid_input', `${where}: expected a string or bytes (Uint8Array/Buffer) for ${options.source ?? 'input'}; got ${input === null ? 'null' : typeof input}.`);
}

/** A JSON value as metadata (Dates become ISO strings, undefined/functions are dropped, bigint becomes a string). */
export function toMetadataValue(value: unknown): MetadataValue | undefined {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value === 'bigint') return value.toString();
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map((v) => toMetadataValue(v) ?? null);
  if (typeof value === 'object') {
    const out: Record<string, MetadataValue> = {};
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      const m = toMetadataValue(v);
      if (m !== undefined) out[k] = m;
    }
    return out;
  }
  return undefined;
}

export function makeDocument(id: string, text: string, metadata: Metadata): Document {
  return { id, text, metadata };
}
