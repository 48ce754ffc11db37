import { SecurityOptionError } from '../errors/index.js';
import {
  base58checkValid,
  bech32Valid,
  ethAddressValid,
  ibanValid,
  ipv4Valid,
  ipv6Valid,
  luhnValid,
  ssnValid,
} from './validators.js';

/** A detected PII entity or secret: type (Presidio entity name), character span `[start, end)`, text, score. */
export interface PiiFinding {
  type: string;
  start: number;
  end: number;
  text: string;
  score: number;
}

/** One recognizer: a candidate regex, an optional validator, a base score and context words that raise it. */
export interface PiiRecognizer {
  /** Presidio entity name, e.g. `CREDIT_CARD`. */
  entity: string;
  /** Global regex; capture group 1 (when present) is the entity span, else the whole match. */
  pattern: RegExp;
  /** Return false to reject a candidate (checksum, structure); a number replaces the score. */
  validate?: (text: string, context: string) => boolean | number;
  score: number;
  /** Words within 40 characters before the match that raise the score by 0.15 (capped at 1). */
  context?: string[];
  /** When true, a match is kept only if a context word is present. */
  requireContext?: boolean;
}

const DOB_CONTEXT = ['born', 'birth', 'dob', 'd.o.b', 'birthday', 'birthdate', 'date of birth', 'age'];

const TLDS = new Set(
  ('com org net edu gov mil int io ai co info biz app dev site online store tech xyz me tv us uk de fr it es nl be ch at se no dk fi pl cz ' +
    'pt br ar mx ca au nz jp cn kr in ru ua il za ie gr hu ro bg hr si sk lt lv ee is lu cy mt tr ae sa eg ng ke sg hk tw th vn id ph my ' +
    'pk bd lk ir iq cl pe uy ve ec bo py cr pa do gt hn sv ni cu pr jm tt nu ws fm ly to cc gg je im eu asia cloud blog shop news live ' +
    'webcam vlaanderen club media email network page space world agency digital solutions services company global link today center ' +
    'academy design studio website zone systems technology group work life love fun host press travel events health care').split(' '),
);

