// Boolean masks: hand-derived values (the rule is written next to each case) and errors.
// The fixture comparison of causalMask / paddingMask with the masks fed to torch is in sdpa.test.ts.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { causalMask, combineMasks, paddingMask } from '../src/masks.js';

const asInts = (t: tf.Tensor) => tf.tidy(() => tf.cast(t, 'int32').arraySync());

beforeAll(async () => {
  await initBackend();
});

describe('causalMask', () => {
  it('square: lower triangle (query i attends keys j <= i)', () => {
    const m = causalMask(3, 3);
    expect(m.dtype).toBe('bool');
    expect(asInts(m)).toEqual([[1, 0, 0], [1, 1, 0], [1, 1, 1]]);
    m.dispose();
  });

  it('tq < tk defaults to bottom-right (offset tk - tq = 2: query i at position 2 + i)', () => {
    const m = causalMask(2, 4);
    expect(asInts(m)).toEqual([[1, 1, 1, 0], [1, 1, 1, 1]]);
    m.dispose();
  });

  it('offset 0 is torch is_causal (top-left tril(ones(tq, tk)))', () => {
    const m = causalMask(2, 4, { offset: 0 });
    expect(asInts(m)).toEqual([[1, 0, 0, 0], [1, 1, 0, 0]]);
    m.dispose();
  });

  it('sliding window w: keys j with p - w < j <= p', () => {
    // w = 2, square 4: row p keeps j in {p-1, p}
    const m = causalMask(4, 4, { window: 2 });
    expect(asInts(m)).toEqual([[1, 0, 0, 0], [1, 1, 0, 0], [0, 1, 1, 0], [0, 0, 1, 1]]);
    // decoding one token at absolute position 5 over 6 keys, window 3: keys 3, 4, 5
    const d = causalMask(1, 6, { window: 3 });
    expect(asInts(d)).toEqual([[0, 0, 0, 1, 1, 1]]);
    // rolling cache: 3 stored keys at absolute positions 7, 8, 9 and one query at 9 -> offset 2 in cache coordinates
    const r = causalMask(1, 3, { offset: 2, window: 3 });
    expect(asInts(r)).toEqual([[1, 1, 1]]);
    tf.dispose([m, d, r]);
  });

  it('a query before every key (negative position) attends nothing', () => {
    const m = causalMask(2, 2, { offset: -1 });
    expect(asInts(m)).toEqual([[0, 0], [1, 0]]);
    m.dispose();
  });

  it('rejects bad arguments', () => {
    expect(() => causalMask(-1, 2)).toThrow(InvalidArgumentError);
    expect(() => causalMask(2, 1.5)).toThrow(/causalMask\(tk\)/);
    expect(() => causalMask(2, 2, { offset: 0.5 })).toThrow(/offset/);
    expect(() => causalMask(2, 2, { window: 0 })).toThrow(/window/);
  });
});

describe('paddingMask', () => {
  it('HF attention_mask [B, Tk] -> bool [B, 1, 1, Tk] from arrays and tensors', () => {
    const a = paddingMask([[0, 1, 1], [1, 1, 0]]);
    expect(a.shape).toEqual([2, 1, 1, 3]);
    expect(a.dtype).toBe('bool');
    expect(asInts(a)).toEqual([[[[0, 1, 1]]], [[[1, 1, 0]]]]);
    const t = tf.tensor2d([[0, 1, 1], [1, 1, 0]], [2, 3], 'int32');
    const b = paddingMask(t);
    expect(asInts(b)).toEqual(asInts(a));
    const f = tf.tensor2d([[1, 0]]);
    const c = paddingMask(f);
    expect(asInts(c)).toEqual([[[[1, 0]]]]);
    tf.dispose([a, t, b, f, c]);
  });

  it('rejects ragged rows, non-0/1 values and wrong ranks', () => {
    expect(() => paddingMask([[1, 1], [1]])).toThrow(/row 1/);
    expect(() => paddingMask([[1, 2]])).toThrow(InvalidArgumentError);
    expect(() => paddingMask([])).toThrow(InvalidArgumentError);
    const bad = tf.tensor2d([[1, 0.5]]);
    expect(() => paddingMask(bad)).toThrow(/0 \(padding\) or 1/);
    const r3 = tf.ones([1, 1, 2]);
    expect(() => paddingMask(r3 as unknown as tf.Tensor2D)).toThrow(ShapeMismatchError);
    tf.dispose([bad, r3]);
  });
});

describe('combineMasks', () => {
  it('ANDs with broadcasting, skips undefined, clones a single mask', () => {
    const c = causalMask(3, 3);
    const p = paddingMask([[0, 1, 1], [1, 1, 1]]);
    const m = combineMasks(undefined, c, p)!;
    expect(m.shape).toEqual([2, 1, 3, 3]);
    // row 0: causal AND key 0 padded
    expect(asInts(m)).toEqual([
      [[[0, 0, 0], [0, 1, 0], [0, 1, 1]]],
      [[[1, 0, 0], [1, 1, 0], [1, 1, 1]]],
    ]);
    const single = combineMasks(c)!;
    expect(single).not.toBe(c);
    expect(asInts(single)).toEqual(asInts(c));
    expect(combineMasks()).toBeUndefined();
    expect(combineMasks(undefined, undefined)).toBeUndefined();
    tf.dispose([c, p, m, single]);
  });

  it('rejects float masks and shapes that do not broadcast', () => {
    const c = causalMask(3, 3);
    const f = tf.zeros([3, 3]);
    const w = tf.ones([2, 2], 'bool');
    expect(() => combineMasks(c, f)).toThrow(/masks\[1\].*bool/);
    expect(() => combineMasks(c, w)).toThrow(ShapeMismatchError);
    tf.dispose([c, f, w]);
  });
});
