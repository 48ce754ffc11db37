/**
 * exportGGUF output runs in llama.cpp: node-llama-cpp 3.21.1 (its bundled llama.cpp, CPU, one thread,
 * F32 KV cache, no flash attention) loads the file in a child process (llama.cpp aborts its process on
 * some errors) and returns its next-token distributions, which we compare with our forward pass.
 *
 * The model: a tiny Llama (hidden 256 so every K-quant applies to every matrix) with a byte-level BPE
 * tokenizer trained by @llmkit/tokenizer on Moby Dick text (GPT-4 pre-tokenizer regex, which llama.cpp
 * knows as `llama-bpe`), llama3 RoPE scaling, and weights drawn with initializer_range 0.05 so the
 * next-token distributions are far from uniform (greedy tokens are then meaningful).
 *
 * Tolerances: F32 |Δ log p| <= 1e-4 for every token with p >= 1e-6 (only float summation order differs;
 * measured ~5e-6). Quantized types: both sides use the same quantized weights (ours dequantized by
 * loadGGUF), but llama.cpp also quantizes the activations that meet a quantized matrix (to Q8_0 for
 * Q8_0/Q4_0, Q8_1 for Q4_1, Q8_K for K-quants) before its integer dot products; loadGGUF's
 * `emulateLlamaCpp` does the same rounding, and EMULATED_TOLERANCE below says how close that gets.
 * Greedy tokens must agree wherever our top-2 log-prob gap exceeds twice the tolerance.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRng, initBackend, tf } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { fromHuggingFace, trainBpe } from '@llmkit/tokenizer';
import { exportGGUF, loadGGUF, readGGUF } from '../src/index.js';
import { llamaCppBinDir } from './ggml-reference.js';

const here = dirname(fileURLToPath(import.meta.url));
const CHILD = join(here, 'llama-cpp', 'child.mjs');
const libDir = llamaCppBinDir();
const available = process.platform === 'linux' && process.arch === 'x64' && libDir !== null;
if (!available) console.warn('llama-cpp.test: skipped — node-llama-cpp\'s linux-x64 binaries are not installed on this platform.');

/**
 * Max |Δ log p| against llama.cpp with its activation quantization emulated, per type (measured here, with
 * margin). Q4_K is exact (~3e-6). Elsewhere most positions agree to 1e-4, and the rest differ because an
 * ulp-level difference between our f32 activations and llama.cpp's moves a value across a rounding boundary
 * of the 8-bit activation quantization (one step of absmax/127), which then propagates through attention;
 * Q4_0 / Q4_1 run through llama.cpp's repacked x86 kernels and differ by ~0.05 at every position, which the
 * emulation does not model. Without emulation the gap is 0.06-0.10 for every quantized type.
 */
const EMULATED_TOLERANCE = { Q8_0: 0.01, Q4_K: 1e-4, Q4_0: 0.12, Q4_1: 0.12, Q5_K: 0.08, Q6_K: 0.15 } as const;
const CORPUS = [
  'Call me Ishmael. Some years ago—never mind how long precisely—having little or no money in my purse,',
  'and nothing particular to interest me on shore, I thought I would sail about a little and see the watery part of the world.',
  'It is a way I have of driving off the spleen and regulating the circulation. Whenever I find myself growing grim about the mouth;',
  'whenever it is a damp, drizzly November in my soul; whenever I find myself involuntarily pausing before coffin warehouses,',
].join(' ');
const PROMPT = 'Whenever I find myself growing grim about the mouth, I sail about the watery world.';

interface ChildResult {
  tokens?: number[];
  positions: [number, number][][];
  greedy?: number[];
}

function runLlamaCpp(dir: string, file: string, ids: number[], extra: { text?: string; generate?: number } = {}): ChildResult {
  const requestPath = join(dir, `${file}.request.json`);
  writeFileSync(requestPath, JSON.stringify({ model: join(dir, file), ids, ...extra }));
  const outputPath = join(dir, `${file}.output.json`);
  const run = spawnSync(process.execPath, [CHILD, requestPath, outputPath], { encoding: 'utf8', timeout: 120_000 });
  if (run.status !== 0) throw new Error(`llama.cpp child failed (status ${run.status}, signal ${run.signal}):\n${run.stderr.slice(-2000)}`);
  return JSON.parse(readFileSync(outputPath, 'utf8')) as ChildResult;
}

/** Our log-softmax rows for `ids` (teacher forced), as plain arrays. */
function ourLogprobs(model: DecoderLM, ids: number[]): number[][] {
  return tf.tidy(() => (tf.logSoftmax(model.forward([ids])).arraySync() as number[][][])[0] as number[][]);
}

/** Largest |Δ log p| over the tokens llama.cpp reported (p >= 1e-6). */
function maxLogprobError(ours: number[][], theirs: [number, number][][]): number {
  let worst = 0;
  theirs.forEach((entries, pos) => {
    for (const [id, lp] of entries) worst = Math.max(worst, Math.abs(lp - (ours[pos] as number[])[id]!));
  });
  return worst;
}

