/**
 * Batching of tokenized SFT examples: right padding, or packing several examples into one row of at
 * most `maxLength` tokens (best-fit decreasing, TRL's `packing_strategy="bfd"`) with position ids that
 * restart at 0 and segment ids, so that @llmkit/model's document-aware causal attention computes every
 * packed example exactly as if it were alone.
 */
import { InvalidArgumentError } from '@llmkit/core';
import { IGNORE_INDEX, type TokenizedSftExample } from './tokenize.js';

/**
 * A micro-batch as plain arrays, row-major `[batch, length]`. `targets[b, t]` is the label of the
 * token after `t` within the same example (already shifted, as `DecoderLM.loss` takes them), -100
 * at each example's last token, at untrained tokens and at padding.
 */
export interface SftBatch {
  batch: number;
  length: number;
  inputIds: Int32Array;
  targets: Int32Array;
  /** 1 on real tokens, 0 on padding. */
  attentionMask: Int32Array;
  /** Packed batches only: position of each token inside its example. */
  positionIds?: Int32Array;
  /** Packed batches only: example index inside the row (-1 on padding). */
  segmentIds?: Int32Array;
  /** Real (non-padding) tokens. */
  tokens: number;
  /** Targets that count in the loss. */
  trainedTokens: number;
}

/**
 * Group example indices into rows of at most `maxLength` tokens by best-fit decreasing, exactly as TRL's
 * `pack_dataset(strategy="bfd")`: examples by decreasing length (stable), each into the row whose free
 * room is the smallest that still fits it (among rows with equal room, the one that reached it first),
 * else a new row. A segment tree over room sizes finds that room in O(log maxLength).
 * @param lengths token count of each example
 * @returns rows of example indices (rows in creation order, examples in placement order)
 * @throws {InvalidArgumentError} `invalid_argument` when an example is longer than `maxLength`.
 * @example
 * packBestFitDecreasing([5, 3, 4, 2], 8); // [[0, 1], [2, 3]]
 */
export function packBestFitDecreasing(lengths: readonly number[], maxLength: number): number[][] {
  if (!(Number.isInteger(maxLength) && maxLength > 0)) throw new InvalidArgumentError(`packBestFitDecreasing: maxLength must be a positive integer, got ${maxLength}.`);
  lengths.forEach((n, i) => {
    if (!(Number.isInteger(n) && n > 0)) throw new InvalidArgumentError(`packBestFitDecreasing: lengths[${i}] must be a positive integer, got ${n}.`);
    if (n > maxLength) throw new InvalidArgumentError(`packBestFitDecreasing: example ${i} has ${n} tokens, more than maxLength ${maxLength}; truncate it first.`);
  });
  const order = lengths.map((n, i) => [n, i] as const).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  // segment tree over room sizes 1..maxLength: a leaf holds its size while some row (or "new row" for maxLength) has that room
  let size = 1;
  while (size < maxLength) size <<= 1;
  const tree = new Int32Array(2 * size);
  const set = (room: number, present: boolean) => {
    let i = size + room - 1;
    tree[i] = present ? room : 0;
    for (i >>= 1; i >= 1; i >>= 1) tree[i] = Math.max(tree[2 * i]!, tree[2 * i + 1]!);
  };
  const smallestAtLeast = (n: number): number => {
    let i = 1;
    while (i < size) i = tree[2 * i]! >= n ? 2 * i : 2 * i + 1;
    return tree[i]!;
  };
  set(maxLength, true);
  const byRoom = new Map<number, number[][]>();
  const rows: number[][] = [];
  const used: number[] = [];
  const rowIndex = new Map<number[], number>();
  for (const [n, i] of order) {
    const room = smallestAtLeast(n);
    let row: number[];
    if (room < maxLength) {
      const queue = byRoom.get(room)!;
      row = queue.shift()!;
      if (queue.length === 0) set(room, false);
    } else {
      row = [];
      rowIndex.set(row, rows.length);
      rows.push(row);
      used.push(0);
    }
    row.push(i);
    const r = rowIndex.get(row)!;
    used[r]! += n;
    const left = maxLength - used[r]!;
    if (left > 0) {
      const queue = byRoom.get(left);
      if (queue) queue.push(row);
      else byRoom.set(left, [row]);
      set(left, true);
    }
  }
  return rows;
}

/**
 * Build one micro-batch. Each row is a list of examples: one example per row gives a padded batch,
 * several give a packed batch (with `positionIds` and `segmentIds`).
 * @param rows examples of each row
 * @param options `padTokenId` (default 0), `packed` (default: true when a row holds more than one example)
 * @example
 * const batch = collateSft([[a], [b]]);        // padded
 * const packed = collateSft([[a, b], [c]], { packed: true });
 */
export function collateSft(rows: readonly (readonly TokenizedSftExample[])[], options: { padTokenId?: number; packed?: boolean } = {}): SftBatch {
  if (!Array.isArray(rows) || rows.length === 0 || rows.some((r) => !Array.isArray(r) || r.length === 0)) {
    throw new InvalidArgumentError('collateSft(rows) needs a non-empty array of non-empty example lists.');
  }
  const packed = options.packed ?? rows.some((r) => r.length > 1);
  const pad = options.padTokenId ?? 0;
  const rowLength = (r: readonly TokenizedSftExample[]) => r.reduce((s, e) => s + e.inputIds.length, 0);
  const length = Math.max(...rows.map(rowLength));
  const b = rows.length;
  const inputIds = new Int32Array(b * length).fill(pad);
  const targets = new Int32Array(b * length).fill(IGNORE_INDEX);
  const attentionMask = new Int32Array(b * length);
  const positionIds = packed ? new Int32Array(b * length) : undefined;
  const segmentIds = packed ? new Int32Array(b * length).fill(-1) : undefined;
  let tokens = 0;
  let trainedTokens = 0;
  rows.forEach((row, r) => {
    let at = r * length;
    row.forEach((example: TokenizedSftExample, s: number) => {
      const { inputIds: ids, labels } = example;
      if (ids.length !== labels.length) {
        throw new InvalidArgumentError(`collateSft: an example has ${ids.length} input ids but ${labels.length} labels; they must match.`);
      }
      for (let i = 0; i < ids.length; i++) {
        inputIds[at + i] = ids[i]!;
        attentionMask[at + i] = 1;
        if (positionIds) positionIds[at + i] = i;
        if (segmentIds) segmentIds[at + i] = s;
        const next = i + 1 < ids.length ? labels[i + 1]! : IGNORE_INDEX;
        targets[at + i] = next;
        if (next !== IGNORE_INDEX) trainedTokens++;
      }
      tokens += ids.length;
      at += ids.length;
    });
  });
  return {
    batch: b,
    length,
    inputIds,
    targets,
    attentionMask,
    ...(positionIds ? { positionIds } : {}),
    ...(segmentIds ? { segmentIds } : {}),
    tokens,
    trainedTokens,
  };
}
