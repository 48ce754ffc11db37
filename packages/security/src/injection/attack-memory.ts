import type { Embedder } from '@llmkit/core';
import { SecurityOptionError } from '../errors/index.js';
import { normalize } from '../normalize/normalize.js';
import type { InjectionLayer, InjectionLayerResult } from './detect.js';

/**
 * A vector memory of known attacks: embeds attack texts (after normalisation) with a core
 * Embedder and reports cosine similarity of new inputs to the nearest one. Exact search
 * (brute force is faster than an index below ~50k vectors).
 * @example
 * const memory = new AttackMemory(embedder, { threshold: 0.85 });
 * await memory.add(['Ignore all previous instructions and ...']);
 * (await memory.has(userText)).match;
 */
export class AttackMemory implements InjectionLayer {
  readonly name = 'attack_memory';
  private readonly vectors: Float32Array[] = [];
  private readonly texts: string[] = [];
  readonly threshold: number;

  constructor(
    private readonly embedder: Embedder,
    options: { threshold?: number } = {},
  ) {
    this.threshold = options.threshold ?? 0.85;
    if (!(this.threshold > -1 && this.threshold <= 1)) throw new SecurityOptionError(`AttackMemory: threshold must be in (-1, 1], got ${this.threshold}.`);
  }

  get size(): number {
    return this.vectors.length;
  }

  private static unit(v: Float32Array): Float32Array {
    let n = 0;
    for (const x of v) n += x * x;
    const inv = n > 0 ? 1 / Math.sqrt(n) : 0;
    return v.map((x) => x * inv);
  }

  /** Remember attacks. @throws SecurityOptionError when the embedder returns a wrong dimension. */
  async add(texts: string[]): Promise<void> {
    const clean = texts.map((t) => normalize(t).text);
    const vecs = await this.embedder.embed(clean);
    vecs.forEach((v, i) => {
      if (v.length !== this.embedder.dimension) throw new SecurityOptionError(`AttackMemory.add: embedder returned ${v.length} dims, expected ${this.embedder.dimension}.`);
      this.vectors.push(AttackMemory.unit(v));
      this.texts.push(texts[i]!);
    });
  }

  /** Nearest known attack and its cosine similarity; `match` when >= threshold. */
  async has(text: string): Promise<{ match: boolean; similarity: number; nearest?: string }> {
    if (this.vectors.length === 0) return { match: false, similarity: 0 };
    const [q0] = await this.embedder.embed([normalize(text).text]);
    const q = AttackMemory.unit(q0!);
    let best = -1;
    let at = -1;
    for (let i = 0; i < this.vectors.length; i++) {
      const v = this.vectors[i]!;
      let d = 0;
      for (let k = 0; k < v.length; k++) d += v[k]! * q[k]!;
      if (d > best) {
        best = d;
        at = i;
      }
    }
    return { match: best >= this.threshold, similarity: best, nearest: this.texts[at] };
  }

  async score(text: string): Promise<Omit<InjectionLayerResult, 'name'>> {
    const r = await this.has(text);
    // Map similarity to a score that crosses 0.5 at the threshold.
    const score = Math.max(0, Math.min(1, 0.5 + (r.similarity - this.threshold) * 2.5));
    return { score, evidence: r.nearest ? [`nearest known attack (cos ${r.similarity.toFixed(3)}): "${r.nearest.slice(0, 60)}"`] : [] };
  }
}
