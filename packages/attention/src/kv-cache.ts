import { tf } from '@llmkit/core';
import { InvalidArgumentError, ShapeMismatchError } from '@llmkit/core/errors';

/**
 * Options of {@link KVCache}.
 *
 * @example
 * const options: KVCacheOptions = { nLayers: 12, maxLength: 1024 };
 */
export interface KVCacheOptions {
  /** Number of attention layers (each `update(layer, ...)` needs `0 <= layer < nLayers`). */
  nLayers: number;
  /** Most positions the cache may hold; exceeding it throws. Not enforced when `window` is set. */
  maxLength?: number;
  /** Rolling cache: keep only the last `window` positions of every layer (sliding-window attention). */
  window?: number;
}

interface LayerState {
  k: tf.Tensor4D | null;
  v: tf.Tensor4D | null;
  /** Absolute positions appended to this layer so far (the stored ones end here). */
  seen: number;
}

/**
 * Per-layer key/value cache for incremental (autoregressive) decoding, like transformers' `DynamicCache`
 * (and `DynamicSlidingWindowLayer` with `window`). Keys and values are [B, Hkv, T, D] tensors concatenated along
 * the time axis. The cache owns its stored copies (kept out of `tf.tidy` scopes, disposed when replaced); every
 * tensor it returns is a fresh tensor the caller may dispose.
 *
 * `pastLength` is the number of positions already processed: a model reads it before a forward call (its new
 * tokens sit at positions `pastLength .. pastLength + T - 1`) and the cache advances it when the last layer
 * (`nLayers - 1`) is updated.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for bad options.
 * @example
 * const cache = new KVCache({ nLayers: 1, maxLength: 16 });
 * const { k, v } = cache.update(0, kPrefill, vPrefill); // [B, Hkv, 4, D] after a 4-token prefill
 * cache.pastLength; // 4
 * cache.update(0, kStep, vStep).k.shape[2];  // 5
 */
export class KVCache {
  readonly nLayers: number;
  readonly maxLength: number | undefined;
  readonly window: number | undefined;
  private layers: LayerState[];
  private past = 0;
  private disposed = false;

