import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { addonPath, defaultThreads, loadNativeAddon } from '../src/index.js';

// The loader's contract: the addon or null with a reason, never a throw. The numerical tests of
// the kernels are in packages/core/test/native-sgemm.test.ts (against a float64 loop and core's
// WebAssembly sgemm).

describe('loadNativeAddon', () => {
  it('returns the built addon with a usable ISA, or null with the reason', () => {
    const loaded = loadNativeAddon();
    if (!existsSync(addonPath())) {
      expect(loaded.addon).toBeNull();
      expect(loaded.reason).toMatch(/not built/);
      console.warn(`[core-native] addon not built here: ${loaded.reason}`);
      return;
    }
    if (loaded.addon === null) {
      // Built but unusable: the reason must say why (CPU without AVX2+FMA, LLMKIT_NATIVE=0, ...).
      expect(loaded.reason.length).toBeGreaterThan(0);
      return;
    }
    expect(['avx512f', 'avx2']).toContain(loaded.addon.isa());
    expect(loaded.addon.threads()).toBe(defaultThreads());
    // 2x2 product by hand: [[1,2],[3,4]] x [[5,6],[7,8]] = [[19,22],[43,50]].
    const heap = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0]);
    loaded.addon.sgemm(heap, 2, 2, 2, 0, 2, 1, 16, 2, 1, 32, 2);
    expect(Array.from(heap.subarray(8))).toEqual([19, 22, 43, 50]);
    // Same with op(B) = B^T (strides swapped): [[1,2],[3,4]] x [[5,7],[6,8]] = [[17,23],[39,53]].
    loaded.addon.sgemm(heap, 2, 2, 2, 0, 2, 1, 16, 1, 2, 32, 2);
    expect(Array.from(heap.subarray(8))).toEqual([17, 23, 39, 53]);
  });
});

describe('defaultThreads', () => {
  it('reads LLMKIT_NATIVE_THREADS, else the available parallelism', () => {
    expect(defaultThreads({ LLMKIT_NATIVE_THREADS: '3' })).toBe(3);
    expect(defaultThreads({})).toBeGreaterThanOrEqual(1);
  });

  it('rejects a bad LLMKIT_NATIVE_THREADS with a RangeError naming it', () => {
    expect(() => defaultThreads({ LLMKIT_NATIVE_THREADS: 'two' })).toThrow(/LLMKIT_NATIVE_THREADS="two"/);
    expect(() => defaultThreads({ LLMKIT_NATIVE_THREADS: '0' })).toThrow(RangeError);
  });
});
