/**
 * DPO on generated preferences with @llmkit/dpo and a LoRA adapter from @llmkit/lora.
 *
 * The preference: "answer like Captain Ahab: SHOUT". Each pair has a user prompt asking to continue a
 * Moby Dick passage; `chosen` is the book's real continuation in UPPER CASE, `rejected` the same words
 * as written. The pretrained model prefers the book's casing, so DPO must move it against its prior.
 * The pairs are written as TRL's conversational JSONL (prompt / chosen / rejected message lists), read
 * back with `readPreferenceJsonl`, rendered with the model's chat template (`tokenizePreference`),
 * and trained with `DPOTrainer` (sigmoid loss, β 0.1) on a LoRA policy whose reference is the same
 * model with the adapter disabled (`loraReference`: no second copy of the weights). Held-out pairs
 * measure the effect: the policy's log-prob margin log p(chosen) - log p(rejected) before and after,
 * and the reward accuracy. The adapter is saved in PEFT format.
 *
 *   npm run start -- [--model DIR] [--steps 40] [--pairs 96] [--lr 5e-3] [--beta 0.1] [--out DIR]
 */
import { createHash } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, InvalidArgumentError } from '@llmkit/core';
import { DPOTrainer, loraReference, readPreferenceJsonl, tokenizePreference, type TokenizedPair, type PreferenceEvalResult } from '@llmkit/dpo';
import { applyLora, saveAdapter } from '@llmkit/lora';
import type { DecoderLM } from '@llmkit/model';
import { loadLocalModel, mobyDickText } from '@llmkit/example-shared';

