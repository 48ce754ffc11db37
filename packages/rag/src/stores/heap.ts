/** Binary heaps of (distance, node) pairs for HNSW: `MinHeap` pops the closest, `MaxHeap` the farthest. */
class PairHeap {
  keys: number[] = [];
  vals: number[] = [];
  constructor(private readonly sign: 1 | -1) {}
  get size(): number {
    return this.keys.length;
  }
  /** Key at the top (smallest for MinHeap, largest for MaxHeap). */
  topKey(): number {
    return this.keys[0]!;
  }
  topVal(): number {
    return this.vals[0]!;
  }
  push(key: number, val: number): void {
    const { keys, vals, sign } = this;
    let i = keys.length;
    keys.push(key);
    vals.push(val);
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (sign * keys[p]! <= sign * key) break;
      keys[i] = keys[p]!;
      vals[i] = vals[p]!;
      i = p;
    }
    keys[i] = key;
    vals[i] = val;
  }
  pop(): void {
    const { keys, vals, sign } = this;
    const lastKey = keys.pop()!;
    const lastVal = vals.pop()!;
    const n = keys.length;
    if (n === 0) return;
    let i = 0;
    for (;;) {
      const l = 2 * i + 1;
      if (l >= n) break;
      const r = l + 1;
      const c = r < n && sign * keys[r]! < sign * keys[l]! ? r : l;
      if (sign * keys[c]! >= sign * lastKey) break;
      keys[i] = keys[c]!;
      vals[i] = vals[c]!;
      i = c;
    }
    keys[i] = lastKey;
    vals[i] = lastVal;
  }
}

export class MinHeap extends PairHeap {
  constructor() {
    super(1);
  }
}

export class MaxHeap extends PairHeap {
  constructor() {
    super(-1);
  }
}
