// RoPE parity with transformers 5 (ROPE_INIT_FUNCTIONS, PhiRotaryEmbedding, apply_rotary_pos_emb).
// Fixtures: tools/fixtures/gen_rope_mha.py -> test/fixtures/rope/rope.json.
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { RotaryEmbedding, applyRope, ropeConfigFromHf } from '../src/rope.js';

interface Encoded {
  shape: number[];
  data: number[];
}
interface RopeCase {
  name: string;
  config: Record<string, unknown>;
  headDim: number;
  rotaryDim: number;
  invFreq: Encoded;
  attentionFactor: number;
  usedInvFreq: Encoded;
  positions: number[][];
  cos: Encoded;
  sin: Encoded;
  q: Encoded;
  k: Encoded;
  qOut: Encoded;
  kOut: Encoded;
  upstream: Encoded;
  gradQ: Encoded;
}

const CASES = JSON.parse(readFileSync(new URL('./fixtures/rope/rope.json', import.meta.url), 'utf8')) as RopeCase[];
const t = (e: Encoded) => tf.tensor(e.data, e.shape, 'float32');
const worst = new Map<string, number>();

function check(label: string, actual: tf.Tensor | ArrayLike<number>, expected: Encoded | number[], atol: number): void {
  const a = actual instanceof tf.Tensor ? actual.dataSync() : actual;
  const e = Array.isArray(expected) ? expected : expected.data;
  if (actual instanceof tf.Tensor && !Array.isArray(expected)) expect(actual.shape).toEqual(expected.shape);
  let w = 0;
  for (let i = 0; i < e.length; i++) w = Math.max(w, Math.abs(a[i] - e[i]));
  worst.set(label, Math.max(worst.get(label) ?? 0, w));
  expectClose(a, e, { atol, label });
}

/** HF cos [B, T, rd] from our per-row tables. */
function cosSinBatch(rope: RotaryEmbedding, positions: number[][]): { cos: tf.Tensor3D; sin: tf.Tensor3D } {
  const seqLen = Math.max(...positions.flat()) + 1; // HF: max(position_ids) + 1 over the whole batch
  const rows = positions.map((p) => rope.cosSin(p, seqLen));
  const out = { cos: tf.stack(rows.map((r) => r.cos)) as tf.Tensor3D, sin: tf.stack(rows.map((r) => r.sin)) as tf.Tensor3D };
  rows.forEach((r) => tf.dispose([r.cos, r.sin]));
  return out;
}

beforeAll(async () => {
  await initBackend({ backend: 'wasm' });
});

afterAll(() => {
  console.log(`rope max |ours - transformers|:\n${[...worst].map(([k, v]) => `  ${k}: ${v.toExponential(2)}`).join('\n')}`);
});

describe('RotaryEmbedding vs transformers ROPE_INIT_FUNCTIONS', () => {
  for (const c of CASES) {
    it(`${c.name}: config parsing, inv_freq, attention factor, cos/sin`, () => {
      const config = ropeConfigFromHf(c.config);
      expect(config.headDim).toBe(c.headDim);
      expect(config.rotaryDim).toBe(c.rotaryDim);
      const rope = new RotaryEmbedding(config);
      check(`${c.name} invFreq`, rope.invFreq, c.invFreq, 1e-7);
      expect(rope.attentionScaling).toBeCloseTo(c.attentionFactor, 12);
      const seqLen = Math.max(...c.positions.flat()) + 1;
      check(`${c.name} used invFreq`, rope.invFreqFor(seqLen), c.usedInvFreq, 1e-7);
      tf.tidy(() => {
        const { cos, sin } = cosSinBatch(rope, c.positions);
        check(`${c.name} cos`, cos, c.cos, 1e-5);
        check(`${c.name} sin`, sin, c.sin, 1e-5);
      });
    });

    it(`${c.name}: q/k after apply_rotary_pos_emb and grad w.r.t. q`, () => {
      const rope = new RotaryEmbedding(ropeConfigFromHf(c.config));
      tf.tidy(() => {
        const { cos, sin } = cosSinBatch(rope, c.positions);
        check(`${c.name} q`, applyRope(t(c.q) as tf.Tensor4D, cos, sin), c.qOut, 1e-5);
        check(`${c.name} k`, applyRope(t(c.k) as tf.Tensor4D, cos, sin), c.kOut, 1e-5);
        if (c.positions.length === 1) {
          // [T, rd] and [B, 1, T, rd] layouts give the same result
          const { cos: c2, sin: s2 } = rope.cosSin(c.positions[0]);
          check(`${c.name} q (2-D cos)`, applyRope(t(c.q) as tf.Tensor4D, c2, s2), c.qOut, 1e-5);
          check(`${c.name} q (4-D cos)`, applyRope(t(c.q) as tf.Tensor4D, tf.expandDims(c2, 0).expandDims(0), tf.expandDims(s2, 0).expandDims(0)), c.qOut, 1e-5);
        }
        const up = t(c.upstream);
        const grad = tf.grad((q: tf.Tensor) => tf.sum(tf.mul(applyRope(q as tf.Tensor4D, cos, sin), up)))(t(c.q));
        check(`${c.name} dq`, grad, c.gradQ, 1e-4);
      });
    });
  }
});

