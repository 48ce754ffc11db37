import { tf } from '../tf.js';
import { InvalidArgumentError } from '../errors/index.js';
import {
  Optimizer,
  checkBetas,
  checkNumber,
  type NamedParameters,
  type ParamGroup,
  type ParamGroupInput,
  type ParamState,
} from './optimizer.js';
import { adamwUpdate } from '../ops/fused-train.js';

/** Options of {@link AdamW}; the defaults are PyTorch's. */
export interface AdamWOptions {
  /** Learning rate. Default 1e-3. */
  lr?: number;
  /** Decay rates of the first and second moment averages. Default [0.9, 0.999]. */
  betas?: [number, number];
  /** Added to the bias-corrected root of the second moment. Default 1e-8. */
  eps?: number;
  /** Decoupled weight decay coefficient. Default 1e-2. */
  weightDecay?: number;
  /** Use the maximum of past second moments (AMSGrad). Default false. */
  amsgrad?: boolean;
}

/** A parameter group of {@link AdamW}. */
export interface AdamWParamGroup extends ParamGroup {
  betas: [number, number];
  eps: number;
  amsgrad: boolean;
}

/** A parameter group input of {@link AdamW}: any option set here overrides the optimizer's. */
export interface AdamWParamGroupInput extends ParamGroupInput {
  betas?: [number, number];
  eps?: number;
  amsgrad?: boolean;
}

function resolveGroup(input: AdamWParamGroupInput, defaults: AdamWOptions): AdamWParamGroup {
  const lr = checkNumber('AdamW', 'lr', input.lr ?? defaults.lr ?? 1e-3);
  const amsgrad = input.amsgrad ?? defaults.amsgrad ?? false;
  if (typeof amsgrad !== 'boolean') throw new InvalidArgumentError(`AdamW: option "amsgrad" must be a boolean, got ${String(amsgrad)}.`);
  return {
    params: input.params,
    lr,
    initialLr: lr,
    weightDecay: checkNumber('AdamW', 'weightDecay', input.weightDecay ?? defaults.weightDecay ?? 1e-2),
    betas: checkBetas('AdamW', input.betas ?? defaults.betas ?? [0.9, 0.999]),
    eps: checkNumber('AdamW', 'eps', input.eps ?? defaults.eps ?? 1e-8),
    amsgrad,
  };
}

/**
 * Adam with decoupled weight decay (Loshchilov & Hutter), with exactly the
 * semantics of `torch.optim.AdamW`: `p *= 1 - lr * weightDecay`, then the Adam
 * update with bias correction and `eps` added outside the square root of the
 * bias-corrected second moment, optionally AMSGrad. The float32 operations
 * follow PyTorch's `_single_tensor_adam` in order, so results agree with
 * PyTorch to float32 rounding (tested against it over 100 steps).
 *
 * State buffers: `exp_avg`, `exp_avg_sq`, and `max_exp_avg_sq` with AMSGrad.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for an option out of range (negative lr, beta outside [0, 1), ...).
 * @example
 * const optimizer = new AdamW(paramGroupsWithoutDecay(model.namedParameters(), 0.1), { lr: 3e-4, betas: [0.9, 0.95] });
 * optimizer.step(grads);
 */
export class AdamW extends Optimizer<AdamWParamGroup> {
  readonly name = 'AdamW';

  constructor(params: NamedParameters | AdamWParamGroupInput[], options: AdamWOptions = {}) {
    super(params, (input) => resolveGroup(input, options));
  }

  protected bufferNames(group: AdamWParamGroup): string[] {
    return group.amsgrad ? ['exp_avg', 'exp_avg_sq', 'max_exp_avg_sq'] : ['exp_avg', 'exp_avg_sq'];
  }

  protected updateParameter(group: AdamWParamGroup, param: tf.Variable, grad: tf.Tensor, state: ParamState): void {
    const { lr, weightDecay, eps, amsgrad } = group;
    const [beta1, beta2] = group.betas;
    const expAvg = state.buffers.get('exp_avg') ?? tf.zerosLike(param);
    const expAvgSq = state.buffers.get('exp_avg_sq') ?? tf.zerosLike(param);
    if (!amsgrad) {
      // The same float32 ops as below in the same order; on wasm one fused kernel (ops/fused-train.ts).
      const next = adamwUpdate(param, grad, expAvg, expAvgSq, { lr, beta1, beta2, eps, weightDecay, step: state.step });
      param.assign(next.param);
      this.setBuffer(state, 'exp_avg', next.expAvg);
      this.setBuffer(state, 'exp_avg_sq', next.expAvgSq);
      return;
    }
    // Scalars are computed in float64 like Python floats, then used as float32 like PyTorch does.
    let p: tf.Tensor = param;
    if (weightDecay !== 0) p = tf.mul(p, 1 - lr * weightDecay); // param.mul_(1 - lr * weight_decay)
    // exp_avg.lerp_(grad, 1 - beta1): weight < 0.5, so exp_avg + w * (grad - exp_avg)
    const nextExpAvg = tf.add(expAvg, tf.mul(1 - beta1, tf.sub(grad, expAvg)));
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    const nextExpAvgSq = tf.add(tf.mul(expAvgSq, beta2), tf.mul(tf.mul(1 - beta2, grad), grad));
    const biasCorrection1 = 1 - beta1 ** state.step;
    const biasCorrection2 = 1 - beta2 ** state.step;
    const stepSize = lr / biasCorrection1;
    const biasCorrection2Sqrt = Math.sqrt(biasCorrection2);
    let second = nextExpAvgSq;
    if (amsgrad) {
      second = tf.maximum(state.buffers.get('max_exp_avg_sq') ?? tf.zerosLike(param), nextExpAvgSq);
      this.setBuffer(state, 'max_exp_avg_sq', second);
    }
    // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    const denom = tf.add(tf.div(tf.sqrt(second), biasCorrection2Sqrt), eps);
    // param.addcdiv_(exp_avg, denom, value=-step_size): param + (value * exp_avg) / denom
    param.assign(tf.add(p, tf.div(tf.mul(-stepSize, nextExpAvg), denom)));
    this.setBuffer(state, 'exp_avg', nextExpAvg);
    this.setBuffer(state, 'exp_avg_sq', nextExpAvgSq);
  }
}
