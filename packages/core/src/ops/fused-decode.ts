/**
 * Fused ops for cached decoding (one new token per sequence) of Llama-family decoders: RMSNorm, residual
 * add + RMSNorm, the SwiGLU gate, RoPE on the q/k heads of one token, and single-query attention over a
 * KV cache.
 *
 * On the tfjs `wasm` backend with core's SIMD module loaded, each is one call of an llmkit kernel
 * (`LlmkitRmsNorm`, ..., see src/backend/wasm-kernels/ and wasm/kernels/decode.c) instead of 3 to 20
 * tfjs kernels: in decoding of a small model the tfjs dispatch per kernel costs more than its
 * arithmetic. Everywhere else (cpu, tfjs-node, `LLMKIT_WASM_SIMD=0`, kernel fixes not installed, inside
 * a gradient tape, or with `fusedDecodeKernels.enabled = false`) the same function runs the composed
 * tfjs ops, so results agree up to float32 summation order and the ops stay differentiable.
 */
import { tf } from '../tf.js';
import { InvalidArgumentError, ShapeMismatchError } from '../errors/index.js';
import { simdKernels } from '../backend/wasm-kernels/simd-module.js';
import { wasmKernelFixesInstalled } from '../backend/wasm-fixes.js';
import { matMulKernelInUse } from '../backend/wasm-kernels/matmul-core.js';
import type { WasmBackend } from '../backend/wasm-kernels/wasm-heap.js';

/**
 * Switch for the fused kernels (tests and benchmarks compare both paths in one process): with
 * `enabled = false` every op here runs its composed tfjs ops.
 * @example
 * fusedDecodeKernels.enabled = false; // composed tfjs ops everywhere
 */
export const fusedDecodeKernels = { enabled: true };

/**
 * Whether the llmkit kernels can run now: wasm backend with core's kernel fixes installed (they register
 * every `Llmkit*` kernel; checked through the install flag rather than a registry lookup per call) and
 * the SIMD module loaded, outside any gradient tape (custom kernels have no gradient).
 */
function fused(): boolean {
  if (!fusedDecodeKernels.enabled || !wasmKernelFixesInstalled() || tf.getBackend() !== 'wasm') return false;
  if ((tf.engine().state as unknown as { gradientDepth: number }).gradientDepth > 0) return false;
  return simdKernels(tf.backend() as unknown as WasmBackend) !== undefined;
}

/**
 * Whether the fused decode kernels run on the current backend (wasm with core's SIMD module and kernel
 * fixes, and `fusedDecodeKernels.enabled`).
 * @example
 * if (fusedDecodeAvailable()) console.log('one kernel per fused op');
 */
export function fusedDecodeAvailable(): boolean {
  return fused();
}

function checkFloatTensor(x: unknown, what: string): asserts x is tf.Tensor {
  if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError(`${what} must be a tf.Tensor.`);
  if (x.dtype !== 'float32') throw new InvalidArgumentError(`${what} must be float32, got ${x.dtype}; cast it with tf.cast(x, 'float32').`);
}

function checkEps(eps: unknown, what: string): asserts eps is number {
  if (typeof eps !== 'number' || !Number.isFinite(eps) || eps <= 0) throw new InvalidArgumentError(`${what}: eps must be a positive finite number, got ${String(eps)}.`);
}

function checkWeight(x: tf.Tensor, weight: tf.Tensor | null | undefined, what: string): void {
  if (weight === null || weight === undefined) return;
  checkFloatTensor(weight, `${what}(weight)`);
  const n = x.shape[x.rank - 1];
  if (weight.rank !== 1 || weight.shape[0] !== n) {
    throw new ShapeMismatchError(`${what}: weight must be [${n}] (the last dim of x [${x.shape}]), got [${weight.shape}].`);
  }
}

function composedRmsNorm(x: tf.Tensor, weight: tf.Tensor | null | undefined, eps: number): tf.Tensor {
  return tf.tidy(() => {
    const y = tf.mul(x, tf.rsqrt(tf.add(tf.mean(tf.square(x), -1, true), eps)));
    return weight ? tf.mul(y, weight) : y;
  });
}

/**
 * RMSNorm over the last dim: `(x * rsqrt(mean(x^2) + eps)) * weight` (as core's `RMSNorm` with one
 * normalized dim).
 * @param x [..., n] float32
 * @param weight [n], or null for none
 * @param eps added to the mean square
 * @returns same shape as x
 * @throws {InvalidArgumentError} `invalid_argument` for a non-float32 input or a bad eps.
 * @throws {ShapeMismatchError} `shape_mismatch` when weight is not [n].
 * @example
 * rmsNorm(tf.tensor2d([[1, 2, 3, 4]]), tf.ones([4]), 1e-6); // [[0.365, 0.730, 1.095, 1.461]]
 */
