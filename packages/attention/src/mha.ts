import { Linear, Module, getDefaultRng, tf, type Rng } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';
import { KVCache } from './kv-cache.js';
import { causalMask, combineMasks, paddingMask } from './masks.js';
import { applyRope, RotaryEmbedding } from './rope.js';
import { memoryEfficientAttention } from './memory-efficient.js';
import { scaledDotProductAttention } from './sdpa.js';

/**
 * Options of {@link MultiHeadAttention}.
 *
 * @example
 * const options: MultiHeadAttentionOptions = { embedDim: 64, nHeads: 8, nKvHeads: 2, rope: new RotaryEmbedding({ headDim: 8 }) };
 */
export interface MultiHeadAttentionOptions {
  /** Model width (input and output features). */
  embedDim: number;
  /** Query heads. */
  nHeads: number;
  /** Key/value heads (GQA when < nHeads, MQA when 1); must divide nHeads. Default nHeads. */
  nKvHeads?: number;
  /** Size of one head; default embedDim / nHeads. */
  headDim?: number;
  /** q/k/v projection bias (Qwen2: true); default false. */
  bias?: boolean;
  /** o_proj bias; default false. */
  outBias?: boolean;
  /** One `qkv_proj` Linear [(nHeads + 2 nKvHeads) headDim, embedDim] instead of q_proj / k_proj / v_proj. */
  fusedQkv?: boolean;
  /** Rotary embedding applied to q and k (none: no positional information is added here). */
  rope?: RotaryEmbedding;
  /** Sliding-window attention (Mistral): query at position p sees keys in (p - slidingWindow, p]. */
  slidingWindow?: number;
  /** Dropout on the attention probabilities in training mode; default 0. */
  dropout?: number;
  /** Generator for the initial weights and for dropout; default the global generator. */
  rng?: Rng;
  /**
   * Use {@link memoryEfficientAttention} (key chunks with an online softmax; memory O(T x chunkSize)) instead of
   * the naive attention. `true` uses its default chunk size. Attention dropout is not supported on this path.
   */
  memoryEfficient?: boolean | { chunkSize: number };
}

/** Options of {@link MultiHeadAttention.forward}. */
export interface MultiHeadAttentionForwardOptions {
  /** KV cache: new keys/values are appended to layer `layerIdx`, queries attend to everything it holds. */
  cache?: KVCache;
  /** Layer index in `cache` (default 0). */
  layerIdx?: number;
  /** HF attention_mask [B, pastLength + T] (1 keep, 0 pad); causal masking is always applied. */
  attentionMask?: tf.Tensor2D;
  /** Absolute positions for RoPE, [T] or [B, T] (default pastLength .. pastLength + T - 1). */
  positionIds?: tf.Tensor;
}

