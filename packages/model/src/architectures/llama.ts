/**
 * Llama family (transformers' `LlamaForCausalLM`, `Qwen2ForCausalLM`,
 * `MistralForCausalLM`): RMSNorm pre-norm blocks, SwiGLU MLP, rotary
 * positions, grouped-query attention from @llmkit/attention's
 * `MultiHeadAttention` (fields q_proj/k_proj/v_proj/o_proj), optional tied
 * LM head. Qwen2 adds q/k/v biases; Mistral (and Qwen2 with
 * `use_sliding_window`) a sliding attention window.
 */
import { Embedding, Linear, Module, RMSNorm, tf, type Rng, getDefaultRng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { MultiHeadAttention, RotaryEmbedding, applyRope, combineMasks, paddingMask, ropeConfigFromHf, scaledDotProductAttention } from '@llmkit/attention';
import { ConfigReader, activationFn, checkHeads, compactConfig, type ModelConfig } from '../config.js';
import { canDecodeFast, llamaDecodeStep } from './llama-decode.js';
import { DecoderBody, initLikeHf, segmentCausalMask, type Architecture, type DecoderBodyForwardOptions } from './base.js';

/**
 * `LlamaMLP`: down_proj(act(gate_proj(x)) * up_proj(x)).
 * @example
 * const mlp = DecoderLM.fromConfig(llamaConfig).getSubmodule('model.layers.0.mlp') as LlamaMLP;
 */
export class LlamaMLP extends Module {
  gate_proj: Linear;
  up_proj: Linear;
  down_proj: Linear;
  /** HF hidden_act (`silu` for Llama). */
  readonly hiddenAct: string;
  private readonly _act: (x: tf.Tensor) => tf.Tensor;

  constructor(config: ModelConfig, rng: Rng) {
    super();
    this.hiddenAct = config.hiddenAct;
    const bias = config.mlpBias;
    this.gate_proj = new Linear(config.hiddenSize, config.intermediateSize, { bias, rng });
    this.up_proj = new Linear(config.hiddenSize, config.intermediateSize, { bias, rng });
    this.down_proj = new Linear(config.intermediateSize, config.hiddenSize, { bias, rng });
    this._act = activationFn(config.hiddenAct);
  }

  /** The activation of `hiddenAct`. */
  act(x: tf.Tensor): tf.Tensor {
    return this._act(x);
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => this.down_proj.forward(tf.mul(this._act(this.gate_proj.forward(x)), this.up_proj.forward(x))));
  }
}

/**
 * Self-attention of packed sequences (no cache): `attn`'s projections and rotary embedding at
 * `options.positionIds`, attention restricted by {@link segmentCausalMask} (and the padding mask).
 * The same computation as `MultiHeadAttention.forward` with a [B, 1, T, T] mask, which that
 * method's 2-D `attentionMask` cannot express.
 */
function packedSelfAttention(attn: MultiHeadAttention, x: tf.Tensor3D, options: DecoderBodyForwardOptions): tf.Tensor3D {
  return tf.tidy(() => {
    const [B, T] = x.shape;
    const H = attn.nHeads;
    const Hkv = attn.nKvHeads;
    const D = attn.headDim;
    const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, T, n, D]), [0, 2, 1, 3]) as tf.Tensor4D;
    let q: tf.Tensor4D;
    let k: tf.Tensor4D;
    let v: tf.Tensor4D;
    if (attn.qkv_proj) {
      const [qf, kf, vf] = tf.split(attn.qkv_proj.forward(x), [H * D, Hkv * D, Hkv * D], 2);
      [q, k, v] = [heads(qf, H), heads(kf, Hkv), heads(vf, Hkv)];
    } else {
      q = heads(attn.q_proj!.forward(x), H);
      k = heads(attn.k_proj!.forward(x), Hkv);
      v = heads(attn.v_proj!.forward(x), Hkv);
    }
    if (attn.rope) {
      const rows: number[][] = options.positionIds
        ? (options.positionIds.arraySync() as number[][])
        : Array.from({ length: B }, () => Array.from({ length: T }, (_, i) => i));
      let max = 0;
      for (const row of rows) for (const p of row) max = Math.max(max, p);
      const tables = rows.map((row) => attn.rope!.cosSin(row, max + 1));
      const cos = tf.stack(tables.map((t) => t.cos));
      const sin = tf.stack(tables.map((t) => t.sin));
      q = applyRope(q, cos, sin);
      k = applyRope(k, cos, sin);
    }
    const mask = combineMasks(
      segmentCausalMask(options.segmentIds!, attn.slidingWindow),
      options.attentionMask ? paddingMask(options.attentionMask) : undefined,
    );
    const p = attn.training ? attn.dropoutP : 0;
    const attended = scaledDotProductAttention(q, k, v, { mask, enableGqa: Hkv !== H, dropout: p });
    const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B, T, H * D]);
    return attn.o_proj.forward(merged) as tf.Tensor3D;
  });
}

