/**
 * Beam search with transformers' semantics (generation/utils.py `_beam_search`,
 * transformers 5.x, which replaced `BeamSearchScorer` with the same rules):
 *
 * - Each step scores every (beam, token) by accumulated log-softmax of the raw
 *   logits and keeps the top `max(2, 1 + #eos) * numBeams` candidates.
 * - Of those, candidates among the first `numBeams` that end in EOS or reach
 *   `maxNewTokens` become finished hypotheses with score
 *   `sumLogprob / generatedLength ** lengthPenalty`, where `generatedLength`
 *   counts the NEW tokens including the EOS token and excludes the prompt
 *   (`cur_len + 1 - decoder_prompt_len`). The best `numBeams` finished ones are kept.
 * - The best `numBeams` non-finished candidates continue (`hooks.reorder` gets,
 *   for each, the index of the beam it extends).
 * - Stop when: `earlyStopping === true` and `numBeams` hypotheses are finished;
 *   or all slots are full and the best running beam cannot beat the worst
 *   finished one, judged at the current generated length (`false`, `true`) or,
 *   for `'never'` with `lengthPenalty > 0`, at `maxNewTokens`; or every candidate
 *   hit a stop (the length limit).
 * - At the start the `numBeams` beams all hold the prompt; beam 0 has score 0 and the others -1e9.
 */
import { InvalidArgumentError, LlmkitError } from '@llmkit/core/errors';
import type { StepFn, StepHooks } from '../types.js';
import { checkInteger, checkPrompt, logSoftmax } from './distribution.js';

/** Options of {@link beamSearch}, named as transformers' GenerationConfig (camelCased). */
export interface BeamSearchOptions {
  prompt: number[];
  /** Beams kept per step (>= 1). */
  numBeams: number;
  /** Upper bound on new tokens. */
  maxNewTokens: number;
  /** Exponent of the generated length dividing the summed log-probability. Default 1.0. */
  lengthPenalty?: number;
  /** true: stop once `numBeams` hypotheses are finished; false: heuristic; 'never': canonical. Default false. */
  earlyStopping?: boolean | 'never';
  /** How many finished hypotheses to return, best first (<= numBeams). Default 1. */
  numReturnSequences?: number;
  /** End-of-sequence token id(s); none means every hypothesis runs to maxNewTokens. */
  eosTokenId?: number | number[];
  /** Called after every step so a KV cache can follow the beams. */
  hooks?: StepHooks;
}

/** A finished hypothesis. */
export interface BeamHypothesis {
  /** New tokens (not the prompt), ending in EOS when EOS finished it. */
  tokenIds: number[];
  /** Sum of the token log-probabilities. */
  logprob: number;
  /** `logprob / tokenIds.length ** lengthPenalty` (transformers' `sequences_scores`). */
  score: number;
}

interface Running {
  tokens: number[];
  logprob: number;
}

interface Candidate {
  beam: number;
  token: number;
  logprob: number;
  hitsStop: boolean;
}

const MASKED = -1.0e9;

/**
 * Beam search over a step function, returning the best `numReturnSequences`
 * hypotheses best first.
 * @throws {InvalidArgumentError} `invalid_argument` for a bad prompt, numBeams, maxNewTokens, lengthPenalty, earlyStopping or numReturnSequences > numBeams.
 * @throws {LlmkitError} `step_output` when stepFn does not return one logits row per beam.
 * @example
 * const [best] = await beamSearch(stepFn, { prompt: [0], numBeams: 4, maxNewTokens: 20, eosTokenId: 2 });
 * console.log(best.tokenIds, best.score);
 */
