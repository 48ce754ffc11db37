/**
 * Export a {@link DecoderLM} (GPT-2, Llama, Qwen2, Mistral) to a llama.cpp GGUF file, following
 * llama.cpp's `convert_hf_to_gguf.py` conventions: tensor names from gguf-py's
 * `TENSOR_NAMES`, ggml (reversed) shapes, Q/K rows permuted for llama.cpp's interleaved RoPE
 * (Llama/Mistral only; Qwen2 uses NeoX RoPE in llama.cpp and is not permuted), 1-D tensors
 * (norms, biases) kept F32, and `<arch>.*` / `tokenizer.ggml.*` metadata keys.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import type { DecoderLM } from '@llmkit/model';
import type { Tokenizer } from '@llmkit/tokenizer';
import { GGML_BLOCK_GEOMETRY, type GgmlTypeName } from '../ggml/types.js';
import { GgufError } from './errors.js';
import type { GgufTensorInput, GgufValue } from './types.js';
import { checkGgufTokenizer, tokenizerToGguf } from './tokenizer.js';
import { writeGGUF } from './writer.js';

/** ggml types {@link exportGGUF} can store matrices as. */
export type GgufExportType =
  | 'F32'
  | 'F16'
  | 'BF16'
  | 'Q8_0'
  | 'Q4_0'
  | 'Q4_1'
  | 'Q5_0'
  | 'Q5_1'
  | 'Q2_K'
  | 'Q3_K'
  | 'Q4_K'
  | 'Q5_K'
  | 'Q6_K';

/** Options of {@link exportGGUF}. */
export interface ExportGgufOptions {
  /** ggml type of the 2-D weight matrices (default 'F16', as convert_hf_to_gguf.py's default outtype). 1-D tensors stay F32. */
  type?: GgufExportType;
  /** `general.name` (default: the architecture name). */
  name?: string;
  /**
   * Rebuild llama.cpp's tokenizer from the vocabulary written and compare it with `model.tokenizer` on
   * a few texts, adding a warning per difference (default true; costs a tokenizer load, ~1 s for a
   * 262k vocabulary).
   */
  checkTokenizer?: boolean;
}

/** What {@link exportGGUF} wrote. */
export interface ExportGgufResult {
  /** The GGUF file bytes (also written to `path`). */
  bytes: Uint8Array;
  /** The GGUF architecture (`general.architecture`). */
  arch: string;
  /** Every tensor written: GGUF name, ggml shape and the type actually used (after fallbacks). */
  tensors: { name: string; shape: number[]; type: GgmlTypeName; source: string }[];
  /** What llama.cpp may run differently from llmkit (for example an unknown pre-tokenizer). Empty when none. */
  warnings: string[];
}

/**
 * llama.cpp `llama_ftype` (`general.file_type`) of an all-`type` model. K-quants use the `_S`
 * variant since every matrix gets the same type.
 */
export const GGUF_FILE_TYPES: Readonly<Record<GgufExportType, number>> = {
  F32: 0,
  F16: 1,
  Q4_0: 2,
  Q4_1: 3,
  Q8_0: 7,
  Q5_0: 8,
  Q5_1: 9,
  Q2_K: 10,
  Q3_K: 11,
  Q4_K: 14,
  Q5_K: 16,
  Q6_K: 18,
  BF16: 32,
};

/**
 * llama.cpp's fallback when a row length (`ne0`) is not a multiple of a K-quant's 256-value
 * super-block (`llama-quant.cpp`): Q4_K -> Q5_0, Q5_K -> Q5_1, Q6_K -> Q8_0; Q2_K / Q3_K fall
 * back to IQ4_NL there, which this package does not implement, so they use Q5_0 (the same 32-wide
 * legacy family). When even 32 does not divide the row, F16 is used (as llama.cpp does).
 */
export const GGUF_KQUANT_FALLBACK: Readonly<Partial<Record<GgufExportType, GgufExportType>>> = {
  Q2_K: 'Q5_0',
  Q3_K: 'Q5_0',
  Q4_K: 'Q5_0',
  Q5_K: 'Q5_1',
  Q6_K: 'Q8_0',
};

