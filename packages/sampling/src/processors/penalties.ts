/**
 * Logits processors that look at the token history (transformers' names in
 * brackets): repetition penalty [RepetitionPenaltyLogitsProcessor], OpenAI's
 * frequency and presence penalties, logit bias, no-repeat-ngram
 * [NoRepeatNGramLogitsProcessor], bad words [NoBadWordsLogitsProcessor] and
 * min-new-tokens [MinNewTokensLengthLogitsProcessor]. Public functions validate,
 * copy and return a new Float32Array; `apply*` variants work in place.
 */
import { InvalidArgumentError } from "@llmkit/core/errors";
import type { LogitsContext } from "../types.js";
import { checkIds, checkInt, checkLogits, checkNumber } from "./util.js";

function checkContext(fn: string, context: LogitsContext): void {
  if (typeof context !== "object" || context === null) {
    throw new InvalidArgumentError(
      `${fn}: context must be { inputIds: number[], promptLength: number }.`
    );
  }
  checkIds(fn, "context.inputIds", context.inputIds);
  checkInt(fn, "context.promptLength", context.promptLength, 0);
  if (context.promptLength > context.inputIds.length) {
    throw new InvalidArgumentError(
      `${fn}: context.promptLength = ${context.promptLength} exceeds inputIds.length = ${context.inputIds.length}; give the prompt token count.`
    );
  }
}

/** @internal In-place repetition penalty. */
export function applyRepetitionPenalty(
  out: Float32Array,
  penalty: number,
  inputIds: readonly number[]
): Float32Array {
  if (penalty === 1) return out;
  const seen = new Set<number>();
  for (const id of inputIds) {
    if (id >= out.length || seen.has(id)) continue;
    seen.add(id);
    const s = out[id];
    out[id] = s < 0 ? s * penalty : s / penalty;
  }
  return out;
}

/**
 * transformers' multiplicative repetition penalty (CTRL): for every distinct
 * token of `inputIds` (prompt and generated), a negative logit is multiplied
 * by `penalty` and a positive one divided by it.
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits, penalty <= 0 or bad ids.
 * @example repetitionPenalty(Float32Array.of(2, -2), 2, [0, 1]) // [1, -4]
 */
export function repetitionPenalty(
  logits: Float32Array,
  penalty: number,
  inputIds: number[]
): Float32Array {
  checkLogits(logits, "repetitionPenalty");
  checkNumber(
    "repetitionPenalty",
    "penalty",
    penalty,
    { min: 0, minExclusive: true },
    "give a finite penalty > 0 (1 = off, > 1 discourages repeats)"
  );
  checkIds("repetitionPenalty", "inputIds", inputIds);
  return applyRepetitionPenalty(logits.slice(), penalty, inputIds);
}

/** @internal In-place OpenAI frequency + presence penalties over generated tokens. */
export function applyFrequencyPresence(
  out: Float32Array,
  frequency: number,
  presence: number,
  context: LogitsContext
): Float32Array {
  if (frequency === 0 && presence === 0) return out;
  const counts = new Map<number, number>();
  const ids = context.inputIds;
  for (let i = context.promptLength; i < ids.length; i++)
    counts.set(ids[i], (counts.get(ids[i]) ?? 0) + 1);
  for (const [id, c] of counts)
    if (id < out.length) out[id] = out[id] - (c * frequency + presence);
  return out;
}

/**
 * OpenAI's frequency penalty: subtract `penalty * count` from each token's
 * logit, counting occurrences in the generated tokens (`inputIds` after `promptLength`).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits, a non-finite penalty or a bad context.
 * @example frequencyPenalty(Float32Array.of(1, 1), 0.5, { inputIds: [9, 0, 0], promptLength: 1 }) // [0, 1]
 */
export function frequencyPenalty(
  logits: Float32Array,
  penalty: number,
  context: LogitsContext
): Float32Array {
  checkLogits(logits, "frequencyPenalty");
  checkNumber(
    "frequencyPenalty",
    "penalty",
    penalty,
    {},
    "give a finite number (OpenAI allows -2..2)"
  );
  checkContext("frequencyPenalty", context);
  return applyFrequencyPresence(logits.slice(), penalty, 0, context);
}

/**
 * OpenAI's presence penalty: subtract `penalty` once from each token present
 * in the generated tokens (`inputIds` after `promptLength`).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits, a non-finite penalty or a bad context.
 * @example presencePenalty(Float32Array.of(1, 1), 0.5, { inputIds: [9, 0, 0], promptLength: 1 }) // [0.5, 1]
 */
export function presencePenalty(
  logits: Float32Array,
  penalty: number,
  context: LogitsContext
): Float32Array {
  checkLogits(logits, "presencePenalty");
  checkNumber(
    "presencePenalty",
    "penalty",
    penalty,
    {},
    "give a finite number (OpenAI allows -2..2)"
  );
  checkContext("presencePenalty", context);
  return applyFrequencyPresence(logits.slice(), 0, penalty, context);
}

/** @internal In-place logit bias. */
export function applyLogitBias(
  out: Float32Array,
  bias: Record<number, number>
): Float32Array {
  for (const key of Object.keys(bias)) {
    const id = Number(key);
    if (id < out.length) out[id] = out[id] + bias[id];
  }
  return out;
}

