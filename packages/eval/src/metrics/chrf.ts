/**
 * chrF (Popović 2015) and chrF++ (Popović 2017) exactly as sacreBLEU 2.6.0 computes them
 * (`sacrebleu/metrics/chrf.py`): character n-grams of orders 1..charOrder over the text with
 * whitespace removed (or kept), word n-grams 1..wordOrder after splitting off one leading or
 * trailing punctuation mark per word, statistics of the best reference per segment summed over
 * the corpus, precision and recall averaged over the effective orders (or eps-smoothed as
 * chrF++.py), then F-beta.
 */
import { EvalError } from '../errors.js';
import { isBmpOnly, pySplit } from './python-text.js';
import { collectReferences, SACREBLEU_VERSION } from './bleu.js';
import {
  assertFiniteNumber,
  assertInteger,
  assertKnownKeys,
  assertNonEmpty,
  assertString,
  assertStringArray,
} from './validate.js';

/** Options of {@link corpusChrf} and {@link sentenceChrf}; defaults are sacreBLEU's chrF (chrF++: `wordOrder: 2`). */
export interface ChrfOptions {
  /** Character n-gram order (default 6). */
  charOrder?: number;
  /** Word n-gram order: 0 is chrF (default), 2 is chrF++. */
  wordOrder?: number;
  /** Recall weight beta of the F-score (default 2). */
  beta?: number;
  /** Lowercase first (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /** Keep whitespace inside character n-grams (sacreBLEU `whitespace=True`). Default false. */
  whitespace?: boolean;
  /**
   * Epsilon smoothing as chrF++.py, NLTK and Moses (every order counts, empty ones score eps).
   * Default false: sacreBLEU's effective order, averaging only orders present on both sides.
   */
  epsSmoothing?: boolean;
}

/** A chrF score, as sacreBLEU's `CHRFScore`, with the per-order statistics behind it. */
export interface ChrfResult {
  /** chrF in [0, 100]. */
  score: number;
  /** Metric name as sacreBLEU prints it: `chrF2`, `chrF2++`. */
  name: string;
  /** Summed [hypothesis, reference, match] n-gram counts per order (character orders, then word orders). */
  statistics: number[];
  charOrder: number;
  wordOrder: number;
  beta: number;
  /** sacreBLEU signature, e.g. `nrefs:1|case:mixed|eff:yes|nc:6|nw:0|space:no|version:2.6.0`. */
  signature: string;
}

interface ResolvedChrfOptions {
  charOrder: number;
  wordOrder: number;
  beta: number;
  lowercase: boolean;
  whitespace: boolean;
  epsSmoothing: boolean;
}

const OPTION_KEYS = ['charOrder', 'wordOrder', 'beta', 'lowercase', 'whitespace', 'epsSmoothing'] as const;

function resolveOptions(options: ChrfOptions | undefined, where: string): ResolvedChrfOptions {
  assertKnownKeys(options, `${where} options`, OPTION_KEYS);
  const o = options ?? {};
  const charOrder = o.charOrder ?? 6;
  const wordOrder = o.wordOrder ?? 0;
  const beta = o.beta ?? 2;
  assertInteger(charOrder, `${where} options.charOrder`, 0, 100);
  assertInteger(wordOrder, `${where} options.wordOrder`, 0, 100);
  if (charOrder + wordOrder === 0) {
    throw new EvalError('eval_invalid_option', `${where}: charOrder and wordOrder are both 0; set charOrder (6) or wordOrder (2 for chrF++).`);
  }
  assertFiniteNumber(beta, `${where} options.beta`);
  if (beta <= 0) throw new EvalError('eval_invalid_option', `${where} options.beta must be > 0, got ${beta}.`);
  return {
    charOrder,
    wordOrder,
    beta,
    lowercase: o.lowercase ?? false,
    whitespace: o.whitespace ?? false,
    epsSmoothing: o.epsSmoothing ?? false,
  };
}

const PUNCTS = new Set('!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~');