export function rmsNorm(x: tf.Tensor, weight: tf.Tensor | null, eps: number): tf.Tensor {
  checkFloatTensor(x, 'rmsNorm(x)');
  if (x.rank === 0) throw new ShapeMismatchError('rmsNorm(x): x must have at least one dim, got a scalar.');
  checkWeight(x, weight, 'rmsNorm');
  checkEps(eps, 'rmsNorm');
  if (!fused()) return composedRmsNorm(x, weight, eps);
  const inputs: tf.NamedTensorMap = weight ? { x, weight } : { x };
  return tf.engine().runKernel('LlmkitRmsNorm', inputs, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor;
}

/**
 * Residual add followed by RMSNorm, the seam between two pre-norm sub-blocks:
 * `sum = x + residual`, `normed = rmsNorm(sum, weight, eps)`.
 * @param x [..., n] float32
 * @param residual same shape as x
 * @param weight [n], or null
 * @returns `{ sum, normed }`, both the shape of x
 * @throws {ShapeMismatchError} `shape_mismatch` when residual or weight do not fit x.
 * @example
 * const { sum, normed } = addRmsNorm(h, attnOut, norm.weight, 1e-5);
 */
export function addRmsNorm(x: tf.Tensor, residual: tf.Tensor, weight: tf.Tensor | null, eps: number): { sum: tf.Tensor; normed: tf.Tensor } {
  checkFloatTensor(x, 'addRmsNorm(x)');
  checkFloatTensor(residual, 'addRmsNorm(residual)');
  if (x.rank === 0 || !tf.util.arraysEqual(x.shape, residual.shape)) {
    throw new ShapeMismatchError(`addRmsNorm: x [${x.shape}] and residual [${residual.shape}] must have the same (non-scalar) shape.`);
  }
  checkWeight(x, weight, 'addRmsNorm');
  checkEps(eps, 'addRmsNorm');
  if (!fused()) {
    return tf.tidy(() => {
      const sum = tf.add(x, residual);
      return { sum, normed: composedRmsNorm(sum, weight, eps) };
    });
  }
  const inputs: tf.NamedTensorMap = weight ? { x, residual, weight } : { x, residual };
  const [sum, normed] = tf.engine().runKernel('LlmkitAddRmsNorm', inputs, { eps } as unknown as tf.NamedAttrMap) as tf.Tensor[];
  return { sum, normed };
}

/**
 * The SwiGLU gate `silu(gate) * up` with `silu(g) = g * sigmoid(g)` (Llama's MLP before down_proj).
 * @param gate float32
 * @param up same shape as gate
 * @returns same shape
 * @throws {ShapeMismatchError} `shape_mismatch` when the shapes differ.
 * @example
 * siluMul(tf.tensor1d([0, 1]), tf.tensor1d([2, 2])); // [0, 1.4621]
 */
export function siluMul(gate: tf.Tensor, up: tf.Tensor): tf.Tensor {
  checkFloatTensor(gate, 'siluMul(gate)');
  checkFloatTensor(up, 'siluMul(up)');
  if (!tf.util.arraysEqual(gate.shape, up.shape)) {
    throw new ShapeMismatchError(`siluMul: gate [${gate.shape}] and up [${up.shape}] must have the same shape.`);
  }
  if (!fused()) return tf.tidy(() => tf.mul(tf.mul(gate, tf.sigmoid(gate)), up));
  return tf.engine().runKernel('LlmkitSiluMul', { gate, up }) as tf.Tensor;
}

/** Sizes of {@link ropeDecodeQkv}. */
export interface RopeDecodeQkvOptions {
  /** Query heads H. */
  nHeads: number;
  /** Key/value heads Hkv. */
  nKvHeads: number;
  /** Size of one q/k head D. */
  headDim: number;
}

/** HF apply_rotary_pos_emb on x [B, n, 1, D] with cos/sin [rd] (the features from rd on pass through). */
function composedRope(x: tf.Tensor4D, cos: tf.Tensor1D, sin: tf.Tensor1D): tf.Tensor4D {
  const D = x.shape[3];
  const rd = cos.shape[0];
  const half = rd / 2;
  const xr = rd === D ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, rd]);
  const x1 = tf.slice(xr, [0, 0, 0, 0], [-1, -1, -1, half]);
  const x2 = tf.slice(xr, [0, 0, 0, half], [-1, -1, -1, half]);
  const rotated = tf.concat([tf.neg(x2), x1], 3);
  const out = tf.add(tf.mul(xr, cos), tf.mul(rotated, sin));
  return (rd === D ? out : tf.concat([out, tf.slice(x, [0, 0, 0, rd], [-1, -1, -1, D - rd])], 3)) as tf.Tensor4D;
}

