import { SecurityOptionError } from '../errors/index.js';

/** One point of a ROC curve: predicting positive when score >= threshold. */
export interface RocPoint {
  threshold: number;
  tpr: number;
  fpr: number;
}

/** Result of {@link calibrateThreshold}. */
export interface Calibration {
  /** Lowest threshold whose false-positive rate is <= maxFpr (predict positive when score >= threshold). */
  threshold: number;
  tpr: number;
  fpr: number;
  /** Area under the ROC curve (trapezoids; ties handled as one step). */
  auc: number;
  roc: RocPoint[];
}

function check(scores: ArrayLike<number>, labels: ArrayLike<number>): void {
  if (scores.length !== labels.length) {
    throw new SecurityOptionError(`scores (${scores.length}) and labels (${labels.length}) must have the same length.`);
  }
  let pos = 0;
  for (let i = 0; i < labels.length; i++) {
    if (labels[i] !== 0 && labels[i] !== 1) throw new SecurityOptionError(`labels[${i}] must be 0 or 1, got ${labels[i]}.`);
    if (!Number.isFinite(scores[i])) throw new SecurityOptionError(`scores[${i}] must be finite, got ${scores[i]}.`);
    pos += labels[i]!;
  }
  if (pos === 0 || pos === labels.length) {
    throw new SecurityOptionError('calibration needs both positive (1) and negative (0) labels; got only one class.');
  }
}

/**
 * ROC curve of `scores` against binary `labels` (1 = positive), one point per distinct
 * score from the highest, starting at (fpr 0, tpr 0) with threshold +Infinity.
 * @throws SecurityOptionError (`security_invalid_option`) on mismatched lengths or one class only.
 */
export function rocCurve(scores: ArrayLike<number>, labels: ArrayLike<number>): RocPoint[] {
  check(scores, labels);
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[b]! - scores[a]!);
  let P = 0;
  for (let i = 0; i < labels.length; i++) P += labels[i]!;
  const N = labels.length - P;
  const roc: RocPoint[] = [{ threshold: Infinity, tpr: 0, fpr: 0 }];
  let tp = 0;
  let fp = 0;
  for (let k = 0; k < idx.length; k++) {
    const i = idx[k]!;
    if (labels[i] === 1) tp++;
    else fp++;
    if (k + 1 < idx.length && scores[idx[k + 1]!] === scores[i]) continue;
    roc.push({ threshold: scores[i]!, tpr: tp / P, fpr: fp / N });
  }
  return roc;
}

/**
 * Pick a decision threshold from the ROC curve: the lowest one whose false-positive rate
 * stays within `maxFpr` (so the highest TPR at that FPR).
 * @throws SecurityOptionError (`security_invalid_option`) when maxFpr is outside [0, 1] or labels are one class.
 * @example
 * calibrateThreshold([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0], { maxFpr: 0.05 }).threshold; // 0.8
 */
export function calibrateThreshold(scores: ArrayLike<number>, labels: ArrayLike<number>, options: { maxFpr: number }): Calibration {
  const { maxFpr } = options;
  if (!(maxFpr >= 0 && maxFpr <= 1)) throw new SecurityOptionError(`calibrateThreshold: maxFpr must be in [0, 1], got ${maxFpr}.`);
  const roc = rocCurve(scores, labels);
  let best = roc[0]!;
  for (const p of roc) if (p.fpr <= maxFpr) best = p;
  let auc = 0;
  for (let i = 1; i < roc.length; i++) auc += ((roc[i]!.fpr - roc[i - 1]!.fpr) * (roc[i]!.tpr + roc[i - 1]!.tpr)) / 2;
  return { threshold: best.threshold, tpr: best.tpr, fpr: best.fpr, auc, roc };
}