/** sacreBLEU's `CHRF._remove_punctuation`: split one trailing (else leading) punctuation mark off each word. */
function chrfWords(sentence: string): string[] {
  const out: string[] = [];
  for (const w of pySplit(sentence)) {
    // One code point (PUNCTS are ASCII, so UTF-16 end checks agree with Python's indexing).
    if (w.length === 1 || (w.length === 2 && w.codePointAt(0)! > 0xffff)) {
      out.push(w);
    } else if (PUNCTS.has(w[w.length - 1]!)) {
      out.push(w.slice(0, -1), w[w.length - 1]!);
    } else if (PUNCTS.has(w[0]!)) {
      out.push(w[0]!, w.slice(1));
    } else {
      out.push(w);
    }
  }
  return out;
}

type Counter = Map<string, number>;

function charNgrams(line: string, maxOrder: number, whitespace: boolean): Counter[] {
  const text = whitespace ? line : pySplit(line).join('');
  const counters: Counter[] = [];
  if (isBmpOnly(text)) {
    for (let n = 1; n <= maxOrder; n++) {
      const c: Counter = new Map();
      for (let i = 0; i + n <= text.length; i++) {
        const g = text.substring(i, i + n);
        c.set(g, (c.get(g) ?? 0) + 1);
      }
      counters.push(c);
    }
  } else {
    const chars = Array.from(text);
    for (let n = 1; n <= maxOrder; n++) {
      const c: Counter = new Map();
      for (let i = 0; i + n <= chars.length; i++) {
        const g = chars.slice(i, i + n).join('');
        c.set(g, (c.get(g) ?? 0) + 1);
      }
      counters.push(c);
    }
  }
  return counters;
}

function wordNgrams(words: readonly string[], n: number): Counter {
  const c: Counter = new Map();
  for (let i = 0; i + n <= words.length; i++) {
    const g = words.slice(i, i + n).join(' ');
    c.set(g, (c.get(g) ?? 0) + 1);
  }
  return c;
}

function allNgrams(sentence: string, o: ResolvedChrfOptions): Counter[] {
  const counters = charNgrams(sentence, o.charOrder, o.whitespace);
  if (o.wordOrder > 0) {
    const words = chrfWords(sentence);
    for (let n = 1; n <= o.wordOrder; n++) counters.push(wordNgrams(words, n));
  }
  return counters;
}

function total(c: Counter): number {
  let s = 0;
  for (const v of c.values()) s += v;
  return s;
}

/** sacreBLEU's `CHRF._compute_f_score` over flattened [hyp, ref, match] triples. */
function fScore(stats: readonly number[], o: ResolvedChrfOptions): number {
  const eps = 1e-16;
  const order = o.charOrder + o.wordOrder;
  const factor = o.beta ** 2;
  let score = 0.0;
  let effectiveOrder = 0;
  let avgPrec = 0.0;
  let avgRec = 0.0;
  for (let i = 0; i < order; i++) {
    const nHyp = stats[3 * i]!;
    const nRef = stats[3 * i + 1]!;
    const nMatch = stats[3 * i + 2]!;
    const prec = nHyp > 0 ? nMatch / nHyp : eps;
    const rec = nRef > 0 ? nMatch / nRef : eps;
    const denom = factor * prec + rec;
    score += denom > 0 ? ((1 + factor) * prec * rec) / denom : eps;
    if (nHyp > 0 && nRef > 0) {
      avgPrec += prec;
      avgRec += rec;
      effectiveOrder += 1;
    }
  }
  if (o.epsSmoothing) return (100 * score) / order;
  if (effectiveOrder === 0) {
    avgPrec = avgRec = 0.0;
  } else {
    avgPrec /= effectiveOrder;
    avgRec /= effectiveOrder;
  }
  if (avgPrec + avgRec) {
    let s = (1 + factor) * avgPrec * avgRec;
    s /= factor * avgPrec + avgRec;
    return 100 * s;
  }
  return 0.0;
}

