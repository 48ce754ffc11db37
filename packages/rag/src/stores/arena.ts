/**
 * Vector storage and batched distance kernels of MemoryVectorStore and HnswVectorStore.
 *
 * Vectors live row-major in one WebAssembly.Memory per store, and the distances from one query to a
 * list of rows (an HNSW neighbour list, or a block of rows of an exact scan) are computed by one call
 * of a WebAssembly SIMD kernel (C in packages/rag/wasm/vectors/distances.c, built by
 * `node tools/build-wasm.mjs` into ./distances.wasm.ts). One call per list amortises the JS -> wasm
 * call; the f32x4 kernel is ~4-8x faster than a scalar JavaScript loop at 384 dimensions.
 *
 * Without WebAssembly SIMD (or with `LLMKIT_WASM_SIMD=0`) the same kernels run in JavaScript on an
 * ordinary ArrayBuffer; both paths rank with f32 sums and the stores rescore their final top-k in
 * double precision, so scores do not depend on the path.
 *
 * Layout (bytes): [0, RESERVED) left to the module (its unused shadow stack), then the scratch area:
 * query (dim f32), ids (cap i32), out (cap f32); then the rows.
 */
import { dot, squaredL2 } from './common.js';
import { WASM_BASE64 } from './distances.wasm.js';

interface Kernels {
  dot_ids(q: number, base: number, ids: number, count: number, dim: number, out: number): void;
  l2_ids(q: number, base: number, ids: number, count: number, dim: number, out: number): void;
  dot_rows(q: number, base: number, count: number, dim: number, out: number): void;
  l2_rows(q: number, base: number, count: number, dim: number, out: number): void;
}

const PAGE = 65_536;
const RESERVED = 2 * PAGE;
/** Default rows per batched call (capacity of the ids/out scratch). */
export const BATCH = 4096;

let compiled: WebAssembly.Module | null | undefined;

function wasmModule(): WebAssembly.Module | null {
  if (compiled !== undefined) return compiled;
  compiled = null;
  try {
    if (typeof process !== 'undefined' && process.env?.LLMKIT_WASM_SIMD === '0') return null;
    if (typeof WebAssembly === 'undefined') return null;
    const bytes = typeof Buffer !== 'undefined' ? new Uint8Array(Buffer.from(WASM_BASE64, 'base64')) : Uint8Array.from(atob(WASM_BASE64), (c) => c.charCodeAt(0));
    if (!WebAssembly.validate(bytes)) return null;
    compiled = new WebAssembly.Module(bytes);
  } catch {
    compiled = null;
  }
  return compiled;
}

/** True when the WebAssembly SIMD kernels are in use (false: the JavaScript fallback). */
export function simdAvailable(): boolean {
  return wasmModule() !== null;
}

/**
 * Rows of `dim` floats in one growable buffer, with batched distance kernels. After {@link reserve}
 * the views `f32`/`i32` may be new objects: re-read them, never cache them across a reserve.
 */
export class VectorArena {
  readonly dim: number;
  readonly l2: boolean;
  f32!: Float32Array;
  i32!: Int32Array;
  /** Element offsets (in f32/i32 units) of the scratch query, ids and out areas and of row 0. */
  readonly queryAt: number;
  readonly idsAt: number;
  readonly outAt: number;
  readonly rowsAt: number;
  private memory: WebAssembly.Memory | null = null;
  private buffer: ArrayBuffer | null = null;
  private kernels: Kernels | null = null;
  private rowCapacity = 0;
  /** Capacity of the ids/out scratch: the most rows one batched call may take. */
  readonly batch: number;

  /** `simd: false` forces the JavaScript kernels (tests compare both paths). */
  constructor(dim: number, l2: boolean, rows = 64, batch = BATCH, simd = true) {
    this.dim = dim;
    this.l2 = l2;
    this.batch = (batch + 3) & ~3;
    const padded = (dim + 3) & ~3;
    this.queryAt = RESERVED / 4;
    this.idsAt = this.queryAt + padded;
    this.outAt = this.idsAt + this.batch;
    this.rowsAt = this.outAt + this.batch;
    const module = simd ? wasmModule() : null;
    if (module) {
      try {
        this.memory = new WebAssembly.Memory({ initial: Math.ceil(this.bytesFor(rows) / PAGE) });
        const instance = new WebAssembly.Instance(module, { env: { memory: this.memory } });
        this.kernels = instance.exports as unknown as Kernels;
      } catch {
        this.memory = null;
        this.kernels = null;
      }
    }
    if (!this.memory) this.buffer = new ArrayBuffer(this.bytesFor(rows));
    this.refreshViews();
  }

