/**
 * GPT-2 (transformers' `GPT2LMHeadModel`): learned absolute positions,
 * pre-LayerNorm blocks, GELU-tanh MLP, multi-head attention with a fused
 * `c_attn` projection, LM head tied to the token embedding by default.
 * Module fields are the HF names (`transformer.h.0.attn.c_attn.weight`, ...).
 * HF stores the Conv1D weights ([in, out]); here they are core `Linear`s
 * ([out, in]) and the checkpoint code transposes them on load/save.
 */
import { Dropout, Embedding, LayerNorm, Linear, Module, tf, type Rng, getDefaultRng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { KVCache, causalMask, combineMasks, paddingMask, scaledDotProductAttention } from '@llmkit/attention';
import { ConfigReader, activationFn, checkHeads, compactConfig, type ModelConfig } from '../config.js';
import { DecoderBody, initLikeHf, segmentCausalMask, type Architecture, type DecoderBodyForwardOptions } from './base.js';

/** GPT-2 dropout and attention-scaling settings read from config.json. */
interface Gpt2Extras {
  embdPdrop: number;
  residPdrop: number;
  attnPdrop: number;
  scaleAttnWeights: boolean;
  scaleAttnByInverseLayerIdx: boolean;
}

function gpt2Extras(config: ModelConfig): Gpt2Extras {
  const r = new ConfigReader(config.hf, 'gpt2');
  const p = (key: string): number => {
    const v = config.hf[key];
    if (v === undefined || v === null) return 0.1;
    if (typeof v !== 'number' || v < 0 || v >= 1) {
      throw new InvalidArgumentError(`config.json (gpt2): "${key}" must be a probability in [0, 1), got ${JSON.stringify(v)}.`);
    }
    return v;
  };
  return {
    embdPdrop: p('embd_pdrop'),
    residPdrop: p('resid_pdrop'),
    attnPdrop: p('attn_pdrop'),
    scaleAttnWeights: r.bool('scale_attn_weights', true),
    scaleAttnByInverseLayerIdx: r.bool('scale_attn_by_inverse_layer_idx', false),
  };
}

/**
 * Build the attention mask for `t` new tokens after `past` cached ones:
 * causal (bottom-right) AND the HF padding mask when given. bool, true = attend.
 */
export function decoderMask(t: number, past: number, attentionMask?: tf.Tensor2D, window?: number): tf.Tensor {
  return tf.tidy(() => {
    const causal = causalMask(t, past + t, window === undefined ? {} : { window });
    const padding = attentionMask ? paddingMask(attentionMask) : undefined;
    return combineMasks(causal, padding) as tf.Tensor;
  });
}

/**
 * GPT-2 self-attention (`GPT2Attention`): fused `c_attn` [3H, H] and `c_proj` [H, H].
 * @example
 * const attn = (DecoderLM.fromConfig(gpt2Config).getSubmodule('transformer.h.0.attn') as GPT2Attention);
 */
export class GPT2Attention extends Module {
  c_attn: Linear;
  c_proj: Linear;
  private readonly _nHeads: number;
  private readonly _headDim: number;
  private readonly _scale: number;
  private readonly _attnDropout: number;
  private readonly _residDropout: Dropout;

  constructor(config: ModelConfig, layerIdx: number, extras: Gpt2Extras, rng: Rng) {
    super();
    const h = config.hiddenSize;
    this.c_attn = new Linear(h, 3 * h, { rng });
    this.c_proj = new Linear(h, h, { rng });
    this._nHeads = config.numHeads;
    this._headDim = config.headDim;
    let scale = extras.scaleAttnWeights ? 1 / Math.sqrt(config.headDim) : 1;
    if (extras.scaleAttnByInverseLayerIdx) scale /= layerIdx + 1;
    this._scale = scale;
    this._attnDropout = extras.attnPdrop;
    this._residDropout = new Dropout(extras.residPdrop, { rng });
  }

  /**
   * @param x [B, T, H]
   * @param mask bool [.., T, Tk] (true = attend), or null for plain causal attention over keys that
   *   start at position 0 (torch's top-left is_causal; core's fused causal softmax on wasm)
   * @returns [B, T, H]
   */
  forward(x: tf.Tensor3D, mask: tf.Tensor | null, cache: KVCache | undefined, layerIdx: number): tf.Tensor3D {
    return tf.tidy(() => {
      const [b, t, hidden] = x.shape;
      const qkv = this.c_attn.forward(x);
      const heads = (part: tf.Tensor) =>
        tf.transpose(tf.reshape(part, [b, t, this._nHeads, this._headDim]), [0, 2, 1, 3]) as tf.Tensor4D;
      const [q, k, v] = tf.split(qkv, 3, -1).map(heads);
      let keys = k;
      let values = v;
      if (cache) ({ k: keys, v: values } = cache.update(layerIdx, k, v));
      const dropout = this.training ? this._attnDropout : 0;
      const attn = scaledDotProductAttention(q, keys, values, {
        ...(mask ? { mask } : { causal: true }),
        scale: this._scale,
        ...(dropout > 0 ? { dropout } : {}),
      });
      const merged = tf.reshape(tf.transpose(attn, [0, 2, 1, 3]), [b, t, hidden]);
      this._residDropout.training = this.training;
      return this._residDropout.forward(this.c_proj.forward(merged)) as tf.Tensor3D;
    });
  }
}

/**
 * GPT-2 MLP (`GPT2MLP`): `c_fc` [I, H], activation, `c_proj` [H, I].
 * @example
 * const mlp = DecoderLM.fromConfig(gpt2Config).getSubmodule('transformer.h.0.mlp') as GPT2MLP;
 */
export class GPT2MLP extends Module {
  c_fc: Linear;
  c_proj: Linear;
  private readonly _act: (x: tf.Tensor) => tf.Tensor;
  private readonly _dropout: Dropout;

  constructor(config: ModelConfig, extras: Gpt2Extras, rng: Rng) {
    super();
    this.c_fc = new Linear(config.hiddenSize, config.intermediateSize, { rng });
    this.c_proj = new Linear(config.intermediateSize, config.hiddenSize, { rng });
    this._act = activationFn(config.hiddenAct);
    this._dropout = new Dropout(extras.residPdrop, { rng });
  }

  forward(x: tf.Tensor): tf.Tensor {
    return tf.tidy(() => {
      this._dropout.training = this.training;
      return this._dropout.forward(this.c_proj.forward(this._act(this.c_fc.forward(x))));
    });
  }
}

/**
 * One pre-LN GPT-2 block (`GPT2Block`): ln_1, attn, ln_2, mlp.
 * @example
 * const block = DecoderLM.fromConfig(gpt2Config).getSubmodule('transformer.h.0') as GPT2Block;
 */
export class GPT2Block extends Module {
  ln_1: LayerNorm;
  attn: GPT2Attention;
  ln_2: LayerNorm;
  mlp: GPT2MLP;

  constructor(config: ModelConfig, layerIdx: number, extras: Gpt2Extras, rng: Rng) {
    super();
    this.ln_1 = new LayerNorm(config.hiddenSize, { eps: config.normEps });
    this.attn = new GPT2Attention(config, layerIdx, extras, rng);
    this.ln_2 = new LayerNorm(config.hiddenSize, { eps: config.normEps });
    this.mlp = new GPT2MLP(config, extras, rng);
  }

  forward(x: tf.Tensor3D, mask: tf.Tensor | null, cache: KVCache | undefined, layerIdx: number): tf.Tensor3D {
    return tf.tidy(() => {
      const h = tf.add(x, this.attn.forward(this.ln_1.forward(x) as tf.Tensor3D, mask, cache, layerIdx));
      return tf.add(h, this.mlp.forward(this.ln_2.forward(h))) as tf.Tensor3D;
    });
  }
}

/**
 * The GPT-2 trunk (`GPT2Model`): wte, wpe, h.*, ln_f.
 * @example
 * const trunk = DecoderLM.fromConfig(gpt2Config).getSubmodule('transformer') as GPT2Model;
 */
export class GPT2Model extends Module {
  wte: Embedding;
  wpe: Embedding;
  h: GPT2Block[];
  ln_f: LayerNorm;
  private readonly _dropout: Dropout;
  private readonly _maxPositions: number;

  constructor(config: ModelConfig, extras: Gpt2Extras, rng: Rng) {
    super();
    this.wte = new Embedding(config.vocabSize, config.hiddenSize, { rng });
    this.wpe = new Embedding(config.maxPositionEmbeddings, config.hiddenSize, { rng });
    this.h = Array.from({ length: config.numLayers }, (_, i) => new GPT2Block(config, i, extras, rng));
    this.ln_f = new LayerNorm(config.hiddenSize, { eps: config.normEps });
    this._dropout = new Dropout(extras.embdPdrop, { rng });
    this._maxPositions = config.maxPositionEmbeddings;
  }

  /** @returns hidden states [B, T, H] after ln_f */
  forward(inputIds: tf.Tensor2D, options: DecoderBodyForwardOptions = {}): tf.Tensor3D {
    const [, t] = inputIds.shape;
    const past = options.cache?.pastLength ?? 0;
    if (past + t > this._maxPositions) {
      throw new InvalidArgumentError(
        `GPT-2 forward: positions ${past}..${past + t - 1} exceed n_positions ${this._maxPositions}; shorten the input (or crop the cache) to at most ${this._maxPositions} tokens.`,
      );
    }
    if (options.positionIds) {
      let max = 0;
      for (const p of options.positionIds.dataSync()) max = Math.max(max, p);
      if (max >= this._maxPositions) {
        throw new InvalidArgumentError(`GPT-2 forward: positionIds reach ${max}, past n_positions ${this._maxPositions}; keep every position below ${this._maxPositions}.`);
      }
    }
    return tf.tidy(() => {
      let x: tf.Tensor3D;
      if (options.positionIds) {
        x = tf.add(this.wte.forward(inputIds), this.wpe.forward(options.positionIds)) as tf.Tensor3D;
      } else {
        const positions = tf.range(past, past + t, 1, 'int32');
        x = tf.add(this.wte.forward(inputIds), tf.expandDims(this.wpe.forward(positions), 0)) as tf.Tensor3D;
      }
      this._dropout.training = this.training;
      x = this._dropout.forward(x) as tf.Tensor3D;
      // Plain causal attention from position 0 (training, prefill without padding) needs no mask tensor:
      // the attention takes torch's is_causal path (one fused kernel each way on wasm).
      const mask = options.segmentIds
        ? (combineMasks(segmentCausalMask(options.segmentIds), options.attentionMask ? paddingMask(options.attentionMask) : undefined) as tf.Tensor)
        : past === 0 && !options.attentionMask
          ? null
          : decoderMask(t, past, options.attentionMask);
      this.h.forEach((block, i) => {
        x = block.forward(x, mask, options.cache, i);
      });
      return this.ln_f.forward(x) as tf.Tensor3D;
    });
  }
}

/**
 * `GPT2LMHeadModel`: the trunk under `transformer` and `lm_head` (tied to `transformer.wte` by default).
 * Usually built through `DecoderLM.fromConfig({ model_type: 'gpt2', ... })`.
 * @example
 * const body = new GPT2LMHeadModel(parseModelConfig({ model_type: 'gpt2', n_embd: 32, n_layer: 2, n_head: 4, vocab_size: 100 }));
 * body.forward(tf.tensor2d([[1, 2]], undefined, 'int32')).shape; // [1, 2, 100]
 */
export class GPT2LMHeadModel extends DecoderBody {
  transformer: GPT2Model;
  lm_head: Linear;

  constructor(config: ModelConfig, rng: Rng = getDefaultRng()) {
    super();
    const extras = gpt2Extras(config);
    this.transformer = new GPT2Model(config, extras, rng);
    this.lm_head = new Linear(config.hiddenSize, config.vocabSize, { bias: false, rng });
    // HF initialisation: normal(0, initializer_range); c_proj weights scaled by 1/sqrt(2 n_layer).
    const std = new ConfigReader(config.hf, 'gpt2').positiveNumber('initializer_range', 0.02);
    initLikeHf(this, std, rng, (name) => (/\.c_proj\.weight$/.test(name) ? std / Math.sqrt(2 * config.numLayers) : undefined));
    if (config.tieWordEmbeddings) {
      this.lm_head.weight.dispose();
      this.lm_head.weight = this.transformer.wte.weight;
    }
  }

  forward(inputIds: tf.Tensor2D, options: DecoderBodyForwardOptions = {}): tf.Tensor3D {
    return tf.tidy(() => this.lm_head.forward(this.transformer.forward(inputIds, options)) as tf.Tensor3D);
  }
}

const CONV1D = /\.(c_attn|c_proj|c_fc)\.weight$/;

function parseGpt2Config(hf: Record<string, unknown>): ModelConfig {
  const r = new ConfigReader(hf, 'gpt2');
  const hiddenSize = r.positiveInt('n_embd', 768);
  const numHeads = r.positiveInt('n_head', 12);
  if (hiddenSize % numHeads !== 0) {
    throw new InvalidArgumentError(`config.json (gpt2): n_embd ${hiddenSize} must be divisible by n_head ${numHeads}; fix one of them.`);
  }
  for (const key of ['add_cross_attention', 'reorder_and_upcast_attn']) {
    if (hf[key] === true) throw new InvalidArgumentError(`config.json (gpt2): "${key}": true is not supported; set it to false.`);
  }
  const hiddenAct = r.string('activation_function', 'gelu_new');
  activationFn(hiddenAct);
  const config: ModelConfig = {
    modelType: 'gpt2',
    vocabSize: r.positiveInt('vocab_size', 50257),
    hiddenSize,
    numLayers: r.positiveInt('n_layer', 12),
    numHeads,
    numKvHeads: numHeads,
    headDim: hiddenSize / numHeads,
    intermediateSize: r.positiveInt('n_inner', 4 * hiddenSize),
    maxPositionEmbeddings: r.positiveInt('n_positions', 1024),
    normEps: r.positiveNumber('layer_norm_epsilon', 1e-5),
    tieWordEmbeddings: r.bool('tie_word_embeddings', true),
    attentionBias: true,
    attentionOutputBias: true,
    mlpBias: true,
    hiddenAct,
    bosTokenId: r.tokenId('bos_token_id'),
    eosTokenId: r.tokenIds('eos_token_id'),
    padTokenId: r.tokenId('pad_token_id'),
    hf: {},
  };
  checkHeads(config);
  config.hf = {
    architectures: ['GPT2LMHeadModel'],
    vocab_size: config.vocabSize,
    n_embd: hiddenSize,
    n_layer: config.numLayers,
    n_head: numHeads,
    n_inner: hf.n_inner ?? null,
    n_positions: config.maxPositionEmbeddings,
    layer_norm_epsilon: config.normEps,
    activation_function: hiddenAct,
    tie_word_embeddings: config.tieWordEmbeddings,
    ...hf,
    model_type: 'gpt2',
  };
  return compactConfig(config);
}

/**
 * The GPT-2 architecture (`model_type: "gpt2"`).
 * @example
 * GPT2_ARCHITECTURE.transposedOnDisk?.('transformer.h.0.attn.c_attn.weight'); // true (HF Conv1D)
 */
export const GPT2_ARCHITECTURE: Architecture = {
  modelType: 'gpt2',
  hfArchitecture: 'GPT2LMHeadModel',
  parseConfig: parseGpt2Config,
  build: (config, rng) => new GPT2LMHeadModel(config, rng),
  transposedOnDisk: (name) => CONV1D.test(name),
  // causal-mask buffers of older transformers versions
  ignoredOnLoad: [/\.attn\.(masked_)?bias$/],
};
