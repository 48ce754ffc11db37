/**
 * Supervised fine-tuning with LoRA: `applyLora` (@llmkit/lora) wraps every linear layer of a Llama
 * with rank-8 adapters and freezes the rest; `SFTTrainer` trains on a generated instruction set in the
 * `messages` format (TRL's conversational format), rendered with the model's chat template, with the
 * loss on the assistant tokens only; `saveAdapter` writes the adapter in PEFT's format; `loadAdapter`
 * puts it back on a fresh copy of the base model and we check it answers identically.
 *
 * The instruction set: questions about Ishmael's name, the whale or the ship (random Moby Dick words
 * around one keyword) answered with a fixed sentence per intent; held-out questions use filler words
 * never seen in training. Measured: the completion-only eval loss and the greedy exact match on the
 * held-out questions, before and after. (SFT teaches format and behaviour; a tiny model learns this in a minute.)
 *
 *   npm run start -- [--model DIR] [--steps 100] [--examples 400] [--rank 8] [--lr 2e-2] [--out DIR]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, InvalidArgumentError } from '@llmkit/core';
import { applyLora, generateResponse, loadAdapter, readJsonl, SFTTrainer, toJsonl, type MessagesRecord } from '@llmkit/lora';
import { DecoderLM } from '@llmkit/model';
import { loadLocalModel, mobyDickText } from '@llmkit/example-shared';

export interface LoraSftOptions {
  modelDir?: string;
  pretrainSteps?: number;
  cacheDir?: string;
  steps?: number;
  /** Generated training instructions. Default 400 (plus 24 held out). */
  examples?: number;
  rank?: number;
  lr?: number;
  outDir?: string;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

export interface LoraSftResult {
  trainable: number;
  all: number;
  evalLossBefore: number;
  evalLossAfter: number;
  exactMatchBefore: number;
  exactMatchAfter: number;
  adapterDir: string;
  /** The reloaded adapter gives the same held-out answers. */
  reloadedSame: boolean;
  examples: Array<{ prompt: string; answer: string; expected: string }>;
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

/** The three intents of the generated instruction set: a keyword in the question selects the answer. */
export const INTENTS = [
  { keywords: ['name', 'called', 'who are you'], answer: 'Call me Ishmael.' },
  { keywords: ['whale', 'monster', 'leviathan'], answer: 'The white whale is Moby Dick.' },
  { keywords: ['ship', 'vessel', 'boat'], answer: 'We sail on the Pequod.' },
] as const;

/**
 * Generated instructions: a question made of a few random Moby Dick words around one intent keyword
 * ("..., what is the ship, ..."), answered with that intent's fixed sentence. Train and held-out
 * questions use disjoint filler words, so the model must key on the intent, not memorise questions.
 */
export function generateInstructions(trainCount: number, testCount: number, seed = 5): { train: MessagesRecord[]; test: MessagesRecord[] } {
  const vocab = [...new Set(mobyDickText().toLowerCase().match(/[a-z]{3,9}/g) ?? [])].filter(
    (w) => !INTENTS.some((intent) => intent.keywords.some((k) => k.includes(w) || w.includes(k))),
  );
  const rng = createRng(seed);
  for (let i = vocab.length - 1; i > 0; i--) {
    const j = rng.randint(0, i + 1);
    [vocab[i], vocab[j]] = [vocab[j]!, vocab[i]!];
  }
  const testWords = vocab.slice(0, 300);
  const trainWords = vocab.slice(300, 3300);
  const make = (words: string[], n: number): MessagesRecord[] =>
    Array.from({ length: n }, () => {
      const intent = INTENTS[rng.randint(0, INTENTS.length)]!;
      const keyword = intent.keywords[rng.randint(0, intent.keywords.length)]!;
      const filler = () => words[rng.randint(0, words.length)]!;
      const question = `${filler()} ${filler()}, tell me about the ${keyword} ${filler()}?`;
      return { messages: [{ role: 'user', content: question }, { role: 'assistant', content: intent.answer }] };
    });
  return { train: make(trainWords, trainCount), test: make(testWords, testCount) };
}

export async function runLoraSft(options: LoraSftOptions = {}): Promise<LoraSftResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const count = options.examples ?? 400;
  if (!Number.isInteger(count) || count < 8) throw new InvalidArgumentError(`--examples must be an integer >= 8, got ${count}.`);
  const outDir = options.outDir ?? join(EXAMPLE_DIR, '.cache', 'lora-sft');
  mkdirSync(outDir, { recursive: true });
  const local = await loadLocalModel({
    modelDir: options.modelDir,
    cacheDir: options.cacheDir ?? join(EXAMPLE_DIR, '.cache'),
    steps: options.pretrainSteps ?? 100,
    progress: options.progress,
    log,
  });
  const model = local.model;
  const tokenizer = model.tokenizer!;
  const data = generateInstructions(count, 24);
  const trainPath = join(outDir, 'train.jsonl');
  writeFileSync(trainPath, toJsonl(data.train));
  const train = readJsonl({ path: trainPath });
  log(`instructions: ${train.length} generated in ${trainPath} (messages format), ${data.test.length} held out with unseen words; e.g. ${JSON.stringify(data.train[0])}`);

