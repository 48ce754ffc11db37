/**
 * Verdict parsing for LLM-as-judge outputs: MT-Bench's formats first (`[[rating]]`, `[rating]`,
 * `[[A]]` / `[[B]]` / `[[C]]`), then common free-text forms ("Rating: 7/10", "Final verdict: A",
 * "Assistant B is better", "It's a tie"). What matches none is `unparsed` (or a typed error with `strict`).
 */
import { EvalError } from '../errors.js';

/** A parsed judge verdict. */
export type Verdict =
  | { type: 'rating'; rating: number }
  | { type: 'pairwise'; winner: 'A' | 'B' | 'tie' }
  | { type: 'unparsed'; text: string };

/** Options of {@link parseVerdict}. */
export interface ParseVerdictOptions {
  /** `rating` (single-answer grading) or `pairwise` (A/B/tie). */
  kind: 'rating' | 'pairwise';
  /** Valid rating range, inclusive. Default [1, 10] (MT-Bench). */
  min?: number;
  max?: number;
  /** Throw instead of returning `unparsed`. */
  strict?: boolean;
}

const NUMBER = '(\\d+(?:\\.\\d+)?)';
const RATING_PATTERNS = [
  new RegExp(`\\[\\[\\s*${NUMBER}\\s*\\]\\]`, 'g'), // MT-Bench one_score_pattern
  new RegExp(`\\[\\s*${NUMBER}\\s*\\]`, 'g'), // MT-Bench one_score_pattern_backup
  new RegExp(`(?:rating|score|grade)\\s*(?:is|of|=|:)?\\s*\\**\\s*${NUMBER}\\s*(?:/\\s*\\d+|out of \\d+)?`, 'gi'),
  new RegExp(`\\b${NUMBER}\\s*(?:/|out of)\\s*10\\b`, 'gi'),
];

function lastMatch(re: RegExp, text: string): RegExpMatchArray | undefined {
  const all = [...text.matchAll(re)];
  return all[all.length - 1];
}

function parseRating(text: string, min: number, max: number): Verdict {
  for (const re of RATING_PATTERNS) {
    const m = lastMatch(re, text);
    if (!m) continue;
    const value = Number(m[1]);
    if (Number.isFinite(value) && value >= min && value <= max) return { type: 'rating', rating: value };
  }
  return { type: 'unparsed', text };
}

const PAIRWISE_PATTERNS: Array<[RegExp, (m: RegExpMatchArray) => 'A' | 'B' | 'tie' | undefined]> = [
  [/\[\[\s*([ABC])\s*\]\]/g, (m) => (m[1] === 'C' ? 'tie' : (m[1] as 'A' | 'B'))],
  [/\[\[\s*(tie)\s*\]\]/gi, () => 'tie'],
  [/(?:[Ff]inal\s+)?[Vv]erdict\s*(?:is|:)?\s*\**\s*\[?\s*(A|B|C|[Tt]ie)\b/g, (m) => (/^(C|tie)$/i.test(m[1]!) ? 'tie' : (m[1] as 'A' | 'B'))],
  [/\[\s*([ABC])\s*\]/g, (m) => (m[1] === 'C' ? 'tie' : (m[1] as 'A' | 'B'))],
  [/\b(?:[Aa]ssistant|[Rr]esponse|[Aa]nswer)\s+([AB])\s+(?:is|was)\s+(?:clearly\s+|slightly\s+|much\s+)?better\b/g, (m) => m[1] as 'A' | 'B'],
  [/\b(?:it'?s|it is|this is|is|verdict:?)\s+a\s+tie\b|\bboth (?:are|responses are) equally\b/gi, () => 'tie'],
];

function parsePairwise(text: string): Verdict {
  for (const [re, map] of PAIRWISE_PATTERNS) {
    // The last verdict wins: judges often restate the format before giving their own.
    const m = lastMatch(re, text);
    if (!m) continue;
    const winner = map(m);
    if (winner) return { type: 'pairwise', winner };
  }
  return { type: 'unparsed', text };
}

/**
 * Parse a judge's output.
 * @throws EvalError `eval_verdict_unparsed` with `strict` when no format matches; `eval_invalid_option` for a bad kind.
 * @example
 * parseVerdict('The answer is accurate. Rating: [[8]]', { kind: 'rating' }); // { type: 'rating', rating: 8 }
 * parseVerdict('... so my final verdict is [[C]]', { kind: 'pairwise' }); // { type: 'pairwise', winner: 'tie' }
 */
export function parseVerdict(text: string, options: ParseVerdictOptions): Verdict {
  if (typeof text !== 'string') throw new EvalError('eval_invalid_option', 'parseVerdict(text): text must be the judge output string.');
  if (!options || (options.kind !== 'rating' && options.kind !== 'pairwise')) {
    throw new EvalError('eval_invalid_option', 'parseVerdict: options.kind must be "rating" or "pairwise".');
  }
  const min = options.min ?? 1;
  const max = options.max ?? 10;
  const verdict = options.kind === 'rating' ? parseRating(text, min, max) : parsePairwise(text);
  if (verdict.type === 'unparsed' && options.strict) {
    const expected = options.kind === 'rating' ? `a rating in [${min}, ${max}] such as "[[7]]"` : '"[[A]]", "[[B]]" or "[[C]]"';
    throw new EvalError('eval_verdict_unparsed', `The judge output holds no ${options.kind} verdict (expected ${expected}): ${JSON.stringify(text.slice(-200))}`);
  }
  return verdict;
}
