/** Open-addressing hash table from an id pair (a, b) to a non-negative int (the merge rank). */
export class PairTable {
  private readonly keysA: Int32Array;
  private readonly keysB: Int32Array;
  private readonly values: Int32Array;
  private readonly mask: number;
  constructor(expected: number) {
    let cap = 16;
    while (cap < expected * 2) cap <<= 1;
    this.mask = cap - 1;
    this.keysA = new Int32Array(cap).fill(-1);
    this.keysB = new Int32Array(cap);
    this.values = new Int32Array(cap);
  }
  private slot(a: number, b: number): number {
    return (Math.imul(a, 0x9e3779b1) ^ Math.imul(b + 0x7f4a7c15, 0x85ebca77)) & this.mask;
  }
  /** Set (a, b) -> value, overwriting (HF keeps the last duplicate merge). */
  set(a: number, b: number, value: number): void {
    let s = this.slot(a, b);
    for (;;) {
      const ka = this.keysA[s]!;
      if (ka === -1 || (ka === a && this.keysB[s] === b)) {
        this.keysA[s] = a;
        this.keysB[s] = b;
        this.values[s] = value;
        return;
      }
      s = (s + 1) & this.mask;
    }
  }
  /** The value for (a, b), or -1. */
  get(a: number, b: number): number {
    let s = this.slot(a, b);
    for (;;) {
      const ka = this.keysA[s]!;
      if (ka === -1) return -1;
      if (ka === a && this.keysB[s] === b) return this.values[s]!;
      s = (s + 1) & this.mask;
    }
  }
}
