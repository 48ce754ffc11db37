/**
 * ROUGE-N, ROUGE-L and ROUGE-Lsum exactly as Google's rouge-score package
 * (google-research/google-research `rouge/rouge_scorer.py`, `rouge/tokenize.py`): its tokenizer
 * (lowercase, every run of characters outside [a-z0-9] becomes a space, optional NLTK Porter
 * stemming of tokens longer than 3 characters), clipped n-gram overlap, LCS, and the
 * summary-level union-LCS of ROUGE-Lsum over newline-separated sentences with ROUGE-1.5.5's
 * token-count clipping.
 */
import { EvalError } from '../errors.js';
import { PorterStemmer } from './porter.js';
import { assertKnownKeys, assertString, assertStringArray } from './validate.js';

/** Precision, recall and F1 of one ROUGE type (rouge-score's `Score` tuple). */
export interface RougeScore {
  precision: number;
  recall: number;
  fmeasure: number;
}

/** A ROUGE type: `rouge1`..`rouge9`, `rougeL` or `rougeLsum`. */
export type RougeType = `rouge${1 | 2 | 3 | 4 | 5 | 6 | 7 | 8 | 9}` | 'rougeL' | 'rougeLsum';

/** Options of {@link RougeScorer} and {@link rougeScore}. */
export interface RougeOptions {
  /** ROUGE types to compute (default `['rouge1', 'rouge2', 'rougeL', 'rougeLsum']`). */
  types?: readonly RougeType[];
  /** Porter-stem tokens longer than 3 characters (NLTK_EXTENSIONS mode, as rouge-score). Default false. */
  useStemmer?: boolean;
}

const DEFAULT_TYPES: readonly RougeType[] = ['rouge1', 'rouge2', 'rougeL', 'rougeLsum'];
const NON_ALPHANUM = /[^a-z0-9]+/g;
const SPACES = /\s+/;
const VALID_TOKEN = /^[a-z0-9]+$/;
const STEMMER = new PorterStemmer('NLTK_EXTENSIONS');

/**
 * rouge-score's default tokenizer: lowercase, replace non-[a-z0-9] runs with a space, split,
 * stem tokens longer than 3 characters when asked, drop empty tokens.
 *
 * @example
 * tokenizeRouge('The dogs ran!', { useStemmer: true }) // ['the', 'dog', 'ran']
 */
export function tokenizeRouge(text: string, { useStemmer = false }: { useStemmer?: boolean } = {}): string[] {
  const replaced = text.toLowerCase().replace(NON_ALPHANUM, ' ');
  let tokens = replaced.split(SPACES);
  if (useStemmer) tokens = tokens.map((t) => (t.length > 3 ? STEMMER.stem(t) : t));
  return tokens.filter((t) => VALID_TOKEN.test(t));
}

function fmeasure(precision: number, recall: number): number {
  return precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0.0;
}

const ZERO = (): RougeScore => ({ precision: 0, recall: 0, fmeasure: 0 });

function ngramCounts(tokens: readonly string[], n: number): Map<string, number> {
  const c = new Map<string, number>();
  for (let i = 0; i + n <= tokens.length; i++) {
    const g = n === 1 ? tokens[i]! : tokens.slice(i, i + n).join(' ');
    c.set(g, (c.get(g) ?? 0) + 1);
  }
  return c;
}