function segmentStatistics(hypothesis: string, refs: readonly string[], o: ResolvedChrfOptions): number[] {
  const prep = (s: string): string => (o.lowercase ? s.toLowerCase() : s);
  const hyp = allNgrams(prep(hypothesis), o);
  const hypTotals = hyp.map(total);
  let best: number[] = [];
  let bestF = -1.0;
  for (const ref of refs) {
    const refNgrams = allNgrams(prep(ref), o);
    const stats: number[] = [];
    for (let k = 0; k < hyp.length; k++) {
      const h = hyp[k]!;
      const r = refNgrams[k]!;
      let match = 0;
      for (const [g, c] of h) {
        const rc = r.get(g);
        if (rc !== undefined) match += Math.min(c, rc);
      }
      stats.push(r.size > 0 ? hypTotals[k]! : 0, total(r), match);
    }
    const f = fScore(stats, o);
    if (f > bestF) {
      bestF = f;
      best = stats;
    }
  }
  return best;
}

function result(stats: number[], o: ResolvedChrfOptions, numRefs: number | 'var'): ChrfResult {
  const signature = [
    `nrefs:${numRefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.epsSmoothing ? 'no' : 'yes'}`,
    `nc:${o.charOrder}`,
    `nw:${o.wordOrder}`,
    `space:${o.whitespace ? 'yes' : 'no'}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
  return {
    score: fScore(stats, o),
    name: `chrF${o.beta}${'+'.repeat(o.wordOrder)}`,
    statistics: stats,
    charOrder: o.charOrder,
    wordOrder: o.wordOrder,
    beta: o.beta,
    signature,
  };
}

/**
 * Corpus-level chrF / chrF++ exactly as sacreBLEU's `corpus_chrf` (`CHRF(...).corpus_score`).
 *
 * @param referenceSets reference streams, each parallel to `hypotheses` (`null` = missing).
 * @throws EvalError `eval_length_mismatch`, `eval_empty_input`, `eval_invalid_option`.
 * @example
 * corpusChrf(['Hello, world!'], [['Hello world']], { wordOrder: 2 }).score // 53.0376... (chrF++)
 */
export function corpusChrf(
  hypotheses: readonly string[],
  referenceSets: readonly (readonly (string | null)[])[],
  options?: ChrfOptions,
): ChrfResult {
  const o = resolveOptions(options, 'corpusChrf');
  assertStringArray(hypotheses, 'corpusChrf: hypotheses');
  assertNonEmpty(hypotheses, 'corpusChrf: hypotheses');
  const { perSegment, numRefs } = collectReferences(hypotheses, referenceSets, 'corpusChrf');
  const order = o.charOrder + o.wordOrder;
  const sum = new Array<number>(3 * order).fill(0);
  for (let i = 0; i < hypotheses.length; i++) {
    const s = segmentStatistics(hypotheses[i]!, perSegment[i]!, o);
    for (let j = 0; j < sum.length; j++) sum[j]! += s[j]!;
  }
  return result(sum, o, numRefs);
}

/**
 * Sentence-level chrF / chrF++ as sacreBLEU's `sentence_chrf(hypothesis, references)`: the best
 * reference (highest F) gives the statistics.
 *
 * @throws EvalError `eval_empty_input` for no references, `eval_invalid_option` for bad options.
 * @example
 * sentenceChrf('this is a cat', ['okay thanks'], { wordOrder: 2 }).score // 7.6388...
 */
export function sentenceChrf(hypothesis: string, references: readonly string[], options?: ChrfOptions): ChrfResult {
  const o = resolveOptions(options, 'sentenceChrf');
  assertString(hypothesis, 'sentenceChrf: hypothesis');
  assertStringArray(references, 'sentenceChrf: references');
  if (references.length === 0) {
    throw new EvalError('eval_empty_input', 'sentenceChrf: references is empty; give at least one reference string.');
  }
  return result(segmentStatistics(hypothesis, references, o), o, references.length);
}
