/**
 * `DecoderLM`: a decoder-only language model of any registered architecture
 * (GPT-2, Llama, Qwen2, Mistral) with forward (KV cache, padding mask),
 * loss, lm-eval style log-probs, a @llmkit/sampling step function and
 * streaming generation, and Hugging Face checkpoint load/save.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { Module, crossEntropy, tf, type Parameter, type Rng } from '@llmkit/core';
import { CheckpointError, InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { KVCache } from '@llmkit/attention';
import { generate as sampleGenerate, type GenerateChunk, type GenerateOptions, type StepFn, type StepHooks } from '@llmkit/sampling';
import { fromHuggingFace, type Tokenizer } from '@llmkit/tokenizer';
import type { ModelConfig } from './config.js';
import { getArchitecture, parseModelConfig, type Architecture, type DecoderBody } from './registry.js';
import {
  CONFIG_FILE,
  copyTokenizerFiles,
  hfJson,
  loadWeights,
  readJsonFile,
  saveConfig,
  saveWeights,
  type SaveWeightsOptions,
} from './checkpoint.js';

/** Options of {@link DecoderLM.forward}. */
export interface DecoderForwardOptions {
  /** KV cache from {@link DecoderLM.createCache}; the new tokens are appended to it. */
  cache?: KVCache;
  /** HF attention_mask [B, pastLength + T] (1 keep, 0 pad). */
  attentionMask?: tf.Tensor2D | number[][];
  /**
   * HF position_ids [B, T]: the position of each new token (RoPE angle / GPT-2 learned position).
   * Default pastLength .. pastLength + T - 1. For packed sequences restart at 0 per sequence.
   */
  positionIds?: tf.Tensor2D | number[][];
  /**
   * Document ids [B, T] of packed sequences (any integers): a token attends causally only to earlier
   * tokens with the same id, so each packed sequence is computed as if it were alone (with positionIds
   * restarting at 0 per sequence). Not supported together with a cache.
   */
  segmentIds?: tf.Tensor2D | number[][];
}

/** Options of {@link DecoderLM.loss}: the packing inputs of {@link DecoderForwardOptions}. */
export type DecoderLossOptions = Pick<DecoderForwardOptions, 'attentionMask' | 'positionIds' | 'segmentIds'>;

/** Result of {@link DecoderLM.logprobs} (lm-evaluation-harness `loglikelihood` semantics). */
export interface ContinuationLogprobs {
  /** Sum of the continuation's token log-probabilities. */
  logprob: number;
  /** log p(continuation[i] | context + continuation[:i]). */
  tokenLogprobs: number[];
  /** True when every continuation token is the argmax of its step. */
  isGreedy: boolean;
}

/** Step function of {@link DecoderLM.stepFn}: sampling's StepFn with beam-search reorder, reset and dispose. */
export type ModelStepFn = StepFn &
  StepHooks & {
    /** The KV cache (undefined with `useCache: false`). */
    readonly cache: KVCache | undefined;
    /** Forget the cached tokens. */
    reset(): void;
    /** Free the cache's tensors. */
    dispose(): void;
  };

/** Options of {@link DecoderLM.generate}: sampling's GenerateOptions without `prompt`, plus `useCache` (default true). */
export type DecoderGenerateOptions = Omit<GenerateOptions, 'prompt'> & { useCache?: boolean };

/** positionIds / segmentIds as an int32 [B, T] tensor. */
function sameShapeIds(input: tf.Tensor2D | number[][], name: string, b: number, t: number): tf.Tensor2D {
  const ids = toIds(input, `DecoderLM.forward(options.${name})`);
  if (ids.shape[0] !== b || ids.shape[1] !== t) {
    throw new ShapeMismatchError(`DecoderLM.forward: ${name} has shape [${ids.shape}] but must be [${b}, ${t}] like inputIds.`);
  }
  return ids;
}

