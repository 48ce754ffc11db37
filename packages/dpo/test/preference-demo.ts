/**
 * The preference-alignment demonstration shared by test/demo.test.ts (small) and
 * bench/dpo-demo.bench.ts (bigger): on the pretrained Moby Dick char-level Llama, rejection-sample
 * completions of Moby Dick prompts scored by a generated preference (fewer letter "e"), train DPO /
 * IPO / KTO on the best-vs-worst pairs, and measure held-out reward accuracy, the rate of the
 * preferred property in sampled generations before and after, and the KL to the reference.
 */
import { createRng, tf } from '@llmkit/core';
import { DecoderLM } from '@llmkit/model';
import { applyLora } from '@llmkit/lora';
import { mobyDickModel } from '../../../tools/testing/moby-model.js';
import {
  DPOTrainer,
  KTOTrainer,
  loraReference,
  modelReference,
  rejectionSample,
  sampleCompletions,
  tokenizeKto,
  tokenizePreference,
  unpairPreferences,
  type PreferenceExample,
  type ReferenceModel,
  type TokenizedPair,
} from '../src/index.js';

/** The preference: completions with fewer letter "e" are better. */
export const countE = (s: string) => (s.match(/e/gi) ?? []).length;
/** The preferred property measured in generations: the completion has no "e" at all. */
export const hasNoE = (s: string) => countE(s) === 0;

/** A generated preference: the reward that ranks samples, and the property measured in generations. */
export interface Preference {
  /** Rejection-sampling reward of a completion (higher is better). */
  reward(prompt: string, completion: string): number;
  /** The preferred property whose rate is measured before and after alignment. */
  property(prompt: string, completion: string): boolean;
  /** The per-completion score averaged in the table ("mean ... before / after"). */
  score(prompt: string, completion: string): number;
  /** Smallest best-minus-worst reward gap that makes a pair. */
  minScoreGap: number;
  /** Table labels: the property rate and the mean score. */
  propertyLabel: string;
  scoreLabel: string;
}

/** Prefer completions with fewer letter "e"; property: no "e" at all. */
export const FEWER_E: Preference = {
  reward: (_p, c) => -countE(c),
  property: (_p, c) => hasNoE(c),
  score: (_p, c) => countE(c),
  minScoreGap: 2,
  propertyLabel: 'no-"e" rate',
  scoreLabel: 'mean "e"',
};

export interface DemoSettings {
  prompts: number;
  promptChars: number;
  n: number;
  maxNewTokens: number;
  steps: number;
  batchSize: number;
  lr: number;
  /** Prompts (x n samples) for the before/after property rate. */
  evalPrompts: number;
  seed: number;
}

export const SMALL: DemoSettings = { prompts: 80, promptChars: 24, n: 4, maxNewTokens: 12, steps: 12, batchSize: 8, lr: 3e-4, evalPrompts: 16, seed: 0 };

export interface DemoData {
  dir: string;
  tokenizer: { encode(t: string): ArrayLike<number>; decode(ids: number[]): string };
  trainPairs: PreferenceExample[];
  heldOutPairs: PreferenceExample[];
  evalPrompts: string[];
  baseRate: number;
  baseMeanE: number;
  /** A few base-model completions of the first evaluation prompts. */
  baseExamples: string[];
  preference: Preference;
}

function promptsFrom(text: string, count: number, chars: number, seed: number): string[] {
  const rng = createRng(seed);
  const out: string[] = [];
  const start = Math.floor(text.length * 0.9); // the held-out tail of the corpus
  while (out.length < count) {
    let i = start + rng.randint(0, text.length - start - chars - 1);
    while (i > start && text[i - 1] !== ' ') i--;
    const p = text.slice(i, i + chars);
    if (!p.includes('\n')) out.push(p);
  }
  return out;
}

