/**
 * GPT-2's reversible byte-to-unicode mapping used by byte-level BPE
 * (Hugging Face `ByteLevel` pre-tokenizer / decoder): printable Latin-1 bytes map
 * to themselves, the other 68 bytes to U+0100 and up, so every token is a string
 * of visible characters.
 */

function buildByteToChar(): string[] {
  const chars: string[] = new Array(256);
  let next = 256;
  for (let b = 0; b < 256; b++) {
    const printable = (b >= 0x21 && b <= 0x7e) || (b >= 0xa1 && b <= 0xac) || (b >= 0xae && b <= 0xff);
    chars[b] = String.fromCharCode(printable ? b : next++);
  }
  return chars;
}

/** `BYTE_TO_CHAR[b]` is the one-character string byte `b` maps to. */
export const BYTE_TO_CHAR: readonly string[] = buildByteToChar();

/** Inverse of {@link BYTE_TO_CHAR}: UTF-16 code unit -> byte. */
export const CHAR_TO_BYTE: ReadonlyMap<number, number> = new Map(BYTE_TO_CHAR.map((c, b) => [c.charCodeAt(0), b]));

/**
 * The 256 bytes in the order their mapped characters sort by code point. This is
 * the order of GPT-2's `bytes_to_unicode()` list and of Hugging Face's BpeTrainer,
 * which sorts its initial alphabet by code point: `!`..`~`, `¡`..`¬`, `®`..`ÿ`,
 * then bytes 0x00..0x20, 0x7f..0xa0, 0xad.
 */
export const BYTES_IN_ALPHABET_ORDER: readonly number[] = Array.from({ length: 256 }, (_, b) => b).sort(
  (x, y) => BYTE_TO_CHAR[x]!.charCodeAt(0) - BYTE_TO_CHAR[y]!.charCodeAt(0),
);

/** Map a byte-level token string back to its bytes. Characters outside the mapping are encoded as UTF-8 (special tokens). */
export function byteLevelToBytes(token: string): Uint8Array {
  const out = new Uint8Array(token.length);
  for (let i = 0; i < token.length; i++) {
    const b = CHAR_TO_BYTE.get(token.charCodeAt(i));
    if (b === undefined) return new TextEncoder().encode(token);
    out[i] = b;
  }
  return out;
}

/** Map bytes to their byte-level string. */
export function bytesToByteLevel(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i++) s += BYTE_TO_CHAR[bytes[i]!]!;
  return s;
}
