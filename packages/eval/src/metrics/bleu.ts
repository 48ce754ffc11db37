/**
 * BLEU (Papineni et al., 2002) exactly as sacreBLEU 2.6.0 computes it (`sacrebleu/metrics/bleu.py`):
 * clipped n-gram counts against the maximum count over references, closest reference length
 * (ties to the shorter), corpus statistics summed before the geometric mean, the smoothing
 * methods of Chen & Cherry (2014) (`none`, `floor`, `add-k`, `exp`), effective order and the
 * reproducibility signature.
 */
import { EvalError } from '../errors.js';
import { pyRstrip, pySplit } from './python-text.js';
import { BLEU_TOKENIZERS, type BleuTokenizerName } from './tokenizers.js';
import {
  assertInteger,
  assertKnownKeys,
  assertNonEmpty,
  assertOneOf,
  assertSameLength,
  assertString,
  assertStringArray,
  assertFiniteNumber,
} from './validate.js';

/** The sacreBLEU version whose behaviour (and signature string) these metrics reproduce. */
export const SACREBLEU_VERSION = '2.6.0';

/** BLEU smoothing methods (Chen & Cherry 2014): none, floor (method 1), add-k (method 2), exp (method 3, NIST). */
export type BleuSmoothMethod = 'none' | 'floor' | 'add-k' | 'exp';

const SMOOTH_DEFAULTS: Readonly<Record<BleuSmoothMethod, number | null>> = {
  none: null,
  floor: 0.1,
  'add-k': 1,
  exp: null,
};

/** Options of {@link corpusBleu} and {@link sentenceBleu}; the defaults are sacreBLEU's. */
export interface BleuOptions {
  /** Tokenizer name, as sacreBLEU's `tokenize` (default `'13a'`). */
  tokenize?: BleuTokenizerName;
  /** Smoothing method (default `'exp'`). */
  smoothMethod?: BleuSmoothMethod;
  /** Value for `floor` (default 0.1) and `add-k` (default 1); ignored by `exp` and `none`. */
  smoothValue?: number;
  /** Lowercase hypotheses and references first (signature `case:lc`). Default false. */
  lowercase?: boolean;
  /**
   * Stop at the first n-gram order with no hypothesis n-grams and average over the orders
   * reached. Default false for {@link corpusBleu}, true for {@link sentenceBleu} (as sacreBLEU's
   * `sentence_bleu`).
   */
  effectiveOrder?: boolean;
  /** Maximum n-gram order (default 4). */
  maxNgramOrder?: number;
}

/** A BLEU score with its sufficient statistics, field for field as sacreBLEU's `BLEUScore`. */
export interface BleuResult {
  /** BLEU in [0, 100]. */
  score: number;
  /** Matched (clipped) n-gram counts per order 1..N (with `add-k`, k is included for n > 1, as sacreBLEU reports). */
  counts: number[];
  /** Hypothesis n-gram counts per order 1..N (with `add-k`, k is included for n > 1). */
  totals: number[];
  /** Precisions per order in percent (smoothed where the method says). */
  precisions: number[];
  /** Brevity penalty. */
  bp: number;
  /** Total hypothesis length in tokens. */
  sysLen: number;
  /** Total closest-reference length in tokens. */
  refLen: number;
  /** sacreBLEU signature, e.g. `nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0`. */
  signature: string;
}

interface ResolvedBleuOptions {
  tokenize: BleuTokenizerName;
  smoothMethod: BleuSmoothMethod;
  smoothValue: number | null;
  lowercase: boolean;
  effectiveOrder: boolean;
  maxNgramOrder: number;
}

const OPTION_KEYS = ['tokenize', 'smoothMethod', 'smoothValue', 'lowercase', 'effectiveOrder', 'maxNgramOrder'] as const;

function resolveOptions(options: BleuOptions | undefined, effectiveOrderDefault: boolean, where: string): ResolvedBleuOptions {
  assertKnownKeys(options, `${where} options`, OPTION_KEYS);
  const o = options ?? {};
  const tokenize = o.tokenize ?? '13a';
  assertOneOf(tokenize, `${where} options.tokenize`, Object.keys(BLEU_TOKENIZERS) as BleuTokenizerName[]);
  const smoothMethod = o.smoothMethod ?? 'exp';
  assertOneOf(smoothMethod, `${where} options.smoothMethod`, ['none', 'floor', 'add-k', 'exp'] as const);
  if (o.smoothValue !== undefined) {
    assertFiniteNumber(o.smoothValue, `${where} options.smoothValue`);
    if (o.smoothValue < 0) {
      throw new EvalError('eval_invalid_option', `${where} options.smoothValue must be >= 0, got ${o.smoothValue}.`);
    }
  }
  const maxNgramOrder = o.maxNgramOrder ?? 4;
  assertInteger(maxNgramOrder, `${where} options.maxNgramOrder`, 1, 100);
  return {
    tokenize,
    smoothMethod,
    smoothValue: o.smoothValue ?? null,
    lowercase: o.lowercase ?? false,
    effectiveOrder: o.effectiveOrder ?? effectiveOrderDefault,
    maxNgramOrder,
  };
}

