/**
 * The processor registry and `processLogits`, which applies the configured
 * chain. Default order (transformers' `_get_logits_processor`: processors,
 * then warpers):
 *
 * 1. `repetitionPenalty`  2. `noRepeatNgram`  3. `badWords`  4. `minNewTokens`
 * 5. `logitBias`  6. `frequencyPresence` (OpenAI frequency + presence penalties), then the warpers
 * 7. `temperature` -> 8. `topK` -> 9. `topP` -> 10. `minP` -> 11. `typicalP` -> 12. `epsilonCutoff` -> 13. `etaCutoff`.
 *
 * A processor runs only when its option is set to a non-neutral value
 * (temperature 1, topP 1, repetitionPenalty 1, ... are skipped; temperature 0
 * means greedy and is skipped too, argmax is unaffected by the warpers).
 */
import { InvalidArgumentError } from "@llmkit/core/errors";
import type { LogitsContext, SamplingConfig } from "../types.js";
import { AllTokensMaskedError } from "./errors.js";
import {
  applyBadWords,
  applyFrequencyPresence,
  applyLogitBias,
  applyMinNewTokens,
  applyNoRepeatNgram,
  applyRepetitionPenalty,
  checkBadWords,
  checkBias,
  checkContext,
  eosList,
} from "./penalties.js";
import { checkInt, checkLogits, checkNumber } from "./util.js";
import {
  applyEpsilonCutoff,
  applyEtaCutoff,
  applyMinP,
  applyTemperature,
  applyTopK,
  applyTopP,
  applyTypicalP,
} from "./warpers.js";

/** Name of a processor in the registry. */
export type ProcessorName =
  | "repetitionPenalty"
  | "noRepeatNgram"
  | "badWords"
  | "minNewTokens"
  | "logitBias"
  | "frequencyPresence"
  | "temperature"
  | "topK"
  | "topP"
  | "minP"
  | "typicalP"
  | "epsilonCutoff"
  | "etaCutoff";

/** A registry entry: `active` says whether the config enables it; `apply` works in place on a validated row. */
export interface ProcessorEntry {
  active(config: SamplingConfig): boolean;
  apply(
    out: Float32Array,
    config: SamplingConfig,
    context: LogitsContext
  ): Float32Array;
}

const on = (v: number | undefined, neutral: number): v is number =>
  v !== undefined && v !== neutral;

/** Every built-in processor by name (the registry used by `processLogits`). */
export const PROCESSORS: Readonly<Record<ProcessorName, ProcessorEntry>> = {
  repetitionPenalty: {
    active: (c) => on(c.repetitionPenalty, 1),
    apply: (o, c, x) =>
      applyRepetitionPenalty(o, c.repetitionPenalty!, x.inputIds),
  },
  noRepeatNgram: {
    active: (c) => on(c.noRepeatNgramSize, 0),
    apply: (o, c, x) => applyNoRepeatNgram(o, c.noRepeatNgramSize!, x.inputIds),
  },
  badWords: {
    active: (c) => c.badWordsIds !== undefined && c.badWordsIds.length > 0,
    // As transformers' NoBadWordsLogitsProcessor: a one-token bad word equal to an EOS id is ignored.
    apply: (o, c, x) => {
      const eos = eosList("processLogits", c.eosTokenId);
      const list =
        eos.length === 0
          ? c.badWordsIds!
          : c.badWordsIds!.filter(
              (s) => !(s.length === 1 && eos.includes(s[0]))
            );
      return applyBadWords(o, list, x.inputIds);
    },
  },
  minNewTokens: {
    active: (c) => on(c.minNewTokens, 0) && c.eosTokenId !== undefined,
    apply: (o, c, x) =>
      applyMinNewTokens(
        o,
        c.minNewTokens!,
        eosList("processLogits", c.eosTokenId),
        x
      ),
  },
  logitBias: {
    active: (c) => c.logitBias !== undefined,
    apply: (o, c) => applyLogitBias(o, c.logitBias!),
  },
  frequencyPresence: {
    active: (c) => on(c.frequencyPenalty, 0) || on(c.presencePenalty, 0),
    apply: (o, c, x) =>
      applyFrequencyPresence(
        o,
        c.frequencyPenalty ?? 0,
        c.presencePenalty ?? 0,
        x
      ),
  },
  temperature: {
    active: (c) => on(c.temperature, 1) && c.temperature !== 0,
    apply: (o, c) => applyTemperature(o, c.temperature!),
  },
  topK: {
    active: (c) => on(c.topK, 0),
    apply: (o, c) => applyTopK(o, c.topK!),
  },
  topP: {
    active: (c) => on(c.topP, 1),
    apply: (o, c) => applyTopP(o, c.topP!),
  },
  minP: {
    active: (c) => on(c.minP, 0),
    apply: (o, c) => applyMinP(o, c.minP!),
  },
  typicalP: {
    active: (c) => on(c.typicalP, 1),
    apply: (o, c) => applyTypicalP(o, c.typicalP!),
  },
  epsilonCutoff: {
    active: (c) => on(c.epsilonCutoff, 0),
    apply: (o, c) => applyEpsilonCutoff(o, c.epsilonCutoff!),
  },
  etaCutoff: {
    active: (c) => on(c.etaCutoff, 0),
    apply: (o, c) => applyEtaCutoff(o, c.etaCutoff!),
  },
};

/** transformers' default order: processors, then warpers (see the module comment). */
export const DEFAULT_PROCESSOR_ORDER: readonly ProcessorName[] = [
  "repetitionPenalty",
  "noRepeatNgram",
  "badWords",
  "minNewTokens",
  "logitBias",
  "frequencyPresence",
  "temperature",
  "topK",
  "topP",
  "minP",
  "typicalP",
  "epsilonCutoff",
  "etaCutoff",
];