describe('ropeConfigFromHf', () => {
  it('reads transformers-5 rope_parameters, legacy rope_scaling (type / rope_type) and top-level fields', () => {
    expect(ropeConfigFromHf({ hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 128 })).toEqual({
      headDim: 16, rotaryDim: 16, theta: 10000, maxPositionEmbeddings: 128, scaling: { ropeType: 'default' },
    });
    const llama31 = ropeConfigFromHf({
      hidden_size: 4096, num_attention_heads: 32, max_position_embeddings: 131072, rope_theta: 500000,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 8192 },
    });
    expect(llama31).toEqual({
      headDim: 128, rotaryDim: 128, theta: 500000, maxPositionEmbeddings: 131072,
      scaling: { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 },
    });
    const v5 = ropeConfigFromHf({
      hidden_size: 64, num_attention_heads: 4, head_dim: 32, max_position_embeddings: 4096,
      rope_parameters: { rope_type: 'yarn', rope_theta: 1e6, factor: 4, original_max_position_embeddings: 1024, truncate: false },
    });
    expect(v5.headDim).toBe(32);
    expect(v5.theta).toBe(1e6);
    expect(v5.scaling).toEqual({ ropeType: 'yarn', factor: 4, originalMaxPositionEmbeddings: 1024, truncate: false });
    // Phi-3 style top-level original_max_position_embeddings wins; yarn without factor defaults it from max/original.
    const phi3 = ropeConfigFromHf({
      hidden_size: 64, num_attention_heads: 4, max_position_embeddings: 512, original_max_position_embeddings: 128,
      rope_scaling: { type: 'yarn', original_max_position_embeddings: 64 },
    });
    expect(phi3.scaling?.originalMaxPositionEmbeddings).toBe(128);
    // factor = 512 / 128 = 4 -> attention factor 0.1 ln 4 + 1
    expect(new RotaryEmbedding(phi3).attentionScaling).toBeCloseTo(0.1 * Math.log(4) + 1, 12);
    // GPT-NeoX rotary_pct and GPT-J rotary_dim
    expect(ropeConfigFromHf({ hidden_size: 64, num_attention_heads: 2, rotary_pct: 0.25 }).rotaryDim).toBe(8);
    expect(ropeConfigFromHf({ n_embd: 64, n_head: 2, rotary_dim: 16 }).rotaryDim).toBe(16);
  });

  it('rejects unsupported rope types and malformed fields, naming them', () => {
    expect(() => ropeConfigFromHf({ head_dim: 8, rope_scaling: { rope_type: 'longrope' } })).toThrow(/longrope.*supported/);
    expect(() => ropeConfigFromHf({ head_dim: 8, rope_theta: 'big' })).toThrow(InvalidArgumentError);
    expect(() => ropeConfigFromHf({ hidden_size: 8 })).toThrow(/head_dim/);
    const perLayer = {
      head_dim: 8,
      rope_parameters: { full_attention: { rope_type: 'linear', factor: 8, rope_theta: 1e6 }, sliding_attention: { rope_type: 'default', rope_theta: 1e4 } },
    };
    expect(() => ropeConfigFromHf(perLayer)).toThrow(/layerType/);
    expect(ropeConfigFromHf(perLayer, { layerType: 'full_attention' }).scaling).toEqual({ ropeType: 'linear', factor: 8 });
    expect(ropeConfigFromHf(perLayer, { layerType: 'sliding_attention' }).theta).toBe(1e4);
    expect(() => ropeConfigFromHf(perLayer, { layerType: 'global' })).toThrow(/full_attention, sliding_attention/);
  });
});

