import { SecurityOptionError } from '../errors/index.js';
import { CONFUSABLES } from './confusables.js';

/** Kinds of de-obfuscation a {@link normalize} call can report. */
export type SignalType =
  | 'nfkc'
  | 'confusable'
  | 'zero_width'
  | 'bidi_control'
  | 'tag_smuggling'
  | 'base64'
  | 'hex'
  | 'url_encoding'
  | 'rot13'
  | 'leetspeak'
  | 'morse'
  | 'spaced_letters'
  | 'alternating_case';

/** One transformation {@link normalize} applied, with what it changed. */
export interface NormalizeSignal {
  type: SignalType;
  /** How many characters / segments / words it touched. */
  count: number;
  /** Decoded or folded text, when the transformation revealed hidden content (tag smuggling, base64, ...). */
  decoded?: string;
}

/** Result of {@link normalize}. */
export interface NormalizeResult {
  /** The de-obfuscated text (every transformation applied). */
  text: string;
  /** What was changed, in the order it was applied. An empty list means the input was already plain. */
  signals: NormalizeSignal[];
  /**
   * Texts detectors should also look at: the original, the Unicode-cleaned text, the decoded
   * text, and a "squashed" form (lowercase letters and digits only) that defeats spacing and
   * punctuation games. De-duplicated.
   */
  variants: string[];
}

/** Options of {@link normalize}. */
export interface NormalizeOptions {
  /** Try to decode base64/hex/URL-encoding/Morse segments (default true). */
  decode?: boolean;
  /** Try ROT13 when it makes the text read as more English (default true). */
  rot13?: boolean;
  /** Minimum length of a base64 run to try decoding (default 16). */
  minBase64Length?: number;
}

/** Letters (and marks/digits) outside ASCII; general punctuation (U+2000..U+206F) such as dashes and curly quotes is not included. */
const NON_ASCII_LETTERS = /[\u00AA\u00B2\u00B3\u00B5\u00B9\u00BA\u00BC-\u00BE\u00C0-\u1FFF\u2070-\uD7FF\uF900-\uFFEF]|[\uD800-\uDBFF]/;

const ZERO_WIDTH = /[\u200B\u200C\u200D\u2060\u2061\u2062\u2063\u2064\uFEFF\u180E\u00AD\u034F\u115F\u1160\u3164\uFFA0]/g;
const BIDI = /[\u202A-\u202E\u2066-\u2069\u200E\u200F\u061C]/g;
const TAGS = /[\u{E0000}-\u{E007F}]+/gu;
const VARIATION_SELECTORS = /[\uFE00-\uFE0F\u{E0100}-\u{E01EF}]/gu;

const COMMON_WORDS = new Set(
  ('the be to of and a in that have i it for not on with he as you do at this but his by from they we say her she or an will my ' +
    'one all would there their what so up out if about who get which go me when make can like time no just him know take people ' +
    'into year your good some could them see other than then now look only come its over think also back after use two how our ' +
    'work first well way even new want because any these give day most us is are was were been has had did does ignore previous ' +
    'instructions instruction prompt system tell reveal secret password rules above forget disregard please write say print show ' +
    'output answer question model assistant user must should never always every').split(' '),
);

/** Share of words of `text` (3+ letters, or common short ones) found in a small English word list. */
export function englishScore(text: string): number {
  const words = text.toLowerCase().match(/[a-z]+/g);
  if (!words || words.length === 0) return 0;
  let hits = 0;
  for (const w of words) if (COMMON_WORDS.has(w)) hits++;
  return hits / words.length;
}

function isMostlyPrintable(s0: string): boolean {
  // Whitespace and invisible format characters are judged by the other steps.
  const s = s0.replace(/[\s\p{Cf}]+/gu, '');
  if (s.length === 0) return false;
  let ok = 0;
  let letters = 0;
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if ((c >= 0x20 && c < 0x7f) || c === 0x0a || c === 0x0d || c === 0x09 || c >= 0xa0) ok++;
    if (/\p{L}/u.test(ch)) letters++;
  }
  let digits = 0;
  for (const ch of s) if (ch >= '0' && ch <= '9') digits++;
  return ok / s.length >= 0.95 && letters / s.length >= 0.25 && (letters + digits) / s.length >= 0.5;
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