function toIds(input: tf.Tensor2D | number[][], what: string): tf.Tensor2D {
  if (input instanceof tf.Tensor) {
    if (input.rank !== 2) throw new ShapeMismatchError(`${what} must be [batch, seq], got shape [${input.shape}].`);
    if (input.dtype !== 'int32') throw new InvalidArgumentError(`${what} must be an int32 tensor of token ids, got ${input.dtype}; cast it with tf.cast(ids, 'int32').`);
    return input;
  }
  if (!Array.isArray(input) || input.length === 0 || !input.every((row) => Array.isArray(row))) {
    throw new InvalidArgumentError(`${what} must be a non-empty number[][] of token ids or an int32 tf.Tensor2D.`);
  }
  const t = input[0].length;
  if (t === 0 || input.some((row) => row.length !== t)) {
    throw new ShapeMismatchError(`${what}: every row must have the same non-zero length (pad with attentionMask); got lengths ${input.map((r) => r.length).join(', ')}.`);
  }
  for (const row of input) {
    for (const id of row) if (!Number.isInteger(id)) throw new InvalidArgumentError(`${what}: token id ${id} is not an integer.`);
  }
  return tf.tensor2d(input, [input.length, t], 'int32');
}

/**
 * A decoder-only causal LM. Its parameter names are the transformers
 * state-dict keys of the architecture (`transformer.h.0.attn.c_attn.weight`,
 * `model.layers.0.self_attn.q_proj.weight`, ...). Created in eval mode
 * (no dropout); call `train()` before training.
 *
 * @example
 * const lm = DecoderLM.fromConfig({ model_type: 'gpt2', vocab_size: 100, n_embd: 32, n_layer: 2, n_head: 4, n_positions: 64 }, { rng: createRng(0) });
 * const logits = lm.forward([[1, 2, 3]]); // [1, 3, 100]
 * const out = await generateAll(lm.stepFn(), { prompt: [1, 2], maxNewTokens: 5, config: { temperature: 0 } });
 */
export class DecoderLM extends Module {
  /** The normalized configuration (its `hf` is written back by save()). */
  readonly config: ModelConfig;
  /** The architecture of `config.modelType`. */
  readonly architecture: Architecture;
  /** Tokenizer from tokenizer.json (fromPretrained). */
  tokenizer?: Tokenizer;
  /** tokenizer_config.json (chat_template, eos_token, ...). */
  tokenizerConfig?: Record<string, unknown>;
  /** generation_config.json. */
  generationConfig?: Record<string, unknown>;
  private readonly _body: DecoderBody;
  private _sourceDir?: string;

  private constructor(config: ModelConfig, architecture: Architecture, body: DecoderBody) {
    super();
    this.config = config;
    this.architecture = architecture;
    this._body = body;
    this.eval();
  }

  /** The body's children, so parameter paths carry no extra prefix (they are the HF names). */
  override namedChildren(): Array<[string, Module]> {
    return this._body ? this._body.namedChildren() : [];
  }

  override namedOwnParameters(): Array<[string, Parameter]> {
    return [];
  }

  /**
   * Build a randomly initialised model (HF initialisation) from a config.json
   * object or a parsed {@link ModelConfig} (rebuilt from its `hf` object). Weights
   * are drawn from `options.rng` (default: core's default RNG).
   * @throws {InvalidArgumentError} `invalid_argument` for an unknown model_type (the message lists the supported ones) or a bad field.
   * @example
   * const lm = DecoderLM.fromConfig({ model_type: 'llama', vocab_size: 128, hidden_size: 32, intermediate_size: 64,
   *   num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 }, { rng: createRng(0) });
   */
  static fromConfig(config: Record<string, unknown> | ModelConfig, options: { rng?: Rng } = {}): DecoderLM {
    if (typeof config !== 'object' || config === null || Array.isArray(config)) {
      throw new InvalidArgumentError('DecoderLM.fromConfig(config) needs a config.json object (with model_type) or a ModelConfig.');
    }
    const parsed = isModelConfig(config) ? parseModelConfig(config.hf) : parseModelConfig(config);
    const architecture = getArchitecture(parsed.modelType);
    return new DecoderLM(parsed, architecture, architecture.build(parsed, options.rng));
  }