function scoreNgrams(target: Map<string, number>, prediction: Map<string, number>): RougeScore {
  let overlap = 0;
  let targetCount = 0;
  let predictionCount = 0;
  for (const [g, c] of target) {
    overlap += Math.min(c, prediction.get(g) ?? 0);
    targetCount += c;
  }
  for (const c of prediction.values()) predictionCount += c;
  const precision = overlap / Math.max(predictionCount, 1);
  const recall = overlap / Math.max(targetCount, 1);
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** Dynamic-programming LCS table, (rows+1) x (cols+1), flattened. */
function lcsTable(ref: readonly string[], can: readonly string[]): Int32Array {
  const rows = ref.length;
  const cols = can.length;
  const w = cols + 1;
  const t = new Int32Array((rows + 1) * w);
  for (let i = 1; i <= rows; i++) {
    const r = ref[i - 1];
    for (let j = 1; j <= cols; j++) {
      if (r === can[j - 1]) t[i * w + j] = t[(i - 1) * w + j - 1]! + 1;
      else {
        const up = t[(i - 1) * w + j]!;
        const left = t[i * w + j - 1]!;
        t[i * w + j] = up > left ? up : left;
      }
    }
  }
  return t;
}

function lcsLength(ref: readonly string[], can: readonly string[]): number {
  // Two rolling rows: the same recurrence as the full table.
  let prev = new Int32Array(can.length + 1);
  let cur = new Int32Array(can.length + 1);
  for (let i = 1; i <= ref.length; i++) {
    const r = ref[i - 1];
    for (let j = 1; j <= can.length; j++) {
      if (r === can[j - 1]) cur[j] = prev[j - 1]! + 1;
      else cur[j] = prev[j]! > cur[j - 1]! ? prev[j]! : cur[j - 1]!;
    }
    [prev, cur] = [cur, prev];
  }
  return prev[can.length]!;
}

function scoreLcs(target: readonly string[], prediction: readonly string[]): RougeScore {
  if (target.length === 0 || prediction.length === 0) return ZERO();
  const lcs = lcsLength(target, prediction);
  const precision = lcs / prediction.length;
  const recall = lcs / target.length;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

/** rouge-score's `_backtrack_norec`: indices into `ref` of one LCS. */
function lcsIndices(ref: readonly string[], can: readonly string[]): number[] {
  const t = lcsTable(ref, can);
  const w = can.length + 1;
  let i = ref.length;
  let j = can.length;
  const out: number[] = [];
  while (i > 0 && j > 0) {
    if (ref[i - 1] === can[j - 1]) {
      out.push(i - 1);
      i--;
      j--;
    } else if (t[i * w + j - 1]! > t[(i - 1) * w + j]!) {
      j--;
    } else {
      i--;
    }
  }
  return out.reverse();
}

function summaryLevelLcs(refSentences: readonly string[][], canSentences: readonly string[][]): RougeScore {
  if (refSentences.length === 0 || canSentences.length === 0) return ZERO();
  const countsR = new Map<string, number>();
  const countsC = new Map<string, number>();
  let m = 0;
  let n = 0;
  for (const s of refSentences) {
    m += s.length;
    for (const t of s) countsR.set(t, (countsR.get(t) ?? 0) + 1);
  }
  for (const s of canSentences) {
    n += s.length;
    for (const t of s) countsC.set(t, (countsC.get(t) ?? 0) + 1);
  }
  let hits = 0;
  for (const r of refSentences) {
    // Union of the LCS index sets against every candidate sentence, in sorted order.
    const union = new Set<number>();
    for (const c of canSentences) for (const idx of lcsIndices(r, c)) union.add(idx);
    const sorted = [...union].sort((a, b) => a - b);
    for (const idx of sorted) {
      const t = r[idx]!;
      const cc = countsC.get(t) ?? 0;
      const cr = countsR.get(t) ?? 0;
      if (cc > 0 && cr > 0) {
        hits += 1;
        countsC.set(t, cc - 1);
        countsR.set(t, cr - 1);
      }
    }
  }
  if (n === 0 || m === 0) return ZERO();
  const recall = hits / m;
  const precision = hits / n;
  return { precision, recall, fmeasure: fmeasure(precision, recall) };
}

function isRougeType(t: unknown): t is RougeType {
  return typeof t === 'string' && (t === 'rougeL' || t === 'rougeLsum' || /^rouge[1-9]$/.test(t));
}

/**
 * A ROUGE scorer with fixed types and stemming, as rouge-score's `RougeScorer(rouge_types,
 * use_stemmer)`.
 *
 * @example
 * const scorer = new RougeScorer({ types: ['rouge1', 'rougeL'], useStemmer: true });
 * scorer.score('The quick brown fox', 'the quick brown dog').rouge1.fmeasure // 0.75
 */
export class RougeScorer {
  readonly types: readonly RougeType[];
  readonly useStemmer: boolean;

  /** @throws EvalError `eval_invalid_option` for an unknown ROUGE type or an empty type list. */
  constructor(options: RougeOptions = {}) {
    assertKnownKeys(options, 'RougeScorer options', ['types', 'useStemmer']);
    const types = options.types ?? DEFAULT_TYPES;
    if (!Array.isArray(types) || types.length === 0) {
      throw new EvalError('eval_invalid_option', `RougeScorer options.types must be a non-empty array such as ['rouge1', 'rouge2', 'rougeL'].`);
    }
    for (const t of types) {
      if (!isRougeType(t)) {
        throw new EvalError(
          'eval_invalid_option',
          `RougeScorer: unknown ROUGE type ${JSON.stringify(t)}; use rouge1..rouge9, rougeL or rougeLsum.`,
        );
      }
    }
    this.types = [...types];
    this.useStemmer = options.useStemmer ?? false;
  }

  /**
   * Scores of `prediction` against `target` (target first, as rouge-score's `score(target, prediction)`).
   * @throws EvalError `eval_invalid_option` when an argument is not a string.
   */
  score(target: string, prediction: string): Record<RougeType, RougeScore> {
    assertString(target, 'RougeScorer.score: target');
    assertString(prediction, 'RougeScorer.score: prediction');
    const opts = { useStemmer: this.useStemmer };
    const onlyLsum = this.types.length === 1 && this.types[0] === 'rougeLsum';
    const targetTokens = onlyLsum ? [] : tokenizeRouge(target, opts);
    const predictionTokens = onlyLsum ? [] : tokenizeRouge(prediction, opts);
    const result = {} as Record<RougeType, RougeScore>;
    for (const type of this.types) {
      if (type === 'rougeL') {
        result[type] = scoreLcs(targetTokens, predictionTokens);
      } else if (type === 'rougeLsum') {
        const sentences = (text: string): string[][] =>
          text
            .split('\n')
            .filter((s) => s.length > 0)
            .map((s) => tokenizeRouge(s, opts));
        result[type] = summaryLevelLcs(sentences(target), sentences(prediction));
      } else {
        const n = Number(type.slice(5));
        result[type] = scoreNgrams(ngramCounts(targetTokens, n), ngramCounts(predictionTokens, n));
      }
    }
    return result;
  }

  /**
   * Best score per type over several targets (rouge-score's `score_multi`: the target with the
   * highest F-measure, first one on ties).
   * @throws EvalError `eval_empty_input` for no targets.
   */
  scoreMulti(targets: readonly string[], prediction: string): Record<RougeType, RougeScore> {
    assertStringArray(targets, 'RougeScorer.scoreMulti: targets');
    if (targets.length === 0) throw new EvalError('eval_empty_input', 'RougeScorer.scoreMulti: targets is empty; give at least one target.');
    const all = targets.map((t) => this.score(t, prediction));
    const best = {} as Record<RougeType, RougeScore>;
    for (const type of this.types) {
      let bi = 0;
      for (let i = 1; i < all.length; i++) if (all[i]![type].fmeasure > all[bi]![type].fmeasure) bi = i;
      best[type] = all[bi]![type];
    }
    return best;
  }
}

/**
 * One-shot ROUGE: `new RougeScorer(options).score(target, prediction)`.
 *
 * @example
 * rougeScore('testing one two', 'testing one', { types: ['rouge2'] }).rouge2 // { precision: 1, recall: 0.5, fmeasure: 0.666... }
 */
export function rougeScore(target: string, prediction: string, options?: RougeOptions): Record<RougeType, RougeScore> {
  return new RougeScorer(options).score(target, prediction);
}
