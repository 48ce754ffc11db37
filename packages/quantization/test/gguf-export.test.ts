/**
 * exportGGUF / loadGGUF: F32 round trips reproduce the logits, quantized exports load back as
 * exactly dequantize(quantize(weights)), the Q/K permutation matches convert_hf_to_gguf.py's
 * LlamaModel.permute on a hand-derived example, names and metadata keys equal gguf-py's
 * (fixtures/gguf-export/names.json from tools/fixtures/gen_gguf_export.py), and both
 * @huggingface/gguf and ggml's own gguf.cpp read the files back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gguf as hfGguf } from '@huggingface/gguf';
import { createRng, initBackend, tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import { DecoderLM } from '@llmkit/model';
import {
  GGML_TYPE_IDS,
  GGUF_VALUE_TYPE_IDS,
  dequantizeBlocks,
  exportGGUF,
  loadGGUF,
  permuteQK,
  quantizeBlocks,
  readGGUF,
  unpermuteQK,
  type GgmlTypeName,
} from '../src/index.js';
import { loadGgmlReference } from './ggml-reference.js';

const dir = mkdtempSync(join(tmpdir(), 'llmkit-gguf-export-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const ggml = loadGgmlReference()?.gguf ?? null;
const GPT2_DIR = fileURLToPath(new URL('../../model/test/fixtures/checkpoints/gpt2', import.meta.url));
const NAMES = JSON.parse(readFileSync(new URL('./fixtures/gguf-export/names.json', import.meta.url), 'utf8')) as {
  llama: Record<string, string>;
  qwen2: Record<string, string>;
  gpt2: Record<string, string>;
  keys: Record<string, string[]>;
  token_types: Record<string, number>;
  file_types: Record<string, number>;
};

beforeAll(async () => {
  await initBackend();
});

function tinyLlama(extra: Record<string, unknown> = {}): DecoderLM {
  return DecoderLM.fromConfig(
    {
      model_type: 'llama',
      vocab_size: 96,
      hidden_size: 64,
      intermediate_size: 128,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      head_dim: 16,
      rms_norm_eps: 1e-5,
      rope_theta: 500,
      tie_word_embeddings: false,
      max_position_embeddings: 64,
      bos_token_id: 1,
      eos_token_id: 2,
      ...extra,
    },
    { rng: createRng(7) },
  );
}

/** Non-trivial norm weights (HF initialises them to ones, which would hide a norm mix-up). */
function randomizeNorms(model: DecoderLM, seed: number): void {
  const rng = createRng(seed);
  const updates = new Map<string, tf.Tensor>();
  for (const [name, t] of model.stateDict()) {
    if (t.shape.length === 1) updates.set(name, tf.tensor(Float32Array.from(rng.normal(t.size), (v) => 1 + 0.1 * v), t.shape));
  }
  model.loadStateDict(updates, { strict: false });
  for (const t of updates.values()) t.dispose();
}

function logits(model: DecoderLM, ids: number[][]): Float32Array {
  const out = model.forward(ids);
  const v = out.dataSync() as Float32Array;
  out.dispose();
  return v;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs((a[i] as number) - (b[i] as number)));
  return m;
}

const IDS = [
  [1, 5, 9, 33, 70, 2, 14, 88],
  [3, 4, 60, 61, 62, 95, 0, 7],
];