/** Python's `f'{x:.2f}'` (round half to even on exact binary ties, which `toFixed` rounds up). */
function pyFormat2(x: number): string {
  const scaled = x * 100;
  const floor = Math.floor(scaled);
  if (scaled - floor === 0.5 && Number.isInteger(x * 8)) {
    const even = floor % 2 === 0 ? floor : floor + 1;
    return (even / 100).toFixed(2);
  }
  return x.toFixed(2);
}

/**
 * sacreBLEU's BLEU signature string for these options and reference count (`'var'` when it varies).
 * @throws EvalError `eval_invalid_option` for bad options.
 * @example
 * bleuSignature({ numRefs: 1, smoothMethod: 'floor' }) // 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:floor[0.10]|version:2.6.0'
 */
export function bleuSignature(options: BleuOptions & { numRefs: number | 'var' }): string {
  const { numRefs, ...rest } = options;
  const o = resolveOptions(rest, false, 'bleuSignature');
  let smooth: string = o.smoothMethod;
  const def = SMOOTH_DEFAULTS[o.smoothMethod];
  if (def !== null) smooth += `[${pyFormat2(o.smoothValue ?? def)}]`;
  return [
    `nrefs:${numRefs}`,
    `case:${o.lowercase ? 'lc' : 'mixed'}`,
    `eff:${o.effectiveOrder ? 'yes' : 'no'}`,
    `tok:${o.tokenize}`,
    `smooth:${smooth}`,
    `version:${SACREBLEU_VERSION}`,
  ].join('|');
}

/** sacreBLEU's `my_log`: log, with log(0) floored to -9999999999. */
function myLog(x: number): number {
  return x === 0 ? -9999999999 : Math.log(x);
}

/** Sufficient statistics accepted by {@link computeBleu}. */
export interface BleuStatistics {
  /** Matched n-gram counts per order. */
  correct: readonly number[];
  /** Hypothesis n-gram counts per order. */
  total: readonly number[];
  /** Hypothesis length (tokens). */
  sysLen: number;
  /** Reference length (tokens). */
  refLen: number;
}

/**
 * BLEU from already aggregated statistics, as sacreBLEU's `BLEU.compute_bleu` (same smoothing,
 * effective order and early exit when nothing matches). The returned `signature` is empty.
 *
 * @throws EvalError `eval_invalid_option` for unequal `correct`/`total` lengths or a bad method.
 * @example
 * computeBleu({ correct: [9, 7, 5, 3], total: [10, 8, 6, 4], sysLen: 11, refLen: 11 }).score // 83.759...
 */
export function computeBleu(
  stats: BleuStatistics,
  options: { smoothMethod?: BleuSmoothMethod; smoothValue?: number; effectiveOrder?: boolean } = {},
): BleuResult {
  const smoothMethod = options.smoothMethod ?? 'none';
  assertOneOf(smoothMethod, 'computeBleu options.smoothMethod', ['none', 'floor', 'add-k', 'exp'] as const);
  assertSameLength(stats.correct, 'stats.correct', stats.total, 'stats.total');
  const smoothValue = options.smoothValue ?? SMOOTH_DEFAULTS[smoothMethod] ?? 0;
  const effectiveOrder = options.effectiveOrder ?? false;
  const maxOrder = stats.correct.length;
  const correct = stats.correct.slice();
  const total = stats.total.slice();
  const { sysLen, refLen } = stats;

  let bp = 1.0;
  if (sysLen < refLen) bp = sysLen > 0 ? Math.exp(1 - refLen / sysLen) : 0.0;

  const precisions = new Array<number>(maxOrder).fill(0);
  const result = (score: number): BleuResult => ({ score, counts: correct, totals: total, precisions, bp, sysLen, refLen, signature: '' });
  // Early stop if there are no matches (sacreBLEU #141).
  if (!correct.some((c) => c !== 0)) return result(0.0);

  let smoothMteval = 1.0;
  let effOrder = maxOrder;
  for (let n = 1; n <= maxOrder; n++) {
    if (smoothMethod === 'add-k' && n > 1) {
      correct[n - 1]! += smoothValue;
      total[n - 1]! += smoothValue;
    }
    if (total[n - 1] === 0) break;
    if (effectiveOrder) effOrder = n;
    if (correct[n - 1] === 0) {
      if (smoothMethod === 'exp') {
        smoothMteval *= 2;
        precisions[n - 1] = 100 / (smoothMteval * total[n - 1]!);
      } else if (smoothMethod === 'floor') {
        precisions[n - 1] = (100 * smoothValue) / total[n - 1]!;
      }
    } else {
      precisions[n - 1] = (100 * correct[n - 1]!) / total[n - 1]!;
    }
  }
  let sum = 0;
  for (let i = 0; i < effOrder; i++) sum += myLog(precisions[i]!);
  return result(bp * Math.exp(sum / effOrder));
}

