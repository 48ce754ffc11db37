/**
 * Perplexity-style metrics as lm-evaluation-harness defines them (`lm_eval/api/metrics.py`,
 * `lm_eval/api/task.py` at 001722ba): `perplexity` of a loglikelihood task is
 * `exp(-mean(ll))`; the rolling-loglikelihood metrics are weighted means of summed document
 * log-likelihoods (natural log) over word or byte counts: `word_perplexity =
 * exp(-Σll / Σwords)`, `byte_perplexity = exp(-Σll / Σbytes)`, `bits_per_byte = -Σll / Σbytes / ln 2`,
 * with `words = len(re.split(r"\s+", doc))` and `bytes = len(doc.encode("utf-8"))`.
 */
import { EvalError } from '../errors.js';
import { pyRegexSplitWhitespace } from './python-text.js';
import { assertFiniteNumber, assertNonEmpty } from './validate.js';

const encoder = new TextEncoder();

/**
 * lm-eval's word count of a document: `len(re.split(r"\s+", doc))`. Leading or trailing
 * whitespace adds an empty piece that is counted, as in lm-eval.
 * @example
 * countWords('  leading space') // 3
 */
export function countWords(text: string): number {
  return pyRegexSplitWhitespace(text).length;
}

/**
 * UTF-8 byte length of a document (lm-eval's `len(doc.encode('utf-8'))`).
 * @example
 * countBytes('café') // 5
 */
export function countBytes(text: string): number {
  return encoder.encode(text).length;
}

/**
 * lm-eval `perplexity` aggregation over per-request log-likelihoods: `exp(-mean(ll))`.
 * @throws EvalError `eval_empty_input`, `eval_invalid_option` for a non-finite value.
 * @example
 * perplexity([-1.2, -0.3, -2.5, -0.9]) // 3.4041...
 */
export function perplexity(logLikelihoods: readonly number[]): number {
  if (!Array.isArray(logLikelihoods)) throw new EvalError('eval_invalid_option', 'perplexity: logLikelihoods must be an array of numbers.');
  assertNonEmpty(logLikelihoods, 'perplexity: logLikelihoods');
  let sum = 0;
  logLikelihoods.forEach((ll, i) => {
    assertFiniteNumber(ll, `perplexity: logLikelihoods[${i}]`);
    sum += ll;
  });
  return Math.exp(-(sum / logLikelihoods.length));
}

/**
 * One document of a rolling-loglikelihood task: its summed log-likelihood (natural log) and
 * either its text (words and bytes are counted as lm-eval does) or the counts themselves.
 */
export interface DocumentLoglikelihood {
  /** Sum of log-probabilities of every token of the document (natural log, <= 0). */
  logLikelihood: number;
  /** The document text; used for counts not given explicitly. */
  text?: string;
  /** Word count (default: {@link countWords} of `text`). */
  words?: number;
  /** UTF-8 byte count (default: {@link countBytes} of `text`). */
  bytes?: number;
}

function weightedSums(docs: readonly DocumentLoglikelihood[], unit: 'words' | 'bytes', where: string): [number, number] {
  if (!Array.isArray(docs)) throw new EvalError('eval_invalid_option', `${where}: documents must be an array of { logLikelihood, text }.`);
  assertNonEmpty(docs, `${where}: documents`);
  let ll = 0;
  let count = 0;
  docs.forEach((d, i) => {
    assertFiniteNumber(d?.logLikelihood, `${where}: documents[${i}].logLikelihood`);
    let c = d[unit];
    if (c === undefined) {
      if (typeof d.text !== 'string') {
        throw new EvalError('eval_invalid_option', `${where}: documents[${i}] has neither ${unit} nor text; give the document text or its ${unit} count.`);
      }
      c = unit === 'words' ? countWords(d.text) : countBytes(d.text);
    }
    if (!Number.isInteger(c) || c < 0) {
      throw new EvalError('eval_invalid_option', `${where}: documents[${i}].${unit} must be a non-negative integer, got ${c}.`);
    }
    ll += d.logLikelihood;
    count += c;
  });
  if (count === 0) throw new EvalError('eval_empty_input', `${where}: the documents hold 0 ${unit}; nothing to normalise by.`);
  return [ll, count];
}

/**
 * lm-eval `word_perplexity`: `exp(-Σll / Σwords)`.
 * @throws EvalError `eval_empty_input`, `eval_invalid_option`.
 * @example
 * wordPerplexity([{ logLikelihood: -35.2, text: 'The quick brown fox jumps over the lazy dog.' }]) // exp(35.2 / 9)
 */
export function wordPerplexity(documents: readonly DocumentLoglikelihood[]): number {
  const [ll, words] = weightedSums(documents, 'words', 'wordPerplexity');
  return Math.exp(-(ll / words));
}

/**
 * lm-eval `byte_perplexity`: `exp(-Σll / Σbytes)`.
 * @throws EvalError `eval_empty_input`, `eval_invalid_option`.
 * @example
 * bytePerplexity([{ logLikelihood: -2 * Math.LN2, text: 'ab' }]) // 2
 */
export function bytePerplexity(documents: readonly DocumentLoglikelihood[]): number {
  const [ll, bytes] = weightedSums(documents, 'bytes', 'bytePerplexity');
  return Math.exp(-(ll / bytes));
}

/**
 * lm-eval `bits_per_byte`: `-Σll / Σbytes / ln 2` (lm-eval's `bits_per_byte` aggregation,
 * `-weighted_mean(items) / math.log(2)`).
 * @throws EvalError `eval_empty_input`, `eval_invalid_option`.
 * @example
 * bitsPerByte([{ logLikelihood: -35.2, text: 'The quick brown fox jumps over the lazy dog.' }]) // 35.2 / 44 / ln 2
 */
export function bitsPerByte(documents: readonly DocumentLoglikelihood[]): number {
  const [ll, bytes] = weightedSums(documents, 'bytes', 'bitsPerByte');
  return -(ll / bytes) / Math.log(2);
}
