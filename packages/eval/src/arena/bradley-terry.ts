/**
 * Bradley-Terry ratings by maximum likelihood, as FastChat's `compute_mle_elo`: a logistic
 * regression without intercept on rows `X[a] = +ln(base)`, `X[b] = -ln(base)`, where a pair's
 * weight is 2 x (wins of a over b) + (ties between a and b) — ties count as half a win each way.
 * Ratings are `scale * theta + init`. The likelihood only fixes differences; like scikit-learn's
 * lbfgs started from zero, we keep `sum(theta) = 0`, then shift to the anchor when one is given.
 * We maximise with Newton's method (the Hessian is the weighted graph Laplacian), which reaches
 * the exact optimum instead of lbfgs's `tol`.
 */
import { EvalError } from '../errors.js';
import { modelsOf, validateBattles, withBootstrap, type ArenaRatings, type Battle } from './battles.js';

/** Options of {@link bradleyTerry} (FastChat's defaults). */
export interface BradleyTerryOptions {
  /** Rating scale. Default 400. */
  scale?: number;
  /** Logistic base. Default 10. */
  base?: number;
  /** Rating of the average model (sum(theta) = 0). Default 1000. */
  init?: number;
  /** Shift all ratings so `model` gets `rating` (FastChat anchors mixtral-8x7b-instruct-v0.1 at 1114). */
  anchor?: { model: string; rating: number };
  /**
   * L2 penalty `l2 / 2 * ||theta||^2` (scikit-learn's `C = 1 / l2`). Default 0 (FastChat: `penalty=None`).
   * Give a small value when a model won or lost every battle (the unpenalised optimum is then infinite).
   */
  l2?: number;
  /** Bootstrap rounds for intervals (FastChat: 1000); none by default. */
  bootstrapRounds?: number;
  /** Seed of the bootstrap resampling. Default 0. */
  seed?: number;
  /** Newton iterations at most. Default 100. */
  maxIterations?: number;
}

/** Pair weights `w[i][j]` = 2 x wins of i over j + ties of i and j (FastChat's `ptbl_win`). */
export function pairWinWeights(battles: readonly Battle[], models: readonly string[]): number[][] {
  const index = new Map(models.map((m, i) => [m, i]));
  const w = models.map(() => new Array<number>(models.length).fill(0));
  for (const b of battles) {
    const a = index.get(b.model_a)!;
    const c = index.get(b.model_b)!;
    if (b.winner === 'model_a') w[a]![c]! += 2;
    else if (b.winner === 'model_b') w[c]![a]! += 2;
    else {
      w[a]![c]! += 1;
      w[c]![a]! += 1;
    }
  }
  return w;
}

function logSigmoid(x: number): number {
  return x >= 0 ? -Math.log1p(Math.exp(-x)) : x - Math.log1p(Math.exp(x));
}

function sigmoid(x: number): number {
  return x >= 0 ? 1 / (1 + Math.exp(-x)) : Math.exp(x) / (1 + Math.exp(x));
}

/** Solve A x = b (Gaussian elimination with partial pivoting; A is small and symmetric positive definite here). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  const m = a.map((row, i) => [...row, b[i]!]);
  for (let col = 0; col < n; col++) {
    let pivot = col;
    for (let r = col + 1; r < n; r++) if (Math.abs(m[r]![col]!) > Math.abs(m[pivot]![col]!)) pivot = r;
    [m[col], m[pivot]] = [m[pivot]!, m[col]!];
    const p = m[col]![col]!;
    if (p === 0) continue;
    for (let r = col + 1; r < n; r++) {
      const f = m[r]![col]! / p;
      if (f === 0) continue;
      for (let c = col; c <= n; c++) m[r]![c]! -= f * m[col]![c]!;
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = m[r]![n]!;
    for (let c = r + 1; c < n; c++) s -= m[r]![c]! * x[c]!;
    x[r] = m[r]![r]! === 0 ? 0 : s / m[r]![r]!;
  }
  return x;
}

/**
 * Maximum-likelihood theta (sum zero) for pair weights `w` with logit `ln(base) * (theta_i - theta_j)`.
 * Returns theta and whether the gradient vanished.
 */