/**
 * `LlamaDecoderLayer`: self_attn, mlp, input_layernorm, post_attention_layernorm (HF field order).
 * @example
 * const layer = DecoderLM.fromConfig(llamaConfig).getSubmodule('model.layers.0') as LlamaDecoderLayer;
 */
export class LlamaDecoderLayer extends Module {
  self_attn: MultiHeadAttention;
  mlp: LlamaMLP;
  input_layernorm: RMSNorm;
  post_attention_layernorm: RMSNorm;

  constructor(config: ModelConfig, rope: RotaryEmbedding, rng: Rng) {
    super();
    const dropout = config.hf.attention_dropout;
    this.self_attn = new MultiHeadAttention({
      embedDim: config.hiddenSize,
      nHeads: config.numHeads,
      nKvHeads: config.numKvHeads,
      headDim: config.headDim,
      bias: config.attentionBias,
      outBias: config.attentionOutputBias,
      rope,
      ...(config.slidingWindow !== undefined ? { slidingWindow: config.slidingWindow } : {}),
      ...(typeof dropout === 'number' && dropout > 0 ? { dropout } : {}),
      rng,
    });
    this.mlp = new LlamaMLP(config, rng);
    this.input_layernorm = new RMSNorm(config.hiddenSize, { eps: config.normEps });
    this.post_attention_layernorm = new RMSNorm(config.hiddenSize, { eps: config.normEps });
  }

  forward(x: tf.Tensor3D, layerIdx: number, options: DecoderBodyForwardOptions): tf.Tensor3D {
    return tf.tidy(() => {
      const normed = this.input_layernorm.forward(x) as tf.Tensor3D;
      const attn = options.segmentIds
        ? packedSelfAttention(this.self_attn, normed, options)
        : this.self_attn.forward(normed, {
            layerIdx,
            ...(options.cache ? { cache: options.cache } : {}),
            ...(options.attentionMask ? { attentionMask: options.attentionMask } : {}),
            ...(options.positionIds ? { positionIds: options.positionIds } : {}),
          });
      const h = tf.add(x, attn);
      return tf.add(h, this.mlp.forward(this.post_attention_layernorm.forward(h))) as tf.Tensor3D;
    });
  }
}

/**
 * The trunk (`LlamaModel`): embed_tokens, layers.*, norm; the rotary embedding is shared by every layer.
 * @example
 * const trunk = DecoderLM.fromConfig(llamaConfig).getSubmodule('model') as LlamaModel;
 */
export class LlamaModel extends Module {
  embed_tokens: Embedding;
  layers: LlamaDecoderLayer[];
  norm: RMSNorm;
  private readonly _rope: RotaryEmbedding;

  constructor(config: ModelConfig, rng: Rng) {
    super();
    this.embed_tokens = new Embedding(config.vocabSize, config.hiddenSize, {
      rng,
      ...(config.padTokenId !== undefined && config.padTokenId < config.vocabSize ? { paddingIdx: config.padTokenId } : {}),
    });
    this._rope = new RotaryEmbedding(ropeConfigFromHf(config.hf));
    this.layers = Array.from({ length: config.numLayers }, () => new LlamaDecoderLayer(config, this._rope, rng));
    this.norm = new RMSNorm(config.hiddenSize, { eps: config.normEps });
  }

  /** @returns hidden states [B, T, H] after the final norm */
  forward(inputIds: tf.Tensor2D, options: DecoderBodyForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => {
      let x = this.embed_tokens.forward(inputIds) as tf.Tensor3D;
      this.layers.forEach((layer, i) => {
        x = layer.forward(x, i, options);
      });
      return this.norm.forward(x) as tf.Tensor3D;
    });
  }
}

