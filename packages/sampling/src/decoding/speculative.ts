/**
 * Speculative decoding (Leviathan et al. 2023, "Fast Inference from
 * Transformers via Speculative Decoding"; Chen et al. 2023, "Accelerating
 * Large Language Model Decoding with Speculative Sampling").
 *
 * Each round: the draft proposes up to `k` tokens x_i ~ q_i (its processed
 * distribution); the target scores prompt + generated + drafts in ONE call of
 * a {@link MultiStepFn}, giving p_0..p_k; token i is accepted with probability
 * min(1, p_i(x_i) / q_i(x_i)); at the first rejection a token is drawn from
 * norm(max(0, p_i - q_i)) and the round ends; if all are accepted a bonus token
 * is drawn from p_k. Every emitted token is then distributed exactly as when
 * sampling from the target's processed distribution p. Both p and q go through
 * `processLogits` with the same `config` (greedy configs make them one-hot,
 * which reduces to greedy verification).
 */
import { createRng, getDefaultRng, type Rng } from '@llmkit/core';
import { InvalidArgumentError, LlmkitError } from '@llmkit/core/errors';
import type { SamplingConfig, StepFn } from '../types.js';
import { checkInteger, checkPrompt, drawFrom, nextTokenProbabilities } from './distribution.js';

/**
 * A step function that returns logits for EVERY position: `result[s][j]` are
 * the next-token logits after `sequences[s][0..j]` (so `result[s].length ===
 * sequences[s].length`; only the last `k + 1` are read). A model with a KV
 * cache may return just the trailing rows, as long as the array is
 * right-aligned: `result[s][result[s].length - 1]` is the last position.
 */
export type MultiStepFn = (sequences: number[][]) => Promise<Float32Array[][]>;

/** Options of {@link speculativeDecode}. */
export interface SpeculativeOptions {
  prompt: number[];
  /** Draft tokens proposed per round (>= 1). */
  k: number;
  maxNewTokens: number;
  /** Processor chain applied to both target and draft logits. Default `{}`. */
  config?: SamplingConfig;
  rng?: Rng;
  /** Seed of a fresh RNG when `rng` is not given. */
  seed?: number;
  /** Token ids that end generation (kept in the output). `config.eosTokenId` is added. */
  stopTokenIds?: number[];
}

/** Counters of a {@link speculativeDecode} run. */
export interface SpeculativeStats {
  /** Accepted draft tokens / proposed draft tokens. */
  acceptanceRate: number;
  proposed: number;
  accepted: number;
  /** Calls of the target MultiStepFn (one per round). */
  targetCalls: number;
  /** Calls of the draft StepFn (one per proposed token). */
  draftCalls: number;
}

/** Result of {@link speculativeDecode}. */
export interface SpeculativeResult {
  /** New tokens (not the prompt). */
  tokenIds: number[];
  finishReason: 'stop' | 'length';
  stats: SpeculativeStats;
}

/**
 * Speculative sampling: output distributed as sampling from `target` alone,
 * with fewer target calls when the draft agrees with it.
 * @throws {InvalidArgumentError} `invalid_argument` for a bad prompt, k, maxNewTokens or seed.
 * @throws {LlmkitError} `step_output` when the target returns fewer than k + 1 positions; `all_tokens_masked` (AllTokensMaskedError) when processing leaves no token.
 * @example
 * const { tokenIds, stats } = await speculativeDecode(targetAllPositions, draftStep, { prompt: [0], k: 4, maxNewTokens: 64, seed: 1 });
 * console.log(stats.acceptanceRate, stats.targetCalls);
 */
