/**
 * Unbiased pass@k of Chen et al. 2021 ("Evaluating Large Language Models Trained on Code",
 * human-eval `estimate_pass_at_k`), in its numerically stable product form:
 * `pass@k = 1 - Π_{i=n-c+1}^{n} (1 - k / i)`, and 1 when `n - c < k`.
 */
import { EvalError } from '../errors.js';
import { assertInteger } from './validate.js';

/**
 * Unbiased estimate of pass@k for one problem with `n` samples of which `c` are correct.
 *
 * @throws EvalError `eval_invalid_option` unless 0 <= c <= n and 1 <= k <= n (integers).
 * @example
 * passAtK(10, 3, 1) // 0.3
 * passAtK(10, 3, 5) // 1 - C(7,5)/C(10,5) = 0.9166...
 */
export function passAtK(n: number, c: number, k: number): number {
  assertInteger(n, 'passAtK: n (samples)', 1);
  assertInteger(c, 'passAtK: c (correct samples)', 0, n);
  assertInteger(k, 'passAtK: k', 1);
  if (k > n) {
    throw new EvalError('eval_invalid_option', `passAtK: k (${k}) is larger than n (${n}); draw at least k samples per problem.`);
  }
  if (n - c < k) return 1.0;
  let prod = 1.0;
  for (let i = n - c + 1; i <= n; i++) prod *= 1.0 - k / i;
  return 1.0 - prod;
}

/**
 * Mean pass@k over problems, each given as `{ n, c }` (human-eval's corpus figure).
 * @throws EvalError `eval_empty_input` for no problems, `eval_invalid_option` as {@link passAtK}.
 * @example
 * meanPassAtK([{ n: 10, c: 3 }, { n: 10, c: 0 }], 1) // 0.15
 */
export function meanPassAtK(problems: readonly { n: number; c: number }[], k: number): number {
  if (!Array.isArray(problems) || problems.length === 0) {
    throw new EvalError('eval_empty_input', 'meanPassAtK: problems is empty; give one { n, c } per problem.');
  }
  let sum = 0;
  for (const p of problems) sum += passAtK(p.n, p.c, k);
  return sum / problems.length;
}
