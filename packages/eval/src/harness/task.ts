/**
 * Task definitions: a small YAML/JSON spec in lm-evaluation-harness's words (`output_type`,
 * `doc_to_text`, `doc_to_choice`, `doc_to_target`, `target_delimiter`, `fewshot_delimiter`,
 * `num_fewshot`, `generation_kwargs.until`, ...) plus documents in JSONL.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { EvalError } from '../errors.js';

const generationKwargs = z
  .object({
    until: z.array(z.string()).optional(),
    max_gen_toks: z.number().int().positive().optional(),
    temperature: z.number().min(0).optional(),
    seed: z.number().int().optional(),
  })
  .strict();

const filterSpec = z
  .object({
    /** Regex whose first capture group (or whole match) is the answer (lm-eval's `regex` filter). */
    regex_pattern: z.string(),
    /** Which match to take: 0 = first, -1 = last (lm-eval's `group_select`). Default 0. */
    group_select: z.number().int().optional(),
    /** Answer when nothing matches. Default "[invalid]". */
    fallback: z.string().optional(),
  })
  .strict();

const metricOptions = z
  .object({
    ignore_case: z.boolean().optional(),
    ignore_punctuation: z.boolean().optional(),
    regexes_to_ignore: z.array(z.string()).optional(),
  })
  .strict();

/** The task spec schema (YAML or JSON, lm-eval field names). */
export const taskSpecSchema = z
  .object({
    task: z.string().min(1),
    output_type: z.enum(['multiple_choice', 'generate_until']),
    /** JSONL with the evaluation documents, relative to the spec file. */
    dataset_path: z.string().optional(),
    /** Inline documents (instead of `dataset_path`). */
    docs: z.array(z.record(z.string(), z.unknown())).optional(),
    /** JSONL of the few-shot split, relative to the spec file. */
    fewshot_path: z.string().optional(),
    fewshot_docs: z.array(z.record(z.string(), z.unknown())).optional(),
    description: z.string().optional(),
    doc_to_text: z.string(),
    doc_to_target: z.union([z.string(), z.number().int()]),
    doc_to_choice: z.union([z.string(), z.array(z.string())]).optional(),
    target_delimiter: z.string().optional(),
    fewshot_delimiter: z.string().optional(),
    num_fewshot: z.number().int().min(0).optional(),
    fewshot_seed: z.number().int().optional(),
    generation_kwargs: generationKwargs.optional(),
    filter: filterSpec.optional(),
    metric_options: metricOptions.optional(),
    /** Document field used for the per-category breakdown. */
    category_field: z.string().optional(),
  })
  .strict();

/** A task spec as written in YAML/JSON. */
export type TaskSpec = z.infer<typeof taskSpecSchema>;

/** A loaded task: its spec with defaults filled in, and its documents. */
export interface Task {
  name: string;
  spec: TaskSpec & {
    target_delimiter: string;
    fewshot_delimiter: string;
    num_fewshot: number;
    fewshot_seed: number;
  };
  docs: Array<Record<string, unknown>>;
  /** Few-shot split; when absent few-shot examples come from `docs` (never the current one). */
  fewshotDocs?: Array<Record<string, unknown>>;
}

/** Options of {@link loadTask}. */
export interface LoadTaskOptions {
  /** Folder that relative `dataset_path` / `fewshot_path` are resolved against (default: the spec file's folder, or cwd). */
  baseDir?: string;
}

/**
 * Parse JSONL documents (one JSON object per line; blank lines skipped).
 * @throws EvalError `eval_jsonl` naming the source and line.
 */
export function parseJsonlDocs(text: string, source: string): Array<Record<string, unknown>> {
  const docs: Array<Record<string, unknown>> = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new EvalError('eval_jsonl', `${source} line ${i + 1} is not valid JSON (${(cause as Error).message}); fix or remove that line.`, { cause });
    }
    if (!value || typeof value !== 'object' || Array.isArray(value)) {
      throw new EvalError('eval_jsonl', `${source} line ${i + 1} is not a JSON object; each line must be one document {...}.`);
    }
    docs.push(value as Record<string, unknown>);
  });
  return docs;
}