export function fitBradleyTerryTheta(w: number[][], base = 10, l2 = 0, maxIterations = 100): { theta: number[]; converged: boolean } {
  const n = w.length;
  const c = Math.log(base);
  let theta = new Array<number>(n).fill(0);
  const objective = (t: number[]): number => {
    let ll = 0;
    for (let i = 0; i < n; i++) for (let j = 0; j < n; j++) if (i !== j && w[i]![j]! > 0) ll += w[i]![j]! * logSigmoid(c * (t[i]! - t[j]!));
    let pen = 0;
    for (const v of t) pen += v * v;
    return ll - (l2 / 2) * pen;
  };
  let value = objective(theta);
  for (let iter = 0; iter < maxIterations; iter++) {
    const grad = new Array<number>(n).fill(0);
    const hess = theta.map(() => new Array<number>(n).fill(0));
    for (let i = 0; i < n; i++) {
      for (let j = i + 1; j < n; j++) {
        const total = w[i]![j]! + w[j]![i]!;
        if (total === 0) continue;
        const p = sigmoid(c * (theta[i]! - theta[j]!));
        const g = c * (w[i]![j]! - total * p);
        grad[i]! += g;
        grad[j]! -= g;
        const h = c * c * total * p * (1 - p);
        hess[i]![i]! += h;
        hess[j]![j]! += h;
        hess[i]![j]! -= h;
        hess[j]![i]! -= h;
      }
    }
    for (let i = 0; i < n; i++) {
      grad[i]! -= l2 * theta[i]!;
      hess[i]![i]! += l2;
    }
    let gnorm = 0;
    for (const g of grad) gnorm = Math.max(gnorm, Math.abs(g));
    if (gnorm < 1e-11) return { theta, converged: true };
    // (H + 11^T) d = g keeps sum(d) = 0 since H 1 = 0 and sum(g) = 0 (without a penalty).
    const system = hess.map((row) => row.map((v) => v + 1));
    const step = solve(system, grad);
    let scale = 1;
    let next = theta;
    let nextValue = value;
    for (let k = 0; k < 40; k++) {
      next = theta.map((t, i) => t + scale * step[i]!);
      nextValue = objective(next);
      if (nextValue >= value - 1e-15 * Math.abs(value)) break;
      scale /= 2;
    }
    const moved = Math.max(...next.map((t, i) => Math.abs(t - theta[i]!)));
    theta = next;
    value = nextValue;
    if (moved < 1e-15) return { theta, converged: gnorm < 1e-6 };
  }
  return { theta, converged: false };
}

/**
 * Zermelo's condition: the maximum-likelihood ratings are finite and unique iff the graph with an
 * edge i -> j whenever i won (or tied) against j is strongly connected.
 */
export function hasFiniteOptimum(w: number[][]): boolean {
  const n = w.length;
  const reach = (forward: boolean): number => {
    const seen = new Array<boolean>(n).fill(false);
    const stack = [0];
    seen[0] = true;
    let count = 1;
    while (stack.length > 0) {
      const i = stack.pop()!;
      for (let j = 0; j < n; j++) {
        if (seen[j] || (forward ? w[i]![j]! : w[j]![i]!) <= 0) continue;
        seen[j] = true;
        count++;
        stack.push(j);
      }
    }
    return count;
  };
  return n <= 1 || (reach(true) === n && reach(false) === n);
}

/**
 * Bradley-Terry (maximum-likelihood Elo) ratings as FastChat's `compute_mle_elo`, with optional
 * bootstrap intervals (battles resampled with replacement, seeded; median and 2.5/97.5 % quantiles).
 * @throws EvalError `eval_battle` for a malformed battle, `eval_invalid_option` for a bad option or an
 *   unknown anchor model, `eval_not_converged` when the optimum is infinite (a model won or lost all
 *   its battles) and `l2` is 0.
 * @example
 * const { leaderboard } = bradleyTerry(readBattles('battles.jsonl'), { bootstrapRounds: 1000, seed: 42 });
 */
export function bradleyTerry(battles: readonly Battle[], options: BradleyTerryOptions = {}): ArenaRatings {
  validateBattles(battles);
  const scale = options.scale ?? 400;
  const base = options.base ?? 10;
  const init = options.init ?? 1000;
  const l2 = options.l2 ?? 0;
  for (const [name, v] of [['scale', scale], ['base', base]] as const) {
    if (!(Number.isFinite(v) && v > 0)) throw new EvalError('eval_invalid_option', `${name} = ${String(v)}; give a positive finite number.`);
  }
  if (base === 1) throw new EvalError('eval_invalid_option', 'base = 1 makes every rating equal; use 10 (FastChat) or Math.E.');
  if (!Number.isFinite(init)) throw new EvalError('eval_invalid_option', `init = ${String(init)}; give a finite rating.`);
  if (!(Number.isFinite(l2) && l2 >= 0)) throw new EvalError('eval_invalid_option', `l2 = ${String(l2)}; give a number >= 0.`);
  const anchor = options.anchor;
  if (anchor && !modelsOf(battles).includes(anchor.model)) {
    throw new EvalError('eval_invalid_option', `anchor.model "${anchor.model}" is in no battle; pick one of ${modelsOf(battles).join(', ')}.`);
  }
  const maxIterations = options.maxIterations ?? 100;
  let firstFit = true;
  const fit = (sample: readonly Battle[]): Record<string, number> => {
    const models = modelsOf(sample);
    const w = pairWinWeights(sample, models);
    if (firstFit && l2 === 0 && !hasFiniteOptimum(w)) {
      throw new EvalError(
        'eval_not_converged',
        'bradleyTerry: the likelihood has no finite maximum (some group of models won or lost every battle against the rest, or the battle graph is split); pass a small l2 (e.g. 1e-6) or add battles.',
      );
    }
    const { theta, converged } = fitBradleyTerryTheta(w, base, l2, maxIterations);
    if (!converged && firstFit) {
      throw new EvalError(
        'eval_not_converged',
        'bradleyTerry: the likelihood has no finite maximum (some model won or lost every battle, or the battle graph is split); pass a small l2 (e.g. 1e-6) or add battles.',
      );
    }
    firstFit = false;
    const ratings: Record<string, number> = {};
    models.forEach((m, i) => (ratings[m] = scale * theta[i]! + init));
    if (anchor && anchor.model in ratings) {
      const shift = anchor.rating - ratings[anchor.model]!;
      for (const m of models) ratings[m]! += shift;
    }
    return ratings;
  };
  return withBootstrap('bradley-terry', battles, fit, options.bootstrapRounds, options.seed ?? 0);
}
