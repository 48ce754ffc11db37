// Behaviour of the nn layers beyond PyTorch parity: initialisation, dropout,
// module naming, state dicts, input validation and memory hygiene.
import { beforeAll, describe, expect, it } from 'vitest';
import { tf } from '../src/tf.js';
import { initBackend } from '../src/backend/init-backend.js';
import { expectClose } from '../src/testing/index.js';
import { InvalidArgumentError, LlmkitError, ShapeMismatchError, StateDictError } from '../src/errors/index.js';
import { createRng, manualSeed } from '../src/rng/rng.js';
import { Module } from '../src/nn/module.js';
import { Linear } from '../src/nn/linear.js';
import { Embedding } from '../src/nn/embedding.js';
import { LayerNorm } from '../src/nn/layer-norm.js';
import { RMSNorm } from '../src/nn/rms-norm.js';
import { Dropout } from '../src/nn/dropout.js';
import { crossEntropy, dropout, gelu, logSoftmax, silu, softmax } from '../src/nn/functional.js';

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

function stats(values: ArrayLike<number>): { mean: number; std: number; min: number; max: number } {
  let sum = 0;
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    sum += values[i];
    min = Math.min(min, values[i]);
    max = Math.max(max, values[i]);
  }
  const mean = sum / values.length;
  let sq = 0;
  for (let i = 0; i < values.length; i++) sq += (values[i] - mean) ** 2;
  return { mean, std: Math.sqrt(sq / values.length), min, max };
}

/** Assert `fn` throws an llmkit error with the stable `code` whose message contains every `parts`. */
function expectError(fn: () => unknown, code: ErrorCode, ...parts: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught, 'expected an error').toBeDefined();
  expect(LlmkitError.isInstance(caught), `expected an LlmkitError, got ${String(caught)}`).toBe(true);
  expect((caught as LlmkitError).code).toBe(code);
  for (const part of parts) expect((caught as Error).message).toContain(part);
}

type ErrorCode = 'invalid_argument' | 'shape_mismatch' | 'state_dict';
const INVALID: ErrorCode = new InvalidArgumentError('').code as ErrorCode;
const SHAPE: ErrorCode = new ShapeMismatchError('').code as ErrorCode;
const STATE_DICT: ErrorCode = new StateDictError('').code as ErrorCode;