  /**
   * Load a Hugging Face model directory: config.json, model.safetensors or
   * sharded model.safetensors.index.json (F32/F16/BF16 become float32), and
   * tokenizer.json, tokenizer_config.json, generation_config.json when present.
   * @throws {CheckpointError} `checkpoint` for missing files, or a missing / unexpected / mis-shaped tensor (named with its file).
   * @throws {InvalidArgumentError} `invalid_argument` for an unsupported model_type or config field.
   * @example
   * const lm = await DecoderLM.fromPretrained('./models/gpt2');
   * lm.tokenizer?.encode('Hello');
   */
  static async fromPretrained(dir: string): Promise<DecoderLM> {
    if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError('DecoderLM.fromPretrained(dir) needs the path of a model directory.');
    if (!existsSync(join(dir, CONFIG_FILE))) {
      throw new CheckpointError(`No ${CONFIG_FILE} in ${dir}; point fromPretrained at a Hugging Face model folder (config.json + model.safetensors).`);
    }
    const hf = await readJsonFile(dir, CONFIG_FILE);
    const config = parseModelConfig(hf);
    config.hf = hf; // keep the file's object exactly
    const architecture = getArchitecture(config.modelType);
    const model = new DecoderLM(config, architecture, architecture.build(config));
    try {
      await loadWeights(model, architecture, dir);
      if (existsSync(join(dir, 'tokenizer_config.json'))) model.tokenizerConfig = await readJsonFile(dir, 'tokenizer_config.json');
      if (existsSync(join(dir, 'generation_config.json'))) model.generationConfig = await readJsonFile(dir, 'generation_config.json');
      if (existsSync(join(dir, 'tokenizer.json'))) {
        model.tokenizer = fromHuggingFace(join(dir, 'tokenizer.json'), model.tokenizerConfig ? { tokenizerConfig: model.tokenizerConfig } : undefined);
      }
    } catch (error) {
      model.dispose();
      throw error;
    }
    model._sourceDir = dir;
    return model;
  }

  /**
   * Logits for every position.
   * @param inputIds [B, T] int32 (or number[][])
   * @returns logits [B, T, vocabSize]
   * @throws {ShapeMismatchError} `shape_mismatch` when inputIds is not [B, T] or attentionMask not [B, pastLength + T].
   * @throws {InvalidArgumentError} `invalid_argument` for non-integer / out-of-range ids or positions past max_position_embeddings.
   * @example
   * const cache = lm.createCache();
   * lm.forward([[1, 2, 3]], { cache });  // prefill
   * lm.forward([[4]], { cache });        // next step: [1, 1, V]
   */
  forward(inputIds: tf.Tensor2D | number[][], options: DecoderForwardOptions = {}): tf.Tensor3D {
    const cache = options.cache;
    if (cache !== undefined && !(cache instanceof KVCache)) {
      throw new InvalidArgumentError('DecoderLM.forward: options.cache must be a KVCache (use model.createCache()).');
    }
    if (cache && cache.nLayers !== this.config.numLayers) {
      throw new InvalidArgumentError(`DecoderLM.forward: the cache has ${cache.nLayers} layers but the model ${this.config.numLayers}; create it with model.createCache().`);
    }
    return tf.tidy(() => {
      const ids = toIds(inputIds, 'DecoderLM.forward(inputIds)');
      const [b, t] = ids.shape;
      const past = cache?.pastLength ?? 0;
      let mask: tf.Tensor2D | undefined;
      if (options.attentionMask !== undefined) {
        const m = options.attentionMask instanceof tf.Tensor ? options.attentionMask : tf.tensor2d(options.attentionMask as number[][]);
        if (m.rank !== 2 || m.shape[0] !== b || m.shape[1] !== past + t) {
          throw new ShapeMismatchError(
            `DecoderLM.forward: attentionMask has shape [${m.shape}] but must be [${b}, ${past + t}] (batch, cached + new tokens).`,
          );
        }
        mask = m as tf.Tensor2D;
      }
      const positionIds = options.positionIds === undefined ? undefined : sameShapeIds(options.positionIds, 'positionIds', b, t);
      const segmentIds = options.segmentIds === undefined ? undefined : sameShapeIds(options.segmentIds, 'segmentIds', b, t);
      if (segmentIds && cache) {
        throw new InvalidArgumentError('DecoderLM.forward: segmentIds (packed sequences) cannot be combined with a cache; run packed batches without one.');
      }
      if (positionIds) {
        const values = positionIds.dataSync();
        for (let i = 0; i < values.length; i++) {
          if (values[i] < 0) throw new InvalidArgumentError(`DecoderLM.forward: positionIds must be non-negative, got ${values[i]} at flat index ${i}.`);
        }
      }
      return this._body.forward(ids, {
        ...(cache ? { cache } : {}),
        ...(mask ? { attentionMask: mask } : {}),
        ...(positionIds ? { positionIds } : {}),
        ...(segmentIds ? { segmentIds } : {}),
      });
    });
  }

