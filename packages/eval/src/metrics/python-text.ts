/**
 * Python string semantics the reference metrics depend on: `str.split()` (Unicode whitespace as
 * CPython's `str.isspace` defines it, which differs from JavaScript's `\s`), `str.strip()`, and
 * code-point indexing (`len`, slicing) instead of UTF-16 units.
 */

/**
 * Characters CPython's `str.isspace()` accepts: JavaScript's `\s` minus U+FEFF plus the
 * information separators U+001C..U+001F and U+0085 (NEL).
 */
export const PY_WHITESPACE_CLASS = '\\t\\n\\v\\f\\r\\x1c-\\x20\\x85\\xa0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000';

const PY_WS_RUN = new RegExp(`[${PY_WHITESPACE_CLASS}]+`, 'u');
const PY_WS_RUN_G = new RegExp(`[${PY_WHITESPACE_CLASS}]+`, 'gu');
const PY_WS_LEFT = new RegExp(`^[${PY_WHITESPACE_CLASS}]+`, 'u');
const PY_WS_RIGHT = new RegExp(`[${PY_WHITESPACE_CLASS}]+$`, 'u');
const ASCII_SPACE_ONLY = /^(?:[\x21-\x7e]+(?: [\x21-\x7e]+)*)?$/;

/** Python's `text.split()` (no argument): split on runs of whitespace, no empty pieces. */
export function pySplit(text: string): string[] {
  // Fast path: already single-space separated printable ASCII (the usual tokenizer output).
  if (ASCII_SPACE_ONLY.test(text)) return text.length === 0 ? [] : text.split(' ');
  const parts = text.split(PY_WS_RUN);
  let start = 0;
  let end = parts.length;
  if (end > 0 && parts[0] === '') start = 1;
  if (end > start && parts[end - 1] === '') end -= 1;
  return start === 0 && end === parts.length ? parts : parts.slice(start, end);
}

/** Python's `' '.join(text.split())`: collapse whitespace runs to one space and trim. */
export function pyCollapseWhitespace(text: string): string {
  return pySplit(text).join(' ');
}

/** Python's `text.rstrip()`. */
export function pyRstrip(text: string): string {
  return text.replace(PY_WS_RIGHT, '');
}

/** Python's `text.strip()`. */
export function pyStrip(text: string): string {
  return text.replace(PY_WS_LEFT, '').replace(PY_WS_RIGHT, '');
}

/** Python's `re.split(r'\s+', text)`: keeps the empty first/last pieces around leading/trailing whitespace. */
export function pyRegexSplitWhitespace(text: string): string[] {
  return text.split(PY_WS_RUN_G);
}

/** Python's `len(text)`: the number of Unicode code points. */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** True when `text` has no UTF-16 surrogate (then code-point and UTF-16 indexing agree). */
export function isBmpOnly(text: string): boolean {
  return !/[\ud800-\udfff]/.test(text);
}
