// clipGradNorm against torch.nn.utils.clip_grad_norm_, computeGradients and
// GradientAccumulator.
import { readFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import { tf } from '../src/tf.js';
import { InvalidArgumentError, NonFiniteError, ShapeMismatchError } from '../src/errors/index.js';
import { expectClose, maxRelativeError } from '../src/testing/index.js';
import { clipGradNorm, globalGradNorm } from '../src/optim/clip.js';
import { computeGradients, GradientAccumulator } from '../src/optim/gradients.js';

interface ClipCase {
  maxNorm: number;
  normType: number | 'inf';
  shapes: number[][];
  grads: number[][];
  norm: number;
  clipped: number[][];
}
const { cases } = JSON.parse(readFileSync(new URL('./fixtures/optim/clip.json', import.meta.url), 'utf8')) as { cases: ClipCase[] };

function gradMap(c: ClipCase): Map<string, tf.Tensor> {
  return new Map(c.grads.map((values, i) => [`p${i}`, tf.tensor(values, c.shapes[i], 'float32')]));
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('clipGradNorm', () => {
  beforeAll(async () => {
    await initBackend();
  });

  cases.forEach((c, index) => {
    it(`matches torch clip_grad_norm_ (case ${index}: maxNorm ${c.maxNorm}, normType ${c.normType})`, () => {
      const grads = gradMap(c);
      const before = [...grads.values()].map((g) => g.dataSync().slice());
      const normType = c.normType === 'inf' ? Infinity : c.normType;
      const result = clipGradNorm(grads, c.maxNorm, normType);
      // Float32 sums in a different order than PyTorch's: a few ulps.
      expect(maxRelativeError(result.norm, c.norm)).toBeLessThanOrEqual(1e-6);
      expect(maxRelativeError(globalGradNorm(grads, normType), c.norm)).toBeLessThanOrEqual(1e-6);
      [...result.grads.values()].forEach((g, i) => {
        expect(g).not.toBe(grads.get(`p${i}`));
        // Gradient elements are O(1) draws; floor 1e-3 keeps near-zero elements to an absolute 1e-9.
        expect(maxRelativeError(g, c.clipped[i], 1e-3)).toBeLessThanOrEqual(1e-6);
      });
      // Inputs untouched.
      [...grads.values()].forEach((g, i) => expectClose(g.dataSync(), before[i], { atol: 0 }));
      grads.forEach((g) => g.dispose());
      result.grads.forEach((g) => g.dispose());
    });
  });

  it('handles non-finite norms like PyTorch, and throws NonFiniteError when asked', () => {
    const grads = new Map([['a', tf.tensor([1, Infinity, 2])]]);
    const loose = clipGradNorm(grads, 1);
    expect(loose.norm).toBe(Infinity);
    loose.grads.forEach((g) => g.dispose());
    const error = caught(() => clipGradNorm(grads, 1, 2, { errorIfNonfinite: true }));
    expect(NonFiniteError.isInstance(error)).toBe(true);
    expect((error as NonFiniteError).code).toBe('non_finite');
    grads.forEach((g) => g.dispose());
  });

  it('returns norm 0 for no gradients and validates arguments', () => {
    expect(clipGradNorm(new Map(), 1)).toEqual({ grads: new Map(), norm: 0 });
    const grads = new Map([['a', tf.tensor([3, 4])]]);
    expect(InvalidArgumentError.isInstance(caught(() => clipGradNorm(grads, -1)))).toBe(true);
    expect(InvalidArgumentError.isInstance(caught(() => clipGradNorm(grads, 1, 0)))).toBe(true);
    expect(InvalidArgumentError.isInstance(caught(() => clipGradNorm(grads, Number.NaN)))).toBe(true);
    const { grads: out, norm } = clipGradNorm(grads, 1);
    expect(norm).toBeCloseTo(5, 5);
    expectClose(out.get('a')!, [0.6, 0.8], { atol: 1e-6 });
    out.forEach((g) => g.dispose());
    grads.forEach((g) => g.dispose());
  });
});

describe('computeGradients', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('returns the loss and gradients of trainable parameters, keyed by name', () => {
    const w = tf.variable(tf.tensor([1, 2, 3]));
    const b = tf.variable(tf.tensor([0.5]));
    const frozen = tf.variable(tf.tensor([7]), false);
    const unused = tf.variable(tf.tensor([1]));
    const params: Array<[string, tf.Variable]> = [
      ['w', w],
      ['b', b],
      ['frozen', frozen],
      ['unused', unused],
    ];
    const before = tf.memory().numTensors;
    const { loss, grads } = computeGradients(() => tf.sum(tf.add(tf.mul(tf.square(w), frozen), b)) as tf.Scalar, params);
    expect(loss.dataSync()[0]).toBeCloseTo(7 * 14 + 1.5, 4);
    expect([...grads.keys()].sort()).toEqual(['b', 'w']);
    expectClose(grads.get('w')!, [14, 28, 42], { atol: 1e-5 });
    expectClose(grads.get('b')!, [3], { atol: 1e-6 });
    loss.dispose();
    grads.forEach((g) => g.dispose());
    expect(tf.memory().numTensors).toBe(before);
    [w, b, frozen, unused].forEach((v) => v.dispose());
  });

  it('throws InvalidArgumentError when nothing is trainable or the loss is not a scalar', () => {
    const v = tf.variable(tf.tensor([1, 2]), false);
    expect(InvalidArgumentError.isInstance(caught(() => computeGradients(() => tf.sum(v) as tf.Scalar, [['v', v]])))).toBe(true);
    const t = tf.variable(tf.tensor([1, 2]));
    const error = caught(() => computeGradients(() => tf.mul(t, 2) as unknown as tf.Scalar, [['t', t]]));
    expect(InvalidArgumentError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('scalar');
    v.dispose();
    t.dispose();
  });
});

describe('GradientAccumulator', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('sums and averages over micro-batches, consuming its inputs', () => {
    const before = tf.memory().numTensors;
    const accumulator = new GradientAccumulator();
    const first = new Map([['a', tf.tensor([1, 2])], ['b', tf.tensor([10])]]);
    accumulator.add(first);
    accumulator.add(new Map([['a', tf.tensor([3, 4])]]));
    const kept = new Map([['a', tf.tensor([5, 6])], ['b', tf.tensor([20])]]);
    accumulator.add(kept, { disposeInputs: false });
    expect(kept.get('a')!.isDisposed).toBe(false);
    expect(first.get('a')!.isDisposed).toBe(true); // consumed by the default add
    expect(accumulator.microBatches).toBe(3);
    const sum = accumulator.sum();
    const average = accumulator.average();
    expectClose(sum.get('a')!, [9, 12], { atol: 0 });
    expectClose(sum.get('b')!, [30], { atol: 0 });
    expectClose(average.get('a')!, [3, 4], { atol: 1e-6 });
    expectClose(average.get('b')!, [10], { atol: 1e-6 });
    const error = caught(() => accumulator.add(new Map([['a', tf.tensor([1, 2, 3])]])));
    expect(ShapeMismatchError.isInstance(error)).toBe(true);
    accumulator.reset();
    expect(accumulator.microBatches).toBe(0);
    expect(InvalidArgumentError.isInstance(caught(() => accumulator.average()))).toBe(true);
    [sum, average, kept].forEach((m) => m.forEach((g) => g.dispose()));
    // The rejected [1, 2, 3] tensor was not consumed (add throws before changing anything).
    expect(tf.memory().numTensors).toBe(before + 1);
  });
});