  /**
   * Mean next-token cross-entropy. `targets[b, t]` is the token that should
   * follow `inputIds[b, 0..t]` (already shifted, as nanoGPT's x/y batches);
   * -100 is ignored, and positions where `mask` is 0 are ignored too.
   * @param inputIds [B, T] int32
   * @param targets [B, T] int32 (-100 = ignore)
   * @param mask [B, T] (1 = count), optional
   * @param options attentionMask, positionIds and segmentIds passed to {@link forward} (packed sequences)
   * @returns scalar loss (NaN when every target is ignored, as PyTorch)
   * @throws {ShapeMismatchError} `shape_mismatch` when targets or mask are not [B, T].
   * @example
   * const loss = lm.loss(tf.tensor2d([[1, 2, 3]], undefined, 'int32'), tf.tensor2d([[2, 3, 4]], undefined, 'int32'));
   */
  loss(inputIds: tf.Tensor2D, targets: tf.Tensor2D, mask?: tf.Tensor2D, options: DecoderLossOptions = {}): tf.Scalar {
    if (!(targets instanceof tf.Tensor) || targets.dtype !== 'int32') {
      throw new InvalidArgumentError("DecoderLM.loss(targets) must be an int32 tf.Tensor2D of token ids (-100 = ignore); cast with tf.cast(targets, 'int32').");
    }
    if (!(inputIds instanceof tf.Tensor)) throw new InvalidArgumentError('DecoderLM.loss(inputIds) must be an int32 tf.Tensor2D [B, T].');
    const ids = toIds(inputIds, 'DecoderLM.loss(inputIds)');
    if (targets.rank !== 2 || targets.shape[0] !== ids.shape[0] || targets.shape[1] !== ids.shape[1]) {
      throw new ShapeMismatchError(`DecoderLM.loss: targets have shape [${targets.shape}] but inputIds [${ids.shape}]; they must match.`);
    }
    if (mask !== undefined && (!(mask instanceof tf.Tensor) || mask.rank !== 2 || mask.shape[0] !== ids.shape[0] || mask.shape[1] !== ids.shape[1])) {
      throw new ShapeMismatchError(`DecoderLM.loss: mask must be a tf.Tensor2D of shape [${ids.shape}] (1 = count, 0 = ignore).`);
    }
    return tf.tidy(() => {
      const logits = this.forward(ids, options);
      let t: tf.Tensor = targets;
      if (mask) t = tf.where(tf.greater(mask, 0), targets, tf.fill(targets.shape, -100, 'int32'));
      const v = this.config.vocabSize;
      return crossEntropy(tf.reshape(logits, [-1, v]), tf.reshape(t, [-1])) as tf.Scalar;
    });
  }