describe('initialisation', () => {
  it('Linear: weight and bias uniform in [-1/sqrt(in), 1/sqrt(in)) like torch.nn.Linear', () => {
    const layer = new Linear(64, 128, { rng: createRng(1) });
    const bound = 1 / 8;
    expect(layer.weight.shape).toEqual([128, 64]);
    expect(layer.bias!.shape).toEqual([128]);
    const w = stats(layer.weight.dataSync());
    expect(w.min).toBeGreaterThanOrEqual(-bound);
    expect(w.max).toBeLessThan(bound);
    expect(w.min).toBeLessThan(-0.99 * bound); // fills the range
    expect(w.max).toBeGreaterThan(0.99 * bound);
    expect(Math.abs(w.mean)).toBeLessThan(0.005);
    expect(w.std).toBeCloseTo(bound / Math.sqrt(3), 3); // std of U(-b, b)
    const b = stats(layer.bias!.dataSync());
    expect(b.min).toBeGreaterThanOrEqual(-bound);
    expect(b.max).toBeLessThan(bound);
    layer.dispose();
  });

  it('Linear: deterministic given a seed, from the given Rng or the default one', () => {
    const a = new Linear(5, 3, { rng: createRng(7) });
    const b = new Linear(5, 3, { rng: createRng(7) });
    const c = new Linear(5, 3, { rng: createRng(8) });
    expectClose(a.weight, b.weight, { atol: 0 });
    expectClose(a.bias!, b.bias!, { atol: 0 });
    expect(Array.from(a.weight.dataSync())).not.toEqual(Array.from(c.weight.dataSync()));
    manualSeed(11);
    const d = new Linear(5, 3);
    manualSeed(11);
    const e = new Linear(5, 3);
    expectClose(d.weight, e.weight, { atol: 0 });
    expectClose(d.weight, new Linear(5, 3, { rng: createRng(11) }).weight, { atol: 0 });
    for (const m of [a, b, c, d, e]) m.dispose();
  });

  it('Linear without bias has only a weight', () => {
    const layer = new Linear(4, 2, { bias: false, rng: createRng(0) });
    expect(layer.bias).toBeNull();
    expect(layer.namedParameters().map(([n]) => n)).toEqual(['weight']);
    layer.dispose();
  });

  it('Embedding: N(0, 1) init, padding row zero, deterministic', () => {
    const emb = new Embedding(2000, 16, { rng: createRng(3), paddingIdx: 5 });
    const values = emb.weight.dataSync();
    const s = stats(values);
    expect(Math.abs(s.mean)).toBeLessThan(0.02);
    expect(Math.abs(s.std - 1)).toBeLessThan(0.02);
    expect(Array.from(values.slice(5 * 16, 6 * 16))).toEqual(new Array(16).fill(0));
    const again = new Embedding(2000, 16, { rng: createRng(3), paddingIdx: 5 });
    expectClose(emb.weight, again.weight, { atol: 0 });
    emb.dispose();
    again.dispose();
  });

  it('Embedding: a negative paddingIdx counts from the end', () => {
    const emb = new Embedding(10, 3, { paddingIdx: -1, rng: createRng(0) });
    expect(emb.paddingIdx).toBe(9);
    expect(Array.from(emb.weight.dataSync().slice(27))).toEqual([0, 0, 0]);
    emb.dispose();
  });

  it('LayerNorm and RMSNorm start as ones / zeros', () => {
    const ln = new LayerNorm([2, 3]);
    expect(ln.namedParameters().map(([n, p]) => [n, p.shape])).toEqual([['weight', [2, 3]], ['bias', [2, 3]]]);
    expectClose(ln.weight!, [1, 1, 1, 1, 1, 1], { atol: 0 });
    expectClose(ln.bias!, [0, 0, 0, 0, 0, 0], { atol: 0 });
    expect(new LayerNorm(4, { bias: false }).namedParameters().map(([n]) => n)).toEqual(['weight']);
    expect(new LayerNorm(4, { elementwiseAffine: false }).namedParameters()).toEqual([]);
    const rms = new RMSNorm(4);
    expect(rms.eps).toBe(1e-6);
    expectClose(rms.weight!, [1, 1, 1, 1], { atol: 0 });
    expect(new RMSNorm(4, { elementwiseAffine: false }).weight).toBeNull();
  });
});

describe('Dropout', () => {
  it('is reproducible given a seed and scales kept elements by 1/(1-p)', () => {
    const x = tf.ones([64, 64]);
    const a = new Dropout(0.25, { rng: createRng(42) }).forward(x);
    const b = new Dropout(0.25, { rng: createRng(42) }).forward(x);
    expectClose(a, b, { atol: 0 });
    const values = a.dataSync();
    let zeros = 0;
    for (const v of values) {
      if (v === 0) zeros++;
      else expect(v).toBeCloseTo(1 / 0.75, 6);
    }
    expect(zeros / values.length).toBeGreaterThan(0.22);
    expect(zeros / values.length).toBeLessThan(0.28);
    expect(stats(values).mean).toBeCloseTo(1, 1); // expectation preserved
    const c = new Dropout(0.25, { rng: createRng(43) }).forward(x);
    expect(Array.from(c.dataSync())).not.toEqual(Array.from(values));
    tf.dispose([x, a, b, c]);
  });

  it('draws from the default generator when no rng is given', () => {
    const x = tf.ones([10, 10]);
    manualSeed(9);
    const a = new Dropout(0.5).forward(x);
    manualSeed(9);
    const b = dropout(x, 0.5);
    expectClose(a, b, { atol: 0 });
    tf.dispose([x, a, b]);
  });

  it('is the identity in eval mode and for p = 0; p = 1 gives zeros', () => {
    const x = tf.randomNormal([3, 4]);
    const layer = new Dropout(0.5, { rng: createRng(0) });
    expect(layer.eval().forward(x)).toBe(x);
    expect(layer.train().training).toBe(true);
    expect(new Dropout(0).forward(x)).toBe(x);
    expect(dropout(x, 0.3, { training: false })).toBe(x);
    expectClose(new Dropout(1).forward(x), new Array(12).fill(0), { atol: 0 });
    x.dispose();
  });

  it('passes the gradient through the same mask', () => {
    const x = tf.randomNormal([5, 6]);
    const y = dropout(x, 0.5, { rng: createRng(1) });
    const grad = tf.grad((t: tf.Tensor) => tf.sum(dropout(t, 0.5, { rng: createRng(1) })))(x);
    // dy/dx is the mask value: 0 or 2, and 0 exactly where y is 0
    const g = grad.dataSync();
    const yv = y.dataSync();
    const xv = x.dataSync();
    for (let i = 0; i < g.length; i++) {
      expect([0, 2]).toContain(g[i]);
      expect(yv[i]).toBeCloseTo(xv[i] * g[i], 6);
    }
    tf.dispose([x, y, grad]);
  });

  it('validates p', () => {
    expectError(() => new Dropout(-0.1), INVALID, 'Dropout(p)', '-0.1');
    expectError(() => new Dropout(1.5), INVALID, 'Dropout(p)');
    expectError(() => dropout(tf.ones([2]), Number.NaN), INVALID, 'dropout: p');
  });
});

