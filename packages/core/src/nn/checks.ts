import { tf } from '../tf.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';

// Internal argument checks shared by the nn layers and functional ops (not exported from the package).

/** tfjs's `CustomGradientFunc` (not re-exported by the tfjs bundle). */
export type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** Throw unless `value` is a positive integer. */
export function checkPositiveInt(value: number, what: string): void {
  if (!Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${value}.`);
  }
}

/** Throw unless `value` is a finite number > 0. */
export function checkPositiveNumber(value: number, what: string): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`${what} must be a finite number > 0, got ${value}.`);
  }
}

/** Throw unless `value` is a number in [0, 1] (or [0, 1) when `allowOne` is false). */
export function checkProbability(value: number, what: string, allowOne = true): void {
  const ok = typeof value === 'number' && value >= 0 && (allowOne ? value <= 1 : value < 1);
  if (!ok) {
    throw new InvalidArgumentError(`${what} must be a probability in [0, ${allowOne ? '1]' : '1)'}, got ${value}.`);
  }
}

/** Throw unless `x` is a tensor. */
export function checkTensor(x: unknown, what: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`${what} must be a tf.Tensor, got ${x === null ? 'null' : typeof x}.`);
  }
}

/** Throw unless `x` is a floating-point tensor. */
export function checkFloat(x: tf.Tensor, what: string): void {
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError(`${what} must be a float32 tensor, got dtype ${x.dtype}; cast it with tf.cast(x, 'float32').`);
  }
}

/** Throw unless `x` is an int32 tensor. */
export function checkInt(x: tf.Tensor, what: string): void {
  if (x.dtype !== 'int32') {
    throw new InvalidArgumentError(`${what} must be an int32 tensor of indices, got dtype ${x.dtype}; cast it with tf.cast(x, 'int32').`);
  }
}

/** Throw a ShapeMismatchError unless the trailing dims of `x` equal `trailing`. */
export function checkTrailingShape(x: tf.Tensor, trailing: readonly number[], layer: string, expected: string): void {
  const rank = x.shape.length;
  const ok = rank >= trailing.length && trailing.every((d, i) => x.shape[rank - trailing.length + i] === d);
  if (!ok) {
    throw new ShapeMismatchError(
      `${layer}: input has shape [${x.shape}] but the last ${trailing.length === 1 ? 'dim' : `${trailing.length} dims`} ` +
        `must be [${trailing}] (${expected}).`,
    );
  }
}

/** Normalize a possibly negative axis for a tensor of rank `rank`. */
export function normalizeAxis(axis: number, rank: number, what: string): number {
  if (!Number.isInteger(axis) || axis < -Math.max(rank, 1) || axis >= Math.max(rank, 1)) {
    throw new InvalidArgumentError(`${what}: dim ${axis} is out of range for a tensor of rank ${rank} (use -${rank}..${rank - 1}).`);
  }
  return axis < 0 ? axis + rank : axis;
}

/**
 * Whether index tensors are range-checked on the host. Reading indices back
 * is cheap where tensors live in host memory (cpu, wasm, tensorflow); on GPU
 * backends it would stall the pipeline, so the check is skipped there.
 */
export function canCheckOnHost(): boolean {
  const backend = tf.getBackend();
  return backend !== 'webgl' && backend !== 'webgpu';
}

/**
 * Throw an InvalidArgumentError when an index lies outside [0, size) (and is
 * not `allowed`). Skipped on GPU backends (see {@link canCheckOnHost}).
 */
export function checkIndexRange(ids: tf.Tensor, size: number, what: string, allowed?: number): void {
  if (!canCheckOnHost()) return;
  const data = ids.dataSync() as Int32Array;
  for (let i = 0; i < data.length; i++) {
    const v = data[i];
    if ((v < 0 || v >= size) && v !== allowed) {
      throw new InvalidArgumentError(
        `${what}: index ${v} at flat position ${i} is out of range [0, ${size})` +
          (allowed === undefined ? '.' : ` and is not the ignore index ${allowed}.`),
      );
    }
  }
}

/** Turn `normalizedShape` (a number or a list of trailing dims) into a validated list. */
export function toNormalizedShape(normalizedShape: number | readonly number[], what: string): number[] {
  const shape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
  shape.forEach((d, i) => checkPositiveInt(d, `${what}(normalizedShape[${i}])`));
  if (shape.length === 0) throw new InvalidArgumentError(`${what}(normalizedShape) must name at least one dim, got [].`);
  return shape;
}