describe('RotaryEmbedding / applyRope behaviour', () => {
  it('rotates each (i, i + rd/2) pair by position * invFreq[i] (hand-derived), preserving norms', () => {
    // headDim 4, theta 100: invFreq = [1, 100^(-1/2)] = [1, 0.1]. At position 2, pair (x0, x2) rotates by 2 rad and
    // pair (x1, x3) by 0.2 rad: out0 = x0 cos2 - x2 sin2, out2 = x2 cos2 + x0 sin2 (rotate_half puts -x2 first).
    const rope = new RotaryEmbedding({ headDim: 4, theta: 100 });
    expectClose(rope.invFreq, [1, 0.1], { atol: 1e-7 });
    tf.tidy(() => {
      const { cos, sin } = rope.cosSin([2]);
      const x = tf.tensor4d([1, 2, 3, 4], [1, 1, 1, 4]);
      const out = applyRope(x, cos, sin).dataSync();
      const [c2, s2, c02, s02] = [Math.cos(2), Math.sin(2), Math.cos(0.2), Math.sin(0.2)];
      expectClose(out, [1 * c2 - 3 * s2, 2 * c02 - 4 * s02, 3 * c2 + 1 * s2, 4 * c02 + 2 * s02], { atol: 1e-6 });
      expectClose(Math.hypot(...out), Math.hypot(1, 2, 3, 4), { atol: 1e-5 });
    });
  });

  it('partial rotary passes the trailing dims through untouched', () => {
    const rope = new RotaryEmbedding({ headDim: 6, rotaryDim: 2 });
    tf.tidy(() => {
      const { cos, sin } = rope.cosSin([5]);
      const out = applyRope(tf.tensor4d([1, 2, 3, 4, 5, 6], [1, 1, 1, 6]), cos, sin).dataSync();
      expectClose(Array.from(out).slice(2), [3, 4, 5, 6], { atol: 0 });
      expectClose(out[0], Math.cos(5) - 2 * Math.sin(5), { atol: 1e-6 });
    });
  });

  it('cosSin accepts a tensor of positions and leaks no tensors', () => {
    const rope = new RotaryEmbedding({ headDim: 8 });
    const before = tf.memory().numTensors;
    tf.tidy(() => {
      const a = rope.cosSin(tf.tensor1d([0, 3, 9], 'int32'));
      const b = rope.cosSin([0, 3, 9]);
      expectClose(a.cos, b.cos, { atol: 0 });
      expectClose(a.sin, b.sin, { atol: 0 });
    });
    expect(tf.memory().numTensors).toBe(before);
  });

  it('validates its inputs', () => {
    expect(() => new RotaryEmbedding({ headDim: 0 })).toThrow(InvalidArgumentError);
    expect(() => new RotaryEmbedding({ headDim: 8, rotaryDim: 3 })).toThrow(/rotaryDim/);
    expect(() => new RotaryEmbedding({ headDim: 8, scaling: { ropeType: 'linear' } })).toThrow(/factor/);
    expect(() => new RotaryEmbedding({ headDim: 8, scaling: { ropeType: 'dynamic', factor: 2 } })).toThrow(/maxPositionEmbeddings/);
    const rope = new RotaryEmbedding({ headDim: 8 });
    expect(() => rope.cosSin([0, -1])).toThrow(/non-negative/);
    tf.tidy(() => {
      const { cos, sin } = rope.cosSin([0, 1]);
      expect(() => applyRope(tf.zeros([1, 1, 3, 8]) as tf.Tensor4D, cos, sin)).toThrow(ShapeMismatchError);
      expect(() => applyRope(tf.zeros([1, 1, 2, 4]) as tf.Tensor4D, cos, sin)).toThrow(/rotary dim/);
      expect(() => applyRope(tf.zeros([1, 2, 8]) as unknown as tf.Tensor4D, cos, sin)).toThrow(/\[B, H, T, D\]/);
    });
  });
});
