import { tf } from '../tf.js';
import { Module, createParameter, type Parameter } from './module.js';
import { layerNorm } from '../ops/fused-train.js';
import { checkFloat, checkPositiveNumber, checkTensor, checkTrailingShape, toNormalizedShape } from './checks.js';

/** Options of {@link LayerNorm}. */
export interface LayerNormOptions {
  /** Added to the variance before the square root. Default 1e-5 (PyTorch's). */
  eps?: number;
  /** Learn a per-element scale `weight` (init ones) and, if `bias`, a shift `bias` (init zeros). Default true. */
  elementwiseAffine?: boolean;
  /** With `elementwiseAffine`, also learn `bias`. Default true. */
  bias?: boolean;
}

/**
 * Layer normalisation over the trailing `normalizedShape` dims, as
 * `torch.nn.LayerNorm`: `(x - mean) / sqrt(var + eps) * weight + bias`, with
 * the biased variance (divide by N).
 *
 * Parameters (with `elementwiseAffine`): `weight` and `bias`, both of shape `normalizedShape`.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for a bad `normalizedShape` or `eps`.
 * @example
 * const ln = new LayerNorm(16);
 * ln.forward(tf.randomNormal([2, 5, 16])).shape; // [2, 5, 16]
 */
export class LayerNorm extends Module {
  readonly normalizedShape: readonly number[];
  readonly eps: number;
  /** [...normalizedShape], or null without `elementwiseAffine`. */
  weight: Parameter | null;
  /** [...normalizedShape], or null without `elementwiseAffine` or with `bias: false`. */
  bias: Parameter | null;

  constructor(normalizedShape: number | readonly number[], options: LayerNormOptions = {}) {
    super();
    this.normalizedShape = toNormalizedShape(normalizedShape, 'LayerNorm');
    this.eps = options.eps ?? 1e-5;
    checkPositiveNumber(this.eps, 'LayerNorm: eps');
    const affine = options.elementwiseAffine ?? true;
    const shape = [...this.normalizedShape];
    // In tf.tidy so that the initial tensors (whose data the variables share) are disposed; see Linear.
    this.weight = affine ? tf.tidy(() => createParameter(tf.ones(shape), true, 'layer_norm.weight')) : null;
    this.bias = affine && (options.bias ?? true) ? tf.tidy(() => createParameter(tf.zeros(shape), true, 'layer_norm.bias')) : null;
  }

  /**
   * Normalise the trailing dims.
   * @param x [..., ...normalizedShape] float32
   * @returns same shape as `x`
   * @throws {ShapeMismatchError} `shape_mismatch` when the trailing dims of `x` are not `normalizedShape`.
   * @throws {InvalidArgumentError} `invalid_argument` when `x` is not a float32 tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'LayerNorm.forward(x)');
    checkFloat(x, 'LayerNorm.forward(x)');
    checkTrailingShape(x, this.normalizedShape, `LayerNorm([${this.normalizedShape}])`, 'normalizedShape');
    // One normalized dim: ops/fused-train.ts (one kernel each way on wasm, the same composed ops elsewhere).
    if (this.normalizedShape.length === 1) return layerNorm(x, this.weight, this.bias, this.eps);
    return tf.tidy(() => {
      const axes = this.normalizedShape.map((_, i) => x.rank - this.normalizedShape.length + i);
      const centered = tf.sub(x, tf.mean(x, axes, true));
      const variance = tf.mean(tf.square(centered), axes, true);
      let y = tf.mul(centered, tf.rsqrt(tf.add(variance, this.eps)));
      if (this.weight) y = tf.mul(y, this.weight);
      if (this.bias) y = tf.add(y, this.bias);
      return y;
    });
  }
}
