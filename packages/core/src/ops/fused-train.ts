/**
 * Fused ops for training small models on the CPU: LayerNorm over the last dim, exact GELU, and the
 * AdamW update of one parameter.
 *
 * On the tfjs `wasm` backend with core's SIMD module loaded and core's kernel fixes installed, the
 * forward and the backward of `layerNorm` and `geluExact` are each one llmkit kernel (`LlmkitLayerNorm`
 * / `LlmkitLayerNormGrad`, `LlmkitGelu` / `LlmkitGeluGrad`, wasm/kernels/train.c) joined by
 * `tf.customGrad`, instead of ~35 and ~17 tfjs kernels; `adamwUpdate` is one `LlmkitAdamW` kernel
 * instead of ~14. Everywhere else (cpu, tfjs-node, webgl, `LLMKIT_WASM_SIMD=0`, kernel fixes not
 * installed, or `fusedTrainKernels.enabled = false`) the same functions run the composed tfjs ops.
 *
 * Issue 12 adds `causalSoftmax` (scale + causal mask + softmax, LlmkitCausalSoftmax / ...Grad),
 * `geluTanh` (gelu_new, LlmkitGeluTanh / ...Grad), `sumSquares` (clipGradNorm's per-tensor sums, one
 * LlmkitSumSquares for all tensors) and `fusedCrossEntropy` (core's crossEntropy, LlmkitCrossEntropy
 * / ...Grad), with the same fallbacks.
 *
 * Numerics: LayerNorm and GELU agree with the composed ops to float32 rounding (summation order,
 * closed-form gradients, and for GELU a rational erf with max abs error 4.2e-7); AdamW is bit-identical to its composed float32 ops (same operations, same
 * order, each correctly rounded).
 */
import { tf } from '../tf.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';
import { simdKernels } from '../backend/wasm-kernels/simd-module.js';
import { wasmKernelFixesInstalled } from '../backend/wasm-fixes.js';
import type { WasmBackend } from '../backend/wasm-kernels/wasm-heap.js';

/**
 * Switch for the fused training kernels (tests and benchmarks compare both paths in one process):
 * with `enabled = false` every op here runs its composed tfjs ops.
 * @example
 * fusedTrainKernels.enabled = false; // composed tfjs ops everywhere
 */
export const fusedTrainKernels = { enabled: true };

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

/** Whether the llmkit training kernels can run now (wasm, kernel fixes installed, SIMD module loaded, enabled). */
function fused(): boolean {
  if (!fusedTrainKernels.enabled || !wasmKernelFixesInstalled() || tf.getBackend() !== 'wasm') return false;
  return simdKernels(tf.backend() as unknown as WasmBackend) !== undefined;
}

/** Whether a gradient tape is recording (only then does the forward need to keep anything for the backward). */
function recording(): boolean {
  return (tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0;
}

/**
 * Whether the fused training kernels run on the current backend.
 * @example
 * if (fusedTrainAvailable()) console.log('LayerNorm, GELU and AdamW run as one kernel each');
 */
export function fusedTrainAvailable(): boolean {
  return fused();
}

function checkFloatTensor(x: unknown, what: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(`${what} must be a tf.Tensor.`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(`${what} must be float32, got ${x.dtype}; cast it with tf.cast(x, 'float32').`);
}

function checkVector(x: tf.Tensor, v: tf.Tensor | null | undefined, what: string): void {
  if (v === null || v === undefined) return;
  checkFloatTensor(v, what);
  const n = x.shape[x.rank - 1];
  if (v.rank !== 1 || v.shape[0] !== n) {
    throw new ShapeMismatchError(`${what} must be [${n}] (the last dim of x [${x.shape}]), got [${v.shape}].`);
  }
}

/** The composed LayerNorm over the last dim (core's `LayerNorm.forward` ops). */
function composedLayerNorm(x: tf.Tensor, weight: tf.Tensor | null, bias: tf.Tensor | null, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const axes = [x.rank - 1];
    const centered = tf.sub(x, tf.mean(x, axes, true));
    const variance = tf.mean(tf.square(centered), axes, true);
    let y = tf.mul(centered, tf.rsqrt(tf.add(variance, eps)));
    if (weight) y = tf.mul(y, weight);
    if (bias) y = tf.add(y, bias);
    return y;
  });
}

