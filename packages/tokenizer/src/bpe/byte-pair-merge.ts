/**
 * Rank-based byte-pair merge, the algorithm of tiktoken's `_byte_pair_merge`.
 *
 * A piece is given as a "byte string": a JS string whose char codes are the
 * piece's bytes (0..255, latin-1 style), so a slice of it is directly a key
 * into the rank map. Starting from single bytes, the adjacent pair whose
 * concatenation has the lowest rank is merged, leftmost first among equal
 * ranks, until no adjacent pair is a token.
 *
 * Three implementations, tested against each other on random inputs:
 * - {@link bytePairMergeReference}: plain and obviously correct (quadratic);
 * - {@link bytePairMergeSmall}: the same algorithm on reused typed arrays, the fast path for short pieces;
 * - {@link bytePairMergeHeap}: a binary heap over a doubly linked list of parts, O(n log n),
 *   for long pieces ('a' x 100k, long runs of CJK without spaces).
 */

/** Rank of a pair that is not a token. */
export const RANK_MAX = 0x7fffffff;

/** Pieces up to this many bytes use the array path; longer ones use the heap path. */
export const SMALL_PIECE_MAX_BYTES = 128;

/** Rank lookup: the rank of the token with these bytes (as a byte string), or undefined. */
export type RankMap = ReadonlyMap<string, number>;

/**
 * Reference merge: returns the part boundaries `[0, b1, ..., n]` (byte offsets).
 * @example bytePairMergeReference('abc', ranks) // e.g. [0, 2, 3]
 */
export function bytePairMergeReference(piece: string, ranks: RankMap): number[] {
  const n = piece.length;
  if (n <= 1) return n === 0 ? [0] : [0, 1];
  const bounds: number[] = [];
  for (let i = 0; i <= n; i++) bounds.push(i);
  for (;;) {
    let minRank = RANK_MAX;
    let minIndex = -1;
    for (let i = 0; i + 2 < bounds.length; i++) {
      const rank = ranks.get(piece.slice(bounds[i], bounds[i + 2]));
      if (rank !== undefined && rank < minRank) {
        minRank = rank;
        minIndex = i;
      }
    }
    if (minIndex < 0) return bounds;
    bounds.splice(minIndex + 1, 1);
  }
}

let smallStarts = new Int32Array(SMALL_PIECE_MAX_BYTES + 2);
let smallRanks = new Int32Array(SMALL_PIECE_MAX_BYTES + 2);

/**
 * Array-based merge (tiktoken's loop) on reused typed arrays. Quadratic, fastest for short pieces.
 * Returns the part boundaries `[0, ..., n]`.
 */
export function bytePairMergeSmall(piece: string, ranks: RankMap, maxTokenLength = Infinity): number[] {
  const n = piece.length;
  if (n <= 1) return n === 0 ? [0] : [0, 1];
  if (smallStarts.length < n + 1) {
    smallStarts = new Int32Array(n + 1);
    smallRanks = new Int32Array(n + 1);
  }
  const starts = smallStarts;
  const rks = smallRanks;
  let minRank = RANK_MAX;
  let minIndex = 0;
  for (let i = 0; i < n - 1; i++) {
    const r = ranks.get(piece.substring(i, i + 2));
    const rank = r === undefined ? RANK_MAX : r;
    if (rank < minRank) {
      minRank = rank;
      minIndex = i;
    }
    starts[i] = i;
    rks[i] = rank;
  }
  starts[n - 1] = n - 1;
  rks[n - 1] = RANK_MAX;
  starts[n] = n;
  rks[n] = RANK_MAX;
  let len = n + 1;
  while (minRank !== RANK_MAX) {
    const i = minIndex;
    if (i > 0) {
      const a = starts[i - 1];
      const b = starts[i + 2];
      if (b - a > maxTokenLength) rks[i - 1] = RANK_MAX;
      else {
        const r = ranks.get(piece.substring(a, b));
        rks[i - 1] = r === undefined ? RANK_MAX : r;
      }
    }
    if (i + 3 < len) {
      const a = starts[i];
      const b = starts[i + 3];
      if (b - a > maxTokenLength) rks[i] = RANK_MAX;
      else {
        const r = ranks.get(piece.substring(a, b));
        rks[i] = r === undefined ? RANK_MAX : r;
      }
    } else rks[i] = RANK_MAX;
    // remove part i + 1
    for (let k = i + 1; k < len - 1; k++) {
      starts[k] = starts[k + 1];
      rks[k] = rks[k + 1];
    }
    len--;
    minRank = RANK_MAX;
    for (let k = 0; k < len - 1; k++) {
      if (rks[k] < minRank) {
        minRank = rks[k];
        minIndex = k;
      }
    }
  }
  const out = new Array<number>(len);
  for (let k = 0; k < len; k++) out[k] = starts[k];
  return out;
}

/**
 * Heap + linked-list merge, O(n log n): each merge pops the lowest (rank, position)
 * pair, which is exactly the leftmost lowest-rank pair the reference picks; stale
 * heap entries are skipped lazily. Returns the part boundaries `[0, ..., n]`.
 */
