/**
 * Scaled dot-product attention with the semantics of
 * `torch.nn.functional.scaled_dot_product_attention` (bool mask true = attend,
 * float mask added to the scores, top-left `is_causal`, `scale`, `enable_gqa`,
 * dropout on the probabilities), except that a query row whose keys are all
 * masked gives zeros (torch gives NaN).
 */
import { causalSoftmax, dropout, tf, type Rng } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { causalMask } from './masks.js';

/** Options of {@link scaledDotProductAttention} (and memoryEfficientAttention). */
export interface SdpaOptions {
  /** bool (true = attend, torch semantics) or float additive mask, broadcastable to [B, H, Tq, Tk]. */
  mask?: tf.Tensor;
  /**
   * torch is_causal (top-left aligned tril(ones(Tq, Tk))). For cached decoding use causalMask(tq, tk) (bottom-right).
   * Unlike torch, `causal` may be combined with `mask` (both apply).
   */
  causal?: boolean;
  /** default 1/sqrt(headDim) */
  scale?: number;
  /** dropout on attention probabilities (applied only when > 0); needs rng or uses the default RNG */
  dropout?: number;
  rng?: Rng;
  /** k/v have Hkv heads, H % Hkv === 0: each kv head serves H/Hkv query heads (torch enable_gqa / repeat_interleave) */
  enableGqa?: boolean;
}

/** Validated shapes and options shared by the naive and the memory-efficient path. @internal */
export interface AttentionPlan {
  b: number;
  h: number;
  hkv: number;
  /** query heads per kv head (H / Hkv) */
  group: number;
  tq: number;
  tk: number;
  d: number;
  dv: number;
  scale: number;
  causal: boolean;
  /** bool mask, true = attend, rank 4 broadcastable to [B, H, Tq, Tk] */
  boolMask?: tf.Tensor;
  /** float additive mask, rank 4 broadcastable to [B, H, Tq, Tk] */
  floatMask?: tf.Tensor;
  dropout: number;
  rng?: Rng;
}

function checkQkv(x: unknown, name: string, what: string): asserts x is tf.Tensor4D {
  if (!(x instanceof tf.Tensor)) {
    throw new InvalidArgumentError(`${what}(${name}) must be a tf.Tensor, got ${x === null ? 'null' : typeof x}.`);
  }
  if (x.rank !== 4) {
    throw new ShapeMismatchError(
      `${what}(${name}) must be [batch, heads, seq, headDim], got shape [${x.shape}]; split heads with reshape + transpose first.`,
    );
  }
  if (x.dtype !== 'float32') {
    throw new InvalidArgumentError(`${what}(${name}) must be float32, got dtype ${x.dtype}; cast it with tf.cast(${name}, 'float32').`);
  }
}

/**
 * Validate q/k/v and the options (shared with memoryEfficientAttention).
 * The returned masks are reshaped (not copied) to rank 4.
 * @internal
 */
