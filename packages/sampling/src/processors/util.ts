/** Internal helpers shared by the logits processors (not exported from the package barrel). */
import { InvalidArgumentError } from "@llmkit/core/errors";
import { AllTokensMaskedError } from "./errors.js";

/** Reject non-Float32Array input, NaN and +Infinity logits. */
export function checkLogits(
  logits: unknown,
  fn: string
): asserts logits is Float32Array {
  if (!(logits instanceof Float32Array)) {
    throw new InvalidArgumentError(
      `${fn}: logits must be a Float32Array; wrap plain arrays with Float32Array.from(...).`
    );
  }
  for (let i = 0; i < logits.length; i++) {
    // One comparison: false exactly for NaN and +Infinity (+Infinity breaks softmax).
    if (!(logits[i] < Infinity)) {
      throw new InvalidArgumentError(
        `${fn}: logits[${i}] = ${logits[i]}; logits must be finite or -Infinity (masked).`
      );
    }
  }
}

/** Largest logit; throws AllTokensMaskedError when every entry is -Infinity. */
export function maxLogit(logits: Float32Array, fn: string): number {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  if (max === -Infinity) throw new AllTokensMaskedError(fn);
  return max;
}

/** Softmax in float64 (`-Infinity` maps to 0). */
export function softmax64(logits: Float32Array, fn: string): Float64Array {
  const max = maxLogit(logits, fn);
  const out = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i] - max);
    out[i] = e;
    total += e;
  }
  const inv = 1 / total;
  for (let i = 0; i < out.length; i++) out[i] *= inv;
  return out;
}

/** Validate a number option against an open/closed range. */
export function checkNumber(
  fn: string,
  name: string,
  value: unknown,
  range: {
    min?: number;
    max?: number;
    minExclusive?: boolean;
    maxExclusive?: boolean;
  },
  fix: string
): number {
  const ok =
    typeof value === "number" &&
    Number.isFinite(value) &&
    (range.min === undefined ||
      (range.minExclusive ? value > range.min : value >= range.min)) &&
    (range.max === undefined ||
      (range.maxExclusive ? value < range.max : value <= range.max));
  if (!ok)
    throw new InvalidArgumentError(
      `${fn}: ${name} = ${String(value)}; ${fix}.`
    );
  return value as number;
}

/** Validate an integer option >= min. */
export function checkInt(
  fn: string,
  name: string,
  value: unknown,
  min: number
): number {
  if (typeof value !== "number" || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(
      `${fn}: ${name} = ${String(value)}; give an integer >= ${min}.`
    );
  }
  return value;
}

/** Validate token ids (integers >= 0). */
export function checkIds(fn: string, name: string, ids: unknown): number[] {
  if (!Array.isArray(ids) || !ids.every((t) => Number.isInteger(t) && t >= 0)) {
    throw new InvalidArgumentError(
      `${fn}: ${name} must be an array of integer token ids >= 0.`
    );
  }
  return ids as number[];
}

/** Below this k, `kthLargest` keeps a min-heap of the k largest instead of quickselect. */
const HEAP_SELECT_MAX_K = 1024;

/**
 * k-th largest value (1-based) of `values`, duplicates counted (so ties with
 * the k-th are resolved by the caller's `>=`). Small k: one scan with a
 * size-k min-heap (O(n) compares, O(k log k) heap work on typical rows);
 * larger k: quickselect on a scratch copy, O(n) on average. -Infinity
 * entries take part like any value.
 */
export function kthLargest(values: Float32Array, k: number): number {
  return k <= HEAP_SELECT_MAX_K ? heapKth(values, k) : quickselectKth(values, k);
}

function heapKth(values: Float32Array, k: number): number {
  const heap = new Float64Array(k);
  for (let i = 0; i < k; i++) heap[i] = values[i];
  const siftDown = (start: number): void => {
    let i = start;
    const v = heap[i];
    for (;;) {
      const l = 2 * i + 1;
      if (l >= k) break;
      const c = l + 1 < k && heap[l + 1] < heap[l] ? l + 1 : l;
      if (heap[c] >= v) break;
      heap[i] = heap[c];
      i = c;
    }
    heap[i] = v;
  };
  for (let i = (k >>> 1) - 1; i >= 0; i--) siftDown(i);
  let floor = heap[0];
  for (let i = k; i < values.length; i++) {
    const v = values[i];
    if (v > floor) {
      heap[0] = v;
      siftDown(0);
      floor = heap[0];
    }
  }
  return floor;
}

function quickselectKth(values: Float32Array, k: number): number {
  const a = values.slice();
  const target = k - 1;
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    // median of three pivot, descending partition
    const mid = (lo + hi) >>> 1;
    const x = a[lo],
      y = a[mid],
      z = a[hi];
    const pivot =
      x > y ? (y > z ? y : x > z ? z : x) : x > z ? x : y > z ? z : y;
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] > pivot) i++;
      while (a[j] < pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (target <= j) hi = j;
    else if (target >= i) lo = i;
    else return a[target];
  }
  return a[target];
}
