/**
 * SFT demonstration: LoRA (r = 8 and r = 16) vs full fine-tuning of the shared Moby Dick character
 * model (tools/testing/moby-model.ts, Llama 2 layers x 128 wide, ~0.4 M parameters) on a generated
 * instruction set: "Q: <skill> <word>\nA: <result>" with words of the novel (3-6 letters), skill
 * `upper` (upper-case the word, default) or `reverse`. Held-out exact match: greedy answers for
 * `--test` words never seen in training (PLAIN_QA_TEMPLATE, stop at the newline).
 *
 * Every method trains in its own child process (tfjs-wasm memory never shrinks, so a shared process
 * would carry one run's peak into the next) with the same data, order, steps, batch size and
 * schedule (cosine, 10 % warmup). LoRA adapts every Linear but the head ('all-linear'), loraAlpha = 2r,
 * at a higher learning rate (5e-3 vs 3e-3; 1e-2 diverged in trials).
 *
 * Figures per method: trainable parameters, mean ms per optimizer step, peak RSS and peak tf.memory()
 * bytes during training, held-out exact match before and after. JSON lines (peer = full fine-tuning,
 * ratio = LoRA / full), then a markdown table.
 *
 *   npm run bench -- --filter lora/bench/sft-demo [--steps 600] [--skill upper] [--test 40] [--train 600]
 */
import { spawnSync } from 'node:child_process';
import { initBackend, tf } from '@llmkit/core';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import { PLAIN_QA_TEMPLATE, SFTTrainer, applyLora } from '../src/index.js';
import { skillData, skillExactMatch, type Skill } from '../test/fixtures/sft/skills.js';

const args = process.argv.slice(2);
const arg = (name: string): string | undefined => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};
const steps = Number(arg('--steps') ?? 600);
const skill = (arg('--skill') ?? 'upper') as Skill;
const testWords = Number(arg('--test') ?? 40);
const trainWords = Number(arg('--train') ?? 600);
const BATCH = 16;
const FULL_LR = Number(arg('--full-lr') ?? 3e-3);
const LORA_LR = Number(arg('--lora-lr') ?? 5e-3);

interface MethodResult {
  method: string;
  trainable: number;
  total: number;
  msPerStep: number;
  peakRssBytes: number;
  peakTensorBytes: number;
  emBefore: number;
  emAfter: number;
  finalLoss: number;
}

const METHODS = ['full', 'lora-r8', 'lora-r16'] as const;
type Method = (typeof METHODS)[number];

async function runMethod(method: Method): Promise<MethodResult> {
  await initBackend();
  const { model, tokenizer, text } = await mobyDickModel();
  const data = skillData(text, { skill, trainWords, testWords, seed: 1 });
  const total = model.parameters().reduce((s, p) => s + p.size, 0);
  const r = method === 'lora-r8' ? 8 : method === 'lora-r16' ? 16 : 0;
  const lora = r > 0 ? applyLora(model, { r, loraAlpha: 2 * r, targetModules: 'all-linear' }) : undefined;
  const trainable = model.trainableParameters().reduce((s, [, p]) => s + p.size, 0);
  const exactMatch = (): Promise<number> => skillExactMatch(model, tokenizer, data.test);
  const emBefore = await exactMatch();
  let peakRssBytes = process.memoryUsage().rss;
  let peakTensorBytes = tf.memory().numBytes;
  const sample = () => {
    peakRssBytes = Math.max(peakRssBytes, process.memoryUsage().rss);
    peakTensorBytes = Math.max(peakTensorBytes, tf.memory().numBytes);
  };
  const trainer = new SFTTrainer({
    model: lora ?? model,
    tokenizer,
    chatTemplate: PLAIN_QA_TEMPLATE,
    trainDataset: data.train.map((e) => e.record),
    args: {
      maxLength: 64,
      learningRate: r > 0 ? LORA_LR : FULL_LR,
      maxSteps: steps,
      perDeviceTrainBatchSize: BATCH,
      warmupRatio: 0.1,
      lrSchedulerType: 'cosine',
      loggingSteps: Math.max(1, Math.floor(steps / 10)),
      progress: false,
    },
    callbacks: { onStepEnd: sample },
  });
  const t0 = performance.now();
  const result = await trainer.train();
  const msPerStep = (performance.now() - t0) / steps;
  sample();
  const emAfter = await exactMatch();
  return { method, trainable, total, msPerStep, peakRssBytes, peakTensorBytes, emBefore, emAfter, finalLoss: result.history.at(-1)?.loss ?? Number.NaN };
}

const child = arg('--child') as Method | undefined;
if (child) {
  const result = await runMethod(child);
  console.log(`@@result ${JSON.stringify(result)}`);
} else {
  await mobyDickModel(); // train or load the shared model once before the children start
  const results: MethodResult[] = [];
  for (const method of METHODS) {
    console.error(`# ${method}: ${steps} steps ...`);
    const run = spawnSync(process.execPath, [...process.execArgv, process.argv[1]!, ...args, '--child', method], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] });
    const line = run.stdout.split('\n').find((l) => l.startsWith('@@result '));
    if (run.status !== 0 || !line) throw new Error(`${method} run failed (exit ${run.status}): ${run.stdout.slice(-2000)}`);
    results.push(JSON.parse(line.slice('@@result '.length)) as MethodResult);
  }
  const full = results.find((r) => r.method === 'full')!;
  const figures: Array<[keyof MethodResult, string, string]> = [
    ['trainable', 'trainable_params', 'params'],
    ['msPerStep', 'ms_per_step', 'ms'],
    ['peakRssBytes', 'peak_rss', 'bytes'],
    ['peakTensorBytes', 'peak_tensor_bytes', 'bytes'],
    ['emAfter', 'heldout_exact_match', 'fraction'],
  ];
  for (const r of results) {
    for (const [key, name, unit] of figures) {
      const ours = r[key] as number;
      const peerValue = full[key] as number;
      console.log(JSON.stringify({ bench: `lora/sft-demo/${skill}/${r.method}/${name}`, ours, peer: 'full fine-tuning', peerValue, ratio: peerValue === 0 ? null : ours / peerValue, unit }));
    }
  }
  const mb = (b: number) => (b / 2 ** 20).toFixed(1);
  console.log(`\n| method (${skill}, ${steps} steps, batch ${BATCH}) | trainable params | % of ${full.total.toLocaleString('en-US')} | ms / step | peak RSS MiB | peak tf.memory MiB | final loss | held-out EM before | after |`);
  console.log('|---|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const r of results) {
    console.log(
      `| ${r.method} | ${r.trainable.toLocaleString('en-US')} | ${((100 * r.trainable) / r.total).toFixed(2)} | ${r.msPerStep.toFixed(1)} | ${mb(r.peakRssBytes)} | ${mb(r.peakTensorBytes)} | ${r.finalLoss.toFixed(3)} | ${r.emBefore.toFixed(3)} | ${r.emAfter.toFixed(3)} |`,
    );
  }
}
