/**
 * `sample`: one next token from raw logits under a SamplingConfig.
 */
import type { Rng } from "@llmkit/core";
import { InvalidArgumentError } from "@llmkit/core/errors";
import { AllTokensMaskedError } from "./processors/errors.js";
import {
  processLogits,
  type ProcessorName,
  DEFAULT_PROCESSOR_ORDER,
} from "./processors/chain.js";
import type { LogitsContext, SamplingConfig } from "./types.js";

/** Index of the largest logit, lowest index on ties; -1 when all are -Infinity. */
function argmaxFirst(x: Float32Array): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < x.length; i++) {
    if (x[i] > bestValue) {
      bestValue = x[i];
      best = i;
    }
  }
  return best;
}

/**
 * Choose the next token from raw logits: runs `processLogits(logits, config,
 * context, order)` (so pass unprocessed logits), then greedy argmax (lowest
 * index on ties) when `temperature` is 0 or `doSample` is false, otherwise
 * draws from the softmax by inverse CDF in float64 with one `rng.random()`.
 * @throws {InvalidArgumentError} `invalid_argument` for NaN logits, a bad option or a missing rng.
 * @throws {AllTokensMaskedError} `all_tokens_masked` when no token is left.
 * @example sample(logits, { temperature: 0.8, topP: 0.95 }, createRng(0))
 */
export function sample(
  logits: Float32Array,
  config: SamplingConfig,
  rng: Rng,
  context?: LogitsContext,
  order: readonly ProcessorName[] = DEFAULT_PROCESSOR_ORDER
): number {
  const greedy = config?.temperature === 0 || config?.doSample === false;
  if (
    !greedy &&
    (typeof rng !== "object" ||
      rng === null ||
      typeof rng.random !== "function")
  ) {
    throw new InvalidArgumentError(
      "sample: rng must be an Rng; create one with createRng(seed) from @llmkit/core."
    );
  }
  const processed = processLogits(logits, config, context, order);
  if (greedy) {
    const best = argmaxFirst(processed);
    if (best < 0) throw new AllTokensMaskedError("sample");
    return best;
  }
  // Draw over the surviving (finite) tokens only, in index order: the sums
  // equal those over the whole row (masked tokens add exact zeros).
  const n = processed.length;
  const alive = new Int32Array(n);
  let count = 0;
  let max = -Infinity;
  for (let i = 0; i < n; i++) {
    const v = processed[i];
    if (v === -Infinity) continue;
    alive[count++] = i;
    if (v > max) max = v;
  }
  if (count === 0) throw new AllTokensMaskedError("sample");
  const w = new Float64Array(count);
  let total = 0;
  for (let j = 0; j < count; j++) {
    const e = Math.exp(processed[alive[j]] - max);
    w[j] = e;
    total += e;
  }
  const target = rng.random() * total;
  let acc = 0;
  let pick = -1;
  for (let j = 0; j < count; j++) {
    if (w[j] > 0) pick = alive[j];
    acc += w[j];
    if (target < acc) break;
  }
  return pick;
}