/** Property rate and mean "e" count over n samples of each prompt. */
export async function propertyRate(
  model: DecoderLM,
  tokenizer: DemoData['tokenizer'],
  prompts: string[],
  s: DemoSettings,
  seed: number,
  preference: Preference = FEWER_E,
) {
  const completions = await sampleCompletions(model, prompts.map((p) => Array.from(tokenizer.encode(p))), {
    n: s.n,
    maxNewTokens: s.maxNewTokens,
    seed,
    progress: false,
  });
  const pairs = completions.flatMap((cs, i) => cs.map((ids) => [prompts[i]!, tokenizer.decode(ids)] as const));
  const texts = pairs.map(([, t]) => t);
  return {
    rate: pairs.filter(([p, t]) => preference.property(p, t)).length / pairs.length,
    meanE: pairs.reduce((a, [p, t]) => a + preference.score(p, t), 0) / pairs.length,
    texts,
    completions,
  };
}

/**
 * Exact KL(policy || reference) per sampled sequence: the sum over completion positions of
 * Σ_v p(v) (log p(v) − log q(v)), averaged over the policy's samples.
 */
export function sequenceKl(policy: DecoderLM, reference: ReferenceModel, prompts: number[][], completions: number[][][]): number {
  let total = 0;
  let count = 0;
  prompts.forEach((prompt, i) => {
    for (const c of completions[i]) {
      const ids = [...prompt, ...c];
      const kl = tf.tidy(() => {
        const input = tf.tensor2d([ids.slice(0, -1)], undefined, 'int32');
        const lp = tf.logSoftmax(policy.forward(input));
        const lq = tf.logSoftmax(reference.run((m) => m.forward(input)));
        const per = tf.sum(tf.mul(tf.exp(lp), tf.sub(lp, lq)), -1); // [1, L]
        return tf.sum(tf.slice(per, [0, prompt.length - 1], [1, c.length])).dataSync()[0];
      });
      total += kl;
      count++;
    }
  });
  return total / count;
}

/** Build the preference data from the base model by rejection sampling. */
export async function buildDemoData(
  s: DemoSettings,
  start: { dir?: string; prompts?: { train: string[]; eval: string[] }; preference?: Preference } = {},
): Promise<DemoData> {
  // `start.dir`: align that model (for example the SFT model of the bench's --from-sft) instead of the pretrained one;
  // `start.prompts` / `start.preference`: other prompts and preference than Moby Dick passages / fewer "e".
  const preference = start.preference ?? FEWER_E;
  const moby = await mobyDickModel();
  const { tokenizer, text } = moby;
  let model = moby.model;
  let dir = moby.dir;
  if (start.dir) {
    model.dispose();
    model = await DecoderLM.fromPretrained(start.dir);
    dir = start.dir;
  }
  const prompts = start.prompts ? [] : promptsFrom(text, s.prompts + s.evalPrompts, s.promptChars, s.seed);
  const trainPrompts = start.prompts?.train ?? prompts.slice(0, s.prompts);
  const evalPrompts = start.prompts?.eval ?? prompts.slice(s.prompts);
  const { pairs } = await rejectionSample({
    model,
    tokenizer,
    prompts: trainPrompts,
    n: s.n,
    maxNewTokens: s.maxNewTokens,
    seed: s.seed + 1,
    reward: (p, c) => preference.reward(p, c),
    minScoreGap: preference.minScoreGap,
    progress: false,
  });
  const cut = Math.floor(pairs.length * 0.8);
  const base = await propertyRate(model, tokenizer, evalPrompts, s, s.seed + 2, preference);
  model.dispose();
  return { dir, tokenizer, trainPairs: pairs.slice(0, cut), heldOutPairs: pairs.slice(cut), evalPrompts, baseRate: base.rate, baseMeanE: base.meanE, baseExamples: base.texts.slice(0, 4), preference };
}

export interface DemoRow {
  method: string;
  trainPairs: number;
  heldOutPairs: number;
  rewardAccuracy: number;
  rateBefore: number;
  rateAfter: number;
  meanEBefore: number;
  meanEAfter: number;
  kl: number;
  seconds: number;
  /** A few completions of the first evaluation prompts after alignment. */
  examples: string[];
}

