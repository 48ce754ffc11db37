import { TokenizerFormatError } from '../errors.js';

/**
 * Rank data of a byte-level BPE encoding: the bytes of each token (as a "byte
 * string", one char per byte, char codes 0..255) and its rank, which is also its id.
 */
export interface ByteRanks {
  /** Token bytes as byte strings, indexed like `ranks`. */
  readonly tokens: string[];
  readonly ranks: number[];
}

const BASE64_VALUES = (() => {
  const table = new Int16Array(128).fill(-1);
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  for (let i = 0; i < alphabet.length; i++) table[alphabet.charCodeAt(i)] = i;
  table['-'.charCodeAt(0)] = 62; // base64url
  table['_'.charCodeAt(0)] = 63;
  return table;
})();

/** Decodes base64 (standard or url alphabet, padding optional) to a byte string; undefined when malformed. */
export function base64ToByteString(text: string): string | undefined {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 61 /* = */) end--;
  if (text.length - end > 2 || end % 4 === 1) return undefined;
  let out = '';
  let buffer = 0;
  let bits = 0;
  for (let i = 0; i < end; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? BASE64_VALUES[c] : -1;
    if (v < 0) return undefined;
    buffer = (buffer << 6) | v;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += String.fromCharCode((buffer >> bits) & 0xff);
    }
  }
  return out;
}

/**
 * Parses js-tiktoken's compact rank format: lines `! <firstRank> <base64> <base64> ...`,
 * where consecutive tokens on a line have consecutive ranks.
 * @throws TokenizerFormatError (`tokenizer_format`) on a malformed line or token.
 */
export function parseCompactRanks(data: string): ByteRanks {
  const tokens: string[] = [];
  const ranks: number[] = [];
  const lines = data.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l];
    if (line === '') continue;
    const fields = line.split(' ');
    const first = Number(fields[1]);
    if (fields.length < 2 || !Number.isInteger(first) || first < 0) {
      throw new TokenizerFormatError(`Malformed compact rank line ${l + 1}: expected "! <rank> <base64>...".`, `bpe_ranks.line${l + 1}`);
    }
    for (let i = 2; i < fields.length; i++) {
      const bytes = base64ToByteString(fields[i]);
      if (bytes === undefined || bytes.length === 0) {
        throw new TokenizerFormatError(
          `Malformed base64 token ${JSON.stringify(fields[i])} on compact rank line ${l + 1}.`,
          `bpe_ranks.line${l + 1}`
        );
      }
      tokens.push(bytes);
      ranks.push(first + i - 2);
    }
  }
  return { tokens, ranks };
}

/**
 * Parses a `.tiktoken` rank file (the format tiktoken loads from
 * `openaipublic.blob.core.windows.net`): one `<base64 token> <rank>` per line.
 * @throws TokenizerFormatError (`tokenizer_format`, path `line<N>`) on a malformed line.
 * @example
 * const ranks = parseTiktokenBpeFile(readFileSync('cl100k_base.tiktoken', 'utf8'));
 */
export function parseTiktokenBpeFile(text: string): Array<[Uint8Array, number]> {
  const out: Array<[Uint8Array, number]> = [];
  const { tokens, ranks } = parseTiktokenBpeFileToByteRanks(text);
  for (let i = 0; i < tokens.length; i++) out.push([byteStringToBytes(tokens[i]), ranks[i]]);
  return out;
}

/** Like {@link parseTiktokenBpeFile}, returning byte strings. */
export function parseTiktokenBpeFileToByteRanks(text: string): ByteRanks {
  const tokens: string[] = [];
  const ranks: number[] = [];
  const lines = text.split('\n');
  for (let l = 0; l < lines.length; l++) {
    const line = lines[l].trim();
    if (line === '') continue;
    const space = line.indexOf(' ');
    const rankText = space < 0 ? '' : line.slice(space + 1).trim();
    const rank = rankText === '' ? NaN : Number(rankText);
    const bytes = space < 0 ? undefined : base64ToByteString(line.slice(0, space));
    if (bytes === undefined || bytes.length === 0 || !Number.isInteger(rank) || rank < 0) {
      throw new TokenizerFormatError(
        `Malformed .tiktoken line ${l + 1}: expected "<base64 token> <rank>", got ${JSON.stringify(line.slice(0, 80))}.`,
        `line${l + 1}`
      );
    }
    tokens.push(bytes);
    ranks.push(rank);
  }
  return { tokens, ranks };
}

/** Bytes to a byte string (char code = byte). */
export function bytesToByteString(bytes: ArrayLike<number>): string {
  let out = '';
  const CHUNK = 8192;
  for (let i = 0; i < bytes.length; i += CHUNK) {
    out += String.fromCharCode.apply(null, Array.prototype.slice.call(bytes, i, i + CHUNK) as number[]);
  }
  return out;
}

/** A byte string to bytes. */
export function byteStringToBytes(text: string): Uint8Array {
  const out = new Uint8Array(text.length);
  for (let i = 0; i < text.length; i++) out[i] = text.charCodeAt(i);
  return out;
}

/**
 * UTF-8 encodes `text` into a byte string (lone surrogates become U+FFFD, like TextEncoder).
 * Returns `text` itself when it is ASCII.
 */
export function utf8ByteString(text: string): string {
  const n = text.length;
  let i = 0;
  while (i < n && text.charCodeAt(i) < 0x80) i++;
  if (i === n) return text;
  const codes: number[] = [];
  for (let k = 0; k < i; k++) codes.push(text.charCodeAt(k));
  for (; i < n; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) codes.push(c);
    else if (c < 0x800) codes.push(0xc0 | (c >> 6), 0x80 | (c & 63));
    else if (c >= 0xd800 && c <= 0xdfff) {
      const d = i + 1 < n ? text.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && d >= 0xdc00 && d <= 0xdfff) {
        c = 0x10000 + ((c - 0xd800) << 10) + (d - 0xdc00);
        i++;
        codes.push(0xf0 | (c >> 18), 0x80 | ((c >> 12) & 63), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
      } else codes.push(0xef, 0xbf, 0xbd);
    } else codes.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 63), 0x80 | (c & 63));
  }
  return bytesToByteString(codes);
}

/**
 * Decodes a byte string as strict UTF-8; undefined when it is not valid UTF-8
 * (a token that splits a multi-byte character).
 */
export function decodeUtf8Strict(bytes: string): string | undefined {
  const n = bytes.length;
  let i = 0;
  while (i < n && bytes.charCodeAt(i) < 0x80) i++;
  if (i === n) return bytes;
  let out = bytes.slice(0, i);
  while (i < n) {
    const b0 = bytes.charCodeAt(i);
    if (b0 < 0x80) {
      out += bytes[i++];
      continue;
    }
    let need: number;
    let cp: number;
    let min: number;
    if (b0 >= 0xc2 && b0 <= 0xdf) {
      need = 1;
      cp = b0 & 0x1f;
      min = 0x80;
    } else if (b0 >= 0xe0 && b0 <= 0xef) {
      need = 2;
      cp = b0 & 0x0f;
      min = 0x800;
    } else if (b0 >= 0xf0 && b0 <= 0xf4) {
      need = 3;
      cp = b0 & 0x07;
      min = 0x10000;
    } else return undefined;
    if (i + need >= n) return undefined;
    for (let k = 1; k <= need; k++) {
      const b = bytes.charCodeAt(i + k);
      if ((b & 0xc0) !== 0x80) return undefined;
      cp = (cp << 6) | (b & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return undefined;
    out += String.fromCodePoint(cp);
    i += need + 1;
  }
  return out;
}
