// Parity of scaledDotProductAttention with torch.nn.functional.scaled_dot_product_attention:
// forward values and gradients w.r.t. q, k, v of sum(out * upstream).
// Fixtures: tools/fixtures/gen_attention.py (.venv-ref/bin/python tools/fixtures/gen_attention.py).
import { beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { scaledDotProductAttention } from '../src/sdpa.js';
import { causalMask, paddingMask } from '../src/masks.js';
import { checkCase, loadSdpaCases, valueAndGrads } from './fixtures/sdpa/cases.js';

const cases = loadSdpaCases();

beforeAll(async () => {
  await initBackend();
});

describe('scaledDotProductAttention vs torch', () => {
  it('has every fixture case', () => {
    expect(cases.map((c) => c.name)).toEqual([
      'causal', 'no_mask', 'padding', 'causal_padding', 'float_mask', 'sliding_window', 'gqa', 'cached_decoding', 'custom_scale',
    ]);
  });
  for (const c of cases) {
    it(`${c.name}: forward and gradients`, () => checkCase(scaledDotProductAttention, c, 'sdpa'));
  }

  it('masks built by masks.ts equal the fixture masks', () => {
    tf.tidy(() => {
      const byName = new Map(cases.map((c) => [c.name, c]));
      const pad = byName.get('padding')!;
      expectClose(tf.cast(paddingMask(pad.attentionMask!), 'int32'), pad.mask!.data as number[], { atol: 0 });
      const sw = byName.get('sliding_window')!;
      expectClose(tf.cast(causalMask(12, 12, { window: sw.window }), 'int32'), sw.mask!.data as number[], { atol: 0 });
      const cd = byName.get('cached_decoding')!;
      expectClose(tf.cast(causalMask(3, 10), 'int32'), cd.mask!.data as number[], { atol: 0 });
      const cp = byName.get('causal_padding')!;
      const combined = tf.logicalAnd(causalMask(8, 8), paddingMask(cp.attentionMask!));
      expectClose(tf.cast(combined, 'int32'), cp.mask!.data as number[], { atol: 0 });
    });
  });

  it('causal equals an explicit top-left causalMask(offset 0) for Tq != Tk', () => {
    tf.tidy(() => {
      const rng = createRng(3);
      const q = rng.normalTensor([1, 2, 3, 4]) as tf.Tensor4D;
      const k = rng.normalTensor([1, 2, 5, 4]) as tf.Tensor4D;
      const v = rng.normalTensor([1, 2, 5, 4]) as tf.Tensor4D;
      const a = scaledDotProductAttention(q, k, v, { causal: true });
      const b = scaledDotProductAttention(q, k, v, { mask: causalMask(3, 5, { offset: 0 }) });
      expectClose(a, b, { atol: 1e-6 });
    });
  });
});

describe('scaledDotProductAttention behaviour', () => {
  it('fully masked query rows give zeros and zero gradients, never NaN', () => {
    tf.tidy(() => {
      const rng = createRng(1);
      const q = rng.normalTensor([1, 1, 3, 4]);
      const k = rng.normalTensor([1, 1, 3, 4]);
      const v = rng.normalTensor([1, 1, 3, 4]);
      // row 0 attends nothing (bool), row 1 only key 1, row 2 everything
      const mask = tf.tensor2d([[0, 0, 0], [0, 1, 0], [1, 1, 1]], [3, 3], 'bool');
      const { out, gq, gk, gv } = valueAndGrads(scaledDotProductAttention, q, k, v, tf.onesLike(q), { mask });
      const o = out.arraySync()[0][0];
      expect(o[0]).toEqual([0, 0, 0, 0]);
      // a single attended key copies its value row
      expectClose(o[1], (v.arraySync() as number[][][][])[0][0][1], { atol: 1e-6 });
      for (const g of [gq, gk, gv]) expect(Array.from(g.dataSync()).every(Number.isFinite)).toBe(true);
      expect(Array.from(gq.dataSync()).slice(0, 4)).toEqual([0, 0, 0, 0]);
      // an all -inf float mask row behaves the same
      const fmask = tf.tensor2d([[-Infinity, -Infinity, -Infinity], [0, 0, 0], [0, 0, 0]]);
      const o2 = scaledDotProductAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, { mask: fmask }).arraySync()[0][0];
      expect(o2[0]).toEqual([0, 0, 0, 0]);
    });
  });

  it('hand-derived: uniform scores average the values; scale multiplies the logits', () => {
    tf.tidy(() => {
      // q = 0 -> all scores 0 -> softmax uniform -> out = mean of v rows = [2, 20]
      const q = tf.zeros([1, 1, 1, 2]) as tf.Tensor4D;
      const k = tf.tensor4d([[[[1, 0], [0, 1], [1, 1]]]]);
      const v = tf.tensor4d([[[[1, 10], [2, 20], [3, 30]]]]);
      expectClose(scaledDotProductAttention(q, k, v), [2, 20], { atol: 1e-6 });
      // q = [ln 2, 0], k rows [1,0] and [0,0], scale 1: scores ln2, 0 -> probs 2/3, 1/3
      const q2 = tf.tensor4d([[[[Math.LN2, 0]]]]);
      const k2 = tf.tensor4d([[[[1, 0], [0, 0]]]]);
      const v2 = tf.tensor4d([[[[3, 0], [0, 3]]]]);
      expectClose(scaledDotProductAttention(q2, k2, v2, { scale: 1 }), [2, 1], { atol: 1e-6 });
    });
  });

  it('GQA equals attention over repeat-interleaved kv heads', () => {
    tf.tidy(() => {
      const rng = createRng(5);
      const q = rng.normalTensor([2, 6, 4, 3]) as tf.Tensor4D;
      const k = rng.normalTensor([2, 2, 5, 3]) as tf.Tensor4D;
      const v = rng.normalTensor([2, 2, 5, 2]) as tf.Tensor4D;
      // repeat_interleave(3, dim=1): head h uses kv head floor(h / 3)
      const idx = tf.tensor1d([0, 0, 0, 1, 1, 1], 'int32');
      const a = scaledDotProductAttention(q, k, v, { enableGqa: true, causal: true });
      const b = scaledDotProductAttention(q, tf.gather(k, idx, 1) as tf.Tensor4D, tf.gather(v, idx, 1) as tf.Tensor4D, { causal: true });
      expectClose(a, b, { atol: 1e-6 });
    });
  });

  it('dropout: seeded, inverted scaling, identity at p = 0', () => {
    tf.tidy(() => {
      const rng = createRng(7);
      const q = rng.normalTensor([1, 2, 6, 4]) as tf.Tensor4D;
      const k = rng.normalTensor([1, 2, 6, 4]) as tf.Tensor4D;
      const v = rng.normalTensor([1, 2, 6, 4]) as tf.Tensor4D;
      const base = scaledDotProductAttention(q, k, v);
      expectClose(scaledDotProductAttention(q, k, v, { dropout: 0, rng: createRng(1) }), base, { atol: 0 });
      const a = scaledDotProductAttention(q, k, v, { dropout: 0.5, rng: createRng(11) });
      const b = scaledDotProductAttention(q, k, v, { dropout: 0.5, rng: createRng(11) });
      expectClose(a, b, { atol: 0 });
      expect(Math.max(...Array.from(tf.abs(tf.sub(a, base)).dataSync()))).toBeGreaterThan(1e-3);
      // with v = ones, out = sum of kept probs / (1 - p): every entry is a multiple-of-2 combination of probs,
      // and averaged over many draws the expectation is 1
      const ones = tf.ones([1, 2, 6, 4]) as tf.Tensor4D;
      const r = createRng(2);
      let total = 0;
      const draws = 200;
      for (let i = 0; i < draws; i++) total += tf.mean(scaledDotProductAttention(q, k, ones, { dropout: 0.25, rng: r })).dataSync()[0];
      expect(Math.abs(total / draws - 1)).toBeLessThan(0.03);
    });
  });

  it('validates inputs with typed errors', () => {
    tf.tidy(() => {
      const q = tf.zeros([1, 4, 3, 8]) as tf.Tensor4D;
      const k = tf.zeros([1, 2, 5, 8]) as tf.Tensor4D;
      const v = tf.zeros([1, 2, 5, 8]) as tf.Tensor4D;
      expect(() => scaledDotProductAttention(q, k, v)).toThrow(ShapeMismatchError);
      expect(() => scaledDotProductAttention(q, k, v)).toThrow(/enableGqa/);
      expect(() => scaledDotProductAttention(q, tf.zeros([1, 3, 5, 8]) as tf.Tensor4D, tf.zeros([1, 3, 5, 8]) as tf.Tensor4D, { enableGqa: true })).toThrow(/multiple/);
      expect(() => scaledDotProductAttention(tf.zeros([4, 3, 8]) as unknown as tf.Tensor4D, k, v)).toThrow(/\[batch, heads, seq, headDim\]/);
      expect(() => scaledDotProductAttention(q, tf.zeros([1, 2, 5, 7]) as tf.Tensor4D, v, { enableGqa: true })).toThrow(/head dim/);
      expect(() => scaledDotProductAttention(q, k, tf.zeros([1, 2, 4, 8]) as tf.Tensor4D, { enableGqa: true })).toThrow(ShapeMismatchError);
      expect(() => scaledDotProductAttention(q, k, v, { enableGqa: true, mask: tf.ones([3, 4], 'bool') })).toThrow(/does not broadcast/);
      expect(() => scaledDotProductAttention(q, k, v, { enableGqa: true, mask: tf.ones([3, 5], 'int32') })).toThrow(InvalidArgumentError);
      expect(() => scaledDotProductAttention(q, k, v, { enableGqa: true, dropout: 1 })).toThrow(/dropout/);
      expect(() => scaledDotProductAttention(q, k, v, { enableGqa: true, scale: Number.NaN })).toThrow(/scale/);
      expect(() => scaledDotProductAttention(tf.zeros([1, 4, 3, 8], 'int32') as tf.Tensor4D, k, v, { enableGqa: true })).toThrow(/float32/);
    });
  });

  it('leaves no tensors behind (forward and backward)', () => {
    const rng = createRng(9);
    const q = rng.normalTensor([1, 2, 4, 4]);
    const k = rng.normalTensor([1, 2, 4, 4]);
    const v = rng.normalTensor([1, 2, 4, 4]);
    const mask = causalMask(4, 4);
    const before = tf.memory().numTensors;
    for (let i = 0; i < 3; i++) {
      tf.tidy(() => {
        valueAndGrads(scaledDotProductAttention, q, k, v, tf.onesLike(q), { mask, dropout: 0.1, rng });
      });
      tf.dispose(scaledDotProductAttention(q as tf.Tensor4D, k as tf.Tensor4D, v as tf.Tensor4D, { causal: true }));
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose([q, k, v, mask]);
  });
});
