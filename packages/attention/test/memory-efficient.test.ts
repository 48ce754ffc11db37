// memoryEfficientAttention (chunked online softmax + recomputing custom gradient) against the torch fixtures
// (tools/fixtures/gen_attention.py) and against the naive scaledDotProductAttention on random inputs.
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf, type Rng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { memoryEfficientAttention, type MemoryEfficientAttentionOptions } from '../src/memory-efficient.js';
import { scaledDotProductAttention, type SdpaOptions } from '../src/sdpa.js';
import { causalMask, combineMasks, paddingMask } from '../src/masks.js';
import { checkCase, loadSdpaCases, valueAndGrads } from './fixtures/sdpa/cases.js';

beforeAll(async () => {
  await initBackend();
});

const chunked = (chunkSize: number) => (q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, o: SdpaOptions) =>
  memoryEfficientAttention(q, k, v, { ...o, chunkSize });

describe('memoryEfficientAttention vs torch fixtures', () => {
  for (const c of loadSdpaCases()) {
    it(`${c.name}: forward and gradients (chunks of 3 keys)`, () => checkCase(chunked(3), c, 'memory-efficient'));
  }
});

interface RandomCase {
  name: string;
  shape: { b: number; h: number; hkv: number; tq: number; tk: number; d: number; dv: number };
  options: (rng: Rng) => MemoryEfficientAttentionOptions;
}

const RANDOM_CASES: RandomCase[] = [
  { name: 'no mask, uneven chunks', shape: { b: 2, h: 3, hkv: 3, tq: 7, tk: 13, d: 5, dv: 6 }, options: () => ({ chunkSize: 4 }) },
  { name: 'causal (top-left, Tq < Tk)', shape: { b: 1, h: 2, hkv: 2, tq: 9, tk: 20, d: 8, dv: 8 }, options: () => ({ causal: true, chunkSize: 4 }) },
  { name: 'causal square, chunk 1', shape: { b: 2, h: 2, hkv: 2, tq: 6, tk: 6, d: 4, dv: 4 }, options: () => ({ causal: true, chunkSize: 1 }) },
  {
    name: 'padding + bottom-right causal (decoding)',
    shape: { b: 2, h: 2, hkv: 2, tq: 3, tk: 11, d: 8, dv: 4 },
    options: () => ({ mask: combineMasks(causalMask(3, 11), paddingMask([[0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1], Array(11).fill(1)])), chunkSize: 4 }),
  },
  {
    name: 'left padding with fully masked rows',
    shape: { b: 2, h: 2, hkv: 2, tq: 10, tk: 10, d: 4, dv: 4 },
    options: () => ({ mask: combineMasks(causalMask(10, 10), paddingMask([[0, 0, 0, 0, 0, 0, 1, 1, 1, 1], Array(10).fill(1)])), chunkSize: 3 }),
  },
  { name: 'sliding window', shape: { b: 1, h: 2, hkv: 2, tq: 24, tk: 24, d: 8, dv: 8 }, options: () => ({ mask: causalMask(24, 24, { window: 5 }), chunkSize: 7 }) },
  { name: 'GQA 6 over 2 heads, causal', shape: { b: 2, h: 6, hkv: 2, tq: 10, tk: 10, d: 4, dv: 3 }, options: () => ({ causal: true, enableGqa: true, chunkSize: 4 }) },
  { name: 'MQA 4 over 1 head, custom scale', shape: { b: 1, h: 4, hkv: 1, tq: 5, tk: 9, d: 4, dv: 4 }, options: () => ({ enableGqa: true, scale: 0.7, chunkSize: 2 }) },
  {
    name: 'float mask [B, 1, Tq, Tk] with -inf',
    shape: { b: 2, h: 2, hkv: 2, tq: 6, tk: 8, d: 4, dv: 4 },
    options: (rng) => {
      const data = rng.normal(2 * 6 * 8);
      data[5] = -Infinity;
      for (let j = 0; j < 8; j++) data[8 * 3 + j] = -Infinity; // batch 0, row 3 fully masked
      return { mask: tf.tensor4d(data, [2, 1, 6, 8]), chunkSize: 3 };
    },
  },
  { name: 'one chunk larger than Tk', shape: { b: 1, h: 2, hkv: 2, tq: 4, tk: 5, d: 4, dv: 4 }, options: () => ({ causal: true, chunkSize: 64 }) },
];

function compareWithNaive(c: RandomCase, seed: number, atolGrad = 1e-5): void {
  tf.tidy(() => {
    const rng = createRng(seed);
    const { b, h, hkv, tq, tk, d, dv } = c.shape;
    const q = rng.normalTensor([b, h, tq, d]);
    const k = rng.normalTensor([b, hkv, tk, d]);
    const v = rng.normalTensor([b, hkv, tk, dv]);
    const up = rng.normalTensor([b, h, tq, dv]);
    const options = c.options(rng);
    const ours = valueAndGrads((a, bb, cc, o) => memoryEfficientAttention(a, bb, cc, o), q, k, v, up, options);
    const { chunkSize: _unused, ...naiveOptions } = options;
    const ref = valueAndGrads(scaledDotProductAttention, q, k, v, up, naiveOptions);
    expect(ours.out.shape).toEqual([b, h, tq, dv]);
    expectClose(ours.out, ref.out, { atol: 1e-5, label: `${c.name} out` });
    expectClose(ours.gq, ref.gq, { atol: atolGrad, label: `${c.name} dq` });
    expectClose(ours.gk, ref.gk, { atol: atolGrad, label: `${c.name} dk` });
    expectClose(ours.gv, ref.gv, { atol: atolGrad, label: `${c.name} dv` });
    for (const g of [ours.out, ours.gq, ours.gk, ours.gv]) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
  });
}

