import { TokenizerFormatError } from '../errors.js';

/**
 * Pre-tokenization patterns of the OpenAI encodings, exactly as tiktoken defines
 * them (Rust `regex`/`fancy-regex` syntax). {@link tiktokenPatternToRegExp} turns them
 * into equivalent JavaScript regular expressions.
 */
export const TIKTOKEN_PATTERNS = {
  /** gpt2, r50k_base, p50k_base, p50k_edit. */
  r50k: "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+",
  cl100k:
    "(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+",
  o200k: [
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]*[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]+(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    "[^\\r\\n\\p{L}\\p{N}]?[\\p{Lu}\\p{Lt}\\p{Lm}\\p{Lo}\\p{M}]+[\\p{Ll}\\p{Lm}\\p{Lo}\\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?",
    '\\p{N}{1,3}',
    ' ?[^\\s\\p{L}\\p{N}]+[\\r\\n/]*',
    '\\s*[\\r\\n]+',
    '\\s+(?!\\S)',
    '\\s+',
  ].join('|'),
} as const;

// Rust's \s is the Unicode White_Space property; JavaScript's \s differs (it adds U+FEFF and
// lacks U+0085), which is why a BOM must stay a non-space character here.
const WHITE_SPACE = '\\p{White_Space}';
const NOT_WHITE_SPACE = '\\P{White_Space}';
// Rust's Unicode \w and \d.
const WORD_CLASS_BODY = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';

/** Case-insensitive variants of an ASCII letter under Unicode simple case folding (what Rust's `(?i)` uses). */
function caseClass(letter: string): string {
  const lower = letter.toLowerCase();
  const upper = letter.toUpperCase();
  if (lower === 's') return '[sS\\u017F]'; // U+017F LATIN SMALL LETTER LONG S folds to s
  if (lower === 'k') return '[kK\\u212A]'; // U+212A KELVIN SIGN folds to k
  return `[${lower}${upper}]`;
}

/**
 * Translates a tiktoken (Rust regex / fancy-regex) pre-tokenization pattern into an
 * equivalent JavaScript `RegExp` with flags `gu`:
 * - `(?i:...)` inline case-insensitive groups (not valid JS in Node 20) become `(?:...)` with
 *   each ASCII letter expanded to its case-fold class (`s` also matches U+017F, `k` U+212A);
 * - `\s` / `\S` become `\p{White_Space}` / `\P{White_Space}` (JS `\s` would treat U+FEFF as space);
 * - `\d` becomes `\p{Nd}`, `\w` the Unicode word class.
 * Possessive quantifiers and other Rust-only syntax are rejected.
 * @throws TokenizerFormatError (`tokenizer_format`) for unsupported syntax or an invalid result.
 * @example tiktokenPatternToRegExp(TIKTOKEN_PATTERNS.cl100k).exec("I'LL go")
 */
export function tiktokenPatternToRegExp(pattern: string): RegExp {
  let out = '';
  let inClass = false;
  let caseInsensitiveDepth = 0; // > 0 while inside (?i: ... )
  const groupKinds: boolean[] = []; // true for a (?i: group
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const e = pattern[i + 1];
      if (e === undefined) throw new TokenizerFormatError(`Pattern ends with a lone backslash: ${pattern}`, 'pattern');
      if (e === 's') out += WHITE_SPACE;
      else if (e === 'S') out += NOT_WHITE_SPACE;
      else if (e === 'd') out += '\\p{Nd}';
      else if (e === 'D') out += '\\P{Nd}';
      else if (e === 'w') out += inClass ? WORD_CLASS_BODY : `[${WORD_CLASS_BODY}]`;
      else if (e === 'W' && !inClass) out += `[^${WORD_CLASS_BODY}]`;
      else if (e === 'W') throw new TokenizerFormatError(`\\W inside a character class is not supported: ${pattern}`, 'pattern');
      else if ((e === 'p' || e === 'P') && pattern[i + 2] === '{') {
        const close = pattern.indexOf('}', i + 3);
        if (close < 0) throw new TokenizerFormatError(`Unclosed \\${e}{ in pattern: ${pattern}`, 'pattern');
        out += pattern.slice(i, close + 1);
        i = close;
        continue;
      } else out += c + e;
      i++;
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      out += c;
      continue;
    }
    if (c === '[') {
      inClass = true;
      out += c;
      if (pattern[i + 1] === '^') {
        out += '^';
        i++;
      }
      if (pattern[i + 1] === ']') {
        out += '\\]';
        i++;
      }
      continue;
    }
    if (c === '(') {
      if (pattern.startsWith('(?i:', i)) {
        groupKinds.push(true);
        caseInsensitiveDepth++;
        out += '(?:';
        i += 3;
        continue;
      }
      if (pattern[i + 1] === '?' && /[a-zA-Z-]/.test(pattern[i + 2] ?? '') && pattern[i + 2] !== 'P') {
        throw new TokenizerFormatError(`Inline flags other than (?i:...) are not supported: ${pattern}`, 'pattern');
      }
      groupKinds.push(false);
      out += c;
      continue;
    }
    if (c === ')') {
      if (groupKinds.pop()) caseInsensitiveDepth--;
      out += c;
      continue;
    }
    if ((c === '+' || c === '*' || c === '?' || c === '}') && pattern[i + 1] === '+') {
      throw new TokenizerFormatError(`Possessive quantifiers (${c}+) are not supported in JavaScript: ${pattern}`, 'pattern');
    }
    if (caseInsensitiveDepth > 0 && /[a-zA-Z]/.test(c)) {
      out += caseClass(c);
      continue;
    }
    out += c;
  }
  try {
    return new RegExp(out, 'gu');
  } catch (cause) {
    throw new TokenizerFormatError(
      `The pattern is not a valid regular expression after translation (${out}): ${String(cause)}`,
      'pattern',
      {
        cause,
      }
    );
  }
}