export interface DpoExampleOptions {
  modelDir?: string;
  pretrainSteps?: number;
  cacheDir?: string;
  steps?: number;
  /** Generated pairs (a quarter held out). Default 96. */
  pairs?: number;
  lr?: number;
  beta?: number;
  outDir?: string;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface DpoExampleResult {
  trainPairs: number;
  heldOutPairs: number;
  /** Mean log p(chosen) - log p(rejected) of the policy on held-out pairs. */
  marginBefore: number;
  marginAfter: number;
  eval: PreferenceEvalResult;
  adapterDir: string;
  lastLog: Record<string, number>;
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** Generated preference records in TRL's conversational format. */
export function generatePreferences(count: number, seed = 7): Array<Record<string, unknown>> {
  const words = mobyDickText().split(/\s+/).filter(Boolean);
  const rng = createRng(seed);
  const records: Array<Record<string, unknown>> = [];
  for (let i = 0; i < count; i++) {
    const at = rng.randint(0, words.length - 30);
    const passage = words.slice(at, at + 12).join(' ');
    const continuation = words.slice(at + 12, at + 20).join(' ');
    const prompt = [{ role: 'user', content: `Continue: ${passage}` }];
    records.push({
      prompt,
      chosen: [{ role: 'assistant', content: continuation.toUpperCase() }],
      rejected: [{ role: 'assistant', content: continuation }],
    });
  }
  return records;
}

function meanMargin(model: DecoderLM, pairs: TokenizedPair[]): Promise<number> {
  const logp = async (s: TokenizedPair['chosen']) => {
    return (await model.logprobs(s.inputIds.slice(0, s.promptLength), s.inputIds.slice(s.promptLength))).logprob;
  };
  return pairs.reduce(async (acc, p) => (await acc) + (await logp(p.chosen)) - (await logp(p.rejected)), Promise.resolve(0)).then((sum) => sum / pairs.length);
}

export async function runDpoExample(options: DpoExampleOptions = {}): Promise<DpoExampleResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const count = options.pairs ?? 96;
  if (!Number.isInteger(count) || count < 8) throw new InvalidArgumentError(`--pairs must be an integer >= 8, got ${count}.`);
  const outDir = options.outDir ?? join(EXAMPLE_DIR, '.cache', 'dpo');
  mkdirSync(outDir, { recursive: true });
  const { model, dir: modelFolder } = await loadLocalModel({
    modelDir: options.modelDir,
    cacheDir: options.cacheDir ?? join(EXAMPLE_DIR, '.cache'),
    steps: options.pretrainSteps ?? 100,
    progress: options.progress,
    log,
  });
  try {
    const jsonl = join(outDir, 'preferences.jsonl');
    const jsonlText = generatePreferences(count).map((r) => JSON.stringify(r)).join('\n') + '\n';
    writeFileSync(jsonl, jsonlText);
    // The reference log-prob cache is valid only for this model folder and these pairs.
    const dataHash = createHash('sha256').update(jsonlText).update(resolve(modelFolder)).digest('hex').slice(0, 10);
    const examples = readPreferenceJsonl(jsonl);
    const tokenizer = model.tokenizer!;
    const eos = tokenizer.tokenToId('<|im_end|>');
    const pairs = examples.map((e, i) =>
      tokenizePreference(e, { tokenizer, chatTemplate: { tokenizerConfig: model.tokenizerConfig }, eosTokenId: eos, maxLength: model.config.maxPositionEmbeddings }, i),
    );
    const heldOut = pairs.slice(0, Math.floor(count / 4));
    const train = pairs.slice(heldOut.length);
    log(`preferences: ${count} generated pairs in ${jsonl} (chosen: the book's words SHOUTED; rejected: the same words as written); ${train.length} train / ${heldOut.length} held out`);
    const example = examples[0]!;
    log(`  e.g. prompt ${JSON.stringify(example.prompt)}\n       chosen ${JSON.stringify(example.chosen)}\n       rejected ${JSON.stringify(example.rejected)}`);

    const marginBefore = await meanMargin(model, heldOut);
    log(`before DPO: mean held-out log p(chosen) - log p(rejected) = ${marginBefore.toFixed(3)}`);

    const lora = applyLora(model, { r: 8, loraAlpha: 16, targetModules: 'all-linear', rng: createRng(3) });
    log(`LoRA r=8 on all linear layers: ${lora.nbTrainableParameters().trainable.toLocaleString()} trainable parameters`);
    const steps = options.steps ?? 40;
    const trainer = new DPOTrainer({
      model: lora.model,
      reference: loraReference(lora),
      train,
      lossType: 'sigmoid',
      beta: options.beta ?? 0.1,
      maxSteps: steps,
      batchSize: 8,
      lr: options.lr ?? 5e-3,
      logInterval: Math.max(1, Math.round(steps / 4)),
      logFile: join(outDir, 'dpo-log.jsonl'),
      referenceCacheFile: join(outDir, `reference-logps-${dataHash}.json`),
      progress: options.progress ?? 'auto',
    });
    const result = await trainer.train();
    for (const r of result.logs) {
      log(`step ${String(r.step).padStart(3)}: loss ${r.loss?.toFixed(4)}, rewards/accuracies ${r['rewards/accuracies']?.toFixed(3)}, rewards/margins ${r['rewards/margins']?.toFixed(3)}`);
    }
    const evaluation = trainer.evaluate(heldOut);
    const marginAfter = await meanMargin(lora.model, heldOut);
    log(`after DPO (${steps} steps): held-out reward accuracy ${evaluation.rewardAccuracy.toFixed(3)}, reward margin ${evaluation.rewardMargin.toFixed(3)}`);
    log(`after DPO: mean held-out log p(chosen) - log p(rejected) = ${marginAfter.toFixed(3)} (was ${marginBefore.toFixed(3)})`);
    const adapterDir = join(outDir, 'adapter');
    await saveAdapter(lora, adapterDir);
    log(`saved the LoRA adapter in PEFT format: ${adapterDir} (adapter_config.json + adapter_model.safetensors)`);
    const lastLog = (result.logs.at(-1) ?? {}) as unknown as Record<string, number>;
    return { trainPairs: train.length, heldOutPairs: heldOut.length, marginBefore, marginAfter, eval: evaluation, adapterDir, lastLog };
  } finally {
    model.dispose();
  }
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  await runDpoExample({
    modelDir: flag(args, '--model'),
    steps: num('--steps'),
    pairs: num('--pairs'),
    lr: num('--lr'),
    beta: num('--beta'),
    pretrainSteps: num('--pretrain-steps'),
    outDir: flag(args, '--out'),
  });
}
