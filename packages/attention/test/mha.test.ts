// MultiHeadAttention parity with transformers' LlamaAttention (eager; GQA/MQA, attention_bias true/false) and
// incremental decoding through KVCache. Fixtures: tools/fixtures/gen_rope_mha.py -> test/fixtures/mha/mha.json.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { KVCache } from '../src/kv-cache.js';
import { MultiHeadAttention } from '../src/mha.js';
import { RotaryEmbedding, ropeConfigFromHf } from '../src/rope.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface MhaCase {
  name: string;
  config: Record<string, unknown> & { hidden_size: number; num_attention_heads: number; num_key_value_heads: number; head_dim: number; attention_bias: boolean };
  weights: Record<string, Encoded>;
  x: Encoded;
  full: Encoded;
  attentionMask: Encoded;
  positionIds: Encoded;
  padded: Encoded;
  prefill: number;
  incremental: Encoded;
}

const CASES = JSON.parse(readFileSync(new URL('./fixtures/mha/mha.json', import.meta.url), 'utf8')) as MhaCase[];
const t = (e: Encoded, dtype: 'float32' | 'int32' = 'float32') => tf.tensor(e.data, e.shape, dtype);
const worst = new Map<string, number>();

function check(label: string, actual: tf.Tensor, expected: tf.Tensor | Encoded, atol = 1e-5): void {
  const e = expected instanceof tf.Tensor ? expected : t(expected);
  expect(actual.shape).toEqual(e.shape);
  const diff = tf.max(tf.abs(tf.sub(actual, e))).dataSync()[0];
  worst.set(label, Math.max(worst.get(label) ?? 0, diff));
  expectClose(actual, e, { atol, label });
}

function build(c: MhaCase, extra: { fusedQkv?: boolean; memoryEfficient?: boolean | { chunkSize: number } } = {}): MultiHeadAttention {
  const cfg = c.config;
  const attn = new MultiHeadAttention({
    embedDim: cfg.hidden_size,
    nHeads: cfg.num_attention_heads,
    nKvHeads: cfg.num_key_value_heads,
    headDim: cfg.head_dim,
    bias: cfg.attention_bias,
    outBias: cfg.attention_bias,
    rope: new RotaryEmbedding(ropeConfigFromHf(cfg)),
    rng: createRng(0),
    ...extra,
  }).eval();
  tf.tidy(() => {
    const state = new Map(Object.entries(c.weights).map(([k, v]) => [k, t(v)]));
    if (extra.fusedQkv) {
      // qkv_proj = cat(q_proj, k_proj, v_proj) along the output dim
      for (const p of ['weight', 'bias']) {
        const parts = ['q_proj', 'k_proj', 'v_proj'].map((m) => state.get(`${m}.${p}`));
        if (parts[0]) state.set(`qkv_proj.${p}`, tf.concat(parts as tf.Tensor[], 0));
        for (const m of ['q_proj', 'k_proj', 'v_proj']) state.delete(`${m}.${p}`);
      }
    }
    attn.loadStateDict(state);
  });
  return attn;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

afterAll(() => {
  console.log(`mha max |ours - transformers|:\n${[...worst].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});

describe('MultiHeadAttention vs transformers LlamaAttention', () => {
  for (const c of CASES) {
    it(`${c.name}: parameter names equal transformers' state-dict keys`, () => {
      const attn = build(c);
      expect(attn.namedParameters().map(([n]) => n).sort()).toEqual(Object.keys(c.weights).sort());
      attn.dispose();
    });

    it(`${c.name}: full causal forward`, () => {
      const attn = build(c);
      tf.tidy(() => check(`${c.name} full`, attn.forward(t(c.x) as tf.Tensor3D), c.full));
      attn.dispose();
    });

    it(`${c.name}: left padding via attentionMask + positionIds (non-pad rows)`, () => {
      const attn = build(c);
      tf.tidy(() => {
        const mask = t(c.attentionMask, 'int32') as tf.Tensor2D;
        const out = attn.forward(t(c.x) as tf.Tensor3D, { attentionMask: mask, positionIds: t(c.positionIds, 'int32') });
        // Pad query rows see no key: HF averages over masked keys there, we output zeros before o_proj; compare the
        // rows whose token is real (attention_mask 1).
        const keep = tf.expandDims(tf.cast(mask, 'float32'), 2);
        check(`${c.name} padded`, tf.mul(out, keep), tf.mul(t(c.padded), keep));
        // Row 0 has no padding: identical to the unpadded forward.
        check(`${c.name} padded row 0`, tf.slice(out, [0, 0, 0], [1, -1, -1]), tf.slice(t(c.full), [0, 0, 0], [1, -1, -1]));
      });
      attn.dispose();
    });

    it(`${c.name}: prefill + 3 cached single-token steps equal transformers and full recomputation`, () => {
      for (const fusedQkv of [false, true]) {
        const attn = build(c, { fusedQkv });
        const cache = new KVCache({ nLayers: 1, maxLength: 16 });
        const x = t(c.x) as tf.Tensor3D;
        const [, T] = x.shape;
        const outs: tf.Tensor[] = [attn.forward(tf.slice(x, [0, 0, 0], [-1, c.prefill, -1]), { cache })];
        expect(cache.pastLength).toBe(c.prefill);
        const before = tf.memory().numTensors;
        for (let step = c.prefill; step < T; step++) {
          const xs = tf.slice(x, [0, step, 0], [-1, 1, -1]) as tf.Tensor3D;
          outs.push(attn.forward(xs, { cache }));
          xs.dispose();
          expect(cache.pastLength).toBe(step + 1);
        }
        // each step adds only its output tensor (the cache replaces its kept k/v)
        expect(tf.memory().numTensors - before).toBe(T - c.prefill);
        tf.tidy(() => {
          const incremental = tf.concat(outs, 1);
          check(`${c.name} incremental${fusedQkv ? ' (fused qkv)' : ''}`, incremental, c.incremental);
          check(`${c.name} incremental vs full${fusedQkv ? ' (fused qkv)' : ''}`, incremental, attn.forward(x));
        });
        tf.dispose([...outs, x]);
        cache.dispose();
        attn.dispose();
      }
    });
  }
});

