/**
 * RAG metrics following Ragas' definitions (explodinggradients/ragas, metrics/_faithfulness.py,
 * _answer_relevance.py, _context_precision.py, _context_recall.py): LLM-based through any
 * `LanguageModel` with robust JSON parsing, plus non-LLM variants (string and embedding similarity).
 */
import type { Embedder, LanguageModel } from '@llmkit/core';
import { EvalError } from '../errors.js';
import { parseJsonLoose } from './json.js';

/** Options of the LLM-based metrics. */
export interface RagMetricOptions {
  /** Extra attempts when the LLM output holds no usable JSON. Default 1. */
  maxRetries?: number;
  /** Sampling temperature of the LLM calls. Default 0. */
  temperature?: number;
  /** New-token limit per call. Default 1024. */
  maxNewTokens?: number;
}

/** The sample a RAG metric looks at (Ragas' SingleTurnSample fields, camelCased). */
export interface RagSample {
  question: string;
  answer?: string;
  /** Retrieved contexts, in rank order. */
  contexts?: string[];
  /** Reference (ground-truth) answer. */
  reference?: string;
}

function need(sample: RagSample, fields: Array<keyof RagSample>, metric: string): void {
  if (!sample || typeof sample !== 'object') throw new EvalError('eval_invalid_option', `${metric}: sample must be an object { question, answer, contexts, reference }.`);
  for (const f of fields) {
    const v = sample[f];
    if (f === 'contexts' ? !Array.isArray(v) || v.some((c) => typeof c !== 'string') : typeof v !== 'string') {
      throw new EvalError('eval_invalid_option', `${metric}: sample.${f} must be ${f === 'contexts' ? 'an array of strings' : 'a string'}.`);
    }
  }
}

/** Ask the LLM and parse its JSON; `check` returns the typed value or undefined when the shape is wrong. */
async function askJson<T>(llm: LanguageModel, prompt: string, check: (v: unknown) => T | undefined, options: RagMetricOptions, metric: string, seed?: number): Promise<T> {
  const retries = options.maxRetries ?? 1;
  let last = '';
  for (let attempt = 0; attempt <= retries; attempt++) {
    const { text } = await llm.complete([{ role: 'user', content: prompt }], {
      temperature: options.temperature ?? 0,
      maxNewTokens: options.maxNewTokens ?? 1024,
      ...(seed !== undefined ? { seed: seed + attempt } : {}),
    });
    last = text;
    const value = check(parseJsonLoose(text));
    if (value !== undefined) return value;
  }
  throw new EvalError('eval_llm_json', `${metric}: the LLM output holds no JSON of the expected shape after ${retries + 1} attempts; last output: ${JSON.stringify(last.slice(0, 300))}. Use a stronger model or raise maxRetries.`);
}

function binary(v: unknown): 0 | 1 | undefined {
  if (v === 1 || v === '1' || v === true || (typeof v === 'string' && /^(yes|true)$/i.test(v.trim()))) return 1;
  if (v === 0 || v === '0' || v === false || (typeof v === 'string' && /^(no|false)$/i.test(v.trim()))) return 0;
  return undefined;
}

function field(value: unknown, name: string): unknown {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>)[name] : undefined;
}

/** The list under `key`, or the value itself when the model answered with a bare list. */
function list(value: unknown, key: string): unknown[] | undefined {
  if (Array.isArray(value)) return value;
  const v = field(value, key);
  return Array.isArray(v) ? v : undefined;
}

// ---------------------------------------------------------------- arithmetic (Ragas' exact formulas)

/**
 * Ragas' context precision from relevance verdicts in rank order:
 * `sum_k(precision@k * v_k) / (sum(v) + 1e-10)`.
 * @example
 * averagePrecision([1, 0, 1]); // (1/1 + 2/3) / 2 = 0.8333...
 */
export function averagePrecision(verdicts: readonly number[]): number {
  let hits = 0;
  let numerator = 0;
  verdicts.forEach((v, i) => {
    hits += v;
    numerator += (hits / (i + 1)) * v;
  });
  return numerator / (hits + 1e-10);
}

/** Cosine similarity of two vectors (0 when either is all zeros). */
export function cosineSimilarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  if (a.length !== b.length) throw new EvalError('eval_invalid_option', `cosineSimilarity: vectors of length ${a.length} and ${b.length}; embed with one embedder.`);
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    dot += a[i]! * b[i]!;
    na += a[i]! * a[i]!;
    nb += b[i]! * b[i]!;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}

