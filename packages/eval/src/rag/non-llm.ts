/**
 * Non-LLM RAG metrics (Ragas NonLLMContextPrecisionWithReference, NonLLMContextRecall,
 * NonLLMStringSimilarity, SemanticSimilarity): relevance from string or embedding similarity.
 */
import type { Embedder } from '@llmkit/core';
import { EvalError } from '../errors.js';
import { averagePrecision, cosineSimilarity } from './metrics.js';

/** Levenshtein distance over code points (two-row dynamic programming). */
export function levenshtein(a: string, b: string): number {
  const x = [...a];
  const y = [...b];
  let prev = Array.from({ length: y.length + 1 }, (_, j) => j);
  for (let i = 1; i <= x.length; i++) {
    const cur = [i];
    for (let j = 1; j <= y.length; j++) {
      cur[j] = Math.min(prev[j]! + 1, cur[j - 1]! + 1, prev[j - 1]! + (x[i - 1] === y[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[y.length]!;
}

/**
 * String similarity in [0, 1]: `levenshtein` = 1 - distance / max(length) (rapidfuzz's normalized
 * similarity, Ragas' default); `jaccard` = |words in both| / |words in either| (lowercased).
 * @example
 * stringSimilarity('kitten', 'sitting'); // 1 - 3/7
 */
export function stringSimilarity(a: string, b: string, measure: 'levenshtein' | 'jaccard' = 'levenshtein'): number {
  if (typeof a !== 'string' || typeof b !== 'string') throw new EvalError('eval_invalid_option', 'stringSimilarity(a, b): both must be strings.');
  if (measure === 'jaccard') {
    const wa = new Set(a.toLowerCase().match(/\w+/g) ?? []);
    const wb = new Set(b.toLowerCase().match(/\w+/g) ?? []);
    const union = new Set([...wa, ...wb]);
    if (union.size === 0) return 1;
    let both = 0;
    for (const w of wa) if (wb.has(w)) both++;
    return both / union.size;
  }
  if (measure !== 'levenshtein') throw new EvalError('eval_invalid_option', `stringSimilarity: measure "${String(measure)}"; use "levenshtein" or "jaccard".`);
  const longest = Math.max([...a].length, [...b].length);
  return longest === 0 ? 1 : 1 - levenshtein(a, b) / longest;
}

/** A similarity of two texts in [0, 1]; may be async (embeddings). */
export type TextSimilarity = (a: string, b: string) => number | Promise<number>;

/** Options of the non-LLM context metrics. */
export interface NonLlmContextOptions {
  /** A context counts as relevant when its similarity reaches this. Default 0.5 (Ragas). */
  threshold?: number;
  /** Similarity function. Default Levenshtein string similarity. */
  similarity?: TextSimilarity;
}

function checkLists(retrieved: unknown, references: unknown, name: string): void {
  if (!Array.isArray(retrieved) || !Array.isArray(references) || ![...retrieved, ...references].every((s) => typeof s === 'string')) {
    throw new EvalError('eval_invalid_option', `${name}(retrieved, references): both must be arrays of strings.`);
  }
  if (references.length === 0) throw new EvalError('eval_invalid_option', `${name}: no reference contexts; give at least one.`);
}

/**
 * Context precision without an LLM: a retrieved context is relevant when its best similarity to a
 * reference context reaches the threshold; score as Ragas' average precision.
 * @throws EvalError `eval_invalid_option` for bad lists.
 * @example
 * await nonLlmContextPrecision(retrievedChunks, goldChunks); // { score, verdicts }
 */
export async function nonLlmContextPrecision(retrieved: string[], references: string[], options: NonLlmContextOptions = {}): Promise<{ score: number; verdicts: Array<0 | 1> }> {
  checkLists(retrieved, references, 'nonLlmContextPrecision');
  const sim = options.similarity ?? ((a: string, b: string) => stringSimilarity(a, b));
  const threshold = options.threshold ?? 0.5;
  const verdicts: Array<0 | 1> = [];
  for (const r of retrieved) {
    let best = 0;
    for (const ref of references) best = Math.max(best, await sim(r, ref));
    verdicts.push(best >= threshold ? 1 : 0);
  }
  return { score: averagePrecision(verdicts), verdicts };
}

/**
 * Context recall without an LLM: the fraction of reference contexts whose best similarity to a
 * retrieved context reaches the threshold.
 * @throws EvalError `eval_invalid_option` for bad lists.
 */
export async function nonLlmContextRecall(retrieved: string[], references: string[], options: NonLlmContextOptions = {}): Promise<{ score: number; found: Array<0 | 1> }> {
  checkLists(retrieved, references, 'nonLlmContextRecall');
  const sim = options.similarity ?? ((a: string, b: string) => stringSimilarity(a, b));
  const threshold = options.threshold ?? 0.5;
  const found: Array<0 | 1> = [];
  for (const ref of references) {
    let best = 0;
    for (const r of retrieved) best = Math.max(best, await sim(r, ref));
    found.push(best >= threshold ? 1 : 0);
  }
  return { score: found.reduce<number>((s, v) => s + v, 0) / found.length, found };
}

/**
 * Ragas semantic similarity: cosine of the answer's and the reference's embeddings.
 * @example
 * await semanticSimilarity(embedder, 'Paris is the capital.', 'The capital is Paris.');
 */
export async function semanticSimilarity(embedder: Embedder, answer: string, reference: string): Promise<number> {
  if (!embedder || typeof embedder.embed !== 'function') throw new EvalError('eval_invalid_option', 'semanticSimilarity: embedder must be an Embedder.');
  if (typeof answer !== 'string' || typeof reference !== 'string') throw new EvalError('eval_invalid_option', 'semanticSimilarity(embedder, answer, reference): texts must be strings.');
  const [a, b] = await embedder.embed([answer, reference]);
  return cosineSimilarity(a!, b!);
}