function checkBias(fn: string, bias: unknown): Record<number, number> {
  if (typeof bias !== "object" || bias === null)
    throw new InvalidArgumentError(
      `${fn}: logitBias must be an object { [tokenId]: bias }.`
    );
  for (const [k, v] of Object.entries(bias)) {
    if (!/^\d+$/.test(k))
      throw new InvalidArgumentError(
        `${fn}: logitBias key "${k}" is not a token id; use integer ids >= 0.`
      );
    if (typeof v !== "number" || Number.isNaN(v) || v === Infinity) {
      throw new InvalidArgumentError(
        `${fn}: logitBias[${k}] = ${String(
          v
        )}; give a finite bias or -Infinity to ban the token.`
      );
    }
  }
  return bias as Record<number, number>;
}

/**
 * Add a per-token bias to the logits (OpenAI's logit_bias; -Infinity bans).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or a bad bias map.
 * @example logitBias(Float32Array.of(0, 0), { 1: 2 }) // [0, 2]
 */
export function logitBias(
  logits: Float32Array,
  bias: Record<number, number>
): Float32Array {
  checkLogits(logits, "logitBias");
  checkBias("logitBias", bias);
  return applyLogitBias(logits.slice(), bias);
}

/** @internal In-place no-repeat-ngram. */
export function applyNoRepeatNgram(
  out: Float32Array,
  size: number,
  inputIds: readonly number[]
): Float32Array {
  const len = inputIds.length;
  if (len + 1 < size) return out;
  const prefixStart = len - size + 1;
  for (let s = 0; s + size <= len; s++) {
    let match = true;
    for (let j = 0; j < size - 1; j++) {
      if (inputIds[s + j] !== inputIds[prefixStart + j]) {
        match = false;
        break;
      }
    }
    if (match) {
      const banned = inputIds[s + size - 1];
      if (banned < out.length) out[banned] = -Infinity;
    }
  }
  return out;
}

/**
 * Ban any token that would repeat an n-gram of size `size` already in `inputIds`.
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits, size < 1 or bad ids.
 * @example noRepeatNgram(logits, 2, [5, 7, 5]) // logits[7] = -Infinity
 */
export function noRepeatNgram(
  logits: Float32Array,
  size: number,
  inputIds: number[]
): Float32Array {
  checkLogits(logits, "noRepeatNgram");
  checkInt("noRepeatNgram", "size", size, 1);
  checkIds("noRepeatNgram", "inputIds", inputIds);
  return applyNoRepeatNgram(logits.slice(), size, inputIds);
}

/** @internal In-place bad words. */
export function applyBadWords(
  out: Float32Array,
  badWordsIds: readonly (readonly number[])[],
  inputIds: readonly number[]
): Float32Array {
  const len = inputIds.length;
  for (const seq of badWordsIds) {
    const last = seq[seq.length - 1];
    if (last >= out.length) continue;
    const prefix = seq.length - 1;
    if (prefix > len) continue;
    let match = true;
    for (let j = 0; j < prefix; j++) {
      if (inputIds[len - prefix + j] !== seq[j]) {
        match = false;
        break;
      }
    }
    if (match) out[last] = -Infinity;
  }
  return out;
}

function checkBadWords(fn: string, badWordsIds: unknown): number[][] {
  if (
    !Array.isArray(badWordsIds) ||
    !badWordsIds.every(
      (s) =>
        Array.isArray(s) &&
        s.length > 0 &&
        s.every((t) => Number.isInteger(t) && t >= 0)
    )
  ) {
    throw new InvalidArgumentError(
      `${fn}: badWordsIds must be an array of non-empty token id arrays, e.g. [[12], [5, 9]].`
    );
  }
  return badWordsIds as number[][];
}

/**
 * Ban token sequences: a one-token sequence is always banned; for a longer
 * one its last token is banned when `inputIds` ends with the rest.
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits or malformed sequences.
 * @example badWords(logits, [[3], [1, 2]], [0, 1]) // logits[3] and logits[2] = -Infinity
 */
export function badWords(
  logits: Float32Array,
  badWordsIds: number[][],
  inputIds: number[]
): Float32Array {
  checkLogits(logits, "badWords");
  checkBadWords("badWords", badWordsIds);
  checkIds("badWords", "inputIds", inputIds);
  return applyBadWords(logits.slice(), badWordsIds, inputIds);
}

/** @internal In-place min-new-tokens. */
export function applyMinNewTokens(
  out: Float32Array,
  minNew: number,
  eos: readonly number[],
  context: LogitsContext
): Float32Array {
  if (context.inputIds.length - context.promptLength < minNew) {
    for (const id of eos) if (id < out.length) out[id] = -Infinity;
  }
  return out;
}

/** Normalise `eosTokenId` to an array. */
export function eosList(
  fn: string,
  eos: number | number[] | undefined
): number[] {
  const list = eos === undefined ? [] : Array.isArray(eos) ? eos : [eos];
  return checkIds(fn, "eosTokenId", list);
}

/**
 * Suppress the EOS token(s) until `minNew` tokens have been generated
 * (`inputIds.length - promptLength`).
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits, minNew < 0, bad EOS ids or context.
 * @example minNewTokens(logits, 3, 2, { inputIds: [7, 8], promptLength: 1 }) // logits[2] = -Infinity
 */
export function minNewTokens(
  logits: Float32Array,
  minNew: number,
  eosTokenId: number | number[],
  context: LogitsContext
): Float32Array {
  checkLogits(logits, "minNewTokens");
  checkInt("minNewTokens", "minNew", minNew, 0);
  const eos = eosList("minNewTokens", eosTokenId);
  checkContext("minNewTokens", context);
  return applyMinNewTokens(logits.slice(), minNew, eos, context);
}

export { checkBadWords, checkBias, checkContext };
