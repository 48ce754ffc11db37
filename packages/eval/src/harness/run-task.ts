/**
 * `runTask`: run a loaded task against any core `LanguageModel`, lm-evaluation-harness style:
 * build contexts (seeded few-shot), issue log-likelihood or generate-until requests with a
 * concurrency limit through an on-disk cache, score per sample, aggregate with standard errors.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createProgress, createRng, type LanguageModel } from '@llmkit/core';
import { EvalError } from '../errors.js';
import { RequestCache, requestKey } from './cache.js';
import { bootstrapStderr, exactMatch, mean, meanStderr, multipleChoiceMetrics, regexExtract } from './scoring.js';
import { renderTemplate, renderText } from './template.js';
import type { Task } from './task.js';

/** Progress of a run, passed to `onProgress` after every request. */
export interface RunProgress {
  done: number;
  total: number;
  /** Requests answered from the cache. */
  cached: number;
  /** Requests sent to the model. */
  modelCalls: number;
}

/** Options of {@link runTask}. */
export interface RunTaskOptions {
  /** Evaluate only the first `limit` documents. */
  limit?: number;
  /** Requests in flight at once. Default 1. */
  concurrency?: number;
  /** Folder of the request cache (JSONL per model); re-running with it makes no repeated model calls. */
  cacheDir?: string;
  /** Reuse answers already in `cacheDir` (default true); false re-asks the model (new answers are still appended). */
  resume?: boolean;
  /** Write the results JSON here. */
  outputPath?: string;
  /** Bootstrap resamples for `bootstrapStderr` (lm-eval's bootstrap_iters). Default 1000; 0 disables. */
  bootstrapIters?: number;
  /** Seed of the bootstrap. Default 1234. */
  seed?: number;
  /** Called after every request. */
  onProgress?: (progress: RunProgress) => void;
  /** Progress bar (createProgress): true, false or 'auto' (default). */
  progress?: boolean | 'auto';
  /** Stops issuing requests; the run rejects with the signal's reason (answers so far stay cached). */
  signal?: AbortSignal;
}

/** One metric over the run. */
export interface MetricSummary {
  value: number;
  /** lm-eval's mean_stderr: sample stddev / sqrt(n) (null for n < 2). */
  stderr: number | null;
  /** Stddev of the metric over `bootstrapIters` seeded resamples (null when disabled or n < 2). */
  bootstrapStderr: number | null;
}

/** The record of one evaluated document. */
export interface SampleRecord {
  docId: number;
  doc: Record<string, unknown>;
  category?: string;
  /** The prompt (few-shot examples, description and the document). */
  context: string;
  /** Gold answers: choice indices (multiple choice) or strings (generate-until). */
  target: number[] | string[];
  choices?: string[];
  loglikelihoods?: number[];
  isGreedy?: boolean[];
  pred?: number;
  predNorm?: number;
  /** Raw generation (cut at the first stop sequence). */
  response?: string;
  /** The answer after extraction. */
  extracted?: string;
  metrics: Record<string, number>;
}

/** Results of {@link runTask}. */
export interface TaskResult {
  task: string;
  model: string;
  outputType: 'multiple_choice' | 'generate_until';
  n: number;
  metrics: Record<string, MetricSummary>;
  /** Per-category means when the spec names a `category_field`. */
  categories?: Record<string, { n: number; metrics: Record<string, number> }>;
  samples: SampleRecord[];
  requests: { total: number; unique: number; cached: number; modelCalls: number };
  config: {
    numFewshot: number;
    fewshotSeed: number;
    targetDelimiter: string;
    fewshotDelimiter: string;
    limit: number | null;
    bootstrapIters: number;
    seed: number;
    generationKwargs?: { until: string[]; maxGenToks: number; temperature: number };
  };
}

type Request =
  | { type: 'loglikelihood'; context: string; continuation: string }
  | { type: 'generate_until'; context: string; until: string[]; maxGenToks: number; temperature: number; seed?: number };

interface Instance {
  docId: number;
  doc: Record<string, unknown>;
  context: string;
  choices?: string[];
  gold: number[] | string[];
  requestIndices: number[];
}

function asArray<T>(v: T | T[]): T[] {
  return Array.isArray(v) ? v : [v];
}

function checkInt(name: string, value: number | undefined, min: number): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= min)) {
    throw new EvalError('eval_invalid_option', `runTask: ${name} = ${String(value)}; give an integer >= ${min}.`);
  }
}

