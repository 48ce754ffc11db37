/**
 * Evaluate a language model with @llmkit/eval's task harness (lm-evaluation-harness semantics):
 * a multiple-choice task generated from held-out Moby Dick text ("which words come next?": the true
 * continuation vs three distractors, so chance is 25 %; see mobyClozeTask), scored by `acc` and
 * `acc_norm` from log-likelihoods, with stderr, bootstrap stderr, a request cache and a JSON report.
 * Your own task: `--task my-task.yaml` (lm-eval field names; see the @llmkit/eval README).
 *
 * The model: a local Hugging Face folder (`--model DIR`), an OpenAI-compatible endpoint
 * (`--base-url http://127.0.0.1:8080/v1 --model-name NAME [--api-key KEY]`; multiple choice needs an
 * endpoint that returns prompt log-probs, e.g. `echo` + `logprobs` on /v1/completions, as llmkit's server,
 * vLLM and llama.cpp's server do), or by default a tiny Llama pretrained for 100 steps on Moby Dick.
 *
 *   npm run start -- [--model DIR | --base-url URL --model-name NAME] [--limit 40] [--task FILE] [--fewshot 0] [--out DIR]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createRng, InvalidArgumentError, type LanguageModel } from '@llmkit/core';
import { loadTask, renderMarkdownReport, runTask, type Task, type TaskResult } from '@llmkit/eval';
import { LocalLanguageModel, OpenAICompatibleModel } from '@llmkit/model';
import { loadLocalModel, mobyDickText } from '@llmkit/example-shared';

export interface EvalHarnessOptions {
  modelDir?: string;
  baseUrl?: string;
  modelName?: string;
  apiKey?: string;
  pretrainSteps?: number;
  cacheDir?: string;
  /** A task spec file (YAML/JSON); default the generated Moby Dick multiple-choice task. */
  taskPath?: string;
  /** Documents evaluated. Default 40. */
  limit?: number;
  numFewshot?: number;
  /** Results folder (JSON + Markdown). Default .cache/eval-results. */
  outDir?: string;
  progress?: boolean | 'auto';
  log?: (line: string) => void;
}

const EXAMPLE_DIR = resolve(fileURLToPath(new URL('..', import.meta.url)));

/**
 * The generated task, from the last 10 % of Moby Dick (the tiny model trains on the first 200k characters
 * only): `count` passages of 24 words; the answer is the true next 4 words. Two kinds, alternating
 * (`kind`, reported per category):
 *   - `spelling`: the distractors are the answer with the letters of each word shuffled (a model that
 *     learned English spelling passes; even the tiny model beats chance here);
 *   - `context`: the distractors are real 4-word spans from elsewhere in the text (needs context; hard).
 * The answer's position is seeded, so "always pick A" scores chance (25 %).
 */
export function mobyClozeTask(count: number, numFewshot = 0): Task {
  const words = mobyDickText().slice(-120_000).split(/\s+/).filter(Boolean);
  const rng = createRng(2024);
  const docs: Array<Record<string, unknown>> = [];
  const span = (at: number, n: number) => words.slice(at, at + n).join(' ');
  const scramble = (text: string) =>
    text
      .split(' ')
      .map((w) => {
        const c = [...w];
        for (let i = c.length - 1; i > 0; i--) {
          const j = rng.randint(0, i + 1);
          [c[i], c[j]] = [c[j]!, c[i]!];
        }
        return c.join('');
      })
      .join(' ');
  for (let i = 0; docs.length < count + numFewshot; i++) {
    const kind = i % 2 === 0 ? 'spelling' : 'context';
    const at = rng.randint(0, words.length - 40);
    const answer = span(at + 24, 4);
    const choices = [answer];
    for (let tries = 0; choices.length < 4 && tries < 50; tries++) {
      const candidate = kind === 'spelling' ? scramble(answer) : span(rng.randint(0, words.length - 10), 4);
      if (!choices.includes(candidate)) choices.push(candidate);
    }
    if (choices.length < 4) continue; // e.g. "a I a I": no distinct scrambles
    const label = rng.randint(0, 4);
    [choices[0], choices[label]] = [choices[label]!, choices[0]!];
    docs.push({ passage: span(at, 24), choices, label, kind });
  }
  return loadTask({
    task: 'moby-cloze',
    output_type: 'multiple_choice',
    docs: docs.slice(0, count),
    fewshot_docs: docs.slice(count),
    doc_to_text: '{{passage}}',
    doc_to_choice: '{{choices}}',
    doc_to_target: '{{label}}',
    num_fewshot: numFewshot,
    category_field: 'kind',
  });
}