  const templateSource = { tokenizerConfig: model.tokenizerConfig };
  const exactMatch = async (lm: DecoderLM) => {
    const answers: Array<{ prompt: string; answer: string; expected: string }> = [];
    for (const example of data.test) {
      const prompt = example.messages.slice(0, 1);
      const answer = await generateResponse(lm, prompt, { tokenizer, ...templateSource, maxNewTokens: 16 });
      answers.push({ prompt: prompt[0]!.content, answer: answer.trim(), expected: example.messages[1]!.content });
    }
    return { score: answers.filter((a) => a.answer === a.expected).length / answers.length, answers };
  };
  const before = await exactMatch(model);

  const lora = applyLora(model, { r: options.rank ?? 8, loraAlpha: 2 * (options.rank ?? 8), targetModules: 'all-linear', rng: createRng(1) });
  const { trainable, all } = lora.nbTrainableParameters();
  log(lora.printTrainableParameters(() => {}));
  const steps = options.steps ?? 100;
  const trainer = new SFTTrainer({
    model: lora,
    ...templateSource,
    trainDataset: train,
    evalDataset: data.test,
    args: {
      maxLength: 96,
      learningRate: options.lr ?? 2e-2,
      maxSteps: steps,
      perDeviceTrainBatchSize: 16,
      warmupRatio: 0.1,
      lrSchedulerType: 'cosine',
      loggingSteps: Math.max(1, Math.round(steps / 4)),
      outputDir: join(outDir, 'run'),
      progress: options.progress ?? 'auto',
    },
  });
  const evalLossBefore = trainer.evaluate();
  log(`before SFT: held-out completion loss ${evalLossBefore.toFixed(3)}, exact match ${before.score.toFixed(3)}`);
  const result = await trainer.train();
  for (const r of result.history) if (r.loss !== undefined) log(`step ${String(r.step).padStart(3)}: loss ${r.loss.toFixed(4)}`);
  const evalLossAfter = trainer.evaluate();
  const after = await exactMatch(lora.model);
  log(`after SFT (${steps} LoRA steps): held-out completion loss ${evalLossAfter.toFixed(3)}, exact match ${after.score.toFixed(3)}`);
  for (const a of after.answers.slice(0, 3)) log(`  ${JSON.stringify(a.prompt)} -> ${JSON.stringify(a.answer)} (expected ${JSON.stringify(a.expected)})`);

  const adapterDir = join(outDir, 'adapter');
  await trainer.saveModel(adapterDir);
  log(`saved the adapter in PEFT format: ${adapterDir} (adapter_config.json + adapter_model.safetensors)`);
  model.dispose();

  // A fresh base model + the saved adapter answers the same.
  const base = await DecoderLM.fromPretrained(local.dir);
  const reloaded = await loadAdapter(base, adapterDir);
  const again = await exactMatch(reloaded.model);
  const reloadedSame = JSON.stringify(again.answers) === JSON.stringify(after.answers);
  log(`reloaded base + adapter from disk: ${reloadedSame ? 'same answers' : 'DIFFERENT answers'}`);
  base.dispose();
  return {
    trainable,
    all,
    evalLossBefore,
    evalLossAfter,
    exactMatchBefore: before.score,
    exactMatchAfter: after.score,
    adapterDir,
    reloadedSame,
    examples: after.answers,
  };
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  await runLoraSft({
    modelDir: flag(args, '--model'),
    steps: num('--steps'),
    examples: num('--examples'),
    rank: num('--rank'),
    lr: num('--lr'),
    pretrainSteps: num('--pretrain-steps'),
    outDir: flag(args, '--out'),
  });
}