/** Mix the few-shot seed and the document index into one 32-bit seed. */
function docSeed(seed: number, docId: number): number {
  let h = (seed ^ 0x9e3779b9) >>> 0;
  h = Math.imul(h ^ docId, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

function choicesOf(task: Task, doc: Record<string, unknown>, docId: number): string[] {
  const spec = task.spec;
  const where = `task "${task.name}" doc ${docId} doc_to_choice`;
  const raw = Array.isArray(spec.doc_to_choice)
    ? spec.doc_to_choice.map((t) => renderText(t, doc, where))
    : renderTemplate(spec.doc_to_choice!, doc, where);
  if (!Array.isArray(raw) || raw.length < 2) {
    throw new EvalError('eval_task_spec', `${where} gave ${JSON.stringify(raw)}; it must yield a list of at least two choices.`);
  }
  return raw.map((c) => (typeof c === 'string' ? c : String(c)));
}

function goldIndices(task: Task, doc: Record<string, unknown>, docId: number, choices: string[]): number[] {
  const where = `task "${task.name}" doc ${docId} doc_to_target`;
  const t = task.spec.doc_to_target;
  const raw = typeof t === 'number' ? t : renderTemplate(t, doc, where);
  return asArray(raw as unknown).map((g) => {
    let index: number;
    if (typeof g === 'number') index = g;
    else if (typeof g === 'string' && choices.includes(g)) index = choices.indexOf(g);
    else if (typeof g === 'string' && /^\d+$/.test(g.trim())) index = Number(g.trim());
    else throw new EvalError('eval_task_spec', `${where} gave ${JSON.stringify(g)}: neither a choice index nor one of the choices ${JSON.stringify(choices)}.`);
    if (!Number.isInteger(index) || index < 0 || index >= choices.length) {
      throw new EvalError('eval_task_spec', `${where} gave index ${index}, outside the ${choices.length} choices.`);
    }
    return index;
  });
}

function targetTexts(task: Task, doc: Record<string, unknown>, docId: number): string[] {
  const where = `task "${task.name}" doc ${docId} doc_to_target`;
  const t = task.spec.doc_to_target;
  const raw = typeof t === 'number' ? t : renderTemplate(t, doc, where);
  return asArray(raw as unknown).map((v) => (typeof v === 'string' ? v : String(v)));
}

/** The text a few-shot example contributes: doc_to_text + delimiter + its (first) answer. */
function fewshotExample(task: Task, doc: Record<string, unknown>, id: string): string {
  const text = renderText(task.spec.doc_to_text, doc, `task "${task.name}" few-shot ${id} doc_to_text`);
  let answer: string;
  if (task.spec.output_type === 'multiple_choice') {
    const choices = choicesOf(task, doc, -1);
    answer = choices[goldIndices(task, doc, -1, choices)[0]!]!;
  } else {
    answer = targetTexts(task, doc, -1)[0]!;
  }
  return text + task.spec.target_delimiter + answer;
}

/** lm-eval's context: description + few-shot examples joined by fewshot_delimiter + the document. */
function buildContext(task: Task, doc: Record<string, unknown>, docId: number): string {
  const spec = task.spec;
  let context = spec.description ?? '';
  if (spec.num_fewshot > 0) {
    const pool = task.fewshotDocs ?? task.docs;
    const candidates: number[] = [];
    for (let i = 0; i < pool.length; i++) if (task.fewshotDocs || i !== docId) candidates.push(i);
    const rng = createRng(docSeed(spec.fewshot_seed, docId));
    for (let i = 0; i < spec.num_fewshot; i++) {
      const j = i + Math.floor(rng.random() * (candidates.length - i));
      [candidates[i], candidates[j]] = [candidates[j]!, candidates[i]!];
    }
    const examples = candidates.slice(0, spec.num_fewshot).map((i) => fewshotExample(task, pool[i]!, String(i)));
    context += examples.join(spec.fewshot_delimiter) + spec.fewshot_delimiter;
  }
  return context + renderText(spec.doc_to_text, doc, `task "${task.name}" doc ${docId} doc_to_text`);
}

function cutAtStop(text: string, until: string[]): string {
  let end = text.length;
  for (const s of until) {
    if (s === '') continue;
    const i = text.indexOf(s);
    if (i >= 0 && i < end) end = i;
  }
  return text.slice(0, end);
}

function nullable(x: number): number | null {
  return Number.isFinite(x) ? x : null;
}

/**
 * Run `task` against `model` and score it: multiple choice by log-likelihood (`acc`, `acc_norm`),
 * generate-until by exact match after regex extraction (`exact_match`).
 * @throws EvalError `eval_logprobs_unsupported` when a multiple-choice task meets a model without
 *   `logprobs`; `eval_invalid_option` for bad options; `eval_task_spec` / `eval_template` for documents
 *   the templates cannot render; the model's own errors (answers so far stay in the cache).
 * @example
 * const results = await runTask(loadTask('moby-mc.yaml'), lm, { cacheDir: '.eval-cache', outputPath: 'out/moby.json' });
 * console.log(results.metrics.acc.value, results.metrics.acc.stderr);
 */
export async function runTask(task: Task, model: LanguageModel, options: RunTaskOptions = {}): Promise<TaskResult> {
  if (!task || typeof task !== 'object' || !Array.isArray(task.docs) || !task.spec) {
    throw new EvalError('eval_invalid_option', 'runTask: task must come from loadTask(spec).');
  }
  if (!model || typeof model.id !== 'string' || typeof model.complete !== 'function') {
    throw new EvalError('eval_invalid_option', 'runTask: model must be a LanguageModel (id, complete, optional logprobs).');
  }
  checkInt('limit', options.limit, 1);
  checkInt('concurrency', options.concurrency, 1);
  checkInt('bootstrapIters', options.bootstrapIters, 0);
  checkInt('seed', options.seed, 0);
  const spec = task.spec;
  const isMc = spec.output_type === 'multiple_choice';
  if (isMc && typeof model.logprobs !== 'function') {
    throw new EvalError(
      'eval_logprobs_unsupported',
      `Task "${task.name}" is multiple_choice and needs log-likelihoods, but model "${model.id}" has no logprobs(); use a LocalLanguageModel or a server that returns echo + logprobs, or a generate_until task.`,
    );
  }
  const bootstrapIters = options.bootstrapIters ?? 1000;
  const seed = options.seed ?? 1234;
  const concurrency = options.concurrency ?? 1;
  const docs = options.limit !== undefined ? task.docs.slice(0, options.limit) : task.docs;
  const gen = spec.generation_kwargs ?? {};
  const generation = {
    until: gen.until ?? [spec.fewshot_delimiter],
    maxGenToks: gen.max_gen_toks ?? 256,
    temperature: gen.temperature ?? 0,
  };

  // Build instances and requests.
  const requests: Request[] = [];
  const instances: Instance[] = docs.map((doc, docId) => {
    const context = buildContext(task, doc, docId);
    if (isMc) {
      const choices = choicesOf(task, doc, docId);
      const gold = goldIndices(task, doc, docId, choices);
      const requestIndices = choices.map((choice) => requests.push({ type: 'loglikelihood', context, continuation: spec.target_delimiter + choice }) - 1);
      return { docId, doc, context, choices, gold, requestIndices };
    }
    const request: Request = { type: 'generate_until', context, ...generation, ...(gen.seed !== undefined ? { seed: gen.seed } : {}) };
    return { docId, doc, context, gold: targetTexts(task, doc, docId), requestIndices: [requests.push(request) - 1] };
  });

  // Deduplicate, then answer through the cache with a pool of workers.
  const keys = requests.map((r) => requestKey(model.id, r));
  const unique = [...new Set(keys)];
  const firstIndex = new Map<string, number>();
  keys.forEach((k, i) => {
    if (!firstIndex.has(k)) firstIndex.set(k, i);
  });
  const cache = options.cacheDir ? new RequestCache(options.cacheDir, model.id, { reuse: options.resume !== false }) : undefined;
  const answers = new Map<string, unknown>();
  let cached = 0;
  let modelCalls = 0;
  let done = 0;
  const bar = createProgress({ total: unique.length, label: `eval ${task.name}`, enabled: options.progress ?? 'auto' });
  const report = (): void => {
    bar.update(done, { cached, calls: modelCalls });
    options.onProgress?.({ done, total: unique.length, cached, modelCalls });
  };
  const pending: string[] = [];
  for (const key of unique) {
    if (cache?.has(key)) {
      answers.set(key, cache.get(key));
      cached++;
      done++;
    } else pending.push(key);
  }
  if (cached > 0) report();

  const ask = async (request: Request): Promise<unknown> => {
    if (request.type === 'loglikelihood') {
      const r = await model.logprobs!(request.context, request.continuation);
      if (!r || typeof r.logprob !== 'number' || Number.isNaN(r.logprob)) {
        throw new EvalError('eval_model_output', `model "${model.id}" returned no numeric logprob for continuation ${JSON.stringify(request.continuation.slice(0, 40))}.`);
      }
      return { logprob: r.logprob, isGreedy: Boolean(r.isGreedy) };
    }
    const c = await model.complete(request.context, {
      maxNewTokens: request.maxGenToks,
      temperature: request.temperature,
      stop: request.until.filter((s) => s !== ''),
      ...(request.seed !== undefined ? { seed: request.seed } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
    if (!c || typeof c.text !== 'string') throw new EvalError('eval_model_output', `model "${model.id}" complete() returned no text.`);
    return { text: c.text };
  };

  let next = 0;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < pending.length) {
      if (options.signal?.aborted) {
        failure ??= options.signal.reason ?? new EvalError('aborted', 'runTask was aborted.');
        return;
      }
      const key = pending[next++]!;
      const request = requests[firstIndex.get(key)!]!;
      try {
        modelCalls++;
        const answer = await ask(request);
        answers.set(key, answer);
        cache?.put(key, request, answer);
        done++;
        report();
      } catch (error) {
        failure ??= error;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, Math.max(1, pending.length)) }, () => worker()));
  bar.stop();
  if (failure !== undefined) throw failure;

  // Score.
  const metricOptions = spec.metric_options ?? {};
  const samples: SampleRecord[] = instances.map((inst) => {
    const record: SampleRecord = { docId: inst.docId, doc: inst.doc, context: inst.context, target: inst.gold, metrics: {} };
    if (spec.category_field !== undefined) {
      const c = inst.doc[spec.category_field];
      record.category = c === undefined || c === null ? '(none)' : String(c);
    }
    if (isMc) {
      const results = inst.requestIndices.map((i) => answers.get(keys[i]!) as { logprob: number; isGreedy: boolean });
      const lls = results.map((r) => r.logprob);
      const m = multipleChoiceMetrics(lls, inst.choices!, inst.gold as number[]);
      Object.assign(record, { choices: inst.choices, loglikelihoods: lls, isGreedy: results.map((r) => r.isGreedy), pred: m.pred, predNorm: m.predNorm });
      record.metrics = { acc: m.acc, acc_norm: m.acc_norm };
    } else {
      const answer = answers.get(keys[inst.requestIndices[0]!]!) as { text: string };
      const response = cutAtStop(answer.text, generation.until);
      const extracted = spec.filter
        ? regexExtract(response, spec.filter.regex_pattern, spec.filter.group_select ?? 0, spec.filter.fallback ?? '[invalid]')
        : response.trim();
      record.response = response;
      record.extracted = extracted;
      record.metrics = { exact_match: exactMatch(extracted, (inst.gold as string[]).map((g) => g.trim()), metricOptions) };
    }
    return record;
  });

  const metricNames = isMc ? ['acc', 'acc_norm'] : ['exact_match'];
  const metrics: Record<string, MetricSummary> = {};
  for (const name of metricNames) {
    const values = samples.map((s) => s.metrics[name]!);
    metrics[name] = {
      value: mean(values),
      stderr: nullable(meanStderr(values)),
      bootstrapStderr: bootstrapIters > 0 ? nullable(bootstrapStderr(values, bootstrapIters, seed)) : null,
    };
  }
  let categories: TaskResult['categories'];
  if (spec.category_field !== undefined) {
    categories = {};
    const groups = new Map<string, SampleRecord[]>();
    for (const s of samples) groups.set(s.category!, [...(groups.get(s.category!) ?? []), s]);
    for (const [cat, group] of [...groups].sort((a, b) => a[0].localeCompare(b[0]))) {
      categories[cat] = { n: group.length, metrics: Object.fromEntries(metricNames.map((m) => [m, mean(group.map((s) => s.metrics[m]!))])) };
    }
  }
  const result: TaskResult = {
    task: task.name,
    model: model.id,
    outputType: spec.output_type,
    n: samples.length,
    metrics,
    ...(categories ? { categories } : {}),
    samples,
    requests: { total: requests.length, unique: unique.length, cached, modelCalls },
    config: {
      numFewshot: spec.num_fewshot,
      fewshotSeed: spec.fewshot_seed,
      targetDelimiter: spec.target_delimiter,
      fewshotDelimiter: spec.fewshot_delimiter,
      limit: options.limit ?? null,
      bootstrapIters,
      seed,
      ...(isMc ? {} : { generationKwargs: generation }),
    },
  };
  if (options.outputPath) {
    try {
      mkdirSync(path.dirname(path.resolve(options.outputPath)), { recursive: true });
      writeFileSync(options.outputPath, `${JSON.stringify(result, null, 2)}\n`);
    } catch (cause) {
      throw new EvalError('eval_output', `runTask: cannot write the results to "${options.outputPath}" (${(cause as Error).message}).`, { cause });
    }
  }
  return result;
}