  constructor(options: KVCacheOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new InvalidArgumentError('KVCache(options) must be an object such as { nLayers: 12 }.');
    }
    const { nLayers, maxLength, window } = options;
    if (!Number.isInteger(nLayers) || nLayers <= 0) {
      throw new InvalidArgumentError(`KVCache: nLayers must be a positive integer, got ${nLayers}.`);
    }
    if (maxLength !== undefined && (!Number.isInteger(maxLength) || maxLength <= 0)) {
      throw new InvalidArgumentError(`KVCache: maxLength must be a positive integer (or omitted for no limit), got ${maxLength}.`);
    }
    if (window !== undefined && (!Number.isInteger(window) || window <= 0)) {
      throw new InvalidArgumentError(`KVCache: window must be a positive integer (or omitted for a full cache), got ${window}.`);
    }
    this.nLayers = nLayers;
    this.maxLength = maxLength;
    this.window = window;
    this.layers = Array.from({ length: nLayers }, () => ({ k: null, v: null, seen: 0 }));
  }

  /** Tokens seen so far: the absolute position of the next token. */
  get pastLength(): number {
    return this.past;
  }

  private checkAlive(what: string): void {
    if (this.disposed) throw new InvalidArgumentError(`KVCache.${what}: the cache was disposed; create a new KVCache.`);
  }

  private checkLayer(layer: number, what: string): LayerState {
    if (!Number.isInteger(layer) || layer < 0 || layer >= this.nLayers) {
      throw new InvalidArgumentError(`KVCache.${what}: layer must be an integer in [0, ${this.nLayers - 1}], got ${layer}.`);
    }
    return this.layers[layer];
  }

  /**
   * Append `k`, `v` for `layer` and return the keys/values to attend to: the previously stored positions followed
   * by the new ones (for a rolling cache this may be more than `window`; the kept copy is then trimmed to the last
   * `window`). The key at index j of the result sits at absolute position `firstStoredPosition(layer)` as read
   * before this call, plus j.
   *
   * @param layer layer index in [0, nLayers)
   * @param k [B, Hkv, T, D] float32
   * @param v [B, Hkv, T, Dv] float32
   * @returns new tensors `{ k, v }` of shape [B, Hkv, stored + T, D | Dv]
   * @throws {InvalidArgumentError} `invalid_argument` when `maxLength` would be exceeded, or for bad arguments.
   * @throws {ShapeMismatchError} `shape_mismatch` when k/v disagree with each other or with the stored tensors.
   * @example
   * const { k, v } = cache.update(0, tf.zeros([1, 2, 1, 8]), tf.zeros([1, 2, 1, 8]));
   */
  update(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): { k: tf.Tensor4D; v: tf.Tensor4D } {
    this.checkAlive('update');
    const state = this.checkLayer(layer, 'update');
    for (const [t, name] of [[k, 'k'], [v, 'v']] as const) {
      if (!(t instanceof tf.Tensor)) throw new InvalidArgumentError(`KVCache.update(${name}) must be a tf.Tensor.`);
      if (t.rank !== 4) throw new ShapeMismatchError(`KVCache.update(${name}): expected [B, Hkv, T, D], got shape [${t.shape}].`);
    }
    const [B, H, T, D] = k.shape;
    if (v.shape[0] !== B || v.shape[1] !== H || v.shape[2] !== T) {
      throw new ShapeMismatchError(`KVCache.update: k [${k.shape}] and v [${v.shape}] must agree on [B, Hkv, T].`);
    }
    if (T === 0) throw new InvalidArgumentError('KVCache.update: k/v have no positions (T = 0); pass at least one.');
    if (state.k && state.v) {
      const [sb, sh, , sd] = state.k.shape;
      if (sb !== B || sh !== H || sd !== D || state.v.shape[3] !== v.shape[3]) {
        throw new ShapeMismatchError(
          `KVCache.update(layer ${layer}): new k [${k.shape}] / v [${v.shape}] do not match the stored ` +
            `k [${state.k.shape}] / v [${state.v.shape}] (batch, heads and head dims must agree); call reset() to start a new sequence.`,
        );
      }
    }
    if (this.window === undefined && this.maxLength !== undefined && state.seen + T > this.maxLength) {
      throw new InvalidArgumentError(
        `KVCache.update(layer ${layer}): ${state.seen} cached + ${T} new positions exceed maxLength ${this.maxLength}; ` +
          'create the cache with a larger maxLength (or a rolling window), or crop()/reset() it first.',
      );
    }
    const oldK = state.k;
    const oldV = state.v;
    const out = tf.tidy(() => {
      const fullK = (oldK ? tf.concat([oldK, k], 2) : tf.clone(k)) as tf.Tensor4D;
      const fullV = (oldV ? tf.concat([oldV, v], 2) : tf.clone(v)) as tf.Tensor4D;
      const len = fullK.shape[2];
      let keptK = fullK;
      let keptV = fullV;
      if (this.window !== undefined && len > this.window) {
        keptK = tf.slice(fullK, [0, 0, len - this.window, 0], [-1, -1, -1, -1]);
        keptV = tf.slice(fullV, [0, 0, len - this.window, 0], [-1, -1, -1, -1]);
      } else {
        keptK = tf.clone(fullK);
        keptV = tf.clone(fullV);
      }
      return { fullK, fullV, keptK: tf.keep(keptK), keptV: tf.keep(keptV) };
    });
    oldK?.dispose();
    oldV?.dispose();
    state.k = out.keptK;
    state.v = out.keptV;
    state.seen += T;
    if (layer === this.nLayers - 1) this.past = state.seen;
    return { k: out.fullK, v: out.fullV };
  }

  /**
   * Positions stored for `layer` now (at most `window` for a rolling cache).
   * @example
   * cache.storedLength(0); // 5
   */
  storedLength(layer = 0): number {
    const state = this.checkLayer(layer, 'storedLength');
    return state.k ? state.k.shape[2] : 0;
  }

  /**
   * Absolute position of the first stored key of `layer` (`pastLength - storedLength` for rolling caches, 0 otherwise).
   * @example
   * cache.firstStoredPosition(0); // 0 unless a rolling window dropped positions
   */
  firstStoredPosition(layer = 0): number {
    const state = this.checkLayer(layer, 'firstStoredPosition');
    return state.seen - (state.k ? state.k.shape[2] : 0);
  }

  /**
   * The stored keys/values of `layer` (new tensors the caller disposes), or null when the layer is empty.
   * @example
   * const kv = cache.get(0); kv?.k.shape; // [B, Hkv, stored, D]
   */
  get(layer: number): { k: tf.Tensor4D; v: tf.Tensor4D } | null {
    this.checkAlive('get');
    const state = this.checkLayer(layer, 'get');
    if (!state.k || !state.v) return null;
    return { k: tf.clone(state.k), v: tf.clone(state.v) };
  }

  /**
   * Beam search: new batch row i takes old row `indices[i]` (the batch size becomes `indices.length`).
   * @throws {InvalidArgumentError} `invalid_argument` when an index is not an integer in [0, B).
   * @example
   * cache.reorder([1, 1, 0]); // 3 beams continue from old rows 1, 1 and 0
   */
  reorder(indices: number[]): void {
    this.checkAlive('reorder');
    if (!Array.isArray(indices) || indices.length === 0) {
      throw new InvalidArgumentError('KVCache.reorder(indices) must be a non-empty array of batch row indices.');
    }
    const stored = this.layers.find((s) => s.k);
    if (!stored) return;
    const B = stored.k!.shape[0];
    indices.forEach((i, n) => {
      if (!Number.isInteger(i) || i < 0 || i >= B) {
        throw new InvalidArgumentError(`KVCache.reorder: indices[${n}] = ${i} is not a batch row in [0, ${B - 1}].`);
      }
    });
    for (const state of this.layers) {
      if (!state.k || !state.v) continue;
      const oldK = state.k;
      const oldV = state.v;
      const [nk, nv] = tf.tidy(() => {
        const idx = tf.tensor1d(indices, 'int32');
        return [tf.keep(tf.gather(oldK, idx, 0)), tf.keep(tf.gather(oldV, idx, 0))] as [tf.Tensor4D, tf.Tensor4D];
      });
      oldK.dispose();
      oldV.dispose();
      state.k = nk;
      state.v = nv;
    }
  }

  /**
   * Drop everything after the first `length` positions (speculative-decoding rollback); a negative `length`
   * removes that many positions from the end, like transformers' `DynamicCache.crop`.
   * @throws {InvalidArgumentError} `invalid_argument` when `length` is out of range, or reaches before the first
   *   position a rolling cache still holds.
   * @example
   * cache.crop(cache.pastLength - 2); // forget the last two tokens
   */
  crop(length: number): void {
    this.checkAlive('crop');
    if (!Number.isInteger(length)) throw new InvalidArgumentError(`KVCache.crop(length) must be an integer, got ${length}.`);
    const target = length < 0 ? this.past + length : length;
    if (target < 0) {
      throw new InvalidArgumentError(`KVCache.crop(${length}): cannot remove more than pastLength = ${this.past} positions.`);
    }
    if (target >= this.past && this.layers.every((s) => s.seen <= target)) return;
    for (const [layer, state] of this.layers.entries()) {
      if (state.seen <= target) continue;
      const first = this.firstStoredPosition(layer);
      if (target < first) {
        throw new InvalidArgumentError(
          `KVCache.crop(${length}): layer ${layer} only holds positions from ${first} (rolling window ${this.window}); ` +
            'crop to a later position or reset() the cache.',
        );
      }
    }
    for (const state of this.layers) {
      if (state.seen <= target || !state.k || !state.v) continue;
      const keep = target - (state.seen - state.k.shape[2]);
      const oldK = state.k;
      const oldV = state.v;
      if (keep === 0) {
        state.k = null;
        state.v = null;
      } else {
        const [nk, nv] = tf.tidy(() => [
          tf.keep(tf.slice(oldK, [0, 0, 0, 0], [-1, -1, keep, -1])),
          tf.keep(tf.slice(oldV, [0, 0, 0, 0], [-1, -1, keep, -1])),
        ]) as [tf.Tensor4D, tf.Tensor4D];
        state.k = nk;
        state.v = nv;
      }
      oldK.dispose();
      oldV.dispose();
      state.seen = target;
    }
    this.past = Math.min(this.past, target);
  }

  /**
   * Forget every position (the cache stays usable).
   * @example
   * cache.reset(); cache.pastLength; // 0
   */
  reset(): void {
    for (const state of this.layers) {
      state.k?.dispose();
      state.v?.dispose();
      state.k = null;
      state.v = null;
      state.seen = 0;
    }
    this.past = 0;
  }

  /**
   * Free the stored tensors; the cache cannot be used afterwards.
   * @example
   * cache.dispose();
   */
  dispose(): void {
    this.reset();
    this.disposed = true;
  }
}
