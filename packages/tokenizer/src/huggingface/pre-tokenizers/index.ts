/** Pre-tokenizers, keyed by their tokenizer.json `type`. Each maps a list of splits to a finer list. */
import { toByteLevel } from '../byte-level.js';
import { ComponentRegistry, asArray, asString, formatError, optBoolean, optString, type JsonObject } from '../json.js';
import { AlignmentBuilder, NormalizedString } from '../normalized.js';
import { compilePattern, translateOnigurumaPattern } from '../regex.js';

export interface PreTokenizer {
  preTokenize(splits: NormalizedString[], track: boolean): NormalizedString[];
}

export const preTokenizers = new ComponentRegistry<PreTokenizer>('pre_tokenizer');

export type SplitBehavior = 'Removed' | 'Isolated' | 'MergedWithPrevious' | 'MergedWithNext' | 'Contiguous';
const BEHAVIORS: SplitBehavior[] = ['Removed', 'Isolated', 'MergedWithPrevious', 'MergedWithNext', 'Contiguous'];

function parseBehavior(json: JsonObject, path: string, fallback: SplitBehavior): SplitBehavior {
  const v = json.behavior;
  if (v === undefined || v === null) return fallback;
  const s = asString(v, `${path}.behavior`);
  if (!(BEHAVIORS as string[]).includes(s)) formatError(`${path}.behavior`, `unsupported behavior ${JSON.stringify(s)}; supported: ${BEHAVIORS.join(', ')}`);
  return s as SplitBehavior;
}

/** Split `ns` given match spans (non-empty, sorted, non-overlapping), following HF's SplitDelimiterBehavior. */
export function splitWithMatches(ns: NormalizedString, matches: number[], behavior: SplitBehavior, invert: boolean, out: NormalizedString[]): void {
  const len = ns.text.length;
  // Build (start, end, isMatch) covering the whole string.
  const parts: number[] = [];
  let prev = 0;
  for (let k = 0; k < matches.length; k += 2) {
    const s = matches[k]!;
    const e = matches[k + 1]!;
    if (s > prev) parts.push(prev, s, invert ? 1 : 0);
    parts.push(s, e, invert ? 0 : 1);
    prev = e;
  }
  if (prev < len) parts.push(prev, len, invert ? 1 : 0);
  const spans: number[] = [];
  switch (behavior) {
    case 'Removed':
      for (let k = 0; k < parts.length; k += 3) if (!parts[k + 2]) spans.push(parts[k]!, parts[k + 1]!);
      break;
    case 'Isolated':
      for (let k = 0; k < parts.length; k += 3) spans.push(parts[k]!, parts[k + 1]!);
      break;
    case 'MergedWithPrevious': {
      let previousMatch = false;
      for (let k = 0; k < parts.length; k += 3) {
        const isMatch = parts[k + 2] === 1;
        if (isMatch && !previousMatch && spans.length > 0) spans[spans.length - 1] = parts[k + 1]!;
        else spans.push(parts[k]!, parts[k + 1]!);
        previousMatch = isMatch;
      }
      break;
    }
    case 'MergedWithNext': {
      let previousMatch = false;
      const rev: number[] = [];
      for (let k = parts.length - 3; k >= 0; k -= 3) {
        const isMatch = parts[k + 2] === 1;
        if (isMatch && !previousMatch && rev.length > 0) rev[rev.length - 2] = parts[k]!;
        else rev.push(parts[k]!, parts[k + 1]!);
        previousMatch = isMatch;
      }
      for (let k = rev.length - 2; k >= 0; k -= 2) spans.push(rev[k]!, rev[k + 1]!);
      break;
    }
    case 'Contiguous': {
      let previousMatch = false;
      for (let k = 0; k < parts.length; k += 3) {
        const isMatch = parts[k + 2] === 1;
        if (isMatch === previousMatch && spans.length > 0) spans[spans.length - 1] = parts[k + 1]!;
        else spans.push(parts[k]!, parts[k + 1]!);
        previousMatch = isMatch;
      }
      break;
    }
  }
  for (let k = 0; k < spans.length; k += 2) {
    const s = spans[k]!;
    const e = spans[k + 1]!;
    if (e > s) out.push(s === 0 && e === len ? ns : ns.slice(s, e));
  }
}

