import { tf } from '../tf.js';
import {
  Optimizer,
  checkBetas,
  checkNumber,
  type NamedParameters,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';

/** Options of {@link Lion}; the defaults are lion-pytorch's. */
export interface LionOptions {
  /** Learning rate. Default 1e-4 (Lion wants a 3-10x smaller lr than AdamW). */
  lr?: number;
  /** beta1 interpolates the update direction, beta2 the momentum. Default [0.9, 0.99]. */
  betas?: [number, number];
  /** Decoupled weight decay coefficient. Default 0. */
  weightDecay?: number;
}

/** A parameter group of {@link Lion}. */
export interface LionParamGroup extends ParamGroup {
  betas: [number, number];
}

/** A parameter group input of {@link Lion}: any option set here overrides the optimizer's. */
export interface LionParamGroupInput extends ParamGroupInput {
  betas?: [number, number];
}

function resolveGroup(input: LionParamGroupInput, defaults: LionOptions): LionParamGroup {
  const lr = checkNumber('Lion', 'lr', input.lr ?? defaults.lr ?? 1e-4);
  return {
    params: input.params,
    lr,
    initialLr: lr,
    weightDecay: checkNumber('Lion', 'weightDecay', input.weightDecay ?? defaults.weightDecay ?? 0),
    betas: checkBetas('Lion', input.betas ?? defaults.betas ?? [0.9, 0.99]),
  };
}

/**
 * Lion, EvoLved Sign Momentum (Chen et al. 2023, "Symbolic Discovery of
 * Optimization Algorithms"), with the update of lucidrains/lion-pytorch:
 * `p *= 1 - lr * wd`; `p -= lr * sign(beta1 * m + (1 - beta1) * g)`;
 * `m = beta2 * m + (1 - beta2) * g`. State buffer: `exp_avg`.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for an option out of range.
 * @example
 * const optimizer = new Lion(model.namedParameters(), { lr: 1e-4, weightDecay: 1.0 });
 * optimizer.step(grads);
 */
export class Lion extends Optimizer<LionParamGroup> {
  readonly name = 'Lion';

  constructor(params: NamedParameters | LionParamGroupInput[], options: LionOptions = {}) {
    super(params, (input) => resolveGroup(input, options));
  }

  protected bufferNames(): string[] {
    return ['exp_avg'];
  }

  protected updateParameter(group: LionParamGroup, param: tf.Variable, grad: tf.Tensor, state: ParamState): void {
    const { lr, weightDecay } = group;
    const [beta1, beta2] = group.betas;
    const expAvg = state.buffers.get('exp_avg') ?? tf.zerosLike(param);
    let p: tf.Tensor = param;
    if (weightDecay !== 0) p = tf.mul(p, 1 - lr * weightDecay); // p.data.mul_(1 - lr * wd)
    // update = exp_avg.clone().mul_(beta1).add(grad, alpha=1 - beta1).sign_()
    const update = tf.sign(tf.add(tf.mul(expAvg, beta1), tf.mul(1 - beta1, grad)));
    // p.add_(update, alpha=-lr)
    param.assign(tf.add(p, tf.mul(-lr, update)));
    // exp_avg.mul_(beta2).add_(grad, alpha=1 - beta2)
    this.setBuffer(state, 'exp_avg', tf.add(tf.mul(expAvg, beta2), tf.mul(1 - beta2, grad)));
  }
}
