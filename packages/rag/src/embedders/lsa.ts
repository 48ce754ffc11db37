/**
 * Latent semantic analysis embedder: TF-IDF (sublinear tf, smoothed idf, as scikit-learn's
 * TfidfVectorizer(sublinear_tf=True)) followed by a truncated SVD computed with randomized subspace
 * iteration (Halko, Martinsson & Tropp 2011). Needs no download: fit it on your own corpus.
 */
import { readFile, writeFile } from 'node:fs/promises';
import type { Embedder } from '@llmkit/core';
import { parseSafetensors, writeSafetensors } from '@llmkit/core';
import { EmbedderError } from './errors.js';

export interface LsaFitOptions {
  /** Output dimension (number of SVD components). Default 256; at most min(#documents, #terms). */
  dimension?: number;
  /** Ignore terms in fewer documents than this. Default 2. */
  minDf?: number;
  /** Keep at most this many terms (the most frequent by document frequency). Default 50_000. */
  maxFeatures?: number;
  /** Subspace (power) iterations of the randomized SVD. Default 5 (scikit-learn's); raise it for a flat spectrum. */
  powerIterations?: number;
  /** Seed of the random projection. Default 0. */
  seed?: number;
}

const TOKEN = /[\p{L}\p{N}]+/gu;

/** Lowercased runs of letters and digits (Unicode-aware). */
export function lsaTokenize(text: string): string[] {
  return text.toLowerCase().match(TOKEN) ?? [];
}

function gaussian(seed: number): () => number {
  let a = seed >>> 0 || 1;
  const uniform = (): number => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  return () => Math.sqrt(-2 * Math.log(uniform())) * Math.cos(2 * Math.PI * uniform());
}

/** Sparse rows (CSR). */
interface Csr {
  rows: number;
  cols: number;
  indptr: Int32Array;
  indices: Int32Array;
  values: Float64Array;
}

/** Orthonormalises the columns of `m` (rows x cols, row-major) in place: modified Gram-Schmidt, twice (on a column-major copy, for contiguous columns). */
function orthonormalize(m: Float64Array, rows: number, cols: number): void {
  const c = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) c[j * rows + r] = m[r * cols + j]!;
  for (let pass = 0; pass < 2; pass++) {
    for (let j = 0; j < cols; j++) {
      const oj = j * rows;
      for (let i = 0; i < j; i++) {
        const oi = i * rows;
        let d = 0;
        for (let r = 0; r < rows; r++) d += c[oi + r]! * c[oj + r]!;
        for (let r = 0; r < rows; r++) c[oj + r]! -= d * c[oi + r]!;
      }
      let n = 0;
      for (let r = 0; r < rows; r++) n += c[oj + r]! ** 2;
      n = Math.sqrt(n);
      for (let r = 0; r < rows; r++) c[oj + r] = n > 1e-12 ? c[oj + r]! / n : 0;
    }
  }
  for (let r = 0; r < rows; r++) for (let j = 0; j < cols; j++) m[r * cols + j] = c[j * rows + r]!;
}

/** Y = X * M  (X: n x V sparse, M: V x l dense) -> n x l. */
function mulDense(x: Csr, m: Float64Array, l: number): Float64Array {
  const y = new Float64Array(x.rows * l);
  for (let r = 0; r < x.rows; r++) {
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const off = x.indices[p]! * l;
      for (let j = 0; j < l; j++) y[r * l + j]! += v * m[off + j]!;
    }
  }
  return y;
}

/** Z = X^T * Y  (Y: n x l) -> V x l. */
function mulTransposeDense(x: Csr, y: Float64Array, l: number): Float64Array {
  const z = new Float64Array(x.cols * l);
  for (let r = 0; r < x.rows; r++) {
    for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
      const v = x.values[p]!;
      const off = x.indices[p]! * l;
      for (let j = 0; j < l; j++) z[off + j]! += v * y[r * l + j]!;
    }
  }
  return z;
}

