/**
 * Regex subset parser for constrained decoding. Parses a pattern into an AST whose leaves are
 * UTF-8 byte ranges, so the automaton built from it runs over bytes (byte-level BPE tokens may
 * hold partial UTF-8 characters).
 *
 * Supported syntax (JavaScript `u`-flag semantics, always a full match):
 * - literals (any Unicode code point), escaped metacharacters `\. \* \\ ...`,
 *   `\t \n \r \f \v \0`, `\xHH`, `\uHHHH`, `\u{H...}`;
 * - `.` (any code point except `\n \r \u2028 \u2029`);
 * - classes `[abc]`, `[a-z]`, `[^...]`, `\d \D \w \W \s \S` (ASCII `\d \w`, JavaScript's `\s`);
 *   non-ASCII ranges compile to UTF-8 byte sequences; surrogates are never matched;
 * - alternation `|`, groups `( )`, `(?: )`, `(?<name> )` (capture is ignored);
 * - quantifiers `? * + {m} {m,} {m,n}` (a lazy `?` suffix is accepted and ignored);
 * - `^` at the very start and `$` at the very end (ignored: matching is always anchored).
 *
 * Unsupported (throws `InvalidArgumentError` naming the construct): backreferences (`\1`, `\k<>`),
 * lookaround (`(?=`, `(?!`, `(?<=`, `(?<!`), word boundaries (`\b \B`), anchors elsewhere, inline
 * flags, Unicode property escapes (`\p{..}`).
 */
import { InvalidArgumentError } from '@llmkit/core/errors';

/** A regex AST node over bytes. `ranges` are inclusive byte ranges `[lo, hi]`. */
export type RegexNode =
  | { kind: 'bytes'; lo: number; hi: number }
  | { kind: 'seq'; items: RegexNode[] }
  | { kind: 'alt'; items: RegexNode[] }
  | { kind: 'repeat'; node: RegexNode; min: number; max: number };

/** Inclusive code point ranges, sorted and disjoint. */
type CodePointSet = Array<[number, number]>;

const MAX_CP = 0x10ffff;
const MAX_REPEAT = 1000;

function normalize(set: CodePointSet): CodePointSet {
  const sorted = set.slice().sort((a, b) => a[0] - b[0]);
  const out: CodePointSet = [];
  for (const [lo, hi] of sorted) {
    const last = out[out.length - 1];
    if (last && lo <= last[1] + 1) last[1] = Math.max(last[1], hi);
    else out.push([lo, hi]);
  }
  return out;
}

function complement(set: CodePointSet): CodePointSet {
  const out: CodePointSet = [];
  let next = 0;
  for (const [lo, hi] of normalize(set)) {
    if (lo > next) out.push([next, lo - 1]);
    next = hi + 1;
  }
  if (next <= MAX_CP) out.push([next, MAX_CP]);
  return out;
}

/** Removes surrogates (not encodable in UTF-8). */
function withoutSurrogates(set: CodePointSet): CodePointSet {
  const out: CodePointSet = [];
  for (const [lo, hi] of set) {
    if (hi < 0xd800 || lo > 0xdfff) out.push([lo, hi]);
    else {
      if (lo < 0xd800) out.push([lo, 0xd7ff]);
      if (hi > 0xdfff) out.push([0xe000, hi]);
    }
  }
  return out;
}

const DIGIT: CodePointSet = [[0x30, 0x39]];
const WORD: CodePointSet = [[0x30, 0x39], [0x41, 0x5a], [0x5f, 0x5f], [0x61, 0x7a]];
const SPACE: CodePointSet = normalize([
  [0x09, 0x0d], [0x20, 0x20], [0xa0, 0xa0], [0x1680, 0x1680], [0x2000, 0x200a],
  [0x2028, 0x2029], [0x202f, 0x202f], [0x205f, 0x205f], [0x3000, 0x3000], [0xfeff, 0xfeff],
]);
const DOT: CodePointSet = complement([[0x0a, 0x0a], [0x0d, 0x0d], [0x2028, 0x2029]]);

