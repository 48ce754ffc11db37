// The few-kernel cached decoding step of the Llama family (src/architectures/llama-decode.ts) against
// the composed path (LlamaDecoderLayer.forward through MultiHeadAttention, llamaDecodeStrategy.fast =
// false) on the transformers fixtures and on random models covering GQA/MQA, biases, sliding windows,
// partial rotary, batches, beam reordering and non-plain Linear modules; plus the kernel count per
// token, the tensor count over many steps, and bad token ids.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { Linear, createRng, fusedDecodeAvailable, fusedDecodeKernels, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { KVCache } from '@llmkit/attention';
import { DecoderLM } from '../src/index.js';
import { llamaDecodeStrategy } from '../src/architectures/llama-decode.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/checkpoints/', import.meta.url));
const CASES = ['llama_gqa_untied_bf16', 'llama_tied_llama3_sharded', 'qwen2_bias_f16', 'mistral_window_f16'];
const models = new Map<string, DecoderLM>();

beforeAll(async () => {
  const info = await initBackend();
  expect(info.backend).toBe('wasm');
  for (const name of CASES) models.set(name, await DecoderLM.fromPretrained(join(FIXTURES, name)));
});
afterAll(() => {
  for (const m of models.values()) m.dispose();
});
afterEach(() => {
  llamaDecodeStrategy.fast = true;
  fusedDecodeKernels.enabled = true;
});

/** Prefill `prompt` rows, then feed `steps[t]` (one token per row) one at a time; logits of every step. */
function decode(lm: DecoderLM, prompt: number[][], steps: number[][], fast: boolean, cache: KVCache = lm.createCache()): { logits: number[][][]; cache: KVCache } {
  llamaDecodeStrategy.fast = fast;
  try {
    tf.tidy(() => lm.forward(prompt, { cache }));
    const logits = steps.map((ids) => tf.tidy(() => (lm.forward(ids.map((id) => [id]), { cache }).arraySync() as number[][][]).map((row) => row[0])));
    return { logits, cache };
  } finally {
    llamaDecodeStrategy.fast = true;
  }
}

function argmax(row: number[]): number {
  let best = 0;
  for (let i = 1; i < row.length; i++) if (row[i] > row[best]) best = i;
  return best;
}

describe.each(CASES)('%s fixture', (name) => {
  it('fast decode steps equal the composed path and the full forward (atol 1e-4)', () => {
    const lm = models.get(name)!;
    const ids = [5, 17, 88, 42, 3, 61, 12, 7, 95, 33, 20, 8];
    const steps = ids.slice(3).map((id) => [id]);
    const fast = decode(lm, [ids.slice(0, 3)], steps, true);
    const composed = decode(lm, [ids.slice(0, 3)], steps, false);
    expectClose(fast.logits, composed.logits, { atol: 1e-4, label: `${name} fast vs composed` });
    const full = tf.tidy(() => (lm.forward([ids]).arraySync() as number[][][])[0]);
    expectClose(fast.logits.map((s) => s[0]), full.slice(3), { atol: 1e-4, label: `${name} fast vs full forward` });
    expect(fast.cache.pastLength).toBe(ids.length);
    expect(fast.cache.storedLength(1)).toBe(composed.cache.storedLength(1));
    fast.cache.dispose();
    composed.cache.dispose();
  });

  it('greedy generation gives the same tokens on both paths', async () => {
    const lm = models.get(name)!;
    const run = async (fast: boolean) => {
      llamaDecodeStrategy.fast = fast;
      const tokens: number[] = [];
      for await (const chunk of lm.generate([1, 2, 3], { maxNewTokens: 20, config: { temperature: 0 } })) tokens.push(chunk.tokenId);
      return tokens;
    };
    expect(await run(true)).toEqual(await run(false));
  });
});

function randomLlama(extra: Record<string, unknown> = {}, seed = 0): DecoderLM {
  return DecoderLM.fromConfig(
    {
      model_type: 'llama',
      vocab_size: 97,
      hidden_size: 48,
      intermediate_size: 80,
      num_hidden_layers: 3,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      max_position_embeddings: 128,
      initializer_range: 0.1,
      ...extra,
    },
    { rng: createRng(seed) },
  );
}

