/**
 * The normalized model configuration every architecture produces from a
 * Hugging Face `config.json`, and the small typed readers the architectures'
 * parsers share. Each reader names the config key and the fix in its error.
 */
import { tf } from '@llmkit/core';
import { gelu, silu } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';

/**
 * A decoder-only model's configuration, normalized from a Hugging Face
 * `config.json` (see the architectures' `parseConfig`). `hf` keeps the
 * original object (completed with the normalized keys), which `save()` writes back.
 *
 * @example
 * const config = parseModelConfig({ model_type: 'gpt2', n_embd: 32, n_layer: 2, n_head: 4, vocab_size: 100 });
 * config.headDim; // 8
 */
export interface ModelConfig {
  /** Registry key: 'gpt2' | 'llama' | 'qwen2' | 'mistral' (or a registered architecture). */
  modelType: string;
  vocabSize: number;
  hiddenSize: number;
  numLayers: number;
  numHeads: number;
  /** Key/value heads (GQA); equals numHeads for multi-head attention. */
  numKvHeads: number;
  headDim: number;
  /** MLP inner size (GPT-2 `n_inner`, default 4 * hidden). */
  intermediateSize: number;
  maxPositionEmbeddings: number;
  /** LayerNorm / RMSNorm epsilon. */
  normEps: number;
  tieWordEmbeddings: boolean;
  /** Bias on the q/k/v projections. */
  attentionBias: boolean;
  /** Bias on the attention output projection (Llama `attention_bias` sets both; Qwen2 has q/k/v bias only). */
  attentionOutputBias: boolean;
  mlpBias: boolean;
  /** HF activation name (`gelu_new`, `silu`, ...); see {@link activationFn}. */
  hiddenAct: string;
  /** Sliding-window attention span (Mistral; Qwen2 with use_sliding_window). */
  slidingWindow?: number;
  bosTokenId?: number;
  eosTokenId?: number | number[];
  padTokenId?: number;
  /** The original config.json object (written back by `save()`). */
  hf: Record<string, unknown>;
}

/** Throw unless `value` is a plain (non-array) object. */
export function checkConfigObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`${what} must be a config.json object, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}.`);
  }
}

/** Reads typed fields of a HF config object, falling back to HF's defaults. */
export class ConfigReader {
  constructor(
    readonly hf: Record<string, unknown>,
    readonly modelType: string,
  ) {}

  private has(key: string): boolean {
    return this.hf[key] !== undefined && this.hf[key] !== null;
  }

  private fail(key: string, expected: string): never {
    throw new InvalidArgumentError(
      `config.json (${this.modelType}): "${key}" must be ${expected}, got ${JSON.stringify(this.hf[key])}; fix the value in config.json.`,
    );
  }

  /** A positive integer, or `fallback` when absent/null. */
  positiveInt(key: string, fallback?: number): number {
    if (!this.has(key)) {
      if (fallback === undefined) this.fail(key, 'a positive integer (it is required)');
      return fallback;
    }
    const v = this.hf[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) this.fail(key, 'a positive integer');
    return v;
  }

  /** A positive integer or undefined when absent/null. */
  optionalPositiveInt(key: string): number | undefined {
    return this.has(key) ? this.positiveInt(key) : undefined;
  }

  /** A finite number > 0. */
  positiveNumber(key: string, fallback: number): number {
    if (!this.has(key)) return fallback;
    const v = this.hf[key];
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) this.fail(key, 'a finite number > 0');
    return v;
  }

  bool(key: string, fallback: boolean): boolean {
    if (!this.has(key)) return fallback;
    const v = this.hf[key];
    if (typeof v !== 'boolean') this.fail(key, 'true or false');
    return v;
  }

  string(key: string, fallback: string): string {
    if (!this.has(key)) return fallback;
    const v = this.hf[key];
    if (typeof v !== 'string') this.fail(key, 'a string');
    return v;
  }

  /** A non-negative integer token id, or undefined. */
  tokenId(key: string): number | undefined {
    if (!this.has(key)) return undefined;
    const v = this.hf[key];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) this.fail(key, 'a non-negative integer token id or null');
    return v;
  }

  /** A token id or a list of them (HF `eos_token_id`). */
  tokenIds(key: string): number | number[] | undefined {
    if (!this.has(key)) return undefined;
    const v = this.hf[key];
    if (Array.isArray(v)) {
      if (!v.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0)) this.fail(key, 'a token id or a list of token ids');
      return v as number[];
    }
    return this.tokenId(key);
  }
}

/** Check the head layout: hidden divisible into heads (unless head_dim is given) and numHeads % numKvHeads === 0. */
export function checkHeads(config: ModelConfig): void {
  const { numHeads, numKvHeads, modelType } = config;
  if (numHeads % numKvHeads !== 0) {
    throw new InvalidArgumentError(
      `config.json (${modelType}): num_attention_heads ${numHeads} must be a multiple of num_key_value_heads ${numKvHeads} (grouped-query attention); fix one of them.`,
    );
  }
}

/** Remove undefined optional fields so configs compare and print cleanly. */
export function compactConfig(config: ModelConfig): ModelConfig {
  const out = { ...config } as Record<string, unknown>;
  for (const key of ['slidingWindow', 'bosTokenId', 'eosTokenId', 'padTokenId']) if (out[key] === undefined) delete out[key];
  return out as unknown as ModelConfig;
}

type Activation = (x: tf.Tensor) => tf.Tensor;

/** HF `ACT2FN` names this package implements. */
const ACTIVATIONS: Record<string, Activation> = {
  gelu: (x) => gelu(x, 'none'),
  gelu_new: (x) => gelu(x, 'tanh'),
  gelu_pytorch_tanh: (x) => gelu(x, 'tanh'),
  gelu_fast: (x) => gelu(x, 'tanh'),
  silu: (x) => silu(x),
  swish: (x) => silu(x),
  relu: (x) => tf.relu(x),
};

/**
 * Names accepted by {@link activationFn}.
 * @example
 * ACTIVATION_NAMES.includes('silu'); // true
 */
export const ACTIVATION_NAMES: readonly string[] = Object.keys(ACTIVATIONS);

/**
 * The activation for a HF `hidden_act` / `activation_function` name, as in
 * transformers' `ACT2FN` (`gelu_new`/`gelu_pytorch_tanh` are the tanh GELU).
 * @throws {InvalidArgumentError} `invalid_argument` for an unsupported name.
 * @example
 * activationFn('silu')(tf.tensor([1])); // [0.7311]
 */
export function activationFn(name: string): Activation {
  const fn = ACTIVATIONS[name];
  if (!fn) {
    throw new InvalidArgumentError(`Unsupported activation "${name}"; supported: ${ACTIVATION_NAMES.join(', ')}. Set hidden_act / activation_function in config.json to one of them.`);
  }
  return fn;
}