function regexMatches(regex: RegExp, text: string): number[] {
  const m: number[] = [];
  // Fast path: String#match returns only the matched strings; when they tile the text, positions follow.
  const strings = text.match(regex);
  if (strings === null) return m;
  let total = 0;
  let hasEmpty = false;
  for (let k = 0; k < strings.length; k++) {
    total += strings[k]!.length;
    if (strings[k]!.length === 0) hasEmpty = true;
  }
  if (total === text.length && !hasEmpty) {
    let pos = 0;
    for (let k = 0; k < strings.length; k++) {
      const len = strings[k]!.length;
      if (len === 0) continue;
      m.push(pos, pos + len);
      pos += len;
    }
    return m;
  }
  // Empty matches split the text too (as in Oniguruma's find_iter), except one right at the end of the previous match.
  regex.lastIndex = 0;
  let lastEnd = -1;
  for (let r = regex.exec(text); r !== null; r = regex.exec(text)) {
    const len = r[0].length;
    if (len === 0) {
      const cp = text.codePointAt(r.index);
      regex.lastIndex = r.index + (cp !== undefined && cp > 0xffff ? 2 : 1);
      if (r.index === lastEnd) continue;
    }
    m.push(r.index, r.index + len);
    lastEnd = r.index + len;
    if (r.index >= text.length) break;
  }
  return m;
}

function charMatches(text: string, pred: (c: string) => boolean): number[] {
  const m: number[] = [];
  for (let i = 0; i < text.length; ) {
    const w = text.codePointAt(i)! > 0xffff ? 2 : 1;
    if (pred(text.slice(i, i + w))) m.push(i, i + w);
    i += w;
  }
  return m;
}

function regexSplitter(regex: RegExp, behavior: SplitBehavior, invert: boolean): PreTokenizer {
  return {
    preTokenize(splits) {
      const out: NormalizedString[] = [];
      for (const ns of splits) splitWithMatches(ns, regexMatches(regex, ns.text), behavior, invert, out);
      return out;
    },
  };
}

function charSplitter(pred: (c: string) => boolean, behavior: SplitBehavior): PreTokenizer {
  return {
    preTokenize(splits) {
      const out: NormalizedString[] = [];
      for (const ns of splits) splitWithMatches(ns, charMatches(ns.text, pred), behavior, false, out);
      return out;
    },
  };
}

preTokenizers.register('Split', (json, path) => {
  const regex = compilePattern(json.pattern, `${path}.pattern`);
  const behavior = parseBehavior(json, path, 'Isolated');
  if (json.behavior === undefined) formatError(`${path}.behavior`, 'missing behavior');
  const invert = optBoolean(json, 'invert', path, false);
  return regexSplitter(regex, behavior, invert);
});

const GPT2_PATTERN = new RegExp(
  translateOnigurumaPattern("'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+"),
  'gu',
);

/** Prepend `prefix` aligned to the first unit. */
function prependAligned(ns: NormalizedString, prefix: string, track: boolean): NormalizedString {
  if (!track) return new NormalizedString(prefix + ns.text, ns.originalStart);
  const b = new AlignmentBuilder(true);
  b.push(prefix, ns.startOf(0), ns.endOf(ns.text.codePointAt(0)! > 0xffff ? 1 : 0));
  for (let i = 0; i < ns.text.length; i++) b.push(ns.text[i]!, ns.startOf(i), ns.endOf(i));
  return b.build(ns.originalStart);
}

const byteLevelMemo = new Map<string, string>();
export function byteLevelSplit(ns: NormalizedString, track: boolean): NormalizedString {
  if (!track) {
    let mapped = byteLevelMemo.get(ns.text);
    if (mapped === undefined) {
      mapped = toByteLevel(ns.text, null);
      if (ns.text.length < 64) {
        if (byteLevelMemo.size > 50_000) byteLevelMemo.clear();
        byteLevelMemo.set(ns.text, mapped);
      }
    }
    return new NormalizedString(mapped, ns.originalStart);
  }
  const unitOf: number[] = [];
  const text = toByteLevel(ns.text, unitOf);
  const starts = new Int32Array(text.length);
  const ends = new Int32Array(text.length);
  for (let k = 0; k < text.length; k++) {
    const u = unitOf[k]!;
    const w = ns.text.codePointAt(u)! > 0xffff ? 2 : 1;
    starts[k] = ns.startOf(u);
    ends[k] = ns.endOf(u + w - 1);
  }
  return new NormalizedString(text, ns.originalStart, starts, ends);
}

