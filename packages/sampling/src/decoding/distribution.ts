/**
 * Internal helpers of the decoding loops: softmax / log-softmax over a logits
 * row, argmax, and "the next-token distribution under a SamplingConfig".
 * Not exported from the package barrel.
 */
import { InvalidArgumentError } from '@llmkit/core/errors';
import type { Rng } from '@llmkit/core';
import { AllTokensMaskedError } from '../processors/errors.js';
import { processLogits } from '../processors/index.js';
import type { LogitsContext, SamplingConfig } from '../types.js';

/** Index of the largest finite value (first on ties); -1 when every entry is -Infinity/NaN. */
export function argmax(values: ArrayLike<number>): number {
  let best = -1;
  let bestValue = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}

/** Numerically stable softmax into a Float64Array (`-Infinity` maps to 0). */
export function softmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  if (max === -Infinity || Number.isNaN(max)) {
    throw new AllTokensMaskedError('softmax');
  }
  let total = 0;
  for (let i = 0; i < logits.length; i++) {
    const e = Math.exp(logits[i] - max);
    out[i] = e;
    total += e;
  }
  for (let i = 0; i < out.length; i++) out[i] /= total;
  return out;
}

/** Numerically stable log-softmax into a Float64Array. */
export function logSoftmax(logits: ArrayLike<number>): Float64Array {
  let max = -Infinity;
  for (let i = 0; i < logits.length; i++) if (logits[i] > max) max = logits[i];
  const out = new Float64Array(logits.length);
  if (max === -Infinity || Number.isNaN(max)) {
    throw new AllTokensMaskedError('logSoftmax');
  }
  let total = 0;
  for (let i = 0; i < logits.length; i++) total += Math.exp(logits[i] - max);
  const logTotal = max + Math.log(total);
  for (let i = 0; i < logits.length; i++) out[i] = logits[i] - logTotal;
  return out;
}

/** True when the config asks for greedy decoding (temperature 0 or doSample false). */
export function isGreedy(config: SamplingConfig): boolean {
  return config.temperature === 0 || config.doSample === false;
}

/** The config handed to processLogits: greedy configs drop temperature 0 (argmax is unaffected by warpers). */
function processingConfig(config: SamplingConfig): SamplingConfig {
  return isGreedy(config) ? { ...config, temperature: 1, doSample: false } : config;
}

/**
 * The next-token distribution after the configured processor chain: softmax of
 * the processed logits, or a one-hot at the processed argmax when greedy.
 */
export function nextTokenProbabilities(logits: Float32Array, config: SamplingConfig, context: LogitsContext): Float64Array {
  const processed = processLogits(logits, processingConfig(config), context); // returns a new array
  if (isGreedy(config)) {
    const best = argmax(processed);
    if (best < 0) throw new AllTokensMaskedError('greedy decoding');
    const oneHot = new Float64Array(processed.length);
    oneHot[best] = 1;
    return oneHot;
  }
  return softmax(processed);
}

/** Draw an index from (normalised or not) probabilities. */
export function drawFrom(probabilities: ArrayLike<number>, rng: Rng): number {
  return rng.categorical(probabilities, 1)[0];
}

/** Validate a non-negative integer option. */
export function checkInteger(name: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min) {
    throw new InvalidArgumentError(`${name} = ${String(value)}; give an integer >= ${min}.`);
  }
  return value;
}

/** Validate a prompt: a non-empty array of non-negative integer token ids. */
export function checkPrompt(prompt: unknown, fn: string): number[] {
  if (!Array.isArray(prompt) || prompt.length === 0 || !prompt.every((t) => Number.isInteger(t) && t >= 0)) {
    throw new InvalidArgumentError(`${fn}: options.prompt must be a non-empty array of integer token ids >= 0.`);
  }
  return prompt as number[];
}