function checkPositiveInt(value: unknown, what: string): void {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${what} must be a positive integer, got ${String(value)}.`);
  }
}

/**
 * Multi-head causal self-attention with grouped-query (GQA) and multi-query (MQA) variants, RoPE, KV caching,
 * padding masks and sliding windows, computed like transformers' `LlamaAttention` (eager). Field names are HF's
 * (`q_proj`, `k_proj`, `v_proj` or `qkv_proj`, `o_proj`), so `namedParameters()` / `loadStateDict()` use
 * transformers' state-dict keys.
 *
 * Masking: query i of the T new tokens sits at absolute position `pastLength + i`; it attends to the cached and new
 * keys at positions <= its own (bottom-right causal), within `slidingWindow` when set, and not to positions whose
 * `attentionMask` entry is 0. A query with no visible key (e.g. a left-pad position) outputs `o_proj`'s bias
 * (zeros before the projection) instead of HF's average over masked keys.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for bad sizes (nKvHeads not dividing nHeads, a RoPE head size
 *   that differs from headDim, ...).
 * @example
 * const rope = new RotaryEmbedding({ headDim: 8 });
 * const attn = new MultiHeadAttention({ embedDim: 32, nHeads: 4, nKvHeads: 2, rope, rng: createRng(0) });
 * const cache = new KVCache({ nLayers: 1 });
 * attn.forward(tf.randomNormal([1, 5, 32]) as tf.Tensor3D, { cache });      // prefill, [1, 5, 32]
 * attn.forward(tf.randomNormal([1, 1, 32]) as tf.Tensor3D, { cache });      // one cached step, [1, 1, 32]
 */
export class MultiHeadAttention extends Module {
  readonly embedDim: number;
  readonly nHeads: number;
  readonly nKvHeads: number;
  readonly headDim: number;
  readonly slidingWindow: number | undefined;
  readonly dropoutP: number;
  readonly rope: RotaryEmbedding | undefined;
  q_proj: Linear | null = null;
  k_proj: Linear | null = null;
  v_proj: Linear | null = null;
  qkv_proj: Linear | null = null;
  o_proj: Linear;
  private readonly _rng: Rng | undefined;
  private readonly _chunkSize: number | undefined;
  private readonly _memoryEfficient: boolean;

  constructor(options: MultiHeadAttentionOptions) {
    super();
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('MultiHeadAttention(options) must be an object such as { embedDim: 64, nHeads: 8 }.');
    }
    const { embedDim, nHeads } = options;
    checkPositiveInt(embedDim, 'MultiHeadAttention: embedDim');
    checkPositiveInt(nHeads, 'MultiHeadAttention: nHeads');
    const nKvHeads = options.nKvHeads ?? nHeads;
    checkPositiveInt(nKvHeads, 'MultiHeadAttention: nKvHeads');
    if (nHeads % nKvHeads !== 0) {
      throw new InvalidArgumentError(`MultiHeadAttention: nHeads (${nHeads}) must be a multiple of nKvHeads (${nKvHeads}); pick nKvHeads dividing nHeads.`);
    }
    if (options.headDim === undefined && embedDim % nHeads !== 0) {
      throw new InvalidArgumentError(`MultiHeadAttention: embedDim (${embedDim}) is not divisible by nHeads (${nHeads}); pass headDim explicitly.`);
    }
    const headDim = options.headDim ?? embedDim / nHeads;
    checkPositiveInt(headDim, 'MultiHeadAttention: headDim');
    if (options.rope !== undefined) {
      if (!(options.rope instanceof RotaryEmbedding)) {
        throw new InvalidArgumentError('MultiHeadAttention: rope must be a RotaryEmbedding.');
      }
      if (options.rope.headDim !== headDim) {
        throw new InvalidArgumentError(
          `MultiHeadAttention: rope.headDim (${options.rope.headDim}) differs from headDim (${headDim}); build the RotaryEmbedding with headDim ${headDim}.`,
        );
      }
    }
    if (options.slidingWindow !== undefined) checkPositiveInt(options.slidingWindow, 'MultiHeadAttention: slidingWindow');
    const p = options.dropout ?? 0;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) {
      throw new InvalidArgumentError(`MultiHeadAttention: dropout must be a probability in [0, 1), got ${String(p)}.`);
    }
    this.embedDim = embedDim;
    this.nHeads = nHeads;
    this.nKvHeads = nKvHeads;
    this.headDim = headDim;
    this.slidingWindow = options.slidingWindow;
    this.dropoutP = p;
    this.rope = options.rope;
    this._rng = options.rng;
    const me = options.memoryEfficient;
    if (me !== undefined && typeof me !== 'boolean') {
      if (typeof me !== 'object' || me === null) {
        throw new InvalidArgumentError('MultiHeadAttention: memoryEfficient must be a boolean or { chunkSize: number }.');
      }
      checkPositiveInt(me.chunkSize, 'MultiHeadAttention: memoryEfficient.chunkSize');
    }
    this._memoryEfficient = me !== undefined && me !== false;
    this._chunkSize = typeof me === 'object' ? me.chunkSize : undefined;
    const rng = options.rng ?? getDefaultRng();
    const bias = options.bias ?? false;
    if (options.fusedQkv) {
      this.qkv_proj = new Linear(embedDim, (nHeads + 2 * nKvHeads) * headDim, { bias, rng });
    } else {
      this.q_proj = new Linear(embedDim, nHeads * headDim, { bias, rng });
      this.k_proj = new Linear(embedDim, nKvHeads * headDim, { bias, rng });
      this.v_proj = new Linear(embedDim, nKvHeads * headDim, { bias, rng });
    }
    this.o_proj = new Linear(nHeads * headDim, embedDim, { bias: options.outBias ?? false, rng });
  }

  /**
   * Attend over the new tokens (and the cached ones).
   * @param x [B, T, embedDim] float32
   * @param options cache + layerIdx, attentionMask [B, pastLength + T], positionIds [T] or [B, T]
   * @returns [B, T, embedDim]
   * @throws {ShapeMismatchError} `shape_mismatch` when x, attentionMask or positionIds have the wrong shape.
   * @throws {InvalidArgumentError} `invalid_argument` for non-float x, a bad layerIdx, or a cache overflow.
   * @example
   * const y = attn.forward(x, { cache, layerIdx: 3 });
   */
  forward(x: tf.Tensor3D, options: MultiHeadAttentionForwardOptions = {}): tf.Tensor3D {
    if (!(x instanceof tf.Tensor)) throw new InvalidArgumentError('MultiHeadAttention.forward(x) must be a tf.Tensor [B, T, embedDim].');
    if (x.dtype !== 'float32') {
      throw new InvalidArgumentError(`MultiHeadAttention.forward(x) must be float32, got ${x.dtype}; cast it with tf.cast(x, 'float32').`);
    }
    if (x.rank !== 3 || x.shape[2] !== this.embedDim) {
      throw new ShapeMismatchError(`MultiHeadAttention.forward(x): expected [B, T, ${this.embedDim}], got shape [${x.shape}].`);
    }
    const [B, T] = x.shape;
    const { cache } = options;
    const layerIdx = options.layerIdx ?? 0;
    if (cache !== undefined) {
      if (!(cache instanceof KVCache)) throw new InvalidArgumentError('MultiHeadAttention.forward: options.cache must be a KVCache.');
      if (!Number.isInteger(layerIdx) || layerIdx < 0 || layerIdx >= cache.nLayers) {
        throw new InvalidArgumentError(`MultiHeadAttention.forward: layerIdx must be an integer in [0, ${cache.nLayers - 1}], got ${layerIdx}.`);
      }
    }
    const past = cache ? cache.pastLength : 0;
    const firstStored = cache ? cache.firstStoredPosition(layerIdx) : 0;
    const positions = this.positions(options.positionIds, B, T, past);
    const { attentionMask } = options;
    if (attentionMask !== undefined) {
      if (!(attentionMask instanceof tf.Tensor) || attentionMask.rank !== 2 || attentionMask.shape[0] !== B) {
        throw new ShapeMismatchError(
          `MultiHeadAttention.forward: attentionMask must be a [B=${B}, pastLength + T = ${past + T}] tensor, got ` +
            `${attentionMask instanceof tf.Tensor ? `shape [${attentionMask.shape}]` : typeof attentionMask}.`,
        );
      }
    }
    const H = this.nHeads;
    const Hkv = this.nKvHeads;
    const D = this.headDim;
    return tf.tidy(() => {
      const heads = (t: tf.Tensor, n: number) => tf.transpose(tf.reshape(t, [B, T, n, D]), [0, 2, 1, 3]) as tf.Tensor4D;
      let q: tf.Tensor4D;
      let k: tf.Tensor4D;
      let v: tf.Tensor4D;
      if (this.qkv_proj) {
        const [qf, kf, vf] = tf.split(this.qkv_proj.forward(x), [H * D, Hkv * D, Hkv * D], 2);
        [q, k, v] = [heads(qf, H), heads(kf, Hkv), heads(vf, Hkv)];
      } else {
        q = heads(this.q_proj!.forward(x), H);
        k = heads(this.k_proj!.forward(x), Hkv);
        v = heads(this.v_proj!.forward(x), Hkv);
      }
      if (this.rope) {
        const { cos, sin } = this.cosSin(positions);
        q = applyRope(q, cos, sin);
        k = applyRope(k, cos, sin);
      }
      if (cache) ({ k, v } = cache.update(layerIdx, k, v));
      const tk = k.shape[2];
      let padding: tf.Tensor | undefined;
      if (attentionMask !== undefined) {
        const width = attentionMask.shape[1];
        let cols: tf.Tensor2D;
        if (width === past + T) cols = firstStored === 0 ? attentionMask : tf.slice(attentionMask, [0, firstStored], [-1, tk]);
        else if (width === tk) cols = attentionMask;
        else {
          throw new ShapeMismatchError(
            `MultiHeadAttention.forward: attentionMask has ${width} columns but pastLength + T = ${past + T}; pass the HF ` +
              'attention_mask covering every cached and new token.',
          );
        }
        padding = paddingMask(cols);
      }
      const mask = combineMasks(causalMask(T, tk, { window: this.slidingWindow }), padding);
      const p = this.training ? this.dropoutP : 0;
      let attended: tf.Tensor4D;
      if (this._memoryEfficient) {
        if (p > 0) {
          throw new InvalidArgumentError(
            'MultiHeadAttention: attention dropout is not supported with memoryEfficient; set dropout: 0, call eval(), or drop memoryEfficient.',
          );
        }
        attended = memoryEfficientAttention(q, k, v, { mask, enableGqa: Hkv !== H, chunkSize: this._chunkSize });
      } else {
        attended = scaledDotProductAttention(q, k, v, { mask, enableGqa: Hkv !== H, dropout: p, rng: p > 0 ? this._rng : undefined });
      }
      const merged = tf.reshape(tf.transpose(attended, [0, 2, 1, 3]), [B, T, H * D]);
      return this.o_proj.forward(merged) as tf.Tensor3D;
    });
  }

  /** Positions as one row ([T]) or one row per batch element ([B][T]). */
  private positions(positionIds: tf.Tensor | undefined, B: number, T: number, past: number): number[] | number[][] {
    if (positionIds === undefined) return Array.from({ length: T }, (_, i) => past + i);
    if (!(positionIds instanceof tf.Tensor)) {
      throw new InvalidArgumentError('MultiHeadAttention.forward: positionIds must be a tf.Tensor of shape [T] or [B, T].');
    }
    if (positionIds.rank === 1 && positionIds.shape[0] === T) return Array.from(positionIds.dataSync());
    if (positionIds.rank === 2 && positionIds.shape[1] === T && (positionIds.shape[0] === B || positionIds.shape[0] === 1)) {
      const rows = positionIds.arraySync() as number[][];
      return rows.length === 1 ? rows[0] : rows;
    }
    throw new ShapeMismatchError(`MultiHeadAttention.forward: positionIds must have shape [${T}] or [${B}, ${T}], got [${positionIds.shape}].`);
  }

  private cosSin(positions: number[] | number[][]): { cos: tf.Tensor; sin: tf.Tensor } {
    const rope = this.rope!;
    if (positions.length === 0 || typeof positions[0] === 'number') return rope.cosSin(positions as number[]);
    const rows = positions as number[][];
    let max = 0;
    for (const row of rows) for (const p of row) max = Math.max(max, p);
    const tables = rows.map((row) => rope.cosSin(row, max + 1));
    return { cos: tf.stack(tables.map((t) => t.cos)), sin: tf.stack(tables.map((t) => t.sin)) };
  }
}