export async function beamSearch(stepFn: StepFn, options: BeamSearchOptions): Promise<BeamHypothesis[]> {
  const prompt = checkPrompt(options.prompt, 'beamSearch');
  const numBeams = checkInteger('beamSearch: options.numBeams', options.numBeams, 1);
  const maxNewTokens = checkInteger('beamSearch: options.maxNewTokens', options.maxNewTokens, 1);
  const numReturnSequences = checkInteger('beamSearch: options.numReturnSequences', options.numReturnSequences ?? 1, 1);
  if (numReturnSequences > numBeams) {
    throw new InvalidArgumentError(`beamSearch: options.numReturnSequences (${numReturnSequences}) must be <= numBeams (${numBeams}); raise numBeams.`);
  }
  const lengthPenalty = options.lengthPenalty ?? 1.0;
  if (!Number.isFinite(lengthPenalty)) throw new InvalidArgumentError(`beamSearch: options.lengthPenalty = ${lengthPenalty}; give a finite number (1.0 is the default).`);
  const earlyStopping = options.earlyStopping ?? false;
  if (earlyStopping !== true && earlyStopping !== false && earlyStopping !== 'never') {
    throw new InvalidArgumentError(`beamSearch: options.earlyStopping = ${String(earlyStopping)}; use true, false or 'never'.`);
  }
  const eos = new Set(options.eosTokenId === undefined ? [] : Array.isArray(options.eosTokenId) ? options.eosTokenId : [options.eosTokenId]);
  const beamsToKeep = Math.max(2, 1 + eos.size) * numBeams;

  let running: Running[] = Array.from({ length: numBeams }, (_, b) => ({ tokens: [], logprob: b === 0 ? 0 : MASKED }));
  let finished: BeamHypothesis[] = [];
  let heuristicUnsatisfied = true;

  for (let generatedLength = 0; generatedLength < maxNewTokens; ) {
    const rows = await stepFn(running.map((r) => [...prompt, ...r.tokens]));
    if (!Array.isArray(rows) || rows.length !== numBeams) {
      throw new LlmkitError('step_output', `beamSearch: stepFn returned ${Array.isArray(rows) ? rows.length : 'no'} logits rows for ${numBeams} beams.`);
    }
    // Top beamsToKeep candidates over all (beam, token), ties by lower flat index (beam-major).
    const candidates: Candidate[] = [];
    const reachesLimit = generatedLength + 1 >= maxNewTokens;
    for (let b = 0; b < numBeams; b++) {
      const lp = logSoftmax(rows[b]);
      const order = topIndices(lp, beamsToKeep);
      for (const token of order) {
        candidates.push({ beam: b, token, logprob: lp[token] + running[b].logprob, hitsStop: reachesLimit || eos.has(token) });
      }
    }
    candidates.sort((x, y) => descending(x.logprob, y.logprob) || x.beam - y.beam || x.token - y.token);
    candidates.length = Math.min(candidates.length, beamsToKeep);

    // Finished hypotheses: only from the top numBeams candidates.
    const newLength = generatedLength + 1;
    const full = finished.length === numBeams;
    if (heuristicUnsatisfied && !(full && earlyStopping === true)) {
      const merged = [...finished];
      for (let i = 0; i < Math.min(numBeams, candidates.length); i++) {
        const c = candidates[i];
        if (!c.hitsStop) continue;
        merged.push({ tokenIds: [...running[c.beam].tokens, c.token], logprob: c.logprob, score: c.logprob / newLength ** lengthPenalty });
      }
      merged.sort((x, y) => descending(x.score, y.score));
      finished = merged.slice(0, numBeams);
    }

    // Running beams: best numBeams candidates that did not stop.
    const next = candidates
      .map((c) => ({ c, adjusted: c.logprob + (c.hitsStop ? MASKED : 0) }))
      .sort((x, y) => descending(x.adjusted, y.adjusted));
    const chosen = next.slice(0, numBeams);
    const sourceBeams = chosen.map(({ c }) => c.beam);
    running = chosen.map(({ c, adjusted }) => ({ tokens: [...running[c.beam].tokens, c.token], logprob: adjusted }));
    while (running.length < numBeams) {
      sourceBeams.push(0);
      running.push({ tokens: [...running[0].tokens], logprob: 2 * MASKED });
    }
    await options.hooks?.reorder?.(sourceBeams);
    generatedLength = newLength;

    if (finished.length === numBeams) {
      const hypotheticalLength = earlyStopping === 'never' && lengthPenalty > 0 ? maxNewTokens : generatedLength;
      const bestPossible = running[0].logprob / hypotheticalLength ** lengthPenalty;
      const worstFinished = finished[finished.length - 1].score;
      heuristicUnsatisfied = heuristicUnsatisfied && bestPossible > worstFinished;
    }
    const improvementPossible = heuristicUnsatisfied;
    const existsOpenBeam = !(finished.length === numBeams && earlyStopping === true);
    const validContinuations = !candidates.every((c) => c.hitsStop);
    if (!(improvementPossible && existsOpenBeam && validContinuations)) break;
  }
  return finished.slice(0, numReturnSequences);
}

/** Indices of the `k` largest values, largest first (ties: lower index first). */
function topIndices(values: Float64Array, k: number): number[] {
  const n = values.length;
  if (k >= n) return Array.from({ length: n }, (_, i) => i).sort((a, b) => descending(values[a], values[b]) || a - b);
  // Keep a small sorted list: k is 2-3 * numBeams, tiny next to the vocabulary.
  const best: number[] = [];
  for (let i = 0; i < n; i++) {
    const v = values[i];
    if (best.length === k && !(v > values[best[k - 1]])) continue;
    let at = best.length;
    while (at > 0 && values[best[at - 1]] < v) at--;
    best.splice(at, 0, i);
    if (best.length > k) best.pop();
  }
  return best;
}

/** Comparator for descending order that treats equal infinities as ties (stable sort keeps insertion order). */
function descending(a: number, b: number): number {
  return a === b ? 0 : a > b ? -1 : 1;
}
