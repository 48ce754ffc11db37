/**
 * Load a llama.cpp GGUF file (llama / qwen2 / gpt2 architectures, as written by
 * {@link exportGGUF} or convert_hf_to_gguf.py) into a {@link DecoderLM}: the inverse tensor-name
 * mapping, Q/K rows un-permuted (llama arch), every tensor dequantized to F32.
 */
import { Linear, tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { DecoderLM } from '@llmkit/model';
import { fromHuggingFace } from '@llmkit/tokenizer';
import { dequantizeBlocks, quantizeBlocks } from '../ggml/registry.js';
import type { GgmlTypeName } from '../ggml/types.js';
import { GgufError } from './errors.js';
import { unpermuteQK } from './export.js';
import { readGGUF } from './reader.js';
import { tokenizerJsonFromGguf } from './tokenizer.js';
import type { GgufFile, GgufValue } from './types.js';

const LLAMA_BLOCK: Record<string, string> = {
  attn_norm: 'input_layernorm',
  attn_q: 'self_attn.q_proj',
  attn_k: 'self_attn.k_proj',
  attn_v: 'self_attn.v_proj',
  attn_output: 'self_attn.o_proj',
  ffn_norm: 'post_attention_layernorm',
  ffn_gate: 'mlp.gate_proj',
  ffn_up: 'mlp.up_proj',
  ffn_down: 'mlp.down_proj',
};
const GPT2_BLOCK: Record<string, string> = {
  attn_norm: 'ln_1',
  attn_qkv: 'attn.c_attn',
  attn_output: 'attn.c_proj',
  ffn_norm: 'ln_2',
  ffn_up: 'mlp.c_fc',
  ffn_down: 'mlp.c_proj',
};
const LLAMA_GLOBAL: Record<string, string> = { token_embd: 'model.embed_tokens', output_norm: 'model.norm', output: 'lm_head' };
const GPT2_GLOBAL: Record<string, string> = {
  token_embd: 'transformer.wte',
  position_embd: 'transformer.wpe',
  output_norm: 'transformer.ln_f',
  output: 'lm_head',
};

function hfNameOf(arch: string, name: string): string | undefined {
  const gpt2 = arch === 'gpt2';
  const m = /^(.*)\.(weight|bias)$/.exec(name);
  if (!m) return undefined;
  const [, base, kind] = m as unknown as [string, string, string];
  const g = (gpt2 ? GPT2_GLOBAL : LLAMA_GLOBAL)[base];
  if (g) return `${g}.${kind}`;
  const blk = /^blk\.(\d+)\.(.+)$/.exec(base);
  const t = blk ? (gpt2 ? GPT2_BLOCK : LLAMA_BLOCK)[blk[2] as string] : undefined;
  if (!blk || !t) return undefined;
  return `${gpt2 ? 'transformer.h' : 'model.layers'}.${blk[1]}.${t}.${kind}`;
}

function metaNumber(file: GgufFile, key: string, fallback?: number): number {
  const v: GgufValue | undefined = file.metadata.get(key);
  if (v === undefined) {
    if (fallback !== undefined) return fallback;
    throw new GgufError(`loadGGUF: required metadata "${key}" is missing; the file is not a complete llama.cpp model.`, { field: `metadata["${key}"]` });
  }
  if (v.type === 'array' || v.type === 'string' || v.type === 'bool') {
    throw new GgufError(`loadGGUF: metadata "${key}" must be a number, got ${v.type}.`, { field: `metadata["${key}"]` });
  }
  return Number(v.value);
}

function bytesEqual(a: Uint8Array | undefined, b: Uint8Array | undefined): boolean {
  if (!a || !b || a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/**
 * HF `rope_scaling` from GGUF metadata: `rope.scaling.type` linear, or llama3 as llmkit writes it
 * (`llmkit.rope_scaling`, the HF dict as JSON, next to the `rope_freqs` tensor llama.cpp reads). A
 * foreign `rope_freqs` tensor without that key cannot be turned back into HF parameters: typed error.
 */
function ropeScalingOf(file: GgufFile, arch: string, hasFreqs: boolean): { rope_scaling?: Record<string, unknown> } {
  const own = file.metadata.get('llmkit.rope_scaling');
  if (own?.type === 'string') return { rope_scaling: JSON.parse(own.value) as Record<string, unknown> };
  if (hasFreqs) {
    throw new GgufError(
      'loadGGUF: the file has a rope_freqs tensor (llama3-style RoPE scaling) without its HF parameters; load the model from its Hugging Face checkpoint instead.',
      { field: 'rope_freqs.weight' },
    );
  }
  const type = file.metadata.get(`${arch}.rope.scaling.type`);
  if (type?.type !== 'string' || type.value === 'none') return {};
  if (type.value !== 'linear') {
    throw new GgufError(`loadGGUF: RoPE scaling type "${type.value}" is not supported (linear and llama3 are).`, { field: `${arch}.rope.scaling.type` });
  }
  return { rope_scaling: { rope_type: 'linear', factor: metaNumber(file, `${arch}.rope.scaling.factor`, 1) } };
}

/** Options of {@link loadGGUF}. */
export interface LoadGgufOptions {
  /** Round each quantized Linear's inputs as llama.cpp's CPU matmul does (activation quantization). Default false. */
  emulateLlamaCpp?: boolean;
  /**
   * Rebuild `model.tokenizer` from the `tokenizer.ggml.*` metadata (default true); false skips it
   * (no tokenizer, and malformed tokenizer metadata is not an error).
   */
  tokenizer?: boolean;
  /** Receives what is not rebuilt exactly (an unknown `tokenizer.ggml.pre`, a vocabulary type not rebuilt). Default: console.warn. */
  onWarning?: (message: string) => void;
}

/**
 * ggml CPU `vec_dot_type`: what llama.cpp converts the activations to before multiplying them with a
 * matrix of each type (ggml-cpu's type_traits_cpu). F32 matrices multiply F32 activations.
 */
export const GGML_VEC_DOT_TYPE: Readonly<Partial<Record<GgmlTypeName, GgmlTypeName>>> = {
  F32: 'F32',
  F16: 'F16',
  BF16: 'BF16',
  Q4_0: 'Q8_0',
  Q5_0: 'Q8_0',
  Q8_0: 'Q8_0',
  Q4_1: 'Q8_1',
  Q5_1: 'Q8_1',
  Q2_K: 'Q8_K',
  Q3_K: 'Q8_K',
  Q4_K: 'Q8_K',
  Q5_K: 'Q8_K',
  Q6_K: 'Q8_K',
};

/** Make `linear` round every input row through `type` (quantize, then dequantize) before its matmul. */
function quantizeInputs(linear: Linear, type: GgmlTypeName): void {
  const forward = linear.forward.bind(linear);
  linear.forward = (x: tf.Tensor): tf.Tensor => {
    const width = x.shape[x.shape.length - 1] as number;
    const values = x.dataSync() as Float32Array;
    const rounded = new Float32Array(values.length);
    for (let row = 0; row < values.length; row += width) {
      const slice = values.subarray(row, row + width);
      rounded.set(dequantizeBlocks(type, quantizeBlocks(type, slice), width), row);
    }
    const input = tf.tensor(rounded, x.shape, 'float32');
    try {
      return forward(input);
    } finally {
      input.dispose();
    }
  };
}

/**
 * Load a GGUF model file as a {@link DecoderLM}. Supports `general.architecture` `llama`
 * (-> model_type llama; Mistral exports come back as llama, without a sliding window),
 * `qwen2` and `gpt2`. The HF config is rebuilt from the `<arch>.*` metadata; weights are
 * dequantized to F32 (any type {@link dequantizeBlocks} supports) and Q/K rows un-permuted for
 * `llama`. Embeddings are tied when `output.weight` is absent or byte-identical to
 * `token_embd.weight`. `tokenizer.chat_template` is restored into `model.tokenizerConfig`.
 *
 * The tokenizer is rebuilt from the metadata (unless `{ tokenizer: false }`) as a Hugging Face
 * tokenizer.json loaded with `fromHuggingFace`, so that it tokenizes as llama.cpp does
 * (transformers' GGUF converters, with llama.cpp's own rules):
 * - `gpt2` (byte-level BPE): tokens and merges; the pre-tokenizer is llama.cpp's regex list for
 *   `tokenizer.ggml.pre` (`default`, `gpt-2`, `llama-bpe` / `llama3` with `ignore_merges`, `qwen2`,
 *   starcoder-style; any other name falls back to GPT-2's and calls `onWarning`);
 * - `llama` (SentencePiece): a byte-fallback BPE whose merges are every split of every token into two
 *   tokens, ranked by the token's score, which is llama.cpp's SPM algorithm; spaces become `▁` and,
 *   with `add_space_prefix` (default true), one is prepended;
 * - special tokens: token types CONTROL and UNKNOWN as special added tokens, USER_DEFINED as
 *   non-special ones; `unknown_token_id`; `add_bos_token` / `add_eos_token` (llama.cpp's defaults
 *   when absent) as the post-processor; bos / eos / pad ids go to the config.
 * No `tokenizer.ggml.model`, or `no_vocab`: no tokenizer. `bert`, `t5` and the other llama.cpp
 * vocabularies are not rebuilt (`onWarning`).
 *
 * With `emulateLlamaCpp`, every Linear whose GGUF matrix is quantized first rounds its input rows
 * through ggml's `vec_dot_type` of that matrix (see {@link GGML_VEC_DOT_TYPE}), as llama.cpp's CPU
 * backend does before its integer dot products; the model then predicts llama.cpp's log-probs
 * to ~1e-4 instead of the ~0.1-0.5 gap activation rounding leaves on small quantized models.
 *
 * @throws InvalidArgumentError for a bad path; GgufError for an unsupported architecture,
 *   missing metadata, or unknown / missing tensors; GgufError naming the `tokenizer.ggml.*` field for
 *   malformed tokenizer metadata (a tokenizer model llama.cpp does not know, scores or token types
 *   whose length differs from the tokens, duplicate tokens, token ids outside the vocabulary, merges
 *   naming missing tokens).
 * @example
 * exportGGUF(lm, 'tiny.gguf', { type: 'Q8_0' });
 * const back = loadGGUF('tiny.gguf');
 * back.forward([[1, 2, 3]]);
 * back.tokenizer?.encode('Call me Ishmael.'); // rebuilt from tokenizer.ggml.* when the file has a vocabulary
 */
export function loadGGUF(path: string | Uint8Array, options: LoadGgufOptions = {}): DecoderLM {
  if (!(typeof path === 'string' && path.length > 0) && !(path instanceof Uint8Array)) {
    throw new InvalidArgumentError('loadGGUF: path must be a GGUF file path (string) or its bytes (Uint8Array).');
  }
  if (options.tokenizer !== undefined && typeof options.tokenizer !== 'boolean') {
    throw new InvalidArgumentError(`loadGGUF: options.tokenizer must be a boolean, got ${typeof options.tokenizer}.`);
  }
  if (options.onWarning !== undefined && typeof options.onWarning !== 'function') {
    throw new InvalidArgumentError('loadGGUF: options.onWarning must be a function (message: string) => void.');
  }
  const file = readGGUF(path, { readTensorData: true });
  const archV = file.metadata.get('general.architecture');
  const arch = archV?.type === 'string' ? archV.value : undefined;
  if (arch !== 'llama' && arch !== 'qwen2' && arch !== 'gpt2') {
    throw new GgufError(`loadGGUF: general.architecture "${String(arch)}" is not supported; supported: llama, qwen2, gpt2.`, {
      field: 'metadata["general.architecture"]',
    });
  }
  const byName = new Map(file.tensors.map((t) => [t.name, t] as const));
  const embd = byName.get('token_embd.weight');
  if (!embd) throw new GgufError('loadGGUF: tensor "token_embd.weight" is missing.', { field: 'tensor_infos' });
  const out = byName.get('output.weight');
  const tied = !out || bytesEqual(out.data, embd.data);
  const vocab = metaNumber(file, `${arch}.vocab_size`, embd.shape[1]);
  const hidden = metaNumber(file, `${arch}.embedding_length`);
  const layers = metaNumber(file, `${arch}.block_count`);
  const heads = metaNumber(file, `${arch}.attention.head_count`);
  const kvHeads = metaNumber(file, `${arch}.attention.head_count_kv`, heads);
  const ff = metaNumber(file, `${arch}.feed_forward_length`);
  const ctx = metaNumber(file, `${arch}.context_length`);
  const tokenIds: Record<string, unknown> = {};
  for (const [key, hf] of [['bos', 'bos_token_id'], ['eos', 'eos_token_id'], ['padding', 'pad_token_id']] as const) {
    if (file.metadata.has(`tokenizer.ggml.${key}_token_id`)) tokenIds[hf] = metaNumber(file, `tokenizer.ggml.${key}_token_id`);
  }
  let tokenizerJson: Record<string, unknown> | undefined;
  if (options.tokenizer !== false) {
    const warnings: string[] = [];
    try {
      tokenizerJson = tokenizerJsonFromGguf(file.metadata, warnings).json;
    } catch (e) {
      if (!(e instanceof GgufError) || e.message.includes('{ tokenizer: false }')) throw e;
      throw new GgufError(`${e.message} Pass { tokenizer: false } to load the weights without a tokenizer.`, { field: e.field, cause: e });
    }
    const warn = options.onWarning ?? ((m: string) => console.warn(`loadGGUF: ${m}`));
    for (const w of warnings) warn(w);
  }
  let hf: Record<string, unknown>;
  if (arch === 'gpt2') {
    hf = {
      model_type: 'gpt2',
      vocab_size: vocab,
      n_embd: hidden,
      n_layer: layers,
      n_head: heads,
      n_inner: ff,
      n_positions: ctx,
      layer_norm_epsilon: metaNumber(file, `${arch}.attention.layer_norm_epsilon`, 1e-5),
      activation_function: 'gelu_new',
      tie_word_embeddings: tied,
      ...tokenIds,
    };
  } else {
    const headDim = metaNumber(file, `${arch}.attention.key_length`, hidden / heads);
    hf = {
      model_type: arch,
      vocab_size: vocab,
      hidden_size: hidden,
      intermediate_size: ff,
      num_hidden_layers: layers,
      num_attention_heads: heads,
      num_key_value_heads: kvHeads,
      head_dim: headDim,
      max_position_embeddings: ctx,
      rms_norm_eps: metaNumber(file, `${arch}.attention.layer_norm_rms_epsilon`, 1e-6),
      rope_theta: metaNumber(file, `${arch}.rope.freq_base`, 10000),
      ...ropeScalingOf(file, arch, byName.has('rope_freqs.weight')),
      hidden_act: 'silu',
      tie_word_embeddings: tied,
      ...(arch === 'llama' ? { attention_bias: byName.has('blk.0.attn_q.bias'), mlp_bias: byName.has('blk.0.ffn_up.bias') } : {}),
      ...tokenIds,
    };
  }
  const model = DecoderLM.fromConfig(hf);
  const own = model.stateDict();
  const state = new Map<string, tf.Tensor>();
  try {
    for (const t of file.tensors) {
      if ((t.name === 'output.weight' && tied) || t.name === 'rope_freqs.weight') continue;
      const hfName = hfNameOf(arch, t.name);
      if (!hfName || !own.has(hfName)) {
        throw new GgufError(`loadGGUF: tensor "${t.name}" has no counterpart in the ${arch} model (config rebuilt from metadata).`, { field: t.name });
      }
      const count = t.shape.reduce((a, b) => a * b, 1);
      let values = dequantizeBlocks(t.type, t.data as Uint8Array, count);
      const torchShape = [...t.shape].reverse();
      if (arch === 'llama' && /\.attn_[qk]\.(weight|bias)$/.test(t.name)) {
        const nh = t.name.includes('attn_q') ? heads : kvHeads;
        values = unpermuteQK(values, torchShape[0] as number, torchShape.length > 1 ? (torchShape[1] as number) : 1, nh);
      }
      state.set(hfName, tf.tensor(values, torchShape, 'float32'));
    }
    if (tied && own.has('lm_head.weight') && !state.has('lm_head.weight')) {
      const e = state.get(arch === 'gpt2' ? 'transformer.wte.weight' : 'model.embed_tokens.weight');
      if (e) state.set('lm_head.weight', e);
    }
    const missing = [...own.keys()].filter((k) => !state.has(k));
    if (missing.length) {
      throw new GgufError(`loadGGUF: the file lacks tensors for [${missing.slice(0, 8).join(', ')}]; it is not a complete ${arch} model.`, {
        field: 'tensor_infos',
      });
    }
    model.loadStateDict(state);
  } catch (e) {
    model.dispose();
    throw e;
  } finally {
    for (const v of new Set(state.values())) v.dispose();
  }
  if (options.emulateLlamaCpp) {
    for (const t of file.tensors) {
      const vecDot = GGML_VEC_DOT_TYPE[t.type];
      const hfName = hfNameOf(arch, t.name);
      if (!vecDot || vecDot === 'F32' || !hfName?.endsWith('.weight')) continue;
      const path = hfName.slice(0, -'.weight'.length);
      let module: unknown;
      try {
        module = model.getSubmodule(path);
      } catch {
        continue; // embeddings are looked up, not multiplied
      }
      if (module instanceof Linear) quantizeInputs(module, vecDot);
    }
  }
  const tmpl = file.metadata.get('tokenizer.chat_template');
  if (tmpl?.type === 'string') model.tokenizerConfig = { chat_template: tmpl.value };
  if (tokenizerJson) {
    try {
      model.tokenizer = fromHuggingFace(tokenizerJson, model.tokenizerConfig ? { tokenizerConfig: model.tokenizerConfig } : undefined);
    } catch (e) {
      model.dispose();
      throw new GgufError(`loadGGUF: the tokenizer.ggml.* metadata does not form a tokenizer: ${(e as Error).message}`, { field: 'metadata["tokenizer.ggml.tokens"]', cause: e });
    }
  }
  return model;
}
