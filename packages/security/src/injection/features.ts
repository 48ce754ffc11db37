/**
 * Hashed character and word n-gram features for the injection classifier.
 * Character 2..5-grams of the lowercased, whitespace-collapsed text (padded with spaces)
 * and word 1..2-grams, hashed with FNV-1a into `dim` buckets (namespaces separated by
 * seed), counted, then sublinear tf (1 + ln count) and L2 normalised.
 */

const FNV_PRIME = 0x01000193;
const CHAR_SEED = 0x811c9dc5;
const WORD_SEED = 0x050c5d1f;

/** Sparse feature vector: bucket indices and values (L2-normalised). */
export interface SparseFeatures {
  indices: Int32Array;
  values: Float32Array;
}

function prepare(text: string): string {
  return ' ' + text.toLowerCase().replace(/\s+/g, ' ').trim() + ' ';
}

/** Hashed n-gram features of `text` into `dim` buckets (`dim` a power of two). */
export function extractFeatures(text: string, dim: number): SparseFeatures {
  const mask = dim - 1;
  const counts = scratch(dim);
  const touched: number[] = [];
  const add = (h: number): void => {
    const k = (h >>> 0) & mask;
    if (counts[k] === 0) touched.push(k);
    counts[k]!++;
  };
  const s = prepare(text);
  const n = s.length;
  for (let i = 0; i < n; i++) {
    let h = CHAR_SEED;
    for (let len = 1; len <= 5 && i + len <= n; len++) {
      h = Math.imul(h ^ s.charCodeAt(i + len - 1), FNV_PRIME);
      if (len >= 2) add(h ^ len);
    }
  }
  // Words: runs of letters/digits/apostrophes, or single punctuation characters.
  let prev = 0;
  let havePrev = false;
  const wordRe = /[\p{L}\p{N}']+|[^\s\p{L}\p{N}]/gu;
  for (let m = wordRe.exec(s); m !== null; m = wordRe.exec(s)) {
    const word = m[0];
    let h = WORD_SEED;
    for (let i = 0; i < word.length; i++) h = Math.imul(h ^ word.charCodeAt(i), FNV_PRIME);
    add(h);
    if (havePrev) add(Math.imul(prev ^ 0x9e3779b9, FNV_PRIME) ^ h);
    prev = h;
    havePrev = true;
  }
  const indices = new Int32Array(touched.length);
  const values = new Float32Array(touched.length);
  let norm = 0;
  for (let j = 0; j < touched.length; j++) {
    const k = touched[j]!;
    const v = 1 + Math.log(counts[k]!);
    counts[k] = 0; // reset the scratch buffer for the next call
    indices[j] = k;
    values[j] = v;
    norm += v * v;
  }
  const inv = norm > 0 ? 1 / Math.sqrt(norm) : 0;
  for (let i = 0; i < values.length; i++) values[i]! *= inv;
  return { indices, values };
}

const scratchByDim = new Map<number, Uint16Array>();
function scratch(dim: number): Uint16Array {
  let a = scratchByDim.get(dim);
  if (!a) {
    a = new Uint16Array(dim);
    scratchByDim.set(dim, a);
  }
  return a;
}
