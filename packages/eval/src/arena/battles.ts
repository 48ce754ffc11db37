/**
 * Arena battles: the FastChat / Chatbot Arena record `{ model_a, model_b, winner }`, parsing from
 * JSONL, validation, and the seeded bootstrap shared by both rating methods.
 */
import { readFileSync } from 'node:fs';
import { createRng } from '@llmkit/core';
import { EvalError } from '../errors.js';

/** The outcome of one battle, in FastChat's words. */
export type BattleWinner = 'model_a' | 'model_b' | 'tie' | 'tie (bothbad)';

/** One pairwise battle (a row of FastChat's `clean_battle` data). */
export interface Battle {
  model_a: string;
  model_b: string;
  winner: BattleWinner;
}

/** One model's rating, with a bootstrap interval when one was asked for. */
export interface RatingRow {
  model: string;
  /** Rating fitted on all battles. */
  rating: number;
  /** Battles the model took part in. */
  battles: number;
  /** Bootstrap median, 2.5 % and 97.5 % quantiles (numpy/pandas linear interpolation). */
  median?: number;
  lower?: number;
  upper?: number;
}

/** Result of {@link onlineElo} and {@link bradleyTerry}. */
export interface ArenaRatings {
  method: 'online-elo' | 'bradley-terry';
  /** Model name to rating. */
  ratings: Record<string, number>;
  /** Models sorted by rating, best first. */
  leaderboard: RatingRow[];
  /** Bootstrap settings when intervals were computed. */
  bootstrap?: { rounds: number; seed: number };
}

const WINNERS = new Set<string>(['model_a', 'model_b', 'tie', 'tie (bothbad)']);

/**
 * Validate battles; every problem names the battle index and the fix.
 * @throws EvalError `eval_battle` for a missing model name, a self-battle or an unknown winner.
 */
export function validateBattles(battles: readonly Battle[]): void {
  if (!Array.isArray(battles)) throw new EvalError('eval_battle', 'battles must be an array of { model_a, model_b, winner } objects.');
  battles.forEach((b, i) => {
    if (!b || typeof b !== 'object') throw new EvalError('eval_battle', `battle ${i} is not an object; give { model_a, model_b, winner }.`);
    if (typeof b.model_a !== 'string' || b.model_a === '' || typeof b.model_b !== 'string' || b.model_b === '') {
      throw new EvalError('eval_battle', `battle ${i} needs non-empty string model_a and model_b, got ${JSON.stringify(b)}.`);
    }
    if (b.model_a === b.model_b) throw new EvalError('eval_battle', `battle ${i} pits "${b.model_a}" against itself; drop self-battles.`);
    if (!WINNERS.has(b.winner)) {
      throw new EvalError('eval_battle', `battle ${i} has winner ${JSON.stringify(b.winner)}; use "model_a", "model_b", "tie" or "tie (bothbad)".`);
    }
  });
}

/**
 * Parse battles from JSONL text (one `{ model_a, model_b, winner }` per line; blank lines skipped,
 * other fields ignored).
 * @throws EvalError `eval_battle` naming the line of malformed JSON or a bad record.
 * @example
 * const battles = parseBattles(readFileSync('battles.jsonl', 'utf8'));
 */
export function parseBattles(jsonl: string): Battle[] {
  if (typeof jsonl !== 'string') throw new EvalError('eval_battle', 'parseBattles(jsonl) takes the JSONL text as a string.');
  const out: Battle[] = [];
  jsonl.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new EvalError('eval_battle', `battles JSONL line ${i + 1} is not valid JSON: ${line.slice(0, 80)}`, { cause });
    }
    const b = value as Battle;
    try {
      validateBattles([b]);
    } catch (e) {
      throw new EvalError('eval_battle', `battles JSONL line ${i + 1}: ${(e as Error).message.replace(/^battle 0 /, 'the battle ')}`);
    }
    out.push({ model_a: b.model_a, model_b: b.model_b, winner: b.winner });
  });
  return out;
}

/** Read and parse a battles JSONL file. @throws EvalError `eval_battle` as {@link parseBattles}. */
export function readBattles(path: string): Battle[] {
  return parseBattles(readFileSync(path, 'utf8'));
}

/** numpy.quantile / pandas.quantile with linear interpolation on sorted values. */
export function quantileSorted(sorted: readonly number[], q: number): number {
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return sorted[lo]! + (sorted[hi]! - sorted[lo]!) * (pos - lo);
}

/** Models in order of first appearance. */
export function modelsOf(battles: readonly Battle[]): string[] {
  const seen = new Set<string>();
  for (const b of battles) {
    seen.add(b.model_a);
    seen.add(b.model_b);
  }
  return [...seen];
}

/**
 * Fit on all battles, then on `rounds` resamples with replacement (FastChat's
 * `get_bootstrap_result`: `battles.sample(frac=1.0, replace=True)`), seeded; fills the interval fields.
 */
export function withBootstrap(
  method: ArenaRatings['method'],
  battles: readonly Battle[],
  fit: (battles: readonly Battle[]) => Record<string, number>,
  rounds: number | undefined,
  seed: number,
): ArenaRatings {
  const ratings = fit(battles);
  const counts = new Map<string, number>();
  for (const b of battles) {
    counts.set(b.model_a, (counts.get(b.model_a) ?? 0) + 1);
    counts.set(b.model_b, (counts.get(b.model_b) ?? 0) + 1);
  }
  const rows: RatingRow[] = Object.entries(ratings).map(([model, rating]) => ({ model, rating, battles: counts.get(model) ?? 0 }));
  let bootstrap: ArenaRatings['bootstrap'];
  if (rounds !== undefined && rounds > 0) {
    if (!Number.isInteger(rounds)) throw new EvalError('eval_invalid_option', `bootstrapRounds = ${rounds}; give a positive integer (FastChat uses 1000).`);
    const rng = createRng(seed);
    const samples = new Map<string, number[]>(rows.map((r) => [r.model, []]));
    const n = battles.length;
    for (let round = 0; round < rounds; round++) {
      const sample: Battle[] = new Array(n);
      for (let i = 0; i < n; i++) sample[i] = battles[Math.floor(rng.random() * n)]!;
      const fitted = fit(sample);
      for (const [model, values] of samples) if (model in fitted) values.push(fitted[model]!);
    }
    for (const row of rows) {
      const values = samples.get(row.model)!.sort((a, b) => a - b);
      row.median = quantileSorted(values, 0.5);
      row.lower = quantileSorted(values, 0.025);
      row.upper = quantileSorted(values, 0.975);
    }
    bootstrap = { rounds, seed };
  }
  rows.sort((a, b) => b.rating - a.rating);
  return { method, ratings, leaderboard: rows, ...(bootstrap ? { bootstrap } : {}) };
}
