// Optimizer API: parameter groups, skipping rules, errors, state dicts, and a
// 200-step leak check of the whole update path.
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../src/backend/init-backend.js';
import { tf } from '../src/tf.js';
import { CheckpointError, InvalidArgumentError, ShapeMismatchError } from '../src/errors/index.js';
import { expectClose } from '../src/testing/index.js';
import { AdamW } from '../src/optim/adamw.js';
import { Lion } from '../src/optim/lion.js';
import { SGD } from '../src/optim/sgd.js';
import { clipGradNorm } from '../src/optim/clip.js';
import { computeGradients, GradientAccumulator } from '../src/optim/gradients.js';
import { cosineWithWarmup } from '../src/optim/schedules.js';
import { paramGroupsWithoutDecay, type Optimizer, type OptimizerStateDict } from '../src/optim/optimizer.js';

type Named = Array<[string, tf.Variable]>;

function makeParams(seed = 1): Named {
  return [
    ['fc.weight', tf.variable(tf.randomNormal([4, 3], 0, 1, 'float32', seed))],
    ['fc.bias', tf.variable(tf.randomNormal([3], 0, 1, 'float32', seed + 1))],
    ['norm.weight', tf.variable(tf.ones([3]))],
  ];
}

function cloneParams(params: Named): Named {
  return params.map(([name, p]) => [name, tf.variable(p.clone(), p.trainable)]);
}

function disposeParams(params: Named): void {
  params.forEach(([, p]) => p.dispose());
}

function randomGrads(params: Named, seed: number): Map<string, tf.Tensor> {
  return new Map(params.map(([name, p], i) => [name, tf.randomNormal(p.shape, 0, 1, 'float32', seed * 31 + i)]));
}

function caught(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  return undefined;
}

const factories: Record<string, (params: Named) => Optimizer> = {
  AdamW: (params) => new AdamW(paramGroupsWithoutDecay(params, 0.1), { lr: 1e-2 }),
  'AdamW amsgrad': (params) => new AdamW(params, { lr: 1e-2, amsgrad: true }),
  Lion: (params) => new Lion(params, { lr: 1e-3, weightDecay: 0.1 }),
  SGD: (params) => new SGD(params, { lr: 0.05, momentum: 0.9, nesterov: true, weightDecay: 1e-3 }),
};

