/** GPT-2's byte <-> printable-char table used by ByteLevel pre-tokenizer and decoder. */
export const BYTE_TO_CHAR: string[] = [];
export const CHAR_TO_BYTE = new Map<number, number>();
{
  const bs: number[] = [];
  for (let b = 33; b <= 126; b++) bs.push(b);
  for (let b = 161; b <= 172; b++) bs.push(b);
  for (let b = 174; b <= 255; b++) bs.push(b);
  const cs = bs.slice();
  let n = 0;
  for (let b = 0; b < 256; b++) {
    if (!bs.includes(b)) {
      bs.push(b);
      cs.push(256 + n);
      n++;
    }
  }
  for (let k = 0; k < bs.length; k++) {
    BYTE_TO_CHAR[bs[k]!] = String.fromCharCode(cs[k]!);
    CHAR_TO_BYTE.set(cs[k]!, bs[k]!);
  }
}

/** Map text to byte-level chars; `unitOf` receives, per output char, the input unit index of its code point. */
export function toByteLevel(text: string, unitOf: number[] | null): string {
  let out = '';
  for (let i = 0; i < text.length; i++) {
    let cp = text.charCodeAt(i);
    const start = i;
    if (cp < 0x80) {
      out += BYTE_TO_CHAR[cp]!;
      unitOf?.push(start);
      continue;
    }
    if (cp >= 0xd800 && cp < 0xdc00 && i + 1 < text.length) {
      const lo = text.charCodeAt(i + 1);
      if (lo >= 0xdc00 && lo < 0xe000) {
        cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
        i++;
      }
    } else if (cp >= 0xd800 && cp < 0xe000) {
      cp = 0xfffd;
    }
    let s: string;
    if (cp < 0x800) {
      s = BYTE_TO_CHAR[0xc0 | (cp >> 6)]! + BYTE_TO_CHAR[0x80 | (cp & 63)]!;
    } else if (cp < 0x10000) {
      s = BYTE_TO_CHAR[0xe0 | (cp >> 12)]! + BYTE_TO_CHAR[0x80 | ((cp >> 6) & 63)]! + BYTE_TO_CHAR[0x80 | (cp & 63)]!;
    } else {
      s =
        BYTE_TO_CHAR[0xf0 | (cp >> 18)]! +
        BYTE_TO_CHAR[0x80 | ((cp >> 12) & 63)]! +
        BYTE_TO_CHAR[0x80 | ((cp >> 6) & 63)]! +
        BYTE_TO_CHAR[0x80 | (cp & 63)]!;
    }
    out += s;
    if (unitOf) for (let k = 0; k < s.length; k++) unitOf.push(start);
  }
  return out;
}