/** Train one method on the demo data and measure it. */
export async function runMethod(
  method: 'sigmoid' | 'ipo' | 'kto',
  data: DemoData,
  s: DemoSettings,
  options: { logFile?: string; beta?: number; lora?: boolean; lr?: number } = {},
): Promise<DemoRow> {
  const started = performance.now();
  const policy = await DecoderLM.fromPretrained(data.dir);
  let reference: ReferenceModel;
  if (options.lora) {
    // LoRA on every linear layer of the trunk; the reference is the base with the adapter disabled
    const lora = applyLora(policy, { r: 8, loraAlpha: 16, targetModules: 'all-linear', rng: createRng(s.seed) });
    reference = loraReference(lora);
  } else {
    reference = modelReference(await DecoderLM.fromPretrained(data.dir));
  }
  const tokenize = (pairs: PreferenceExample[]): TokenizedPair[] => pairs.map((p, i) => tokenizePreference(p, { tokenizer: data.tokenizer }, i));
  const train = tokenize(data.trainPairs);
  const heldOut = tokenize(data.heldOutPairs);
  const beta = options.beta ?? (method === 'ipo' ? 0.5 : 0.1);
  const common = { model: policy, reference, beta, maxSteps: s.steps, batchSize: s.batchSize, lr: options.lr ?? s.lr, seed: s.seed, progress: false as const, logFile: options.logFile, logInterval: 5 };
  let rewardAccuracy: number;
  if (method === 'kto') {
    const examples = unpairPreferences(data.trainPairs).map((e, i) => tokenizeKto(e, { tokenizer: data.tokenizer }, i));
    const trainer = new KTOTrainer({ ...common, train: examples });
    await trainer.train();
    // reward accuracy measured as DPO's implicit reward β·log-ratio on held-out pairs
    rewardAccuracy = new DPOTrainer({ ...common, train: heldOut, lossType: 'sigmoid' }).evaluate(heldOut).rewardAccuracy;
  } else {
    const trainer = new DPOTrainer({ ...common, train, lossType: method });
    await trainer.train();
    rewardAccuracy = trainer.evaluate(heldOut).rewardAccuracy;
  }
  policy.eval();
  const after = await propertyRate(policy, data.tokenizer, data.evalPrompts, s, s.seed + 2, data.preference);
  const kl = sequenceKl(policy, reference, data.evalPrompts.map((p) => Array.from(data.tokenizer.encode(p))), after.completions);
  const before = { rate: data.baseRate, meanE: data.baseMeanE };
  policy.dispose();
  reference.dispose();
  return {
    method: options.lora ? `${method} (LoRA r=8)` : method,
    trainPairs: data.trainPairs.length,
    heldOutPairs: data.heldOutPairs.length,
    rewardAccuracy,
    rateBefore: before.rate,
    rateAfter: after.rate,
    meanEBefore: before.meanE,
    meanEAfter: after.meanE,
    kl,
    seconds: (performance.now() - started) / 1000,
    examples: after.texts.slice(0, 4),
  };
}

export function formatTable(rows: DemoRow[], preference: Preference = FEWER_E): string {
  const head = `| method | train pairs | held-out pairs | reward accuracy | ${preference.propertyLabel} before | after | ${preference.scoreLabel} before | after | KL(policy‖ref) per sequence | seconds |`;
  const sep = '|---|---|---|---|---|---|---|---|---|---|';
  const body = rows.map(
    (r) =>
      `| ${r.method} | ${r.trainPairs} | ${r.heldOutPairs} | ${r.rewardAccuracy.toFixed(3)} | ${r.rateBefore.toFixed(3)} | ${r.rateAfter.toFixed(3)} | ${r.meanEBefore.toFixed(2)} | ${r.meanEAfter.toFixed(2)} | ${r.kl.toFixed(3)} | ${r.seconds.toFixed(1)} |`,
  );
  return [head, sep, ...body].join('\n');
}
