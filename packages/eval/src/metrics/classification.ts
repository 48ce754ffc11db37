/**
 * Classification metrics as scikit-learn defines them (`accuracy_score`,
 * `precision_recall_fscore_support`, `classification_report`): per-class precision, recall, F1
 * and support; macro (unweighted mean over labels), weighted (support-weighted mean) and micro
 * (global counts) averages. A 0/0 ratio is 0, as scikit-learn's default `zero_division`.
 */
import { EvalError } from '../errors.js';
import { assertNonEmpty, assertSameLength } from './validate.js';

/** A class label: string, number or boolean (compared with `===`). */
export type Label = string | number | boolean;

/** Precision, recall, F1 and support of one class or one average. */
export interface ClassMetrics {
  precision: number;
  recall: number;
  f1: number;
  /** Number of true instances. */
  support: number;
}

/** scikit-learn's `classification_report(output_dict=True)` in camelCase. */
export interface ClassificationReport {
  /** Per label, in `labels` order (default: sorted union of true and predicted labels). */
  perClass: Map<Label, ClassMetrics>;
  labels: Label[];
  accuracy: number;
  macro: ClassMetrics;
  micro: ClassMetrics;
  weighted: ClassMetrics;
}

/** Options of {@link classificationReport} and {@link f1Score}. */
export interface ClassificationOptions {
  /** Labels to report, in order (default: sorted union of the labels present). */
  labels?: readonly Label[];
}

function ratio(a: number, b: number): number {
  return b === 0 ? 0 : a / b;
}

function f1(p: number, r: number): number {
  return p + r === 0 ? 0 : (2 * p * r) / (p + r);
}

function sortLabels(labels: Label[]): Label[] {
  return labels.sort((a, b) => {
    if (typeof a === 'number' && typeof b === 'number') return a - b;
    const sa = String(a);
    const sb = String(b);
    return sa < sb ? -1 : sa > sb ? 1 : 0;
  });
}

function check(yTrue: readonly Label[], yPred: readonly Label[], where: string): void {
  if (!Array.isArray(yTrue) || !Array.isArray(yPred)) {
    throw new EvalError('eval_invalid_option', `${where}: yTrue and yPred must be arrays of labels.`);
  }
  assertNonEmpty(yTrue, `${where}: yTrue`);
  assertSameLength(yTrue, 'yTrue', yPred, `${where}: yPred`);
}

/**
 * Fraction of predictions equal to the true label.
 * @throws EvalError `eval_length_mismatch`, `eval_empty_input`.
 * @example
 * accuracy(['a', 'b', 'b'], ['a', 'b', 'a']) // 0.666...
 */
export function accuracy(yTrue: readonly Label[], yPred: readonly Label[]): number {
  check(yTrue, yPred, 'accuracy');
  let c = 0;
  for (let i = 0; i < yTrue.length; i++) if (yTrue[i] === yPred[i]) c++;
  return c / yTrue.length;
}

/**
 * Per-class and averaged precision / recall / F1, as scikit-learn's `classification_report`.
 * @throws EvalError `eval_length_mismatch`, `eval_empty_input`.
 * @example
 * const r = classificationReport(['cat', 'dog', 'dog'], ['cat', 'dog', 'cat']);
 * r.macro.f1 // 0.666...
 */
export function classificationReport(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationOptions = {},
): ClassificationReport {
  check(yTrue, yPred, 'classificationReport');
  const labels = options.labels ? [...options.labels] : sortLabels([...new Set<Label>([...yTrue, ...yPred])]);
  if (labels.length === 0) throw new EvalError('eval_empty_input', 'classificationReport: options.labels is empty.');
  const tp = new Map<Label, number>();
  const predicted = new Map<Label, number>();
  const actual = new Map<Label, number>();
  for (let i = 0; i < yTrue.length; i++) {
    const t = yTrue[i]!;
    const p = yPred[i]!;
    actual.set(t, (actual.get(t) ?? 0) + 1);
    predicted.set(p, (predicted.get(p) ?? 0) + 1);
    if (t === p) tp.set(t, (tp.get(t) ?? 0) + 1);
  }
  const perClass = new Map<Label, ClassMetrics>();
  let sumTp = 0;
  let sumPred = 0;
  let sumTrue = 0;
  const macro = { precision: 0, recall: 0, f1: 0, support: 0 };
  const weighted = { precision: 0, recall: 0, f1: 0, support: 0 };
  for (const label of labels) {
    const t = tp.get(label) ?? 0;
    const np = predicted.get(label) ?? 0;
    const na = actual.get(label) ?? 0;
    const precision = ratio(t, np);
    const recall = ratio(t, na);
    const m = { precision, recall, f1: f1(precision, recall), support: na };
    perClass.set(label, m);
    sumTp += t;
    sumPred += np;
    sumTrue += na;
    macro.precision += precision;
    macro.recall += recall;
    macro.f1 += m.f1;
    macro.support += na;
    weighted.precision += precision * na;
    weighted.recall += recall * na;
    weighted.f1 += m.f1 * na;
    weighted.support += na;
  }
  macro.precision /= labels.length;
  macro.recall /= labels.length;
  macro.f1 /= labels.length;
  weighted.precision = ratio(weighted.precision, sumTrue);
  weighted.recall = ratio(weighted.recall, sumTrue);
  weighted.f1 = ratio(weighted.f1, sumTrue);
  const microP = ratio(sumTp, sumPred);
  const microR = ratio(sumTp, sumTrue);
  const micro = { precision: microP, recall: microR, f1: f1(microP, microR), support: sumTrue };
  return { perClass, labels, accuracy: accuracy(yTrue, yPred), macro, micro, weighted };
}

/** Averaging of {@link f1Score}: scikit-learn's `average=` values. */
export type F1Average = 'macro' | 'micro' | 'weighted' | 'binary';

/**
 * F1 score with scikit-learn's averaging (`binary` scores only `posLabel`, default 1).
 * @throws EvalError `eval_length_mismatch`, `eval_empty_input`, `eval_invalid_option`.
 * @example
 * f1Score([0, 1, 1, 0], [0, 1, 0, 0], { average: 'binary' }) // 0.666...
 */
export function f1Score(
  yTrue: readonly Label[],
  yPred: readonly Label[],
  options: ClassificationOptions & { average?: F1Average; posLabel?: Label } = {},
): number {
  const average = options.average ?? 'macro';
  if (average === 'binary') {
    const pos = options.posLabel ?? 1;
    const r = classificationReport(yTrue, yPred, { labels: [pos] });
    return r.perClass.get(pos)!.f1;
  }
  if (average !== 'macro' && average !== 'micro' && average !== 'weighted') {
    throw new EvalError('eval_invalid_option', `f1Score options.average must be 'macro', 'micro', 'weighted' or 'binary', got ${JSON.stringify(average)}.`);
  }
  const r = classificationReport(yTrue, yPred, options.labels ? { labels: options.labels } : {});
  return r[average].f1;
}