describe('random models', () => {
  it.each([
    ['GQA', { model_type: 'llama' }],
    ['MQA with partial rotary and llama3 scaling', {
      num_key_value_heads: 1,
      partial_rotary_factor: 0.5,
      rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 32 },
    }],
    ['qwen2 biases', { model_type: 'qwen2', num_key_value_heads: 3 }],
    ['mistral window 5', { model_type: 'mistral', sliding_window: 5 }],
    ['mlp_bias + attention_bias + gelu', { attention_bias: true, mlp_bias: true, hidden_act: 'gelu' }],
  ])('%s: batch of 2 equals the composed path, also with the fused kernels off', (_, extra) => {
    const lm = randomLlama(extra as Record<string, unknown>);
    const prompt = [
      [4, 9, 33, 2],
      [70, 1, 5, 96],
    ];
    const steps = Array.from({ length: 14 }, (_, t) => [(t * 7 + 3) % 97, (t * 11 + 5) % 97]);
    const composed = decode(lm, prompt, steps, false);
    const fast = decode(lm, prompt, steps, true);
    expectClose(fast.logits, composed.logits, { atol: 2e-5, label: 'fast vs composed' });
    fusedDecodeKernels.enabled = false;
    const unfused = decode(lm, prompt, steps, true);
    expectClose(unfused.logits, composed.logits, { atol: 2e-5, label: 'fast path on composed ops vs composed' });
    for (const c of [composed, fast, unfused]) c.cache.dispose();
    lm.dispose();
  });

  it('a rolling cache (window) and a beam reorder behave as on the composed path', () => {
    const lm = randomLlama({ model_type: 'mistral', sliding_window: 4 }, 3);
    const run = (fast: boolean) => {
      const cache = new KVCache({ nLayers: 3, window: 4 });
      llamaDecodeStrategy.fast = fast;
      const out: number[][] = [];
      tf.tidy(() => lm.forward([[1, 2, 3], [4, 5, 6]], { cache }));
      for (let t = 0; t < 8; t++) {
        if (t === 3) cache.reorder([1, 1]);
        out.push(...tf.tidy(() => (lm.forward([[t + 10], [t + 20]], { cache }).arraySync() as number[][][]).map((r) => r[0])));
      }
      expect(cache.storedLength(0)).toBe(4);
      cache.dispose();
      return out;
    };
    expectClose(run(true), run(false), { atol: 2e-5 });
    lm.dispose();
  });

  it('runs a Linear subclass through its own forward', () => {
    class ScaledLinear extends Linear {
      override forward(x: tf.Tensor): tf.Tensor {
        return tf.tidy(() => tf.mul(super.forward(x), 0.5));
      }
    }
    const lm = randomLlama({}, 5);
    const layer = lm.getSubmodule('model.layers.1.self_attn') as unknown as { v_proj: Linear };
    const scaled = new ScaledLinear(48, 16, { bias: false });
    scaled.weight.assign(layer.v_proj.weight);
    layer.v_proj.dispose();
    layer.v_proj = scaled;
    const mlp = lm.getSubmodule('model.layers.0.mlp') as unknown as { up_proj: Linear };
    const up = new ScaledLinear(48, 80, { bias: false });
    up.weight.assign(mlp.up_proj.weight);
    mlp.up_proj.dispose();
    mlp.up_proj = up;
    const steps = Array.from({ length: 6 }, (_, t) => [t + 40]);
    const composed = decode(lm, [[3, 4, 5]], steps, false);
    const fast = decode(lm, [[3, 4, 5]], steps, true);
    expectClose(fast.logits, composed.logits, { atol: 2e-5 });
    // the subclass matters: a plain Linear with the same weights gives other logits
    const plain = new Linear(48, 16, { bias: false });
    plain.weight.assign(scaled.weight);
    layer.v_proj = plain;
    const unscaled = decode(lm, [[3, 4, 5]], steps, true);
    expect(Math.abs(unscaled.logits[5][0][0] - fast.logits[5][0][0])).toBeGreaterThan(1e-4);
    for (const c of [composed, fast, unscaled]) c.cache.dispose();
    scaled.dispose();
    lm.dispose();
  });

  it('one decode step runs at most 16 kernels per layer (the composed path: over 60)', async () => {
    const lm = randomLlama({}, 1);
    const count = async (fast: boolean) => {
      llamaDecodeStrategy.fast = fast;
      const cache = lm.createCache();
      tf.tidy(() => lm.forward([[1, 2, 3, 4]], { cache }));
      const info = await tf.profile(() => lm.forward([[5]], { cache }));
      info.result instanceof tf.Tensor ? info.result.dispose() : undefined;
      cache.dispose();
      return info.kernels.length;
    };
    const fast = await count(true);
    const composed = await count(false);
    // 3 layers: per layer q/k/v (1 call with core's SIMD matmul, 3 with another matmul path), rope,
    // 2 concat + 2 identity (KVCache.update), attention, o, add+norm, gate/up + SiLU gate (1 call, or
    // 3), down, add+norm; plus embedding, first norm, lm_head, reshape
    expect(composed).toBeGreaterThan(3 * 60);
    // without core's SIMD module (LLMKIT_WASM_SIMD=0) the fused ops run as composed tfjs ops
    if (fusedDecodeAvailable()) expect(fast).toBeLessThanOrEqual(3 * 16 + 5);
    else expect(fast).toBeLessThan(composed);
    lm.dispose();
  });

  it('keeps the tensor count flat over 60 steps and leaves none behind after dispose', async () => {
    const lm = randomLlama({}, 2);
    const step = lm.stepFn();
    const seq = [1, 2, 3];
    await step([seq]);
    const before = tf.memory().numTensors;
    for (let t = 0; t < 60; t++) {
      const [logits] = await step([seq]);
      seq.push(argmax(Array.from(logits)));
    }
    expect(tf.memory().numTensors).toBe(before);
    step.dispose();
    lm.dispose();
  });

  it('rejects a token id outside the vocabulary', () => {
    const lm = randomLlama({}, 4);
    const cache = lm.createCache();
    tf.tidy(() => lm.forward([[1, 2]], { cache }));
    expect(() => lm.forward([[97]], { cache })).toThrow(InvalidArgumentError);
    expect(cache.pastLength).toBe(2);
    cache.dispose();
    lm.dispose();
  });
});