  /**
   * Log-probabilities of `continuation` after `context`, as
   * lm-evaluation-harness `loglikelihood`: one forward over
   * `(context + continuation)[:-1]` (left-truncated to max_position_embeddings),
   * the log-softmax at the continuation positions, and whether each token is the greedy choice.
   * @throws {InvalidArgumentError} `invalid_argument` for an empty context/continuation, bad ids, or a continuation longer than the context window.
   * @example
   * const { logprob, isGreedy } = await lm.logprobs([464, 3290], [318]);
   */
  async logprobs(context: number[], continuation: number[]): Promise<ContinuationLogprobs> {
    if (!Array.isArray(context) || context.length === 0) {
      throw new InvalidArgumentError('DecoderLM.logprobs: context must be a non-empty array of token ids (prepend the BOS / EOS token for an empty context).');
    }
    if (!Array.isArray(continuation) || continuation.length === 0) {
      throw new InvalidArgumentError('DecoderLM.logprobs: continuation must be a non-empty array of token ids.');
    }
    const maxLen = this.config.maxPositionEmbeddings;
    if (continuation.length > maxLen) {
      throw new InvalidArgumentError(`DecoderLM.logprobs: continuation has ${continuation.length} tokens, more than max_position_embeddings ${maxLen}; shorten it.`);
    }
    const whole = [...context, ...continuation];
    const input = whole.slice(0, -1).slice(-maxLen);
    const n = continuation.length;
    const { picked, argmax } = tf.tidy(() => {
      const logits = this.forward([input]); // [1, L, V]
      const L = input.length;
      const last = tf.slice(logits, [0, L - n, 0], [1, n, this.config.vocabSize]).reshape([n, this.config.vocabSize]);
      const logp = tf.logSoftmax(last);
      const idx = tf.tensor1d(continuation.map((id, i) => i * this.config.vocabSize + id), 'int32');
      return { picked: tf.gather(tf.reshape(logp, [-1]), idx), argmax: tf.argMax(last, -1) };
    });
    const [tokenLogprobs, greedy] = await Promise.all([picked.data(), argmax.data()]);
    picked.dispose();
    argmax.dispose();
    const values = Array.from(tokenLogprobs);
    return {
      logprob: values.reduce((a, b) => a + b, 0),
      tokenLogprobs: values,
      isGreedy: continuation.every((id, i) => greedy[i] === id),
    };
  }

  /**
   * A KV cache for this model (one entry per layer).
   * @param options.maxLength most positions (default max_position_embeddings)
   * @example
   * const cache = lm.createCache({ maxLength: 256 });
   */
  createCache(options: { maxLength?: number } = {}): KVCache {
    return new KVCache({ nLayers: this.config.numLayers, maxLength: options.maxLength ?? this.config.maxPositionEmbeddings });
  }

  /**
   * A @llmkit/sampling `StepFn` returning the next-token logits of each
   * sequence. With the cache (default) it keeps the tokens it has seen and
   * feeds only the new ones; when the sequences do not extend the cached ones
   * (a rollback, a new prompt) it crops the cache to the common prefix.
   * `reorder` (beam search) permutes the cache rows. Sequences of unequal
   * length are run one by one without the cache.
   * @example
   * const step = lm.stepFn();
   * const beams = await beamSearch(step, { prompt: [1, 2], numBeams: 3, maxNewTokens: 5, hooks: step });
   * step.dispose();
   */
  stepFn(options: { useCache?: boolean } = {}): ModelStepFn {
    const useCache = options.useCache ?? true;
    const vocab = this.config.vocabSize;
    let cache: KVCache | undefined = useCache ? this.createCache() : undefined;
    let cached: number[][] = [];
    const lastLogits = (ids: number[][], c?: KVCache): Float32Array[] => {
      // The tidy returns the tensor, not its values: tf.tidy walks every element of an array it returns.
      const last = tf.tidy(() => {
        const logits = this.forward(ids, c ? { cache: c } : {});
        const [b, t] = logits.shape;
        // one new token per sequence (cached decoding): the logits are already the last position's
        return t === 1 ? logits : tf.slice(logits, [0, t - 1, 0], [b, 1, vocab]);
      });
      let data: Float32Array;
      try {
        data = last.dataSync() as Float32Array;
      } finally {
        last.dispose();
      }
      return ids.map((_, i) => data.slice(i * vocab, (i + 1) * vocab));
    };
    const step = async (sequences: number[][]): Promise<Float32Array[]> => {
      if (!Array.isArray(sequences) || sequences.length === 0 || sequences.some((s) => !Array.isArray(s) || s.length === 0)) {
        throw new InvalidArgumentError('stepFn(sequences) needs a non-empty array of non-empty token id arrays.');
      }
      const len = sequences[0].length;
      if (!cache || sequences.some((s) => s.length !== len)) {
        return sequences.flatMap((s) => lastLogits([s]));
      }
      let common = 0;
      if (cached.length === sequences.length) {
        common = cache.pastLength;
        sequences.forEach((s, i) => {
          let j = 0;
          const c = cached[i];
          while (j < common && j < s.length && c[j] === s[j]) j++;
          common = Math.min(common, j);
        });
      }
      common = Math.min(common, len - 1);
      if (common === 0) cache.reset();
      else if (common < cache.pastLength) cache.crop(common);
      const out = lastLogits(
        sequences.map((s) => s.slice(common)),
        cache,
      );
      cached = sequences.map((s) => [...s]);
      return out;
    };
    const hooks = {
      reorder(beamIndices: number[]) {
        if (!cache) return;
        cache.reorder(beamIndices);
        cached = beamIndices.map((i) => cached[i]);
      },
      reset() {
        cache?.reset();
        cached = [];
      },
      dispose() {
        cache?.dispose();
        cache = undefined;
        cached = [];
      },
    };
    Object.defineProperty(step, 'cache', { get: () => cache, enumerable: true });
    return Object.assign(step, hooks) as ModelStepFn;
  }