function decodeUtf8(bytes: Uint8Array): string | undefined {
  try {
    return utf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function decodeBase64Segment(seg: string): string | undefined {
  const clean = seg.replace(/-/g, '+').replace(/_/g, '/');
  const body = clean.replace(/=+$/, '');
  if (body.length % 4 === 1) return undefined;
  const bytes = Buffer.from(clean, 'base64');
  const text = decodeUtf8(bytes);
  if (text === undefined || !isMostlyPrintable(text)) return undefined;
  // Require word-like content: at least one space or a run of 4+ letters.
  if (!/[A-Za-z]{4,}|\s/.test(text)) return undefined;
  return text;
}

const MORSE: Record<string, string> = {
  '.-': 'a', '-...': 'b', '-.-.': 'c', '-..': 'd', '.': 'e', '..-.': 'f', '--.': 'g', '....': 'h', '..': 'i', '.---': 'j',
  '-.-': 'k', '.-..': 'l', '--': 'm', '-.': 'n', '---': 'o', '.--.': 'p', '--.-': 'q', '.-.': 'r', '...': 's', '-': 't',
  '..-': 'u', '...-': 'v', '.--': 'w', '-..-': 'x', '-.--': 'y', '--..': 'z', '-----': '0', '.----': '1', '..---': '2',
  '...--': '3', '....-': '4', '.....': '5', '-....': '6', '--...': '7', '---..': '8', '----.': '9', '.-.-.-': '.',
  '--..--': ',', '..--..': '?', '-.-.--': '!', '.----.': "'", '-..-.': '/',
};

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '8': 'b', '9': 'g', '@': 'a', $: 's', '!': 'i', '|': 'l', '+': 't', '€': 'e' };

function rot13(s: string): string {
  return s.replace(/[A-Za-z]/g, (c) => {
    const base = c <= 'Z' ? 65 : 97;
    return String.fromCharCode(((c.charCodeAt(0) - base + 13) % 26) + base);
  });
}

/** Lowercase letters and digits only: defeats spacing, punctuation and case games. */
export function squash(text: string): string {
  const low = text.toLowerCase();
  return !NON_ASCII_LETTERS.test(low) ? low.replace(/[^a-z0-9]+/g, '') : low.replace(/[^\p{L}\p{N}]+/gu, '');
}

function unicodeSteps(input: string, signals: NormalizeSignal[]): string {
  let t = input;
  // 1. Unicode tag characters (ASCII smuggling): decode U+E0020..U+E007E to ASCII in place.
  let tagCount = 0;
  let tagDecoded = '';
  t = t.replace(TAGS, (run) => {
    let out = '';
    for (const ch of run) {
      tagCount++;
      const c = ch.codePointAt(0)! - 0xe0000;
      if (c >= 0x20 && c < 0x7f) out += String.fromCharCode(c);
    }
    tagDecoded += out;
    return out.length > 0 ? ` ${out} ` : '';
  });
  if (tagCount > 0) signals.push({ type: 'tag_smuggling', count: tagCount, decoded: tagDecoded });

  // 2. Zero-width and bidi controls (and variation selectors, which can carry hidden bytes).
  let zw = 0;
  t = t.replace(ZERO_WIDTH, () => {
    zw++;
    return '';
  });
  t = t.replace(VARIATION_SELECTORS, () => {
    zw++;
    return '';
  });
  if (zw > 0) signals.push({ type: 'zero_width', count: zw });
  let bidi = 0;
  t = t.replace(BIDI, () => {
    bidi++;
    return '';
  });
  if (bidi > 0) signals.push({ type: 'bidi_control', count: bidi });

  // 3. NFKC (fullwidth, mathematical alphanumerics, ligatures, circled letters...).
  const nfkc = t.normalize('NFKC');
  if (nfkc !== t) {
    let changed = 0;
    const a = Array.from(t);
    for (const ch of a) if (ch.normalize('NFKC') !== ch) changed++;
    signals.push({ type: 'nfkc', count: changed });
    t = nfkc;
  }

  // 4. Homoglyphs: fold in words that mix scripts, or everywhere when the text is mostly Latin.
  const latinLetters = (t.match(/[A-Za-z]/g) ?? []).length;
  const confusableLetters = !NON_ASCII_LETTERS.test(t) ? 0 : Array.from(t).filter((c) => CONFUSABLES.has(c)).length;
  if (confusableLetters > 0) {
    const nonLatinLetters = (t.match(/[\p{L}]/gu) ?? []).length - latinLetters;
    const foldAll = latinLetters >= nonLatinLetters;
    let folded = 0;
    t = t.replace(/[\p{L}\p{M}\p{N}]+/gu, (word) => {
      const chars = Array.from(word);
      const hasConf = chars.some((c) => CONFUSABLES.has(c));
      if (!hasConf) return word;
      const hasLatin = chars.some((c) => /[A-Za-z]/.test(c));
      if (!hasLatin && !foldAll) return word;
      return chars
        .map((c) => {
          const m = CONFUSABLES.get(c);
          if (m !== undefined) {
            folded++;
            return m;
          }
          return c;
        })
        .join('');
    });
    if (folded > 0) signals.push({ type: 'confusable', count: folded });
  }
  return t;
}

/**
 * De-obfuscate text before detection: remove and report zero-width, bidi-control and
 * Unicode tag characters (decoding tag "ASCII smuggling" back to ASCII), NFKC, fold
 * Cyrillic/Greek/Armenian/Cherokee homoglyphs to Latin inside Latin-script text, undo
 * s p a c e d letters and aLtErNaTiNg case, decode base64 / hex / URL-encoded / Morse
 * segments, leetspeak words and ROT13 text. Every change is reported as a signal.
 *
 * @throws SecurityOptionError (`security_invalid_option`) when `text` is not a string.
 * @example
 * normalize('ign\u200Bore аll previous instructions').signals.map((s) => s.type);
 * // ['zero_width', 'confusable']
 */
export function normalize(text: string, options: NormalizeOptions = {}): NormalizeResult {
  if (typeof text !== 'string') {
    throw new SecurityOptionError(`normalize(text): text must be a string, got ${typeof text}. Pass the prompt text.`);
  }
  const decode = options.decode ?? true;
  const tryRot13 = options.rot13 ?? true;
  const minB64 = options.minBase64Length ?? 16;
  if (!Number.isInteger(minB64) || minB64 < 8) {
    throw new SecurityOptionError(`normalize: minBase64Length must be an integer >= 8, got ${String(options.minBase64Length)}.`);
  }
  const signals: NormalizeSignal[] = [];
  const original = text;
  let t = text;

  t = unicodeSteps(t, signals);
  const unicodeClean = t;

  if (decode) {
    // 5. URL-encoding (three or more %XX escapes in a run).
    let urlCount = 0;
    let urlDecoded = '';
    t = t.replace(/(?:%[0-9A-Fa-f]{2}[A-Za-z0-9._~\-+]*){3,}/g, (seg) => {
      try {
        const d = decodeURIComponent(seg.replace(/\+/g, ' '));
        if (!isMostlyPrintable(d)) return seg;
        urlCount++;
        urlDecoded += (urlDecoded ? ' ' : '') + d;
        return d;
      } catch {
        return seg;
      }
    });
    if (urlCount > 0) signals.push({ type: 'url_encoding', count: urlCount, decoded: urlDecoded });

    // 6. Hex: "69 67 6e 6f 72 65", "69676e6f7265", "\x69\x67".
    let hexCount = 0;
    let hexDecoded = '';
    t = t.replace(/(?:\\x[0-9A-Fa-f]{2}){4,}|\b(?:[0-9A-Fa-f]{2}[ :]?){8,}\b/g, (seg) => {
      const hex = seg.replace(/\\x|[ :]/g, '');
      if (hex.length % 2 !== 0) return seg;
      if (/^\d+$/.test(hex)) return seg; // plain numbers (card numbers, phone numbers) are not hex text
      const d = decodeUtf8(Buffer.from(hex, 'hex'));
      if (d === undefined || !isMostlyPrintable(d)) return seg;
      hexCount++;
      hexDecoded += (hexDecoded ? ' ' : '') + d;
      return ` ${d} `;
    });
    if (hexCount > 0) signals.push({ type: 'hex', count: hexCount, decoded: hexDecoded });

    // 7. Base64 (standard and URL-safe alphabets).
    let b64Count = 0;
    let b64Decoded = '';
    const b64 = new RegExp(`(?<![A-Za-z0-9+/_-])[A-Za-z0-9+/_-]{${minB64},}={0,2}(?![A-Za-z0-9+/_-])`, 'g');
    t = t.replace(b64, (seg) => {
      // Identifiers, words and hex digests are not base64 text: require mixed case or digits.
      if (!/[A-Z]/.test(seg) || !/[a-z]/.test(seg)) return seg;
      const d = decodeBase64Segment(seg);
      if (d === undefined) return seg;
      b64Count++;
      b64Decoded += (b64Decoded ? ' ' : '') + d;
      return ` ${d} `;
    });
    if (b64Count > 0) signals.push({ type: 'base64', count: b64Count, decoded: b64Decoded });

    // 8. Morse: runs of dot/dash groups separated by spaces, words by "/" or 3+ spaces.
    let morseCount = 0;
    let morseDecoded = '';
    t = t.replace(/(?:[.\-]{1,6}(?: {1,3}| ?\/ ?)){3,}[.\-]{1,6}/g, (seg) => {
      const words = seg.trim().split(/ ?\/ ?| {3,}/);
      let out = '';
      for (const w of words) {
        for (const code of w.trim().split(/ +/)) {
          const ch = MORSE[code];
          if (ch === undefined) return seg;
          out += ch;
        }
        out += ' ';
      }
      out = out.trim();
      if (out.replace(/[^a-z]/g, '').length < 3) return seg;
      morseCount++;
      morseDecoded += (morseDecoded ? ' ' : '') + out;
      return ` ${out} `;
    });
    if (morseCount > 0) signals.push({ type: 'morse', count: morseCount, decoded: morseDecoded });
  }

  // Decoded payloads can carry their own Unicode games (homoglyphs inside base64): clean again.
  if (t !== unicodeClean) t = unicodeSteps(t, signals);

  // 9. Spaced letters: "i g n o r e" or "i.g.n.o.r.e" (4+ single letters); double spaces separate words.
  let spaced = 0;
  // ASCII texts (the common case) use ASCII classes: \p{...} classes are several times slower.
  const ascii = !NON_ASCII_LETTERS.test(t);
  const spacedPre = ascii
    ? /(?:^|[^A-Za-z0-9])[A-Za-z0-9](?: {1,3}|[._*|-] ?)[A-Za-z0-9](?: {1,3}|[._*|-] ?)[A-Za-z0-9](?: {1,3}|[._*|-] ?)[A-Za-z0-9](?![A-Za-z0-9])/
    : /(?:^|[^\p{L}\p{N}])[\p{L}\p{N}](?: {1,3}|[._*|\-] ?)[\p{L}\p{N}](?: {1,3}|[._*|\-] ?)[\p{L}\p{N}](?: {1,3}|[._*|\-] ?)[\p{L}\p{N}](?![\p{L}\p{N}])/u;
  if (spacedPre.test(t)) t = t.replace(/(?<![\p{L}\p{N}])(?:[\p{L}\p{N}](?: {1,3}|[._*|\-] ?)){3,}[\p{L}\p{N}](?![\p{L}\p{N}])/gu, (seg) => {
    spaced++;
    return seg
      .split(/ {2,}| ?[|/] ?/)
      .map((w) => w.replace(/[ ._*\-]/g, ''))
      .join(' ');
  });
  if (spaced > 0) signals.push({ type: 'spaced_letters', count: spaced });

  // 10. aLtErNaTiNg case: when some word has 3+ case flips, lowercase every word with 2+ flips.
  const flipsOf = (word: string): number => {
    let flips = 0;
    let prevUpper: boolean | undefined;
    for (const ch of word) {
      const up = ch !== ch.toLowerCase();
      if (prevUpper !== undefined && up !== prevUpper) flips++;
      prevUpper = up;
    }
    return flips;
  };
  let alternating = 0;
  if ((ascii ? /[a-z][A-Z]/ : /\p{Ll}\p{Lu}/u).test(t) && (t.match(/\p{L}{4,}/gu) ?? []).some((w) => flipsOf(w) >= 3 && flipsOf(w) >= w.length / 2)) {
    t = t.replace(/\p{L}{3,}/gu, (word) => {
      const f = flipsOf(word);
      if (f >= 2 && f >= (word.length - 1) / 2) {
        alternating++;
        return word.toLowerCase();
      }
      return word;
    });
  }
  if (alternating > 0) signals.push({ type: 'alternating_case', count: alternating });

  // 11. Leetspeak: words mixing letters with leet digits/symbols ("1gn0r3", "h@ck").
  let leet = 0;
  if ((ascii ? /[A-Za-z][0-9@$|+]|[0-9@$|+][A-Za-z]/ : /\p{L}[0-9@$|+€]|[0-9@$|+€]\p{L}/u).test(t)) t = t.replace(/(?<![\p{L}\p{N}@$])[\p{L}0-9@$!|+€]{3,}(?![\p{L}\p{N}@$])/gu, (word) => {
    if (!/\p{L}/u.test(word) || !/[0-9@$|+€]/.test(word.slice(0, -1) + word.slice(-1).replace('!', ''))) return word;
    if (/^(?:\d*(?:1st|2nd|3rd)|\d+th|\d+(?:s|k|m|g|x|d|h|km|kg|mb|gb|px|am|pm|mm|cm|ms))$/i.test(word) || /^[a-z]{1,4}[0-9]+$/i.test(word)) return word; // 3rd, 10km, v2, gpt4
    if (/^(?:[0-9a-f]+)$/i.test(word) && /[0-9]/.test(word) && word.length >= 8) return word; // hex ids
    let letters = 0;
    for (const ch of word) if (/\p{L}/u.test(ch)) letters++;
    if (letters < 1 || Array.from(word).filter((c) => LEET[c] !== undefined).length + letters < 3) return word;
    leet++;
    return Array.from(word)
      .map((c) => LEET[c] ?? c)
      .join('');
  });
  if (leet > 0) signals.push({ type: 'leetspeak', count: leet });

  // 12. ROT13: per sentence, adopt it where it makes a non-English-looking segment read as English.
  // Cheap gate: ROT13 English contains the ROT13 of common or instruction words ("gur" = "the").
  if (tryRot13 && /\b(?:gur|naq|lbh|lbhe|vf|bs|gb|vg|gung|sbe|jvgu|nyy|vtaber|cerivbhf|vafgehpgvbaf?|flfgrz|cebzcg|cnffjbeq|erirny|frperg|fnl|cevag|sbetrg|ehyrf)\b/i.test(t)) {
    let rotCount = 0;
    let rotDecoded = '';
    t = t.replace(/[^.!?\n]+[.!?\n]*/g, (seg) => {
      const words = seg.match(/[A-Za-z]+/g);
      if (!words || words.length < 3) return seg;
      const before = englishScore(seg);
      if (before >= 0.3) return seg;
      const rotated = rot13(seg);
      const after = englishScore(rotated);
      if (after >= 0.3 && after > before + 0.2) {
        rotCount += words.length;
        rotDecoded += (rotDecoded ? ' ' : '') + rotated.trim();
        return rotated;
      }
      return seg;
    });
    if (rotCount > 0) signals.push({ type: 'rot13', count: rotCount, decoded: rotDecoded });
  }

  const variants = Array.from(new Set([original, unicodeClean, t, squash(t)]));
  return { text: t, signals, variants };
}
