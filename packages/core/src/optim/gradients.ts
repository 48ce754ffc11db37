import { tf } from '../tf.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';
import type { NamedParameters } from './optimizer.js';

/**
 * Evaluate `lossFn` and the gradients of the loss with respect to the
 * trainable parameters among `params` (a wrapper of `tf.variableGrads` keyed by
 * parameter name). Frozen parameters (`trainable === false`) get no gradient,
 * and neither do parameters the loss does not depend on. The caller owns and
 * disposes the returned loss and gradients.
 *
 * @param lossFn computes a scalar loss from the parameters
 * @param params named parameters, e.g. `model.namedParameters()`
 * @throws {InvalidArgumentError} `invalid_argument` when no parameter is trainable or the loss is not a scalar.
 * @example
 * const { loss, grads } = computeGradients(() => model.loss(batch), model.namedParameters());
 * optimizer.step(grads);
 * loss.dispose(); grads.forEach((g) => g.dispose());
 */
export function computeGradients(lossFn: () => tf.Scalar, params: NamedParameters): { loss: tf.Scalar; grads: Map<string, tf.Tensor> } {
  if (typeof lossFn !== 'function') throw new InvalidArgumentError('computeGradients: "lossFn" must be a function returning a scalar tensor.');
  if (!Array.isArray(params)) throw new InvalidArgumentError('computeGradients: "params" must be an array of [name, tf.Variable] pairs.');
  const nameOf = new Map<string, string>();
  const variables: tf.Variable[] = [];
  for (const [name, variable] of params) {
    if (!(variable instanceof tf.Variable)) throw new InvalidArgumentError(`computeGradients: parameter "${name}" is not a tf.Variable.`);
    if (!variable.trainable || nameOf.has(variable.name)) continue;
    nameOf.set(variable.name, name);
    variables.push(variable);
  }
  if (variables.length === 0) {
    throw new InvalidArgumentError(`computeGradients: none of the ${params.length} parameters is trainable; unfreeze some (variable.trainable = true).`);
  }
  const { value, grads } = tf.variableGrads(() => {
    const loss = lossFn();
    if (!(loss instanceof tf.Tensor) || loss.rank !== 0) {
      throw new InvalidArgumentError(
        `computeGradients: lossFn must return a scalar tensor, got ${loss instanceof tf.Tensor ? `shape [${loss.shape.join(', ')}]` : typeof loss}; reduce it with tf.mean or tf.sum.`,
      );
    }
    return loss;
  }, variables);
  const out = new Map<string, tf.Tensor>();
  for (const [variableName, grad] of Object.entries(grads)) out.set(nameOf.get(variableName)!, grad);
  return { loss: value, grads: out };
}

/** Options of {@link GradientAccumulator.add}. */
export interface AccumulateOptions {
  /** Dispose the given gradient tensors once added (default true: the accumulator consumes them). */
  disposeInputs?: boolean;
}

/**
 * Sums gradients over micro-batches for gradient accumulation. `add` consumes
 * the gradients it is given (disposes them, unless `disposeInputs: false`);
 * `sum()` and `average()` return new tensors the caller owns; `reset()` frees
 * the running sums. A parameter missing from some micro-batches counts as a
 * zero gradient there, so `average()` always divides by the number of `add`
 * calls, like accumulating `loss / n` gradients in PyTorch.
 *
 * @example
 * const accumulator = new GradientAccumulator();
 * for (const batch of microBatches) {
 *   const { loss, grads } = computeGradients(() => lossOf(batch), params);
 *   loss.dispose();
 *   accumulator.add(grads);
 * }
 * const grads = accumulator.average();
 * accumulator.reset();
 * optimizer.step(grads);
 * grads.forEach((g) => g.dispose());
 */
export class GradientAccumulator {
  private readonly sums = new Map<string, tf.Tensor>();
  private count = 0;

  /** Number of `add` calls since the last reset. */
  get microBatches(): number {
    return this.count;
  }

  /**
   * Add one micro-batch's gradients to the running sums.
   *
   * @throws {ShapeMismatchError} `shape_mismatch` when a gradient's shape differs from earlier ones of the same name (nothing is added then).
   * @throws {InvalidArgumentError} `invalid_argument` when `grads` is not a Map of live tensors.
   * @example
   * accumulator.add(grads); // grads are disposed
   */
  add(grads: Map<string, tf.Tensor>, options: AccumulateOptions = {}): void {
    if (!(grads instanceof Map)) throw new InvalidArgumentError('GradientAccumulator.add: "grads" must be a Map from parameter name to tensor.');
    for (const [name, grad] of grads) {
      if (!(grad instanceof tf.Tensor) || grad.isDisposed) throw new InvalidArgumentError(`GradientAccumulator.add: the gradient of "${name}" is not a live tensor.`);
      const sum = this.sums.get(name);
      if (sum && (sum.rank !== grad.rank || sum.shape.some((d, i) => d !== grad.shape[i]))) {
        throw new ShapeMismatchError(
          `GradientAccumulator.add: gradient "${name}" has shape [${grad.shape.join(', ')}] but earlier micro-batches had [${sum.shape.join(', ')}].`,
        );
      }
    }
    const consume = options.disposeInputs ?? true;
    for (const [name, grad] of grads) {
      const sum = this.sums.get(name);
      if (sum === undefined) {
        this.sums.set(name, tf.keep(consume ? grad : grad.clone()));
        continue;
      }
      this.sums.set(name, tf.keep(tf.add(sum, grad)));
      sum.dispose();
      if (consume) grad.dispose();
    }
    this.count++;
  }

  /**
   * The summed gradients, as new tensors the caller owns.
   *
   * @example
   * const total = accumulator.sum();
   */
  sum(): Map<string, tf.Tensor> {
    const out = new Map<string, tf.Tensor>();
    for (const [name, sum] of this.sums) out.set(name, tf.keep(sum.clone()));
    return out;
  }

  /**
   * The gradients averaged over the micro-batches added since the last reset,
   * as new tensors the caller owns.
   *
   * @throws {InvalidArgumentError} `invalid_argument` when nothing was added.
   * @example
   * const grads = accumulator.average();
   */
  average(): Map<string, tf.Tensor> {
    if (this.count === 0) throw new InvalidArgumentError('GradientAccumulator.average: no gradients were added since the last reset.');
    const out = new Map<string, tf.Tensor>();
    const count = this.count;
    // x / 1 is x bit for bit: one micro-batch (no accumulation) needs a copy, not a division kernel per tensor.
    for (const [name, sum] of this.sums) out.set(name, tf.keep(count === 1 ? sum.clone() : tf.tidy(() => tf.div(sum, count))));
    return out;
  }

  /**
   * Dispose the running sums and start over.
   *
   * @example
   * accumulator.reset();
   */
  reset(): void {
    for (const sum of this.sums.values()) sum.dispose();
    this.sums.clear();
    this.count = 0;
  }

  /**
   * Same as {@link reset}: free everything the accumulator owns.
   *
   * @example
   * accumulator.dispose();
   */
  dispose(): void {
    this.reset();
  }
}
