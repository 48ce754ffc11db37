/**
 * Preference alignment on the pretrained Moby Dick char-level Llama (tools/testing/moby-model.ts),
 * a bigger run of test/demo.test.ts: rejection-sample 4 completions of 160 Moby Dick prompts with
 * the base model, score them by a generated preference (fewer letter "e"), keep best-vs-worst pairs
 * (score gap >= 2), train DPO (sigmoid), IPO and KTO on 80 % of them (full fine-tuning, and DPO
 * with a LoRA adapter whose reference is the base with the adapter disabled), and report held-out
 * reward accuracy, the rate of "e"-free completions in sampled generations before and after, and
 * the exact KL(policy ‖ reference) per sampled sequence.
 *
 * The "peer" of each line is the base model before alignment, measured in the same run.
 *
 *   npm run bench -- --filter dpo/bench/dpo-demo
 *   npx tsx --conditions=@llmkit/source packages/dpo/bench/dpo-demo.bench.ts --from-sft [--preference correct] [--prompts 160 --steps 30 --lr 1e-4]
 *     (align the SFT model of issue 7's demonstration on its own Q/A prompts: fewer "e" in the answers, or with
 *     --preference correct a verifiable reward, the correct answer)
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { initBackend } from '@llmkit/core';
import { PLAIN_QA_TEMPLATE, SFTTrainer } from '@llmkit/lora';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import { skillData, skillExactMatch } from '../../lora/test/fixtures/sft/skills.js';
import { FEWER_E, buildDemoData, formatTable, runMethod, type DemoRow, type DemoSettings, type Preference } from '../test/preference-demo.js';

const argValue = (name: string): number | undefined => {
  const at = process.argv.indexOf(name);
  return at >= 0 ? Number(process.argv[at + 1]) : undefined;
};
/** Defaults; `--prompts N --steps N --lr X` override them. */
const SETTINGS: DemoSettings = {
  prompts: argValue('--prompts') ?? 160,
  promptChars: 24,
  n: 4,
  maxNewTokens: 12,
  steps: argValue('--steps') ?? 30,
  batchSize: 8,
  lr: argValue('--lr') ?? 1e-4,
  evalPrompts: 40,
  seed: 0,
};

function line(bench: string, ours: number, peer: string, peerValue: number | null, unit: string): void {
  console.log(
    JSON.stringify({
      bench,
      ours: +ours.toFixed(4),
      peer,
      peerValue: peerValue === null ? null : +peerValue.toFixed(4),
      ratio: peerValue === null || peerValue === 0 ? null : +(ours / peerValue).toFixed(4),
      unit,
    }),
  );
}

/**
 * --from-sft: first supervised fine-tuning of the pretrained model on the generated upper-casing instruction set of
 * @llmkit/lora's SFT demonstration ("Q: upper <word>\nA: <WORD>", 250 full fine-tuning steps, as
 * packages/lora/test/sft-demo.test.ts), then the preference alignment of that SFT model.
 */
async function sftModelDir(): Promise<string> {
  const dir = join(tmpdir(), 'llmkit-dpo-demo-sft');
  const { model, tokenizer, text } = await mobyDickModel();
  const data = skillData(text, { skill: 'upper', trainWords: 600, testWords: 40, seed: 1 });
  const exactMatch = (): Promise<number> => skillExactMatch(model, tokenizer, data.test);
  const before = await exactMatch();
  const trainer = new SFTTrainer({
    model,
    tokenizer,
    chatTemplate: PLAIN_QA_TEMPLATE,
    trainDataset: data.train.map((e) => e.record),
    args: { maxLength: 64, learningRate: 3e-3, maxSteps: 250, perDeviceTrainBatchSize: 16, warmupRatio: 0.1, lrSchedulerType: 'cosine', progress: false },
  });
  await trainer.train();
  const after = await exactMatch();
  console.error(`# SFT stage (upper-casing, 250 steps): held-out exact match ${before.toFixed(3)} -> ${after.toFixed(3)}`);
  line('dpo-demo/sft-stage/exact-match', after, 'pretrained model', before, 'fraction of held-out words');
  await model.save(dir);
  model.dispose();
  return dir;
}

