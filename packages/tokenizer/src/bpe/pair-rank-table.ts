/**
 * An open-addressing hash table from a pair of token ids (left, right) to the rank of the
 * token whose bytes are bytes(left) + bytes(right). It lets the merge loop work on ids with
 * integer hashing instead of slicing byte strings: in tiktoken's merge every part is a token,
 * so the rank of two adjacent parts' concatenation is exactly `get(leftId, rightId)`.
 */
export class PairRankTable {
  private readonly lefts: Int32Array;
  private readonly rights: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  readonly size: number;

  /**
   * Builds the table from every token and each way of splitting it into two tokens.
   * @param tokens token byte strings; `ranks[i]` is the rank (= id) of `tokens[i]`
   * @param rankOf rank of a byte string, or undefined
   */
  constructor(tokens: readonly string[], ranks: readonly number[], rankOf: (bytes: string) => number | undefined) {
    const lefts: number[] = [];
    const rights: number[] = [];
    const values: number[] = [];
    for (let t = 0; t < tokens.length; t++) {
      const token = tokens[t];
      for (let k = 1; k < token.length; k++) {
        const left = rankOf(token.slice(0, k));
        if (left === undefined) continue;
        const right = rankOf(token.slice(k));
        if (right === undefined) continue;
        lefts.push(left);
        rights.push(right);
        values.push(ranks[t]);
      }
    }
    let capacity = 16;
    while (capacity < lefts.length * 2) capacity *= 2;
    this.lefts = new Int32Array(capacity).fill(-1);
    this.rights = new Int32Array(capacity);
    this.values = new Int32Array(capacity);
    this.mask = capacity - 1;
    this.size = lefts.length;
    for (let i = 0; i < lefts.length; i++) {
      let slot = this.slotOf(lefts[i], rights[i]);
      while (this.lefts[slot] !== -1) slot = (slot + 1) & this.mask;
      this.lefts[slot] = lefts[i];
      this.rights[slot] = rights[i];
      this.values[slot] = values[i];
    }
  }

  private slotOf(left: number, right: number): number {
    return (Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b)) & this.mask;
  }

  /** Rank of the merged token, or -1 when bytes(left) + bytes(right) is not a token. */
  get(left: number, right: number): number {
    const lefts = this.lefts;
    let slot = (Math.imul(left, 0x9e3779b1) ^ Math.imul(right, 0x85ebca6b)) & this.mask;
    for (;;) {
      const l = lefts[slot];
      if (l === left && this.rights[slot] === right) return this.values[slot];
      if (l === -1) return -1;
      slot = (slot + 1) & this.mask;
    }
  }
}
