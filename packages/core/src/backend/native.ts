/**
 * The optional native matmul addon (`@llmkit/core-native`, an optional dependency): AVX-512 or
 * AVX2+FMA fp32 GEMM with a thread pool, multiplying in place on tfjs-wasm's heap. Loaded lazily
 * with a dynamic import (so bundlers and browsers never see it, and a missing or unbuildable
 * package costs nothing); `initBackend()` awaits the load so the first matmul can use it.
 *
 * Unavailable (and core's WebAssembly SIMD sgemm is used) when: not running in Node,
 * `LLMKIT_NATIVE=0`, the package is not installed, its addon was not built (no compiler or Node
 * headers at install time), or the CPU has neither AVX-512F nor AVX2+FMA.
 * {@link nativeMatMulStatus} says which, and which instruction set and threads it uses.
 */

/** The addon functions core calls (packages/core-native/src/index.ts, `NativeAddon`). */
export interface NativeMatMulAddon {
  sgemm(
    heap: ArrayBuffer | ArrayBufferView,
    m: number, n: number, k: number,
    a: number, rsa: number, csa: number,
    b: number, rsb: number, csb: number,
    c: number, ldc: number,
  ): void;
  sgemmBatch(
    heap: ArrayBuffer | ArrayBufferView,
    m: number, n: number, k: number,
    rsa: number, csa: number, rsb: number, csb: number, ldc: number,
    aBytes: Uint32Array, bBytes: Uint32Array, cBytes: Uint32Array,
  ): void;
  isa(): string;
  setIsa(name: 'avx512f' | 'avx2' | 'auto'): boolean;
  setThreads(n: number): void;
  threads(): number;
  setParallelThreshold(flops: number): void;
  parallelThreshold(): number;
}

export interface NativeMatMulStatus {
  /** Whether the native addon is loaded and usable. */
  available: boolean;
  /** 'avx512f' or 'avx2' when available. */
  isa?: string;
  /** Threads a large product is split over (LLMKIT_NATIVE_THREADS, else os.availableParallelism()). */
  threads?: number;
  /** Why it is unavailable; undefined when available or not tried yet. */
  reason?: string;
}

type LoadResult = { addon: NativeMatMulAddon | null; reason?: string };

let result: LoadResult | undefined;
let pending: Promise<LoadResult> | undefined;

// Built at run time so that no bundler (tsup/esbuild, vite) tries to resolve or inline it.
const PACKAGE = ['@llmkit', 'core-native'].join('/');

async function importAddon(): Promise<LoadResult> {
  if (typeof process === 'undefined' || !process.versions?.node) return { addon: null, reason: 'not running in Node.js' };
  if (process.env.LLMKIT_NATIVE === '0') return { addon: null, reason: 'disabled by LLMKIT_NATIVE=0' };
  try {
    const mod = (await import(/* @vite-ignore */ PACKAGE)) as {
      loadNativeAddon(): { addon: NativeMatMulAddon | null; reason?: string };
    };
    const loaded = mod.loadNativeAddon();
    return loaded.addon ? { addon: loaded.addon } : { addon: null, reason: loaded.reason ?? 'unavailable' };
  } catch (error) {
    return { addon: null, reason: `${PACKAGE} is not installed or failed to load (${(error as Error).message})` };
  }
}

/** Loads the addon once (later calls return the same promise's result). Never throws. */
export function loadNativeMatMul(): Promise<NativeMatMulStatus> {
  pending ??= importAddon().then((r) => (result = r));
  return pending.then(nativeMatMulStatus);
}

/**
 * The loaded addon, or undefined while it is unavailable or still loading. The first call starts
 * the load when nothing did (`initBackend()` normally has), so until it completes the caller
 * uses its WebAssembly path.
 */
export function nativeMatMul(): NativeMatMulAddon | undefined {
  if (!result) {
    void loadNativeMatMul();
    return undefined;
  }
  return result.addon ?? undefined;
}

/** Whether the native matmul is usable, with its instruction set and threads, or why not. */
export function nativeMatMulStatus(): NativeMatMulStatus {
  if (!result) return { available: false, reason: pending ? 'loading' : 'not loaded yet (initBackend() loads it)' };
  if (!result.addon) return { available: false, reason: result.reason };
  return { available: true, isa: result.addon.isa(), threads: result.addon.threads() };
}