describe('permuteQK (convert_hf_to_gguf.py LlamaModel.permute)', () => {
  it('matches the hand-derived reshape(n_head, 2, d/2, in).swapaxes(1, 2) order', () => {
    // 2 heads of head_dim 4, 2 columns; row r holds [10r, 10r + 1].
    // reshape(2, 2, 2, 2): element [h][j][i] = row 4h + 2j + i. swapaxes(1, 2) gives [h][i][j], so
    // output row 4h + 2i + j = input row 4h + 2j + i: rows [0, 2, 1, 3, 4, 6, 5, 7].
    const rows = 8;
    const w = Float32Array.from({ length: 16 }, (_, k) => 10 * Math.floor(k / 2) + (k % 2));
    const p = permuteQK(w, rows, 2, 2);
    const order = [0, 2, 1, 3, 4, 6, 5, 7];
    expect(Array.from(p)).toEqual(order.flatMap((r) => [10 * r, 10 * r + 1]));
    expect(Array.from(unpermuteQK(p, rows, 2, 2))).toEqual(Array.from(w));
  });

  it('is inverted by unpermuteQK on random data (and a bias, cols = 1)', () => {
    const rng = createRng(3);
    const w = Float32Array.from(rng.normal(64 * 24));
    expect(unpermuteQK(permuteQK(w, 64, 24, 4), 64, 24, 4)).toEqual(w);
    const b = Float32Array.from(rng.normal(32));
    expect(unpermuteQK(permuteQK(b, 32, 1, 2), 32, 1, 2)).toEqual(b);
    expect(permuteQK(b, 32, 1, 2)).not.toEqual(b);
  });

  it("turns HF half-split RoPE into llama.cpp's interleaved RoPE (attention scores unchanged)", () => {
    // HF rotates pairs (i, i + d/2); llama.cpp (LLAMA_ROPE_TYPE_NORM) rotates pairs (2i, 2i + 1).
    // Permuted row 2i + j = HF row j * d/2 + i, so interleaved(P q) = P hf(q) and q.k is unchanged.
    const d = 8;
    const rng = createRng(5);
    const wq = Float32Array.from(rng.normal(d * d));
    const wk = Float32Array.from(rng.normal(d * d));
    const x = Float32Array.from(rng.normal(d));
    const y = Float32Array.from(rng.normal(d));
    const mv = (w: Float32Array, v: Float32Array) => Float64Array.from({ length: d }, (_, r) => v.reduce((a, vi, c) => a + (w[r * d + c] as number) * vi, 0));
    const ang = (pos: number, i: number) => pos * Math.pow(10000, (-2 * i) / d);
    const hfRope = (q: Float64Array, pos: number) => {
      const o = new Float64Array(d);
      for (let i = 0; i < d / 2; i++) {
        const [c, s] = [Math.cos(ang(pos, i)), Math.sin(ang(pos, i))];
        o[i] = (q[i] as number) * c - (q[i + d / 2] as number) * s;
        o[i + d / 2] = (q[i + d / 2] as number) * c + (q[i] as number) * s;
      }
      return o;
    };
    const interleaved = (q: Float64Array, pos: number) => {
      const o = new Float64Array(d);
      for (let i = 0; i < d / 2; i++) {
        const [c, s] = [Math.cos(ang(pos, i)), Math.sin(ang(pos, i))];
        o[2 * i] = (q[2 * i] as number) * c - (q[2 * i + 1] as number) * s;
        o[2 * i + 1] = (q[2 * i + 1] as number) * c + (q[2 * i] as number) * s;
      }
      return o;
    };
    const dot = (a: Float64Array, b: Float64Array) => a.reduce((s, v, i) => s + v * (b[i] as number), 0);
    const ref = dot(hfRope(mv(wq, x), 5), hfRope(mv(wk, y), 2));
    const got = dot(interleaved(mv(permuteQK(wq, d, d, 1), x), 5), interleaved(mv(permuteQK(wk, d, d, 1), y), 2));
    expect(got).toBeCloseTo(ref, 9);
    const unpermuted = dot(interleaved(mv(wq, x), 5), interleaved(mv(wk, y), 2));
    expect(Math.abs(unpermuted - ref)).toBeGreaterThan(1e-3);
  });

  it('rejects rows not divisible by 2 * nHead', () => {
    expect(() => permuteQK(new Float32Array(6), 6, 1, 2)).toThrow(InvalidArgumentError);
    expect(() => permuteQK(new Float32Array(5), 8, 1, 2)).toThrow(/rows \* cols/);
  });
});

