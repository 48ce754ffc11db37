import { tf } from '../tf.js';
import { Module, createParameter, type Parameter } from './module.js';
import { checkFloat, checkPositiveNumber, checkTensor, checkTrailingShape, toNormalizedShape } from './checks.js';

/** Options of {@link RMSNorm}. */
export interface RMSNormOptions {
  /**
   * Added to the mean square before the reciprocal square root. Default 1e-6,
   * the default of Hugging Face's `LlamaRMSNorm` (Llama checkpoints set
   * `rms_norm_eps` in config.json, often 1e-5 or 1e-6). Note that
   * `torch.nn.RMSNorm`'s default `eps=None` means `torch.finfo(dtype).eps`
   * (1.19e-7 for float32); pass that value to match it.
   */
  eps?: number;
  /** Learn a per-element scale `weight` (init ones). Default true. */
  elementwiseAffine?: boolean;
}

/**
 * Root-mean-square normalisation, as Hugging Face's `LlamaRMSNorm` and
 * `torch.nn.RMSNorm`: `x * rsqrt(mean(x^2) + eps) * weight`, the mean taken
 * over the trailing dims `dim`, computed in float32.
 *
 * Parameter (with `elementwiseAffine`): `weight` of shape `dim`.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for a bad `dim` or `eps`.
 * @example
 * const norm = new RMSNorm(16, { eps: 1e-5 });
 * norm.forward(tf.randomNormal([2, 5, 16])).shape; // [2, 5, 16]
 */
export class RMSNorm extends Module {
  /** The normalised trailing dims. */
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  /** [...dim], or null without `elementwiseAffine`. */
  weight: Parameter | null;

  /** @param dim size of the last dim (or list of trailing dims) to normalise over */
  constructor(dim: number | readonly number[], options: RMSNormOptions = {}) {
    super();
    this.normalizedShape = toNormalizedShape(dim, 'RMSNorm');
    this.eps = options.eps ?? 1e-6;
    checkPositiveNumber(this.eps, 'RMSNorm: eps');
    const affine = options.elementwiseAffine ?? true;
    // In tf.tidy so that the initial tensor (whose data the variable shares) is disposed; see Linear.
    this.weight = affine ? tf.tidy(() => createParameter(tf.ones([...this.normalizedShape]), true, 'rms_norm.weight')) : null;
  }

  /**
   * Normalise the trailing dims.
   * @param x [..., dim] float32
   * @returns same shape as `x`
   * @throws {ShapeMismatchError} `shape_mismatch` when the trailing dims of `x` are not `dim`.
   * @throws {InvalidArgumentError} `invalid_argument` when `x` is not a float32 tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'RMSNorm.forward(x)');
    checkFloat(x, 'RMSNorm.forward(x)');
    checkTrailingShape(x, this.normalizedShape, `RMSNorm([${this.normalizedShape}])`, 'dim');
    return tf.tidy(() => {
      const axes = this.normalizedShape.map((_, i) => x.rank - this.normalizedShape.length + i);
      const meanSquare = tf.mean(tf.square(x), axes, true);
      const y = tf.mul(x, tf.rsqrt(tf.add(meanSquare, this.eps)));
      return this.weight ? tf.mul(y, this.weight) : y;
    });
  }
}