function utf8Encode(cp: number): number[] {
  if (cp < 0x80) return [cp];
  if (cp < 0x800) return [0xc0 | (cp >> 6), 0x80 | (cp & 0x3f)];
  if (cp < 0x10000) return [0xe0 | (cp >> 12), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
  return [0xf0 | (cp >> 18), 0x80 | ((cp >> 12) & 0x3f), 0x80 | ((cp >> 6) & 0x3f), 0x80 | (cp & 0x3f)];
}

/** Splits a code point range into sequences of byte ranges (same algorithm as Rust's `utf8-ranges`). */
function utf8Sequences(lo: number, hi: number, out: Array<Array<[number, number]>>): void {
  for (const bound of [0x7f, 0x7ff, 0xffff]) {
    if (lo <= bound && hi > bound) {
      utf8Sequences(lo, bound, out);
      utf8Sequences(bound + 1, hi, out);
      return;
    }
  }
  if (hi <= 0x7f) {
    out.push([[lo, hi]]);
    return;
  }
  for (let i = 1; i < 4; i++) {
    const m = (1 << (6 * i)) - 1;
    if ((lo & ~m) !== (hi & ~m)) {
      if ((lo & m) !== 0) {
        utf8Sequences(lo, lo | m, out);
        utf8Sequences((lo | m) + 1, hi, out);
        return;
      }
      if ((hi & m) !== m) {
        utf8Sequences(lo, (hi & ~m) - 1, out);
        utf8Sequences(hi & ~m, hi, out);
        return;
      }
    }
  }
  const a = utf8Encode(lo);
  const b = utf8Encode(hi);
  out.push(a.map((x, i) => [x, b[i]!] as [number, number]));
}

function setToNode(set: CodePointSet): RegexNode {
  const seqs: Array<Array<[number, number]>> = [];
  for (const [lo, hi] of withoutSurrogates(normalize(set))) utf8Sequences(lo, hi, seqs);
  const items: RegexNode[] = seqs.map((seq) =>
    seq.length === 1
      ? { kind: 'bytes', lo: seq[0]![0], hi: seq[0]![1] }
      : { kind: 'seq', items: seq.map(([l, h]) => ({ kind: 'bytes', lo: l, hi: h }) as RegexNode) },
  );
  return items.length === 1 ? items[0]! : { kind: 'alt', items };
}

class Parser {
  private pos = 0;
  constructor(private readonly src: string) {}

  fail(what: string): never {
    throw new InvalidArgumentError(
      `regex: ${what} at position ${this.pos} in ${JSON.stringify(this.src)}. Supported: literals, escapes, classes, ., |, groups, ?, *, +, {m,n}.`,
    );
  }

  unsupported(construct: string): never {
    throw new InvalidArgumentError(
      `regex: unsupported construct ${construct} at position ${this.pos} in ${JSON.stringify(this.src)}; constrained decoding supports only regular constructs (no backreferences, lookaround, word boundaries or inline flags).`,
    );
  }

  parse(): RegexNode {
    if (this.src.startsWith('^')) this.pos = 1;
    const node = this.parseAlt();
    if (this.pos < this.src.length) {
      if (this.src[this.pos] === ')') this.fail('unmatched ")"');
      this.fail('unexpected character');
    }
    return node;
  }

  private peek(): string | undefined {
    return this.src[this.pos];
  }

  private parseAlt(): RegexNode {
    const items = [this.parseSeq()];
    while (this.peek() === '|') {
      this.pos++;
      items.push(this.parseSeq());
    }
    return items.length === 1 ? items[0]! : { kind: 'alt', items };
  }

  private parseSeq(): RegexNode {
    const items: RegexNode[] = [];
    for (;;) {
      const c = this.peek();
      if (c === undefined || c === '|' || c === ')') break;
      if (c === '$') {
        if (this.pos === this.src.length - 1) {
          this.pos++;
          break;
        }
        this.unsupported('"$" anchor (only allowed at the end)');
      }
      if (c === '^') this.unsupported('"^" anchor (only allowed at the start)');
      let atom = this.parseAtom();
      atom = this.parseQuantifiers(atom);
      items.push(atom);
    }
    return items.length === 1 ? items[0]! : { kind: 'seq', items };
  }

  private parseQuantifiers(atom: RegexNode): RegexNode {
    for (;;) {
      const c = this.peek();
      let min: number;
      let max: number;
      if (c === '?') [min, max] = [0, 1];
      else if (c === '*') [min, max] = [0, -1];
      else if (c === '+') [min, max] = [1, -1];
      else if (c === '{') {
        const m = /^\{(\d+)(,(\d*))?\}/.exec(this.src.slice(this.pos));
        if (!m) this.fail('invalid "{" quantifier (escape a literal brace as "\\{")');
        min = Number(m[1]);
        max = m[2] === undefined ? min : m[3] === '' ? -1 : Number(m[3]);
        if (max !== -1 && max < min) this.fail(`quantifier {${min},${max}} has max < min`);
        if (min > MAX_REPEAT || max > MAX_REPEAT) this.fail(`repetition count above ${MAX_REPEAT}`);
        this.pos += m[0].length - 1;
      } else return atom;
      this.pos++;
      if (this.peek() === '?') this.pos++; // lazy: same language
      if (this.peek() === '+') this.unsupported('possessive quantifier');
      atom = { kind: 'repeat', node: atom, min, max };
    }
  }

  private parseAtom(): RegexNode {
    const c = this.peek()!;
    if (c === '(') {
      this.pos++;
      if (this.src.startsWith('?:', this.pos)) this.pos += 2;
      else if (this.src.startsWith('?=', this.pos) || this.src.startsWith('?!', this.pos)) this.unsupported('lookahead');
      else if (this.src.startsWith('?<=', this.pos) || this.src.startsWith('?<!', this.pos)) this.unsupported('lookbehind');
      else if (this.src.startsWith('?<', this.pos)) {
        const end = this.src.indexOf('>', this.pos);
        if (end < 0) this.fail('unterminated group name');
        this.pos = end + 1;
      } else if (c === '(' && this.peek() === '?') this.unsupported('inline flags "(?"');
      const inner = this.parseAlt();
      if (this.peek() !== ')') this.fail('missing ")"');
      this.pos++;
      return inner;
    }
    if (c === '[') return setToNode(this.parseClass());
    if (c === '.') {
      this.pos++;
      return setToNode(DOT);
    }
    if (c === '*' || c === '+' || c === '?') this.fail(`nothing to repeat before "${c}"`);
    if (c === '\\') {
      const set = this.parseEscape(false);
      return setToNode(set);
    }
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return setToNode([[cp, cp]]);
  }

  /** Parses an escape starting at `\`; returns its code point set. */
  private parseEscape(inClass: boolean): CodePointSet {
    this.pos++;
    const c = this.peek();
    if (c === undefined) this.fail('trailing "\\"');
    this.pos++;
    switch (c) {
      case 'd': return DIGIT;
      case 'D': return complement(DIGIT);
      case 'w': return WORD;
      case 'W': return complement(WORD);
      case 's': return SPACE;
      case 'S': return complement(SPACE);
      case 't': return [[9, 9]];
      case 'n': return [[10, 10]];
      case 'r': return [[13, 13]];
      case 'f': return [[12, 12]];
      case 'v': return [[11, 11]];
      case '0': return [[0, 0]];
      case 'b':
        if (inClass) return [[8, 8]];
        this.pos -= 2;
        return this.unsupported('word boundary "\\b"');
      case 'B':
        this.pos -= 2;
        return this.unsupported('word boundary "\\B"');
      case 'k':
        this.pos -= 2;
        return this.unsupported('backreference "\\k<name>"');
      case 'p':
      case 'P':
        this.pos -= 2;
        return this.unsupported(`Unicode property escape "\\${c}{...}"`);
      case 'x': {
        const m = /^[0-9a-fA-F]{2}/.exec(this.src.slice(this.pos));
        if (!m) this.fail('invalid "\\x" escape');
        this.pos += 2;
        const v = parseInt(m[0], 16);
        return [[v, v]];
      }
      case 'u': {
        let m = /^\{([0-9a-fA-F]{1,6})\}/.exec(this.src.slice(this.pos));
        if (!m) m = /^([0-9a-fA-F]{4})/.exec(this.src.slice(this.pos));
        if (!m) this.fail('invalid "\\u" escape');
        this.pos += m[0].length;
        const v = parseInt(m[1]!, 16);
        if (v > MAX_CP) this.fail('code point above U+10FFFF');
        return [[v, v]];
      }
      default:
        if (c >= '1' && c <= '9') {
          this.pos -= 2;
          return this.unsupported(`backreference "\\${c}"`);
        }
        if (/[A-Za-z]/.test(c)) {
          this.pos -= 2;
          return this.fail(`unknown escape "\\${c}"`);
        }
        {
          const cp = this.src.codePointAt(this.pos - 1)!;
          if (cp > 0xffff) this.pos++;
          return [[cp, cp]];
        }
    }
  }

  private parseClass(): CodePointSet {
    this.pos++; // [
    let negate = false;
    if (this.peek() === '^') {
      negate = true;
      this.pos++;
    }
    const set: CodePointSet = [];
    let first = true;
    for (;;) {
      const c = this.peek();
      if (c === undefined) this.fail('unterminated character class');
      if (c === ']' && !first) {
        this.pos++;
        break;
      }
      if (c === ']' && first) {
        // JS: "[]" matches nothing, "[^]" matches anything
        this.pos++;
        break;
      }
      first = false;
      const lo = this.classAtom();
      if (this.peek() === '-' && this.src[this.pos + 1] !== ']' && this.src[this.pos + 1] !== undefined) {
        this.pos++;
        const hi = this.classAtom();
        if (lo.length !== 1 || hi.length !== 1 || lo[0]![0] !== lo[0]![1] || hi[0]![0] !== hi[0]![1]) {
          this.fail('class range with a class escape as an end');
        }
        if (hi[0]![0] < lo[0]![0]) this.fail('class range out of order');
        set.push([lo[0]![0], hi[0]![0]]);
      } else set.push(...lo);
    }
    return negate ? complement(set) : normalize(set);
  }

  private classAtom(): CodePointSet {
    if (this.peek() === '\\') return this.parseEscape(true);
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return [[cp, cp]];
  }
}

/**
 * Parses a regex (the subset documented in this module) into a byte-level AST.
 *
 * @throws InvalidArgumentError (`invalid_argument`) on syntax errors and unsupported constructs
 *   (the message names the construct).
 * @example
 * const ast = parseRegex('[a-z]+(?:é|ü)?');
 */
export function parseRegex(pattern: string): RegexNode {
  if (typeof pattern !== 'string') {
    throw new InvalidArgumentError(`regex: pattern must be a string, got ${typeof pattern}.`);
  }
  return new Parser(pattern).parse();
}

/** Escapes a literal string for use inside a pattern of this subset. */
export function escapeRegex(text: string): string {
  return text.replace(/[\\^$.|?*+()[\]{}/-]/g, (c) => `\\${c}`);
}