describe('exportGGUF -> loadGGUF', () => {
  it('Llama (GQA, untied) F32: same weights and logits; names/shapes per gguf-py; q/k permuted', () => {
    const lm = tinyLlama();
    randomizeNorms(lm, 11);
    const path = join(dir, 'llama-f32.gguf');
    const res = exportGGUF(lm, path, { type: 'F32' });
    expect(res.arch).toBe('llama');
    // names per gguf-py TensorNameMap; shapes are the reversed torch shapes
    const state = lm.stateDict();
    for (const r of res.tensors) {
      expect(r.name, r.source).toBe(NAMES.llama[r.source]);
      expect(r.shape).toEqual([...(state.get(r.source) as tf.Tensor).shape].reverse());
      expect(r.type).toBe('F32');
    }
    expect(res.tensors.length).toBe(Object.keys(NAMES.llama).length);
    // the stored q rows are the permuted HF rows
    const file = readGGUF(path, { readTensorData: true });
    const q = file.tensors.find((t) => t.name === 'blk.0.attn_q.weight');
    const qHf = state.get('model.layers.0.self_attn.q_proj.weight') as tf.Tensor;
    const stored = new Float32Array((q?.data as Uint8Array).slice().buffer);
    expect(stored).toEqual(permuteQK(qHf.dataSync() as Float32Array, 64, 64, 4));
    expect(stored).not.toEqual(qHf.dataSync());

    const back = loadGGUF(path);
    expect(back.config.numKvHeads).toBe(2);
    expect(back.config.tieWordEmbeddings).toBe(false);
    for (const [name, t] of back.stateDict()) {
      expect(t.dataSync(), name).toEqual((state.get(name) as tf.Tensor).dataSync());
    }
    expect(maxAbsDiff(logits(back, IDS), logits(lm, IDS))).toBeLessThanOrEqual(1e-5);
    back.dispose();
    lm.dispose();
  });

  it('Qwen2 (q/k/v biases, tied) F32: arch qwen2, not permuted, output omitted, logits equal', () => {
    const lm = DecoderLM.fromConfig(
      {
        model_type: 'qwen2',
        vocab_size: 96,
        hidden_size: 64,
        intermediate_size: 96,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        tie_word_embeddings: true,
        max_position_embeddings: 64,
      },
      { rng: createRng(8) },
    );
    randomizeNorms(lm, 12);
    const path = join(dir, 'qwen2.gguf');
    const res = exportGGUF(lm, path, { type: 'F32' });
    expect(res.arch).toBe('qwen2');
    expect(res.tensors.some((t) => t.name === 'output.weight')).toBe(false);
    for (const r of res.tensors) expect(r.name, r.source).toBe(NAMES.qwen2[r.source]);
    const file = readGGUF(path, { readTensorData: true });
    const qb = file.tensors.find((t) => t.name === 'blk.1.attn_q.bias');
    const src = lm.stateDict().get('model.layers.1.self_attn.q_proj.bias') as tf.Tensor;
    expect(new Float32Array((qb?.data as Uint8Array).slice().buffer)).toEqual(src.dataSync());
    const back = loadGGUF(path);
    expect(back.config.modelType).toBe('qwen2');
    expect(back.config.tieWordEmbeddings).toBe(true);
    expect(maxAbsDiff(logits(back, IDS), logits(lm, IDS))).toBeLessThanOrEqual(1e-5);
    back.dispose();
    lm.dispose();
  });

  it('GPT-2 fixture F32: attn_qkv, position_embd, output written (as the converter does) and re-tied, logits equal', async () => {
    const lm = await DecoderLM.fromPretrained(GPT2_DIR);
    const path = join(dir, 'gpt2.gguf');
    const res = exportGGUF(lm, path, { type: 'F32' });
    expect(res.arch).toBe('gpt2');
    for (const r of res.tensors) expect(r.name, r.source).toBe(NAMES.gpt2[r.source]);
    expect(res.tensors.map((t) => t.name).sort()).toEqual(Object.values(NAMES.gpt2).sort());
    expect(res.tensors.find((t) => t.name === 'blk.0.attn_qkv.weight')?.shape).toEqual([32, 96]);
    const back = loadGGUF(path);
    expect(back.config.modelType).toBe('gpt2');
    expect(back.config.tieWordEmbeddings).toBe(true);
    expect(maxAbsDiff(logits(back, IDS), logits(lm, IDS))).toBeLessThanOrEqual(1e-5);
    back.dispose();
    lm.dispose();
  });

  for (const type of ['Q8_0', 'Q4_0'] as const) {
    it(`Llama ${type}: loaded weights equal dequantize(quantize(original)) exactly, norms F32`, () => {
      const lm = tinyLlama();
      const path = join(dir, `llama-${type}.gguf`);
      const res = exportGGUF(lm, path, { type });
      const back = loadGGUF(path);
      const state = lm.stateDict();
      for (const r of res.tensors) {
        const src = (state.get(r.source) as tf.Tensor).dataSync() as Float32Array;
        const got = (back.stateDict().get(r.source) as tf.Tensor).dataSync() as Float32Array;
        if (r.shape.length === 1) {
          expect(r.type).toBe('F32');
          expect(got).toEqual(src);
          continue;
        }
        expect(r.type).toBe(type);
        const [cols, rows] = r.shape as [number, number];
        const qk = /attn_[qk]\./.test(r.name);
        const heads = r.name.includes('attn_q') ? 4 : 2;
        const stored = qk ? permuteQK(src, rows, cols, heads) : src;
        const rt = dequantizeBlocks(type, quantizeBlocks(type, stored), stored.length);
        expect(got, r.name).toEqual(qk ? unpermuteQK(rt, rows, cols, heads) : rt);
        expect(maxAbsDiff(got, src)).toBeGreaterThan(0);
      }
      const drift = maxAbsDiff(logits(back, IDS), logits(lm, IDS));
      expect(drift).toBeGreaterThan(0);
      expect(drift).toBeLessThan(type === 'Q8_0' ? 0.05 : 0.5);
      back.dispose();
      lm.dispose();
    });
  }

  it('K-quants: Q4_K on rows of 256; rows of 64/128 fall back to Q5_0 (llama.cpp rule)', () => {
    const big = DecoderLM.fromConfig(
      {
        model_type: 'llama',
        vocab_size: 32,
        hidden_size: 256,
        intermediate_size: 512,
        num_hidden_layers: 1,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 16,
      },
      { rng: createRng(9) },
    );
    const path = join(dir, 'llama-q4k.gguf');
    const res = exportGGUF(big, path, { type: 'Q4_K' });
    for (const r of res.tensors) expect(r.type, r.name).toBe(r.shape.length === 1 ? 'F32' : 'Q4_K');
    const back = loadGGUF(path);
    const w = (big.stateDict().get('model.layers.0.mlp.down_proj.weight') as tf.Tensor).dataSync() as Float32Array;
    const got = (back.stateDict().get('model.layers.0.mlp.down_proj.weight') as tf.Tensor).dataSync() as Float32Array;
    expect(got).toEqual(dequantizeBlocks('Q4_K', quantizeBlocks('Q4_K', w), w.length));
    back.dispose();
    big.dispose();

    const small = tinyLlama();
    const types = exportGGUF(small, join(dir, 'llama-q6k.gguf'), { type: 'Q6_K' }).tensors;
    for (const r of types) expect(r.type, r.name).toBe(r.shape.length === 1 ? 'F32' : 'Q8_0');
    const mapped = exportGGUF(small, null, { type: 'Q4_K' }).tensors.filter((r) => r.shape.length === 2);
    expect(new Set(mapped.map((r) => r.type))).toEqual(new Set<GgmlTypeName>(['Q5_0']));
    small.dispose();
  });

  it('RoPE scaling: linear as rope.scaling.* keys, llama3 as the rope_freqs tensor; both load back with the same logits', () => {
    const ids = [[1, 5, 9, 33, 2, 17, 8, 40]];
    for (const rope_scaling of [
      { rope_type: 'linear', factor: 2 },
      { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 4 },
    ]) {
      const lm = tinyLlama({ rope_scaling });
      const { bytes, tensors } = exportGGUF(lm, null, { type: 'F32' });
      const meta = readGGUF(bytes).metadata;
      if (rope_scaling.rope_type === 'linear') {
        expect(meta.get('llama.rope.scaling.type')).toEqual({ type: 'string', value: 'linear' });
        expect(meta.get('llama.rope.scaling.factor')).toEqual({ type: 'float32', value: 2 });
      } else {
        // convert_hf_to_gguf: factor 1 for wavelengths < original/high, `factor` above original/low, smooth between.
        const freqs = tensors.find((t) => t.name === 'rope_freqs.weight');
        expect(freqs?.type).toBe('F32');
      }
      const back = loadGGUF(bytes);
      expect(maxAbsDiff(logits(back, ids), logits(lm, ids))).toBeLessThan(1e-5);
      back.dispose();
      lm.dispose();
    }
  });

  it('rejects bad input', () => {
    const lm = tinyLlama();
    expect(() => exportGGUF({} as DecoderLM, null)).toThrow(InvalidArgumentError);
    expect(() => exportGGUF(lm, null, { type: 'Q9_9' as 'F32' })).toThrow(/options\.type/);
    const scaled = tinyLlama({ rope_scaling: { rope_type: 'dynamic', factor: 2 } });
    expect(() => exportGGUF(scaled, null)).toThrow(/rope type "dynamic"/);
    expect(() => loadGGUF('')).toThrow(InvalidArgumentError);
    lm.dispose();
    scaled.dispose();
  });
});

