/**
 * Hand-written pre-tokenizers for ASCII text, equivalent to the tiktoken patterns
 * (`TIKTOKEN_PATTERNS.r50k`, `.cl100k`, `.o200k`) wherever they decide.
 *
 * A scanner returns the end of the piece that starts at `pos`, or -1 when deciding would
 * require looking at a non-ASCII character (a Unicode letter, digit, space or mark could
 * change the piece); the caller then runs the real regex (sticky) at `pos`. Because these
 * patterns match every character, consecutive pieces start where the previous one ended, so
 * mixing the scanner and the regex gives exactly the regex's pieces. Tested against the
 * regex on random text (test/tiktoken-scanner.test.ts).
 */

/** Returns the end (exclusive) of the piece starting at `pos`, or -1 to defer to the regex. */
export type AsciiScanner = (text: string, pos: number, n: number) => number;

const UPPER = 1;
const LOWER = 2;
const DIGIT = 4;
const SPACE = 8; // Unicode White_Space within ASCII: \t \n \v \f \r and ' '
const NEWLINE = 16; // \r \n
const OTHER = 32; // not a letter, digit or space: punctuation, symbols, controls
const LETTER = UPPER | LOWER;

const CLASS = (() => {
  const table = new Uint8Array(128);
  for (let c = 0; c < 128; c++) {
    if (c >= 65 && c <= 90) table[c] = UPPER;
    else if (c >= 97 && c <= 122) table[c] = LOWER;
    else if (c >= 48 && c <= 57) table[c] = DIGIT;
    else if ((c >= 9 && c <= 13) || c === 32) table[c] = c === 10 || c === 13 ? SPACE | NEWLINE : SPACE;
    else table[c] = OTHER;
  }
  return table;
})();

const APOSTROPHE = 39;
const NON_ASCII = 256; // class marker for "unknown"

/** Class bits of the char at i (0 past the end, NON_ASCII for non-ASCII). */
function classAt(text: string, i: number, n: number): number {
  if (i >= n) return 0;
  const c = text.charCodeAt(i);
  return c < 128 ? CLASS[c] : NON_ASCII;
}

/** End of a run of chars whose class has one of `bits`, or -1 if the run reaches a non-ASCII char. */
function runOf(text: string, i: number, n: number, bits: number): number {
  while (i < n) {
    const c = text.charCodeAt(i);
    if (c >= 128) return -1;
    if ((CLASS[c] & bits) === 0) return i;
    i++;
  }
  return n;
}

/** Whitespace alternatives `\s*[\r\n]+|\s+(?!\S)|\s+` (withNewlineRule false: `\s+(?!\S)|\s+` only). */
function whitespace(text: string, pos: number, n: number, withNewlineRule: boolean): number {
  let e = pos;
  let lastNewline = -1;
  while (e < n) {
    const c = text.charCodeAt(e);
    if (c >= 128) return -1; // a Unicode space could extend the run
    const k = CLASS[c];
    if ((k & SPACE) === 0) break;
    if (k & NEWLINE) lastNewline = e;
    e++;
  }
  if (withNewlineRule && lastNewline >= 0) return lastNewline + 1;
  if (e === n) return e;
  return e - pos >= 2 ? e - 1 : e;
}

/** Lower-case ASCII of c when a letter, else 0. */
function lowerLetter(c: number): number {
  return c < 128 && CLASS[c] & LETTER ? c | 32 : 0;
}

/**
 * Length (0, 2 or 3) of a contraction `'s|'t|'re|'ve|'m|'ll|'d` at i (which holds the apostrophe),
 * or -1 to defer. `caseInsensitive` follows `(?i:...)`, where `s` also matches U+017F.
 */
function contraction(text: string, i: number, n: number, caseInsensitive: boolean): number {
  if (i + 1 >= n) return 0;
  const c1 = text.charCodeAt(i + 1);
  if (c1 >= 128) return caseInsensitive ? -1 : 0;
  const l1 = caseInsensitive ? lowerLetter(c1) : c1;
  if (l1 === 115 || l1 === 116 || l1 === 109 || l1 === 100) return 2; // s t m d
  if (l1 === 114 || l1 === 118 || l1 === 108) {
    // r v l
    if (i + 2 >= n) return 0;
    const c2 = text.charCodeAt(i + 2);
    const l2 = caseInsensitive ? lowerLetter(c2) : c2;
    if ((l1 === 108 && l2 === 108) || (l1 !== 108 && l2 === 101)) return 3;
  }
  return 0;
}

