/**
 * @llmkit/core-native: an optional N-API addon with AVX-512 / AVX2+FMA fp32 GEMM and a thread
 * pool, for @llmkit/core's tfjs-wasm matmuls. It multiplies in place on an ArrayBuffer (tfjs-wasm's
 * heap), so no tensor is copied.
 *
 * {@link loadNativeAddon} returns the addon, or null with the reason it cannot be used: not built
 * (the install script could not compile it: no compiler, no Node headers, not x64), a CPU with
 * neither AVX-512F nor AVX2+FMA, not Node, or disabled with `LLMKIT_NATIVE=0`. Callers fall back
 * to their WebAssembly kernels on null.
 */
import { createRequire } from 'node:module';
import { existsSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';

/** The addon's functions (packages/core-native/native/addon.cc). */
export interface NativeAddon {
  /**
   * C[M,N] = op(A) op(B) in place on `heap`: op(A)(i, p) = A[i * rsa + p * csa] with A at byte
   * offset `a`, op(B)(p, j) = B[p * rsb + j * csb] at byte offset `b`, C row-major with row stride
   * `ldc` at byte offset `c`. Strides in elements. Throws a RangeError when an operand runs outside
   * the heap.
   */
  sgemm(
    heap: ArrayBuffer | ArrayBufferView,
    m: number, n: number, k: number,
    a: number, rsa: number, csa: number,
    b: number, rsb: number, csb: number,
    c: number, ldc: number,
  ): void;
  /** The same product for each batch entry i, operands at byte offsets aBytes[i], bBytes[i], cBytes[i]. */
  sgemmBatch(
    heap: ArrayBuffer | ArrayBufferView,
    m: number, n: number, k: number,
    rsa: number, csa: number, rsb: number, csb: number, ldc: number,
    aBytes: Uint32Array, bBytes: Uint32Array, cBytes: Uint32Array,
  ): void;
  /** Instruction set in use: 'avx512f', 'avx2', or '' when neither is usable. */
  isa(): string;
  /** Force 'avx2' (to test it on an AVX-512 machine), 'avx512f' or 'auto'; false when unsupported here. */
  setIsa(name: 'avx512f' | 'avx2' | 'auto'): boolean;
  /** Threads a large product is split over, the calling thread included (1 = no pool). */
  setThreads(n: number): void;
  threads(): number;
  /** Products (flops of the whole call) below this run on the calling thread. */
  setParallelThreshold(flops: number): void;
  parallelThreshold(): number;
}

export type NativeLoad = { addon: NativeAddon; reason?: undefined } | { addon: null; reason: string };

let cached: NativeLoad | undefined;

/** Path of the compiled addon (node-gyp's Release output). */
export function addonPath(): string {
  return fileURLToPath(new URL('../build/Release/llmkit_native.node', import.meta.url));
}

/**
 * Threads from `LLMKIT_NATIVE_THREADS` (a positive integer), else `os.availableParallelism()`.
 * @throws {RangeError} when LLMKIT_NATIVE_THREADS is set but not a positive integer.
 */
export function defaultThreads(env: Record<string, string | undefined> = process.env): number {
  const raw = env.LLMKIT_NATIVE_THREADS;
  if (raw !== undefined && raw !== '') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 256) {
      throw new RangeError(`LLMKIT_NATIVE_THREADS="${raw}" is not an integer from 1 to 256; unset it or use e.g. 2.`);
    }
    return n;
  }
  return Math.max(1, availableParallelism());
}

/** The addon, loaded once, or null with the reason it is unavailable. Never throws. */
export function loadNativeAddon(): NativeLoad {
  if (cached) return cached;
  cached = load();
  return cached;
}

function load(): NativeLoad {
  if (typeof process === 'undefined' || !process.versions?.node) return { addon: null, reason: 'not running in Node.js' };
  if (process.env.LLMKIT_NATIVE === '0') return { addon: null, reason: 'disabled by LLMKIT_NATIVE=0' };
  const path = addonPath();
  if (!existsSync(path)) {
    return {
      addon: null,
      reason: `not built (${path} is missing: the install script could not compile it; run \`npm rebuild @llmkit/core-native\` with a C++ compiler and Node headers)`,
    };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    return { addon: null, reason: `failed to load ${path}: ${(error as Error).message}` };
  }
  if (!addon.isa()) return { addon: null, reason: 'this CPU has neither AVX-512F nor AVX2+FMA' };
  try {
    addon.setThreads(defaultThreads());
  } catch (error) {
    return { addon: null, reason: (error as Error).message };
  }
  return { addon };
}
