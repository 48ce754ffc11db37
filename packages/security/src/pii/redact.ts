import { createHash, createHmac, randomBytes } from 'node:crypto';
import { SecurityDataError, SecurityOptionError } from '../errors/index.js';
import type { PiiFinding } from './scan-pii.js';

/** How {@link redact} replaces a finding. */
export type RedactionMode = 'mask' | 'hash' | 'placeholder' | 'anonymize';

/** Options of {@link redact}. */
export interface RedactOptions {
  mode?: RedactionMode;
  /** `mask`: the masking character (default `*`) and how many trailing characters to keep (default 0). */
  maskChar?: string;
  keepLast?: number;
  /** `hash`: HMAC key (default: plain SHA-256); output `<TYPE:first 12 hex>`. */
  hashKey?: string;
  /** `anonymize` (and `placeholder` when given): the vault that maps placeholders back to values. */
  vault?: Vault;
}

/**
 * A reversible mapping between sensitive values and typed placeholders (`<EMAIL_ADDRESS_1>`).
 * The same value always gets the same placeholder within a vault, so a model can refer to it;
 * `deanonymize` puts the originals back into the model's answer.
 * @example
 * const vault = new Vault();
 * const safe = redact(text, scanPii(text), { mode: 'anonymize', vault });
 * const answer = vault.deanonymize(await model.complete(safe));
 */
export class Vault {
  private readonly byValue = new Map<string, string>();
  private readonly byPlaceholder = new Map<string, string>();
  private readonly counters = new Map<string, number>();

  /** Placeholder for `value` of entity `type`, created on first use. */
  placeholder(type: string, value: string): string {
    const key = `${type}\u0000${value}`;
    let p = this.byValue.get(key);
    if (p === undefined) {
      const n = (this.counters.get(type) ?? 0) + 1;
      this.counters.set(type, n);
      p = `<${type}_${n}>`;
      this.byValue.set(key, p);
      this.byPlaceholder.set(p, value);
    }
    return p;
  }

  /** The original value of a placeholder, if known. */
  lookup(placeholder: string): string | undefined {
    return this.byPlaceholder.get(placeholder);
  }

  get size(): number {
    return this.byPlaceholder.size;
  }

  /**
   * Replace every known placeholder in `text` by its original value.
   * @param options.strict when true, an unknown placeholder-shaped token throws SecurityDataError (`security_data`).
   */
  deanonymize(text: string, options: { strict?: boolean } = {}): string {
    return text.replace(/<([A-Z][A-Z0-9_]*?)_(\d+)>/g, (m) => {
      const v = this.byPlaceholder.get(m);
      if (v !== undefined) return v;
      if (options.strict) {
        throw new SecurityDataError(`Vault.deanonymize: placeholder ${m} is not in this vault. Use the vault that anonymised the prompt, or strict: false to leave it.`);
      }
      return m;
    });
  }

  /** Plain-object snapshot (to persist between requests); treat it as sensitive. */
  toJSON(): Record<string, string> {
    return Object.fromEntries(this.byPlaceholder);
  }

  /** Rebuild a vault from {@link Vault.toJSON}. */
  static fromJSON(data: Record<string, string>): Vault {
    const v = new Vault();
    for (const [p, value] of Object.entries(data)) {
      const m = /^<([A-Z][A-Z0-9_]*?)_(\d+)>$/.exec(p);
      if (!m) throw new SecurityDataError(`Vault.fromJSON: key ${JSON.stringify(p)} is not a placeholder like <EMAIL_ADDRESS_1>.`);
      v.byPlaceholder.set(p, value);
      v.byValue.set(`${m[1]}\u0000${value}`, p);
      v.counters.set(m[1]!, Math.max(v.counters.get(m[1]!) ?? 0, Number(m[2])));
    }
    return v;
  }
}

/**
 * Replace findings (from scanPii / scanSecrets) in `text`: `mask` (`****1234` with keepLast),
 * `hash` (`<EMAIL_ADDRESS:3f2a...>`, HMAC-SHA256 when hashKey is set), `placeholder`
 * (`<EMAIL_ADDRESS_1>`, same value same number) or `anonymize` (placeholders recorded in a
 * {@link Vault} for later deanonymisation). Overlapping findings: the earliest wins.
 * @throws SecurityOptionError (`security_invalid_option`) on an unknown mode, a finding outside the text, or a finding whose text does not match the span.
 * @example
 * redact('mail me: a@b.io', scanPii('mail me: a@b.io'), { mode: 'placeholder' }); // 'mail me: <EMAIL_ADDRESS_1>'
 */
export function redact(text: string, findings: readonly PiiFinding[], options: RedactOptions = {}): string {
  const mode = options.mode ?? 'placeholder';
  if (!['mask', 'hash', 'placeholder', 'anonymize'].includes(mode)) {
    throw new SecurityOptionError(`redact: mode must be "mask", "hash", "placeholder" or "anonymize", got ${JSON.stringify(mode)}.`);
  }
  const maskChar = options.maskChar ?? '*';
  const keepLast = options.keepLast ?? 0;
  if (!Number.isInteger(keepLast) || keepLast < 0) throw new SecurityOptionError(`redact: keepLast must be a non-negative integer, got ${keepLast}.`);
  const vault = mode === 'anonymize' ? (options.vault ?? new Vault()) : (options.vault ?? new Vault());
  if (mode === 'anonymize' && options.vault === undefined) {
    throw new SecurityOptionError('redact: mode "anonymize" needs options.vault (new Vault()) to deanonymise the answer later.');
  }
  const sorted = [...findings].sort((a, b) => a.start - b.start);
  let out = '';
  let pos = 0;
  for (const f of sorted) {
    if (f.start < 0 || f.end > text.length || f.start > f.end) {
      throw new SecurityOptionError(`redact: finding ${f.type} [${f.start}, ${f.end}) lies outside the text (length ${text.length}); pass findings computed on this text.`);
    }
    if (f.start < pos) continue;
    const value = text.slice(f.start, f.end);
    if (f.text !== undefined && f.text !== value) {
      throw new SecurityOptionError(`redact: finding ${f.type} text ${JSON.stringify(f.text)} does not match the text at [${f.start}, ${f.end}); pass findings computed on this text.`);
    }
    out += text.slice(pos, f.start);
    if (mode === 'mask') {
      const keep = Math.min(keepLast, value.length);
      out += maskChar.repeat(value.length - keep) + value.slice(value.length - keep);
    } else if (mode === 'hash') {
      const h = options.hashKey ? createHmac('sha256', options.hashKey).update(value).digest('hex') : createHash('sha256').update(value).digest('hex');
      out += `<${f.type}:${h.slice(0, 12)}>`;
    } else {
      out += vault.placeholder(f.type, value);
    }
    pos = f.end;
  }
  return out + text.slice(pos);
}

/** A random salt for hash mode, if you need one per session. */
export function randomHashKey(): string {
  return randomBytes(16).toString('hex');
}