/** Ragas' answer relevancy: mean cosine(question, generated questions), 0 when every generated question is noncommittal. */
export function answerRelevancyScore(questionVector: ArrayLike<number>, generatedVectors: ReadonlyArray<ArrayLike<number>>, noncommittal: readonly number[]): number {
  if (generatedVectors.length === 0) return Number.NaN;
  let sum = 0;
  for (const v of generatedVectors) sum += cosineSimilarity(questionVector, v);
  const allNoncommittal = noncommittal.length > 0 && noncommittal.every((x) => x === 1);
  return (sum / generatedVectors.length) * (allNoncommittal ? 0 : 1);
}

// ---------------------------------------------------------------- LLM-based metrics

/** Result of {@link faithfulness}. */
export interface FaithfulnessResult {
  /** Faithful statements / statements (NaN when the answer yields no statement, as Ragas). */
  score: number;
  statements: Array<{ statement: string; verdict: 0 | 1; reason?: string }>;
}

/**
 * Ragas faithfulness: the LLM breaks the answer into standalone statements, then judges each against
 * the retrieved contexts; the score is the fraction supported.
 * @throws EvalError `eval_invalid_option` for a bad sample, `eval_llm_json` when the LLM never returns the expected JSON.
 * @example
 * const { score } = await faithfulness(llm, { question, answer, contexts });
 */
export async function faithfulness(llm: LanguageModel, sample: RagSample, options: RagMetricOptions = {}): Promise<FaithfulnessResult> {
  need(sample, ['question', 'answer', 'contexts'], 'faithfulness');
  const statements = await askJson(
    llm,
    'Given a question and an answer, analyze the complexity of each sentence in the answer and break down each sentence into one or more fully understandable statements. Ensure that no pronouns are used in any statement. ' +
      'Respond only with JSON of the form {"statements": ["...", "..."]}.\n\n' +
      `question: ${sample.question}\nanswer: ${sample.answer}`,
    (v) => {
      const l = list(v, 'statements');
      return l && l.every((s) => typeof s === 'string') ? (l as string[]) : undefined;
    },
    options,
    'faithfulness (statements)',
  );
  if (statements.length === 0) return { score: Number.NaN, statements: [] };
  const verdicts = await askJson(
    llm,
    'Your task is to judge the faithfulness of a series of statements based on a given context. For each statement you must return verdict as 1 if the statement can be directly inferred based on the context or 0 if the statement can not be directly inferred based on the context. ' +
      'Respond only with JSON of the form {"statements": [{"statement": "...", "reason": "...", "verdict": 0 or 1}]}, one entry per statement, in order.\n\n' +
      `context: ${sample.contexts!.join('\n')}\nstatements: ${JSON.stringify(statements)}`,
    (v) => {
      const l = list(v, 'statements');
      if (!l || l.length !== statements.length) return undefined;
      const out = l.map((e) => ({ verdict: binary(field(e, 'verdict')), reason: field(e, 'reason') }));
      return out.every((e) => e.verdict !== undefined) ? out : undefined;
    },
    options,
    'faithfulness (verdicts)',
  );
  const records = statements.map((statement, i) => ({
    statement,
    verdict: verdicts[i]!.verdict!,
    ...(typeof verdicts[i]!.reason === 'string' ? { reason: verdicts[i]!.reason as string } : {}),
  }));
  return { score: records.reduce((s, r) => s + r.verdict, 0) / records.length, statements: records };
}

/** Result of {@link answerRelevancy}. */
export interface AnswerRelevancyResult {
  score: number;
  questions: Array<{ question: string; noncommittal: 0 | 1; cosine: number }>;
}

/**
 * Ragas answer relevancy: the LLM writes `strictness` questions the answer would answer (and flags a
 * noncommittal answer); the score is the mean cosine similarity of their embeddings to the question's,
 * or 0 when every generation calls the answer noncommittal.
 * @throws EvalError `eval_invalid_option` for a bad sample, `eval_llm_json` for unusable LLM output.
 * @example
 * const { score } = await answerRelevancy(llm, embedder, { question, answer }, { strictness: 3 });
 */