describe('memoryEfficientAttention equals the naive path', () => {
  RANDOM_CASES.forEach((c, i) => {
    it(c.name, () => compareWithNaive(c, 100 + i));
  });

  it('fully masked rows give zeros', () => {
    tf.tidy(() => {
      const rng = createRng(4);
      const q = rng.normalTensor([1, 1, 3, 4]) as tf.Tensor4D;
      const k = rng.normalTensor([1, 1, 5, 4]) as tf.Tensor4D;
      const v = rng.normalTensor([1, 1, 5, 4]) as tf.Tensor4D;
      const mask = tf.tensor2d([[0, 0, 0, 0, 0], [1, 0, 0, 0, 1], [1, 1, 1, 1, 1]], [3, 5], 'bool');
      const out = memoryEfficientAttention(q, k, v, { mask, chunkSize: 2 }).arraySync()[0][0];
      expect(out[0]).toEqual([0, 0, 0, 0]);
    });
  });

  it('seq 2048 forward (B=1, H=2, D=16, causal)', () => {
    tf.tidy(() => {
      const rng = createRng(2048);
      const t = 2048;
      const q = rng.normalTensor([1, 2, t, 16]) as tf.Tensor4D;
      const k = rng.normalTensor([1, 2, t, 16]) as tf.Tensor4D;
      const v = rng.normalTensor([1, 2, t, 16]) as tf.Tensor4D;
      const ours = memoryEfficientAttention(q, k, v, { causal: true, chunkSize: 256 });
      const ref = scaledDotProductAttention(q, k, v, { causal: true });
      expectClose(ours, ref, { atol: 1e-5, label: 'seq 2048' });
    });
  });

  it('seq 2048 gradients (B=1, H=1, D=8, sliding window 256, chunk 512)', () => {
    compareWithNaive(
      {
        name: 'seq 2048 backward',
        shape: { b: 1, h: 1, hkv: 1, tq: 2048, tk: 2048, d: 8, dv: 8 },
        options: () => ({ mask: causalMask(2048, 2048, { window: 256 }), chunkSize: 512 }),
      },
      2049,
    );
  });

  it('peak tensor memory (tf.profile) is O(Tq x chunk), not O(Tq x Tk), forward and backward', async () => {
    const rng = createRng(7);
    const t = 1024;
    const q = rng.normalTensor([1, 2, t, 16]) as tf.Tensor4D;
    const k = rng.normalTensor([1, 2, t, 16]) as tf.Tensor4D;
    const v = rng.normalTensor([1, 2, t, 16]) as tf.Tensor4D;
    const scoreBytes = 2 * t * t * 4; // one float32 [1, 2, T, T] score matrix
    // tf.profile's peakBytes is the largest absolute tf.memory().numBytes seen after a kernel: subtract the start
    const peak = async (f: () => tf.TensorContainer) => {
      const start = tf.memory().numBytes;
      const info = await tf.profile(() => {
        tf.dispose(f());
        return [];
      });
      return info.peakBytes - start;
    };
    const naive = await peak(() => tf.tidy(() => scaledDotProductAttention(q, k, v, { causal: true })));
    const ours = await peak(() => tf.tidy(() => memoryEfficientAttention(q, k, v, { causal: true, chunkSize: 32 })));
    expect(naive).toBeGreaterThanOrEqual(scoreBytes);
    expect(ours).toBeLessThan(scoreBytes / 2);
    const grad = (f: typeof scaledDotProductAttention) =>
      peak(() => tf.tidy(() => tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        tf.sum(f(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, { causal: true })))([q, k, v])));
    const naiveGrad = await grad(scaledDotProductAttention);
    const oursGrad = await grad((a, b, c, o) => memoryEfficientAttention(a, b, c, { ...o, chunkSize: 32 }));
    expect(naiveGrad).toBeGreaterThanOrEqual(2 * scoreBytes);
    // chunk 32: ~14 live [1, 2, T, 32] chunk buffers plus q/k/v-sized tensors, vs several [1, 2, T, T] for naive
    expect(oursGrad).toBeLessThan(scoreBytes);
    expect(oursGrad).toBeLessThan(naiveGrad / 10);
    tf.dispose([q, k, v]);
  });

  it('leaves no tensors behind (forward and backward)', () => {
    const rng = createRng(9);
    const q = rng.normalTensor([1, 2, 7, 4]);
    const k = rng.normalTensor([1, 2, 7, 4]);
    const v = rng.normalTensor([1, 2, 7, 4]);
    const mask = paddingMask([[0, 1, 1, 1, 1, 1, 1]]);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        valueAndGrads((a, b, c, o) => memoryEfficientAttention(a, b, c, { ...o, chunkSize: 3 }), q, k, v, tf.onesLike(q), { mask, causal: true });
      });
      tf.dispose(memoryEfficientAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, { mask, chunkSize: 2 }));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, mask]);
  });

  it('rejects dropout and bad chunk sizes', () => {
    tf.tidy(() => {
      const x = tf.zeros([1, 1, 2, 2]) as tf.Tensor4D;
      expect(() => memoryEfficientAttention(x, x, x, { dropout: 0.1 })).toThrow(InvalidArgumentError);
      expect(() => memoryEfficientAttention(x, x, x, { dropout: 0.1 })).toThrow(/dropout/);
      expect(() => memoryEfficientAttention(x, x, x, { chunkSize: 0 })).toThrow(/chunkSize/);
      expect(() => memoryEfficientAttention(x, x, x, { chunkSize: 2.5 })).toThrow(/chunkSize/);
    });
  });
});