/**
 * Split the q/k/v projections of one new token per sequence into heads and apply the rotary embedding
 * (HF `rotate_half` convention, one position for every row) to q and k.
 * @param q [B, H * D] float32
 * @param k [B, Hkv * D]
 * @param v [B, Hkv * Dv]
 * @param cos [rd] (rd even, <= D): one row of `RotaryEmbedding.cosSin`
 * @param sin [rd]
 * @returns q [B, H, 1, D] and k [B, Hkv, 1, D] rotated, v [B, Hkv, 1, Dv]
 * @throws {ShapeMismatchError} `shape_mismatch` when the sizes do not fit the options.
 * @example
 * const { q, k, v } = ropeDecodeQkv(qf, kf, vf, cos, sin, { nHeads: 8, nKvHeads: 4, headDim: 32 });
 */
export function ropeDecodeQkv(
  q: tf.Tensor2D, k: tf.Tensor2D, v: tf.Tensor2D, cos: tf.Tensor1D, sin: tf.Tensor1D, options: RopeDecodeQkvOptions,
): { q: tf.Tensor4D; k: tf.Tensor4D; v: tf.Tensor4D } {
  for (const [t, name] of [[q, 'q'], [k, 'k'], [v, 'v'], [cos, 'cos'], [sin, 'sin']] as const) checkFloatTensor(t, `ropeDecodeQkv(${name})`);
  const { nHeads, nKvHeads, headDim } = options ?? ({} as RopeDecodeQkvOptions);
  for (const [value, name] of [[nHeads, 'nHeads'], [nKvHeads, 'nKvHeads'], [headDim, 'headDim']] as const) {
    if (!Number.isInteger(value) || value <= 0) throw new InvalidArgumentError(`ropeDecodeQkv: options.${name} must be a positive integer, got ${String(value)}.`);
  }
  const B = q.shape[0];
  const rd = cos.shape[0];
  if (q.rank !== 2 || q.shape[1] !== nHeads * headDim || k.rank !== 2 || k.shape[0] !== B || k.shape[1] !== nKvHeads * headDim ||
    v.rank !== 2 || v.shape[0] !== B || v.shape[1] % nKvHeads !== 0) {
    throw new ShapeMismatchError(
      `ropeDecodeQkv: expected q [B, ${nHeads * headDim}], k [B, ${nKvHeads * headDim}], v [B, ${nKvHeads} * Dv]; got q [${q.shape}], k [${k.shape}], v [${v.shape}].`,
    );
  }
  if (cos.rank !== 1 || sin.rank !== 1 || sin.shape[0] !== rd || rd % 2 !== 0 || rd <= 0 || rd > headDim) {
    throw new ShapeMismatchError(`ropeDecodeQkv: cos [${cos.shape}] and sin [${sin.shape}] must be [rd] with rd even and <= headDim ${headDim}.`);
  }
  const dv = v.shape[1] / nKvHeads;
  if (!fused()) {
    return tf.tidy(() => ({
      q: composedRope(tf.reshape(q, [B, nHeads, 1, headDim]), cos, sin),
      k: composedRope(tf.reshape(k, [B, nKvHeads, 1, headDim]), cos, sin),
      v: tf.reshape(v, [B, nKvHeads, 1, dv]) as tf.Tensor4D,
    }));
  }
  const [qo, ko, vo] = tf.engine().runKernel('LlmkitRopeHeads', { q, k, v, cos, sin }, { nHeads, nKvHeads, headDim } as unknown as tf.NamedAttrMap) as tf.Tensor4D[];
  return { q: qo, k: ko, v: vo };
}

/** Options of {@link decodeAttention}. */
export interface DecodeAttentionOptions {
  /** Score scale; default 1 / sqrt(D). */
  scale?: number;
  /** First visible key index (sliding window); default 0. */
  start?: number;
}

/**
 * Attention of one query per sequence and head over all cached keys/values (no mask beyond `start`),
 * grouped-query aware: query head i uses kv head `floor(i / (H / Hkv))` (torch `repeat_interleave`).
 * `softmax((q * scale) k^T) v` for keys `start .. Tk - 1`, heads merged.
 * @param q [B, H, 1, D] float32
 * @param k [B, Hkv, Tk, D]
 * @param v [B, Hkv, Tk, Dv]
 * @returns [B, H * Dv]
 * @throws {ShapeMismatchError} `shape_mismatch` for inconsistent shapes or H not a multiple of Hkv.
 * @throws {InvalidArgumentError} `invalid_argument` for a bad scale or start.
 * @example
 * const attended = decodeAttention(q, cachedK, cachedV); // [1, H * D]
 */