  /** True when this arena runs the WebAssembly SIMD kernels. */
  get simd(): boolean {
    return this.kernels !== null;
  }

  private bytesFor(rows: number): number {
    return (this.rowsAt + rows * this.dim) * 4;
  }

  private refreshViews(): void {
    const buf = this.memory ? this.memory.buffer : this.buffer!;
    this.f32 = new Float32Array(buf);
    this.i32 = new Int32Array(buf);
    this.rowCapacity = Math.floor((buf.byteLength / 4 - this.rowsAt) / this.dim);
  }

  /** Makes room for at least `rows` rows (amortised doubling). */
  reserve(rows: number): void {
    if (rows <= this.rowCapacity) return;
    const want = Math.max(rows, Math.ceil(this.rowCapacity * 1.5), 64);
    const bytes = this.bytesFor(want);
    if (this.memory) {
      const have = this.memory.buffer.byteLength;
      try {
        this.memory.grow(Math.ceil((bytes - have) / PAGE));
      } catch (cause) {
        throw new RangeError(`vector store: cannot grow WebAssembly memory to ${(bytes / 2 ** 20).toFixed(0)} MiB for ${want} x ${this.dim} vectors (limit 4 GiB per store)`, { cause });
      }
    } else {
      const grown = new ArrayBuffer(bytes);
      new Uint8Array(grown).set(new Uint8Array(this.buffer!));
      this.buffer = grown;
    }
    this.refreshViews();
  }

  /** Element offset of row `r`. */
  rowOffset(r: number): number {
    return this.rowsAt + r * this.dim;
  }

  /** View of row `r` (invalidated by {@link reserve}). */
  row(r: number): Float32Array {
    const o = this.rowsAt + r * this.dim;
    return this.f32.subarray(o, o + this.dim);
  }

  /** Copies row `r` out. */
  rowCopy(r: number): Float32Array {
    const o = this.rowsAt + r * this.dim;
    return this.f32.slice(o, o + this.dim);
  }

  /** Contiguous view of rows [0, n). */
  rows(n: number): Float32Array {
    return this.f32.subarray(this.rowsAt, this.rowsAt + n * this.dim);
  }

  /** Sets the scratch query. */
  setQuery(q: Float32Array): void {
    this.f32.set(q, this.queryAt);
  }

  /**
   * out[i] (at {@link outAt}) = distance from the vector at element offset `qAt` (the scratch query
   * or a row) to row ids[i] (at {@link idsAt}), for i < count <= batch: -dot, or squared L2.
   * Negation for dot is left to the caller: the raw value is dot (l2: squared distance).
   */
  idsRaw(qAt: number, count: number): void {
    const k = this.kernels;
    if (k) {
      if (this.l2) k.l2_ids(qAt * 4, this.rowsAt * 4, this.idsAt * 4, count, this.dim, this.outAt * 4);
      else k.dot_ids(qAt * 4, this.rowsAt * 4, this.idsAt * 4, count, this.dim, this.outAt * 4);
      return;
    }
    const { f32, i32, dim, rowsAt, idsAt, outAt } = this;
    for (let i = 0; i < count; i++) {
      const r = rowsAt + i32[idsAt + i]! * dim;
      f32[outAt + i] = this.l2 ? squaredL2(f32, qAt, f32, r, dim) : dot(f32, qAt, f32, r, dim);
    }
  }

  /** out[i] = raw value (dot, or squared L2) from the scratch query to rows first..first+count-1 (count <= batch). */
  rowsRaw(first: number, count: number): void {
    const k = this.kernels;
    const base = this.rowsAt + first * this.dim;
    if (k) {
      if (this.l2) k.l2_rows(this.queryAt * 4, base * 4, count, this.dim, this.outAt * 4);
      else k.dot_rows(this.queryAt * 4, base * 4, count, this.dim, this.outAt * 4);
      return;
    }
    const { f32, dim, queryAt, outAt } = this;
    for (let i = 0; i < count; i++) f32[outAt + i] = this.l2 ? squaredL2(f32, queryAt, f32, base + i * dim, dim) : dot(f32, queryAt, f32, base + i * dim, dim);
  }

  /** Double-precision raw value between element offsets a and b (used to rescore final results). */
  exact(a: number, b: number): number {
    return this.l2 ? squaredL2(this.f32, a, this.f32, b, this.dim) : dot(this.f32, a, this.f32, b, this.dim);
  }

  /** Drops the memory (the arena is unusable afterwards). */
  release(): void {
    this.memory = null;
    this.kernels = null;
    this.buffer = new ArrayBuffer(0);
    this.f32 = new Float32Array(0);
    this.i32 = new Int32Array(0);
    this.rowCapacity = 0;
  }
}
