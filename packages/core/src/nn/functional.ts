import { tf } from '../tf.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';
import { getDefaultRng, type Rng } from '../rng/rng.js';
import {
  checkFloat,
  checkIndexRange,
  checkInt,
  checkProbability,
  checkTensor,
  normalizeAxis,
  type CustomGradientFunc,
} from './checks.js';
import { fusedCrossEntropy, geluExact, geluTanh } from '../ops/fused-train.js';

/** The two forms of {@link gelu}, as `approximate` in `torch.nn.functional.gelu`. */
export type GeluApproximate = 'none' | 'tanh';

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * Gaussian error linear unit, as `torch.nn.functional.gelu`:
 * `'none'` is the exact `0.5 x (1 + erf(x / sqrt 2))`, `'tanh'` the
 * approximation `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` used by GPT-2
 * (`gelu_new` / `gelu_pytorch_tanh` in transformers).
 *
 * @param x [...] float32
 * @param approximate `'none'` (default) or `'tanh'`
 * @returns [...] same shape as `x`
 * @throws {InvalidArgumentError} `invalid_argument` for another `approximate` or a non-float `x`.
 * @example
 * gelu(tf.tensor([-1, 0, 1]));          // [-0.1587, 0, 0.8413]
 * gelu(tf.tensor([-1, 0, 1]), 'tanh');  // [-0.1588, 0, 0.8412]
 */
export function gelu(x: tf.Tensor, approximate: GeluApproximate = 'none'): tf.Tensor {
  checkTensor(x, 'gelu(x)');
  checkFloat(x, 'gelu(x)');
  // 'none': ops/fused-train.ts runs these composed ops, or on wasm one fused kernel each way.
  if (approximate === 'none') return geluExact(x);
  // 'tanh': ops/fused-train.ts runs the composed ops (sqrt(2/pi) (x + 0.044715 x^2 x), then
  // (x * 0.5) (1 + tanh)), or on wasm one fused kernel each way.
  if (approximate === 'tanh') return geluTanh(x);
  throw new InvalidArgumentError(`gelu(x, approximate): approximate must be 'none' or 'tanh', got ${String(approximate)}.`);
}

/**
 * Sigmoid linear unit (swish), `x * sigmoid(x)`, as `torch.nn.functional.silu`.
 *
 * @param x [...] float32
 * @returns [...] same shape as `x`
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float `x`.
 * @example
 * silu(tf.tensor([-1, 0, 1])); // [-0.2689, 0, 0.7311]
 */
export function silu(x: tf.Tensor): tf.Tensor {
  checkTensor(x, 'silu(x)');
  checkFloat(x, 'silu(x)');
  return tf.tidy(() => tf.mul(x, tf.sigmoid(x)));
}

/** Apply a last-axis op along `dim` by swapping `dim` with the last axis around it. */
function alongDim(x: tf.Tensor, dim: number, what: string, op: (t: tf.Tensor) => tf.Tensor): tf.Tensor {
  const rank = x.rank;
  if (rank === 0) throw new InvalidArgumentError(`${what}: x must have at least one dimension, got a scalar.`);
  const axis = normalizeAxis(dim, rank, what);
  if (axis === rank - 1) return op(x);
  const perm = [...Array(rank).keys()];
  perm[axis] = rank - 1;
  perm[rank - 1] = axis;
  return tf.tidy(() => tf.transpose(op(tf.transpose(x, perm)), perm));
}

/**
 * Softmax along `dim`, as `torch.nn.functional.softmax` (stable: the max is
 * subtracted first).
 *
 * @param x [...] float32
 * @param dim the axis to normalise over; negative counts from the end. Default -1.
 * @returns [...] same shape as `x`, non-negative, summing to 1 along `dim`
 * @throws {InvalidArgumentError} `invalid_argument` for a scalar or non-float `x` or an out-of-range `dim`.
 * @example
 * softmax(tf.tensor([[1, 2, 3]])); // [[0.0900, 0.2447, 0.6652]]
 */
export function softmax(x: tf.Tensor, dim = -1): tf.Tensor {
  checkTensor(x, 'softmax(x)');
  checkFloat(x, 'softmax(x)');
  return alongDim(x, dim, 'softmax(x, dim)', (t) => tf.softmax(t));
}

/**
 * Log-softmax along `dim`, as `torch.nn.functional.log_softmax`:
 * `x - max - log(sum(exp(x - max)))`, stable for large logits.
 *
 * @param x [...] float32
 * @param dim the axis to normalise over; negative counts from the end. Default -1.
 * @returns [...] same shape as `x`
 * @throws {InvalidArgumentError} `invalid_argument` for a scalar or non-float `x` or an out-of-range `dim`.
 * @example
 * logSoftmax(tf.tensor([[1, 2, 3]])); // [[-2.4076, -1.4076, -0.4076]]
 */
export function logSoftmax(x: tf.Tensor, dim = -1): tf.Tensor {
  checkTensor(x, 'logSoftmax(x)');
  checkFloat(x, 'logSoftmax(x)');
  return alongDim(x, dim, 'logSoftmax(x, dim)', (t) => tf.logSoftmax(t));
}