class Block extends Module {
  fc: Linear;
  norm: RMSNorm;
  drop = new Dropout(0.1);
  constructor(dim: number, seed: number) {
    super();
    this.fc = new Linear(dim, dim, { rng: createRng(seed) });
    this.norm = new RMSNorm(dim);
  }
  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => tf.add(x, this.drop.forward(silu(this.fc.forward(this.norm.forward(x))))));
  }
}

class TinyNet extends Module {
  embed: Embedding;
  blocks: Block[];
  head: Linear;
  constructor(seed: number) {
    super();
    this.embed = new Embedding(11, 4, { rng: createRng(seed), paddingIdx: 0 });
    this.blocks = [new Block(4, seed + 1), new Block(4, seed + 2)];
    this.head = new Linear(4, 11, { bias: false, rng: createRng(seed + 3) });
  }
  forward(ids: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      let x = this.embed.forward(ids);
      for (const block of this.blocks) x = block.forward(x);
      return this.head.forward(x);
    });
  }
}

describe('composite modules', () => {
  it('namedParameters gives dotted PyTorch-style names', () => {
    const net = new TinyNet(0);
    expect(net.namedParameters().map(([name, p]) => `${name} [${p.shape}]`)).toEqual([
      'embed.weight [11,4]',
      'blocks.0.fc.weight [4,4]',
      'blocks.0.fc.bias [4]',
      'blocks.0.norm.weight [4]',
      'blocks.1.fc.weight [4,4]',
      'blocks.1.fc.bias [4]',
      'blocks.1.norm.weight [4]',
      'head.weight [11,4]',
    ]);
    expect(net.numParameters()).toBe(44 + 2 * (16 + 4 + 4) + 44);
    expect(net.getSubmodule('blocks.1.fc')).toBe(net.blocks[1].fc);
    net.eval();
    expect(net.blocks[1].drop.training).toBe(false);
    net.dispose();
  });

  it('stateDict / loadStateDict round trip reproduces the outputs', () => {
    const a = new TinyNet(0).eval();
    const b = new TinyNet(100).eval();
    const ids = tf.tensor2d([[1, 2, 3], [4, 5, 10]], [2, 3], 'int32');
    const ya = a.forward(ids);
    const yb = b.forward(ids);
    expect(Math.max(...Array.from(tf.abs(tf.sub(ya, yb)).dataSync()))).toBeGreaterThan(1e-3);
    const result = b.loadStateDict(a.stateDict());
    expect(result).toEqual({ missingKeys: [], unexpectedKeys: [] });
    const yb2 = b.forward(ids);
    expectClose(yb2, ya, { atol: 0 });
    tf.dispose([ids, ya, yb, yb2]);
    a.dispose();
    b.dispose();
  });

  it('loadStateDict rejects a shape mismatch and missing keys', () => {
    const net = new TinyNet(0);
    const state = new Map(net.stateDict());
    const wrong = tf.zeros([4, 5]);
    state.set('blocks.1.fc.weight', wrong);
    expectError(() => net.loadStateDict(state), SHAPE, 'blocks.1.fc.weight', '[4,5]', '[4,4]');
    state.delete('blocks.1.fc.weight');
    expectError(() => net.loadStateDict(state), STATE_DICT, 'blocks.1.fc.weight');
    wrong.dispose();
    net.dispose();
  });
});