export async function speculativeDecode(target: MultiStepFn, draft: StepFn, options: SpeculativeOptions): Promise<SpeculativeResult> {
  const prompt = checkPrompt(options.prompt, 'speculativeDecode');
  const k = checkInteger('speculativeDecode: options.k', options.k, 1);
  const maxNewTokens = checkInteger('speculativeDecode: options.maxNewTokens', options.maxNewTokens, 1);
  const config = options.config ?? {};
  let rng = options.rng;
  if (!rng) {
    if (options.seed !== undefined && !Number.isFinite(options.seed)) throw new InvalidArgumentError(`speculativeDecode: options.seed = ${options.seed}; give a finite number.`);
    rng = options.seed !== undefined ? createRng(options.seed) : getDefaultRng();
  }
  const eos = config.eosTokenId;
  const stopIds = new Set([...(options.stopTokenIds ?? []), ...(eos === undefined ? [] : Array.isArray(eos) ? eos : [eos])]);
  const promptLength = prompt.length;
  const sequence = [...prompt];
  const stats: SpeculativeStats = { acceptanceRate: 0, proposed: 0, accepted: 0, targetCalls: 0, draftCalls: 0 };

  const emit = (token: number): boolean => {
    sequence.push(token);
    return stopIds.has(token) || sequence.length - promptLength >= maxNewTokens;
  };

  let done = false;
  while (!done) {
    const remaining = maxNewTokens - (sequence.length - promptLength);
    const rounds = Math.min(k, remaining);
    // Draft proposals.
    const drafted: number[] = [];
    const q: Float64Array[] = [];
    const extended = [...sequence];
    for (let i = 0; i < rounds; i++) {
      const [logits] = await draft([extended]);
      stats.draftCalls++;
      const qi = nextTokenProbabilities(checkRow(logits, 'draft'), config, { inputIds: extended, promptLength });
      const token = drawFrom(qi, rng);
      q.push(qi);
      drafted.push(token);
      extended.push(token);
      if (stopIds.has(token)) break; // nothing after a stop token is needed
    }
    // One target call over prompt + generated + drafts.
    const [positions] = await target([extended]);
    stats.targetCalls++;
    if (!Array.isArray(positions) || positions.length < drafted.length + 1) {
      throw new LlmkitError('step_output', `speculativeDecode: target must return logits for every position (at least the last ${drafted.length + 1}); got ${Array.isArray(positions) ? positions.length : 'none'}.`);
    }
    const offset = positions.length - (drafted.length + 1);
    const base = sequence.length;
    // p_i: target distribution after the accepted sequence plus drafts 0..i-1.
    const targetProbabilities = (i: number): Float64Array =>
      nextTokenProbabilities(checkRow(positions[offset + i], 'target'), config, { inputIds: extended.slice(0, base + i), promptLength });

    let allAccepted = true;
    for (let i = 0; i < drafted.length && !done; i++) {
      const pi = targetProbabilities(i);
      const token = drafted[i];
      stats.proposed++;
      const ratio = pi[token] / q[i][token];
      if (ratio >= 1 || rng.random() < ratio) {
        stats.accepted++;
        done = emit(token);
        continue;
      }
      // Rejected: draw from the residual norm(max(0, p - q)).
      const residual = new Float64Array(pi.length);
      let total = 0;
      for (let x = 0; x < pi.length; x++) {
        const r = pi[x] - q[i][x];
        if (r > 0) {
          residual[x] = r;
          total += r;
        }
      }
      done = emit(drawFrom(total > 0 ? residual : pi, rng));
      allAccepted = false;
      break;
    }
    if (!done && allAccepted) done = emit(drawFrom(targetProbabilities(drafted.length), rng));
  }
  stats.acceptanceRate = stats.proposed > 0 ? stats.accepted / stats.proposed : 0;
  const tokenIds = sequence.slice(promptLength);
  const last = tokenIds[tokenIds.length - 1];
  return { tokenIds, finishReason: stopIds.has(last) ? 'stop' : 'length', stats };
}

function checkRow(row: unknown, who: string): Float32Array {
  if (!(row instanceof Float32Array)) throw new LlmkitError('step_output', `speculativeDecode: the ${who} must return Float32Array logits rows.`);
  return row;
}

/**
 * Wrap a one-position {@link StepFn} as a {@link MultiStepFn} by calling it on
 * every prefix (for tests and toy models; a real model scores all positions in one forward pass).
 * @example
 * const target = allPositions(stepFn);
 */
export function allPositions(stepFn: StepFn): MultiStepFn {
  return async (sequences) => {
    const out: Float32Array[][] = [];
    for (const seq of sequences) {
      const prefixes = seq.map((_, j) => seq.slice(0, j + 1));
      out.push(await stepFn(prefixes));
    }
    return out;
  };
}