preTokenizers.register('ByteLevel', (json, path) => {
  const addPrefixSpace = optBoolean(json, 'add_prefix_space', path, true);
  const useRegex = optBoolean(json, 'use_regex', path, true);
  return {
    preTokenize(splits, track) {
      const out: NormalizedString[] = [];
      for (let ns of splits) {
        if (addPrefixSpace && !ns.text.startsWith(' ') && ns.text.length > 0) ns = prependAligned(ns, ' ', track);
        if (useRegex) {
          const pieces: NormalizedString[] = [];
          splitWithMatches(ns, regexMatches(GPT2_PATTERN, ns.text), 'Isolated', false, pieces);
          for (const p of pieces) out.push(byteLevelSplit(p, track));
        } else if (ns.text.length > 0) {
          out.push(byteLevelSplit(ns, track));
        }
      }
      return out;
    },
  };
});

preTokenizers.register('Metaspace', (json, path) => {
  const replacement = asString(json.replacement ?? '▁', `${path}.replacement`);
  let scheme = optString(json, 'prepend_scheme', path, null);
  if (scheme === null) scheme = optBoolean(json, 'add_prefix_space', path, true) ? 'always' : 'never';
  if (!['always', 'first', 'never'].includes(scheme)) formatError(`${path}.prepend_scheme`, `unsupported prepend_scheme ${JSON.stringify(scheme)}; supported: always, first, never`);
  const split = optBoolean(json, 'split', path, true);
  return {
    preTokenize(splits, track) {
      const out: NormalizedString[] = [];
      for (let ns of splits) {
        if (ns.text.includes(' ')) {
          const b = new AlignmentBuilder(track);
          for (let i = 0; i < ns.text.length; i++) b.push(ns.text[i] === ' ' ? replacement : ns.text[i]!, ns.startOf(i), ns.endOf(i));
          ns = b.build(ns.originalStart);
        }
        if (!ns.text.startsWith(replacement) && ns.text.length > 0) {
          if (scheme === 'always' || (scheme === 'first' && ns.originalStart === 0)) ns = prependAligned(ns, replacement, track);
        }
        if (split) splitWithMatches(ns, charMatches(ns.text, (c) => c === replacement), 'MergedWithNext', false, out);
        else if (ns.text.length > 0) out.push(ns);
      }
      return out;
    },
  };
});

const WORD_CHARS = '\\p{Alphabetic}\\p{M}\\p{Nd}\\p{Pc}\\p{Join_Control}';
preTokenizers.register('Whitespace', () => regexSplitter(new RegExp(`[${WORD_CHARS}]+|[^${WORD_CHARS}\\p{White_Space}]+`, 'gu'), 'Removed', true));

const whitespaceRe = /^\p{White_Space}$/u;
const isWhitespace = (c: string) => whitespaceRe.test(c);
preTokenizers.register('WhitespaceSplit', () => charSplitter(isWhitespace, 'Removed'));

const punctRe = /^[\p{P}!-/:-@[-`{-~]$/u;
const isBertPunctuation = (c: string) => punctRe.test(c);

preTokenizers.register('BertPreTokenizer', () => {
  const ws = charSplitter(isWhitespace, 'Removed');
  const punct = charSplitter(isBertPunctuation, 'Isolated');
  return { preTokenize: (splits, track) => punct.preTokenize(ws.preTokenize(splits, track), track) };
});

preTokenizers.register('Punctuation', (json, path) => charSplitter(isBertPunctuation, parseBehavior(json, path, 'Isolated')));

const numericRe = /^\p{N}$/u;
preTokenizers.register('Digits', (json, path) => {
  const individual = optBoolean(json, 'individual_digits', path, false);
  return charSplitter((c) => numericRe.test(c), individual ? 'Isolated' : 'Contiguous');
});

preTokenizers.register('CharDelimiterSplit', (json, path) => {
  const delimiter = asString(json.delimiter, `${path}.delimiter`);
  return charSplitter((c) => c === delimiter, 'Removed');
});

preTokenizers.register('Sequence', (json, path) => {
  const list = asArray(json.pretokenizers, `${path}.pretokenizers`).map((p, i) => preTokenizers.build(p, `${path}.pretokenizers[${i}]`));
  return {
    preTokenize(splits, track) {
      let out = splits;
      for (const p of list) out = p.preTokenize(out, track);
      return out;
    },
  };
});