export function planAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, options: SdpaOptions, what: string): AttentionPlan {
  checkQkv(q, 'q', what);
  checkQkv(k, 'k', what);
  checkQkv(v, 'v', what);
  const [b, h, tq, d] = q.shape;
  const [bk, hkv, tk, dk] = k.shape;
  const [bv, hv, tv, dv] = v.shape;
  if (bk !== b || bv !== b) {
    throw new ShapeMismatchError(`${what}: batch sizes differ: q [${q.shape}], k [${k.shape}], v [${v.shape}]; q, k and v need the same batch dim.`);
  }
  if (dk !== d) {
    throw new ShapeMismatchError(`${what}: q head dim ${d} (shape [${q.shape}]) differs from k head dim ${dk} (shape [${k.shape}]).`);
  }
  if (hv !== hkv || tv !== tk) {
    throw new ShapeMismatchError(`${what}: k [${k.shape}] and v [${v.shape}] must have the same heads and length (dims 1 and 2).`);
  }
  const enableGqa = options.enableGqa ?? false;
  if (hkv !== h) {
    if (!enableGqa) {
      throw new ShapeMismatchError(
        `${what}: q has ${h} heads but k/v have ${hkv}; pass enableGqa: true for grouped-query attention or repeat the kv heads.`,
      );
    }
    if (hkv === 0 || h % hkv !== 0) {
      throw new ShapeMismatchError(`${what}: with enableGqa the query heads (${h}) must be a multiple of the kv heads (${hkv}).`);
    }
  }
  const scale = options.scale ?? 1 / Math.sqrt(d);
  if (typeof scale !== 'number' || !Number.isFinite(scale)) {
    throw new InvalidArgumentError(`${what}: options.scale must be a finite number (default 1/sqrt(headDim)), got ${String(scale)}.`);
  }
  const p = options.dropout ?? 0;
  if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
    throw new InvalidArgumentError(`${what}: options.dropout must be a probability in [0, 1), got ${String(p)}.`);
  }
  const plan: AttentionPlan = {
    b, h, hkv, group: h / hkv, tq, tk, d, dv, scale, causal: options.causal ?? false, dropout: p, rng: options.rng,
  };
  const mask = options.mask;
  if (mask !== undefined) {
    if (!(mask instanceof tf.Tensor)) {
      throw new InvalidArgumentError(`${what}: options.mask must be a bool or float32 tf.Tensor, got ${mask === null ? 'null' : typeof mask}.`);
    }
    if (mask.dtype !== 'bool' && mask.dtype !== 'float32') {
      throw new InvalidArgumentError(
        `${what}: options.mask must be bool (true = attend) or float32 (added to the scores), got dtype ${mask.dtype}; ` +
          `for a 0/1 int mask use tf.cast(mask, 'bool').`,
      );
    }
    const target = [b, h, tq, tk];
    const fits = mask.rank <= 4 && mask.shape.every((dim, i) => dim === 1 || dim === target[4 - mask.rank + i]);
    if (!fits) {
      throw new ShapeMismatchError(`${what}: options.mask of shape [${mask.shape}] does not broadcast to [batch, heads, Tq, Tk] = [${target}].`);
    }
    const shape4 = [...Array(4 - mask.rank).fill(1), ...mask.shape];
    if (mask.dtype === 'bool') plan.boolMask = mask.rank === 4 ? mask : tf.reshape(mask, shape4);
    else plan.floatMask = mask.rank === 4 ? mask : tf.reshape(mask, shape4);
  }
  return plan;
}

/** Query-major scores q k^T * scale in [B, H, Tq, Tk] layout (GQA without copying k). @internal */
export function attentionScores(q: tf.Tensor, k: tf.Tensor, plan: AttentionPlan, tk: number): tf.Tensor4D {
  const { b, h, hkv, group, tq, d, scale } = plan;
  const qg = tf.reshape(tf.mul(q, scale), [b, hkv, group * tq, d]);
  return tf.reshape(tf.matMul(qg, k, false, true), [b, h, tq, tk]) as tf.Tensor4D;
}

/** probs [B, H, Tq, Tk'] times v [B, Hkv, Tk', Dv] -> [B, H, Tq, Dv]. @internal */
export function attentionValues(probs: tf.Tensor, v: tf.Tensor, plan: AttentionPlan, tk: number): tf.Tensor4D {
  const { b, h, hkv, group, tq, dv } = plan;
  return tf.reshape(tf.matMul(tf.reshape(probs, [b, hkv, group * tq, tk]), v), [b, h, tq, dv]) as tf.Tensor4D;
}

/** Columns [c0, c1) of a rank-4 mask whose last dim is Tk (or 1, broadcast). @internal */
export function maskColumns(mask: tf.Tensor, c0: number, c1: number): tf.Tensor {
  if (mask.shape[3] === 1 || (c0 === 0 && c1 === mask.shape[3])) return mask;
  return tf.slice(mask, [0, 0, 0, c0], [-1, -1, -1, c1 - c0]);
}

/**
 * Apply the plan's masks to scores [B, H, Tq, c1 - c0] for key columns [c0, c1):
 * the bool masks become an additive bias (0 or -Infinity) at the mask's own
 * (broadcast) shape, the float mask is added to it, and one broadcasting add
 * applies the bias to the scores (no full-size copy of the masks).
 * @internal
 */