describe.skipIf(!available)('llama.cpp runs exportGGUF files (node-llama-cpp 3.21.1, child process)', () => {
  let dir: string;
  let model: DecoderLM;
  let ids: number[];

  beforeAll(async () => {
    await initBackend();
    dir = mkdtempSync(join(tmpdir(), 'llmkit-llamacpp-'));
    const trained = await trainBpe([CORPUS], { vocabSize: 320, specialTokens: ['<|begin_of_text|>', '<|end_of_text|>'], minFrequency: 1 });
    model = DecoderLM.fromConfig(
      {
        model_type: 'llama',
        vocab_size: 320,
        hidden_size: 256,
        intermediate_size: 512,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 2,
        max_position_embeddings: 256,
        rms_norm_eps: 1e-5,
        rope_theta: 10000,
        rope_scaling: { rope_type: 'llama3', factor: 8, low_freq_factor: 1, high_freq_factor: 4, original_max_position_embeddings: 64 },
        initializer_range: 0.05,
        bos_token_id: 0,
        eos_token_id: 1,
        tie_word_embeddings: false,
      },
      { rng: createRng(11) },
    );
    model.tokenizer = fromHuggingFace(trained.toHuggingFaceJSON());
    ids = [0, ...model.tokenizer.encode(PROMPT)];
  });

  afterAll(() => {
    model?.dispose();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('F32: same tokenization (pre-tokenizer llama-bpe), log-probs within 1e-4 with llama3 RoPE scaling, same greedy continuation', async () => {
    const { warnings } = exportGGUF(model, join(dir, 'tiny-f32.gguf'), { type: 'F32' });
    expect(warnings).toEqual([]);
    const result = runLlamaCpp(dir, 'tiny-f32.gguf', ids, { text: PROMPT, generate: 12 });
    // llama.cpp's own BPE (pre-tokenizer "llama-bpe") splits the text exactly as our tokenizer does.
    expect(result.tokens).toEqual(ids.slice(1));
    const ours = ourLogprobs(model, ids);
    const err = maxLogprobError(ours, result.positions);
    console.log(`llama.cpp F32: max |Δ log p| = ${err.toExponential(2)} over ${ids.length} positions`);
    expect(err).toBeLessThanOrEqual(1e-4);
    // llama.cpp stops at the end-of-generation token without yielding it; ours yields it, so stop there.
    const greedy: number[] = [];
    for await (const chunk of model.generate(ids, { maxNewTokens: 12, config: { temperature: 0 } })) {
      if (chunk.tokenId === 1) break;
      greedy.push(chunk.tokenId);
    }
    expect(result.greedy).toEqual(greedy);

    const meta = readGGUF(join(dir, 'tiny-f32.gguf')).metadata;
    expect(meta.get('tokenizer.ggml.pre')).toEqual({ type: 'string', value: 'llama-bpe' });
  });

  for (const [type, tolerance] of Object.entries(EMULATED_TOLERANCE)) {
    it(`${type}: llama.cpp's activation quantization emulated (loadGGUF emulateLlamaCpp), log-probs within ${tolerance}; greedy tokens equal`, () => {
      const { bytes } = exportGGUF(model, join(dir, `tiny-${type}.gguf`), { type: type as keyof typeof EMULATED_TOLERANCE });
      const result = runLlamaCpp(dir, `tiny-${type}.gguf`, ids);
      const plain = loadGGUF(bytes);
      const emulated = loadGGUF(bytes, { emulateLlamaCpp: true });
      try {
        const gap = maxLogprobError(ourLogprobs(plain, ids), result.positions);
        const ours = ourLogprobs(emulated, ids);
        const perPosition = result.positions.map((entries, pos) => maxLogprobError([ours[pos] as number[]], [entries]));
        const exact = perPosition.filter((e) => e <= 1e-4).length;
        const err = Math.max(...perPosition);
        console.log(
          `llama.cpp ${type}: max |Δ log p| ${err.toExponential(2)} emulated (${exact}/${ids.length} positions within 1e-4), ${gap.toFixed(3)} with f32 activations`,
        );
        expect(err).toBeLessThanOrEqual(tolerance);
        result.positions.forEach((entries, pos) => {
          const row = ours[pos] as number[];
          const sorted = [...row].sort((a, b) => b - a);
          if (sorted[0]! - sorted[1]! <= 2 * tolerance) return; // a near tie may flip
          expect(entries[0]![0]).toBe(row.indexOf(sorted[0]!)); // llama.cpp's map is sorted by probability
        });
      } finally {
        plain.dispose();
        emulated.dispose();
      }
    });
  }

  it('a file llama.cpp rejects is reported by the child, the test process survives', () => {
    writeFileSync(join(dir, 'broken.gguf'), readFileSync(join(dir, 'tiny-f32.gguf')).subarray(0, 4096));
    expect(() => runLlamaCpp(dir, 'broken.gguf', ids)).toThrow(/llama\.cpp child failed/);
  });
});
