// KVCache behaviour. Expected values are derived by hand: keys are filled with their absolute position so
// every stored slice can be checked against the list of positions it should hold.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { KVCache } from '../src/kv-cache.js';

const B = 2;
const H = 2;
const D = 3;

/** k[b, h, t, d] = position(t) + 1000 b; v = -k. */
function kv(start: number, T: number, batch = B): { k: tf.Tensor4D; v: tf.Tensor4D } {
  const data: number[] = [];
  for (let b = 0; b < batch; b++) for (let h = 0; h < H; h++) for (let t = 0; t < T; t++) for (let d = 0; d < D; d++) data.push(start + t + 1000 * b);
  const k = tf.tensor4d(data, [batch, H, T, D]);
  return { k, v: tf.neg(k) as tf.Tensor4D };
}

/** The positions (+1000 b) a [B, H, T, D] tensor built by kv() holds, read from head 0, dim 0. */
function positionsOf(x: tf.Tensor4D): number[][] {
  const [b, , T] = x.shape;
  const arr = x.arraySync();
  return Array.from({ length: b }, (_, i) => Array.from({ length: T }, (_, t) => arr[i][0][t][0]));
}

const range = (a: number, b: number, plus = 0) => Array.from({ length: b - a }, (_, i) => a + i + plus);

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