function readDocs(file: string, baseDir: string, what: string): Array<Record<string, unknown>> {
  const full = path.resolve(baseDir, file);
  let text: string;
  try {
    text = readFileSync(full, 'utf8');
  } catch (cause) {
    throw new EvalError('eval_task_spec', `${what} "${full}" cannot be read (${(cause as Error).message}); check the path (relative to the spec file).`, { cause });
  }
  return parseJsonlDocs(text, full);
}

/**
 * Load a task from a YAML/JSON spec file, or from a spec object.
 * @throws EvalError `eval_task_spec` for an unreadable or invalid spec (naming the field), `eval_jsonl` for bad documents.
 * @example
 * const task = loadTask('tasks/moby-mc.yaml');
 * const results = await runTask(task, model, { limit: 50, cacheDir: '.eval-cache' });
 */
export function loadTask(source: string | TaskSpec, options: LoadTaskOptions = {}): Task {
  let raw: unknown = source;
  let baseDir = options.baseDir ?? process.cwd();
  let where = 'task spec';
  if (typeof source === 'string') {
    const file = path.resolve(source);
    where = file;
    let text: string;
    try {
      text = readFileSync(file, 'utf8');
    } catch (cause) {
      throw new EvalError('eval_task_spec', `Task spec "${file}" cannot be read (${(cause as Error).message}).`, { cause });
    }
    try {
      raw = file.endsWith('.json') ? JSON.parse(text) : YAML.parse(text);
    } catch (cause) {
      throw new EvalError('eval_task_spec', `Task spec "${file}" is not valid ${file.endsWith('.json') ? 'JSON' : 'YAML'}: ${(cause as Error).message}`, { cause });
    }
    baseDir = options.baseDir ?? path.dirname(file);
  }
  const parsed = taskSpecSchema.safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ');
    throw new EvalError('eval_task_spec', `${where} is invalid: ${issues}.`);
  }
  const spec = parsed.data;
  if (spec.output_type === 'multiple_choice' && spec.doc_to_choice === undefined) {
    throw new EvalError('eval_task_spec', `${where}: output_type multiple_choice needs doc_to_choice (a template such as "{{choices}}" or a list of choices).`);
  }
  if (spec.filter) {
    try {
      new RegExp(spec.filter.regex_pattern);
    } catch (cause) {
      throw new EvalError('eval_task_spec', `${where}: filter.regex_pattern is not a valid regular expression: ${(cause as Error).message}`, { cause });
    }
  }
  let docs: Array<Record<string, unknown>>;
  if (spec.docs && spec.dataset_path) throw new EvalError('eval_task_spec', `${where}: give either docs or dataset_path, not both.`);
  if (spec.docs) docs = spec.docs;
  else if (spec.dataset_path) docs = readDocs(spec.dataset_path, baseDir, 'dataset_path');
  else throw new EvalError('eval_task_spec', `${where}: no documents; set dataset_path (a JSONL file) or docs.`);
  if (docs.length === 0) throw new EvalError('eval_task_spec', `${where}: the dataset has no documents.`);
  let fewshotDocs: Array<Record<string, unknown>> | undefined;
  if (spec.fewshot_docs) fewshotDocs = spec.fewshot_docs;
  else if (spec.fewshot_path) fewshotDocs = readDocs(spec.fewshot_path, baseDir, 'fewshot_path');
  const numFewshot = spec.num_fewshot ?? 0;
  const pool = fewshotDocs ? fewshotDocs.length : docs.length - 1;
  if (numFewshot > pool) {
    throw new EvalError('eval_task_spec', `${where}: num_fewshot = ${numFewshot} but only ${pool} few-shot documents are available; lower num_fewshot or add a fewshot split.`);
  }
  return {
    name: spec.task,
    spec: {
      ...spec,
      target_delimiter: spec.target_delimiter ?? ' ',
      fewshot_delimiter: spec.fewshot_delimiter ?? '\n\n',
      num_fewshot: numFewshot,
      fewshot_seed: spec.fewshot_seed ?? 1234,
    },
    docs,
    ...(fewshotDocs ? { fewshotDocs } : {}),
  };
}