function urlValid(text: string): boolean {
  const host = text.replace(/^[a-z][a-z0-9+.-]*:\/\//i, '').replace(/^www\./i, '').split(/[/:?#]/)[0]!;
  if (/^\[?[0-9a-f:.]+\]?$/i.test(host) && /\d/.test(host)) return true; // IP literal
  const labels = host.toLowerCase().split('.');
  if (labels.length < 2) return false;
  const tld = labels[labels.length - 1]!;
  return TLDS.has(tld) || /^xn--/.test(tld) || (/^[a-z][a-z0-9+.-]*:\/\//i.test(text) && /^[a-z]{2,24}$/.test(tld));
}

/** The built-in recognizers, a registry keyed by entity name (see {@link registerPiiRecognizer}). */
export const PII_RECOGNIZERS: PiiRecognizer[] = [
  {
    entity: 'EMAIL_ADDRESS',
    pattern: /(?<![\w.%+-])[A-Za-z0-9._%+-]+@(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+(?:xn--[A-Za-z0-9-]{2,59}|[A-Za-z]{2,24})\b/g,
    validate: (t) => !t.includes('..') && !/^\./.test(t),
    score: 1,
  },
  {
    entity: 'CREDIT_CARD',
    pattern: /(?<![\d-])([1-6]\d{3}([ -])\d{4}\2\d{4}\2\d{1,7}|[1-6]\d{3}([ -])\d{6}\3\d{4,5}|[1-6]\d{11,18})(?![\d])/g,
    validate: (t, ctx) => {
      const d = t.replace(/\D/g, '');
      if (d.length < 12 || d.length > 19 || !luhnValid(d)) return false;
      if (/^(\d)\1+$/.test(d)) return false;
      if (/^1\d{12}$/.test(d)) return false; // 13 digits starting with 1 are not card numbers (Presidio excludes them too)
      if (d.length === 12) return /card|visa|master|amex|maestro|payment|cc/i.test(ctx) ? 0.9 : false;
      return true;
    },
    score: 1,
    context: ['card', 'credit', 'visa', 'mastercard', 'amex', 'payment'],
  },
  {
    entity: 'IBAN_CODE',
    pattern: /\b([A-Za-z]{2}\d{2}(?: ?[A-Za-z0-9]{4}){2,7}(?: ?[A-Za-z0-9]{1,4})?)\b/g,
    validate: (t) => ibanValid(t),
    score: 1,
  },
  {
    entity: 'US_SSN',
    pattern: /(?<![\d-])(\d{3}([- .])\d{2}\2\d{4}|\d{3}-\d{6}|\d{5}-\d{4}|\d{9})(?![\d-])/g,
    validate: (t, ctx) => {
      if (!ssnValid(t)) return false;
      if (/^(\d{3}-\d{6}|\d{5}-\d{4})$/.test(t)) return 0.5;
      if (/^\d{9}$/.test(t)) return /ssn|social security|ss#|ss #/i.test(ctx) ? 0.85 : false;
      return true;
    },
    score: 0.85,
    context: ['ssn', 'social security', 'ss#'],
  },
  {
    entity: 'IP_ADDRESS',
    pattern: /(?<![\w.])(\d{1,3}(?:\.\d{1,3}){3})(?!\d)/g,
    validate: (t) => ipv4Valid(t),
    score: 0.95,
  },
  {
    entity: 'IP_ADDRESS',
    pattern: /(?<![\w:.])((?:[0-9A-Fa-f]{0,4}:){2,7}(?:\d{1,3}(?:\.\d{1,3}){3}|[0-9A-Fa-f]{1,4})?(?:%[A-Za-z0-9]+)?)(?![\w:]|\.\d)/g,
    validate: (t) => t.length >= 2 && ipv6Valid(t),
    score: 0.95,
  },
  {
    entity: 'MAC_ADDRESS',
    pattern: /(?<![\w:-])((?:[0-9A-Fa-f]{2}([:-]))(?:[0-9A-Fa-f]{2}\2){4}[0-9A-Fa-f]{2}|[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4}\.[0-9A-Fa-f]{4})(?![\w:-])/g,
    validate: (t) => !/^(?:ff[:.-]?){5}ff$|^(?:00[:.-]?){5}00$/i.test(t) && !/^f{4}\.f{4}\.f{4}$|^0{4}\.0{4}\.0{4}$/i.test(t),
    score: 0.9,
  },
  {
    entity: 'CRYPTO',
    pattern: /(?<![A-Za-z0-9])([13][a-km-zA-HJ-NP-Z1-9]{25,34}|(?:bc|tb)1[ac-hj-np-z02-9]{8,87}|0x[0-9a-fA-F]{40})(?![A-Za-z0-9])/g,
    validate: (t) => (t.startsWith('0x') ? ethAddressValid(t) : /^(bc|tb)1/i.test(t) ? bech32Valid(t) : base58checkValid(t)),
    score: 1,
  },
  {
    entity: 'URL',
    pattern: /(?<![\w@.\/-])((?:(?:https?|ftp):\/\/|www\.)[^\s<>"'`)\]]+|(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,24}(?:\/[^\s<>"'`)\]]*)?)(?![\w@-])/g,
    validate: (t) => urlValid(t.replace(/[.,;:!?]+$/, '')),
    score: 0.6,
  },
  {
    entity: 'PHONE_NUMBER',
    pattern:
      /(?<![\w+])(\+\d{1,3}[ .-]?(?:\(0?\d{1,4}\)[ .-]?)?\d{1,5}(?:[ .-]?\d{1,5}){1,5}|\(\d{2,4}\) ?\d{3,4}[ .-]?\d{3,4}|\d{2,5}[ .-]\d{2,4}[ .-]\d{2,4}(?:[ .-]\d{2,4}){0,2}(?:x\d{1,5})?|0\d{1,2}-\d{7}|\d{3,4}[ .-]\d{4}|\d{10,11})(?![\w])/g,
    validate: (t, ctx) => {
      const digits = t.replace(/\D/g, '').length;
      if (digits < 7 || digits > 15) return false;
      if (/^\d{4}[ .-]\d{2}[ .-]\d{2}$/.test(t) || /^\d{1,2}[.]\d{1,2}[.]\d{2,4}$/.test(t)) return false; // dates
      if (/^\d{1,3}(\.\d{1,3}){3}$/.test(t)) return false; // IPv4
      const hasContext = /phone|tel|mobile|cell|call|fax|number|contact|whatsapp|sms|reach/i.test(ctx);
      if (t.startsWith('+') || t.startsWith('(')) return hasContext ? 0.95 : 0.75;
      if (/^\d+$/.test(t)) return hasContext ? 0.6 : false;
      return hasContext ? 0.85 : 0.5;
    },
    score: 0.5,
    context: ['phone', 'tel', 'mobile', 'cell', 'call', 'fax', 'number', 'contact'],
  },
  {
    entity: 'DATE_TIME',
    pattern:
      /\b(\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?|\d{1,2}[/.-]\d{1,2}[/.-]\d{2,4}|(?:\d{1,2} )?(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|jun(?:e)?|jul(?:y)?|aug(?:ust)?|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.? \d{1,2}(?:st|nd|rd|th)?,? \d{4}|\d{1,2} (?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:tember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?) \d{4})\b/gi,
    validate: (t, ctx) => (DOB_CONTEXT.some((w) => ctx.toLowerCase().includes(w)) ? 0.85 : 0.5),
    score: 0.5,
    context: DOB_CONTEXT,
  },
];

/** Add a recognizer to the registry {@link scanPii} uses. */
export function registerPiiRecognizer(recognizer: PiiRecognizer): void {
  if (!recognizer.pattern.global) {
    throw new SecurityOptionError(`registerPiiRecognizer(${recognizer.entity}): pattern must have the g flag.`);
  }
  PII_RECOGNIZERS.push(recognizer);
}

/** Options of {@link scanPii}. */
export interface ScanPiiOptions {
  /** Only these entity types (default: all). */
  entities?: string[];
  /** Drop findings below this score (default 0.5). */
  minScore?: number;
  /** Recognizers to use instead of the registry. */
  recognizers?: PiiRecognizer[];
}

/** Keep the best of overlapping findings: higher score, then longer span. */
export function resolveOverlaps(findings: PiiFinding[]): PiiFinding[] {
  const sorted = [...findings].sort((a, b) => b.score - a.score || b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: PiiFinding[] = [];
  for (const f of sorted) {
    if (kept.some((k) => f.start < k.end && k.start < f.end)) continue;
    kept.push(f);
  }
  return kept.sort((a, b) => a.start - b.start);
}

/** Run recognizers over text; overlaps are not resolved. */
export function runRecognizers(text: string, recognizers: readonly PiiRecognizer[], entities?: Set<string>): PiiFinding[] {
  const out: PiiFinding[] = [];
  for (const r of recognizers) {
    if (entities && !entities.has(r.entity)) continue;
    r.pattern.lastIndex = 0;
    for (const m of text.matchAll(r.pattern)) {
      let value = m[1] ?? m[0];
      let start = m.index! + (m[1] !== undefined ? m[0].indexOf(m[1]) : 0);
      // Trailing punctuation is not part of a URL/e-mail.
      if (r.entity === 'URL') value = value.replace(/[.,;:!?]+$/, '');
      const ctx = text.slice(Math.max(0, start - 40), start);
      let score = r.score;
      if (r.validate) {
        const v = r.validate(value, ctx);
        if (v === false) continue;
        if (typeof v === 'number') score = v;
      }
      const hasCtx = r.context?.some((w) => ctx.toLowerCase().includes(w)) ?? false;
      if (r.requireContext && !hasCtx) continue;
      if (hasCtx && typeof r.validate !== 'function') score = Math.min(1, score + 0.15);
      out.push({ type: r.entity, start, end: start + value.length, text: value, score });
      start = 0;
    }
  }
  return out;
}

/**
 * Find PII in text with validated recognizers (Presidio entity names): EMAIL_ADDRESS,
 * PHONE_NUMBER (international and national formats), CREDIT_CARD (Luhn), IBAN_CODE
 * (mod-97 and per-country length), US_SSN (area/group/serial rules), IP_ADDRESS (v4/v6),
 * MAC_ADDRESS, URL, DATE_TIME (dates; higher score with birth context), CRYPTO (BTC
 * base58check / bech32, ETH with EIP-55). Overlapping findings keep the best one.
 * @throws SecurityOptionError (`security_invalid_option`) when text is not a string or minScore is outside [0, 1].
 * @example
 * scanPii('card 4111 1111 1111 1111, mail a@b.io');
 * // [{ type: 'CREDIT_CARD', start: 5, end: 24, ... }, { type: 'EMAIL_ADDRESS', ... }]
 */
export function scanPii(text: string, options: ScanPiiOptions = {}): PiiFinding[] {
  if (typeof text !== 'string') throw new SecurityOptionError(`scanPii(text): text must be a string, got ${typeof text}.`);
  const minScore = options.minScore ?? 0.5;
  if (!(minScore >= 0 && minScore <= 1)) throw new SecurityOptionError(`scanPii: minScore must be in [0, 1], got ${minScore}.`);
  const entities = options.entities ? new Set(options.entities) : undefined;
  const found = runRecognizers(text, options.recognizers ?? PII_RECOGNIZERS, entities).filter((f) => f.score >= minScore);
  return resolveOverlaps(found);
}
