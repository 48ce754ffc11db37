/**
 * Streaming autoregressive decoding (greedy or sampled) over a {@link StepFn},
 * with stop token ids, text stop sequences, a length limit and an AbortSignal;
 * plus `generateAll` (collects the stream) and `bestOfN`.
 */
import { createRng, getDefaultRng, type Rng } from '@llmkit/core';
import { InvalidArgumentError, LlmkitError } from '@llmkit/core/errors';
import type { SamplingConfig, StepFn } from '../types.js';
import { checkInteger, checkPrompt, drawFrom, logSoftmax, nextTokenProbabilities } from './distribution.js';
import { TextStopMatcher } from './stop.js';
import type { Constraint } from '../constrained/constraint.js';

/** Why generation ended: a stop token id / stop string / EOS (`'stop'`) or `maxNewTokens` (`'length'`). */
export type FinishReason = 'stop' | 'length';

/** Options of {@link generate} and {@link generateAll}. */
export interface GenerateOptions {
  /** Prompt token ids (non-empty). */
  prompt: number[];
  /** Upper bound on the number of new tokens. */
  maxNewTokens: number;
  /** Processor chain and sampling settings; temperature 0 or doSample false means greedy. Default `{}` (temperature 1). */
  config?: SamplingConfig;
  /** Seed of a fresh `createRng(seed)`; ignored when `rng` is given. Default: core's default RNG. */
  seed?: number;
  /** RNG to draw from (shared state: successive calls continue the stream). */
  rng?: Rng;
  /** Token ids that end generation (the token is kept in `tokenIds`, its text is not decoded). `config.eosTokenId` is added. */
  stopTokenIds?: number[];
  /** Strings that end generation; detected across token boundaries, trimmed from the text. Needs `decode`. */
  stopSequences?: string[];
  /** Detokenizer for text output and text stops: full text of the given ids. */
  decode?: (ids: number[]) => string;
  /** Checked before and after every step call; when aborted the iterator throws `signal.reason` (an `AbortError` DOMException by default). */
  signal?: AbortSignal;
  /**
   * Structured output: a `regexConstraint` / `jsonSchemaConstraint`. Each step masks the raw
   * logits to the tokens the constraint allows (before the processor chain, so top-k/top-p
   * choose among allowed tokens) and advances its state; its EOS ids stop generation. The
   * text is a complete match when `finishReason` is 'stop'; with 'length' it is a prefix.
   */
  constraint?: Constraint;
}

/** One streamed token. */
export interface GenerateChunk {
  tokenId: number;
  /** Log-probability of the token under the raw (unprocessed) step logits. */
  logprob: number;
  /** New text safe to show (only with `decode`; may be '' while text is held back). */
  text?: string;
  /** Set on the last chunk. */
  finishReason?: FinishReason;
}

/** Result of {@link generateAll}. */
export interface GenerateResult {
  /** New token ids (not the prompt), including a final stop token id if one ended generation; after a text stop, every token up to the one completing the stop string. */
  tokenIds: number[];
  /** Sum of the raw log-probabilities of `tokenIds`. */
  logprob: number;
  /** Decoded text with any stop string (and what follows) trimmed; only with `decode`. */
  text?: string;
  finishReason: FinishReason;
}

function resolveRng(options: { seed?: number; rng?: Rng }): Rng {
  if (options.rng) return options.rng;
  if (options.seed !== undefined) {
    if (!Number.isFinite(options.seed)) throw new InvalidArgumentError(`seed = ${options.seed}; give a finite number.`);
    return createRng(options.seed);
  }
  return getDefaultRng();
}

function eosIds(config: SamplingConfig): number[] {
  const eos = config.eosTokenId;
  return eos === undefined ? [] : Array.isArray(eos) ? eos : [eos];
}

/**
 * Generate tokens one step at a time, yielding each as it is chosen.
 *
 * Each step calls `stepFn([prompt + generated])`, runs `processLogits` with
 * the config, and takes the argmax (greedy: temperature 0 / doSample false)
 * or draws from the softmax with the RNG. The last chunk carries `finishReason`.
 * @throws {InvalidArgumentError} `invalid_argument` for a bad prompt, maxNewTokens, seed, or stopSequences without decode.
 * @throws {LlmkitError} `all_tokens_masked` (AllTokensMaskedError) when the processors leave no token; `step_output` when stepFn returns no logits.
 * @example
 * for await (const chunk of generate(stepFn, { prompt: [1, 2], maxNewTokens: 8, config: { temperature: 0 } })) {
 *   console.log(chunk.tokenId);
 * }
 */
