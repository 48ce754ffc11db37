import { InvalidArgumentError } from '@llmkit/core';
import { RagError, type RetrieveOptions } from '../types.js';

/** LangChain's default number of results. */
export const DEFAULT_K = 4;

/** Validated `k` (positive integer) from retrieve options. */
export function resolveK(options: RetrieveOptions | undefined, where: string, fallback = DEFAULT_K): number {
  const k = options?.k ?? fallback;
  if (!Number.isInteger(k) || k < 1) {
    throw new InvalidArgumentError(`${where}: k must be a positive integer; got ${String(k)}.`);
  }
  return k;
}

export function assertQuery(query: unknown, where: string): asserts query is string {
  if (typeof query !== 'string') {
    throw new InvalidArgumentError(`${where}: query must be a string; got ${typeof query}.`);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new RagError('aborted', `${where}: the request was aborted (signal.aborted is true).`, { cause: signal.reason });
}

/**
 * Indices of the `k` largest finite scores above `minScore`, best first; ties keep index order.
 * Linear scan with a small sorted buffer (k is small next to n).
 */
export function topKIndices(scores: ArrayLike<number>, k: number, minScore = -Infinity, accept?: (i: number) => boolean): number[] {
  const idx: number[] = [];
  const val: number[] = [];
  for (let i = 0; i < scores.length; i++) {
    const s = scores[i]!;
    if (!(s > minScore)) continue;
    if (idx.length === k && s <= val[k - 1]!) continue;
    if (accept !== undefined && !accept(i)) continue;
    let pos = idx.length < k ? idx.length : k - 1;
    if (idx.length < k) {
      idx.push(i);
      val.push(s);
    } else {
      idx[pos] = i;
      val[pos] = s;
    }
    while (pos > 0 && val[pos - 1]! < s) {
      idx[pos] = idx[pos - 1]!;
      val[pos] = val[pos - 1]!;
      pos--;
    }
    idx[pos] = i;
    val[pos] = s;
  }
  return idx;
}

/** Cosine similarity of two vectors of equal length (0 when either is all zeros). */
export function cosineSimilarity(a: Float32Array, b: Float32Array): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
