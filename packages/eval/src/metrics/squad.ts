/**
 * SQuAD exact match and token F1 as the official evaluation scripts (evaluate-v1.1.py and
 * evaluate-v2.0.py) define them: `normalize_answer` lowercases, deletes ASCII punctuation
 * (`string.punctuation`), removes the articles a/an/the as whole words and collapses whitespace;
 * the score of a prediction is the maximum over the gold answers.
 */
import { EvalError } from '../errors.js';
import { pySplit } from './python-text.js';
import { assertKnownKeys, assertNonEmpty, assertSameLength, assertString, assertStringArray } from './validate.js';

const PUNCTUATION = /[!"#$%&'()*+,\-./:;<=>?@[\\\]^_`{|}~]/g;
// Python's `\b` in a str pattern is Unicode-aware (word = alphanumeric or _), unlike JavaScript's.
const ARTICLES = /(?<![\p{L}\p{N}_])(?:a|an|the)(?![\p{L}\p{N}_])/gu;

/**
 * SQuAD's `normalize_answer`: lower, remove punctuation, remove articles, fix whitespace.
 *
 * @example
 * normalizeSquadAnswer('The  Eiffel Tower!') // 'eiffel tower'
 */
export function normalizeSquadAnswer(text: string): string {
  assertString(text, 'normalizeSquadAnswer: text');
  const lower = text.toLowerCase();
  const noPunct = lower.replace(PUNCTUATION, '');
  const noArticles = noPunct.replace(ARTICLES, ' ');
  return pySplit(noArticles).join(' ');
}

/** Which official script's F1 convention to follow for empty answers. */
export type SquadVersion = 'v1.1' | 'v2.0';

/** Options of {@link squadF1}. */
export interface SquadF1Options {
  /**
   * `'v2.0'` (default): when either side normalises to no tokens, F1 is 1 if both do, else 0
   * (the unanswerable-question convention). `'v1.1'`: no common tokens gives 0, also for two
   * empty answers.
   */
  version?: SquadVersion;
}

function tokenF1(prediction: string, gold: string, version: SquadVersion): number {
  const p = pySplit(normalizeSquadAnswer(prediction));
  const g = pySplit(normalizeSquadAnswer(gold));
  if (version === 'v2.0' && (p.length === 0 || g.length === 0)) return p.length === 0 && g.length === 0 ? 1 : 0;
  const counts = new Map<string, number>();
  for (const t of g) counts.set(t, (counts.get(t) ?? 0) + 1);
  let common = 0;
  for (const t of p) {
    const c = counts.get(t) ?? 0;
    if (c > 0) {
      common++;
      counts.set(t, c - 1);
    }
  }
  if (common === 0) return 0;
  const precision = common / p.length;
  const recall = common / g.length;
  return (2 * precision * recall) / (precision + recall);
}

function checkAnswers(answers: readonly string[], where: string): void {
  assertStringArray(answers, `${where}: answers`);
  if (answers.length === 0) {
    throw new EvalError('eval_empty_input', `${where}: answers is empty; give at least one gold answer (use [''] for an unanswerable question).`);
  }
}

/**
 * Exact match (0 or 1) of one prediction: 1 when its normalised form equals that of any gold answer.
 *
 * @throws EvalError `eval_empty_input` when `answers` is empty.
 * @example
 * squadExactMatch('the Denver Broncos', ['Denver Broncos']) // 1
 */
export function squadExactMatch(prediction: string, answers: readonly string[]): number {
  assertString(prediction, 'squadExactMatch: prediction');
  checkAnswers(answers, 'squadExactMatch');
  const p = normalizeSquadAnswer(prediction);
  return answers.some((a) => normalizeSquadAnswer(a) === p) ? 1 : 0;
}

/**
 * Token-level F1 in [0, 1] of one prediction, maximum over the gold answers.
 *
 * @throws EvalError `eval_empty_input` when `answers` is empty.
 * @example
 * squadF1('Santa Clara, California', ["Levi's Stadium", 'Santa Clara']) // 0.8
 */
export function squadF1(prediction: string, answers: readonly string[], options: SquadF1Options = {}): number {
  assertKnownKeys(options, 'squadF1 options', ['version']);
  assertString(prediction, 'squadF1: prediction');
  checkAnswers(answers, 'squadF1');
  const version = options.version ?? 'v2.0';
  if (version !== 'v1.1' && version !== 'v2.0') {
    throw new EvalError('eval_invalid_option', `squadF1 options.version must be 'v1.1' or 'v2.0', got ${JSON.stringify(version)}.`);
  }
  let best = 0;
  for (const a of answers) best = Math.max(best, tokenF1(prediction, a, version));
  return best;
}

/**
 * Corpus SQuAD scores in percent (100 x mean), as the official script prints them.
 *
 * @throws EvalError `eval_length_mismatch`, `eval_empty_input`.
 * @example
 * squadScore(['Paris'], [['Paris', 'paris, France']]) // { exactMatch: 100, f1: 100 }
 */
export function squadScore(
  predictions: readonly string[],
  answers: readonly (readonly string[])[],
  options: SquadF1Options = {},
): { exactMatch: number; f1: number } {
  assertStringArray(predictions, 'squadScore: predictions');
  assertNonEmpty(predictions, 'squadScore: predictions');
  assertSameLength(predictions, 'predictions', answers, 'squadScore: answers');
  let em = 0;
  let f1 = 0;
  for (let i = 0; i < predictions.length; i++) {
    em += squadExactMatch(predictions[i]!, answers[i]!);
    f1 += squadF1(predictions[i]!, answers[i]!, options);
  }
  return { exactMatch: (100 * em) / predictions.length, f1: (100 * f1) / predictions.length };
}