/** How {@link crossEntropy} reduces the per-target losses. */
export type LossReduction = 'mean' | 'sum' | 'none';

/** Options of {@link crossEntropy}. */
export interface CrossEntropyOptions {
  /** Targets equal to this contribute no loss and no gradient. Default -100 (PyTorch's). */
  ignoreIndex?: number;
  /**
   * `'mean'` (default): average over non-ignored targets (NaN if all are ignored, as PyTorch);
   * `'sum'`: total; `'none'`: one loss per target, 0 where ignored.
   */
  reduction?: LossReduction;
  /** Label smoothing epsilon in [0, 1]. Default 0. */
  labelSmoothing?: number;
}

const REDUCTIONS: readonly LossReduction[] = ['mean', 'sum', 'none'];

/**
 * Cross-entropy between logits and integer class targets, exactly
 * `torch.nn.functional.cross_entropy` with class-index targets, except that
 * the class dimension is the **last** one (the language-model layout;
 * PyTorch puts it at dim 1 for inputs of rank > 2).
 *
 * With label smoothing `eps` and `C` classes the per-target loss is
 * `(1 - eps) * nll + eps * (-sum_c logp_c) / C`; for `'mean'` both parts are
 * divided by the number of non-ignored targets, as PyTorch does. Computed from
 * log-softmax, so it is stable for large logits.
 *
 * The targets are range-checked on backends that keep tensors in host memory
 * (cpu, wasm, tensorflow); on webgl/webgpu an out-of-range target is not detected.
 *
 * @param logits [..., C] float32 (e.g. [N, C] or [batch, seq, vocab])
 * @param targets [...] int32 class indices in [0, C) or `ignoreIndex` (e.g. [N] or [batch, seq])
 * @returns a scalar for `'mean'` / `'sum'`, else [...] (the shape of `targets`)
 * @throws {ShapeMismatchError} `shape_mismatch` when `targets.shape` is not `logits.shape` without its last dim.
 * @throws {InvalidArgumentError} `invalid_argument` for wrong dtypes, a target out of range, or bad options.
 * @example
 * const logits = tf.tensor2d([[2, 0, -1], [0.5, 0.5, 3]]);
 * const targets = tf.tensor1d([0, 2], 'int32');
 * crossEntropy(logits, targets);                          // scalar, mean over both rows
 * crossEntropy(logits, targets, { labelSmoothing: 0.1 });
 */
export function crossEntropy(logits: tf.Tensor, targets: tf.Tensor, options: CrossEntropyOptions = {}): tf.Tensor {
  const ignoreIndex = options.ignoreIndex ?? -100;
  const reduction = options.reduction ?? 'mean';
  const labelSmoothing = options.labelSmoothing ?? 0;
  checkTensor(logits, 'crossEntropy(logits)');
  checkTensor(targets, 'crossEntropy(targets)');
  checkFloat(logits, 'crossEntropy(logits)');
  checkInt(targets, 'crossEntropy(targets)');
  if (!Number.isInteger(ignoreIndex)) {
    throw new InvalidArgumentError(`crossEntropy: ignoreIndex must be an integer, got ${ignoreIndex}.`);
  }
  if (!REDUCTIONS.includes(reduction)) {
    throw new InvalidArgumentError(`crossEntropy: reduction must be one of ${REDUCTIONS.join(', ')}, got ${String(reduction)}.`);
  }
  checkProbability(labelSmoothing, 'crossEntropy: labelSmoothing');
  if (logits.rank === 0) {
    throw new ShapeMismatchError('crossEntropy: logits must be [..., C] with at least one dimension, got a scalar.');
  }
  const numClasses = logits.shape[logits.rank - 1];
  const batchShape = logits.shape.slice(0, -1);
  if (targets.rank !== batchShape.length || !targets.shape.every((d, i) => d === batchShape[i])) {
    throw new ShapeMismatchError(
      `crossEntropy: targets have shape [${targets.shape}] but logits [${logits.shape}] need targets of shape ` +
        `[${batchShape}] (logits without the class dim, which is last).`,
    );
  }
  checkIndexRange(targets, numClasses, 'crossEntropy(targets)', ignoreIndex);

  return tf.tidy(() => {
    const count = targets.size;
    // wasm: one fused kernel each way (ops/fused-train.ts); undefined elsewhere
    const fusedLoss = fusedCrossEntropy(tf.reshape(logits, [count, numClasses]) as tf.Tensor2D, tf.reshape(targets, [count]) as tf.Tensor1D, {
      ignoreIndex,
      labelSmoothing,
      reduction,
    });
    if (fusedLoss) return reduction === 'none' ? tf.reshape(fusedLoss, targets.shape) : fusedLoss;
    const flatTargets = tf.reshape(targets, [count]);
    const valid = tf.notEqual(flatTargets, tf.scalar(ignoreIndex, 'int32')); // [M] bool
    const validFloat = tf.cast(valid, 'float32');
    const safeTargets = tf.where(valid, flatTargets, tf.zerosLike(flatTargets));
    const loss = crossEntropyCore(safeTargets, validFloat, numClasses, reduction, labelSmoothing);
    const out = loss(tf.reshape(logits, [count, numClasses]));
    return reduction === 'none' ? tf.reshape(out, targets.shape) : out;
  });
}

