/**
 * Memory-efficient attention: the keys are processed in chunks with an online
 * softmax (running max `m`, running sum `l`, rescaled accumulator), so no
 * [Tq, Tk] score matrix is ever materialised. The custom gradient stores only
 * the output and the row log-sum-exp and recomputes each chunk's probabilities
 * in the backward pass (FlashAttention-2 style), so training memory is also
 * O(Tq x chunkSize) per batch-head instead of O(Tq x Tk).
 */
import { tf } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';
import {
  applyMasks,
  attentionScores,
  attentionValues,
  planAttention,
  type AttentionPlan,
  type SdpaOptions,
} from './sdpa.js';

/** Options of {@link memoryEfficientAttention}. */
export interface MemoryEfficientAttentionOptions extends SdpaOptions {
  /** Keys per chunk. Default 256. Memory of the scores is O(Tq x chunkSize) per batch-head. */
  chunkSize?: number;
}

/** Default number of keys per chunk. */
export const DEFAULT_ATTENTION_CHUNK_SIZE = 256;

type CustomGradientFunc = Parameters<typeof tf.customGrad>[0];

function sliceKeys(x: tf.Tensor, c0: number, c1: number): tf.Tensor {
  return tf.slice(x, [0, 0, c0, 0], [-1, -1, c1 - c0, -1]);
}

/** Masked scores [B, H, Tq, c1 - c0] of key chunk [c0, c1). */
function chunkScores(q: tf.Tensor, k: tf.Tensor, plan: AttentionPlan, c0: number, c1: number): tf.Tensor {
  return applyMasks(attentionScores(q, sliceKeys(k, c0, c1), plan, c1 - c0), plan, c0, c1);
}

/** With top-left causal masking, key chunks that start after the last query are fully masked. */
function chunkIsMasked(plan: AttentionPlan, c0: number): boolean {
  return plan.causal && c0 > plan.tq - 1;
}

/**
 * Scaled dot-product attention computed over key chunks with an online softmax:
 * the same contract and result as {@link scaledDotProductAttention} (masks,
 * `causal`, `scale`, `enableGqa`; fully masked rows give zeros) to float32
 * round-off, with memory O(Tq x chunkSize) per batch-head for the forward pass
 * and for the gradient (a custom gradient that recomputes every chunk).
 *
 * Differences from the naive path: `dropout > 0` is rejected, and no gradient
 * flows into a float `mask` (it is treated as a constant).
 *
 * @param q [B, H, Tq, D] float32
 * @param k [B, Hkv, Tk, D] float32 (Hkv = H unless `enableGqa`)
 * @param v [B, Hkv, Tk, Dv] float32
 * @param options {@link SdpaOptions} plus `chunkSize` (keys per chunk, default 256)
 * @returns [B, H, Tq, Dv]
 * @throws {ShapeMismatchError} `shape_mismatch` for inconsistent shapes or a mask that does not broadcast.
 * @throws {InvalidArgumentError} `invalid_argument` for dropout > 0, a bad chunkSize, mask dtype or scale.
 * @example
 * const q = tf.randomNormal([1, 8, 2048, 64]) as tf.Tensor4D;
 * const k = tf.randomNormal([1, 8, 2048, 64]) as tf.Tensor4D;
 * const v = tf.randomNormal([1, 8, 2048, 64]) as tf.Tensor4D;
 * const y = memoryEfficientAttention(q, k, v, { causal: true, chunkSize: 256 }); // [1, 8, 2048, 64]
 */
export function memoryEfficientAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  options: MemoryEfficientAttentionOptions = {},
): tf.Tensor4D {
  const what = 'memoryEfficientAttention';
  const chunkSize = options.chunkSize ?? DEFAULT_ATTENTION_CHUNK_SIZE;
  if (!Number.isInteger(chunkSize) || chunkSize < 1) {
    throw new InvalidArgumentError(`${what}: options.chunkSize must be a positive integer (keys per chunk), got ${String(chunkSize)}.`);
  }
  if ((options.dropout ?? 0) !== 0) {
    throw new InvalidArgumentError(
      `${what}: attention dropout is not supported (got dropout ${String(options.dropout)}); use scaledDotProductAttention for dropout, ` +
        `or set dropout to 0.`,
    );
  }
  return tf.tidy(() => {
    const plan = planAttention(q, k, v, options, what);
    const fn = tf.customGrad(((qi: tf.Tensor, ki: tf.Tensor, vi: tf.Tensor, save: tf.GradSaveFunc) => {
      const { out, lse } = forward(qi, ki, vi, plan, chunkSize);
      // masks are saved too: the plan's reshaped masks are disposed when this call returns
      const masks = [plan.boolMask, plan.floatMask].filter((m): m is tf.Tensor => m !== undefined);
      save([qi, ki, vi, out, lse, ...masks]);
      return {
        value: out,
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [sq, sk, sv, so, slse, ...savedMasks] = saved;
          const p: AttentionPlan = { ...plan };
          if (plan.boolMask) p.boolMask = savedMasks.shift();
          if (plan.floatMask) p.floatMask = savedMasks.shift();
          return backward(dy, sq, sk, sv, so, slse, p, chunkSize);
        },
      };
    }) as unknown as CustomGradientFunc) as (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => tf.Tensor;
    return fn(q, k, v) as tf.Tensor4D;
  });
}

