/**
 * Binary heaps of (distance, node) pairs for HNSW on growable typed arrays: `MinHeap` pops the
 * closest, `MaxHeap` the farthest. Meant to be reused: {@link PairHeap.clear} keeps the storage.
 */
class PairHeap {
  keys: Float64Array;
  vals: Int32Array;
  size = 0;
  constructor(
    private readonly sign: 1 | -1,
    capacity = 256,
  ) {
    this.keys = new Float64Array(capacity);
    this.vals = new Int32Array(capacity);
  }
  clear(): void {
    this.size = 0;
  }
  /** Key at the top (smallest for MinHeap, largest for MaxHeap). */
  topKey(): number {
    return this.keys[0]!;
  }
  topVal(): number {
    return this.vals[0]!;
  }
  private grow(): void {
    const keys = new Float64Array(this.keys.length * 2);
    keys.set(this.keys);
    const vals = new Int32Array(this.vals.length * 2);
    vals.set(this.vals);
    this.keys = keys;
    this.vals = vals;
  }
  push(key: number, val: number): void {
    if (this.size === this.keys.length) this.grow();
    const { keys, vals, sign } = this;
    let i = this.size++;
    const sk = sign * key;
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (sign * keys[p]! <= sk) break;
      keys[i] = keys[p]!;
      vals[i] = vals[p]!;
      i = p;
    }
    keys[i] = key;
    vals[i] = val;
  }
  pop(): void {
    const { keys, vals, sign } = this;
    const n = --this.size;
    if (n <= 0) {
      this.size = 0;
      return;
    }
    const lastKey = keys[n]!;
    const lastVal = vals[n]!;
    const sl = sign * lastKey;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && sign * keys[r]! < sign * keys[l]! ? r : l;
      if (sign * keys[c]! >= sl) break;
      keys[i] = keys[c]!;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = lastKey;
    vals[i] = lastVal;
  }
}

export class MinHeap extends PairHeap {
  constructor(capacity?: number) {
    super(1, capacity);
  }
}

export class MaxHeap extends PairHeap {
  constructor(capacity?: number) {
    super(-1, capacity);
  }
}