export function applyMasks(scores: tf.Tensor, plan: AttentionPlan, c0: number, c1: number): tf.Tensor {
  let keep: tf.Tensor | undefined;
  if (plan.causal) keep = causalMask(plan.tq, c1 - c0, { offset: -c0 }); // top-left: key j <= query i
  if (plan.boolMask) {
    const m = maskColumns(plan.boolMask, c0, c1);
    keep = keep ? tf.logicalAnd(keep, m) : m;
  }
  // log(1) = 0 keeps, log(0) = -Infinity masks; computed at the mask's shape (tf.where would tile its scalars)
  let bias = keep ? tf.log(tf.cast(keep, 'float32')) : undefined;
  if (plan.floatMask) {
    const f = maskColumns(plan.floatMask, c0, c1);
    bias = bias ? tf.add(bias, f) : f;
  }
  return bias ? tf.add(scores, bias) : scores;
}

/**
 * Softmax over the last axis that maps a row of all -Infinity to zeros (not NaN),
 * with the analytic gradient dS = P * (dP - sum(dP * P)).
 */
const maskedSoftmax = tf.customGrad(((s: tf.Tensor, save: tf.GradSaveFunc) => {
  const m = tf.max(s, -1, true);
  const mSafe = tf.where(tf.equal(m, -Infinity), tf.zerosLike(m), m);
  const e = tf.exp(tf.sub(s, mSafe));
  const l = tf.sum(e, -1, true);
  const p = tf.div(e, tf.where(tf.greater(l, 0), l, tf.onesLike(l)));
  save([p]);
  return {
    value: p,
    gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
      tf.tidy(() => {
        const [probs] = saved;
        return tf.mul(probs, tf.sub(dy, tf.sum(tf.mul(dy, probs), -1, true)));
      }),
  };
}) as unknown as Parameters<typeof tf.customGrad>[0]) as (s: tf.Tensor) => tf.Tensor;

/**
 * Scaled dot-product attention, `softmax(q k^T * scale + mask) v`, as
 * `torch.nn.functional.scaled_dot_product_attention`:
 * - a bool `mask` keeps the entries that are `true`; a float mask is added to the scores;
 * - `causal` is torch's top-left `is_causal` (`tril(ones(Tq, Tk))`); for cached decoding with
 *   `Tq < Tk` pass `mask: causalMask(tq, tk)` (bottom-right) instead;
 * - `enableGqa`: k/v with `Hkv` heads serve `H / Hkv` consecutive query heads each
 *   (torch `repeat_interleave`), computed without copying k/v;
 * - `dropout` zeroes probabilities with the core {@link Rng} (seeded, same on every backend).
 *
 * Differences from torch: a query row with every key masked gives zeros instead of NaN
 * (its gradient is zero too), and `causal` may be combined with `mask`.
 * Differentiable w.r.t. q, k, v (and a float mask).
 *
 * @param q [B, H, Tq, D] float32
 * @param k [B, Hkv, Tk, D] float32 (Hkv = H unless `enableGqa`)
 * @param v [B, Hkv, Tk, Dv] float32
 * @param options mask, causal, scale (default 1/sqrt(D)), dropout, rng, enableGqa
 * @returns [B, H, Tq, Dv]
 * @throws {ShapeMismatchError} `shape_mismatch` for inconsistent shapes or a mask that does not broadcast.
 * @throws {InvalidArgumentError} `invalid_argument` for non-float inputs, a bad mask dtype, scale or dropout.
 * @example
 * const q = tf.randomNormal([1, 4, 8, 16]) as tf.Tensor4D;
 * const k = tf.randomNormal([1, 2, 8, 16]) as tf.Tensor4D;
 * const v = tf.randomNormal([1, 2, 8, 16]) as tf.Tensor4D;
 * const y = scaledDotProductAttention(q, k, v, { causal: true, enableGqa: true }); // [1, 4, 8, 16]
 */
export function scaledDotProductAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, options: SdpaOptions = {}): tf.Tensor4D {
  return tf.tidy(() => {
    const plan = planAttention(q, k, v, options, 'scaledDotProductAttention');
    const scores = attentionScores(q, k, plan, plan.tk);
    // causal alone: core's causalSoftmax (top-left, offset 0; on wasm one fused kernel each way);
    // every row attends key 0, so it equals maskedSoftmax(applyMasks(...)) there.
    let probs = plan.causal && !plan.boolMask && !plan.floatMask
      ? causalSoftmax(scores)
      : maskedSoftmax(applyMasks(scores, plan, 0, plan.tk));
    if (plan.dropout > 0) probs = dropout(probs, plan.dropout, { rng: plan.rng });
    return attentionValues(probs, v, plan, plan.tk);
  });
}
