/**
 * Rejection sampling into a preference dataset: n sampled completions per prompt, scored by a
 * reward function or a reward model, best vs worst emitted as a (prompt, chosen, rejected) pair.
 */
import { createProgress, createRng, type Rng } from '@llmkit/core';
import { DpoError } from './errors.js';
import type { PreferenceExample } from './data.js';

/** Logits of the next token for each sequence (@llmkit/model `DecoderLM.stepFn()`, a @llmkit/sampling StepFn). */
export type BatchStepFn = ((sequences: number[][]) => Promise<Float32Array[]>) & { dispose?(): void };

/** A model that can make a step function (DecoderLM). */
export interface SteppableModel {
  stepFn(options?: { useCache?: boolean }): BatchStepFn;
}

/** Sampling settings of {@link sampleCompletions}. */
export interface CompletionSamplingOptions {
  /** Completions per prompt. Default 4. */
  n?: number;
  maxNewTokens: number;
  /** Softmax temperature (> 0). Default 1. */
  temperature?: number;
  /** Keep only the k most likely tokens (0 = off). Default 0. */
  topK?: number;
  /** Generation stops for a sequence after it emits one of these (the token is kept). */
  stopTokenIds?: number[];
  /** Seed of the sampling RNG. Default 0. */
  seed?: number;
  /** Sequences per batched step. Default 64. */
  batchSize?: number;
  progress?: boolean | 'auto';
}

/** One scored completion. */
export interface ScoredSample {
  promptIndex: number;
  completionIds: number[];
  completion: string;
  score: number;
}

function sampleToken(logits: Float32Array, temperature: number, topK: number, rng: Rng): number {
  const v = logits.length;
  let threshold = -Infinity;
  if (topK > 0 && topK < v) threshold = Array.from(logits).sort((a, b) => b - a)[topK - 1];
  let max = -Infinity;
  for (let i = 0; i < v; i++) if (logits[i] >= threshold && logits[i] > max) max = logits[i];
  const weights = new Float64Array(v);
  for (let i = 0; i < v; i++) weights[i] = logits[i] >= threshold ? Math.exp((logits[i] - max) / temperature) : 0;
  return rng.categorical(weights, 1)[0];
}

/**
 * Sample `n` completions for each prompt, batching every sequence of equal prompt length through one
 * step function (the model's KV cache serves the whole batch).
 * @returns per prompt, its n completions (token ids, without the prompt)
 * @throws {DpoError} `dpo_invalid_argument` for empty prompts or bad settings.
 * @example
 * const completions = await sampleCompletions(model, prompts, { n: 4, maxNewTokens: 16, temperature: 1, seed: 0 });
 */
export async function sampleCompletions(model: SteppableModel, prompts: number[][], options: CompletionSamplingOptions): Promise<number[][][]> {
  const n = options.n ?? 4;
  const temperature = options.temperature ?? 1;
  const topK = options.topK ?? 0;
  const batchSize = options.batchSize ?? 64;
  if (!model || typeof model.stepFn !== 'function') throw new DpoError('dpo_invalid_argument', 'sampleCompletions: model must have stepFn() (a DecoderLM).');
  if (!Array.isArray(prompts) || prompts.length === 0 || prompts.some((p) => !Array.isArray(p) || p.length === 0)) {
    throw new DpoError('dpo_invalid_argument', 'sampleCompletions: prompts must be a non-empty array of non-empty token id arrays.');
  }
  if (!(Number.isInteger(n) && n > 0)) throw new DpoError('dpo_invalid_argument', `sampleCompletions: n must be a positive integer, got ${n}.`);
  if (!(Number.isInteger(options.maxNewTokens) && options.maxNewTokens > 0)) {
    throw new DpoError('dpo_invalid_argument', `sampleCompletions: maxNewTokens must be a positive integer, got ${options.maxNewTokens}.`);
  }
  if (!(temperature > 0 && Number.isFinite(temperature))) throw new DpoError('dpo_invalid_argument', `sampleCompletions: temperature must be > 0, got ${temperature}.`);
  const rng = createRng(options.seed ?? 0);
  const stops = new Set(options.stopTokenIds ?? []);
  const out: number[][][] = prompts.map(() => Array.from({ length: n }, () => [] as number[]));
  // every (prompt, sample) job, grouped by prompt length so a batch shares one length
  const jobs = prompts.flatMap((p, pi) => Array.from({ length: n }, (_, k) => ({ pi, k, len: p.length })));
  jobs.sort((a, b) => a.len - b.len || a.pi - b.pi);
  const progress = createProgress({ total: jobs.length, label: 'sampling', enabled: options.progress ?? 'auto' });
  let done = 0;
  try {
    for (let start = 0; start < jobs.length; ) {
      const len = jobs[start].len;
      let end = start;
      while (end < jobs.length && end - start < batchSize && jobs[end].len === len) end++;
      const batch = jobs.slice(start, end);
      const sequences = batch.map((j) => [...prompts[j.pi]]);
      const finished = batch.map(() => false);
      const step = model.stepFn();
      try {
        for (let t = 0; t < options.maxNewTokens && finished.some((f) => !f); t++) {
          const logits = await step(sequences);
          batch.forEach((j, b) => {
            // finished sequences keep stepping (equal lengths share the cache) but their tokens are dropped
            const token = sampleToken(logits[b], temperature, topK, rng);
            sequences[b].push(token);
            if (!finished[b]) {
              out[j.pi][j.k].push(token);
              if (stops.has(token)) finished[b] = true;
            }
          });
        }
      } finally {
        step.dispose?.();
      }
      done += batch.length;
      progress.update(done);
      start = end;
    }
  } finally {
    progress.stop();
  }
  return out;
}