/** Reference n-grams of one segment: max count over its references, and their lengths. */
interface ReferenceInfo {
  ngrams: Map<string, number>;
  lengths: number[];
}

/** All n-grams of orders 1..maxOrder, keyed by the tokens joined with a space (tokens hold no whitespace). */
function countNgrams(tokens: readonly string[], maxOrder: number, into: Map<string, number>): void {
  const len = tokens.length;
  for (let i = 0; i < len; i++) {
    let key = tokens[i]!;
    into.set(key, (into.get(key) ?? 0) + 1);
    const last = Math.min(len, i + maxOrder);
    for (let j = i + 1; j < last; j++) {
      key += ' ' + tokens[j]!;
      into.set(key, (into.get(key) ?? 0) + 1);
    }
  }
}

function ngramOrder(key: string): number {
  let n = 1;
  for (let i = 0; i < key.length; i++) if (key.charCodeAt(i) === 32) n++;
  return n;
}

class BleuScorer {
  private readonly tokenizer: (line: string) => string;

  constructor(private readonly o: ResolvedBleuOptions) {
    this.tokenizer = BLEU_TOKENIZERS[o.tokenize];
  }

  preprocess(segment: string): string[] {
    const s = this.o.lowercase ? segment.toLowerCase() : segment;
    return pySplit(this.tokenizer(pyRstrip(s)));
  }

  referenceInfo(refs: readonly string[]): ReferenceInfo {
    let ngrams: Map<string, number> | null = null;
    const lengths: number[] = [];
    for (const ref of refs) {
      const tokens = this.preprocess(ref);
      lengths.push(tokens.length);
      const these = new Map<string, number>();
      countNgrams(tokens, this.o.maxNgramOrder, these);
      if (ngrams === null) {
        ngrams = these;
      } else {
        for (const [k, c] of these) {
          const prev = ngrams.get(k);
          if (prev === undefined || c > prev) ngrams.set(k, c);
        }
      }
    }
    return { ngrams: ngrams ?? new Map(), lengths };
  }

  /** [hypLen, refLen, correct_1..N, total_1..N] for one segment. */
  segmentStatistics(hypothesis: string, ref: ReferenceInfo): number[] {
    const N = this.o.maxNgramOrder;
    const tokens = this.preprocess(hypothesis);
    const hypLen = tokens.length;
    // Closest reference length; ties go to the shorter one.
    let closestDiff = -1;
    let closestLen = -1;
    for (const refLen of ref.lengths) {
      const diff = Math.abs(hypLen - refLen);
      if (closestDiff === -1 || diff < closestDiff) {
        closestDiff = diff;
        closestLen = refLen;
      } else if (diff === closestDiff && refLen < closestLen) {
        closestLen = refLen;
      }
    }
    const stats = new Array<number>(2 + 2 * N).fill(0);
    stats[0] = hypLen;
    stats[1] = closestLen;
    const hypNgrams = new Map<string, number>();
    countNgrams(tokens, N, hypNgrams);
    for (const [key, count] of hypNgrams) {
      const n = ngramOrder(key) - 1;
      stats[2 + N + n]! += count;
      const refCount = ref.ngrams.get(key);
      if (refCount !== undefined) stats[2 + n]! += Math.min(count, refCount);
    }
    return stats;
  }

  score(stats: number[], numRefs: number | 'var'): BleuResult {
    const N = this.o.maxNgramOrder;
    const r = computeBleu(
      { correct: stats.slice(2, 2 + N), total: stats.slice(2 + N), sysLen: stats[0]!, refLen: stats[1]! },
      {
        smoothMethod: this.o.smoothMethod,
        ...(this.o.smoothValue === null ? {} : { smoothValue: this.o.smoothValue }),
        effectiveOrder: this.o.effectiveOrder,
      },
    );
    r.signature = bleuSignature({
      numRefs,
      tokenize: this.o.tokenize,
      smoothMethod: this.o.smoothMethod,
      ...(this.o.smoothValue === null ? {} : { smoothValue: this.o.smoothValue }),
      lowercase: this.o.lowercase,
      effectiveOrder: this.o.effectiveOrder,
    });
    return r;
  }
}