/**
 * `LlamaForCausalLM` (also Qwen2 / Mistral): `model` and `lm_head` (tied to `model.embed_tokens` when tie_word_embeddings).
 * Usually built through `DecoderLM.fromConfig({ model_type: 'llama', ... })`.
 * @example
 * const body = new LlamaForCausalLM(parseModelConfig({ model_type: 'llama', hidden_size: 32, num_attention_heads: 4, num_hidden_layers: 2, intermediate_size: 64, vocab_size: 100 }));
 */
export class LlamaForCausalLM extends DecoderBody {
  model: LlamaModel;
  lm_head: Linear;

  constructor(config: ModelConfig, rng: Rng = getDefaultRng()) {
    super();
    this.model = new LlamaModel(config, rng);
    this.lm_head = new Linear(config.hiddenSize, config.vocabSize, { bias: false, rng });
    initLikeHf(this, new ConfigReader(config.hf, config.modelType).positiveNumber('initializer_range', 0.02), rng);
    if (config.tieWordEmbeddings) {
      this.lm_head.weight.dispose();
      this.lm_head.weight = this.model.embed_tokens.weight;
    }
  }

  forward(inputIds: tf.Tensor2D, options: DecoderBodyForwardOptions = {}): tf.Tensor3D {
    // cached decoding of one token per sequence: the few-kernel path (llama-decode.ts)
    if (options.cache && !options.attentionMask && !options.positionIds && !options.segmentIds && canDecodeFast(this, inputIds)) {
      return llamaDecodeStep(this, inputIds, options.cache);
    }
    return tf.tidy(() => this.lm_head.forward(this.model.forward(inputIds, options)) as tf.Tensor3D);
  }
}

/** HF defaults per model_type for keys absent from config.json. */
interface LlamaDefaults {
  vocabSize: number;
  hiddenSize: number;
  intermediateSize: number;
  numLayers: number;
  numHeads: number;
  /** undefined: num_attention_heads */
  numKvHeads?: number;
  maxPositionEmbeddings: number;
  bosTokenId?: number;
  eosTokenId?: number;
}

const DEFAULTS: Record<'llama' | 'qwen2' | 'mistral', LlamaDefaults> = {
  llama: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 11008, numLayers: 32, numHeads: 32, maxPositionEmbeddings: 2048, bosTokenId: 1, eosTokenId: 2 },
  qwen2: { vocabSize: 151936, hiddenSize: 4096, intermediateSize: 22016, numLayers: 32, numHeads: 32, numKvHeads: 32, maxPositionEmbeddings: 32768 },
  mistral: { vocabSize: 32000, hiddenSize: 4096, intermediateSize: 14336, numLayers: 32, numHeads: 32, numKvHeads: 8, maxPositionEmbeddings: 4096 * 32, bosTokenId: 1, eosTokenId: 2 },
};

const HF_CLASS = { llama: 'LlamaForCausalLM', qwen2: 'Qwen2ForCausalLM', mistral: 'MistralForCausalLM' } as const;