describe('gguf-py reference exports (tools/fixtures/gen_gguf_export.py: GGUFWriter + gguf.quants Q8_0, convert conventions)', () => {
  for (const name of ['llama_gqa_untied_bf16', 'mistral_window_f16', 'qwen2_bias_f16', 'gpt2']) {
    it(`${name}: same tensor names, shapes, types and bytes`, async () => {
      const lm = await DecoderLM.fromPretrained(fileURLToPath(new URL(`../../model/test/fixtures/checkpoints/${name}`, import.meta.url)));
      const ours = readGGUF(exportGGUF(lm, null, { type: 'Q8_0' }).bytes, { readTensorData: true });
      const ref = readGGUF(fileURLToPath(new URL(`./fixtures/gguf-export/ref-${name}-Q8_0.gguf`, import.meta.url)), { readTensorData: true });
      const view = (f: typeof ours) => new Map(f.tensors.map((t) => [t.name, { shape: t.shape, type: t.type, data: t.data }] as const));
      const a = view(ours);
      const b = view(ref);
      expect([...a.keys()].sort()).toEqual([...b.keys()].sort());
      for (const [k, v] of b) expect(a.get(k), k).toEqual(v);
      // loadGGUF reads the gguf-py file (its metadata written with GGUFWriter.add_*) into the same model
      const fromRef = loadGGUF(fileURLToPath(new URL(`./fixtures/gguf-export/ref-${name}-Q8_0.gguf`, import.meta.url)));
      const fromOurs = loadGGUF(exportGGUF(lm, null, { type: 'Q8_0' }).bytes);
      const c = (m: DecoderLM) => {
        const { hf: _hf, ...rest } = m.config;
        return rest;
      };
      expect(c(fromRef)).toEqual(c(fromOurs));
      const refState = fromRef.stateDict();
      for (const [k, t] of fromOurs.stateDict()) expect(t.dataSync(), k).toEqual((refState.get(k) as tf.Tensor).dataSync());
      expect(logits(fromRef, IDS)).toEqual(logits(fromOurs, IDS));
      // llama.cpp's llama arch has no sliding window: Mistral comes back as a plain Llama
      if (name.startsWith('mistral')) expect([fromRef.config.modelType, fromRef.config.slidingWindow]).toEqual(['llama', undefined]);
      fromRef.dispose();
      fromOurs.dispose();
      lm.dispose();
    });
  }
});

