/** Normalizers, keyed by their tokenizer.json `type`. */
import { ComponentRegistry, asArray, asString, optBoolean, type JsonObject } from '../json.js';
import { AlignmentBuilder, NormalizedString, mapCodePoints, replaceRegex } from '../normalized.js';
import { compilePattern } from '../regex.js';
import { PrecompiledCharsMap } from './precompiled.js';

export interface Normalizer {
  normalize(ns: NormalizedString, track: boolean): NormalizedString;
  /** Normalize a plain string (used for `normalized` added tokens). */
}

export const normalizers = new ComponentRegistry<Normalizer>('normalizer');

const isMark = /^\p{M}$/u;

/** Unicode normalization with alignment: segments start at each non-mark code point. */
function unicodeNormalize(form: 'NFC' | 'NFD' | 'NFKC' | 'NFKD'): Normalizer {
  return {
    normalize(ns, track) {
      const text = ns.text;
      const whole = text.normalize(form);
      if (whole === text) return ns;
      if (!track) return new NormalizedString(whole, ns.originalStart);
      const b = new AlignmentBuilder(true);
      let segStart = 0;
      // Like HF's alignments: output code point j of a segment aligns to input code point min(j, n - 1).
      const flush = (end: number) => {
        if (end > segStart) {
          const input = text.slice(segStart, end);
          const output = input.normalize(form);
          const inUnits: number[] = [];
          for (let k = 0; k < input.length; k += input.codePointAt(k)! > 0xffff ? 2 : 1) inUnits.push(segStart + k);
          let j = 0;
          for (const ch of output) {
            const u = inUnits[Math.min(j, inUnits.length - 1)]!;
            const w = text.codePointAt(u)! > 0xffff ? 2 : 1;
            b.push(ch, ns.startOf(u), ns.endOf(u + w - 1));
            j++;
          }
        }
        segStart = end;
      };
      for (let i = 0; i < text.length; ) {
        const cp = text.codePointAt(i)!;
        const w = cp > 0xffff ? 2 : 1;
        const ch = text.slice(i, i + w);
        const hangulJamo = (cp >= 0x1160 && cp <= 0x11ff) || (cp >= 0xd7b0 && cp <= 0xd7ff);
        if (i > 0 && !isMark.test(ch) && !hangulJamo) flush(i);
        i += w;
      }
      flush(text.length);
      const out = b.build(ns.originalStart);
      if (out.text !== whole) return new NormalizedString(whole, ns.originalStart);
      return out;
    },
  };
}

for (const form of ['NFC', 'NFD', 'NFKC', 'NFKD'] as const) normalizers.register(form, () => unicodeNormalize(form));

const lowercase: Normalizer = {
  normalize(ns, track) {
    const lower = ns.text.toLowerCase();
    if (lower === ns.text) return ns;
    return mapCodePoints(ns, track, (c) => c.toLowerCase());
  },
};
normalizers.register('Lowercase', () => lowercase);

const whiteSpace = /^\p{White_Space}$/u;
function isWhitespaceUnit(c: string): boolean {
  return whiteSpace.test(c);
}

normalizers.register('Strip', (json, path) => {
  const left = optBoolean(json, 'strip_left', path, true);
  const right = optBoolean(json, 'strip_right', path, true);
  return {
    normalize(ns) {
      let a = 0;
      let b = ns.text.length;
      if (left) while (a < b && isWhitespaceUnit(ns.text[a]!)) a++;
      if (right) while (b > a && isWhitespaceUnit(ns.text[b - 1]!)) b--;
      return a === 0 && b === ns.text.length ? ns : ns.slice(a, b);
    },
  };
});

function stripMarks(ns: NormalizedString, track: boolean): NormalizedString {
  if (!/\p{M}/u.test(ns.text)) return ns;
  return mapCodePoints(ns, track, (c) => (isMark.test(c) ? '' : c));
}
normalizers.register('StripAccents', () => ({ normalize: stripMarks }));

normalizers.register('Replace', (json, path) => {
  const regex = compilePattern(json.pattern, `${path}.pattern`);
  const content = asString(json.content, `${path}.content`);
  return { normalize: (ns, track) => replaceRegex(ns, track, regex, content) };
});

normalizers.register('Prepend', (json, path) => {
  const prepend = asString(json.prepend, `${path}.prepend`);
  return {
    normalize(ns, track) {
      if (ns.text.length === 0) return ns;
      const b = new AlignmentBuilder(track);
      b.push(prepend, ns.startOf(0), ns.endOf(ns.text.codePointAt(0)! > 0xffff ? 1 : 0));
      for (let i = 0; i < ns.text.length; i++) b.push(ns.text[i]!, ns.startOf(i), ns.endOf(i));
      return b.build(ns.originalStart);
    },
  };
});

function isChineseChar(cp: number): boolean {
  return (
    (cp >= 0x4e00 && cp <= 0x9fff) ||
    (cp >= 0x3400 && cp <= 0x4dbf) ||
    (cp >= 0x20000 && cp <= 0x2a6df) ||
    (cp >= 0x2a700 && cp <= 0x2b73f) ||
    (cp >= 0x2b740 && cp <= 0x2b81f) ||
    (cp >= 0x2b920 && cp <= 0x2ceaf) ||
    (cp >= 0xf900 && cp <= 0xfaff) ||
    (cp >= 0x2f800 && cp <= 0x2fa1f)
  );
}
const spaceSeparator = /^\p{Zs}$/u;
const controlRe = /^[\p{Cc}\p{Cf}\p{Cn}\p{Co}]$/u;

normalizers.register('BertNormalizer', (json, path) => {
  const cleanText = optBoolean(json, 'clean_text', path, true);
  const chinese = optBoolean(json, 'handle_chinese_chars', path, true);
  const lower = optBoolean(json, 'lowercase', path, true);
  const accents = json.strip_accents === undefined || json.strip_accents === null ? lower : optBoolean(json, 'strip_accents', path, lower);
  return {
    normalize(ns, track) {
      let out = ns;
      if (cleanText) {
        out = mapCodePoints(out, track, (c) => {
          const cp = c.codePointAt(0)!;
          if (cp === 0 || cp === 0xfffd) return '';
          if (c === '\t' || c === '\n' || c === '\r') return ' ';
          if (controlRe.test(c)) return '';
          if (spaceSeparator.test(c)) return ' ';
          return c;
        });
      }
      if (chinese) out = mapCodePoints(out, track, (c) => (isChineseChar(c.codePointAt(0)!) ? ` ${c} ` : c));
      if (accents) out = stripMarks(unicodeNormalize('NFD').normalize(out, track), track);
      if (lower) out = lowercase.normalize(out, track);
      return out;
    },
  };
});

normalizers.register('Precompiled', (json, path) => {
  const map = PrecompiledCharsMap.fromBase64(asString(json.precompiled_charsmap, `${path}.precompiled_charsmap`), `${path}.precompiled_charsmap`);
  return { normalize: (ns, track) => map.normalize(ns, track) };
});

normalizers.register('Sequence', (json: JsonObject, path) => {
  const list = asArray(json.normalizers, `${path}.normalizers`).map((n, i) => normalizers.build(n, `${path}.normalizers[${i}]`));
  return {
    normalize(ns, track) {
      let out = ns;
      for (const n of list) out = n.normalize(out, track);
      return out;
    },
  };
});