/**
 * Permute the rows of a Q or K projection (`[nHead * headDim, cols]`, row-major; `cols` = 1 for
 * a bias) from Hugging Face's half-split RoPE layout to llama.cpp's interleaved one, as
 * convert_hf_to_gguf.py's `LlamaModel.permute`:
 * `w.reshape(nHead, 2, headDim / 2, cols).swapaxes(1, 2).reshape(rows, cols)`.
 * Within each head, output row `2i + j` is input row `j * headDim / 2 + i`.
 *
 * @throws InvalidArgumentError when the row count is not a multiple of `2 * nHead` or the data length is not rows * cols.
 * @example
 * // one head of 4 rows [r0, r1, r2, r3] (cols = 1) -> [r0, r2, r1, r3]
 * permuteQK(new Float32Array([0, 1, 2, 3]), 4, 1, 1); // Float32Array [0, 2, 1, 3]
 */
export function permuteQK(data: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  checkPermute('permuteQK', data, rows, cols, nHead);
  const half = rows / nHead / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < nHead; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const src = (h * 2 * half + j * half + i) * cols;
        const dst = (h * 2 * half + 2 * i + j) * cols;
        out.set(data.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

/**
 * Inverse of {@link permuteQK}: llama.cpp's interleaved Q/K rows back to Hugging Face's layout.
 *
 * @throws InvalidArgumentError as {@link permuteQK}.
 * @example
 * unpermuteQK(new Float32Array([0, 2, 1, 3]), 4, 1, 1); // Float32Array [0, 1, 2, 3]
 */
export function unpermuteQK(data: Float32Array, rows: number, cols: number, nHead: number): Float32Array {
  checkPermute('unpermuteQK', data, rows, cols, nHead);
  const half = rows / nHead / 2;
  const out = new Float32Array(data.length);
  for (let h = 0; h < nHead; h++) {
    for (let j = 0; j < 2; j++) {
      for (let i = 0; i < half; i++) {
        const dst = (h * 2 * half + j * half + i) * cols;
        const src = (h * 2 * half + 2 * i + j) * cols;
        out.set(data.subarray(src, src + cols), dst);
      }
    }
  }
  return out;
}

function checkPermute(fn: string, data: Float32Array, rows: number, cols: number, nHead: number): void {
  if (!(data instanceof Float32Array)) throw new InvalidArgumentError(`${fn}: data must be a Float32Array.`);
  for (const [k, v] of [['rows', rows], ['cols', cols], ['nHead', nHead]] as const) {
    if (!Number.isInteger(v) || v <= 0) throw new InvalidArgumentError(`${fn}: ${k} must be a positive integer, got ${v}.`);
  }
  if (rows % (2 * nHead) !== 0) {
    throw new InvalidArgumentError(`${fn}: rows ${rows} must be a multiple of 2 * nHead (${2 * nHead}); pass the head count of this projection.`);
  }
  if (data.length !== rows * cols) throw new InvalidArgumentError(`${fn}: data has ${data.length} values, expected rows * cols = ${rows * cols}.`);
}

/** HF module-name suffix -> GGUF block tensor (gguf-py MODEL_TENSOR names). */
const LLAMA_BLOCK: Record<string, string> = {
  'input_layernorm': 'attn_norm',
  'self_attn.q_proj': 'attn_q',
  'self_attn.k_proj': 'attn_k',
  'self_attn.v_proj': 'attn_v',
  'self_attn.o_proj': 'attn_output',
  'post_attention_layernorm': 'ffn_norm',
  'mlp.gate_proj': 'ffn_gate',
  'mlp.up_proj': 'ffn_up',
  'mlp.down_proj': 'ffn_down',
};
const GPT2_BLOCK: Record<string, string> = {
  'ln_1': 'attn_norm',
  'attn.c_attn': 'attn_qkv',
  'attn.c_proj': 'attn_output',
  'ln_2': 'ffn_norm',
  'mlp.c_fc': 'ffn_up',
  'mlp.c_proj': 'ffn_down',
};
const LLAMA_GLOBAL: Record<string, string> = { 'model.embed_tokens': 'token_embd', 'model.norm': 'output_norm', 'lm_head': 'output' };
const GPT2_GLOBAL: Record<string, string> = {
  'transformer.wte': 'token_embd',
  'transformer.wpe': 'position_embd',
  'transformer.ln_f': 'output_norm',
  'lm_head': 'output',
};

/** @internal GGUF architecture of a model type. */
export function ggufArchOf(modelType: string): 'llama' | 'qwen2' | 'gpt2' {
  if (modelType === 'llama' || modelType === 'mistral') return 'llama';
  if (modelType === 'qwen2') return 'qwen2';
  if (modelType === 'gpt2') return 'gpt2';
  throw new InvalidArgumentError(`exportGGUF: model_type "${modelType}" is not supported; supported: llama, mistral, qwen2, gpt2.`);
}

/** @internal HF parameter name -> GGUF tensor name (undefined when unknown). */
export function ggufTensorName(modelType: string, hfName: string): string | undefined {
  const gpt2 = modelType === 'gpt2';
  const m = /^(.*)\.(weight|bias)$/.exec(hfName);
  if (!m) return undefined;
  const [, mod, kind] = m as unknown as [string, string, string];
  const global = (gpt2 ? GPT2_GLOBAL : LLAMA_GLOBAL)[mod];
  if (global) return `${global}.${kind}`;
  const blk = (gpt2 ? /^transformer\.h\.(\d+)\.(.+)$/ : /^model\.layers\.(\d+)\.(.+)$/).exec(mod);
  if (!blk) return undefined;
  const t = (gpt2 ? GPT2_BLOCK : LLAMA_BLOCK)[blk[2] as string];
  return t ? `blk.${blk[1]}.${t}.${kind}` : undefined;
}

/** RoPE metadata for llama.cpp: base, and the scaling llama.cpp implements (linear; llama3 through `rope_freqs`). */
interface RopeExport {
  theta: number;
  linearFactor?: number;
  /** llama3 scaling: per-frequency divisors written as the `rope_freqs.weight` tensor (convert_hf_to_gguf's generate_extra_tensors). */
  freqFactors?: Float32Array;
  /** The HF rope_scaling dict, kept as `llmkit.rope_scaling` so loadGGUF restores llama3 parameters. */
  hf?: Record<string, unknown>;
}

function ropeOf(hf: Record<string, unknown>, headDim: number): RopeExport {
  const raw = (hf.rope_parameters ?? hf.rope_scaling) as Record<string, unknown> | null | undefined;
  const type = raw ? (raw.rope_type ?? raw.type ?? 'default') : 'default';
  const theta = Number(raw?.rope_theta ?? hf.rope_theta ?? 10000);
  if (type === 'default') return { theta };
  const factor = Number(raw?.factor);
  if (!(factor > 0)) throw new InvalidArgumentError(`exportGGUF: rope_scaling of type "${String(type)}" needs a positive "factor", got ${String(raw?.factor)}.`);
  if (type === 'linear') return { theta, linearFactor: factor };
  if (type === 'llama3') {
    const low = Number(raw?.low_freq_factor ?? 1);
    const high = Number(raw?.high_freq_factor ?? 4);
    const original = Number(raw?.original_max_position_embeddings ?? 8192);
    const lowWavelen = original / low;
    const highWavelen = original / high;
    const freqFactors = new Float32Array(headDim / 2);
    for (let i = 0; i < headDim / 2; i++) {
      const freq = 1 / theta ** ((2 * i) / headDim);
      const wavelen = (2 * Math.PI) / freq;
      if (wavelen < highWavelen) freqFactors[i] = 1;
      else if (wavelen > lowWavelen) freqFactors[i] = factor;
      else {
        const smooth = (original / wavelen - low) / (high - low);
        freqFactors[i] = 1 / ((1 - smooth) / factor + smooth);
      }
    }
    return { theta, freqFactors, hf: { ...raw, rope_type: 'llama3' } };
  }
  throw new InvalidArgumentError(
    `exportGGUF: rope type "${String(type)}" is not exported (llama.cpp runs "linear" and "llama3" as transformers does; ` +
      'dynamic NTK has no llama.cpp equivalent and YaRN\'s attention scaling differs); export a model with default, linear or llama3 RoPE.',
  );
}

const u32 = (value: number): GgufValue => ({ type: 'uint32', value });
const f32 = (value: number): GgufValue => ({ type: 'float32', value: Math.fround(value) });
const str = (value: string): GgufValue => ({ type: 'string', value });

/** Pick the storage type of a tensor: 1-D -> F32; a matrix whose rows the block does not divide -> fallback. */
function storageType(requested: GgufExportType, shape: number[]): GgmlTypeName {
  if (shape.length < 2) return 'F32';
  let t: GgufExportType = requested;
  const ne0 = shape[0] as number;
  if (ne0 % GGML_BLOCK_GEOMETRY[t].blockSize !== 0) t = GGUF_KQUANT_FALLBACK[t] ?? t;
  if (ne0 % GGML_BLOCK_GEOMETRY[t].blockSize !== 0) t = 'F16';
  return t;
}

/**
 * Tokenizer metadata from `model.tokenizer`'s tokenizer.json (see ./tokenizer.ts): byte-level BPE as
 * `gpt2`, SentencePiece-style as `llama`, then a probe that rebuilds llama.cpp's tokenizer from the
 * written metadata and compares it with the original on a few texts (a warning per difference).
 */
function tokenizerMetadata(model: DecoderLM, meta: Map<string, GgufValue>, warnings: string[], check: boolean): void {
  const tok = model.tokenizer as unknown as (Partial<Tokenizer> & { toHuggingFaceJSON?: () => Record<string, unknown> }) | undefined;
  const cfg = model.config;
  const eos = Array.isArray(cfg.eosTokenId) ? cfg.eosTokenId[0] : cfg.eosTokenId;
  if (tok && typeof tok.toHuggingFaceJSON === 'function') {
    const json = tok.toHuggingFaceJSON();
    const kind = tokenizerToGguf(
      json,
      { vocabSize: cfg.vocabSize, bosTokenId: cfg.bosTokenId, eosTokenId: eos, padTokenId: cfg.padTokenId, tokenizerConfig: model.tokenizerConfig },
      meta,
      warnings,
    );
    if (check && kind !== 'no_vocab' && typeof tok.encode === 'function') {
      try {
        warnings.push(...checkGgufTokenizer(tok as Tokenizer, meta));
      } catch (e) {
        warnings.push(`the vocabulary written could not be rebuilt as a tokenizer to check it: ${(e as Error).message}`);
      }
    }
  }
  // llama.cpp refuses a file without tokenizer.ggml.model; "no_vocab" loads a model that takes token ids only.
  if (!meta.has('tokenizer.ggml.model')) meta.set('tokenizer.ggml.model', str('no_vocab'));
  if (cfg.bosTokenId !== undefined && !meta.has('tokenizer.ggml.bos_token_id')) meta.set('tokenizer.ggml.bos_token_id', u32(cfg.bosTokenId));
  if (eos !== undefined && !meta.has('tokenizer.ggml.eos_token_id')) meta.set('tokenizer.ggml.eos_token_id', u32(eos));
  if (cfg.padTokenId !== undefined && !meta.has('tokenizer.ggml.padding_token_id')) meta.set('tokenizer.ggml.padding_token_id', u32(cfg.padTokenId));
  const template = model.tokenizerConfig?.chat_template;
  if (typeof template === 'string') meta.set('tokenizer.chat_template', str(template));
}

/**
 * Write a {@link DecoderLM} as a llama.cpp GGUF file (convert_hf_to_gguf.py conventions).
 * Architectures: `llama` and `mistral` (GGUF arch `llama`, Q/K permuted for interleaved RoPE),
 * `qwen2` (arch `qwen2`), `gpt2` (arch `gpt2`; `output` is written even when tied, as the
 * converter does). 2-D matrices are stored as `options.type`; norms and biases stay F32; a matrix
 * whose row length is not a multiple of the type's block falls back per
 * {@link GGUF_KQUANT_FALLBACK}, then to F16. Tokenizer metadata comes from `model.tokenizer`'s
 * tokenizer.json, as convert_hf_to_gguf.py writes it:
 * - byte-level BPE: `tokenizer.ggml.model` `gpt2`, tokens, token types, merges, and
 *   `tokenizer.ggml.pre` from the pre-tokenizer regex (`llama-bpe`, `qwen2`, `gpt-2`; else `default`
 *   and a warning);
 * - SentencePiece-style (BPE with `byte_fallback` and `▁`, as Llama 2 / Mistral / Gemma; or Unigram):
 *   `llama`, tokens with `▁` and `<0xXX>`, float32 `scores` (for BPE, minus the rank of the first
 *   merge producing the token, so llama.cpp's score-driven SPM merging follows the merge order; -1e9
 *   for tokens no merge produces; Unigram: its log-probabilities), token types (NORMAL, UNKNOWN,
 *   CONTROL for special added tokens, USER_DEFINED for other added tokens, UNUSED for padding, BYTE),
 *   `unknown_token_id`, `add_space_prefix`;
 * - both: bos / eos / pad ids (config, else the post-processor's tokens), `add_bos_token` /
 *   `add_eos_token` from the post-processor, `tokenizer.chat_template`;
 * - WordPiece / WordLevel, or no tokenizer: `no_vocab` (token ids only).
 * Anything llama.cpp cannot represent (normalizers other than the ▁ replacement, Unigram's Viterbi,
 * missing byte tokens) is reported in `warnings`, and the written vocabulary is rebuilt with
 * loadGGUF's converter (llama.cpp's algorithm) and compared with `model.tokenizer` on a few texts;
 * each text that tokenizes differently adds a warning. Mistral's sliding window and
 * non-default RoPE scaling are not representable and are rejected / dropped (sliding window).
 *
 * @throws InvalidArgumentError for an unsupported model type, type, or RoPE scaling.
 * @example
 * const lm = DecoderLM.fromConfig({ model_type: 'llama', vocab_size: 128, hidden_size: 64, intermediate_size: 128,
 *   num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2 });
 * exportGGUF(lm, 'tiny-q8.gguf', { type: 'Q8_0' });
 */
export function exportGGUF(model: DecoderLM, path: string | null, options: ExportGgufOptions = {}): ExportGgufResult {
  if (typeof model !== 'object' || model === null || typeof (model as { stateDict?: unknown }).stateDict !== 'function' || !model.config) {
    throw new InvalidArgumentError('exportGGUF: model must be a DecoderLM (from @llmkit/model).');
  }
  const type = options.type ?? 'F16';
  if (!(type in GGUF_FILE_TYPES)) {
    throw new InvalidArgumentError(`exportGGUF: options.type "${String(type)}" is not supported; use one of ${Object.keys(GGUF_FILE_TYPES).join(', ')}.`);
  }
  if (options.checkTokenizer !== undefined && typeof options.checkTokenizer !== 'boolean') {
    throw new InvalidArgumentError(`exportGGUF: options.checkTokenizer must be a boolean, got ${typeof options.checkTokenizer}.`);
  }
  const cfg = model.config;
  const arch = ggufArchOf(cfg.modelType);
  const gpt2 = arch === 'gpt2';
  const permute = arch === 'llama';
  const rope = gpt2 ? { theta: 10000 } : ropeOf(cfg.hf, cfg.headDim);
  const meta = new Map<string, GgufValue>();
  meta.set('general.architecture', str(arch));
  meta.set('general.name', str(options.name ?? cfg.modelType));
  meta.set('general.file_type', u32(GGUF_FILE_TYPES[type]));
  meta.set(`${arch}.vocab_size`, u32(cfg.vocabSize));
  meta.set(`${arch}.context_length`, u32(cfg.maxPositionEmbeddings));
  meta.set(`${arch}.embedding_length`, u32(cfg.hiddenSize));
  meta.set(`${arch}.block_count`, u32(cfg.numLayers));
  meta.set(`${arch}.feed_forward_length`, u32(cfg.intermediateSize));
  meta.set(`${arch}.attention.head_count`, u32(cfg.numHeads));
  meta.set(`${arch}.attention.head_count_kv`, u32(cfg.numKvHeads));
  if (gpt2) {
    meta.set(`${arch}.attention.layer_norm_epsilon`, f32(cfg.normEps));
  } else {
    meta.set(`${arch}.attention.layer_norm_rms_epsilon`, f32(cfg.normEps));
    meta.set(`${arch}.rope.freq_base`, f32(rope.theta));
    if (rope.linearFactor !== undefined) {
      meta.set(`${arch}.rope.scaling.type`, str('linear'));
      meta.set(`${arch}.rope.scaling.factor`, f32(rope.linearFactor));
    }
    if (rope.hf) meta.set('llmkit.rope_scaling', str(JSON.stringify(rope.hf)));
    meta.set(`${arch}.rope.dimension_count`, u32(cfg.headDim));
    if (cfg.headDim * cfg.numHeads !== cfg.hiddenSize) {
      meta.set(`${arch}.attention.key_length`, u32(cfg.headDim));
      meta.set(`${arch}.attention.value_length`, u32(cfg.headDim));
    }
  }
  const warnings: string[] = [];
  tokenizerMetadata(model, meta, warnings, options.checkTokenizer !== false);

  const tensors: GgufTensorInput[] = [];
  const report: ExportGgufResult['tensors'] = [];
  const state = model.stateDict();
  let embed: Float32Array | undefined;
  let embedShape: number[] = [];
  for (const [hfName, tensor] of state) {
    if (hfName === 'lm_head.weight' && cfg.tieWordEmbeddings && !gpt2) continue;
    const name = ggufTensorName(cfg.modelType, hfName);
    if (!name) throw new GgufError(`exportGGUF: no GGUF tensor name for parameter "${hfName}".`, { field: hfName });
    let data = tensor.dataSync() as Float32Array;
    if (!(data instanceof Float32Array)) data = Float32Array.from(data as ArrayLike<number>);
    const torchShape = tensor.shape;
    if (permute && /\.attn_[qk]\.(weight|bias)$/.test(name)) {
      const heads = name.includes('attn_q') ? cfg.numHeads : cfg.numKvHeads;
      data = permuteQK(data, torchShape[0] as number, torchShape.length > 1 ? (torchShape[1] as number) : 1, heads);
    }
    const shape = [...torchShape].reverse();
    const t = storageType(type, shape);
    if (name === 'token_embd.weight') [embed, embedShape] = [data, shape];
    tensors.push({ name, shape, type: t, data });
    report.push({ name, shape, type: t, source: hfName });
  }
  // GPT-2 with tied embeddings: lm_head is the same tensor; stateDict lists it (tied names appear
  // under every name). Nothing extra to add; for Llama-family tied models `output` is omitted.
  if (gpt2 && !report.some((r) => r.name === 'output.weight') && embed) {
    const t = storageType(type, embedShape);
    tensors.push({ name: 'output.weight', shape: embedShape, type: t, data: embed });
    report.push({ name: 'output.weight', shape: embedShape, type: t, source: 'transformer.wte.weight' });
  }
  if (rope.freqFactors) {
    // llama3 RoPE scaling: llama.cpp divides each frequency by rope_freqs[i] (always F32, as the converter writes it).
    tensors.unshift({ name: 'rope_freqs.weight', shape: [rope.freqFactors.length], type: 'F32', data: rope.freqFactors });
    report.unshift({ name: 'rope_freqs.weight', shape: [rope.freqFactors.length], type: 'F32', source: 'config.rope_scaling' });
  }
  const bytes = writeGGUF(path, { metadata: meta, tensors });
  return { bytes, arch, tensors: report, warnings };
}