function parseLlamaLike(modelType: 'llama' | 'qwen2' | 'mistral', hf: Record<string, unknown>): ModelConfig {
  const d = DEFAULTS[modelType];
  const r = new ConfigReader(hf, modelType);
  const hiddenSize = r.positiveInt('hidden_size', d.hiddenSize);
  const numHeads = r.positiveInt('num_attention_heads', d.numHeads);
  const numKvHeads = r.positiveInt('num_key_value_heads', d.numKvHeads ?? numHeads);
  const explicitHeadDim = r.optionalPositiveInt('head_dim');
  if (explicitHeadDim === undefined && hiddenSize % numHeads !== 0) {
    throw new InvalidArgumentError(
      `config.json (${modelType}): hidden_size ${hiddenSize} must be divisible by num_attention_heads ${numHeads}, or set head_dim.`,
    );
  }
  const headDim = explicitHeadDim ?? hiddenSize / numHeads;
  const hiddenAct = r.string('hidden_act', 'silu');
  activationFn(hiddenAct);
  let attentionBias: boolean;
  let attentionOutputBias: boolean;
  let slidingWindow: number | undefined;
  if (modelType === 'qwen2') {
    attentionBias = true; // Qwen2Attention: q/k/v with bias, o_proj without
    attentionOutputBias = false;
    if (r.bool('use_sliding_window', false)) slidingWindow = r.optionalPositiveInt('sliding_window');
  } else {
    attentionBias = r.bool('attention_bias', false);
    attentionOutputBias = attentionBias;
    if (modelType === 'mistral') slidingWindow = r.optionalPositiveInt('sliding_window');
  }
  const mlpBias = modelType === 'llama' ? r.bool('mlp_bias', false) : false;
  const config: ModelConfig = {
    modelType,
    vocabSize: r.positiveInt('vocab_size', d.vocabSize),
    hiddenSize,
    numLayers: r.positiveInt('num_hidden_layers', d.numLayers),
    numHeads,
    numKvHeads,
    headDim,
    intermediateSize: r.positiveInt('intermediate_size', d.intermediateSize),
    maxPositionEmbeddings: r.positiveInt('max_position_embeddings', d.maxPositionEmbeddings),
    normEps: r.positiveNumber('rms_norm_eps', 1e-6),
    tieWordEmbeddings: r.bool('tie_word_embeddings', false),
    attentionBias,
    attentionOutputBias,
    mlpBias,
    hiddenAct,
    slidingWindow,
    bosTokenId: 'bos_token_id' in hf ? r.tokenId('bos_token_id') : d.bosTokenId,
    eosTokenId: 'eos_token_id' in hf ? r.tokenIds('eos_token_id') : d.eosTokenId,
    padTokenId: r.tokenId('pad_token_id'),
    hf: {},
  };
  checkHeads(config);
  config.hf = {
    architectures: [HF_CLASS[modelType]],
    vocab_size: config.vocabSize,
    hidden_size: hiddenSize,
    intermediate_size: config.intermediateSize,
    num_hidden_layers: config.numLayers,
    num_attention_heads: numHeads,
    num_key_value_heads: numKvHeads,
    head_dim: headDim,
    max_position_embeddings: config.maxPositionEmbeddings,
    rms_norm_eps: config.normEps,
    hidden_act: hiddenAct,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...(modelType === 'llama' ? { attention_bias: attentionBias, mlp_bias: mlpBias } : {}),
    ...(config.bosTokenId !== undefined ? { bos_token_id: config.bosTokenId } : {}),
    ...(config.eosTokenId !== undefined ? { eos_token_id: config.eosTokenId } : {}),
    ...hf,
    model_type: modelType,
  };
  // the rotary settings are validated now rather than at build time
  ropeConfigFromHf(config.hf);
  return compactConfig(config);
}

function llamaLike(modelType: 'llama' | 'qwen2' | 'mistral'): Architecture {
  return {
    modelType,
    hfArchitecture: HF_CLASS[modelType],
    parseConfig: (hf) => parseLlamaLike(modelType, hf),
    build: (config, rng) => new LlamaForCausalLM(config, rng),
    ignoredOnLoad: [/\.rotary_emb\.inv_freq$/],
  };
}

/**
 * Llama (`model_type: "llama"`): attention_bias / mlp_bias, rope_scaling, tie_word_embeddings.
 * @example
 * LLAMA_ARCHITECTURE.parseConfig({ model_type: 'llama', hidden_size: 64, num_attention_heads: 4 }).headDim; // 16
 */
export const LLAMA_ARCHITECTURE: Architecture = llamaLike('llama');
/**
 * Qwen2 (`model_type: "qwen2"`): Llama with q/k/v biases; sliding window when use_sliding_window.
 * @example
 * QWEN2_ARCHITECTURE.parseConfig({ model_type: 'qwen2' }).attentionBias; // true
 */
export const QWEN2_ARCHITECTURE: Architecture = llamaLike('qwen2');
/**
 * Mistral (`model_type: "mistral"`): Llama with a sliding attention window (`sliding_window`).
 * @example
 * MISTRAL_ARCHITECTURE.parseConfig({ model_type: 'mistral', sliding_window: 4096 }).slidingWindow; // 4096
 */
export const MISTRAL_ARCHITECTURE: Architecture = llamaLike('mistral');