describe('input validation', () => {
  it('Linear', () => {
    const layer = new Linear(4, 3, { rng: createRng(0) });
    expectError(() => layer.forward(tf.zeros([2, 5])), SHAPE, 'Linear(4, 3)', '[2,5]', 'inFeatures');
    expectError(() => layer.forward(tf.scalar(1)), SHAPE, 'Linear(4, 3)');
    expectError(() => layer.forward(tf.zeros([2, 4], 'int32')), INVALID, 'float32');
    expectError(() => new Linear(0, 3), INVALID, 'inFeatures', '0');
    expectError(() => new Linear(3, 2.5), INVALID, 'outFeatures');
    expect(layer.forward(tf.zeros([4])).shape).toEqual([3]);
    expect(layer.forward(tf.zeros([2, 3, 1, 4])).shape).toEqual([2, 3, 1, 3]);
    layer.dispose();
  });

  it('Embedding', () => {
    const emb = new Embedding(5, 2, { rng: createRng(0) });
    expectError(() => emb.forward(tf.tensor1d([1, 2])), INVALID, 'int32');
    expectError(() => emb.forward(tf.tensor1d([1, 5], 'int32')), INVALID, 'index 5', '[0, 5)');
    expectError(() => emb.forward(tf.tensor1d([-1], 'int32')), INVALID, 'index -1');
    expectError(() => new Embedding(5, 2, { paddingIdx: 5 }), INVALID, 'paddingIdx');
    expect(emb.forward(tf.zeros([2, 3, 4], 'int32')).shape).toEqual([2, 3, 4, 2]);
    expect(emb.forward(tf.scalar(3, 'int32')).shape).toEqual([2]);
    emb.dispose();
  });

  it('LayerNorm and RMSNorm', () => {
    expectError(() => new LayerNorm([3, 4]).forward(tf.zeros([2, 4, 3])), SHAPE, 'LayerNorm([3,4])', '[2,4,3]');
    expectError(() => new RMSNorm(8).forward(tf.zeros([2, 4])), SHAPE, 'RMSNorm([8])', '[2,4]');
    expectError(() => new LayerNorm(4, { eps: 0 }), INVALID, 'eps');
    expectError(() => new RMSNorm(4, { eps: -1 }), INVALID, 'eps');
    expectError(() => new LayerNorm([]), INVALID, 'normalizedShape');
    expectError(() => new RMSNorm(0), INVALID, 'normalizedShape');
  });

  it('functional ops', () => {
    const logits = tf.zeros([3, 4]);
    const targets = tf.tensor1d([0, 1, 2], 'int32');
    expectError(() => crossEntropy(logits, tf.tensor1d([0, 1], 'int32')), SHAPE, '[2]', '[3,4]', '[3]');
    expectError(() => crossEntropy(logits, tf.tensor1d([0, 1, 2])), INVALID, 'int32');
    expectError(() => crossEntropy(logits, tf.tensor1d([0, 4, 1], 'int32')), INVALID, 'index 4');
    expectError(() => crossEntropy(logits, targets, { reduction: 'avg' as 'mean' }), INVALID, 'reduction');
    expectError(() => crossEntropy(logits, targets, { labelSmoothing: 1.5 }), INVALID, 'labelSmoothing');
    expectError(() => gelu(logits, 'fast' as 'tanh'), INVALID, "'none' or 'tanh'");
    expectError(() => softmax(logits, 2), INVALID, 'dim 2');
    expectError(() => logSoftmax(tf.scalar(1)), INVALID, 'scalar');
    expectError(() => silu(tf.zeros([2], 'int32')), INVALID, 'float32');
    tf.dispose([logits, targets]);
  });
});