export async function* generate(stepFn: StepFn, options: GenerateOptions): AsyncGenerator<GenerateChunk, void, undefined> {
  const prompt = checkPrompt(options.prompt, 'generate');
  const maxNewTokens = checkInteger('generate: options.maxNewTokens', options.maxNewTokens, 1);
  const config = options.config ?? {};
  const stopSequences = options.stopSequences ?? [];
  if (stopSequences.length > 0 && !options.decode) {
    throw new InvalidArgumentError('generate: options.stopSequences needs options.decode (ids => text) to detect text stops.');
  }
  const matcher = options.decode ? new TextStopMatcher(stopSequences) : undefined;
  const constraint = options.constraint;
  const stopIds = new Set([...(options.stopTokenIds ?? []), ...eosIds(config), ...(constraint?.eosTokenIds ?? [])]);
  let constraintState = constraint?.initialState ?? 0;
  const rng = resolveRng(options);
  const sequence = [...prompt];
  const generated: number[] = [];
  const signal = options.signal;

  for (let step = 0; step < maxNewTokens; step++) {
    signal?.throwIfAborted();
    const [logits] = await stepFn([sequence]);
    signal?.throwIfAborted();
    if (!(logits instanceof Float32Array)) {
      throw new LlmkitError('step_output', 'generate: stepFn must resolve to one Float32Array of logits per sequence.');
    }
    const allowed = constraint ? constraint.mask(logits, constraintState) : logits;
    const probabilities = nextTokenProbabilities(allowed, config, { inputIds: sequence, promptLength: prompt.length });
    const tokenId = drawFrom(probabilities, rng);
    if (constraint) constraintState = constraint.advance(constraintState, tokenId);
    const logprob = logSoftmax(logits)[tokenId];
    sequence.push(tokenId);
    generated.push(tokenId);
    const last = step === maxNewTokens - 1;
    if (stopIds.has(tokenId)) {
      const chunk: GenerateChunk = { tokenId, logprob, finishReason: 'stop' };
      if (matcher && options.decode) chunk.text = matcher.update(options.decode(generated.slice(0, -1)), true).delta;
      yield chunk;
      return;
    }
    const chunk: GenerateChunk = { tokenId, logprob };
    if (matcher && options.decode) {
      const update = matcher.update(options.decode(generated), last);
      chunk.text = update.delta;
      if (update.stopped) {
        chunk.finishReason = 'stop';
        yield chunk;
        return;
      }
    }
    if (last) chunk.finishReason = 'length';
    yield chunk;
  }
}

/**
 * Run {@link generate} to the end and collect the tokens, text and finish reason.
 * @throws {InvalidArgumentError} `invalid_argument` as {@link generate}.
 * @example
 * const { tokenIds, finishReason } = await generateAll(stepFn, { prompt: [0], maxNewTokens: 16, seed: 1 });
 */
export async function generateAll(stepFn: StepFn, options: GenerateOptions): Promise<GenerateResult> {
  const tokenIds: number[] = [];
  let text = '';
  let logprob = 0;
  let finishReason: FinishReason = 'length';
  for await (const chunk of generate(stepFn, options)) {
    tokenIds.push(chunk.tokenId);
    logprob += chunk.logprob;
    if (chunk.text !== undefined) text += chunk.text;
    if (chunk.finishReason) finishReason = chunk.finishReason;
  }
  return options.decode ? { tokenIds, logprob, text, finishReason } : { tokenIds, logprob, finishReason };
}

/** Options of {@link bestOfN}: those of {@link generate} plus `n` and an optional scorer. */
export interface BestOfNOptions extends GenerateOptions {
  /** Number of completions to sample (>= 1). */
  n: number;
  /** Higher is better. Default: total raw log-probability (`result.logprob`), as OpenAI's `best_of`. */
  scorer?: (result: GenerateResult) => number;
}

/** A completion of {@link bestOfN} with its score. */
export interface ScoredCompletion extends GenerateResult {
  score: number;
}

/**
 * Sample `n` completions (one after another, from one RNG stream) and return
 * them best first by total log-probability or by `scorer`.
 * @throws {InvalidArgumentError} `invalid_argument` when n is not an integer >= 1, or as {@link generate}.
 * @example
 * const [best] = await bestOfN(stepFn, { prompt: [0], maxNewTokens: 8, n: 4, seed: 7 });
 */
export async function bestOfN(stepFn: StepFn, options: BestOfNOptions): Promise<ScoredCompletion[]> {
  const n = checkInteger('bestOfN: options.n', options.n, 1);
  const { n: _n, scorer, ...rest } = options;
  const rng = resolveRng(rest);
  const results: ScoredCompletion[] = [];
  for (let i = 0; i < n; i++) {
    const result = await generateAll(stepFn, { ...rest, rng });
    results.push({ ...result, score: scorer ? scorer(result) : result.logprob });
  }
  return results.sort((a, b) => b.score - a.score);
}