export interface EvalHarnessResult {
  modelId: string;
  result: TaskResult;
  outputPath: string;
}

export async function runEvalHarness(options: EvalHarnessOptions = {}): Promise<EvalHarnessResult> {
  const log = options.log ?? ((line: string) => console.log(line));
  const limit = options.limit ?? 40;
  if (!Number.isInteger(limit) || limit < 1) throw new InvalidArgumentError(`--limit must be a positive integer, got ${limit}.`);
  let model: LanguageModel;
  let dispose = () => {};
  if (options.baseUrl) {
    if (!options.modelName) throw new InvalidArgumentError('--base-url needs --model-name (the model id the endpoint serves).');
    model = new OpenAICompatibleModel({ baseURL: options.baseUrl, model: options.modelName, apiKey: options.apiKey });
    log(`model: ${options.modelName} at ${options.baseUrl} (OpenAI-compatible endpoint)`);
  } else {
    const local = await loadLocalModel({
      modelDir: options.modelDir,
      cacheDir: options.cacheDir ?? join(EXAMPLE_DIR, '.cache'),
      steps: options.pretrainSteps ?? 100,
      progress: options.progress,
      log,
    });
    // The id keys the request cache: it names the model folder, so another model never reuses old answers.
    model = new LocalLanguageModel({ model: local.model, id: `${local.tiny ? 'tiny-moby-llama' : 'local'}@${resolve(local.dir)}` });
    dispose = () => local.model.dispose();
  }
  const task = options.taskPath ? loadTask(options.taskPath) : mobyClozeTask(limit, options.numFewshot ?? 0);
  log(`task: ${task.name} (${task.spec.output_type}, ${Math.min(limit, task.docs.length)} documents, ${task.spec.num_fewshot}-shot)`);
  const outDir = options.outDir ?? join(EXAMPLE_DIR, '.cache', 'eval-results');
  mkdirSync(outDir, { recursive: true });
  const outputPath = join(outDir, `${task.name}.json`);
  let result: TaskResult;
  try {
    result = await runTask(task, model, {
      limit,
      cacheDir: join(outDir, 'request-cache'),
      outputPath,
      progress: options.progress ?? 'auto',
      bootstrapIters: 200,
    });
  } finally {
    dispose();
  }
  for (const [name, m] of Object.entries(result.metrics)) {
    log(`${name.padEnd(12)} ${m.value.toFixed(4)} ± ${m.stderr?.toFixed(4) ?? 'n/a'} (bootstrap ± ${m.bootstrapStderr?.toFixed(4) ?? 'n/a'})`);
  }
  for (const [category, c] of Object.entries(result.categories ?? {})) {
    log(`  ${category.padEnd(10)} n ${c.n}: ${Object.entries(c.metrics).map(([k, v]) => `${k} ${v.toFixed(4)}`).join(', ')}`);
  }
  if (!options.taskPath) log(`chance level: 0.2500 (4 choices); n = ${result.n}`);
  log(`requests: ${result.requests.total} (${result.requests.cached} from the cache, ${result.requests.modelCalls} model calls)`);
  writeFileSync(join(outDir, `${task.name}.md`), renderMarkdownReport({ title: `Evaluation of ${model.id}`, tasks: [result] }));
  log(`results: ${outputPath} and ${task.name}.md`);
  return { modelId: model.id, result, outputPath };
}

function flag(args: string[], name: string): string | undefined {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  const args = process.argv.slice(2);
  const num = (name: string) => (flag(args, name) === undefined ? undefined : Number(flag(args, name)));
  await runEvalHarness({
    modelDir: flag(args, '--model'),
    baseUrl: flag(args, '--base-url'),
    modelName: flag(args, '--model-name'),
    apiKey: flag(args, '--api-key') ?? process.env.OPENAI_API_KEY,
    pretrainSteps: num('--pretrain-steps'),
    taskPath: flag(args, '--task'),
    limit: num('--limit'),
    numFewshot: num('--fewshot'),
    outDir: flag(args, '--out'),
  });
}