export async function answerRelevancy(llm: LanguageModel, embedder: Embedder, sample: RagSample, options: RagMetricOptions & { strictness?: number } = {}): Promise<AnswerRelevancyResult> {
  need(sample, ['question', 'answer'], 'answerRelevancy');
  if (!embedder || typeof embedder.embed !== 'function') throw new EvalError('eval_invalid_option', 'answerRelevancy: embedder must be an Embedder (embed(texts)).');
  const strictness = options.strictness ?? 3;
  if (!Number.isInteger(strictness) || strictness < 1) throw new EvalError('eval_invalid_option', `answerRelevancy: strictness = ${strictness}; give an integer >= 1 (Ragas uses 3).`);
  const prompt =
    'Generate a question for the given answer and identify if the answer is noncommittal. Give noncommittal as 1 if the answer is noncommittal and 0 if the answer is committal. A noncommittal answer is one that is evasive, vague, or ambiguous. For example, "I don\'t know" or "I\'m not sure" are noncommittal answers. ' +
    'Respond only with JSON of the form {"question": "...", "noncommittal": 0 or 1}.\n\n' +
    `answer: ${sample.answer}`;
  const generated: Array<{ question: string; noncommittal: 0 | 1 }> = [];
  for (let i = 0; i < strictness; i++) {
    generated.push(
      await askJson(
        llm,
        prompt,
        (v) => {
          const q = field(v, 'question');
          const n = binary(field(v, 'noncommittal'));
          return typeof q === 'string' && n !== undefined ? { question: q, noncommittal: n } : undefined;
        },
        options,
        'answerRelevancy',
        i,
      ),
    );
  }
  const vectors = await embedder.embed([sample.question, ...generated.map((g) => g.question)]);
  const [q, ...rest] = vectors;
  const score = answerRelevancyScore(q!, rest, generated.map((g) => g.noncommittal));
  return { score, questions: generated.map((g, i) => ({ ...g, cosine: cosineSimilarity(q!, rest[i]!) })) };
}

/** Result of {@link contextPrecision}. */
export interface ContextPrecisionResult {
  score: number;
  /** Usefulness verdict of each context, in rank order. */
  verdicts: Array<0 | 1>;
}

/**
 * Ragas context precision (with reference): the LLM judges each retrieved context useful (1) or not
 * (0) for reaching the reference answer; the score is the mean precision@k over the useful ranks.
 * @throws EvalError `eval_invalid_option` for a bad sample, `eval_llm_json` for unusable LLM output.
 * @example
 * const { score, verdicts } = await contextPrecision(llm, { question, contexts, reference });
 */
export async function contextPrecision(llm: LanguageModel, sample: RagSample, options: RagMetricOptions = {}): Promise<ContextPrecisionResult> {
  need(sample, ['question', 'contexts', 'reference'], 'contextPrecision');
  const verdicts: Array<0 | 1> = [];
  for (const context of sample.contexts!) {
    verdicts.push(
      await askJson(
        llm,
        'Given question, answer and context verify if the context was useful in arriving at the given answer. Give verdict as "1" if useful and "0" if not. ' +
          'Respond only with JSON of the form {"reason": "...", "verdict": 0 or 1}.\n\n' +
          `question: ${sample.question}\ncontext: ${context}\nanswer: ${sample.reference}`,
        (v) => binary(field(v, 'verdict')),
        options,
        'contextPrecision',
      ),
    );
  }
  return { score: averagePrecision(verdicts), verdicts };
}

/** Result of {@link contextRecall}. */
export interface ContextRecallResult {
  /** Attributed reference sentences / sentences (NaN when there are none). */
  score: number;
  classifications: Array<{ statement: string; attributed: 0 | 1 }>;
}

/**
 * Ragas context recall: the LLM classifies each sentence of the reference answer as attributable to
 * the retrieved contexts or not; the score is the attributed fraction.
 * @throws EvalError `eval_invalid_option` for a bad sample, `eval_llm_json` for unusable LLM output.
 * @example
 * const { score } = await contextRecall(llm, { question, contexts, reference });
 */
export async function contextRecall(llm: LanguageModel, sample: RagSample, options: RagMetricOptions = {}): Promise<ContextRecallResult> {
  need(sample, ['question', 'contexts', 'reference'], 'contextRecall');
  const classifications = await askJson(
    llm,
    'Given a context, and an answer, analyze each sentence in the answer and classify if the sentence can be attributed to the given context or not. Use only "Yes" (1) or "No" (0) as a binary classification. ' +
      'Respond only with JSON of the form {"classifications": [{"statement": "...", "reason": "...", "attributed": 0 or 1}]}.\n\n' +
      `question: ${sample.question}\ncontext: ${sample.contexts!.join('\n')}\nanswer: ${sample.reference}`,
    (v) => {
      const l = list(v, 'classifications');
      if (!l) return undefined;
      const out = l.map((e) => ({ statement: String(field(e, 'statement') ?? ''), attributed: binary(field(e, 'attributed')) }));
      return out.every((e) => e.attributed !== undefined) ? (out as Array<{ statement: string; attributed: 0 | 1 }>) : undefined;
    },
    options,
    'contextRecall',
  );
  const score = classifications.length === 0 ? Number.NaN : classifications.reduce((s, c) => s + c.attributed, 0) / classifications.length;
  return { score, classifications };
}