describe('optimizer API', () => {
  beforeAll(async () => {
    await initBackend();
  });

  it('has PyTorch defaults and group overrides', () => {
    const params = makeParams();
    const adamw = new AdamW(params);
    expect(adamw.paramGroups).toHaveLength(1);
    expect(adamw.paramGroups[0]).toMatchObject({ lr: 1e-3, initialLr: 1e-3, betas: [0.9, 0.999], eps: 1e-8, weightDecay: 1e-2, amsgrad: false });
    const lion = new Lion(params);
    expect(lion.paramGroups[0]).toMatchObject({ lr: 1e-4, betas: [0.9, 0.99], weightDecay: 0 });
    const sgd = new SGD(params);
    expect(sgd.paramGroups[0]).toMatchObject({ momentum: 0, dampening: 0, nesterov: false, weightDecay: 0 });

    const groups = paramGroupsWithoutDecay(params, 0.1);
    expect(groups.map((g) => [g.params.map(([n]) => n), g.weightDecay])).toEqual([
      [['fc.weight'], 0.1],
      [['fc.bias', 'norm.weight'], 0],
    ]);
    const custom = paramGroupsWithoutDecay(params, 0.1, (name) => name.startsWith('norm'));
    expect(custom.map((g) => g.params.length)).toEqual([2, 1]);

    const grouped = new AdamW([{ ...groups[0], lr: 5e-3, betas: [0.8, 0.9] }, groups[1]], { lr: 1e-3, weightDecay: 0.3 });
    expect(grouped.paramGroups[0]).toMatchObject({ lr: 5e-3, initialLr: 5e-3, betas: [0.8, 0.9], weightDecay: 0.1 });
    expect(grouped.paramGroups[1]).toMatchObject({ lr: 1e-3, betas: [0.9, 0.999], weightDecay: 0 });
    grouped.setLrMultiplier(0.5);
    expect(grouped.paramGroups.map((g) => g.lr)).toEqual([2.5e-3, 5e-4]);
    expect(grouped.paramGroups.map((g) => g.initialLr)).toEqual([5e-3, 1e-3]);
    disposeParams(params);
  });

  it('rejects bad arguments with InvalidArgumentError', () => {
    const params = makeParams();
    const bad: Array<[() => unknown, string]> = [
      [() => new AdamW([]), 'empty'],
      [() => new AdamW(params, { lr: -1 }), 'lr'],
      [() => new AdamW(params, { betas: [1, 0.9] }), 'betas'],
      [() => new AdamW(params, { eps: Number.NaN }), 'eps'],
      [() => new Lion(params, { weightDecay: -0.1 }), 'weightDecay'],
      [() => new SGD(params, { nesterov: true }), 'nesterov'],
      [() => new SGD(params, { momentum: 0.9, dampening: 0.1, nesterov: true }), 'nesterov'],
      [() => new SGD([...params, params[0]]), 'twice'],
      [() => new SGD([...params, ['alias', params[0][1]]]), 'same variable'],
      [() => new AdamW(params).setLrMultiplier(-1), 'multiplier'],
      [() => paramGroupsWithoutDecay(params, -1), 'weightDecay'],
    ];
    for (const [fn, text] of bad) {
      const error = caught(fn);
      expect(InvalidArgumentError.isInstance(error), text).toBe(true);
      expect((error as Error).message).toContain(text);
    }
    disposeParams(params);
  });

  it('skips frozen parameters, missing gradients and unknown names; rejects wrong shapes atomically', () => {
    const params = makeParams();
    params[2][1].trainable = false;
    const optimizer = new SGD(params, { lr: 0.1 });
    const before = params.map(([, p]) => p.dataSync().slice());
    const grads = new Map<string, tf.Tensor>([
      ['fc.weight', tf.onesLike(params[0][1])],
      ['norm.weight', tf.ones([3])],
      ['not.a.param', tf.ones([2])],
    ]);
    optimizer.step(grads);
    expectClose(params[0][1], Array.from(before[0], (v) => v - 0.1), { atol: 1e-6 });
    expectClose(params[1][1], before[1], { atol: 0 }); // no gradient
    expectClose(params[2][1], before[2], { atol: 0 }); // frozen
    expect(grads.get('fc.weight')!.isDisposed).toBe(false); // step reads, never disposes

    const after = params[0][1].dataSync().slice();
    const wrong = new Map<string, tf.Tensor>([
      ['fc.weight', tf.onesLike(params[0][1])],
      ['fc.bias', tf.ones([4])],
    ]);
    const error = caught(() => optimizer.step(wrong));
    expect(ShapeMismatchError.isInstance(error)).toBe(true);
    expect((error as Error).message).toContain('fc.bias');
    expectClose(params[0][1], after, { atol: 0 }); // nothing was updated
    expect(optimizer.stepCount).toBe(1);
    [grads, wrong].forEach((m) => m.forEach((g) => g.dispose()));
    optimizer.dispose();
    disposeParams(params);
  });

  for (const [label, factory] of Object.entries(factories)) {
    it(`${label}: stateDict / loadStateDict resumes exactly`, () => {
      const a = makeParams();
      const optimizerA = factory(a);
      for (let s = 0; s < 5; s++) {
        const grads = randomGrads(a, s);
        optimizerA.setLrMultiplier(1 - s * 0.1);
        optimizerA.step(grads);
        grads.forEach((g) => g.dispose());
      }
      const saved = optimizerA.stateDict();
      const meta = JSON.parse(JSON.stringify(saved.meta)) as OptimizerStateDict['meta'];
      expect(meta.type).toBe(optimizerA.name);
      expect(meta.stepCount).toBe(5);
      expect(meta.state['fc.weight'].step).toBe(5);
      const expectedKeys = {
        AdamW: ['exp_avg', 'exp_avg_sq'],
        'AdamW amsgrad': ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'],
        Lion: ['exp_avg'],
        SGD: ['momentum_buffer'],
      }[label]!;
      expect([...saved.tensors.keys()].sort()).toEqual(
        a.flatMap(([name]) => expectedKeys.map((k) => `state.${name}.${k}`)).sort(),
      );

      const b = cloneParams(a);
      const optimizerB = factory(b);
      optimizerB.loadStateDict({ tensors: saved.tensors, meta });
      saved.tensors.forEach((t) => t.dispose()); // loadStateDict copied them
      expect(optimizerB.stepCount).toBe(5);
      expect(optimizerB.paramGroups.map((g) => g.lr)).toEqual(optimizerA.paramGroups.map((g) => g.lr));
      for (let s = 5; s < 10; s++) {
        for (const [params, optimizer] of [[a, optimizerA], [b, optimizerB]] as const) {
          const grads = randomGrads(params, s);
          optimizer.step(grads);
          grads.forEach((g) => g.dispose());
        }
      }
      a.forEach(([, p], i) => expectClose(b[i][1], p, { atol: 0, label: a[i][0] }));
      [optimizerA, optimizerB].forEach((o) => o.dispose());
      disposeParams(a);
      disposeParams(b);
    });
  }

  it('loadStateDict rejects mismatching state with CheckpointError and changes nothing', () => {
    const params = makeParams();
    const optimizer = new AdamW(params);
    const grads = randomGrads(params, 3);
    optimizer.step(grads);
    const good = optimizer.stateDict();
    const withTensors = (edit: (m: Map<string, tf.Tensor>) => void): Map<string, tf.Tensor> => {
      const copy = new Map(good.tensors);
      edit(copy);
      return copy;
    };
    const wrongShape = tf.zeros([2, 2]);
    const extra = tf.zeros([3]);
    const cases: Array<[OptimizerStateDict, string]> = [
      [{ tensors: good.tensors, meta: { ...good.meta, type: 'SGD' } }, 'SGD'],
      [{ tensors: withTensors((m) => m.delete('state.fc.bias.exp_avg')), meta: good.meta }, 'state.fc.bias.exp_avg'],
      [{ tensors: withTensors((m) => m.set('state.fc.bias.exp_avg', wrongShape)), meta: good.meta }, 'shape'],
      [{ tensors: withTensors((m) => m.set('state.fc.bias.other', extra)), meta: good.meta }, 'unexpected'],
      [
        { tensors: good.tensors, meta: { ...good.meta, paramGroups: [{ ...good.meta.paramGroups[0], params: ['fc.weight', 'x', 'norm.weight'] }] } },
        'missing',
      ],
      [{ tensors: good.tensors, meta: { ...good.meta, state: { ...good.meta.state, ghost: { step: 1 } } } }, 'ghost'],
    ];
    const lr = optimizer.paramGroups[0].lr;
    const expAvgBefore = optimizer.stateDict();
    for (const [state, text] of cases) {
      const error = caught(() => optimizer.loadStateDict(state));
      expect(CheckpointError.isInstance(error), text).toBe(true);
      expect((error as CheckpointError).code).toBe('checkpoint');
      expect((error as Error).message).toContain(text);
    }
    expect(optimizer.paramGroups[0].lr).toBe(lr);
    const expAvgAfter = optimizer.stateDict();
    expectClose(expAvgAfter.tensors.get('state.fc.weight.exp_avg')!, expAvgBefore.tensors.get('state.fc.weight.exp_avg')!, { atol: 0 });
    [good.tensors, expAvgBefore.tensors, expAvgAfter.tensors, grads].forEach((m) => m.forEach((t) => t.dispose()));
    wrongShape.dispose();
    extra.dispose();
    optimizer.dispose();
    disposeParams(params);
  });

  it('SGD keeps its momentum buffer when the first gradient (its initial value) is disposed', () => {
    const p = tf.variable(tf.tensor([1, 2]));
    const optimizer = new SGD([['p', p]], { lr: 0.5, momentum: 0.5 });
    const g1 = tf.tensor([1, 1]);
    optimizer.step(new Map([['p', g1]]));
    g1.dispose();
    const g2 = tf.tensor([2, 0]);
    optimizer.step(new Map([['p', g2]]));
    g2.dispose();
    // buf = [1, 1], then 0.5 * buf + g2 = [2.5, 0.5]; p = [1, 2] - 0.5 * [1, 1] - 0.5 * [2.5, 0.5]
    expectClose(p, [-0.75, 1.25], { atol: 1e-6 });
    const state = optimizer.stateDict();
    expectClose(state.tensors.get('state.p.momentum_buffer')!, [2.5, 0.5], { atol: 1e-6 });
    state.tensors.forEach((t) => t.dispose());
    optimizer.dispose();
    p.dispose();
  });

  it('dispose frees the state buffers', () => {
    const params = makeParams();
    const optimizer = new Lion(params);
    const grads = randomGrads(params, 1);
    const before = tf.memory().numTensors;
    optimizer.step(grads);
    expect(tf.memory().numTensors).toBe(before + params.length);
    optimizer.dispose();
    expect(tf.memory().numTensors).toBe(before);
    grads.forEach((g) => g.dispose());
    disposeParams(params);
  });

  for (const [label, factory] of Object.entries(factories)) {
    it(`${label}: 200 steps with accumulation, clipping and a schedule leak no tensors`, () => {
      const params = makeParams(7);
      const optimizer = factory(params);
      const accumulator = new GradientAccumulator();
      const schedule = cosineWithWarmup({ warmupSteps: 10, totalSteps: 200 });
      const x = tf.randomNormal([8, 4], 0, 1, 'float32', 3);
      const target = tf.randomNormal([8, 3], 0, 1, 'float32', 4);
      const [w, b, g] = params.map(([, p]) => p);
      const lossFn = (): tf.Scalar =>
        tf.tidy(() => tf.mean(tf.square(tf.sub(tf.mul(tf.add(tf.matMul(x, w), b), g), target))) as tf.Scalar);
      let at10 = -1;
      let firstLoss = 0;
      let lastLoss = 0;
      for (let step = 0; step < 200; step++) {
        if (step === 10) at10 = tf.memory().numTensors;
        optimizer.setLrMultiplier(schedule(step));
        for (let micro = 0; micro < 2; micro++) {
          const { loss, grads } = computeGradients(lossFn, params);
          lastLoss = loss.dataSync()[0];
          if (step === 0 && micro === 0) firstLoss = lastLoss;
          loss.dispose();
          accumulator.add(grads);
        }
        const averaged = accumulator.average();
        accumulator.reset();
        const { grads } = clipGradNorm(averaged, 0.5);
        averaged.forEach((t) => t.dispose());
        optimizer.step(grads);
        grads.forEach((t) => t.dispose());
      }
      expect(tf.memory().numTensors).toBe(at10);
      expect(lastLoss).toBeLessThan(firstLoss);
      optimizer.dispose();
      accumulator.dispose();
      x.dispose();
      target.dispose();
      disposeParams(params);
    });
  }
});
