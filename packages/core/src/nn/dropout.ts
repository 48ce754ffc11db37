import { type Rng } from '../rng/rng.js';
import { tf } from '../tf.js';
import { Module } from './module.js';
import { checkProbability } from './checks.js';
import { dropout } from './functional.js';

/** Options of {@link Dropout}. */
export interface DropoutLayerOptions {
  /** Generator of the masks; default {@link getDefaultRng} at each call. */
  rng?: Rng;
}

/**
 * Dropout layer, as `torch.nn.Dropout`: in training mode each element is
 * zeroed with probability `p` and the rest scaled by `1 / (1 - p)`; in eval
 * mode (`module.eval()`) it returns its input. Masks come from the core
 * {@link Rng}, so a seed reproduces them on every backend. No parameters.
 *
 * @throws {InvalidArgumentError} `invalid_argument` when `p` is outside [0, 1].
 * @example
 * const drop = new Dropout(0.1, { rng: createRng(0) });
 * drop.forward(x);        // training: masked and scaled
 * drop.eval().forward(x); // x
 */
export class Dropout extends Module {
  /** Drop probability in [0, 1]. */
  readonly p: number;
  private readonly _rng: Rng | undefined;

  constructor(p = 0.5, options: DropoutLayerOptions = {}) {
    super();
    checkProbability(p, 'Dropout(p)');
    this.p = p;
    this._rng = options.rng;
  }

  /**
   * @param x [...] float32
   * @returns [...] same shape as `x` (`x` itself in eval mode or when p = 0)
   * @throws {InvalidArgumentError} `invalid_argument` when `x` is not a float32 tensor.
   */
  forward(x: tf.Tensor): tf.Tensor {
    return dropout(x, this.p, { training: this.training, rng: this._rng });
  }
}