  /**
   * Stream tokens with @llmkit/sampling's `generate` over {@link stepFn}.
   * `decode` defaults to the model's tokenizer when it has one.
   * @throws {InvalidArgumentError} `invalid_argument` as sampling's generate.
   * @example
   * for await (const chunk of lm.generate([1, 2, 3], { maxNewTokens: 8, config: { temperature: 0 } })) console.log(chunk.tokenId);
   */
  async *generate(prompt: number[], options: DecoderGenerateOptions): AsyncGenerator<GenerateChunk, void, undefined> {
    const { useCache, ...rest } = options ?? ({} as DecoderGenerateOptions);
    const step = this.stepFn({ useCache: useCache ?? true });
    const tokenizer = this.tokenizer;
    const decode = rest.decode ?? (tokenizer ? (ids: number[]) => tokenizer.decode(ids) : undefined);
    try {
      yield* sampleGenerate(step, { ...rest, prompt, ...(decode ? { decode } : {}) });
    } finally {
      step.dispose();
    }
  }

  /**
   * Save as a Hugging Face model directory: config.json (the original object
   * with `dtype` / `torch_dtype` updated), model.safetensors or shards +
   * model.safetensors.index.json (HF names and layout, tied weights once),
   * and the tokenizer / generation files the model was loaded with.
   * @throws {InvalidArgumentError} `invalid_argument` for a bad dtype or maxShardBytes.
   * @example
   * await lm.save('./out', { dtype: 'BF16', maxShardBytes: 5e8 });
   */
  async save(dir: string, options: SaveWeightsOptions = {}): Promise<void> {
    if (typeof dir !== 'string' || dir === '') throw new InvalidArgumentError('DecoderLM.save(dir) needs a directory path.');
    const dtype = options.dtype ?? 'F32';
    await saveWeights(this, this.architecture, dir, options);
    await saveConfig(this.config.hf, dir, dtype);
    const copied = this._sourceDir && this._sourceDir !== dir ? await copyTokenizerFiles(this._sourceDir, dir) : [];
    if (!copied.includes('tokenizer.json') && this.tokenizer && 'toHuggingFaceJSON' in this.tokenizer) {
      const json = (this.tokenizer as { toHuggingFaceJSON(): Record<string, unknown> }).toHuggingFaceJSON();
      await writeFile(join(dir, 'tokenizer.json'), JSON.stringify(json));
    }
    if (!copied.includes('tokenizer_config.json') && this.tokenizerConfig) await writeFile(join(dir, 'tokenizer_config.json'), hfJson(this.tokenizerConfig));
    if (!copied.includes('generation_config.json') && this.generationConfig) await writeFile(join(dir, 'generation_config.json'), hfJson(this.generationConfig));
  }
}

function isModelConfig(value: Record<string, unknown> | ModelConfig): value is ModelConfig {
  return typeof (value as ModelConfig).modelType === 'string' && typeof (value as ModelConfig).hf === 'object' && (value as ModelConfig).hf !== null;
}