const EMPTY_CONTEXT: LogitsContext = { inputIds: [], promptLength: 0 };

/** Validate every option of a SamplingConfig (names the option and the fix). */
export function checkSamplingConfig(
  config: SamplingConfig,
  fn = "processLogits"
): void {
  if (typeof config !== "object" || config === null)
    throw new InvalidArgumentError(
      `${fn}: config must be a SamplingConfig object.`
    );
  const c = config;
  if (c.temperature !== undefined)
    checkNumber(
      fn,
      "config.temperature",
      c.temperature,
      { min: 0 },
      "give a finite temperature >= 0 (0 = greedy)"
    );
  if (c.topK !== undefined) checkInt(fn, "config.topK", c.topK, 0);
  if (c.topP !== undefined)
    checkNumber(
      fn,
      "config.topP",
      c.topP,
      { min: 0, max: 1, minExclusive: true },
      "give a mass in (0, 1] (1 = off)"
    );
  if (c.minP !== undefined)
    checkNumber(
      fn,
      "config.minP",
      c.minP,
      { min: 0, max: 1 },
      "give a fraction in [0, 1] (0 = off)"
    );
  if (c.typicalP !== undefined)
    checkNumber(
      fn,
      "config.typicalP",
      c.typicalP,
      { min: 0, max: 1, minExclusive: true },
      "give a mass in (0, 1] (1 = off)"
    );
  if (c.epsilonCutoff !== undefined)
    checkNumber(
      fn,
      "config.epsilonCutoff",
      c.epsilonCutoff,
      { min: 0, max: 1, maxExclusive: true },
      "give a probability in [0, 1) (0 = off)"
    );
  if (c.etaCutoff !== undefined)
    checkNumber(
      fn,
      "config.etaCutoff",
      c.etaCutoff,
      { min: 0, max: 1, maxExclusive: true },
      "give a probability in [0, 1) (0 = off)"
    );
  if (c.repetitionPenalty !== undefined)
    checkNumber(
      fn,
      "config.repetitionPenalty",
      c.repetitionPenalty,
      { min: 0, minExclusive: true },
      "give a finite penalty > 0 (1 = off)"
    );
  if (c.frequencyPenalty !== undefined)
    checkNumber(
      fn,
      "config.frequencyPenalty",
      c.frequencyPenalty,
      {},
      "give a finite number (0 = off)"
    );
  if (c.presencePenalty !== undefined)
    checkNumber(
      fn,
      "config.presencePenalty",
      c.presencePenalty,
      {},
      "give a finite number (0 = off)"
    );
  if (c.logitBias !== undefined) checkBias(fn, c.logitBias);
  if (c.noRepeatNgramSize !== undefined)
    checkInt(fn, "config.noRepeatNgramSize", c.noRepeatNgramSize, 0);
  if (c.badWordsIds !== undefined) checkBadWords(fn, c.badWordsIds);
  if (c.minNewTokens !== undefined)
    checkInt(fn, "config.minNewTokens", c.minNewTokens, 0);
  if (c.eosTokenId !== undefined) eosList(fn, c.eosTokenId);
  if (c.doSample !== undefined && typeof c.doSample !== "boolean")
    throw new InvalidArgumentError(`${fn}: config.doSample must be a boolean.`);
}

/** @internal Apply the chain in place on an already validated row. */
export function applyChain(
  out: Float32Array,
  config: SamplingConfig,
  context: LogitsContext,
  order: readonly ProcessorName[]
): Float32Array {
  for (const name of order) {
    const entry = PROCESSORS[name];
    if (entry.active(config)) entry.apply(out, config, context);
  }
  return out;
}

/**
 * Apply the logits processors enabled by `config`, in transformers' default
 * order (repetition penalty, no-repeat-ngram, bad words, min-new-tokens,
 * logit bias, frequency/presence; then temperature, top-k, top-p, min-p,
 * typical-p, epsilon, eta) or in the given `order` (names from the registry;
 * processors left out of `order` do not run). Returns a new Float32Array.
 * @throws {InvalidArgumentError} `invalid_argument` for NaN/+Infinity logits, a bad option, context or order.
 * @throws {AllTokensMaskedError} `all_tokens_masked` when every logit is -Infinity (before or after processing).
 * @example processLogits(logits, { temperature: 0.7, topP: 0.9, repetitionPenalty: 1.1 }, { inputIds, promptLength })
 */
export function processLogits(
  logits: Float32Array,
  config: SamplingConfig,
  context: LogitsContext = EMPTY_CONTEXT,
  order: readonly ProcessorName[] = DEFAULT_PROCESSOR_ORDER
): Float32Array {
  checkLogits(logits, "processLogits");
  checkSamplingConfig(config);
  checkContext("processLogits", context);
  if (order !== DEFAULT_PROCESSOR_ORDER) {
    if (
      !Array.isArray(order) ||
      !order.every((n) => Object.prototype.hasOwnProperty.call(PROCESSORS, n))
    ) {
      throw new InvalidArgumentError(
        `processLogits: order must list processor names from ${DEFAULT_PROCESSOR_ORDER.join(
          ", "
        )}.`
      );
    }
  }
  const out = applyChain(logits.slice(), config, context, order);
  let any = false;
  for (let i = 0; i < out.length; i++) {
    if (out[i] !== -Infinity) {
      any = true;
      break;
    }
  }
  if (!any) throw new AllTokensMaskedError("processLogits");
  return out;
}