export function decodeAttention(q: tf.Tensor4D, k: tf.Tensor4D, v: tf.Tensor4D, options: DecodeAttentionOptions = {}): tf.Tensor2D {
  checkFloatTensor(q, 'decodeAttention(q)');
  checkFloatTensor(k, 'decodeAttention(k)');
  checkFloatTensor(v, 'decodeAttention(v)');
  if (q.rank !== 4 || k.rank !== 4 || v.rank !== 4) {
    throw new ShapeMismatchError(`decodeAttention: q, k, v must be rank 4 ([B, H, 1, D], [B, Hkv, Tk, D], [B, Hkv, Tk, Dv]); got [${q.shape}], [${k.shape}], [${v.shape}].`);
  }
  const [B, H, Tq, D] = q.shape;
  const [Bk, Hkv, Tk, Dk] = k.shape;
  const [Bv, Hv, Tv, Dv] = v.shape;
  if (Tq !== 1 || Bk !== B || Bv !== B || Dk !== D || Hv !== Hkv || Tv !== Tk || Hkv === 0 || H % Hkv !== 0) {
    throw new ShapeMismatchError(
      `decodeAttention: expected q [B, H, 1, D], k [B, Hkv, Tk, D], v [B, Hkv, Tk, Dv] with H a multiple of Hkv; got q [${q.shape}], k [${k.shape}], v [${v.shape}].`,
    );
  }
  const scale = options.scale ?? 1 / Math.sqrt(D);
  const start = options.start ?? 0;
  if (typeof scale !== 'number' || !Number.isFinite(scale)) throw new InvalidArgumentError(`decodeAttention: options.scale must be a finite number, got ${String(scale)}.`);
  if (!Number.isInteger(start) || start < 0 || start >= Tk) {
    throw new InvalidArgumentError(`decodeAttention: options.start must be an integer in [0, ${Tk - 1}] (at least one visible key), got ${String(start)}.`);
  }
  if (!fused()) {
    return tf.tidy(() => {
      const G = H / Hkv;
      const qg = tf.reshape(tf.mul(q, scale), [B, Hkv, G, D]);
      const kk = start === 0 ? k : tf.slice(k, [0, 0, start, 0], [-1, -1, -1, -1]);
      const vv = start === 0 ? v : tf.slice(v, [0, 0, start, 0], [-1, -1, -1, -1]);
      const s = tf.matMul(qg, kk, false, true);
      const e = tf.exp(tf.sub(s, tf.max(s, -1, true)));
      const p = tf.div(e, tf.sum(e, -1, true));
      return tf.reshape(tf.matMul(p, vv), [B, H * Dv]) as tf.Tensor2D;
    });
  }
  return tf.engine().runKernel('LlmkitDecodeAttention', { q, k, v }, { scale, start } as unknown as tf.NamedAttrMap) as tf.Tensor2D;
}

/** A linear layer's parameters for {@link linearRows}: `weight` [out, in] (core `Linear` layout), optional `bias` [out]. */
export interface LinearParams {
  weight: tf.Tensor;
  bias?: tf.Tensor | null;
}

/** Rows up to which {@link linearRows} uses dot products (decoding); more rows go to tfjs' matMul. */
export const LINEAR_ROWS_MAX = 8;

function checkLinear(x: tf.Tensor, layers: readonly LinearParams[], what: string): void {
  checkFloatTensor(x, `${what}(x)`);
  if (x.rank !== 2 || x.shape[0] === 0) throw new ShapeMismatchError(`${what}(x): expected [rows >= 1, in], got [${x.shape}].`);
  const k = x.shape[1];
  layers.forEach((l, i) => {
    checkFloatTensor(l?.weight, `${what}: layers[${i}].weight`);
    if (l.weight.rank !== 2 || l.weight.shape[1] !== k) {
      throw new ShapeMismatchError(`${what}: layers[${i}].weight must be [out, ${k}] (Linear layout, in = x's last dim), got [${l.weight.shape}].`);
    }
    if (l.bias !== undefined && l.bias !== null) {
      checkFloatTensor(l.bias, `${what}: layers[${i}].bias`);
      if (l.bias.rank !== 1 || l.bias.shape[0] !== l.weight.shape[0]) {
        throw new ShapeMismatchError(`${what}: layers[${i}].bias must be [${l.weight.shape[0]}], got [${l.bias.shape}].`);
      }
    }
  });
}

