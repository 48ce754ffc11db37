import { tf } from '../tf.js';
import { BackendError, InvalidArgumentError } from '../errors/index.js';
import { installWasmKernelFixes, uninstallWasmKernelFixes, wasmKernelFixesInstalled } from './wasm-fixes.js';
import { loadNativeMatMul, nativeMatMulStatus } from './native.js';
import { matMulKernelInUse } from './wasm-kernels/matmul-core.js';
import type { WasmBackend } from './wasm-kernels/wasm-heap.js';

/** Backends llmkit knows how to select, fastest first. */
export const BACKEND_NAMES = ['tensorflow', 'wasm', 'cpu'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

export interface InitBackendOptions {
  /** Force a backend. Defaults to `process.env.LLMKIT_BACKEND`, else the fastest available. */
  backend?: BackendName;
  /** Register core's wasm kernel fixes (fast transposed/batched matmul, gather gradient, ...). Default true. */
  kernelFixes?: boolean;
  /** Where to report the choice: `true` (console.error), `false`, or a function. Default false. */
  log?: boolean | ((message: string) => void);
}

export interface BackendInfo {
  backend: BackendName;
  /** Threads the backend computes with. */
  threads: number;
  /** Whether the wasm backend runs the SIMD build (false for other backends). */
  simd: boolean;
  /** Kernels core registered or replaced on this backend. */
  kernelFixes: string[];
  /** Which matmul implementation runs (at initBackend time; {@link matMulPath} tells it now). */
  matmul: MatMulPathInfo;
}

/**
 * The matmul implementation in use: 'native' (the optional @llmkit/core-native addon, AVX-512 or
 * AVX2+FMA with threads), 'simd' (core's WebAssembly SIMD sgemm), 'xnnpack' (core's
 * transpose-then-XNNPACK path), or 'backend' (the backend's own kernel: tensorflow, cpu, or wasm
 * without core's kernel fixes).
 */
export interface MatMulPathInfo {
  path: 'native' | 'simd' | 'xnnpack' | 'backend';
  /** 'avx512f' or 'avx2' on the native path. */
  isa?: string;
  /** Threads of the native path. */
  threads?: number;
  /** Why the native addon is not used, when it is not (LLMKIT_NATIVE=0, not built, ...). */
  nativeUnavailable?: string;
}

const NATIVE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'];

async function tryNative(): Promise<boolean> {
  for (const name of NATIVE_PACKAGES) {
    try {
      // Optional peers: never dependencies, so resolve them at run time only.
      await import(/* @vite-ignore */ name as string);
      if (tf.findBackend('tensorflow')) return true;
    } catch {
      // not installed or failed to load its native library: try the next one
    }
  }
  return false;
}

let current: BackendInfo | undefined;

/**
 * Choose and initialise the tensor backend: `tensorflow` (when the optional
 * `@tensorflow/tfjs-node-gpu` or `@tensorflow/tfjs-node` is installed), else
 * `wasm` with core's kernel fixes, else `cpu`. `LLMKIT_BACKEND` overrides.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for an unknown backend name.
 * @throws {BackendError} `backend` when the requested backend cannot start.
 * @example
 * const info = await initBackend(); // { backend: 'wasm', threads: 1, simd: true, kernelFixes: [...] }
 */
export async function initBackend(options: InitBackendOptions = {}): Promise<BackendInfo> {
  const requested = options.backend ?? (process.env.LLMKIT_BACKEND as BackendName | undefined) ?? undefined;
  if (requested !== undefined && !BACKEND_NAMES.includes(requested)) {
    throw new InvalidArgumentError(
      `Unknown backend "${requested}" (from ${options.backend ? 'options.backend' : 'LLMKIT_BACKEND'}); use one of ${BACKEND_NAMES.join(', ')}.`,
    );
  }
  const kernelFixes = options.kernelFixes ?? true;
  const order: BackendName[] = requested ? [requested] : [...BACKEND_NAMES];
  let chosen: BackendName | undefined;
  const failures: string[] = [];
  for (const name of order) {
    if (name === 'tensorflow' && !(await tryNative())) {
      failures.push('tensorflow: @tensorflow/tfjs-node(-gpu) is not installed');
      continue;
    }
    try {
      if (await tf.setBackend(name)) {
        await tf.ready();
        chosen = name;
        break;
      }
      failures.push(`${name}: setBackend returned false`);
    } catch (error) {
      failures.push(`${name}: ${(error as Error).message}`);
    }
  }
  if (!chosen) {
    throw new BackendError(
      `No tensor backend could start (${failures.join('; ')}). Unset LLMKIT_BACKEND or install the backend you asked for.`,
    );
  }
  let fixes: string[] = [];
  if (chosen === 'wasm') {
    fixes = kernelFixes ? installWasmKernelFixes() : (uninstallWasmKernelFixes(), []);
  }
  const simd = chosen === 'wasm' ? Boolean(await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT')) : false;
  const threads = chosen === 'wasm' ? wasmThreadCount() : chosen === 'tensorflow' ? osThreads() : 1;
  // Load the optional native matmul now, so that the first matmul can already use it.
  if (chosen === 'wasm') await loadNativeMatMul();
  const matmul = matMulPath();
  current = { backend: chosen, threads, simd, kernelFixes: fixes, matmul };
  const native = matmul.path === 'native' ? ` ${matmul.isa} x${matmul.threads}` : '';
  const message = `llmkit backend: ${chosen} (threads ${threads}, simd ${simd}, kernel fixes ${fixes.length}, matmul ${matmul.path}${native})`;
  if (options.log === true) console.error(message);
  else if (typeof options.log === 'function') options.log(message);
  return current;
}

/**
 * The matmul implementation the current backend uses now (it changes with `LLMKIT_NATIVE`,
 * kernel fixes being installed, and the benchmarks' `matMulStrategy`).
 * @example
 * await initBackend();
 * matMulPath(); // { path: 'native', isa: 'avx512f', threads: 2 } or { path: 'simd', nativeUnavailable: '...' }
 */
export function matMulPath(): MatMulPathInfo {
  const status = nativeMatMulStatus();
  const backend = tf.getBackend() === 'wasm' ? (tf.backend() as unknown as WasmBackend) : undefined;
  const path = backend && wasmKernelFixesInstalled() ? matMulKernelInUse(backend) : 'backend';
  if (path === 'native') return { path, isa: status.isa, threads: status.threads };
  return status.available ? { path } : { path, nativeUnavailable: status.reason };
}

/** The info of the last `initBackend()` call, or undefined before one. */
export function backendInfo(): BackendInfo | undefined {
  return current;
}

function osThreads(): number {
  return typeof navigator !== 'undefined' && navigator.hardwareConcurrency ? navigator.hardwareConcurrency : 1;
}

function wasmThreadCount(): number {
  const backend = tf.backend() as unknown as { wasm?: { tfjs?: { getThreadsCount?: () => number } } };
  const count = backend.wasm?.tfjs?.getThreadsCount?.();
  return typeof count === 'number' && count > 0 ? count : 1;
}