/** Online-softmax forward: output [B, H, Tq, Dv] and row log-sum-exp [B, H, Tq, 1] (+Infinity for fully masked rows). */
function forward(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor, plan: AttentionPlan, chunkSize: number): { out: tf.Tensor; lse: tf.Tensor } {
  const { b, h, tq, tk, dv } = plan;
  let m: tf.Tensor = tf.fill([b, h, tq, 1], -Infinity);
  let l: tf.Tensor = tf.zeros([b, h, tq, 1]);
  let acc: tf.Tensor = tf.zeros([b, h, tq, dv]);
  for (let c0 = 0; c0 < tk; c0 += chunkSize) {
    if (chunkIsMasked(plan, c0)) break;
    const c1 = Math.min(tk, c0 + chunkSize);
    const [m2, l2, acc2] = tf.tidy(() => {
      // chunk-sized [B, H, Tq, c] buffers are disposed as soon as they are used, so at most two are live
      const s = tf.tidy(() => chunkScores(q, k, plan, c0, c1));
      const mNew = tf.maximum(m, tf.max(s, -1, true));
      // a row with no unmasked key so far keeps m = -inf; shift by 0 there so exp gives 0, not NaN
      const mSafe = tf.where(tf.equal(mNew, -Infinity), tf.zerosLike(mNew), mNew);
      const alpha = tf.exp(tf.sub(m, mSafe));
      const p = tf.tidy(() => tf.exp(tf.sub(s, mSafe)));
      s.dispose();
      const lNew = tf.add(tf.mul(alpha, l), tf.sum(p, -1, true));
      const pv = tf.tidy(() => attentionValues(p, sliceKeys(v, c0, c1), plan, c1 - c0));
      p.dispose();
      const accNew = tf.add(tf.mul(alpha, acc), pv);
      return [mNew, lNew, accNew];
    });
    tf.dispose([m, l, acc]);
    m = m2;
    l = l2;
    acc = acc2;
  }
  const result = tf.tidy(() => {
    const live = tf.greater(l, 0);
    const out = tf.div(acc, tf.where(live, l, tf.onesLike(l)));
    const lse = tf.where(live, tf.add(m, tf.log(tf.where(live, l, tf.onesLike(l)))), tf.fill(l.shape, Infinity));
    return { out, lse };
  });
  tf.dispose([m, l, acc]);
  return result;
}

/**
 * FlashAttention-2 backward, chunk by chunk: P = exp(S - lse), dV = P^T dO,
 * dP = dO V^T, dS = P * (dP - rowsum(dO * O)), dQ = scale dS K, dK = scale dS^T Q.
 */
function backward(
  dO: tf.Tensor,
  q: tf.Tensor,
  k: tf.Tensor,
  v: tf.Tensor,
  out: tf.Tensor,
  lse: tf.Tensor,
  plan: AttentionPlan,
  chunkSize: number,
): tf.Tensor[] {
  const { b, hkv, group, tq, tk, d, dv, scale } = plan;
  const rows = group * tq;
  const delta = tf.tidy(() => tf.sum(tf.mul(dO, out), -1, true));
  const dOg = tf.reshape(dO, [b, hkv, rows, dv]);
  const qg = tf.reshape(q, [b, hkv, rows, d]);
  let dQ: tf.Tensor = tf.zeros(q.shape);
  const dKs: tf.Tensor[] = [];
  const dVs: tf.Tensor[] = [];
  for (let c0 = 0; c0 < tk; c0 += chunkSize) {
    const c1 = Math.min(tk, c0 + chunkSize);
    const c = c1 - c0;
    if (chunkIsMasked(plan, c0)) {
      dKs.push(tf.zeros([b, hkv, c, d]));
      dVs.push(tf.zeros([b, hkv, c, dv]));
      continue;
    }
    const [dQ2, dKc, dVc] = tf.tidy(() => {
      // chunk-sized [B, H, Tq, c] buffers are disposed as soon as they are used
      const kc = sliceKeys(k, c0, c1);
      const vc = sliceKeys(v, c0, c1);
      const p = tf.tidy(() => tf.exp(tf.sub(chunkScores(q, k, plan, c0, c1), lse))); // [B, H, Tq, c]
      const dVc = tf.tidy(() => tf.matMul(tf.reshape(p, [b, hkv, rows, c]), dOg, true, false)); // [B, Hkv, c, Dv], sums each group's query heads
      const dS = tf.tidy(() => {
        const dP = tf.reshape(tf.matMul(dOg, vc, false, true), p.shape);
        return tf.reshape(tf.mul(p, tf.sub(dP, delta)), [b, hkv, rows, c]);
      });
      p.dispose();
      const dQc = tf.tidy(() => tf.reshape(tf.mul(tf.matMul(dS, kc), scale), q.shape));
      const dKc = tf.tidy(() => tf.mul(tf.matMul(dS, qg, true, false), scale)); // [B, Hkv, c, D]
      dS.dispose();
      return [tf.add(dQ, dQc), dKc, dVc];
    });
    dQ.dispose();
    dQ = dQ2;
    dKs.push(dKc);
    dVs.push(dVc);
  }
  const dK = dKs.length === 1 ? dKs[0] : tf.concat(dKs, 2);
  const dV = dVs.length === 1 ? dVs[0] : tf.concat(dVs, 2);
  if (dKs.length > 1) tf.dispose([...dKs, ...dVs]);
  tf.dispose([delta, dOg, qg]);
  return [dQ, dK, dV];
}