describe('MultiHeadAttention behaviour', () => {
  const c = CASES[0];

  it('sliding window: cached decoding with a rolling cache equals a full windowed forward', () => {
    const rope = new RotaryEmbedding({ headDim: 8 });
    const attn = new MultiHeadAttention({ embedDim: 32, nHeads: 4, nKvHeads: 1, rope, slidingWindow: 3, rng: createRng(1) }).eval();
    const wide = new MultiHeadAttention({ embedDim: 32, nHeads: 4, nKvHeads: 1, rope, rng: createRng(1) }).eval();
    tf.tidy(() => {
      const x = tf.randomNormal([2, 9, 32], 0, 1, 'float32', 7) as tf.Tensor3D;
      const full = attn.forward(x);
      // the window changes the result once a query has more than 3 visible keys
      expect(tf.max(tf.abs(tf.sub(full, wide.forward(x)))).dataSync()[0]).toBeGreaterThan(1e-3);
      // the first 3 positions see the same keys with or without the window
      check('window first rows', tf.slice(full, [0, 0, 0], [-1, 3, -1]), tf.slice(wide.forward(x), [0, 0, 0], [-1, 3, -1]));
      const cache = new KVCache({ nLayers: 1, window: 3 });
      const outs = [attn.forward(tf.slice(x, [0, 0, 0], [-1, 4, -1]), { cache })];
      for (let s = 4; s < 9; s++) outs.push(attn.forward(tf.slice(x, [0, s, 0], [-1, 1, -1]), { cache }));
      expect(cache.storedLength()).toBe(3);
      check('window incremental vs full', tf.concat(outs, 1), full);
      // with an HF attention_mask over all 9 positions (rolling cache: columns sliced to the stored keys)
      cache.reset();
      const ones = tf.ones([2, 9], 'int32') as tf.Tensor2D;
      const outs2 = [attn.forward(tf.slice(x, [0, 0, 0], [-1, 5, -1]), { cache, attentionMask: tf.slice(ones, [0, 0], [-1, 5]) })];
      for (let s = 5; s < 9; s++) {
        outs2.push(attn.forward(tf.slice(x, [0, s, 0], [-1, 1, -1]), { cache, attentionMask: tf.slice(ones, [0, 0], [-1, s + 1]) }));
      }
      check('window incremental with attentionMask', tf.concat(outs2, 1), full);
      cache.dispose();
    });
    attn.dispose();
    wide.dispose();
  });

  it('memoryEfficient (chunked online softmax) matches transformers, also with a cache and padding', () => {
    for (const me of [{ chunkSize: 2 }, true] as const) {
      const attn = build(c, { memoryEfficient: me });
      tf.tidy(() => {
        const x = t(c.x) as tf.Tensor3D;
        check('memoryEfficient full', attn.forward(x), c.full);
        const mask = t(c.attentionMask, 'int32') as tf.Tensor2D;
        const keep = tf.expandDims(tf.cast(mask, 'float32'), 2);
        const padded = attn.forward(x, { attentionMask: mask, positionIds: t(c.positionIds, 'int32') });
        check('memoryEfficient padded', tf.mul(padded, keep), tf.mul(t(c.padded), keep));
        const cache = new KVCache({ nLayers: 1 });
        const outs = [attn.forward(tf.slice(x, [0, 0, 0], [-1, c.prefill, -1]), { cache })];
        for (let s = c.prefill; s < x.shape[1]; s++) outs.push(attn.forward(tf.slice(x, [0, s, 0], [-1, 1, -1]), { cache }));
        check('memoryEfficient incremental', tf.concat(outs, 1), c.incremental);
        cache.dispose();
      });
      attn.dispose();
    }
    const withDropout = new MultiHeadAttention({ embedDim: 32, nHeads: 4, dropout: 0.1, memoryEfficient: true, rng: createRng(0) });
    tf.tidy(() => {
      expect(() => withDropout.forward(tf.zeros([1, 2, 32]) as tf.Tensor3D)).toThrow(/dropout is not supported with memoryEfficient/);
      expect(withDropout.eval().forward(tf.zeros([1, 2, 32]) as tf.Tensor3D).shape).toEqual([1, 2, 32]);
    });
    withDropout.dispose();
    expect(() => new MultiHeadAttention({ embedDim: 32, nHeads: 4, memoryEfficient: { chunkSize: 0 } })).toThrow(/chunkSize/);
  });

  it('gradients flow to every parameter and to x; dropout is active only in training mode', () => {
    const attn = build(c);
    attn.train();
    tf.tidy(() => {
      const x = t(c.x);
      const { grads } = tf.variableGrads(() => tf.sum(tf.square(attn.forward(x as tf.Tensor3D))) as tf.Scalar, attn.parameters());
      for (const p of attn.parameters()) {
        expect(grads[p.name]).toBeDefined();
        expect(tf.max(tf.abs(grads[p.name])).dataSync()[0]).toBeGreaterThan(0);
      }
      const dx = tf.grad((xi: tf.Tensor) => tf.sum(attn.forward(xi as tf.Tensor3D)))(x);
      expect(dx.shape).toEqual(x.shape);
    });
    attn.dispose();
    const drop = new MultiHeadAttention({ embedDim: 32, nHeads: 4, dropout: 0.5, rng: createRng(3) });
    tf.tidy(() => {
      const x = tf.randomNormal([1, 4, 32], 0, 1, 'float32', 2) as tf.Tensor3D;
      const a = drop.forward(x);
      const b = drop.forward(x);
      expect(tf.max(tf.abs(tf.sub(a, b))).dataSync()[0]).toBeGreaterThan(0);
      drop.eval();
      expectClose(drop.forward(x), drop.forward(x), { atol: 0 });
    });
    drop.dispose();
  });

  it('keeps the tensor count flat across forward calls', () => {
    const attn = build(c);
    const cache = new KVCache({ nLayers: 1 });
    const x = t(c.x) as tf.Tensor3D;
    tf.dispose(attn.forward(x, { cache }));
    const before = tf.memory().numTensors;
    for (let i = 0; i < 20; i++) {
      tf.tidy(() => {
        attn.forward(tf.slice(x, [0, 0, 0], [-1, 1, -1]), { cache });
      });
    }
    expect(tf.memory().numTensors).toBe(before);
    tf.dispose(x);
    cache.dispose();
    attn.dispose();
  });

  it('validates options and inputs with typed errors', () => {
    expect(() => new MultiHeadAttention({ embedDim: 32, nHeads: 4, nKvHeads: 3 })).toThrow(/multiple of nKvHeads/);
    expect(() => new MultiHeadAttention({ embedDim: 30, nHeads: 4 })).toThrow(/headDim/);
    expect(() => new MultiHeadAttention({ embedDim: 32, nHeads: 4, rope: new RotaryEmbedding({ headDim: 4 }) })).toThrow(/rope.headDim/);
    expect(() => new MultiHeadAttention({ embedDim: 32, nHeads: 4, dropout: 1 })).toThrow(InvalidArgumentError);
    const attn = new MultiHeadAttention({ embedDim: 32, nHeads: 4, rng: createRng(0) });
    tf.tidy(() => {
      expect(() => attn.forward(tf.zeros([1, 2, 16]) as tf.Tensor3D)).toThrow(ShapeMismatchError);
      expect(() => attn.forward(tf.zeros([1, 2, 32]) as tf.Tensor3D, { attentionMask: tf.ones([1, 3]) as tf.Tensor2D })).toThrow(/pastLength \+ T = 2/);
      expect(() => attn.forward(tf.zeros([1, 2, 32]) as tf.Tensor3D, { cache: new KVCache({ nLayers: 1 }), layerIdx: 1 })).toThrow(/layerIdx/);
      expect(() => attn.forward(tf.zeros([1, 2, 32]) as tf.Tensor3D, { positionIds: tf.tensor1d([0, 1, 2], 'int32') })).toThrow(/positionIds/);
    });
    attn.dispose();
  });
});
