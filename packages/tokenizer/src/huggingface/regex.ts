/**
 * Translate Oniguruma / fancy-regex patterns (as found in tokenizer.json) to JavaScript `u` regexes:
 * `(?i:...)` scoped case-insensitivity (expanded to case classes), possessive quantifiers
 * (`?+ ++ *+ {n,m}+`, emulated with a lookahead and a named backreference), `\s` as Unicode
 * White_Space (Oniguruma's definition, which differs from JavaScript's), `\w`, `\d`, `\h`, `.`
 * (any char but newline), `\x{...}`, `\A`, `\z`, `\pL`.
 */
import { formatError } from './json.js';

const WORD = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
const SYNTAX = new Set('^$\\.*+?()[]{}|/'.split(''));

function caseVariants(ch: string): string {
  const lo = ch.toLowerCase();
  const up = ch.toUpperCase();
  if (lo === up || lo.length !== 1 || up.length !== 1) return '';
  return lo === ch ? up : lo;
}

function escapeLiteral(ch: string): string {
  return SYNTAX.has(ch) ? `\\${ch}` : ch;
}

/** Translate an Oniguruma pattern to a JavaScript regex source for flags `gu`. */
export function translateOnigurumaPattern(pattern: string, path = '$'): string {
  let out = '';
  let i = 0;
  let possessiveCount = 0;
  // Stack of open groups: output position where the group started and whether it is case-insensitive.
  const groups: Array<{ start: number; ci: boolean }> = [];
  let ci = false;
  let lastAtomStart = -1;
  const n = pattern.length;
  const readEscape = (inClass: boolean): string => {
    // at pattern[i] === '\\'
    const c = pattern[i + 1];
    if (c === undefined) formatError(path, 'regex ends with a backslash');
    i += 2;
    switch (c) {
      case 's':
        return inClass ? '\\p{White_Space}' : '\\p{White_Space}';
      case 'S':
        return '\\P{White_Space}';
      case 'w':
        return inClass ? WORD : `[${WORD}]`;
      case 'W':
        return inClass ? formatError(path, '\\W inside a character class is not supported') : `[^${WORD}]`;
      case 'd':
        return '\\p{Nd}';
      case 'D':
        return '\\P{Nd}';
      case 'h':
        return inClass ? '0-9a-fA-F' : '[0-9a-fA-F]';
      case 'A':
        return '^';
      case 'z':
      case 'Z':
        return '$';
      case 'p':
      case 'P': {
        if (pattern[i] === '{') {
          const close = pattern.indexOf('}', i);
          if (close < 0) formatError(path, 'unterminated \\p{...}');
          let name = pattern.slice(i + 1, close);
          i = close + 1;
          let neg = c === 'P';
          if (name.startsWith('^')) {
            neg = !neg;
            name = name.slice(1);
          }
          return `\\${neg ? 'P' : 'p'}{${name}}`;
        }
        const name = pattern[i] ?? '';
        i++;
        return `\\${c}{${name}}`;
      }
      case 'x': {
        if (pattern[i] === '{') {
          const close = pattern.indexOf('}', i);
          if (close < 0) formatError(path, 'unterminated \\x{...}');
          const hex = pattern.slice(i + 1, close);
          i = close + 1;
          return `\\u{${hex}}`;
        }
        const hex = pattern.slice(i, i + 2);
        i += 2;
        return `\\x${hex}`;
      }
      case 'n':
      case 'r':
      case 't':
      case 'f':
      case 'v':
      case 'b':
      case 'B':
      case 'u':
      case '0':
        return `\\${c}`;
      default:
        if (/[1-9]/.test(c)) return `\\${c}`;
        if (/[A-Za-z]/.test(c)) formatError(path, `unsupported regex escape \\${c}`);
        return inClass ? (c === ']' || c === '\\' || c === '-' || c === '^' || c === '[' ? `\\${c}` : c) : escapeLiteral(c);
    }
  };
  while (i < n) {
    const ch = pattern[i]!;
    if (ch === '\\') {
      lastAtomStart = out.length;
      const esc = readEscape(false);
      out += esc;
      continue;
    }
    if (ch === '[') {
      lastAtomStart = out.length;
      let cls = '[';
      i++;
      if (pattern[i] === '^') {
        cls += '^';
        i++;
      }
      let first = true;
      while (i < n && (pattern[i] !== ']' || first)) {
        const c = pattern[i]!;
        first = false;
        if (c === '\\') {
          cls += readEscape(true);
          continue;
        }
        if (c === '[') {
          if (pattern.startsWith('[:', i)) formatError(path, 'POSIX bracket expressions are not supported');
          cls += '\\[';
          i++;
          continue;
        }
        if (c === ']') {
          cls += '\\]';
          i++;
          continue;
        }
        cls += c;
        if (ci) cls += caseVariants(c);
        i++;
      }
      if (i >= n) formatError(path, 'unterminated character class');
      i++;
      out += `${cls}]`;
      continue;
    }
    if (ch === '(') {
      let ciGroup: boolean = ci;
      let open = '(';
      if (pattern.startsWith('(?i:', i)) {
        ciGroup = true;
        open = '(?:';
        i += 4;
      } else if (pattern.startsWith('(?i)', i)) {
        ci = true;
        i += 4;
        continue;
      } else if (pattern.startsWith('(?>', i)) {
        // atomic group: emulate like a possessive group
        open = '(?:';
        i += 3;
      } else if (pattern[i + 1] === '?') {
        const m = /^\(\?(:|=|!|<=|<!|<[A-Za-z_][A-Za-z0-9_]*>)/.exec(pattern.slice(i));
        if (!m) formatError(path, `unsupported group syntax near ${JSON.stringify(pattern.slice(i, i + 6))}`);
        open = m[0];
        i += m[0].length;
      } else {
        i++;
      }
      groups.push({ start: out.length, ci });
      ci = ciGroup;
      out += open;
      continue;
    }
    if (ch === ')') {
      const g = groups.pop();
      if (!g) formatError(path, 'unbalanced parenthesis in regex');
      ci = g.ci;
      out += ')';
      lastAtomStart = g.start;
      i++;
      continue;
    }
    if (ch === '?' || ch === '*' || ch === '+' || ch === '{') {
      let q = ch;
      if (ch === '{') {
        const m = /^\{\d*(,\d*)?\}/.exec(pattern.slice(i));
        if (!m) {
          lastAtomStart = out.length;
          out += '\\{';
          i++;
          continue;
        }
        q = m[0];
      }
      i += q.length;
      if (pattern[i] === '+') {
        i++;
        if (lastAtomStart < 0) formatError(path, 'possessive quantifier without an atom');
        const atom = out.slice(lastAtomStart);
        const name = `poss${possessiveCount++}`;
        out = `${out.slice(0, lastAtomStart)}(?=(?<${name}>(?:${atom})${q}))\\k<${name}>`;
      } else {
        out += q;
        if (pattern[i] === '?') {
          out += '?';
          i++;
        }
      }
      continue;
    }
    lastAtomStart = out.length;
    if (ch === '.') {
      out += '[^\\n]';
    } else if (ch === '|' || ch === '^' || ch === '$') {
      out += ch;
      lastAtomStart = -1;
    } else if (ci && caseVariants(ch) !== '') {
      out += `[${ch}${caseVariants(ch)}]`;
    } else {
      out += ch === '/' || ch === ']' || ch === '}' ? `\\${ch}` : ch;
    }
    i++;
  }
  if (groups.length > 0) formatError(path, 'unbalanced parenthesis in regex');
  return out;
}

/** Compile a tokenizer.json pattern (`{String}` or `{Regex}`) to a global JS regex. */
export function compilePattern(pattern: unknown, path: string): RegExp {
  if (typeof pattern === 'object' && pattern !== null && !Array.isArray(pattern)) {
    const p = pattern as Record<string, unknown>;
    if (typeof p.String === 'string') return new RegExp(escapeRegExp(p.String), 'gu');
    if (typeof p.Regex === 'string') {
      const source = translateOnigurumaPattern(p.Regex, `${path}.Regex`);
      try {
        return new RegExp(source, 'gu');
      } catch (cause) {
        formatError(`${path}.Regex`, `invalid regex ${JSON.stringify(p.Regex)}: ${(cause as Error).message}`);
      }
    }
  }
  if (typeof pattern === 'string') return new RegExp(escapeRegExp(pattern), 'gu');
  return formatError(path, 'expected a pattern {"String": ...} or {"Regex": ...}');
}

export function escapeRegExp(s: string): string {
  return s.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&');
}