/** gpt2 / r50k / p50k: `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` */
export const scanR50k: AsciiScanner = (text, pos, n) => {
  const c = text.charCodeAt(pos);
  if (c >= 128) return -1;
  const k = CLASS[c];
  if (c === APOSTROPHE) {
    const len = contraction(text, pos, n, false);
    if (len > 0) return pos + len;
  }
  let start = pos;
  let kind = k;
  if (c === 32) {
    const k1 = classAt(text, pos + 1, n);
    if (k1 === NON_ASCII) return -1;
    if (k1 & (LETTER | DIGIT | OTHER)) {
      start = pos + 1;
      kind = k1;
    }
  }
  if (kind & LETTER) return runOf(text, start + 1, n, LETTER);
  if (kind & DIGIT) return runOf(text, start + 1, n, DIGIT);
  if (kind & OTHER) return runOf(text, start + 1, n, OTHER);
  return whitespace(text, pos, n, false);
};

/** `\p{N}{1,3}` from an ASCII digit at `pos`: end of the run, or -1 when a non-ASCII char follows (the regex decides then). */
function digitRun(text: string, pos: number, n: number): number {
  const limit = Math.min(pos + 3, n);
  let e = pos + 1;
  while (e < limit) {
    const d = text.charCodeAt(e);
    if (d >= 128) return -1;
    if ((CLASS[d] & DIGIT) === 0) return e;
    e++;
  }
  return e;
}

/** cl100k: `(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+` */
export const scanCl100k: AsciiScanner = (text, pos, n) => {
  const c = text.charCodeAt(pos);
  if (c >= 128) return -1;
  const k = CLASS[c];
  if (k & LETTER) return runOf(text, pos + 1, n, LETTER);
  if (k & DIGIT) return digitRun(text, pos, n);
  if (c === APOSTROPHE) {
    const len = contraction(text, pos, n, true);
    if (len < 0) return -1;
    if (len > 0) return pos + len;
  }
  // [^\r\n\p{L}\p{N}]?\p{L}+ with a prefix
  const k1 = classAt(text, pos + 1, n);
  if (k1 === NON_ASCII) return -1;
  if ((k & NEWLINE) === 0 && k1 & LETTER) return runOf(text, pos + 2, n, LETTER);
  // ' ?[^\s\p{L}\p{N}]+[\r\n]*'
  let e = -2;
  if (k & OTHER) e = runOf(text, pos + 1, n, OTHER);
  else if (c === 32 && k1 & OTHER) e = runOf(text, pos + 2, n, OTHER);
  if (e === -1) return -1;
  if (e >= 0) {
    while (e < n) {
      const d = text.charCodeAt(e);
      if (d !== 10 && d !== 13) break;
      e++;
    }
    return e;
  }
  return whitespace(text, pos, n, true);
};

/** Letters of o200k from `at`: `[Lu...]*[Ll...]+` or `[Lu...]+[Ll...]*`, then an optional contraction. */
function o200kLetters(text: string, at: number, n: number): number {
  let e = at;
  while (e < n) {
    const c = text.charCodeAt(e);
    if (c >= 128) return -1;
    if ((CLASS[c] & UPPER) === 0) break;
    e++;
  }
  while (e < n) {
    const c = text.charCodeAt(e);
    if (c >= 128) return -1;
    if ((CLASS[c] & LOWER) === 0) break;
    e++;
  }
  if (e < n && text.charCodeAt(e) === APOSTROPHE) {
    const len = contraction(text, e, n, true);
    if (len < 0) return -1;
    e += len;
  }
  return e;
}

/** o200k (see TIKTOKEN_PATTERNS.o200k). */
export const scanO200k: AsciiScanner = (text, pos, n) => {
  const c = text.charCodeAt(pos);
  if (c >= 128) return -1;
  const k = CLASS[c];
  if (k & LETTER) return o200kLetters(text, pos, n);
  if (k & DIGIT) return digitRun(text, pos, n);
  const k1 = classAt(text, pos + 1, n);
  if (k1 === NON_ASCII) return -1;
  if ((k & NEWLINE) === 0 && k1 & LETTER) return o200kLetters(text, pos + 1, n);
  // ' ?[^\s\p{L}\p{N}]+[\r\n/]*'
  let e = -2;
  if (k & OTHER) e = runOf(text, pos + 1, n, OTHER);
  else if (c === 32 && k1 & OTHER) e = runOf(text, pos + 2, n, OTHER);
  if (e === -1) return -1;
  if (e >= 0) {
    while (e < n) {
      const d = text.charCodeAt(e);
      if (d !== 10 && d !== 13 && d !== 47) break;
      e++;
    }
    return e;
  }
  return whitespace(text, pos, n, true);
};
