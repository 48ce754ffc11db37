/**
 * Internal helpers shared by the base quantizers (tensor, LLM.int8(), NF4): argument checks
 * that throw llmkit errors naming the bad input, and float32 rounding helpers. Not exported
 * from the package.
 */
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';

/** Round to float32 (C's `(float)` of a double result). */
export const f32 = Math.fround;

/** Round half to even (`std::nearbyint` / `torch.round` in the default rounding mode). */
export function roundHalfEven(x: number): number {
  const f = Math.floor(x);
  const d = x - f;
  if (d < 0.5) return f;
  if (d > 0.5) return f + 1;
  return f % 2 === 0 ? f : f + 1;
}

/** Throw unless `value` is a positive integer. */
export function checkPositiveInt(value: unknown, what: string): asserts value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(value)}.`);
  }
}

/** Throw unless `shape` is a non-empty list of positive integers; returns the element count. */
export function checkShape(shape: unknown, what: string): number {
  if (!Array.isArray(shape) || shape.length === 0) {
    throw new InvalidArgumentError(`${what} must be a non-empty array of positive integers (e.g. [rows, cols]), got ${JSON.stringify(shape)}.`);
  }
  let n = 1;
  for (const d of shape) {
    if (typeof d !== 'number' || !Number.isInteger(d) || d <= 0) {
      throw new InvalidArgumentError(`${what} must contain positive integers only, got [${shape.join(', ')}].`);
    }
    n *= d;
  }
  return n;
}

/**
 * Throw unless `values` is a Float32Array (or a plain number array, which is converted) of
 * `expected` finite numbers; returns it as a Float32Array.
 */
export function toFiniteFloat32(values: unknown, what: string, expected?: number): Float32Array {
  let out: Float32Array;
  if (values instanceof Float32Array) out = values;
  else if (Array.isArray(values) && values.every((v) => typeof v === 'number')) out = Float32Array.from(values as number[]);
  else {
    throw new InvalidArgumentError(`${what} must be a Float32Array (or an array of numbers); convert typed data with Float32Array.from(...).`);
  }
  if (expected !== undefined && out.length !== expected) {
    throw new ShapeMismatchError(`${what} has ${out.length} values but its shape needs ${expected}; pass values and shape that agree.`);
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) {
      throw new InvalidArgumentError(`${what}[${i}] is ${out[i]}; quantization needs finite values (remove NaN/Infinity first).`);
    }
  }
  return out;
}

/** Normalise a possibly negative axis for a tensor of rank `rank`. */
export function normalizeAxis(axis: unknown, rank: number, what: string): number {
  if (typeof axis !== 'number' || !Number.isInteger(axis) || axis < -rank || axis >= rank) {
    throw new InvalidArgumentError(`${what} must be an integer in [${-rank}, ${rank - 1}] for a rank-${rank} tensor, got ${String(axis)}.`);
  }
  return axis < 0 ? axis + rank : axis;
}
