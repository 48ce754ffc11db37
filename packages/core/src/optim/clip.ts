import { tf } from '../tf.js';
import { InvalidArgumentError, NonFiniteError } from '../errors/index.js';
import { fusedTrainAvailable, sumSquares } from '../ops/fused-train.js';

/** Options of {@link clipGradNorm}. */
export interface ClipGradNormOptions {
  /** Throw NonFiniteError when the total norm is NaN or infinite (PyTorch's `error_if_nonfinite`). Default false. */
  errorIfNonfinite?: boolean;
}

function checkNormType(owner: string, normType: number): void {
  if (typeof normType !== 'number' || Number.isNaN(normType) || normType <= 0) {
    throw new InvalidArgumentError(`${owner}: "normType" must be a number > 0 or Infinity, got ${String(normType)}.`);
  }
}

/** The p-norm of one tensor as a scalar (call inside tf.tidy). */
function tensorNorm(x: tf.Tensor, normType: number): tf.Tensor {
  if (normType === Infinity) return tf.max(tf.abs(x));
  if (normType === 2) return tf.sqrt(tf.sum(tf.square(x)));
  if (normType === 1) return tf.sum(tf.abs(x));
  return tf.pow(tf.sum(tf.pow(tf.abs(x), normType)), 1 / normType);
}

/** Global norm as PyTorch computes it: the norm of the per-tensor norms. Call inside tf.tidy. */
function totalNormTensor(tensors: tf.Tensor[], normType: number): tf.Tensor {
  const norms = tensors.map((t) => tensorNorm(t, normType));
  return tensorNorm(tf.stack(norms), normType);
}

/** The global norm as a number (one read back). */
function totalNorm(tensors: tf.Tensor[], normType: number): number {
  // 2-norm on wasm: every per-tensor sum of squares in one kernel (accumulated in float64), then the
  // float32 per-tensor norms and their 2-norm here (float64, rounded once): 1 kernel instead of
  // Square + Sum + Sqrt per tensor and 4 more.
  if (normType === 2 && fusedTrainAvailable() && tensors.every((t) => t.dtype === 'float32')) {
    const sums = sumSquares(tensors);
    const values = sums.dataSync();
    sums.dispose();
    let acc = 0;
    for (const v of values) acc += Math.fround(Math.sqrt(v)) ** 2;
    return Math.fround(Math.sqrt(acc));
  }
  const total = tf.tidy(() => totalNormTensor(tensors, normType));
  const value = total.dataSync()[0];
  total.dispose();
  return value;
}

function entriesOf(owner: string, grads: Map<string, tf.Tensor>): Array<[string, tf.Tensor]> {
  if (!(grads instanceof Map)) throw new InvalidArgumentError(`${owner}: "grads" must be a Map from parameter name to tensor.`);
  const entries = [...grads.entries()];
  for (const [name, g] of entries) {
    if (!(g instanceof tf.Tensor) || g.isDisposed) throw new InvalidArgumentError(`${owner}: the gradient of "${name}" is not a live tensor.`);
  }
  return entries;
}

/**
 * The global p-norm of a set of gradients, viewed as one vector (the norm of
 * the per-tensor norms, as `torch.nn.utils.get_total_norm`). 0 for no gradients.
 *
 * @param normType 2 (default), 1, Infinity or any p > 0
 * @throws {InvalidArgumentError} `invalid_argument` for a bad `normType` or a disposed tensor.
 * @example
 * const norm = globalGradNorm(grads); // number
 */
export function globalGradNorm(grads: Map<string, tf.Tensor>, normType = 2): number {
  checkNormType('globalGradNorm', normType);
  const entries = entriesOf('globalGradNorm', grads);
  if (entries.length === 0) return 0;
  return totalNorm(entries.map(([, g]) => g), normType);
}

/**
 * Scale gradients so their global norm is at most `maxNorm`, with the
 * semantics of `torch.nn.utils.clip_grad_norm_`: the total norm is the norm of
 * the per-tensor norms, `clipCoef = maxNorm / (totalNorm + 1e-6)` clamped at 1,
 * and every gradient is multiplied by it (in float32, as PyTorch does). Returns
 * new tensors the caller owns (the inputs are left untouched) and the norm
 * before clipping.
 *
 * @param grads gradients keyed by parameter name
 * @param maxNorm largest allowed global norm
 * @param normType 2 (default), 1, Infinity or any p > 0
 * @throws {InvalidArgumentError} `invalid_argument` for a negative or non-finite `maxNorm`, a bad `normType` or a disposed tensor.
 * @throws {NonFiniteError} `non_finite` when the norm is NaN or infinite and `errorIfNonfinite` is set.
 * @example
 * const { grads: clipped, norm } = clipGradNorm(grads, 1.0);
 * optimizer.step(clipped);
 * clipped.forEach((g) => g.dispose());
 */
export function clipGradNorm(
  grads: Map<string, tf.Tensor>,
  maxNorm: number,
  normType = 2,
  options: ClipGradNormOptions = {},
): { grads: Map<string, tf.Tensor>; norm: number } {
  if (typeof maxNorm !== 'number' || !Number.isFinite(maxNorm) || maxNorm < 0) {
    throw new InvalidArgumentError(`clipGradNorm: "maxNorm" must be a finite number >= 0, got ${String(maxNorm)}.`);
  }
  checkNormType('clipGradNorm', normType);
  const entries = entriesOf('clipGradNorm', grads);
  if (entries.length === 0) return { grads: new Map(), norm: 0 };
  const norm = totalNorm(entries.map(([, g]) => g), normType);
  if (options.errorIfNonfinite && !Number.isFinite(norm)) {
    throw new NonFiniteError(
      `clipGradNorm: the total norm of order ${normType} of the gradients is ${norm}, so they cannot be clipped. ` +
        'Lower the learning rate or check the loss; pass errorIfNonfinite: false to scale by the non-finite norm anyway.',
    );
  }
  const clipped = tf.tidy(() => {
    // clip_coef = max_norm / (total_norm + 1e-6); clip_coef_clamped = clamp(clip_coef, max=1.0), in
    // float32 like the scalar tensors: Math.fround of the float64 result of float32 operands is the
    // correctly rounded float32 add / divide, so the coefficient is bit-identical to tensor ops.
    const f = Math.fround;
    const coef = Number.isFinite(norm) ? Math.min(f(f(maxNorm) / f(norm + f(1e-6))), 1) : NaN;
    // torch multiplies by clip_coef_clamped always; x * 1 is x bit for bit, so at 1 a copy suffices.
    if (coef === 1) return entries.map(([, g]) => tf.clone(g));
    const coefTensor = Number.isNaN(coef) ? tf.minimum(tf.div(maxNorm, tf.add(tf.scalar(norm), 1e-6)), 1) : tf.scalar(coef);
    return entries.map(([, g]) => tf.mul(g, coefTensor));
  });
  return { grads: new Map(entries.map(([name], i) => [name, clipped[i]])), norm };
}