/**
 * LayerNorm over the last dim, as `torch.nn.functional.layer_norm(x, [n], weight, bias, eps)`:
 * `(x - mean) / sqrt(var + eps) * weight + bias` with the biased variance. Differentiable on every
 * backend (on wasm through one fused kernel each way).
 * @param x [..., n] float32
 * @param weight [n] or null
 * @param bias [n] or null
 * @param eps added to the variance, > 0
 * @returns same shape as x
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float32 input or a bad eps.
 * @throws {ShapeMismatchError} `shape_mismatch` for a scalar x or a weight / bias that is not [n].
 * @example
 * layerNorm(tf.tensor2d([[1, 2, 3]]), null, null, 1e-5); // [[-1.2247, 0, 1.2247]]
 */
export function layerNorm(x: tf.Tensor, weight: tf.Tensor | null, bias: tf.Tensor | null, eps: number): tf.Tensor {
  checkFloatTensor(x, 'layerNorm(x)');
  if (x.rank === 0) throw new ShapeMismatchError('layerNorm(x): x must have at least one dim, got a scalar.');
  checkVector(x, weight, 'layerNorm(weight)');
  checkVector(x, bias, 'layerNorm(bias)');
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) {
    throw new InvalidArgumentError(`layerNorm: eps must be a positive finite number, got ${String(eps)}.`);
  }
  if (!fused()) return composedLayerNorm(x, weight, bias, eps);
  const kernelInputs = (xx: tf.Tensor, w: tf.Tensor | null, b: tf.Tensor | null): tf.NamedTensorMap => ({
    x: xx,
    ...(w ? { weight: w } : {}),
    ...(b ? { bias: b } : {}),
  });
  const attrs = { eps } as unknown as tf.NamedAttrMap;
  if (!recording()) {
    const [y, mean, rstd] = tf.engine().runKernel('LlmkitLayerNorm', kernelInputs(x, weight, bias), attrs) as tf.Tensor[];
    mean.dispose();
    rstd.dispose();
    return y;
  }
  const inputs = [x, ...(weight ? [weight] : []), ...(bias ? [bias] : [])];
  const forward = (...args: unknown[]) => {
    const save = args[args.length - 1] as tf.GradSaveFunc;
    const xx = args[0] as tf.Tensor;
    const w = weight ? (args[1] as tf.Tensor) : null;
    const b = bias ? (args[weight ? 2 : 1] as tf.Tensor) : null;
    const [y, mean, rstd] = tf.engine().runKernel('LlmkitLayerNorm', kernelInputs(xx, w, b), attrs) as tf.Tensor[];
    save(w ? [xx, mean, rstd, w] : [xx, mean, rstd]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) => {
      const [sx, smean, srstd, sw] = saved;
      const gradInputs: tf.NamedTensorMap = { dy, x: sx, mean: smean, rstd: srstd, ...(sw ? { weight: sw } : {}) };
      return tf.engine().runKernel('LlmkitLayerNormGrad', gradInputs, { withBias: b !== null } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    };
    return { value: y, gradFunc };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc)(...inputs);
}

const SQRT_HALF = Math.SQRT1_2;

/** The composed exact GELU (core's `gelu(x, 'none')` ops). */
function composedGelu(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => tf.mul(tf.mul(x, 0.5), tf.add(1, tf.erf(tf.mul(x, SQRT_HALF)))));
}

/**
 * Exact GELU, `0.5 x (1 + erf(x / sqrt 2))` (`torch.nn.functional.gelu(x)`), differentiable on every
 * backend (on wasm through one fused kernel each way).
 * @param x [...] float32
 * @returns same shape
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float32 x.
 * @example
 * geluExact(tf.tensor1d([-1, 0, 1])); // [-0.1587, 0, 0.8413]
 */