describe('KVCache', () => {
  it('prefill then one-token steps return the concatenation; pastLength advances on the last layer', () => {
    const cache = new KVCache({ nLayers: 2 });
    tf.tidy(() => {
      const p = kv(0, 4);
      const out0 = cache.update(0, p.k, p.v);
      expect(cache.pastLength).toBe(0); // layer 1 not updated yet
      expect(positionsOf(out0.k)).toEqual([range(0, 4), range(0, 4, 1000)]);
      expectClose(out0.v, tf.neg(out0.k), { atol: 0 });
      cache.update(1, p.k, p.v);
      expect(cache.pastLength).toBe(4);
      for (let step = 4; step < 7; step++) {
        const s = kv(step, 1);
        const o = cache.update(0, s.k, s.v);
        cache.update(1, s.k, s.v);
        expect(o.k.shape).toEqual([B, H, step + 1, D]);
        expect(positionsOf(o.k)).toEqual([range(0, step + 1), range(0, step + 1, 1000)]);
      }
    });
    expect(cache.pastLength).toBe(7);
    expect(cache.storedLength(0)).toBe(7);
    expect(cache.firstStoredPosition(1)).toBe(0);
    cache.dispose();
  });

  it('keeps tensor count flat over 200 steps and frees everything on dispose', () => {
    const before = tf.memory().numTensors;
    const cache = new KVCache({ nLayers: 2, maxLength: 300 });
    const p = kv(0, 5);
    const a = cache.update(0, p.k, p.v);
    const b = cache.update(1, p.k, p.v);
    tf.dispose([a.k, a.v, b.k, b.v, p.k, p.v]);
    const afterPrefill = tf.memory().numTensors;
    for (let step = 0; step < 200; step++) {
      tf.tidy(() => {
        const s = kv(5 + step, 1);
        cache.update(0, s.k, s.v);
        cache.update(1, s.k, s.v);
      });
      expect(tf.memory().numTensors).toBe(afterPrefill);
    }
    expect(cache.pastLength).toBe(205);
    expect(afterPrefill - before).toBe(4); // 2 layers x (k, v) stored
    cache.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });

  it('throws InvalidArgumentError naming maxLength (and the fix) when it would be exceeded', () => {
    const cache = new KVCache({ nLayers: 1, maxLength: 4 });
    tf.tidy(() => {
      const p = kv(0, 3);
      cache.update(0, p.k, p.v);
      const s = kv(3, 2);
      let err: unknown;
      try {
        cache.update(0, s.k, s.v);
      } catch (e) {
        err = e;
      }
      expect(InvalidArgumentError.isInstance(err)).toBe(true);
      expect((err as Error).message).toMatch(/maxLength 4.*larger maxLength/);
      // the failed update changed nothing
      expect(cache.pastLength).toBe(3);
      const one = kv(3, 1);
      expect(cache.update(0, one.k, one.v).k.shape[2]).toBe(4);
    });
    cache.dispose();
  });

  it('rolling window keeps the last `window` positions and tracks the absolute first position', () => {
    const cache = new KVCache({ nLayers: 1, window: 4 });
    tf.tidy(() => {
      const p = kv(0, 6);
      // A prefill longer than the window returns every position (queries need their own windows) ...
      expect(positionsOf(cache.update(0, p.k, p.v).k)[0]).toEqual(range(0, 6));
      // ... but keeps only the last 4.
      expect(cache.storedLength()).toBe(4);
      expect(cache.firstStoredPosition()).toBe(2);
      expect(cache.pastLength).toBe(6);
      for (let step = 6; step < 30; step++) {
        const first = cache.firstStoredPosition();
        const s = kv(step, 1);
        const out = cache.update(0, s.k, s.v);
        // returned keys start at the first position stored before the call
        expect(positionsOf(out.k)[1]).toEqual(range(first, step + 1, 1000));
        expect(cache.storedLength()).toBe(4);
        expect(cache.firstStoredPosition()).toBe(step - 3);
      }
      const stored = cache.get(0)!;
      expect(positionsOf(stored.k)[0]).toEqual(range(26, 30));
      expect(positionsOf(stored.v)[0]).toEqual(range(26, 30).map((x) => -x));
    });
    expect(cache.pastLength).toBe(30);
    cache.dispose();
  });

  it('reorder gathers batch rows in every layer (beam search) and may change the batch size', () => {
    const cache = new KVCache({ nLayers: 2 });
    tf.tidy(() => {
      const p = kv(0, 3);
      cache.update(0, p.k, p.v);
      cache.update(1, p.k, p.v);
      cache.reorder([1, 1, 0]);
      for (const layer of [0, 1]) {
        expect(positionsOf(cache.get(layer)!.k)).toEqual([range(0, 3, 1000), range(0, 3, 1000), range(0, 3)]);
      }
      const s = kv(3, 1, 3);
      expect(cache.update(0, s.k, s.v).k.shape).toEqual([3, H, 4, D]);
      expect(() => cache.reorder([0, 3])).toThrow(/indices\[1\] = 3/);
    });
    cache.dispose();
  });

  it('crop drops positions after `length` (negative counts from the end); reset empties the cache', () => {
    const cache = new KVCache({ nLayers: 2, maxLength: 10 });
    tf.tidy(() => {
      const p = kv(0, 8);
      cache.update(0, p.k, p.v);
      cache.update(1, p.k, p.v);
      cache.crop(5);
      expect(cache.pastLength).toBe(5);
      expect(positionsOf(cache.get(1)!.k)[0]).toEqual(range(0, 5));
      cache.crop(-2);
      expect(cache.pastLength).toBe(3);
      expect(cache.storedLength(0)).toBe(3);
      const s = kv(3, 1);
      expect(positionsOf(cache.update(0, s.k, s.v).k)[0]).toEqual(range(0, 4));
      cache.update(1, s.k, s.v);
      expect(() => cache.crop(-9)).toThrow(InvalidArgumentError);
      cache.reset();
      expect(cache.pastLength).toBe(0);
      expect(cache.storedLength(0)).toBe(0);
      expect(cache.get(0)).toBeNull();
      const again = kv(0, 2);
      expect(cache.update(0, again.k, again.v).k.shape[2]).toBe(2);
    });
    cache.dispose();
  });

  it('crop on a rolling cache cannot reach before the first stored position', () => {
    const cache = new KVCache({ nLayers: 1, window: 3 });
    tf.tidy(() => {
      const p = kv(0, 6);
      cache.update(0, p.k, p.v);
      cache.crop(4); // keeps positions 3..3
      expect(cache.storedLength()).toBe(1);
      expect(cache.firstStoredPosition()).toBe(3);
      expect(() => cache.crop(2)).toThrow(/only holds positions from 3/);
    });
    cache.dispose();
  });

  it('validates arguments with typed errors', () => {
    expect(() => new KVCache({ nLayers: 0 })).toThrow(/nLayers/);
    expect(() => new KVCache({ nLayers: 1, window: -1 })).toThrow(/window/);
    const cache = new KVCache({ nLayers: 1 });
    tf.tidy(() => {
      const p = kv(0, 2);
      expect(() => cache.update(1, p.k, p.v)).toThrow(/layer must be an integer in \[0, 0\]/);
      expect(() => cache.update(0, p.k, tf.zeros([B, H, 3, D]) as tf.Tensor4D)).toThrow(ShapeMismatchError);
      cache.update(0, p.k, p.v);
      expect(() => cache.update(0, tf.zeros([B, H + 1, 1, D]) as tf.Tensor4D, tf.zeros([B, H + 1, 1, D]) as tf.Tensor4D)).toThrow(/reset\(\)/);
    });
    cache.dispose();
    expect(() => cache.update(0, tf.zeros([1, 1, 1, 1]) as tf.Tensor4D, tf.zeros([1, 1, 1, 1]) as tf.Tensor4D)).toThrow(/disposed/);
  });
});
