/** Agreement statistics between two raters (two judges, or a judge and human labels). */
import { EvalError } from '../errors.js';

function check(a: readonly unknown[], b: readonly unknown[], name: string): void {
  if (!Array.isArray(a) || !Array.isArray(b)) throw new EvalError('eval_invalid_option', `${name}(a, b): a and b must be arrays of labels.`);
  if (a.length !== b.length) throw new EvalError('eval_invalid_option', `${name}(a, b): the raters labelled ${a.length} and ${b.length} items; give one label per item from each.`);
  if (a.length === 0) throw new EvalError('eval_invalid_option', `${name}(a, b): no items.`);
}

/**
 * Fraction of items on which the two raters agree.
 * @throws EvalError `eval_invalid_option` when the arrays differ in length or are empty.
 * @example
 * agreementRate(['A', 'B', 'tie'], ['A', 'A', 'tie']); // 2/3
 */
export function agreementRate<T extends string | number>(a: readonly T[], b: readonly T[]): number {
  check(a, b, 'agreementRate');
  let same = 0;
  for (let i = 0; i < a.length; i++) if (a[i] === b[i]) same++;
  return same / a.length;
}

/**
 * Cohen's kappa, `(p_o - p_e) / (1 - p_e)` with `p_e` from each rater's label frequencies (as
 * scikit-learn's `cohen_kappa_score` without weights; NaN when both raters use one single label).
 * @throws EvalError `eval_invalid_option` when the arrays differ in length or are empty.
 * @example
 * cohenKappa(['A', 'A', 'B', 'B'], ['A', 'B', 'B', 'B']); // 0.5
 */
export function cohenKappa<T extends string | number>(a: readonly T[], b: readonly T[]): number {
  check(a, b, 'cohenKappa');
  const n = a.length;
  const countA = new Map<T, number>();
  const countB = new Map<T, number>();
  let same = 0;
  for (let i = 0; i < n; i++) {
    countA.set(a[i]!, (countA.get(a[i]!) ?? 0) + 1);
    countB.set(b[i]!, (countB.get(b[i]!) ?? 0) + 1);
    if (a[i] === b[i]) same++;
  }
  const po = same / n;
  let pe = 0;
  for (const [label, ca] of countA) pe += (ca / n) * ((countB.get(label) ?? 0) / n);
  return (po - pe) / (1 - pe);
}