/** Options of {@link rejectionSample}. */
export interface RejectionSampleOptions extends CompletionSamplingOptions {
  /** The policy to sample from (DecoderLM). */
  model: SteppableModel;
  /** Prompts as text (encoded with `tokenizer`). */
  prompts: string[];
  tokenizer: { encode(text: string): ArrayLike<number>; decode(ids: number[]): string };
  /**
   * Score of a completion (higher is better): a reward function, or `(prompt, completion) =>
   * rewardModel.score(...)`. May be async.
   */
  reward: (prompt: string, completion: string) => number | Promise<number>;
  /** Emit a pair only when best − worst >= this. Default: any strict difference (> 0). */
  minScoreGap?: number;
}

/** Result of {@link rejectionSample}. */
export interface RejectionSampleResult {
  /** Best (chosen) vs worst (rejected) completion per prompt whose scores differ enough. */
  pairs: Array<PreferenceExample & { prompt: string; chosen: string; rejected: string; chosenScore: number; rejectedScore: number }>;
  /** Every scored completion. */
  samples: ScoredSample[];
  /** The completion with the highest score per prompt (best-of-n). */
  best: ScoredSample[];
}

/**
 * Rejection sampling: for each prompt sample n completions, score each with `reward`, and emit the
 * best and the worst as a preference pair (skipping prompts whose scores tie).
 * @throws {DpoError} `dpo_invalid_argument` for bad settings or a non-finite reward.
 * @example
 * const { pairs } = await rejectionSample({ model, tokenizer, prompts, n: 4, maxNewTokens: 16,
 *   reward: (_p, c) => -(c.match(/e/g)?.length ?? 0) });
 */
export async function rejectionSample(options: RejectionSampleOptions): Promise<RejectionSampleResult> {
  if (!options || typeof options.reward !== 'function') throw new DpoError('dpo_invalid_argument', 'rejectionSample: options.reward must be a function (prompt, completion) => score.');
  if (!options.tokenizer || typeof options.tokenizer.encode !== 'function' || typeof options.tokenizer.decode !== 'function') {
    throw new DpoError('dpo_invalid_argument', 'rejectionSample: options.tokenizer needs encode(text) and decode(ids).');
  }
  if (!Array.isArray(options.prompts) || options.prompts.some((p) => typeof p !== 'string')) {
    throw new DpoError('dpo_invalid_argument', 'rejectionSample: options.prompts must be an array of strings.');
  }
  const n = options.n ?? 4;
  if (n < 2) throw new DpoError('dpo_invalid_argument', `rejectionSample: n must be at least 2 to form a pair, got ${n}.`);
  const promptIds = options.prompts.map((p) => Array.from(options.tokenizer.encode(p)));
  const completions = await sampleCompletions(options.model, promptIds, options);
  const samples: ScoredSample[] = [];
  const pairs: RejectionSampleResult['pairs'] = [];
  const best: ScoredSample[] = [];
  const gap = options.minScoreGap ?? 0;
  for (let pi = 0; pi < options.prompts.length; pi++) {
    const scored: ScoredSample[] = [];
    for (const ids of completions[pi]) {
      const completion = options.tokenizer.decode(ids);
      const score = await options.reward(options.prompts[pi], completion);
      if (typeof score !== 'number' || !Number.isFinite(score)) {
        throw new DpoError('dpo_invalid_argument', `rejectionSample: reward returned ${score} for prompt ${pi}; it must return a finite number.`);
      }
      scored.push({ promptIndex: pi, completionIds: ids, completion, score });
    }
    samples.push(...scored);
    let hi = scored[0];
    let lo = scored[0];
    for (const s of scored) {
      if (s.score > hi.score) hi = s;
      if (s.score < lo.score) lo = s;
    }
    best.push(hi);
    const diff = hi.score - lo.score;
    if (diff > 0 && diff >= gap) {
      pairs.push({ prompt: options.prompts[pi], chosen: hi.completion, rejected: lo.completion, chosenScore: hi.score, rejectedScore: lo.score });
    }
  }
  return { pairs, samples, best };
}
