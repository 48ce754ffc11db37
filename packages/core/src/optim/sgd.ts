import { tf } from '../tf.js';
import { InvalidArgumentError } from '../errors/index.js';
import { Optimizer, checkNumber, type NamedParameters, type ParamGroup, type ParamGroupInput, type ParamState } from './optimizer.js';

/** Options of {@link SGD}; the defaults are PyTorch's (except that `lr` has one). */
export interface SGDOptions {
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** Momentum factor. Default 0 (plain SGD). */
  momentum?: number;
  /** Dampening of the momentum (buffer gets `(1 - dampening) * g`). Default 0. */
  dampening?: number;
  /** Nesterov momentum; needs `momentum > 0` and `dampening = 0`. Default false. */
  nesterov?: boolean;
  /** L2 penalty added to the gradient (`g += weightDecay * p`). Default 0. */
  weightDecay?: number;
}

/** A parameter group of {@link SGD}. */
export interface SGDParamGroup extends ParamGroup {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/** A parameter group input of {@link SGD}: any option set here overrides the optimizer's. */
export interface SGDParamGroupInput extends ParamGroupInput {
  momentum?: number;
  dampening?: number;
  nesterov?: boolean;
}

function resolveGroup(input: SGDParamGroupInput, defaults: SGDOptions): SGDParamGroup {
  const lr = checkNumber('SGD', 'lr', input.lr ?? defaults.lr ?? 1e-3);
  const momentum = checkNumber('SGD', 'momentum', input.momentum ?? defaults.momentum ?? 0);
  const dampening = checkNumber('SGD', 'dampening', input.dampening ?? defaults.dampening ?? 0, -Infinity);
  const nesterov = input.nesterov ?? defaults.nesterov ?? false;
  if (typeof nesterov !== 'boolean') throw new InvalidArgumentError(`SGD: option "nesterov" must be a boolean, got ${String(nesterov)}.`);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new InvalidArgumentError(`SGD: option "nesterov" requires momentum > 0 and dampening = 0 (got momentum ${momentum}, dampening ${dampening}).`);
  }
  return {
    params: input.params,
    lr,
    initialLr: lr,
    weightDecay: checkNumber('SGD', 'weightDecay', input.weightDecay ?? defaults.weightDecay ?? 0),
    momentum,
    dampening,
    nesterov,
  };
}

/**
 * Stochastic gradient descent with optional momentum, dampening, Nesterov
 * momentum and (coupled, L2) weight decay, exactly `torch.optim.SGD`: the
 * momentum buffer starts as the first gradient, then
 * `buf = momentum * buf + (1 - dampening) * g`. State buffer: `momentum_buffer`
 * (only when momentum is non-zero).
 *
 * @throws {InvalidArgumentError} `invalid_argument` for an option out of range, or nesterov without momentum.
 * @example
 * const optimizer = new SGD(model.namedParameters(), { lr: 0.1, momentum: 0.9, nesterov: true });
 * optimizer.step(grads);
 */
export class SGD extends Optimizer<SGDParamGroup> {
  readonly name = 'SGD';

  constructor(params: NamedParameters | SGDParamGroupInput[], options: SGDOptions = {}) {
    super(params, (input) => resolveGroup(input, options));
  }

  protected bufferNames(group: SGDParamGroup): string[] {
    return group.momentum !== 0 ? ['momentum_buffer'] : [];
  }

  protected updateParameter(group: SGDParamGroup, param: tf.Variable, grad: tf.Tensor, state: ParamState): void {
    const { lr, weightDecay, momentum, dampening, nesterov } = group;
    let g = grad;
    if (weightDecay !== 0) g = tf.add(g, tf.mul(weightDecay, param)); // grad.add(param, alpha=weight_decay)
    if (momentum !== 0) {
      const previous = state.buffers.get('momentum_buffer');
      // First step: buf = grad.clone(); then buf.mul_(momentum).add_(grad, alpha=1 - dampening)
      const buf = previous === undefined ? g : tf.add(tf.mul(previous, momentum), tf.mul(1 - dampening, g));
      this.setBuffer(state, 'momentum_buffer', buf);
      g = nesterov ? tf.add(g, tf.mul(momentum, buf)) : buf;
    }
    // param.add_(grad, alpha=-lr)
    param.assign(tf.add(param, tf.mul(-lr, g)));
  }
}
