import { tf } from '../tf.js';
import { getDefaultRng, type Rng } from '../rng/rng.js';
import { Module, createParameter, type Parameter } from './module.js';
import { checkFloat, checkPositiveInt, checkTensor, checkTrailingShape } from './checks.js';

/** Options of {@link Linear}. */
export interface LinearOptions {
  /** Add a learnable bias (default true). */
  bias?: boolean;
  /** Generator for the initial weights; default {@link getDefaultRng}. */
  rng?: Rng;
}

/**
 * Affine map `y = x W^T + b`, as `torch.nn.Linear`. The weight has PyTorch's
 * layout `[outFeatures, inFeatures]`, so state dicts move between the two
 * unchanged. Initialised like `torch.nn.Linear.reset_parameters`: weight and
 * bias uniform in `[-1/sqrt(inFeatures), 1/sqrt(inFeatures))`
 * (`kaiming_uniform_(a = sqrt(5))`), drawn from `options.rng` or the default generator.
 *
 * Parameters: `weight` [outFeatures, inFeatures], `bias` [outFeatures] (or null).
 *
 * @throws {InvalidArgumentError} `invalid_argument` when a size is not a positive integer.
 * @example
 * const fc = new Linear(4, 8, { rng: createRng(0) });
 * fc.forward(tf.ones([2, 3, 4])).shape; // [2, 3, 8]
 */
export class Linear extends Module {
  readonly inFeatures: number;
  readonly outFeatures: number;
  /** [outFeatures, inFeatures] */
  weight: Parameter;
  /** [outFeatures], or null when created with `bias: false`. */
  bias: Parameter | null;

  constructor(inFeatures: number, outFeatures: number, options: LinearOptions = {}) {
    super();
    checkPositiveInt(inFeatures, 'Linear(inFeatures)');
    checkPositiveInt(outFeatures, 'Linear(outFeatures)');
    this.inFeatures = inFeatures;
    this.outFeatures = outFeatures;
    const rng = options.rng ?? getDefaultRng();
    const bound = 1 / Math.sqrt(inFeatures);
    // Created inside tf.tidy: the variable shares the initial tensor's data, and tidy disposes the initial
    // tensor itself (a variable is not tracked by tidy), so dispose() frees everything.
    this.weight = tf.tidy(() => createParameter(rng.uniformTensor([outFeatures, inFeatures], -bound, bound), true, 'linear.weight'));
    this.bias = (options.bias ?? true)
      ? tf.tidy(() => createParameter(rng.uniformTensor([outFeatures], -bound, bound), true, 'linear.bias'))
      : null;
  }

  /**
   * Apply the layer to the last dimension.
   * @param x [..., inFeatures] float32 (any rank >= 1)
   * @returns [..., outFeatures]
   * @throws {ShapeMismatchError} `shape_mismatch` when the last dim of `x` is not `inFeatures`.
   * @throws {InvalidArgumentError} `invalid_argument` when `x` is not a float32 tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    checkTensor(x, 'Linear.forward(x)');
    checkFloat(x, 'Linear.forward(x)');
    checkTrailingShape(x, [this.inFeatures], `Linear(${this.inFeatures}, ${this.outFeatures})`, 'inFeatures');
    return tf.tidy(() => {
      const outShape = [...x.shape.slice(0, -1), this.outFeatures];
      const x2d = tf.reshape(x, [-1, this.inFeatures]);
      let y = tf.matMul(x2d, this.weight, false, true);
      if (this.bias) y = tf.add(y, this.bias);
      return tf.reshape(y, outShape);
    });
  }
}
