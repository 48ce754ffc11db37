import { tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';

/** The rotary scaling variants of transformers' `ROPE_INIT_FUNCTIONS` that llmkit implements. */
export type RopeType = 'default' | 'linear' | 'dynamic' | 'llama3' | 'yarn';

const ROPE_TYPES: readonly RopeType[] = ['default', 'linear', 'dynamic', 'llama3', 'yarn'];

/**
 * RoPE scaling parameters (camelCase mirror of transformers' `rope_parameters` / `rope_scaling`).
 *
 * - `linear`: `factor` (inverse frequencies divided by it).
 * - `dynamic`: `factor`; NTK base rescaled when the sequence exceeds `maxPositionEmbeddings`.
 * - `llama3`: `factor`, `lowFreqFactor`, `highFreqFactor`, `originalMaxPositionEmbeddings`.
 * - `yarn`: `factor`, `originalMaxPositionEmbeddings`, optional `betaFast` (32), `betaSlow` (1), `mscale`,
 *   `mscaleAllDim`, `attentionFactor`, `truncate` (true).
 *
 * @example
 * const scaling: RopeScaling = { ropeType: 'llama3', factor: 8, lowFreqFactor: 1, highFreqFactor: 4, originalMaxPositionEmbeddings: 8192 };
 */
export interface RopeScaling {
  ropeType: RopeType;
  factor?: number;
  originalMaxPositionEmbeddings?: number;
  lowFreqFactor?: number;
  highFreqFactor?: number;
  betaFast?: number;
  betaSlow?: number;
  mscale?: number;
  mscaleAllDim?: number;
  attentionFactor?: number;
  truncate?: boolean;
}

/**
 * Configuration of a {@link RotaryEmbedding}.
 *
 * @example
 * const config: RopeConfig = { headDim: 64, theta: 500000, maxPositionEmbeddings: 131072 };
 */
export interface RopeConfig {
  /** Size of one attention head. */
  headDim: number;
  /** Rotated dims (partial rotary: `partial_rotary_factor * headDim`); default `headDim`. Must be even. */
  rotaryDim?: number;
  /** Base wavelength (`rope_theta`); default 10000. */
  theta?: number;
  /** Context length of the model (`max_position_embeddings`); needed by `dynamic` and by `yarn` without `factor`. */
  maxPositionEmbeddings?: number;
  /** Scaling variant; default `{ ropeType: 'default' }`. */
  scaling?: RopeScaling;
}

// ---------------------------------------------------------------------------------------------
// Config parsing

function num(value: unknown, what: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) {
    throw new InvalidArgumentError(`ropeConfigFromHf: "${what}" must be a finite number, got ${JSON.stringify(value)}; fix the config.json entry.`);
  }
  return value;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Read the rotary embedding settings of a Hugging Face `config.json` object, following transformers 5's
 * `RotaryEmbeddingConfigMixin.standardize_rope_params`: `rope_scaling` (legacy, with `rope_type` or the older
 * `type` key) takes priority over `rope_parameters`; `rope_theta` and `partial_rotary_factor` are read from that
 * dict first and from the top level otherwise (GPT-NeoX's `rotary_pct` and GPT-J's `rotary_dim` are accepted too);
 * `head_dim` defaults to `hidden_size / num_attention_heads`; `original_max_position_embeddings` at the top level
 * (Phi-3 style) wins over the one inside the dict and defaults to `max_position_embeddings`.
 *
 * @param config a parsed config.json
 * @param options `layerType` selects one entry of per-layer-type `rope_parameters` (e.g. Gemma 3's
 *   `full_attention` / `sliding_attention`)
 * @returns the equivalent {@link RopeConfig}
 * @throws {InvalidArgumentError} `invalid_argument` when the head size cannot be determined, a field has the wrong
 *   type, or the rope type is one llmkit does not implement (e.g. `longrope`).
 * @example
 * const rope = new RotaryEmbedding(ropeConfigFromHf(JSON.parse(readFileSync('config.json', 'utf8'))));
 */
export function ropeConfigFromHf(config: Record<string, unknown>, options: { layerType?: string } = {}): RopeConfig {
  if (!isRecord(config)) {
    throw new InvalidArgumentError('ropeConfigFromHf(config) must be a parsed config.json object.');
  }
  const hidden = num(config.hidden_size ?? config.n_embd, 'hidden_size');
  const heads = num(config.num_attention_heads ?? config.n_head, 'num_attention_heads');
  let headDim = num(config.head_dim, 'head_dim');
  if (headDim === undefined) {
    if (hidden === undefined || heads === undefined) {
      throw new InvalidArgumentError(
        'ropeConfigFromHf: cannot determine the head size; the config needs "head_dim" or both "hidden_size" and "num_attention_heads".',
      );
    }
    headDim = Math.floor(hidden / heads);
  }
  const scalingRaw = config.rope_scaling ?? config.rope_parameters;
  if (scalingRaw !== undefined && scalingRaw !== null && !isRecord(scalingRaw)) {
    throw new InvalidArgumentError('ropeConfigFromHf: "rope_scaling"/"rope_parameters" must be an object; fix the config.json entry.');
  }
  let rp: Record<string, unknown> = scalingRaw ?? {};
  const nestedKeys = Object.keys(rp).filter((key) => isRecord(rp[key]));
  if (options.layerType !== undefined) {
    const inner = rp[options.layerType];
    if (!isRecord(inner)) {
      throw new InvalidArgumentError(
        `ropeConfigFromHf: no rope parameters for layer type "${options.layerType}"; the config has [${nestedKeys.join(', ')}].`,
      );
    }
    rp = inner;
  } else if (nestedKeys.length > 0) {
    throw new InvalidArgumentError(
      `ropeConfigFromHf: the config has per-layer-type rope parameters [${nestedKeys.join(', ')}]; pass { layerType } to pick one.`,
    );
  }
  const theta = num(rp.rope_theta, 'rope_parameters.rope_theta') ?? num(config.rope_theta, 'rope_theta') ?? 10000;
  let partial = num(rp.partial_rotary_factor, 'rope_parameters.partial_rotary_factor') ??
    num(config.partial_rotary_factor, 'partial_rotary_factor') ?? num(config.rotary_pct, 'rotary_pct');
  const explicitRotaryDim = num(config.rotary_dim, 'rotary_dim');
  let rotaryDim: number;
  if (partial !== undefined) rotaryDim = Math.floor(headDim * partial);
  else if (explicitRotaryDim !== undefined) rotaryDim = explicitRotaryDim;
  else {
    partial = 1;
    rotaryDim = headDim;
  }
  const maxPositionEmbeddings = num(config.max_position_embeddings ?? config.n_positions, 'max_position_embeddings');
  const rawType = rp.rope_type ?? rp.type ?? 'default';
  if (typeof rawType !== 'string' || !(ROPE_TYPES as readonly string[]).includes(rawType)) {
    throw new InvalidArgumentError(
      `ropeConfigFromHf: rope type ${JSON.stringify(rawType)} is not supported; supported types are ${ROPE_TYPES.join(', ')}.`,
    );
  }
  const ropeType = rawType as RopeType;
  const out: RopeConfig = { headDim, rotaryDim, theta };
  if (maxPositionEmbeddings !== undefined) out.maxPositionEmbeddings = maxPositionEmbeddings;
  if (ropeType === 'default') {
    out.scaling = { ropeType };
    return out;
  }
  const scaling: RopeScaling = { ropeType };
  const factor = num(rp.factor, 'rope_scaling.factor');
  if (factor !== undefined) scaling.factor = factor;
  if (ropeType === 'llama3' || ropeType === 'yarn') {
    const original = num(config.original_max_position_embeddings, 'original_max_position_embeddings') ??
      num(rp.original_max_position_embeddings, 'rope_scaling.original_max_position_embeddings') ?? maxPositionEmbeddings;
    if (original !== undefined) scaling.originalMaxPositionEmbeddings = original;
  }
  const optional: Array<[keyof RopeScaling, string]> = [
    ['lowFreqFactor', 'low_freq_factor'],
    ['highFreqFactor', 'high_freq_factor'],
    ['betaFast', 'beta_fast'],
    ['betaSlow', 'beta_slow'],
    ['mscale', 'mscale'],
    ['mscaleAllDim', 'mscale_all_dim'],
    ['attentionFactor', 'attention_factor'],
  ];
  for (const [key, hfKey] of optional) {
    const value = num(rp[hfKey], `rope_scaling.${hfKey}`);
    if (value !== undefined) (scaling as unknown as Record<string, number>)[key] = value;
  }
  if (rp.truncate !== undefined && rp.truncate !== null) {
    if (typeof rp.truncate !== 'boolean') {
      throw new InvalidArgumentError('ropeConfigFromHf: "rope_scaling.truncate" must be a boolean; fix the config.json entry.');
    }
    scaling.truncate = rp.truncate;
  }
  out.scaling = scaling;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Inverse frequencies (float32 arithmetic emulated with Math.fround to track torch's results)

const f = Math.fround;

/** torch: `base ** (arange(0, dim, 2).float() / dim)` in float32. */
function posFreqs(base: number, dim: number): Float64Array {
  const out = new Float64Array(dim / 2);
  for (let i = 0; i < dim / 2; i++) out[i] = f(Math.pow(f(base), f((2 * i) / dim)));
  return out;
}

function defaultInvFreq(base: number, dim: number): Float64Array {
  return posFreqs(base, dim).map((p) => f(1 / p));
}

function requireScale(value: number | undefined, what: string, ropeType: string): number {
  if (value === undefined || !Number.isFinite(value) || value <= 0) {
    throw new InvalidArgumentError(`RotaryEmbedding: rope type '${ropeType}' needs scaling.${what} > 0, got ${value}.`);
  }
  return value;
}

interface Computed {
  invFreq: Float32Array;
  attentionScaling: number;
}

/** transformers' ROPE_INIT_FUNCTIONS[ropeType](config, seq_len), for rotary dim `dim`. */
function computeInvFreq(config: Required<Pick<RopeConfig, 'theta'>> & RopeConfig, dim: number, seqLen?: number): Computed {
  const base = config.theta;
  const scaling = config.scaling ?? { ropeType: 'default' as const };
  const t = scaling.ropeType;
  switch (t) {
    case 'default':
      return { invFreq: Float32Array.from(defaultInvFreq(base, dim)), attentionScaling: 1 };
    case 'linear': {
      const factor = requireScale(scaling.factor, 'factor', t);
      return { invFreq: Float32Array.from(defaultInvFreq(base, dim), (v) => f(v / f(factor))), attentionScaling: 1 };
    }
    case 'dynamic': {
      const factor = requireScale(scaling.factor, 'factor', t);
      const maxPos = requireScale(config.maxPositionEmbeddings, 'maxPositionEmbeddings (RopeConfig)', t);
      const s = Math.max(seqLen ?? maxPos, maxPos);
      const newBase = base * Math.pow((factor * s) / maxPos - (factor - 1), dim / (dim - 2));
      return { invFreq: Float32Array.from(defaultInvFreq(newBase, dim)), attentionScaling: 1 };
    }
    case 'llama3': {
      const factor = requireScale(scaling.factor, 'factor', t);
      const low = requireScale(scaling.lowFreqFactor, 'lowFreqFactor', t);
      const high = requireScale(scaling.highFreqFactor, 'highFreqFactor', t);
      const old = requireScale(scaling.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings, 'originalMaxPositionEmbeddings', t);
      const lowWavelen = old / low;
      const highWavelen = old / high;
      const inv = defaultInvFreq(base, dim);
      const out = new Float32Array(inv.length);
      for (let i = 0; i < inv.length; i++) {
        // torch's `scalar / tensor` is `tensor.reciprocal() * scalar`.
        const wavelen = f(f(1 / inv[i]) * f(2 * Math.PI));
        let v = wavelen > lowWavelen ? f(inv[i] / factor) : inv[i];
        const isMedium = !(wavelen < highWavelen) && !(wavelen > lowWavelen);
        if (isMedium) {
          const smooth = f(f(f(f(1 / wavelen) * old) - low) / f(high - low));
          v = f(f(f(f(1 - smooth) * v) / factor) + f(smooth * v));
        }
        out[i] = v;
      }
      return { invFreq: out, attentionScaling: 1 };
    }
    case 'yarn': {
      const original = requireScale(scaling.originalMaxPositionEmbeddings ?? config.maxPositionEmbeddings, 'originalMaxPositionEmbeddings', t);
      let factor = scaling.factor;
      if (factor === undefined) {
        factor = requireScale(config.maxPositionEmbeddings, 'maxPositionEmbeddings (RopeConfig, or set scaling.factor)', t) / original;
      }
      requireScale(factor, 'factor', t);
      const getMscale = (scale: number, m = 1) => (scale <= 1 ? 1 : 0.1 * m * Math.log(scale) + 1);
      let attentionFactor = scaling.attentionFactor;
      if (attentionFactor === undefined) {
        attentionFactor = scaling.mscale && scaling.mscaleAllDim
          ? getMscale(factor, scaling.mscale) / getMscale(factor, scaling.mscaleAllDim)
          : getMscale(factor);
      }
      const betaFast = scaling.betaFast || 32;
      const betaSlow = scaling.betaSlow || 1;
      const correctionDim = (rot: number) => (dim * Math.log(original / (rot * 2 * Math.PI))) / (2 * Math.log(base));
      let lowC = correctionDim(betaFast);
      let highC = correctionDim(betaSlow);
      if (scaling.truncate ?? true) {
        lowC = Math.floor(lowC);
        highC = Math.ceil(highC);
      }
      lowC = Math.max(lowC, 0);
      highC = Math.min(highC, dim - 1);
      if (lowC === highC) highC += 0.001;
      const pos = posFreqs(base, dim);
      const out = new Float32Array(dim / 2);
      for (let i = 0; i < dim / 2; i++) {
        const ramp = f(Math.min(1, Math.max(0, f(f(i - lowC) / f(highC - lowC)))));
        const extrapolationFactor = f(1 - ramp);
        const extrap = f(1 / pos[i]);
        const interp = f(1 / f(f(factor) * pos[i]));
        out[i] = f(f(interp * f(1 - extrapolationFactor)) + f(extrap * extrapolationFactor));
      }
      return { invFreq: out, attentionScaling: attentionFactor };
    }
    default:
      throw new InvalidArgumentError(
        `RotaryEmbedding: unknown scaling.ropeType ${JSON.stringify(t)}; use one of ${ROPE_TYPES.join(', ')}.`,
      );
  }
}

// ---------------------------------------------------------------------------------------------

/**
 * Rotary position embedding tables (Su et al.), numerically following transformers' `LlamaRotaryEmbedding` and
 * `ROPE_INIT_FUNCTIONS` (default, linear, dynamic NTK, llama3, yarn). `invFreq` has `rotaryDim / 2` entries;
 * {@link cosSin} returns HF's layout `cat(freqs, freqs)` multiplied by `attentionScaling`.
 *
 * Dynamic NTK: transformers recomputes `inv_freq` for `seq_len = max(position_ids) + 1` whenever it exceeds
 * `max_position_embeddings` (and keeps the largest seen); here the tables are computed for the `seqLen` passed to
 * {@link cosSin} (default `max(positions) + 1`), which is the same during generation, where lengths only grow.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for a non-positive/odd size or missing scaling parameters.
 * @example
 * const rope = new RotaryEmbedding({ headDim: 8 });
 * const { cos, sin } = rope.cosSin([0, 1, 2]);   // [3, 8] each
 * const qRot = applyRope(q, cos, sin);           // q [B, H, 3, 8]
 */
export class RotaryEmbedding {
  readonly config: Readonly<RopeConfig>;
  readonly headDim: number;
  readonly rotaryDim: number;
  readonly theta: number;
  /** Equals transformers' `ROPE_INIT_FUNCTIONS[rope_type](config)[0]` (init-time value for dynamic). */
  readonly invFreq: Float32Array;
  /** cos/sin multiplier (yarn's attention factor), 1 otherwise. */
  readonly attentionScaling: number;
  private dynamicCache: { seqLen: number; invFreq: Float32Array } | undefined;

  constructor(config: RopeConfig) {
    if (!isRecord(config)) throw new InvalidArgumentError('RotaryEmbedding(config) must be a RopeConfig object.');
    const { headDim } = config;
    if (!Number.isInteger(headDim) || headDim <= 0) {
      throw new InvalidArgumentError(`RotaryEmbedding: headDim must be a positive integer, got ${headDim}.`);
    }
    const rotaryDim = config.rotaryDim ?? headDim;
    if (!Number.isInteger(rotaryDim) || rotaryDim <= 0 || rotaryDim % 2 !== 0 || rotaryDim > headDim) {
      throw new InvalidArgumentError(
        `RotaryEmbedding: rotaryDim must be an even integer in [2, headDim=${headDim}], got ${rotaryDim}; check partial_rotary_factor.`,
      );
    }
    const theta = config.theta ?? 10000;
    if (typeof theta !== 'number' || !Number.isFinite(theta) || theta <= 1) {
      throw new InvalidArgumentError(`RotaryEmbedding: theta must be a finite number > 1, got ${theta}.`);
    }
    if (config.scaling && !(ROPE_TYPES as readonly string[]).includes(config.scaling.ropeType)) {
      throw new InvalidArgumentError(
        `RotaryEmbedding: unknown scaling.ropeType ${JSON.stringify(config.scaling.ropeType)}; use one of ${ROPE_TYPES.join(', ')}.`,
      );
    }
    this.config = { ...config };
    this.headDim = headDim;
    this.rotaryDim = rotaryDim;
    this.theta = theta;
    const computed = computeInvFreq({ ...config, theta }, rotaryDim);
    this.invFreq = computed.invFreq;
    this.attentionScaling = computed.attentionScaling;
  }

  /** The rope type in use. */
  get ropeType(): RopeType {
    return this.config.scaling?.ropeType ?? 'default';
  }

  /**
   * Inverse frequencies used for a sequence of length `seqLen` (differs from {@link invFreq} only for `dynamic`
   * once `seqLen > maxPositionEmbeddings`).
   * @example
   * new RotaryEmbedding({ headDim: 8 }).invFreqFor(10).length; // 4
   */
  invFreqFor(seqLen: number): Float32Array {
    if (this.ropeType !== 'dynamic') return this.invFreq;
    const maxPos = this.config.maxPositionEmbeddings as number;
    if (seqLen <= maxPos) return this.invFreq;
    if (this.dynamicCache?.seqLen !== seqLen) {
      this.dynamicCache = { seqLen, invFreq: computeInvFreq({ ...this.config, theta: this.theta }, this.rotaryDim, seqLen).invFreq };
    }
    return this.dynamicCache.invFreq;
  }

  /**
   * cos and sin tables for absolute positions, HF layout `cat(freqs, freqs) * attentionScaling`.
   * @param positions non-negative integer positions (array or int/float 1-D tensor)
   * @param seqLen sequence length driving dynamic NTK (default `max(positions) + 1`)
   * @returns `{ cos, sin }`, each [T, rotaryDim] float32
   * @throws {InvalidArgumentError} `invalid_argument` for negative, non-integer or non-finite positions.
   * @example
   * const { cos } = new RotaryEmbedding({ headDim: 4 }).cosSin([0, 5]);
   * cos.shape; // [2, 4]
   */
  cosSin(positions: number[] | tf.Tensor1D, seqLen?: number): { cos: tf.Tensor2D; sin: tf.Tensor2D } {
    let pos: ArrayLike<number>;
    if (positions instanceof tf.Tensor) {
      if (positions.rank !== 1) {
        throw new ShapeMismatchError(`RotaryEmbedding.cosSin(positions): expected a 1-D tensor, got shape [${positions.shape}].`);
      }
      pos = positions.dataSync();
    } else if (Array.isArray(positions)) {
      pos = positions;
    } else {
      throw new InvalidArgumentError('RotaryEmbedding.cosSin(positions) must be a number[] or a 1-D tf.Tensor.');
    }
    let maxPos = -1;
    for (let i = 0; i < pos.length; i++) {
      const p = pos[i];
      if (!Number.isInteger(p) || p < 0) {
        throw new InvalidArgumentError(`RotaryEmbedding.cosSin: positions must be non-negative integers, got ${p} at index ${i}.`);
      }
      if (p > maxPos) maxPos = p;
    }
    if (seqLen !== undefined && (!Number.isInteger(seqLen) || seqLen <= 0)) {
      throw new InvalidArgumentError(`RotaryEmbedding.cosSin: seqLen must be a positive integer, got ${seqLen}.`);
    }
    const inv = this.invFreqFor(seqLen ?? maxPos + 1);
    const half = this.rotaryDim / 2;
    const T = pos.length;
    const cos = new Float32Array(T * this.rotaryDim);
    const sin = new Float32Array(T * this.rotaryDim);
    const scale = f(this.attentionScaling);
    for (let t = 0; t < T; t++) {
      const p = f(pos[t]);
      for (let i = 0; i < half; i++) {
        // torch: freqs = inv_freq @ position in float32 (exact product of two float32 values, then rounded).
        const angle = f(inv[i] * p);
        const c = f(f(Math.cos(angle)) * scale);
        const s = f(f(Math.sin(angle)) * scale);
        const o = t * this.rotaryDim;
        cos[o + i] = c;
        cos[o + half + i] = c;
        sin[o + i] = s;
        sin[o + half + i] = s;
      }
    }
    return { cos: tf.tensor2d(cos, [T, this.rotaryDim]), sin: tf.tensor2d(sin, [T, this.rotaryDim]) };
  }
}

/**
 * Apply rotary embeddings with HF's `rotate_half` convention: `x * cos + rotate_half(x) * sin` on the first
 * `rotaryDim` (= last dim of `cos`) features of each head; the remaining features pass through unchanged (partial
 * rotary, as in Phi / GPT-NeoX `q_rot, q_pass` split). Differentiable w.r.t. `x`.
 *
 * @param x [B, H, T, D] float32
 * @param cos [T, rotaryDim], [B, T, rotaryDim] or [B, 1, T, rotaryDim] (from {@link RotaryEmbedding.cosSin})
 * @param sin same shape as `cos`
 * @returns [B, H, T, D]
 * @throws {ShapeMismatchError} `shape_mismatch` when the shapes do not line up.
 * @throws {InvalidArgumentError} `invalid_argument` for non-tensor or non-float inputs.
 * @example
 * const { cos, sin } = new RotaryEmbedding({ headDim: 8 }).cosSin([0, 1]);
 * applyRope(tf.ones([1, 2, 2, 8]), cos, sin).shape; // [1, 2, 2, 8]
 */
export function applyRope(x: tf.Tensor4D, cos: tf.Tensor, sin: tf.Tensor): tf.Tensor4D {
  for (const [t, name] of [[x, 'x'], [cos, 'cos'], [sin, 'sin']] as const) {
    if (!(t instanceof tf.Tensor)) throw new InvalidArgumentError(`applyRope(${name}) must be a tf.Tensor.`);
    if (t.dtype !== 'float32') {
      throw new InvalidArgumentError(`applyRope(${name}) must be float32, got ${t.dtype}; cast it with tf.cast(${name}, 'float32').`);
    }
  }
  if (x.rank !== 4) throw new ShapeMismatchError(`applyRope(x): expected [B, H, T, D], got shape [${x.shape}].`);
  if (cos.shape.length !== sin.shape.length || cos.shape.some((d, i) => d !== sin.shape[i])) {
    throw new ShapeMismatchError(`applyRope: cos [${cos.shape}] and sin [${sin.shape}] must have the same shape.`);
  }
  const [B, , T, D] = x.shape;
  const rd = cos.shape[cos.rank - 1];
  if (rd % 2 !== 0 || rd > D || rd <= 0) {
    throw new ShapeMismatchError(`applyRope: the rotary dim (last dim of cos, ${rd}) must be even and <= head dim ${D}.`);
  }
  const okT = cos.shape[cos.rank - 2] === T;
  const okRank =
    cos.rank === 2 ||
    (cos.rank === 3 && (cos.shape[0] === B || cos.shape[0] === 1)) ||
    (cos.rank === 4 && (cos.shape[0] === B || cos.shape[0] === 1) && cos.shape[1] === 1);
  if (!okT || !okRank) {
    throw new ShapeMismatchError(
      `applyRope: cos/sin of shape [${cos.shape}] do not fit x [${x.shape}]; use [T, rd], [B, T, rd] or [B, 1, T, rd] with T = ${T}.`,
    );
  }
  return tf.tidy(() => {
    const c4 = cos.rank === 3 ? tf.expandDims(cos, 1) : cos;
    const s4 = sin.rank === 3 ? tf.expandDims(sin, 1) : sin;
    const xr = rd === D ? x : tf.slice(x, [0, 0, 0, 0], [-1, -1, -1, rd]);
    const half = rd / 2;
    const x1 = tf.slice(xr, [0, 0, 0, 0], [-1, -1, -1, half]);
    const x2 = tf.slice(xr, [0, 0, 0, half], [-1, -1, -1, half]);
    const rotated = tf.concat([tf.neg(x2), x1], 3);
    const out = tf.add(tf.mul(xr, c4), tf.mul(rotated, s4));
    if (rd === D) return out as tf.Tensor4D;
    return tf.concat([out, tf.slice(x, [0, 0, 0, rd], [-1, -1, -1, D - rd])], 3) as tf.Tensor4D;
  });
}