/** Eigen-decomposition of a symmetric l x l matrix (cyclic Jacobi). Returns eigenvalues and column eigenvectors. */
function symmetricEigen(a: Float64Array, l: number): { values: Float64Array; vectors: Float64Array } {
  const v = new Float64Array(l * l);
  for (let i = 0; i < l; i++) v[i * l + i] = 1;
  for (let sweep = 0; sweep < 60; sweep++) {
    let off = 0;
    for (let p = 0; p < l; p++) for (let q = p + 1; q < l; q++) off += a[p * l + q]! ** 2;
    if (off < 1e-22) break;
    for (let p = 0; p < l; p++) {
      for (let q = p + 1; q < l; q++) {
        const apq = a[p * l + q]!;
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (a[q * l + q]! - a[p * l + p]!) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < l; k++) {
          const akp = a[k * l + p]!;
          const akq = a[k * l + q]!;
          a[k * l + p] = c * akp - s * akq;
          a[k * l + q] = s * akp + c * akq;
        }
        for (let k = 0; k < l; k++) {
          const apk = a[p * l + k]!;
          const aqk = a[q * l + k]!;
          a[p * l + k] = c * apk - s * aqk;
          a[q * l + k] = s * apk + c * aqk;
        }
        for (let k = 0; k < l; k++) {
          const vkp = v[k * l + p]!;
          const vkq = v[k * l + q]!;
          v[k * l + p] = c * vkp - s * vkq;
          v[k * l + q] = s * vkp + c * vkq;
        }
      }
    }
  }
  const values = new Float64Array(l);
  for (let i = 0; i < l; i++) values[i] = a[i * l + i]!;
  return { values, vectors: v };
}

/**
 * TF-IDF + truncated SVD (LSA) embedder, fitted on a corpus; unit-length output vectors.
 * A text with no known term embeds to the zero vector.
 *
 * @throws {EmbedderError} `invalid_argument` for bad options or too small a corpus, `corrupt_model` on load.
 * @example
 * const embedder = LsaEmbedder.fit(chunks.map((c) => c.text), { dimension: 128 });
 * const [v] = await embedder.embed(['white whale']);
 * await embedder.save('lsa.safetensors'); const same = await LsaEmbedder.load('lsa.safetensors');
 */
export class LsaEmbedder implements Embedder {
  readonly dimension: number;
  private readonly termIndex: Map<string, number>;

  private constructor(
    readonly vocabulary: string[],
    readonly idf: Float32Array,
    /** [dimension, vocabulary.length] row-major: the top right singular vectors. */
    readonly components: Float32Array,
    readonly singularValues: Float32Array,
  ) {
    this.dimension = singularValues.length;
    this.termIndex = new Map(vocabulary.map((t, i) => [t, i]));
  }