/**
 * The preference for the SFT model: a verifiable reward, the correct upper-cased answer. Prompts are rendered as
 * PLAIN_QA_TEMPLATE renders a user turn plus the generation prompt ("Q: upper <word>\nA: "), for words the SFT stage
 * never saw; a completion is correct when its first line is the upper-cased word.
 */
const answerOf = (prompt: string) => /^Q: upper (\w+)\n/.exec(prompt)![1]!.toUpperCase();
const isCorrect = (prompt: string, completion: string) => completion.split('\n')[0] === answerOf(prompt);
const CORRECT_ANSWER: Preference = {
  reward: (p, c) => (isCorrect(p, c) ? 1 : 0),
  property: isCorrect,
  score: (p, c) => (isCorrect(p, c) ? 1 : 0),
  minScoreGap: 1,
  propertyLabel: 'sampled exact-match rate',
  scoreLabel: 'mean reward',
};

async function main(): Promise<void> {
  await initBackend();
  const fromSft = process.argv.includes('--from-sft');
  let start: Parameters<typeof buildDemoData>[1] = {};
  let preference = FEWER_E;
  if (fromSft) {
    const { text } = await mobyDickModel();
    // Words after the SFT stage's 600 training and 40 evaluation words (same seed, same order).
    const words = skillData(text, { skill: 'upper', trainWords: 600, testWords: 40 + SETTINGS.prompts + SETTINGS.evalPrompts, seed: 1 })
      .test.slice(40)
      .map((e) => e.prompt[0]!.content.replace(/^upper /, ''));
    const prompts = words.map((w) => `Q: upper ${w}\nA: `);
    // --preference correct: the verifiable reward above; default: fewer letter "e" in the answers (the issue's
    // "avoid a given word / letter" preference), applied to the SFT model's own answer format.
    // Answers are short upper-case words, so a one-letter "e" gap already makes a pair.
    preference = process.argv.includes('correct') ? CORRECT_ANSWER : { ...FEWER_E, minScoreGap: 1 };
    start = { dir: await sftModelDir(), prompts: { train: prompts.slice(0, SETTINGS.prompts), eval: prompts.slice(SETTINGS.prompts) }, preference };
    console.error(`# aligning the SFT model on its Q/A prompts: on-policy pairs ranked by ${preference === CORRECT_ANSWER ? 'a verifiable reward (the correct upper-cased word)' : 'fewer letter "e" in the answer'}`);
  }
  const data = await buildDemoData(SETTINGS, start);
  console.error(`# ${data.trainPairs.length} train pairs, ${data.heldOutPairs.length} held-out pairs; before alignment: ${(100 * data.baseRate).toFixed(1)} % of completions with the property (${preference.propertyLabel})`);
  const rows: DemoRow[] = [];
  for (const method of ['sigmoid', 'ipo', 'kto'] as const) rows.push(await runMethod(method, data, SETTINGS));
  rows.push(await runMethod('sigmoid', data, SETTINGS, { lora: true, lr: 3e-4 }));
  for (const r of rows) {
    const name = r.method.replace(/ \(LoRA r=8\)/, '-lora');
    const tag = fromSft ? 'sft' : 'pretrained';
    line(`dpo-demo/${tag}/${name}/property-rate`, r.rateAfter, 'before alignment', r.rateBefore, `fraction of completions (${preference.propertyLabel})`);
    line(`dpo-demo/${tag}/${name}/mean-score`, r.meanEAfter, 'before alignment', r.meanEBefore, preference.scoreLabel);
    line(`dpo-demo/${tag}/${name}/reward-accuracy`, r.rewardAccuracy, 'none', null, 'fraction of held-out pairs');
    line(`dpo-demo/${tag}/${name}/kl`, r.kl, 'none', null, 'nats per sequence');
  }
  console.error(`\n${formatTable(rows, preference)}\n`);
  console.error(`prompt: ${JSON.stringify(data.evalPrompts[0])}`);
  console.error(`  base model: ${data.baseExamples.map((t) => JSON.stringify(t)).join(' ')}`);
  for (const r of rows) console.error(`  ${r.method}: ${r.examples.map((t) => JSON.stringify(t)).join(' ')}`);
}

await main();