/**
 * Whether `LlmkitLinearRows` runs: the fused kernels can run and core's own WebAssembly SIMD sgemm is
 * the matmul in use (`matMulKernelInUse`: 'simd' when selected, or when the native addon is selected but
 * unavailable), whose few-row dot products the kernel
 * reproduces bit for bit with fewer dispatches. With another matmul selected (XNNPACK, or a native
 * path), tfjs' matMul runs so that path is used.
 */
function fusedLinear(rows: number): boolean {
  return rows <= LINEAR_ROWS_MAX && fused() && matMulKernelInUse(tf.backend() as unknown as WasmBackend) === 'simd';
}

function linearInputs(x: tf.Tensor, layers: readonly LinearParams[]): { inputs: tf.NamedTensorMap; biases: number[] } {
  const inputs: tf.NamedTensorMap = { x };
  const biases: number[] = [];
  layers.forEach((l, i) => {
    inputs[`w${i}`] = l.weight;
    if (l.bias) {
      inputs[`b${i}`] = l.bias;
      biases.push(i);
    }
  });
  return { inputs, biases };
}

function composedLinear(x: tf.Tensor, l: LinearParams): tf.Tensor2D {
  return tf.tidy(() => {
    if (l.bias) return tf.fused.matMul({ a: x as tf.Tensor2D, b: l.weight as tf.Tensor2D, transposeB: true, bias: l.bias }) as tf.Tensor2D;
    return tf.matMul(x as tf.Tensor2D, l.weight as tf.Tensor2D, false, true) as tf.Tensor2D;
  });
}

/**
 * Several linear layers on the same rows, `x W_i^T + b_i`, in one kernel call on wasm when core's SIMD
 * sgemm is the selected matmul (for the q/k/v projections of one decoded token); the values equal
 * `tf.matMul(x, W_i, false, true)` (+ bias) there. More than {@link LINEAR_ROWS_MAX} rows, another
 * matmul path (XNNPACK, native), or another backend: tfjs' matMul per layer.
 * @param x [rows, in] float32
 * @param layers weights [out_i, in] and optional biases [out_i]
 * @returns one [rows, out_i] tensor per layer
 * @throws {ShapeMismatchError} `shape_mismatch` when a weight or bias does not fit x.
 * @example
 * const [q, k, v] = linearRows(h, [attn.q_proj, attn.k_proj, attn.v_proj]);
 */
export function linearRows(x: tf.Tensor2D, layers: readonly LinearParams[]): tf.Tensor2D[] {
  if (!Array.isArray(layers) || layers.length === 0) throw new InvalidArgumentError('linearRows(x, layers): layers must be a non-empty array of { weight, bias? }.');
  checkLinear(x, layers, 'linearRows');
  if (!fusedLinear(x.shape[0])) return layers.map((l) => composedLinear(x, l));
  const { inputs, biases } = linearInputs(x, layers);
  return tf.engine().runKernel('LlmkitLinearRows', inputs, { count: layers.length, biases, swiglu: false } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
}

/**
 * The input side of a SwiGLU MLP, `silu(x Wg^T + bg) * (x Wu^T + bu)`, in one kernel call on wasm for
 * few rows (the same values as {@link linearRows} then {@link siluMul}); otherwise the composed ops.
 * @param x [rows, in] float32
 * @param gate gate_proj's weight [hidden, in] and optional bias
 * @param up up_proj's weight [hidden, in] and optional bias
 * @returns [rows, hidden]
 * @throws {ShapeMismatchError} `shape_mismatch` when the weights do not fit x or each other.
 * @example
 * const h = swigluRows(x, mlp.gate_proj, mlp.up_proj); // then mlp.down_proj
 */
export function swigluRows(x: tf.Tensor2D, gate: LinearParams, up: LinearParams): tf.Tensor2D {
  checkLinear(x, [gate, up], 'swigluRows');
  if (gate.weight.shape[0] !== up.weight.shape[0]) {
    throw new ShapeMismatchError(`swigluRows: gate [${gate.weight.shape}] and up [${up.weight.shape}] weights must have the same number of rows.`);
  }
  if (!fusedLinear(x.shape[0])) {
    return tf.tidy(() => siluMul(composedLinear(x, gate), composedLinear(x, up)) as tf.Tensor2D);
  }
  const { inputs, biases } = linearInputs(x, [gate, up]);
  const [y] = tf.engine().runKernel('LlmkitLinearRows', inputs, { count: 2, biases, swiglu: true } as unknown as tf.NamedAttrMap) as tf.Tensor2D[];
  return y;
}