  /** Fits TF-IDF and the SVD on `texts`. */
  static fit(texts: string[], options: LsaFitOptions = {}): LsaEmbedder {
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new EmbedderError('invalid_argument', 'LsaEmbedder.fit(texts) takes an array of strings.');
    const dimension = options.dimension ?? 256;
    const minDf = options.minDf ?? 2;
    const maxFeatures = options.maxFeatures ?? 50_000;
    const iterations = options.powerIterations ?? 5;
    for (const [name, v, min] of [['dimension', dimension, 1], ['minDf', minDf, 1], ['maxFeatures', maxFeatures, 1], ['powerIterations', iterations, 0]] as const) {
      if (!Number.isInteger(v) || v < min) throw new EmbedderError('invalid_argument', `LsaEmbedder.fit: ${name} must be an integer >= ${min}, got ${v}.`);
    }
    const tokenized = texts.map(lsaTokenize);
    const df = new Map<string, number>();
    for (const toks of tokenized) for (const t of new Set(toks)) df.set(t, (df.get(t) ?? 0) + 1);
    const vocabulary = [...df.entries()]
      .filter(([, n]) => n >= minDf)
      .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
      .slice(0, maxFeatures)
      .map(([t]) => t)
      .sort();
    const maxDim = Math.min(texts.length, vocabulary.length);
    if (dimension > maxDim) {
      throw new EmbedderError(
        'invalid_argument',
        `LsaEmbedder.fit: dimension ${dimension} exceeds min(#texts ${texts.length}, #terms with df >= ${minDf}: ${vocabulary.length}); lower dimension or fit on more text.`,
      );
    }
    const n = texts.length;
    const idf = Float32Array.from(vocabulary, (t) => Math.log((1 + n) / (1 + df.get(t)!)) + 1);
    const embedder = new LsaEmbedder(vocabulary, idf, new Float32Array(0), new Float32Array(0));
    const x = embedder.tfidfMatrix(tokenized);

    // Randomized range finder with subspace iteration, then the SVD of the small projected matrix.
    const l = Math.min(dimension + 10, maxDim);
    const rand = gaussian(options.seed ?? 0);
    const omega = Float64Array.from({ length: x.cols * l }, rand);
    let q = mulDense(x, omega, l);
    orthonormalize(q, n, l);
    for (let it = 0; it < iterations; it++) {
      const z = mulTransposeDense(x, q, l);
      orthonormalize(z, x.cols, l);
      q = mulDense(x, z, l);
      orthonormalize(q, n, l);
    }
    // B^T = X^T Q (V x l); B B^T = Q^T X X^T Q = (B^T)^T B^T (l x l).
    const bt = mulTransposeDense(x, q, l);
    const gram = new Float64Array(l * l);
    for (let r = 0; r < x.cols; r++) {
      const off = r * l;
      for (let i = 0; i < l; i++) {
        const bi = bt[off + i]!;
        if (bi === 0) continue;
        for (let j = i; j < l; j++) gram[i * l + j]! += bi * bt[off + j]!;
      }
    }
    for (let i = 0; i < l; i++) for (let j = 0; j < i; j++) gram[i * l + j] = gram[j * l + i]!;
    const { values, vectors } = symmetricEigen(gram, l);
    const order = Array.from(values.keys()).sort((a, b) => values[b]! - values[a]!).slice(0, dimension);
    // Right singular vector i = B^T w_i / sigma_i, sigma_i = sqrt(lambda_i).
    const components = new Float32Array(dimension * x.cols);
    const sigma = new Float32Array(dimension);
    order.forEach((e, i) => {
      const s = Math.sqrt(Math.max(values[e]!, 0));
      sigma[i] = s;
      const comp = new Float64Array(x.cols);
      let maxAbs = 0;
      let sign = 1;
      for (let r = 0; r < x.cols; r++) {
        let acc = 0;
        for (let j = 0; j < l; j++) acc += bt[r * l + j]! * vectors[j * l + e]!;
        comp[r] = s > 0 ? acc / s : 0;
        if (Math.abs(comp[r]!) > maxAbs) {
          maxAbs = Math.abs(comp[r]!);
          sign = comp[r]! < 0 ? -1 : 1;
        }
      }
      for (let r = 0; r < x.cols; r++) components[i * x.cols + r] = sign * comp[r]!;
    });
    return new LsaEmbedder(vocabulary, idf, components, sigma);
  }

  /** Rows of L2-normalised sublinear TF-IDF. */
  private tfidfMatrix(tokenized: string[][]): Csr {
    const indptr = new Int32Array(tokenized.length + 1);
    const indices: number[] = [];
    const values: number[] = [];
    tokenized.forEach((toks, r) => {
      const tf = new Map<number, number>();
      for (const t of toks) {
        const i = this.termIndex.get(t);
        if (i !== undefined) tf.set(i, (tf.get(i) ?? 0) + 1);
      }
      const cols = [...tf.keys()].sort((a, b) => a - b);
      const vals = cols.map((c) => (1 + Math.log(tf.get(c)!)) * this.idf[c]!);
      const norm = Math.sqrt(vals.reduce((s, v) => s + v * v, 0));
      cols.forEach((c, j) => {
        indices.push(c);
        values.push(norm > 0 ? vals[j]! / norm : 0);
      });
      indptr[r + 1] = indices.length;
    });
    return { rows: tokenized.length, cols: this.vocabulary.length, indptr, indices: Int32Array.from(indices), values: Float64Array.from(values) };
  }