describe('crossEntropy edge cases', () => {
  it('all targets ignored: mean is NaN (as PyTorch), sum and none are 0', () => {
    const logits = tf.randomNormal([2, 3]);
    const targets = tf.tensor1d([-100, -100], 'int32');
    expect(Number.isNaN(crossEntropy(logits, targets).dataSync()[0])).toBe(true);
    expectClose(crossEntropy(logits, targets, { reduction: 'sum' }), 0, { atol: 0 });
    expectClose(crossEntropy(logits, targets, { reduction: 'none' }), [0, 0], { atol: 0 });
  });

  it('1-D logits with a scalar target, and stability for huge logits', () => {
    const loss = crossEntropy(tf.tensor1d([1000, 0, -1000]), tf.scalar(1, 'int32'));
    expectClose(loss, 1000, { atol: 1e-3 });
    const grad = tf.grad((x: tf.Tensor) => crossEntropy(x, tf.scalar(1, 'int32')))(tf.tensor1d([1000, 0, -1000]));
    expectClose(grad, [1, -1, 0], { atol: 1e-6 });
  });

  it('matches the definition -log softmax(x)[t] on a random batch', () => {
    const logits = tf.randomNormal([4, 6], 0, 3, 'float32', 5);
    const targets = tf.tensor1d([5, 0, 2, 3], 'int32');
    const logp = logSoftmax(logits).arraySync() as number[][];
    const expected = [5, 0, 2, 3].map((t, i) => -logp[i][t]);
    expectClose(crossEntropy(logits, targets, { reduction: 'none' }), expected, { atol: 1e-5 });
  });
});

describe('memory', () => {
  it('a training-style loop keeps tf.memory().numTensors flat', () => {
    const net = new TinyNet(0);
    const ids = tf.tensor2d([[1, 2, 3], [4, 0, 10]], [2, 3], 'int32');
    const targets = tf.tensor2d([[2, 3, 4], [0, -100, 1]], [2, 3], 'int32');
    const params = net.parameters();
    const step = () =>
      tf.tidy(() => {
        const { value, grads } = tf.variableGrads(
          () => crossEntropy(net.forward(ids), targets, { labelSmoothing: 0.1 }) as tf.Scalar,
          params,
        );
        for (const p of params) p.assign(tf.sub(p, tf.mul(grads[p.name], 0.01)));
        return value.dataSync()[0];
      });
    const first = step();
    const before = tf.memory().numTensors;
    let last = first;
    for (let i = 0; i < 20; i++) last = step();
    expect(tf.memory().numTensors).toBe(before);
    expect(last).toBeLessThan(first);
    tf.dispose([ids, targets]);
    net.dispose();
  });

  it('building and disposing a layer leaves no tensor and no byte behind (initial values are not leaked)', () => {
    // tf.variable(init) shares init's data: a layer that did not dispose its init tensor kept the whole
    // initial weight alive after dispose() (a DecoderLM leaked its full weight size per build).
    const builders: [string, () => Module][] = [
      ['Linear', () => new Linear(16, 8, { rng: createRng(0) })],
      ['Linear without bias', () => new Linear(16, 8, { bias: false, rng: createRng(0) })],
      ['Embedding', () => new Embedding(32, 8, { rng: createRng(0) })],
      ['LayerNorm', () => new LayerNorm(8)],
      ['RMSNorm', () => new RMSNorm(8)],
    ];
    for (const [name, build] of builders) {
      const before = tf.memory();
      const layer = build();
      expect(tf.memory().numTensors - before.numTensors, `${name}: live tensors = parameters`).toBe(layer.parameters().length);
      layer.dispose();
      const after = tf.memory();
      expect(after.numTensors - before.numTensors, `${name}: tensors left after dispose()`).toBe(0);
      expect(after.numBytes - before.numBytes, `${name}: bytes left after dispose()`).toBe(0);
    }
  });
});
