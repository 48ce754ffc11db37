import { normalize, type NormalizeResult, type NormalizeSignal, type SignalType } from '../normalize/normalize.js';
import { SIGNATURES } from './signatures.js';

/** One signature that matched. */
export interface SignatureMatch {
  id: string;
  category: string;
  weight: number;
  /** The matched text (up to 80 characters). */
  match: string;
}

/** Evidence weight of each de-obfuscation signal (hidden content is suspicious by itself). */
export const SIGNAL_WEIGHTS: Record<SignalType, number> = {
  tag_smuggling: 0.6,
  bidi_control: 0.25,
  zero_width: 0.2,
  confusable: 0.3,
  base64: 0.3,
  hex: 0.3,
  rot13: 0.3,
  morse: 0.3,
  url_encoding: 0.1,
  leetspeak: 0.15,
  spaced_letters: 0.15,
  alternating_case: 0.2,
  nfkc: 0.05,
};

/** Noisy-OR of evidence weights: 1 - prod(1 - w). */
export function noisyOr(weights: Iterable<number>): number {
  let q = 1;
  for (const w of weights) q *= 1 - w;
  return 1 - q;
}

/** Match every registered signature against the normalized variants of a text. */
export function matchSignatures(normalized: NormalizeResult): SignatureMatch[] {
  const texts = normalized.variants.slice(0, -1).map((v) => v.toLowerCase().replace(/[’‘`´]/g, "'"));
  const squashed = normalized.variants[normalized.variants.length - 1]!;
  const out: SignatureMatch[] = [];
  for (const sig of SIGNATURES) {
    let m: RegExpMatchArray | null = null;
    for (const t of texts) {
      m = t.match(sig.pattern);
      if (m) break;
    }
    if (!m && sig.squashed) m = squashed.match(sig.squashed);
    if (m) out.push({ id: sig.id, category: sig.category, weight: sig.weight, match: m[0].slice(0, 80) });
  }
  return out;
}

/** Signature-layer score: noisy-OR of matched signature weights. */
export function signatureScore(matches: readonly SignatureMatch[]): number {
  return noisyOr(matches.map((m) => m.weight));
}

/** Obfuscation-layer score: noisy-OR of signal weights. */
export function obfuscationScore(signals: readonly NormalizeSignal[]): number {
  return noisyOr(signals.map((s) => SIGNAL_WEIGHTS[s.type]));
}

export { normalize };
