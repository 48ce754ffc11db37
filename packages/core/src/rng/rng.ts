import { InvalidArgumentError } from '../errors/index.js';
import { tf } from '../tf.js';

/** Serializable state of an {@link Rng}: the four xoshiro128** words plus the cached normal. */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

/**
 * A seeded pseudo-random generator (xoshiro128**, seeded through splitmix32).
 * It runs in plain JavaScript, so the same seed gives the same numbers on every
 * tensor backend; its state can be saved and restored for bit-identical resume.
 */
export class Rng {
  private s = new Uint32Array(4);
  private spare: number | null = null;

  constructor(seed: number) {
    if (!Number.isFinite(seed) || !Number.isInteger(seed)) {
      throw new InvalidArgumentError(`createRng(seed): seed must be an integer, got ${seed}.`);
    }
    // splitmix32 over the low and high halves of the seed.
    let x = (seed >>> 0) ^ Math.floor(seed / 2 ** 32);
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      this.s[i] = (z ^ (z >>> 16)) >>> 0;
    }
    if ((this.s[0] | this.s[1] | this.s[2] | this.s[3]) === 0) this.s[0] = 1;
  }

  /** Next raw 32-bit unsigned integer. */
  nextUint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A double uniform in [0, 1) with 53 random bits. */
  random(): number {
    const hi = this.nextUint32() >>> 5; // 27 bits
    const lo = this.nextUint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** An integer uniform in [low, high). */
  randint(low: number, high: number): number {
    if (!(Number.isInteger(low) && Number.isInteger(high) && high > low)) {
      throw new InvalidArgumentError(`randint(low, high) needs integers with high > low, got (${low}, ${high}).`);
    }
    return low + Math.floor(this.random() * (high - low));
  }

  /** A standard normal sample (Box-Muller, the second value cached). */
  normalOne(): number {
    if (this.spare !== null) {
      const v = this.spare;
      this.spare = null;
      return v;
    }
    let u = 0;
    while (u === 0) u = this.random();
    const v = this.random();
    const r = Math.sqrt(-2 * Math.log(u));
    this.spare = r * Math.sin(2 * Math.PI * v);
    return r * Math.cos(2 * Math.PI * v);
  }

  /** `n` floats uniform in [low, high). */
  uniform(n: number, low = 0, high = 1): Float32Array {
    checkCount(n, 'uniform');
    const out = new Float32Array(n);
    const span = high - low;
    for (let i = 0; i < n; i++) out[i] = low + span * this.random();
    return out;
  }

  /** `n` floats from N(mean, std^2). */
  normal(n: number, mean = 0, std = 1): Float32Array {
    checkCount(n, 'normal');
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = mean + std * this.normalOne();
    return out;
  }

  /**
   * Draw `n` indices from the categorical distribution with the given
   * (unnormalised, non-negative) probabilities, by inverse CDF.
   * @throws {InvalidArgumentError} `invalid_argument` when weights are negative, NaN or sum to 0.
   */
  categorical(weights: ArrayLike<number>, n = 1): Int32Array {
    checkCount(n, 'categorical');
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i];
      if (!(w >= 0) || w === Infinity) {
        throw new InvalidArgumentError(`categorical(weights): weights[${i}] = ${w}; weights must be finite and >= 0.`);
      }
      total += w;
    }
    if (!(total > 0)) throw new InvalidArgumentError('categorical(weights): weights sum to 0; give at least one positive weight.');
    const out = new Int32Array(n);
    for (let k = 0; k < n; k++) {
      const target = this.random() * total;
      let acc = 0;
      let pick = -1;
      for (let i = 0; i < weights.length; i++) {
        if (weights[i] > 0) pick = i;
        acc += weights[i];
        if (target < acc) break;
      }
      out[k] = pick;
    }
    return out;
  }

  /** A uniformly random permutation of 0..n-1 (Fisher-Yates). */
  permutation(n: number): Int32Array {
    checkCount(n, 'permutation');
    const out = new Int32Array(n);
    for (let i = 0; i < n; i++) out[i] = i;
    for (let i = n - 1; i > 0; i--) {
      const j = Math.floor(this.random() * (i + 1));
      const t = out[i];
      out[i] = out[j];
      out[j] = t;
    }
    return out;
  }

  /** A float32 tensor of the given shape with U[low, high) entries. */
  uniformTensor(shape: number[], low = 0, high = 1): tf.Tensor {
    return tf.tensor(this.uniform(sizeOf(shape), low, high), shape, 'float32');
  }

  /** A float32 tensor of the given shape with N(mean, std^2) entries. */
  normalTensor(shape: number[], mean = 0, std = 1): tf.Tensor {
    return tf.tensor(this.normal(sizeOf(shape), mean, std), shape, 'float32');
  }

  /** A snapshot of the generator state (JSON-serializable). */
  getState(): RngState {
    return { s: [this.s[0], this.s[1], this.s[2], this.s[3]], spare: this.spare };
  }

  /** Restore a snapshot taken with {@link getState}. */
  setState(state: RngState): void {
    if (!state || !Array.isArray(state.s) || state.s.length !== 4) {
      throw new InvalidArgumentError('Rng.setState(state): state must be an object from getState() with four words in `s`.');
    }
    for (let i = 0; i < 4; i++) this.s[i] = state.s[i] >>> 0;
    this.spare = state.spare ?? null;
  }
}

function rotl(x: number, k: number): number {
  return ((x << k) | (x >>> (32 - k))) >>> 0;
}

function checkCount(n: number, what: string): void {
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${what}(n): n must be a non-negative integer, got ${n}.`);
}

function sizeOf(shape: number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

/**
 * Create a seeded generator.
 * @example
 * const rng = createRng(42);
 * rng.permutation(10); rng.normalTensor([2, 3]);
 */
export function createRng(seed: number): Rng {
  return new Rng(seed);
}

let defaultRng = new Rng(0);

/** The process-wide generator used by initialisers and dropout when none is passed. */
export function getDefaultRng(): Rng {
  return defaultRng;
}

/** Reseed the process-wide generator (like `torch.manual_seed`). */
export function manualSeed(seed: number): Rng {
  defaultRng = new Rng(seed);
  return defaultRng;
}
