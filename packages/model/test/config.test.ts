// Config parsing: the config.json files transformers wrote for the fixtures,
// HF defaults for absent keys, and error messages that name the bad field.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { ARCHITECTURES, activationFn, getArchitecture, parseModelConfig, registerArchitecture } from '../src/index.js';

const FIXTURES = fileURLToPath(new URL('./fixtures/checkpoints/', import.meta.url));
const hfConfig = async (name: string) => JSON.parse(await readFile(join(FIXTURES, name, 'config.json'), 'utf8')) as Record<string, unknown>;

describe('parseModelConfig on transformers-written config.json', () => {
  it('gpt2', async () => {
    const hf = await hfConfig('gpt2');
    const c = parseModelConfig(hf);
    expect(c).toMatchObject({
      modelType: 'gpt2',
      vocabSize: 96,
      hiddenSize: 32,
      numLayers: 2,
      numHeads: 4,
      numKvHeads: 4,
      headDim: 8,
      intermediateSize: 32,
      maxPositionEmbeddings: 32,
      normEps: 1e-5,
      tieWordEmbeddings: true,
      attentionBias: true,
      mlpBias: true,
      hiddenAct: 'gelu_new',
      bosTokenId: 1,
      eosTokenId: 2,
    });
    expect(c.padTokenId).toBeUndefined();
    expect(c.hf).toMatchObject(hf);
  });

  it('llama with GQA and an untied head', async () => {
    const c = parseModelConfig(await hfConfig('llama_gqa_untied_bf16'));
    expect(c).toMatchObject({ modelType: 'llama', numHeads: 4, numKvHeads: 2, headDim: 8, intermediateSize: 32, tieWordEmbeddings: false, attentionBias: false, normEps: 1e-5, hiddenAct: 'silu' });
    expect(c.slidingWindow).toBeUndefined();
  });

  it('qwen2: q/k/v bias without o_proj bias; no window unless use_sliding_window', async () => {
    const hf = await hfConfig('qwen2_bias_f16');
    const c = parseModelConfig(hf);
    expect(c).toMatchObject({ modelType: 'qwen2', attentionBias: true, attentionOutputBias: false, tieWordEmbeddings: true, numKvHeads: 2, normEps: 1e-6 });
    expect(c.slidingWindow).toBeUndefined();
    expect(parseModelConfig({ ...hf, use_sliding_window: true, sliding_window: 16 }).slidingWindow).toBe(16);
  });

  it('mistral: sliding_window', async () => {
    const c = parseModelConfig(await hfConfig('mistral_window_f16'));
    expect(c).toMatchObject({ modelType: 'mistral', slidingWindow: 4, numKvHeads: 2, tieWordEmbeddings: false });
    expect(parseModelConfig({ ...(await hfConfig('mistral_window_f16')), sliding_window: null }).slidingWindow).toBeUndefined();
  });
});

describe('defaults and validation', () => {
  it('fills transformers defaults for absent keys and writes them into hf', () => {
    // GPT2Config(): n_inner None -> 4 * n_embd, layer_norm_epsilon 1e-5, activation gelu_new, tied
    const g = parseModelConfig({ model_type: 'gpt2', n_embd: 64, n_head: 4, n_layer: 1 });
    expect(g).toMatchObject({ intermediateSize: 256, vocabSize: 50257, maxPositionEmbeddings: 1024, normEps: 1e-5, tieWordEmbeddings: true, hiddenAct: 'gelu_new' });
    expect(g.hf).toMatchObject({ n_embd: 64, vocab_size: 50257, architectures: ['GPT2LMHeadModel'] });
    // LlamaConfig(): num_key_value_heads None -> num_attention_heads, rms_norm_eps 1e-6, untied, bos 1 eos 2
    const l = parseModelConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 8, num_hidden_layers: 1, intermediate_size: 128, vocab_size: 10 });
    expect(l).toMatchObject({ numKvHeads: 8, headDim: 8, normEps: 1e-6, tieWordEmbeddings: false, bosTokenId: 1, eosTokenId: 2 });
    expect(l.hf).toMatchObject({ num_key_value_heads: 8, head_dim: 8, architectures: ['LlamaForCausalLM'] });
    // explicit head_dim (Mistral / Qwen3 style) need not divide hidden_size
    expect(parseModelConfig({ model_type: 'mistral', hidden_size: 48, num_attention_heads: 4, head_dim: 16, num_key_value_heads: 2 }).headDim).toBe(16);
    // list-valued eos_token_id
    expect(parseModelConfig({ model_type: 'llama', eos_token_id: [2, 7] }).eosTokenId).toEqual([2, 7]);
  });

  it('names the bad field and the fix', () => {
    expect(() => parseModelConfig({ model_type: 'gpt2', n_embd: 30, n_head: 4 })).toThrow(/n_embd 30 must be divisible by n_head 4/);
    expect(() => parseModelConfig({ model_type: 'llama', num_attention_heads: 6, num_key_value_heads: 4, hidden_size: 24 })).toThrow(/multiple of num_key_value_heads 4/);
    expect(() => parseModelConfig({ model_type: 'llama', hidden_size: -3 })).toThrow(/"hidden_size" must be a positive integer/);
    expect(() => parseModelConfig({ model_type: 'llama', rms_norm_eps: 'small' })).toThrow(/"rms_norm_eps" must be a finite number > 0/);
    expect(() => parseModelConfig({ model_type: 'llama', hidden_act: 'mish' })).toThrow(/Unsupported activation "mish"; supported: gelu, gelu_new/);
    expect(() => parseModelConfig({ model_type: 'gpt2', reorder_and_upcast_attn: true })).toThrow(InvalidArgumentError);
    expect(() => parseModelConfig({ model_type: 't5' })).toThrow(/Unsupported model_type "t5"; supported: gpt2, llama, qwen2, mistral/);
    expect(() => parseModelConfig({})).toThrow(/Unsupported model_type undefined/);
    expect(() => parseModelConfig(null as unknown as Record<string, unknown>)).toThrow(InvalidArgumentError);
  });
});

describe('registry', () => {
  it('lists the built-in architectures and accepts new ones', () => {
    expect([...ARCHITECTURES.keys()].slice(0, 4)).toEqual(['gpt2', 'llama', 'qwen2', 'mistral']);
    expect(getArchitecture('qwen2').hfArchitecture).toBe('Qwen2ForCausalLM');
    const llama = getArchitecture('llama');
    registerArchitecture({ ...llama, modelType: 'my_llama', parseConfig: (hf) => ({ ...llama.parseConfig({ ...hf, model_type: 'llama' }), modelType: 'my_llama' }) });
    expect(parseModelConfig({ model_type: 'my_llama', hidden_size: 32, num_attention_heads: 4 }).modelType).toBe('my_llama');
    expect(() => registerArchitecture({ modelType: '' } as never)).toThrow(InvalidArgumentError);
  });

  it('activationFn covers the HF names', () => {
    expect(() => activationFn('gelu_pytorch_tanh')).not.toThrow();
    expect(() => activationFn('swish')).not.toThrow();
  });
});
