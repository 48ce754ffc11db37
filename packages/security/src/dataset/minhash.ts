/** MinHash signatures and LSH banding for near-duplicate detection (Broder 1997; Leskovec et al., MMDS ch. 3). */

function fnv1a(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

/** Word k-shingles (default 3) of lowercased text, hashed to 32 bits. */
export function shingles(text: string, k = 3): Set<number> {
  const w = text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];
  const out = new Set<number>();
  if (w.length < k) {
    if (w.length > 0) out.add(fnv1a(w.join(' ')));
    return out;
  }
  for (let i = 0; i + k <= w.length; i++) out.add(fnv1a(w.slice(i, i + k).join(' ')));
  return out;
}

/** Exact Jaccard similarity of two sets. */
export function jaccard(a: Set<number>, b: Set<number>): number {
  if (a.size === 0 && b.size === 0) return 1;
  let inter = 0;
  for (const x of a) if (b.has(x)) inter++;
  return inter / (a.size + b.size - inter);
}

/** MinHash signature with `numPerm` seeded hash functions (one minimum per slot). */
export class MinHash {
  private readonly a: Uint32Array;
  private readonly b: Uint32Array;
  constructor(readonly numPerm = 128, seed = 1) {
    this.a = new Uint32Array(numPerm);
    this.b = new Uint32Array(numPerm);
    let s = seed >>> 0 || 1;
    const next = (): number => {
      s ^= s << 13;
      s ^= s >>> 17;
      s ^= s << 5;
      return s >>> 0;
    };
    for (let i = 0; i < numPerm; i++) {
      this.a[i] = (next() % 2147483646) + 1;
      this.b[i] = next() % 2147483647;
    }
  }

  signature(set: Set<number>): Uint32Array {
    const sig = new Uint32Array(this.numPerm).fill(0xffffffff);
    for (const x of set) {
      for (let i = 0; i < this.numPerm; i++) {
        // A seeded 32-bit mixing hash per slot (murmur3 finaliser), a practical stand-in for a random permutation.
        let h = (x ^ this.a[i]!) >>> 0;
        h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
        h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35 ^ this.b[i]!);
        h = (h ^ (h >>> 16)) >>> 0;
        if (h < sig[i]!) sig[i] = h;
      }
    }
    return sig;
  }

  /** Estimated Jaccard similarity: share of equal signature slots. */
  static similarity(x: Uint32Array, y: Uint32Array): number {
    let eq = 0;
    for (let i = 0; i < x.length; i++) if (x[i] === y[i]) eq++;
    return eq / x.length;
  }
}

/** Candidate near-duplicate pairs by LSH banding (`bands` x `rows` = signature length). */
export function lshPairs(signatures: Uint32Array[], bands: number): Array<[number, number]> {
  const rows = Math.floor((signatures[0]?.length ?? 0) / bands);
  const seen = new Set<string>();
  const pairs: Array<[number, number]> = [];
  for (let b = 0; b < bands; b++) {
    const buckets = new Map<string, number[]>();
    signatures.forEach((sig, i) => {
      const key = Array.from(sig.subarray(b * rows, (b + 1) * rows)).join(',');
      const list = buckets.get(key);
      if (list) list.push(i);
      else buckets.set(key, [i]);
    });
    for (const list of buckets.values()) {
      for (let x = 0; x < list.length; x++) {
        for (let y = x + 1; y < list.length; y++) {
          const k = `${list[x]},${list[y]}`;
          if (!seen.has(k)) {
            seen.add(k);
            pairs.push([list[x]!, list[y]!]);
          }
        }
      }
    }
  }
  return pairs;
}