/**
 * The loss on [M, C] logits with an analytic gradient
 * `dlogits = scale_i * (softmax - q)`, `q = (1 - eps) onehot(t) + eps / C`, where
 * `scale_i` is the upstream gradient of row i, 0 for ignored rows and divided by
 * the number of valid rows for `'mean'`. One softmax and one one-hot in the
 * backward pass; no gather gradient (UnsortedSegmentSum) is needed.
 */
function crossEntropyCore(
  safeTargets: tf.Tensor,
  validFloat: tf.Tensor,
  numClasses: number,
  reduction: LossReduction,
  labelSmoothing: number,
): (logits2d: tf.Tensor) => tf.Tensor {
  const count = safeTargets.size;
  const forward = (logits2d: tf.Tensor, save: tf.GradSaveFunc) => {
    const logp = tf.logSoftmax(logits2d); // [M, C]
    // saved tensors stay alive until the backward pass (the caller's tidy may dispose the originals)
    save([logp, safeTargets, validFloat]);
    // pick logp[i, t_i] from the flat view (forward only)
    const flatIndex = tf.add(tf.mul(tf.range(0, count, 1, 'int32'), tf.scalar(numClasses, 'int32')), safeTargets);
    const picked = tf.gather(tf.reshape(logp, [count * numClasses]), flatIndex); // [M]
    let perRow = tf.neg(picked);
    if (labelSmoothing > 0) {
      const smooth = tf.neg(tf.sum(logp, -1)); // [M]
      perRow = tf.add(tf.mul(perRow, 1 - labelSmoothing), tf.mul(smooth, labelSmoothing / numClasses));
    }
    perRow = tf.where(tf.cast(validFloat, 'bool'), perRow, tf.zerosLike(perRow)); // 0 where ignored, even for non-finite logits
    const value =
      reduction === 'none' ? perRow : reduction === 'sum' ? tf.sum(perRow) : tf.div(tf.sum(perRow), tf.sum(validFloat));
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [savedLogp, savedTargets, savedValid] = saved;
        const probs = tf.exp(savedLogp);
        // int32 one-hot then cast: tfjs-wasm's OneHot writes wrong values for float32 output
        const oneHot = tf.cast(tf.oneHot(savedTargets, numClasses), 'float32');
        const q = labelSmoothing > 0 ? tf.add(tf.mul(oneHot, 1 - labelSmoothing), labelSmoothing / numClasses) : oneHot;
        let scale = tf.mul(savedValid, dy); // [M]
        if (reduction === 'mean') scale = tf.div(scale, tf.sum(savedValid));
        return tf.mul(tf.sub(probs, q), tf.expandDims(scale, -1));
      });
    return { value, gradFunc };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc);
}

/** Options of {@link dropout}. */
export interface DropoutOptions {
  /** Apply dropout (true, default) or return `x` unchanged. */
  training?: boolean;
  /** Generator of the mask; default {@link getDefaultRng}. */
  rng?: Rng;
}

/**
 * Dropout, as `torch.nn.functional.dropout`: zero each element with
 * probability `p` and scale the rest by `1 / (1 - p)` (inverted dropout), so
 * the expectation is unchanged. The mask is drawn in JavaScript from the core
 * {@link Rng}, so a seed gives the same mask on every backend. With
 * `training: false` or `p = 0` it returns `x` itself; `p = 1` gives zeros.
 *
 * @param x [...] float32
 * @param p drop probability in [0, 1]. Default 0.5.
 * @returns [...] same shape as `x`
 * @throws {InvalidArgumentError} `invalid_argument` when `p` is outside [0, 1] or `x` is not float.
 * @example
 * const rng = createRng(0);
 * dropout(tf.ones([2, 4]), 0.5, { rng }); // entries 0 or 2
 */
export function dropout(x: tf.Tensor, p = 0.5, options: DropoutOptions = {}): tf.Tensor {
  checkTensor(x, 'dropout(x)');
  checkProbability(p, 'dropout: p');
  checkFloat(x, 'dropout(x)');
  const training = options.training ?? true;
  if (!training || p === 0) return x;
  if (p === 1) return tf.mul(x, 0);
  const rng = options.rng ?? getDefaultRng();
  const n = x.size;
  const scale = 1 / (1 - p);
  // keep an element when a uniform 32-bit draw falls below (1 - p) * 2^32
  const threshold = (1 - p) * 4294967296;
  const mask = new Float32Array(n);
  for (let i = 0; i < n; i++) mask[i] = rng.nextUint32() < threshold ? scale : 0;
  return tf.tidy(() => tf.mul(x, tf.tensor(mask, x.shape, 'float32')));
}