export function geluExact(x: tf.Tensor): tf.Tensor {
  checkFloatTensor(x, 'geluExact(x)');
  if (!fused()) return composedGelu(x);
  if (!recording()) {
    return (tf.engine().runKernel('LlmkitGelu', { x }, { withCdf: false } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0];
  }
  const forward = (xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, cdf] = tf.engine().runKernel('LlmkitGelu', { x: xx }, { withCdf: true } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([xx, cdf]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.engine().runKernel('LlmkitGeluGrad', { x: saved[0], cdf: saved[1], dy }) as tf.Tensor;
    return { value: y, gradFunc };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc)(x);
}

/** Hyperparameters of one {@link adamwUpdate} (float64, as PyTorch's Python floats). */
export interface AdamWUpdateOptions {
  lr: number;
  beta1: number;
  beta2: number;
  eps: number;
  weightDecay: number;
  /** The parameter's step count, already incremented (1 at the first update). */
  step: number;
}

/** The composed AdamW update without AMSGrad: PyTorch's `_single_tensor_adam` float32 ops in order. */
function composedAdamW(param: tf.Tensor, grad: tf.Tensor, expAvg: tf.Tensor, expAvgSq: tf.Tensor, o: AdamWUpdateOptions) {
  return tf.tidy(() => {
    let p: tf.Tensor = param;
    if (o.weightDecay !== 0) p = tf.mul(p, 1 - o.lr * o.weightDecay); // param.mul_(1 - lr * weight_decay)
    // exp_avg.lerp_(grad, 1 - beta1): weight < 0.5, so exp_avg + w * (grad - exp_avg)
    const nextExpAvg = tf.add(expAvg, tf.mul(1 - o.beta1, tf.sub(grad, expAvg)));
    // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=1 - beta2)
    const nextExpAvgSq = tf.add(tf.mul(expAvgSq, o.beta2), tf.mul(tf.mul(1 - o.beta2, grad), grad));
    const stepSize = o.lr / (1 - o.beta1 ** o.step);
    const biasCorrection2Sqrt = Math.sqrt(1 - o.beta2 ** o.step);
    // denom = (exp_avg_sq.sqrt() / bias_correction2_sqrt).add_(eps)
    const denom = tf.add(tf.div(tf.sqrt(nextExpAvgSq), biasCorrection2Sqrt), o.eps);
    // param.addcdiv_(exp_avg, denom, value=-step_size): param + (value * exp_avg) / denom
    const nextParam = tf.add(p, tf.div(tf.mul(-stepSize, nextExpAvg), denom));
    return { param: nextParam, expAvg: nextExpAvg, expAvgSq: nextExpAvgSq };
  });
}

/**
 * One AdamW update (decoupled weight decay, bias correction, eps outside the root, no AMSGrad) of
 * a parameter, as `torch.optim.AdamW`'s float32 arithmetic: returns new tensors for the parameter
 * and both moments (the caller assigns them). On wasm one fused kernel, bit-identical to the
 * composed ops that run elsewhere.
 * @param param [...] float32
 * @param grad same shape
 * @param expAvg same shape, the first moment
 * @param expAvgSq same shape, the second moment
 * @param options hyperparameters and the (incremented) step
 * @returns `{ param, expAvg, expAvgSq }`, new tensors
 * @throws {InvalidArgumentError} `invalid_argument` for non-float32 inputs or a step < 1.
 * @throws {ShapeMismatchError} `shape_mismatch` when the shapes differ.
 * @example
 * const next = adamwUpdate(p, g, m, v, { lr: 1e-3, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0.01, step: 1 });
 */
export function adamwUpdate(
  param: tf.Tensor,
  grad: tf.Tensor,
  expAvg: tf.Tensor,
  expAvgSq: tf.Tensor,
  options: AdamWUpdateOptions,
): { param: tf.Tensor; expAvg: tf.Tensor; expAvgSq: tf.Tensor } {
  const named: [tf.Tensor, string][] = [[param, 'param'], [grad, 'grad'], [expAvg, 'expAvg'], [expAvgSq, 'expAvgSq']];
  for (const [t, name] of named) {
    checkFloatTensor(t, `adamwUpdate(${name})`);
    if (!tf.util.arraysEqual(t.shape, param.shape)) {
      throw new ShapeMismatchError(`adamwUpdate: ${name} has shape [${t.shape}] but param has [${param.shape}]; all four must match.`);
    }
  }
  if (!Number.isInteger(options.step) || options.step < 1) {
    throw new InvalidArgumentError(`adamwUpdate: step must be an integer >= 1 (incremented before the update), got ${String(options.step)}.`);
  }
  if (!fused()) return composedAdamW(param, grad, expAvg, expAvgSq, options);
  const { lr, beta1, beta2, eps, weightDecay, step } = options;
  // The float64 scalars of the composed path; the kernel takes them as float32 like tfjs scalar tensors.
  const attrs = {
    decay: weightDecay !== 0,
    decayF: 1 - lr * weightDecay,
    omb1: 1 - beta1,
    beta2,
    omb2: 1 - beta2,
    bc2Sqrt: Math.sqrt(1 - beta2 ** step),
    eps,
    negStep: -(lr / (1 - beta1 ** step)),
  };
  const [p, m, v] = tf.engine().runKernel('LlmkitAdamW', { param, grad, expAvg, expAvgSq }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { param: p, expAvg: m, expAvgSq: v };
}

/** Options of {@link causalSoftmax}. */
export interface CausalSoftmaxOptions {
  /** Multiplies the scores before the softmax (1/sqrt(headDim) for raw q k^T). Default 1. */
  scale?: number;
  /**
   * Row i attends keys j <= i + offset: 0 (default) is torch's top-left `is_causal`, `tk - tq` the
   * bottom-right mask of cached decoding. Must be >= 0, so every row attends at least key 0.
   */
  offset?: number;
}

/** The composed causal softmax: s * scale + (0 / -Infinity) bias, then tf.softmax. */
function composedCausalSoftmax(scores: tf.Tensor, scale: number, offset: number): tf.Tensor {
  return tf.tidy(() => {
    const [tq, tk] = scores.shape.slice(-2);
    const rows = tf.reshape(tf.range(0, tq, 1, 'int32'), [tq, 1]);
    const cols = tf.reshape(tf.range(0, tk, 1, 'int32'), [1, tk]);
    const bias = tf.where(tf.greater(cols, tf.add(rows, offset)), tf.fill([tq, tk], -Infinity), tf.zeros([tq, tk]));
    return tf.softmax(tf.add(scale === 1 ? scores : tf.mul(scores, scale), bias));
  });
}

/**
 * Causal attention probabilities `softmax(scores * scale + causal mask)` over the last dim of
 * scores [..., tq, tk], where row i attends keys j <= i + offset (masked keys get probability 0,
 * as with an additive -Infinity or -1e9 mask). Differentiable on every backend (on wasm one fused
 * kernel each way instead of ~3 forward and ~6 backward tfjs kernels).
 * @param scores [..., tq, tk] float32, rank >= 2
 * @param options scale (default 1) and offset (default 0, top-left causal)
 * @returns same shape as scores
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float32 input, a non-finite scale or a negative / non-integer offset.
 * @throws {ShapeMismatchError} `shape_mismatch` for scores of rank < 2.
 * @example
 * causalSoftmax(tf.tensor2d([[1, 2], [1, 2]])); // [[1, 0], [0.2689, 0.7311]]
 */
export function causalSoftmax(scores: tf.Tensor, options: CausalSoftmaxOptions = {}): tf.Tensor {
  checkFloatTensor(scores, 'causalSoftmax(scores)');
  if (scores.rank < 2) {
    throw new ShapeMismatchError(`causalSoftmax(scores) must be [..., tq, tk] (rank >= 2), got shape [${scores.shape}].`);
  }
  const scale = options.scale ?? 1;
  const offset = options.offset ?? 0;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) {
    throw new InvalidArgumentError(`causalSoftmax: options.scale must be a finite number, got ${String(scale)}.`);
  }
  if (!Number.isInteger(offset) || offset < 0) {
    throw new InvalidArgumentError(
      `causalSoftmax: options.offset must be an integer >= 0 (0: top-left causal, tk - tq: bottom-right), got ${String(offset)}.`,
    );
  }
  if (!fused()) return composedCausalSoftmax(scores, scale, offset);
  const attrs = { scale, offset } as unknown as tf.NamedAttrMap;
  if (!recording()) return tf.engine().runKernel('LlmkitCausalSoftmax', { scores }, attrs) as tf.Tensor;
  const forward = (s: tf.Tensor, save: tf.GradSaveFunc) => {
    const p = tf.engine().runKernel('LlmkitCausalSoftmax', { scores: s }, attrs) as tf.Tensor;
    save([p]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.engine().runKernel('LlmkitCausalSoftmaxGrad', { probs: saved[0], dy }, attrs) as tf.Tensor;
    return { value: p, gradFunc };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc)(scores);
}

const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/** The composed tanh GELU (core's `gelu(x, 'tanh')` ops). */
function composedGeluTanh(x: tf.Tensor): tf.Tensor {
  return tf.tidy(() => {
    const inner = tf.mul(SQRT_2_OVER_PI, tf.add(x, tf.mul(0.044715, tf.mul(tf.square(x), x))));
    return tf.mul(tf.mul(x, 0.5), tf.add(1, tf.tanh(inner)));
  });
}

/**
 * tanh GELU, `0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))` (`gelu_new`, torch's
 * `gelu(x, approximate='tanh')`), differentiable on every backend (on wasm one fused kernel each way).
 * @param x [...] float32
 * @returns same shape
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float32 x.
 * @example
 * geluTanh(tf.tensor1d([-1, 0, 1])); // [-0.1588, 0, 0.8412]
 */
export function geluTanh(x: tf.Tensor): tf.Tensor {
  checkFloatTensor(x, 'geluTanh(x)');
  if (!fused()) return composedGeluTanh(x);
  if (!recording()) {
    return (tf.engine().runKernel('LlmkitGeluTanh', { x }, { withTanh: false } as unknown as tf.NamedAttrMap) as tf.Tensor[])[0];
  }
  const forward = (xx: tf.Tensor, save: tf.GradSaveFunc) => {
    const [y, t] = tf.engine().runKernel('LlmkitGeluTanh', { x: xx }, { withTanh: true } as unknown as tf.NamedAttrMap) as tf.Tensor[];
    save([xx, t]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.engine().runKernel('LlmkitGeluTanhGrad', { x: saved[0], t: saved[1], dy }) as tf.Tensor;
    return { value: y, gradFunc };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc)(x);
}

/**
 * The sum of squares of each tensor, as one [N] float32 tensor (not differentiable). On wasm one
 * kernel for all N (each sum accumulated in float64, then rounded); elsewhere Square + Sum per tensor.
 * @param tensors float32 tensors of any shapes
 * @returns [N] float32
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float32 or disposed tensor.
 * @example
 * sumSquares([tf.tensor1d([3, 4]), tf.tensor1d([1])]); // [25, 1]
 */
export function sumSquares(tensors: tf.Tensor[]): tf.Tensor1D {
  if (!Array.isArray(tensors)) throw new InvalidArgumentError('sumSquares(tensors) must be an array of tf.Tensor.');
  tensors.forEach((t, i) => {
    checkFloatTensor(t, `sumSquares(tensors[${i}])`);
    if (t.isDisposed) throw new InvalidArgumentError(`sumSquares(tensors[${i}]) is disposed.`);
  });
  if (tensors.length === 0) return tf.tensor1d([], 'float32');
  if (!fused()) return tf.tidy(() => tf.stack(tensors.map((t) => tf.sum(tf.square(t))))) as tf.Tensor1D;
  const inputs: tf.NamedTensorMap = {};
  tensors.forEach((t, i) => (inputs[String(i)] = t));
  return tf.engine().runKernel('LlmkitSumSquares', inputs) as tf.Tensor1D;
}

/** Options of {@link fusedCrossEntropy} (as core's `crossEntropy`). */
export interface FusedCrossEntropyOptions {
  ignoreIndex: number;
  labelSmoothing: number;
  reduction: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy of logits [M, C] with int32 targets [M] as one fused kernel each way on wasm
 * (differentiable w.r.t. the logits), or undefined when the fused kernels cannot run (then core's
 * `crossEntropy` runs its composed ops). Inputs are assumed validated by `crossEntropy` (targets in
 * [0, C) or ignoreIndex).
 * @internal
 */
export function fusedCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D, options: FusedCrossEntropyOptions): tf.Tensor | undefined {
  if (!fused() || logits.dtype !== 'float32' || targets.dtype !== 'int32') return undefined;
  const attrs = { ...options } as unknown as tf.NamedAttrMap;
  if (!recording()) {
    const [loss, lse] = tf.engine().runKernel('LlmkitCrossEntropy', { logits, targets }, attrs) as tf.Tensor[];
    lse.dispose();
    return loss;
  }
  const forward = (x: tf.Tensor, save: tf.GradSaveFunc) => {
    const [loss, lse] = tf.engine().runKernel('LlmkitCrossEntropy', { logits: x, targets }, attrs) as tf.Tensor[];
    save([x, lse, targets]);
    const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.engine().runKernel('LlmkitCrossEntropyGrad', { logits: saved[0], lse: saved[1], targets: saved[2], dy }, attrs) as tf.Tensor;
    return { value: loss, gradFunc };
  };
  return tf.customGrad(forward as unknown as CustomGradientFunc)(logits);
}