/** Checks `referenceSets` against `hypotheses`; returns per-segment reference lists and nrefs. */
export function collectReferences(
  hypotheses: readonly string[],
  referenceSets: readonly (readonly (string | null)[])[],
  where: string,
): { perSegment: string[][]; numRefs: number | 'var' } {
  if (!Array.isArray(referenceSets) || referenceSets.length === 0 || !Array.isArray(referenceSets[0])) {
    throw new EvalError(
      'eval_invalid_option',
      `${where}: referenceSets must be a non-empty array of reference streams (each an array parallel to hypotheses), e.g. [refs]; got ${
        Array.isArray(referenceSets) ? `an array of length ${referenceSets.length}` : typeof referenceSets
      }.`,
    );
  }
  referenceSets.forEach((stream, k) => {
    assertStringArray(stream, `${where}: referenceSets[${k}]`, { allowNull: true });
    assertSameLength(hypotheses, 'hypotheses', stream, `${where}: referenceSets[${k}]`);
  });
  const counts = new Set<number>();
  const perSegment: string[][] = [];
  for (let i = 0; i < hypotheses.length; i++) {
    const lines: string[] = [];
    for (const stream of referenceSets) {
      const r = stream[i];
      if (r !== null && r !== undefined) lines.push(r);
    }
    if (lines.length === 0) {
      throw new EvalError('eval_empty_input', `${where}: hypothesis ${i} has no reference (every stream holds null there); give at least one.`);
    }
    counts.add(lines.length);
    perSegment.push(lines);
  }
  return { perSegment, numRefs: counts.size === 1 ? [...counts][0]! : 'var' };
}

/**
 * Corpus-level BLEU exactly as sacreBLEU's `corpus_bleu(hypotheses, references)`: statistics are
 * summed over all segments before the precisions and brevity penalty are computed.
 *
 * @param hypotheses one system output per segment.
 * @param referenceSets reference streams, each parallel to `hypotheses` (sacreBLEU layout:
 *   `referenceSets[k][i]` is the k-th reference of segment i); `null` marks a missing reference.
 * @throws EvalError `eval_length_mismatch` when a stream's length differs from `hypotheses`,
 *   `eval_empty_input` for no hypotheses, `eval_invalid_option` for bad options.
 * @example
 * const r = corpusBleu(['The dog bit the man.'], [['The dog bit the man.']]);
 * r.score // 100
 * r.signature // 'nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:2.6.0'
 */
export function corpusBleu(
  hypotheses: readonly string[],
  referenceSets: readonly (readonly (string | null)[])[],
  options?: BleuOptions,
): BleuResult {
  const o = resolveOptions(options, false, 'corpusBleu');
  assertStringArray(hypotheses, 'corpusBleu: hypotheses');
  assertNonEmpty(hypotheses, 'corpusBleu: hypotheses');
  const { perSegment, numRefs } = collectReferences(hypotheses, referenceSets, 'corpusBleu');
  const scorer = new BleuScorer(o);
  const N = o.maxNgramOrder;
  const sum = new Array<number>(2 + 2 * N).fill(0);
  for (let i = 0; i < hypotheses.length; i++) {
    const stats = scorer.segmentStatistics(hypotheses[i]!, scorer.referenceInfo(perSegment[i]!));
    for (let j = 0; j < sum.length; j++) sum[j]! += stats[j]!;
  }
  return scorer.score(sum, numRefs);
}

/**
 * Sentence-level BLEU as sacreBLEU's `sentence_bleu(hypothesis, references)`; effective order
 * is on by default (as there), so short sentences are not zeroed by missing 4-grams.
 *
 * @param references one or more references of this hypothesis.
 * @throws EvalError `eval_empty_input` for no references, `eval_invalid_option` for bad options.
 * @example
 * sentenceBleu('the cat sat on the mat', ['the cat is on the mat']).score // 37.99...
 */
export function sentenceBleu(hypothesis: string, references: readonly string[], options?: BleuOptions): BleuResult {
  const o = resolveOptions(options, true, 'sentenceBleu');
  assertString(hypothesis, 'sentenceBleu: hypothesis');
  assertStringArray(references, 'sentenceBleu: references');
  if (references.length === 0) {
    throw new EvalError('eval_empty_input', 'sentenceBleu: references is empty; give at least one reference string.');
  }
  const scorer = new BleuScorer(o);
  const stats = scorer.segmentStatistics(hypothesis, scorer.referenceInfo(references));
  return scorer.score(stats, references.length);
}