export function bytePairMergeHeap(piece: string, ranks: RankMap, maxTokenLength = Infinity): number[] {
  const n = piece.length;
  if (n <= 1) return n === 0 ? [0] : [0, 1];
  // Part k starts at byte k while alive; next[k] is the start of the following part (n = end).
  const next = new Int32Array(n + 1);
  const prev = new Int32Array(n + 1);
  const pairRank = new Int32Array(n + 1); // rank of (part k + following part)
  const alive = new Uint8Array(n + 1);
  // Heap key = rank * POS_FACTOR + position: one double, ordered by rank then position
  // (exact while rank * POS_FACTOR < 2^53, i.e. always for real encodings).
  let POS_FACTOR = 1;
  while (POS_FACTOR <= n) POS_FACTOR *= 2;
  let heap = new Float64Array(Math.max(16, n));
  let size = 0;
  const push = (key: number): void => {
    if (size === heap.length) {
      const grown = new Float64Array(heap.length * 2);
      grown.set(heap);
      heap = grown;
    }
    let i = size++;
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const pk = heap[parent];
      if (pk <= key) break;
      heap[i] = pk;
      i = parent;
    }
    heap[i] = key;
  };
  const pop = (): number => {
    const top = heap[0];
    const last = heap[--size];
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      if (child + 1 < size && heap[child + 1] < heap[child]) child++;
      if (heap[child] >= last) break;
      heap[i] = heap[child];
      i = child;
    }
    heap[i] = last;
    return top;
  };
  const rankOf = (a: number, b: number): number => {
    if (b - a > maxTokenLength) return RANK_MAX;
    const r = ranks.get(piece.substring(a, b));
    return r === undefined ? RANK_MAX : r;
  };
  for (let k = 0; k < n; k++) {
    next[k] = k + 1;
    prev[k] = k - 1;
    alive[k] = 1;
  }
  alive[n] = 0;
  for (let k = 0; k < n - 1; k++) {
    const r = rankOf(k, k + 2);
    pairRank[k] = r;
    if (r !== RANK_MAX) push(r * POS_FACTOR + k);
  }
  pairRank[n - 1] = RANK_MAX;
  while (size > 0) {
    const key = pop();
    const rank = Math.floor(key / POS_FACTOR);
    const k = key - rank * POS_FACTOR;
    if (!alive[k] || pairRank[k] !== rank) continue; // stale entry
    // merge part k with the following part
    const j = next[k];
    const after = next[j];
    alive[j] = 0;
    next[k] = after;
    if (after < n) prev[after] = k;
    // new pair (k, following)
    if (after < n) {
      const r = rankOf(k, next[after]);
      pairRank[k] = r;
      if (r !== RANK_MAX) push(r * POS_FACTOR + k);
    } else pairRank[k] = RANK_MAX;
    // new pair (previous, k)
    const p = prev[k];
    if (p >= 0) {
      const r = rankOf(p, after);
      pairRank[p] = r;
      if (r !== RANK_MAX) push(r * POS_FACTOR + p);
    }
  }
  const out: number[] = [];
  for (let k = 0; k < n; k = next[k]) out.push(k);
  out.push(n);
  return out;
}

/** Merge with the fast path for the piece's size. Returns the part boundaries `[0, ..., n]`. */
export function bytePairMerge(piece: string, ranks: RankMap, maxTokenLength = Infinity): number[] {
  return piece.length <= SMALL_PIECE_MAX_BYTES
    ? bytePairMergeSmall(piece, ranks, maxTokenLength)
    : bytePairMergeHeap(piece, ranks, maxTokenLength);
}

let idParts = new Int32Array(SMALL_PIECE_MAX_BYTES + 1);
let idRanks = new Int32Array(SMALL_PIECE_MAX_BYTES + 1);

/**
 * The array merge of {@link bytePairMergeSmall} on token ids: parts start as the ids of single
 * bytes (`byteIds`, every byte of the piece must have one) and the rank of two adjacent parts is
 * `pairs.get(left, right)`. Pushes the resulting ids to `out`. Same result as the reference,
 * without slicing strings.
 */
export function bytePairMergeIdsInto(
  piece: string,
  byteIds: Int32Array,
  pairs: { get(left: number, right: number): number },
  out: number[]
): void {
  const n = piece.length;
  if (idParts.length < n + 1) {
    idParts = new Int32Array(n + 1);
    idRanks = new Int32Array(n + 1);
  }
  const ids = idParts;
  const rks = idRanks;
  for (let i = 0; i < n; i++) ids[i] = byteIds[piece.charCodeAt(i)];
  let minRank = RANK_MAX;
  let minIndex = 0;
  for (let i = 0; i < n - 1; i++) {
    const r = pairs.get(ids[i], ids[i + 1]);
    const rank = r < 0 ? RANK_MAX : r;
    rks[i] = rank;
    if (rank < minRank) {
      minRank = rank;
      minIndex = i;
    }
  }
  let m = n;
  while (minRank !== RANK_MAX) {
    const i = minIndex;
    ids[i] = minRank; // the merged token's id is its rank
    for (let k = i + 1; k < m - 1; k++) {
      ids[k] = ids[k + 1];
      rks[k] = rks[k + 1];
    }
    m--;
    if (i > 0) {
      const r = pairs.get(ids[i - 1], ids[i]);
      rks[i - 1] = r < 0 ? RANK_MAX : r;
    }
    if (i < m - 1) {
      const r = pairs.get(ids[i], ids[i + 1]);
      rks[i] = r < 0 ? RANK_MAX : r;
    }
    minRank = RANK_MAX;
    for (let k = 0; k < m - 1; k++) {
      if (rks[k] < minRank) {
        minRank = rks[k];
        minIndex = k;
      }
    }
  }
  for (let k = 0; k < m; k++) out.push(ids[k]);
}