  /** Synchronous {@link embed}. */
  embedSync(texts: string[]): Float32Array[] {
    if (!Array.isArray(texts) || !texts.every((t) => typeof t === 'string')) throw new EmbedderError('invalid_argument', 'LsaEmbedder.embed(texts) takes an array of strings.');
    const x = this.tfidfMatrix(texts.map(lsaTokenize));
    const V = this.vocabulary.length;
    const d = this.dimension;
    return texts.map((_, r) => {
      const out = new Float64Array(d);
      for (let p = x.indptr[r]!; p < x.indptr[r + 1]!; p++) {
        const v = x.values[p]!;
        const c = x.indices[p]!;
        for (let i = 0; i < d; i++) out[i]! += v * this.components[i * V + c]!;
      }
      let n = 0;
      for (let i = 0; i < d; i++) n += out[i]! ** 2;
      n = Math.sqrt(n);
      return Float32Array.from(out, (v) => (n > 0 ? v / n : 0));
    });
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    return this.embedSync(texts);
  }

  /** Saves to `.safetensors` (idf, components, singular_values; vocabulary in the metadata) or `.json`. */
  async save(path: string): Promise<void> {
    if (path.endsWith('.json')) {
      await writeFile(
        path,
        JSON.stringify({ format: 'llmkit-lsa', version: 1, vocabulary: this.vocabulary, idf: Array.from(this.idf), singularValues: Array.from(this.singularValues), components: Array.from(this.components) }),
      );
      return;
    }
    await writeSafetensors(
      path,
      {
        idf: { dtype: 'F32', shape: [this.idf.length], data: this.idf },
        components: { dtype: 'F32', shape: [this.dimension, this.vocabulary.length], data: this.components },
        singular_values: { dtype: 'F32', shape: [this.dimension], data: this.singularValues },
      },
      { format: 'llmkit-lsa', vocabulary: JSON.stringify(this.vocabulary) },
    );
  }

  /**
   * Loads a file written by {@link save} (format chosen by the `.json` extension, else safetensors).
   * @throws {EmbedderError} `corrupt_model` when the file is not an LSA model or its parts disagree.
   */
  static async load(path: string): Promise<LsaEmbedder> {
    const bad = (why: string, cause?: unknown): EmbedderError => new EmbedderError('corrupt_model', `${path} is not a valid LSA model: ${why}; save it again with LsaEmbedder.save.`, { cause });
    let vocabulary: string[];
    let idf: Float32Array;
    let components: Float32Array;
    let sigma: Float32Array;
    try {
      if (path.endsWith('.json')) {
        const j = JSON.parse(await readFile(path, 'utf8')) as Record<string, number[] | string[] | string>;
        if (j.format !== 'llmkit-lsa') throw bad('format is not llmkit-lsa');
        vocabulary = j.vocabulary as string[];
        idf = Float32Array.from(j.idf as number[]);
        components = Float32Array.from(j.components as number[]);
        sigma = Float32Array.from(j.singularValues as number[]);
      } else {
        const buf = await readFile(path);
        const file = parseSafetensors(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength), { source: path });
        if (file.metadata.format !== 'llmkit-lsa') throw bad('metadata format is not llmkit-lsa');
        vocabulary = JSON.parse(file.metadata.vocabulary ?? 'null') as string[];
        const f32 = (name: string): Float32Array => {
          const t = file.tensors.get(name);
          if (!t || t.dtype !== 'F32') throw bad(`tensor ${name} missing or not F32`);
          return new Float32Array(t.data.slice().buffer);
        };
        idf = f32('idf');
        components = f32('components');
        sigma = f32('singular_values');
      }
    } catch (error) {
      if (EmbedderError.isInstance(error)) throw error;
      throw bad((error as Error).message, error);
    }
    if (!Array.isArray(vocabulary) || idf.length !== vocabulary.length || components.length !== sigma.length * vocabulary.length) throw bad('sizes of vocabulary, idf and components disagree');
    return new LsaEmbedder(vocabulary, idf, components, sigma);
  }
}
