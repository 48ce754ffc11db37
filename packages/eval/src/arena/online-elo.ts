/**
 * Online Elo exactly as FastChat's `compute_elo` (fastchat/serve/monitor/elo_analysis.py): one
 * sequential pass over the battles in order, `ea = 1 / (1 + base^((rb - ra) / scale))`, ties 0.5.
 */
import { EvalError } from '../errors.js';
import { validateBattles, withBootstrap, type ArenaRatings, type Battle } from './battles.js';

/** Options of {@link onlineElo} (FastChat's defaults). */
export interface OnlineEloOptions {
  /** Update step K. Default 4. */
  k?: number;
  /** Rating scale. Default 400. */
  scale?: number;
  /** Logistic base. Default 10. */
  base?: number;
  /** Initial rating. Default 1000. */
  init?: number;
  /** Bootstrap rounds for intervals (FastChat: 1000); none by default. */
  bootstrapRounds?: number;
  /** Seed of the bootstrap resampling. Default 0. */
  seed?: number;
}

function positive(name: string, value: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new EvalError('eval_invalid_option', `${name} = ${String(value)}; give a positive finite number.`);
  }
  return value;
}

function eloPass(battles: readonly Battle[], k: number, scale: number, base: number, init: number): Record<string, number> {
  const rating: Record<string, number> = {};
  for (const { model_a: a, model_b: b, winner } of battles) {
    const ra = rating[a] ?? init;
    const rb = rating[b] ?? init;
    const ea = 1 / (1 + base ** ((rb - ra) / scale));
    const eb = 1 / (1 + base ** ((ra - rb) / scale));
    const sa = winner === 'model_a' ? 1 : winner === 'model_b' ? 0 : 0.5;
    rating[a] = ra + k * (sa - ea);
    rating[b] = rb + k * (1 - sa - eb);
  }
  return rating;
}

/**
 * Online Elo ratings of the models in `battles` (order matters, as in FastChat), with optional
 * bootstrap intervals (resampling battles with replacement, seeded).
 * @throws EvalError `eval_battle` for a malformed battle, `eval_invalid_option` for a bad option.
 * @example
 * const { ratings } = onlineElo([{ model_a: 'A', model_b: 'B', winner: 'model_a' }]);
 * // ratings.A === 1002, ratings.B === 998
 */
export function onlineElo(battles: readonly Battle[], options: OnlineEloOptions = {}): ArenaRatings {
  validateBattles(battles);
  const k = positive('k', options.k ?? 4);
  const scale = positive('scale', options.scale ?? 400);
  const base = positive('base', options.base ?? 10);
  const init = options.init ?? 1000;
  if (!Number.isFinite(init)) throw new EvalError('eval_invalid_option', `init = ${String(init)}; give a finite rating.`);
  return withBootstrap('online-elo', battles, (sample) => eloPass(sample, k, scale, base, init), options.bootstrapRounds, options.seed ?? 0);
}
