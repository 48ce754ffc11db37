// ALiBi slopes vs transformers' BLOOM build_alibi_tensor (fixture: tools/fixtures/gen_attention.py)
// and hand-derived values.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { alibiBias, alibiSlopes } from '../src/alibi.js';
import { scaledDotProductAttention } from '../src/sdpa.js';
import { causalMask } from '../src/masks.js';

interface AlibiCase {
  nHeads: number;
  slopes: { shape: number[]; data: number[] };
}

const CASES = (JSON.parse(readFileSync(new URL('./fixtures/sdpa/alibi.json', import.meta.url), 'utf8')) as { cases: AlibiCase[] }).cases;

beforeAll(async () => {
  await initBackend();
});

describe('alibiSlopes', () => {
  it('equals transformers build_alibi_tensor for power-of-2 and other head counts', () => {
    expect(CASES.map((c) => c.nHeads)).toContain(12);
    for (const c of CASES) {
      const s = alibiSlopes(c.nHeads);
      expect(s.length).toBe(c.nHeads);
      expectClose(s, c.slopes.data, { atol: 0, rtol: 1e-6, label: `nHeads ${c.nHeads}` });
    }
  });

  it('hand-derived: 8 heads give 2^-1 .. 2^-8', () => {
    // n = 8 is a power of two: base = 2^(-8/8) = 1/2, slope_h = (1/2)^(h+1)
    expect(Array.from(alibiSlopes(8))).toEqual([0.5, 0.25, 0.125, 0.0625, 0.03125, 0.015625, 0.0078125, 0.00390625]);
  });

  it('hand-derived: 6 heads = the 4-head slopes then odd powers of the 8-head base', () => {
    // n = 4: base 2^(-8/4) = 1/4 -> 2^-2, 2^-4, 2^-6, 2^-8; extra base 2^(-8/8) = 1/2, powers 1, 3 -> 2^-1, 2^-3
    expect(Array.from(alibiSlopes(6))).toEqual([2 ** -2, 2 ** -4, 2 ** -6, 2 ** -8, 2 ** -1, 2 ** -3]);
  });

  it('rejects a non-positive or fractional head count', () => {
    expect(() => alibiSlopes(0)).toThrow(InvalidArgumentError);
    expect(() => alibiSlopes(2.5)).toThrow(/nHeads/);
  });
});

describe('alibiBias', () => {
  it('hand-derived [H, tq, tk] = slope * (j - (offset + i)), bottom-right by default', () => {
    // 2 heads: slopes 2^-4 = 1/16 and 2^-8 = 1/256; tq = 2, tk = 3 -> offset 1 (queries at positions 1, 2)
    const b = alibiBias(2, 2, 3);
    expect(b.shape).toEqual([2, 2, 3]);
    const s0 = 1 / 16;
    const s1 = 1 / 256;
    expectClose(b, [
      [[-1 * s0, 0, 1 * s0], [-2 * s0, -1 * s0, 0]],
      [[-1 * s1, 0, 1 * s1], [-2 * s1, -1 * s1, 0]],
    ], { atol: 0 });
    const top = alibiBias(2, 2, 3, { offset: 0 });
    expectClose(top, [
      [[0, s0, 2 * s0], [-s0, 0, s0]],
      [[0, s1, 2 * s1], [-s1, 0, s1]],
    ], { atol: 0 });
    tf.dispose([b, top]);
  });

  it('gives the same attention as BLOOM\'s slope * j bias (softmax shift invariance)', () => {
    tf.tidy(() => {
      const rng = createRng(3);
      const h = 5;
      const t = 6;
      const q = rng.normalTensor([2, h, t, 4]) as tf.Tensor4D;
      const k = rng.normalTensor([2, h, t, 4]) as tf.Tensor4D;
      const v = rng.normalTensor([2, h, t, 4]) as tf.Tensor4D;
      const slopes = tf.tensor(alibiSlopes(h), [h, 1, 1]);
      const bloom = tf.mul(slopes, tf.reshape(tf.range(0, t), [1, 1, t])); // [H, 1, T]: slope * j
      const ours = alibiBias(h, t, t);
      const causal = causalMask(t, t);
      const a = scaledDotProductAttention(q, k, v, { mask: tf.add(ours, tf.log(tf.cast(causal, 'float32'))) });
      const b = scaledDotProductAttention(q, k, v, { mask: tf.add(bloom, tf.log(tf.cast(causal, 'float32'))) });
      expectClose(a, b, { atol: 1e-5 });
      // and ALiBi actually changes the result
      const plain = scaledDotProductAttention(q, k, v, { mask: causal });
      expect(Math.max(...Array.from(tf.abs(tf.sub(a, plain)).dataSync()))).toBeGreaterThan(1e-3);
    });
  });

  it('rejects bad sizes and offsets', () => {
    expect(() => alibiBias(0, 2, 2)).toThrow(InvalidArgumentError);
    expect(() => alibiBias(2, -1, 2)).toThrow(/tq/);
    expect(() => alibiBias(2, 2, 1.5)).toThrow(/tk/);
    expect(() => alibiBias(2, 2, 2, { offset: 0.5 })).toThrow(/offset/);
  });
});
