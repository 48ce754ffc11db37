// DecoderLM: construction from config, parameter names, forward validation,
// loss and lm-eval log-probs checked against values derived from the
// transformers logits of the GPT-2 fixture (tools/fixtures/gen_model_checkpoints.py).
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { computeGradients, createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { expectClose } from '@llmkit/core/testing';
import { DecoderLM } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/checkpoints/', import.meta.url));

const GPT2_TINY = { model_type: 'gpt2', vocab_size: 50, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 16 };
const LLAMA_TINY = {
  model_type: 'llama',
  vocab_size: 64,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 2,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  max_position_embeddings: 32,
};

interface LogitsFixture {
  inputIds: number[][];
  attentionMask: number[][];
  logits: number[][][];
}

/** log-softmax of one logits row (float64). */
function logSoftmaxRow(row: number[]): number[] {
  const max = Math.max(...row);
  const lse = max + Math.log(row.reduce((s, v) => s + Math.exp(v - max), 0));
  return row.map((v) => v - lse);
}

let gpt2: DecoderLM;
let fx: LogitsFixture;
beforeAll(async () => {
  await initBackend();
  gpt2 = await DecoderLM.fromPretrained(join(FIXTURES, 'gpt2'));
  fx = JSON.parse(await readFile(join(FIXTURES, 'gpt2', 'logits.json'), 'utf8')) as LogitsFixture;
});

describe('fromConfig', () => {
  it('GPT-2 parameter names are the transformers state-dict keys, lm_head tied', () => {
    const lm = DecoderLM.fromConfig(GPT2_TINY, { rng: createRng(0) });
    const names = lm.namedParameters().map(([n]) => n);
    expect(names.slice(0, 6)).toEqual([
      'transformer.wte.weight',
      'transformer.wpe.weight',
      'transformer.h.0.ln_1.weight',
      'transformer.h.0.ln_1.bias',
      'transformer.h.0.attn.c_attn.weight',
      'transformer.h.0.attn.c_attn.bias',
    ]);
    expect(names).not.toContain('lm_head.weight'); // tied: listed once, under the embedding
    expect(lm.stateDict().get('lm_head.weight')).toBe(lm.stateDict().get('transformer.wte.weight'));
    // HF GPT2LMHeadModel(n_embd 32, n_layer 2, n_inner 128 (default 4 * n_embd), vocab 50, n_positions 16):
    // wte 1600 + wpe 512 + 2 * (ln 64 + c_attn 3168 + c_proj 1056 + ln 64 + c_fc 4224 + c_proj 4128) + ln_f 64
    expect(lm.numParameters()).toBe(1600 + 512 + 2 * (64 + 3168 + 1056 + 64 + 4224 + 4128) + 64);
    expect(lm.training).toBe(false);
    lm.dispose();
  });

  it('Llama parameter names are the transformers keys; tie_word_embeddings shares one tensor', () => {
    const untied = DecoderLM.fromConfig(LLAMA_TINY, { rng: createRng(0) });
    const names = untied.namedParameters().map(([n]) => n);
    // LlamaForCausalLM.state_dict() order: embed, per layer self_attn q/k/v/o, mlp gate/up/down, the two norms; norm; lm_head
    expect(names.slice(0, 10)).toEqual([
      'model.embed_tokens.weight',
      'model.layers.0.self_attn.q_proj.weight',
      'model.layers.0.self_attn.k_proj.weight',
      'model.layers.0.self_attn.v_proj.weight',
      'model.layers.0.self_attn.o_proj.weight',
      'model.layers.0.mlp.gate_proj.weight',
      'model.layers.0.mlp.up_proj.weight',
      'model.layers.0.mlp.down_proj.weight',
      'model.layers.0.input_layernorm.weight',
      'model.layers.0.post_attention_layernorm.weight',
    ]);
    expect(names.slice(-2)).toEqual(['model.norm.weight', 'lm_head.weight']);
    // GQA: k_proj is [numKvHeads * headDim, hidden] = [16, 32]
    expect(untied.stateDict().get('model.layers.0.self_attn.k_proj.weight')!.shape).toEqual([16, 32]);
    const tied = DecoderLM.fromConfig({ ...LLAMA_TINY, tie_word_embeddings: true }, { rng: createRng(0) });
    expect(tied.namedParameters().map(([n]) => n)).not.toContain('lm_head.weight');
    expect(tied.numParameters()).toBe(untied.numParameters() - 64 * 32);
    const qwen = DecoderLM.fromConfig({ ...LLAMA_TINY, model_type: 'qwen2' }, { rng: createRng(0) });
    const qwenNames = qwen.namedParameters().map(([n]) => n);
    expect(qwenNames).toContain('model.layers.0.self_attn.q_proj.bias');
    expect(qwenNames).not.toContain('model.layers.0.self_attn.o_proj.bias');
    untied.dispose();
    tied.dispose();
    qwen.dispose();
  });

  it('the same seed gives the same weights; HF initialisation std 0.02', () => {
    const a = DecoderLM.fromConfig(GPT2_TINY, { rng: createRng(7) });
    const b = DecoderLM.fromConfig(GPT2_TINY, { rng: createRng(7) });
    const wa = Array.from(a.stateDict().get('transformer.h.0.attn.c_attn.weight')!.dataSync() as Float32Array);
    expect(wa).toEqual(Array.from(b.stateDict().get('transformer.h.0.attn.c_attn.weight')!.dataSync()));
    const std = Math.sqrt(wa.reduce((s: number, v: number) => s + v * v, 0) / wa.length);
    expect(std).toBeGreaterThan(0.018);
    expect(std).toBeLessThan(0.022);
    a.dispose();
    b.dispose();
  });

  it('accepts a parsed ModelConfig and rejects unknown model types with the supported list', () => {
    const lm = DecoderLM.fromConfig(GPT2_TINY, { rng: createRng(0) });
    const again = DecoderLM.fromConfig(lm.config, { rng: createRng(0) });
    expect(again.config.hiddenSize).toBe(32);
    expect(() => DecoderLM.fromConfig({ model_type: 'bert' })).toThrow(/supported: gpt2, llama, qwen2, mistral/);
    expect(() => DecoderLM.fromConfig({ model_type: 'bert' })).toThrow(InvalidArgumentError);
    lm.dispose();
    again.dispose();
  });
});

describe('forward', () => {
  it('validates ids, shapes and the attention mask', () => {
    expect(() => gpt2.forward([[1, 2], [3]])).toThrow(ShapeMismatchError);
    expect(() => gpt2.forward([[1.5]])).toThrow(InvalidArgumentError);
    expect(() => gpt2.forward([[1000]])).toThrow(InvalidArgumentError);
    expect(() => gpt2.forward([[1, 2]], { attentionMask: [[1, 1, 1]] })).toThrow(/attentionMask has shape \[1,3\] but must be \[1, 2\]/);
    const tooLong = Array.from({ length: 33 }, () => 1);
    expect(() => gpt2.forward([tooLong])).toThrow(/n_positions 32/);
  });

  it('keeps tf.memory flat', () => {
    gpt2.forward([[1, 2, 3]]).dispose();
    const before = tf.memory().numTensors;
    for (let i = 0; i < 5; i++) gpt2.forward([[1, 2, 3]], { attentionMask: [[0, 1, 1]] }).dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});

describe('save / stepFn validation', () => {
  it('rejects a bad dtype, maxShardBytes or directory', async () => {
    await expect(gpt2.save('/tmp/never', { dtype: 'F64' as never })).rejects.toThrow(/dtype must be 'F32', 'F16' or 'BF16'/);
    await expect(gpt2.save('/tmp/never', { maxShardBytes: -1 })).rejects.toThrow(/maxShardBytes must be a number > 0/);
    await expect(gpt2.save('')).rejects.toThrow(InvalidArgumentError);
  });

  it('rejects empty sequences and frees its cache on dispose', async () => {
    const step = gpt2.stepFn();
    await expect(step([])).rejects.toThrow(InvalidArgumentError);
    await expect(step([[]])).rejects.toThrow(InvalidArgumentError);
    await step([[1, 2, 3]]);
    expect(step.cache?.pastLength).toBe(3);
    step.dispose();
    expect(step.cache).toBeUndefined();
  });
});

describe('loss', () => {
  it('equals the mean next-token NLL from the transformers logits, with -100 and mask', () => {
    // targets[t] = ids[t + 1] for the full row 1; the last position is ignored (-100), position 0 masked.
    const ids = fx.inputIds[1];
    const targets = [...ids.slice(1), -100];
    const mask = [0, 1, 1, 1, 1, 1, 1, 1];
    // expected: mean over t in 1..6 of -log_softmax(logits[1][t])[ids[t+1]] (from transformers' logits)
    let sum = 0;
    for (let t = 1; t < 7; t++) sum -= logSoftmaxRow(fx.logits[1][t])[ids[t + 1]];
    const expected = sum / 6;
    const loss = tf.tidy(() =>
      gpt2
        .loss(tf.tensor2d([ids], undefined, 'int32'), tf.tensor2d([targets], undefined, 'int32'), tf.tensor2d([mask]))
        .arraySync(),
    );
    expect(Math.abs(loss - expected)).toBeLessThan(1e-4);
  });

  it.each([
    ['gpt2', GPT2_TINY, 50],
    ['llama', LLAMA_TINY, 64],
  ] as const)('%s is differentiable w.r.t. every parameter', (_, config, vocab) => {
    const lm = DecoderLM.fromConfig(config, { rng: createRng(1) });
    lm.train();
    const ids = tf.tensor2d([[1, 5, 9, 2]], undefined, 'int32');
    const targets = tf.tensor2d([[5, 9, 2, 3]], undefined, 'int32');
    const { loss, grads } = computeGradients(() => lm.loss(ids, targets), lm.trainableParameters());
    // near-uniform logits at HF initialisation (std 0.02): loss close to log(vocab)
    expect(Math.abs((loss.arraySync() as number) - Math.log(vocab))).toBeLessThan(0.5);
    expect(grads.size).toBe(lm.trainableParameters().length);
    for (const [name, g] of grads) {
      const norm = tf.tidy(() => tf.norm(g).arraySync() as number);
      expect(Number.isFinite(norm), name).toBe(true);
    }
    const gradWte = grads.get(config.model_type === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight')!;
    expect(tf.tidy(() => tf.norm(gradWte).arraySync() as number)).toBeGreaterThan(0);
    tf.dispose([loss, ids, targets, ...grads.values()]);
    lm.dispose();
  });

  it('rejects mismatched targets', () => {
    const ids = tf.tensor2d([[1, 2]], undefined, 'int32');
    const t = tf.tensor2d([[1, 2, 3]], undefined, 'int32');
    expect(() => gpt2.loss(ids, t)).toThrow(ShapeMismatchError);
    tf.dispose([ids, t]);
  });
});

describe('logprobs', () => {
  it('matches lm-eval loglikelihood computed from the transformers logits', async () => {
    // context = ids[0..4], continuation = ids[5..7]; token i of the continuation is scored by logits at position 4 + i
    const ids = fx.inputIds[1];
    const context = ids.slice(0, 5);
    const continuation = ids.slice(5);
    const expected = continuation.map((id, i) => logSoftmaxRow(fx.logits[1][4 + i])[id]);
    const greedy = continuation.every((id, i) => {
      const row = fx.logits[1][4 + i];
      return row.indexOf(Math.max(...row)) === id;
    });
    const out = await gpt2.logprobs(context, continuation);
    expectClose(out.tokenLogprobs, expected, { atol: 1e-4 });
    expect(Math.abs(out.logprob - expected.reduce((a, b) => a + b, 0))).toBeLessThan(3e-4);
    expect(out.isGreedy).toBe(greedy);
    // a greedy continuation is reported as such
    const argmax = fx.logits[1][4].indexOf(Math.max(...fx.logits[1][4]));
    expect((await gpt2.logprobs(context, [argmax])).isGreedy).toBe(true);
  });

  it('rejects empty inputs', async () => {
    await expect(gpt2.logprobs([], [1])).rejects.toThrow(/context must be a non-empty/);
    await expect(gpt2.logprobs([1], [])).rejects.toThrow(/continuation must be a non-empty/);
  });
});