describe('metadata', () => {
  it('keys per gguf-py, values read back equal by @huggingface/gguf; tokenizer vocabulary written', async () => {
    const gpt2 = await DecoderLM.fromPretrained(GPT2_DIR);
    const lm = tinyLlama();
    lm.tokenizer = gpt2.tokenizer;
    lm.tokenizerConfig = { chat_template: '{% for m in messages %}{{ m.content }}{% endfor %}' };
    const path = join(dir, 'llama-meta.gguf');
    exportGGUF(lm, path, { type: 'Q8_0', name: 'tiny-llama' });
    const ours = readGGUF(path).metadata;
    for (const key of NAMES.keys.llama as string[]) expect(ours.has(key), key).toBe(true);
    expect(ours.get('general.file_type')).toEqual({ type: 'uint32', value: NAMES.file_types.Q8_0 });
    expect(ours.get('llama.rope.freq_base')).toEqual({ type: 'float32', value: 500 });
    expect(ours.get('llama.attention.head_count_kv')).toEqual({ type: 'uint32', value: 2 });
    expect(ours.get('llama.rope.dimension_count')).toEqual({ type: 'uint32', value: 16 });
    const arr = (key: string): readonly unknown[] => {
      const v = ours.get(key);
      if (v?.type !== 'array') throw new Error(`${key} is not an array`);
      return v.value;
    };
    const tokens = arr('tokenizer.ggml.tokens');
    const vocab = (gpt2.tokenizer as unknown as { toHuggingFaceJSON(): { model: { vocab: Record<string, number> } } }).toHuggingFaceJSON().model.vocab;
    expect(tokens.length).toBe(96);
    for (const [tok, id] of Object.entries(vocab)) expect(tokens[id]).toBe(tok);
    // ids 0..2 are special added tokens (<unk>, <s>, </s>): CONTROL; the rest NORMAL
    expect(arr('tokenizer.ggml.token_type').slice(0, 4)).toEqual([3, 3, 3, 1].map((t) => (t === 3 ? NAMES.token_types.control : NAMES.token_types.normal)));
    expect(ours.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'no_vocab' }); // WordLevel vocabulary

    const hf = await hfGguf(path, { allowLocalFile: true, typedMetadata: true });
    const typed = hf.typedMetadata as unknown as Record<string, { value: unknown; type: number; subType?: number }>;
    for (const [key, v] of ours) {
      expect(typed[key]?.type, key).toBe(GGUF_VALUE_TYPE_IDS[v.type]);
      if (v.type === 'array') {
        expect(typed[key]?.subType, key).toBe(GGUF_VALUE_TYPE_IDS[v.itemType]);
        expect(typed[key]?.value, key).toEqual(v.value);
      } else {
        expect(typed[key]?.value, key).toBe(v.value);
      }
    }
    expect(hf.tensorInfos.length).toBe(readGGUF(path).tensors.length);
    const back = loadGGUF(path);
    expect(back.tokenizerConfig?.chat_template).toBe(lm.tokenizerConfig.chat_template);
    expect(back.config.bosTokenId).toBe(1);
    expect(back.config.eosTokenId).toBe(2);
    back.dispose();
    lm.dispose();
    gpt2.dispose();
  });
  it('byte-level BPE tokenizer.json -> tokenizer.ggml.model gpt2 with merges "a b" and added-token types', () => {
    const lm = tinyLlama({ vocab_size: 8 });
    // a tokenizer.json as HuggingFaceTokenizer.toHuggingFaceJSON() returns it (merges as pairs, the
    // newer tokenizers format); ids 6 (special) and 7 (not special) are added tokens.
    const json = {
      model: { type: 'BPE', vocab: { a: 0, b: 1, c: 2, ab: 3, abc: 4, '\u0120a': 5 }, merges: [['a', 'b'], ['ab', 'c']] },
      added_tokens: [
        { id: 6, content: '<|endoftext|>', special: true },
        { id: 7, content: '<tool>', special: false },
      ],
    };
    lm.tokenizer = { toHuggingFaceJSON: () => json } as unknown as DecoderLM['tokenizer'];
    const meta = readGGUF(exportGGUF(lm, null, { type: 'F32' }).bytes).metadata;
    expect(meta.get('tokenizer.ggml.model')).toEqual({ type: 'string', value: 'gpt2' });
    expect(meta.get('tokenizer.ggml.tokens')?.value).toEqual(['a', 'b', 'c', 'ab', 'abc', '\u0120a', '<|endoftext|>', '<tool>']);
    const { normal: n, control, user_defined: user } = NAMES.token_types as { normal: number; control: number; user_defined: number };
    expect(meta.get('tokenizer.ggml.token_type')?.value).toEqual([n, n, n, n, n, n, control, user]);
    expect(meta.get('tokenizer.ggml.merges')?.value).toEqual(['a b', 'ab c']);
    lm.dispose();
  });
});

describe.skipIf(ggml === null)("ggml's own gguf.cpp reads the exports (skipped: libggml-base.so or koffi missing)", () => {
  it('accepts Llama Q4_0 and GPT-2 F16 files with our tensor names, types and offsets', async () => {
    const gpt2 = await DecoderLM.fromPretrained(GPT2_DIR);
    const lm = tinyLlama();
    for (const [model, type, file] of [
      [lm, 'Q4_0', 'ggml-llama.gguf'],
      [gpt2, 'F16', 'ggml-gpt2.gguf'],
    ] as const) {
      const path = join(dir, file);
      exportGGUF(model, path, { type });
      const ours = readGGUF(path);
      const info = ggml?.read(path);
      expect(info, file).not.toBeNull();
      expect(info?.kvs.map((k) => k.key)).toEqual([...ours.metadata.keys()]);
      expect(info?.tensors).toEqual(
        ours.tensors.map((t) => ({ name: t.name, type: GGML_TYPE_IDS[t.type], offset: t.offset, size: t.byteLength })),
      );
    }
    lm.dispose();
    gpt2.dispose();
  });
});
