/**
 * Per-sample scoring and aggregation as lm-evaluation-harness does it (lm_eval/api/task.py,
 * lm_eval/api/metrics.py, lm_eval/filters/extraction.py), plus a seeded bootstrap.
 */
import { createRng } from '@llmkit/core';

/** Index of the first maximum (numpy.argmax). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  for (let i = 1; i < values.length; i++) if (values[i]! > values[best]!) best = i;
  return best;
}

/** Length in Unicode code points (Python's `len(str)`). */
export function codePointLength(text: string): number {
  let n = 0;
  for (const _ of text) n++;
  return n;
}

/**
 * lm-eval's multiple-choice metrics: `acc` = argmax of the log-likelihoods is gold, `acc_norm` =
 * argmax of log-likelihood / len(choice) (characters, as `doc_to_choice` returns the choice, without
 * the target delimiter) is gold. With several golds a prediction in the set counts.
 */
export function multipleChoiceMetrics(
  loglikelihoods: readonly number[],
  choices: readonly string[],
  gold: readonly number[],
): { acc: number; acc_norm: number; pred: number; predNorm: number } {
  const pred = argmax(loglikelihoods);
  const predNorm = argmax(loglikelihoods.map((ll, i) => ll / codePointLength(choices[i]!)));
  return { acc: gold.includes(pred) ? 1 : 0, acc_norm: gold.includes(predNorm) ? 1 : 0, pred, predNorm };
}

/**
 * lm-eval's `regex` filter: all matches of `pattern`; take match `groupSelect` (negative counts from
 * the end); a match with capture groups gives its first non-empty group; stripped; `fallback` when
 * nothing matches.
 */
export function regexExtract(text: string, pattern: string, groupSelect = 0, fallback = '[invalid]'): string {
  const re = new RegExp(pattern, 'g');
  const matches = [...text.matchAll(re)];
  if (matches.length === 0) return fallback;
  const index = groupSelect < 0 ? matches.length + groupSelect : groupSelect;
  const m = matches[index];
  if (!m) return fallback;
  if (m.length > 1) {
    const groups = m.slice(1).filter((g) => g !== undefined && g !== '');
    return groups.length > 0 ? groups[0]!.trim() : fallback;
  }
  return m[0].trim();
}

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;

/** Options of {@link exactMatch} (Hugging Face evaluate's exact_match, as lm-eval uses it). */
export interface ExactMatchOptions {
  ignore_case?: boolean;
  ignore_punctuation?: boolean;
  regexes_to_ignore?: string[];
}

/** 1 when `prediction` equals one of `references` after the options are applied, else 0. */
export function exactMatch(prediction: string, references: readonly string[], options: ExactMatchOptions = {}): number {
  const norm = (s: string): string => {
    for (const r of options.regexes_to_ignore ?? []) s = s.replace(new RegExp(r, 'g'), '');
    if (options.ignore_case) s = s.toLowerCase();
    if (options.ignore_punctuation) s = s.replace(PUNCTUATION, '');
    return s;
  };
  const p = norm(prediction);
  return references.some((r) => norm(r) === p) ? 1 : 0;
}

/** Mean of the values. */
export function mean(values: readonly number[]): number {
  let s = 0;
  for (const v of values) s += v;
  return values.length === 0 ? Number.NaN : s / values.length;
}

/** Sample standard deviation (ddof = 1). */
export function sampleStddev(values: readonly number[]): number {
  if (values.length < 2) return Number.NaN;
  const m = mean(values);
  let s = 0;
  for (const v of values) s += (v - m) ** 2;
  return Math.sqrt(s / (values.length - 1));
}

/** lm-eval's `mean_stderr`: sample stddev / sqrt(n). */
export function meanStderr(values: readonly number[]): number {
  return sampleStddev(values) / Math.sqrt(values.length);
}

/**
 * lm-eval's `bootstrap_stderr`: the sample stddev of the metric over `iters` resamples with
 * replacement (seeded with core's RNG, so not Python's stream, but reproducible).
 */
export function bootstrapStderr(values: readonly number[], iters: number, seed: number, metric: (v: number[]) => number = mean): number {
  if (values.length === 0 || iters < 2) return Number.NaN;
  const rng = createRng(seed);
  const n = values.length;
  const stats: number[] = [];
  const sample = new Array<number>(n);
  for (let it = 0; it < iters; it++) {
    for (let i = 0; i < n; i++) sample[i] = values[Math.floor(rng.random() * n)]!;
    stats.push(metric(sample));
  }
  return sampleStddev(stats);
}
