/**
 * Shared pieces of the architectures: the decoder body base class, the
 * Architecture interface and Hugging Face-style weight initialisation.
 */
import { Module, tf, Linear, Embedding, type Rng, getDefaultRng } from '@llmkit/core';
import type { KVCache } from '@llmkit/attention';
import type { ModelConfig } from '../config.js';

/** Inputs of {@link DecoderBody.forward} after validation by `DecoderLM`. */
export interface DecoderBodyForwardOptions {
  /** KV cache; the body reads `cache.pastLength` before updating it. */
  cache?: KVCache;
  /** HF attention_mask [B, pastLength + T] (1 keep, 0 pad), float32 or int32. */
  attentionMask?: tf.Tensor2D;
  /** Positions [B, T] int32 (HF position_ids); default pastLength .. pastLength + T - 1 in every row. */
  positionIds?: tf.Tensor2D;
  /** Document ids [B, T] int32 of packed sequences: a token attends (causally) only to tokens of its own id. Not with a cache. */
  segmentIds?: tf.Tensor2D;
}

/**
 * Document-aware causal mask for packed sequences: query i attends to key j when
 * `j <= i`, `segmentIds[b, i] === segmentIds[b, j]` and, with a window `w`, `j > i - w`.
 * @param segmentIds [B, T] int32 document ids
 * @param window optional sliding window
 * @returns bool [B, 1, T, T], true = attend
 * @example
 * segmentCausalMask(tf.tensor2d([[0, 0, 1]], undefined, 'int32')); // token 2 sees only itself
 */
export function segmentCausalMask(segmentIds: tf.Tensor2D, window?: number): tf.Tensor4D {
  return tf.tidy(() => {
    const [b, t] = segmentIds.shape;
    const same = tf.equal(tf.expandDims(segmentIds, 2), tf.expandDims(segmentIds, 1)); // [B, T, T]
    const data = new Uint8Array(t * t);
    for (let i = 0; i < t; i++) {
      const lo = window === undefined ? 0 : Math.max(0, i - window + 1);
      for (let j = lo; j <= i; j++) data[i * t + j] = 1;
    }
    const causal = tf.tensor2d(data, [t, t], 'bool');
    return tf.reshape(tf.logicalAnd(same, causal), [b, 1, t, t]) as tf.Tensor4D;
  });
}

/**
 * The model an architecture builds: `XForCausalLM` with HF field names
 * (`transformer` / `model` and `lm_head`), so `namedParameters()` yields the
 * transformers state-dict keys.
 * @example
 * class TinyBody extends DecoderBody {
 *   lm_head = new Linear(8, 100);
 *   forward(ids: tf.Tensor2D) { return this.lm_head.forward(tf.oneHot(ids, 8).toFloat()) as tf.Tensor3D; }
 * }
 */
export abstract class DecoderBody extends Module {
  /**
   * @param inputIds [B, T] int32 token ids
   * @returns logits [B, T, vocabSize]
   */
  abstract forward(inputIds: tf.Tensor2D, options?: DecoderBodyForwardOptions): tf.Tensor3D;
}

/**
 * One model family: config parsing, construction, and HF checkpoint layout.
 * @example
 * const arch: Architecture = ARCHITECTURES.get('llama')!;
 * const body = arch.build(arch.parseConfig({ model_type: 'llama', hidden_size: 32, num_attention_heads: 4 }), createRng(0));
 */
export interface Architecture {
  /** HF `model_type` (registry key). */
  modelType: string;
  /** HF class written to `architectures` in config.json (e.g. `GPT2LMHeadModel`). */
  hfArchitecture: string;
  /** Normalize a config.json object; fills HF's defaults for absent keys. */
  parseConfig(hf: Record<string, unknown>): ModelConfig;
  /** Build a randomly initialised body (HF initialisation: normal(0, initializer_range)). */
  build(config: ModelConfig, rng?: Rng): DecoderBody;
  /** True when the HF file stores `name` transposed relative to our `Linear` ([in, out], GPT-2 Conv1D). */
  transposedOnDisk?(name: string): boolean;
  /** Tensors that may appear in HF files but are buffers, not parameters (skipped on load). */
  ignoredOnLoad?: readonly RegExp[];
}

/**
 * Re-initialise like transformers' `_init_weights`: Linear and Embedding
 * weights normal(0, std), Linear biases zero (norm weights stay ones, biases zeros).
 * `scaled` maps parameter names to a custom std (GPT-2's residual projections).
 */
export function initLikeHf(body: Module, std: number, rng: Rng = getDefaultRng(), scaled?: (name: string) => number | undefined): void {
  const seen = new Set<tf.Variable>();
  for (const [name, module] of body.namedModules()) {
    if (module instanceof Linear || module instanceof Embedding) {
      const w = module.weight;
      if (seen.has(w)) continue;
      seen.add(w);
      const s = scaled?.(`${name}.weight`) ?? std;
      tf.tidy(() => w.assign(tf.tensor(rng.normal(w.size, 0, s), w.shape, 'float32')));
      if (module instanceof Embedding && module.paddingIdx !== null) {
        const row = module.paddingIdx;
        tf.tidy(() => {
          const keep = tf.tensor2d(Float32Array.from({ length: w.shape[0] }, (_, i) => (i === row ? 0 : 1)), [w.shape[0], 1]);
          w.assign(tf.mul(w, keep));
        });
      }
      if (module instanceof Linear && module.bias) {
        const b = module.bias;
        tf.tidy(() => b.assign(tf.zerosLike(b)));
      }
    }
  }
}
