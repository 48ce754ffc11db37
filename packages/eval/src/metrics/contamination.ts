/**
 * Train/test overlap ("contamination") by word n-grams, as GPT-3 (Brown et al. 2020, appendix C)
 * and lm-evaluation-harness's decontamination `Janitor` do it: text is normalised by mapping ASCII
 * upper case to lower case and deleting ASCII punctuation (`string.punctuation`), split on
 * whitespace, and cut into 13-grams; an evaluation example is contaminated when any of its
 * n-grams occurs in the training corpus.
 */
import { createProgress } from '@llmkit/core';
import { EvalError } from '../errors.js';
import { pySplit } from './python-text.js';
import { assertInteger, assertKnownKeys, assertStringArray } from './validate.js';

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
const UPPER = /[A-Z]/g;

/**
 * lm-eval Janitor's `normalize_string`: ASCII lowercase and deletion of ASCII punctuation
 * (non-ASCII letters are left as they are).
 * @example
 * normalizeForContamination("It's A Test!") // 'its a test'
 */
export function normalizeForContamination(text: string): string {
  return text.replace(PUNCTUATION, '').replace(UPPER, (c) => c.toLowerCase());
}

/**
 * Word n-grams of normalised text, each joined by single spaces (lm-eval's `word_ngrams`).
 * @example
 * wordNgrams('The cat, the hat.', 2) // ['the cat', 'cat the', 'the hat']
 */
export function wordNgrams(text: string, n: number): string[] {
  const tokens = pySplit(normalizeForContamination(text));
  const out: string[] = [];
  for (let i = 0; i + n <= tokens.length; i++) out.push(tokens.slice(i, i + n).join(' '));
  return out;
}

/** Options of {@link contamination}. */
export interface ContaminationOptions {
  /** n-gram length in words (default 13, as GPT-3 and lm-eval). */
  n?: number;
  /** Show a progress bar while scanning the training corpus (`'auto'`: on a TTY). Default false. */
  progress?: boolean | 'auto';
}

/** Overlap of one evaluation example with the training corpus. */
export interface ExampleContamination {
  /** Index in `evalTexts`. */
  index: number;
  /** Number of distinct n-grams of the example. */
  ngrams: number;
  /** How many of them occur in the training corpus. */
  overlapping: number;
  /** `overlapping / ngrams` (0 for an example shorter than n words). */
  overlapRatio: number;
  /** True when at least one n-gram occurs in the training corpus. */
  contaminated: boolean;
  /** True when the example has fewer than n words (it cannot be checked and counts as clean, as in lm-eval). */
  tooShort: boolean;
}

/** Result of {@link contamination}. */
export interface ContaminationReport {
  n: number;
  /** Every example, in input order. */
  examples: ExampleContamination[];
  /** Indices of the contaminated examples. */
  contaminated: number[];
  /** Contaminated examples / all examples. */
  contaminatedRatio: number;
  /** Distinct eval n-grams found in training / all distinct eval n-grams (0 when there are none). */
  ngramOverlapRatio: number;
  /** Examples shorter than n words. */
  tooShort: number;
}

/**
 * Find evaluation examples whose normalised word n-grams (default 13) occur in a training corpus.
 * The eval n-grams are indexed once; the corpus is streamed document by document (n-grams do not
 * cross document boundaries), so it may be a large iterable.
 *
 * @param evalTexts the evaluation examples (e.g. question + answer text).
 * @param trainCorpus one string or an iterable of training documents.
 * @throws EvalError `eval_empty_input` for no eval texts, `eval_invalid_option` for a bad n or
 *   a non-string document.
 * @example
 * const r = contamination(testSet, trainDocs, { n: 13 });
 * console.log(r.contaminated, r.contaminatedRatio);
 */
export function contamination(
  evalTexts: readonly string[],
  trainCorpus: string | Iterable<string>,
  options: ContaminationOptions = {},
): ContaminationReport {
  assertKnownKeys(options, 'contamination options', ['n', 'progress']);
  const n = options.n ?? 13;
  assertInteger(n, 'contamination options.n', 1, 1000);
  assertStringArray(evalTexts, 'contamination: evalTexts');
  if (evalTexts.length === 0) throw new EvalError('eval_empty_input', 'contamination: evalTexts is empty; give at least one example.');
  if (typeof trainCorpus !== 'string' && (trainCorpus === null || typeof (trainCorpus as Iterable<string>)[Symbol.iterator] !== 'function')) {
    throw new EvalError('eval_invalid_option', 'contamination: trainCorpus must be a string or an iterable of strings (documents).');
  }

  // Index: eval n-gram -> found flag.
  const perExample = evalTexts.map((t) => [...new Set(wordNgrams(t, n))]);
  const found = new Map<string, boolean>();
  for (const grams of perExample) for (const g of grams) found.set(g, false);
  const hasUnit = new Set<string>(); // first words of eval n-grams: cheap pre-filter
  for (const g of found.keys()) hasUnit.add(g.slice(0, g.indexOf(' ') === -1 ? g.length : g.indexOf(' ')));

  const docs: Iterable<string> = typeof trainCorpus === 'string' ? [trainCorpus] : trainCorpus;
  const total = Array.isArray(docs) ? docs.length : 0;
  const bar = options.progress && total > 0 ? createProgress({ total, label: 'contamination', enabled: options.progress }) : null;
  let d = 0;
  let remaining = found.size;
  for (const doc of docs) {
    if (typeof doc !== 'string') {
      throw new EvalError('eval_invalid_option', `contamination: training document ${d} is ${typeof doc}, not a string.`);
    }
    if (remaining > 0) {
      const tokens = pySplit(normalizeForContamination(doc));
      for (let i = 0; i + n <= tokens.length; i++) {
        if (!hasUnit.has(tokens[i]!)) continue;
        const g = tokens.slice(i, i + n).join(' ');
        if (found.get(g) === false) {
          found.set(g, true);
          remaining--;
        }
      }
    }
    d++;
    if (bar && d % 100 === 0) bar.update(d);
  }
  bar?.update(d);
  bar?.stop();

  const examples: ExampleContamination[] = perExample.map((grams, index) => {
    let overlapping = 0;
    for (const g of grams) if (found.get(g)) overlapping++;
    return {
      index,
      ngrams: grams.length,
      overlapping,
      overlapRatio: grams.length === 0 ? 0 : overlapping / grams.length,
      contaminated: overlapping > 0,
      tooShort: grams.length === 0,
    };
  });
  const contaminated = examples.filter((e) => e.contaminated).map((e) => e.index);
  let foundCount = 0;
  for (const v of found.values()) if (v) foundCount++;
  return {
    n,
    examples,
    contaminated,
    contaminatedRatio: contaminated.length / examples.length,
    ngramOverlapRatio: found.size === 0 ? 0 : foundCount / found.size,
    tooShort: examples.filter((e) => e.tooShort).length,
  };
}
