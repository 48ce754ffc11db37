import { SecurityModelError, SecurityOptionError } from '../errors/index.js';
import { extractFeatures } from './features.js';
import { SHIPPED_CLASSIFIER } from './classifier-weights.js';

/** Serialised form of an {@link InjectionClassifier} (int8 weights, base64). */
export interface SerializedClassifier {
  format: 'llmkit-injection-lr-v1';
  dim: number;
  bias: number;
  scale: number;
  /** base64 of `dim` int8 weights; weight = int8 * scale. */
  weights: string;
  meta?: Record<string, unknown>;
}

/** One labelled training example (label 1 = injection). */
export interface LabeledText {
  text: string;
  label: 0 | 1;
}

/** Options of {@link trainInjectionClassifier}. */
export interface TrainClassifierOptions {
  /** Hash buckets, a power of two (default 2^17). */
  dim?: number;
  epochs?: number;
  /** Adagrad learning rate (default 0.5). */
  learningRate?: number;
  /** L2 penalty per example (default 1e-6). */
  l2?: number;
  seed?: number;
}

/**
 * Logistic regression over hashed character 2-5-grams and word 1-2-grams.
 * @example
 * const p = defaultInjectionClassifier().predict('Ignore all previous instructions');
 */
export class InjectionClassifier {
  constructor(
    readonly dim: number,
    readonly weights: Float32Array,
    readonly bias: number,
    readonly meta: Record<string, unknown> = {},
  ) {
    if (!Number.isInteger(Math.log2(dim)) || weights.length !== dim) {
      throw new SecurityModelError(`InjectionClassifier: dim ${dim} must be a power of two equal to weights.length ${weights.length}.`);
    }
  }

  /** Raw logit of `text`. */
  logit(text: string): number {
    const f = extractFeatures(text, this.dim);
    let z = this.bias;
    for (let i = 0; i < f.indices.length; i++) z += this.weights[f.indices[i]!]! * f.values[i]!;
    return z;
  }

  /** Probability that `text` is an injection or jailbreak. */
  predict(text: string): number {
    return 1 / (1 + Math.exp(-this.logit(text)));
  }

  /** The `k` features that pushed the score up most (as hash bucket ids: for evidence counts only). */
  serialize(meta: Record<string, unknown> = this.meta): SerializedClassifier {
    let max = 0;
    for (const w of this.weights) max = Math.max(max, Math.abs(w));
    const scale = max > 0 ? max / 127 : 1;
    const q = new Int8Array(this.dim);
    for (let i = 0; i < this.dim; i++) q[i] = Math.max(-127, Math.min(127, Math.round(this.weights[i]! / scale)));
    return { format: 'llmkit-injection-lr-v1', dim: this.dim, bias: this.bias, scale, weights: Buffer.from(q.buffer).toString('base64'), meta };
  }

  /**
   * Load a classifier written by {@link InjectionClassifier.serialize}.
   * @throws SecurityModelError (`security_model`) on a wrong format or size.
   */
  static deserialize(data: SerializedClassifier): InjectionClassifier {
    if (data?.format !== 'llmkit-injection-lr-v1') {
      throw new SecurityModelError(`InjectionClassifier.deserialize: format must be "llmkit-injection-lr-v1", got ${JSON.stringify(data?.format)}.`);
    }
    const bytes = Buffer.from(data.weights, 'base64');
    if (bytes.length !== data.dim) {
      throw new SecurityModelError(`InjectionClassifier.deserialize: expected ${data.dim} weight bytes, got ${bytes.length}. The file is truncated or corrupt; regenerate it.`);
    }
    const q = new Int8Array(bytes.buffer, bytes.byteOffset, bytes.length);
    const w = new Float32Array(data.dim);
    for (let i = 0; i < data.dim; i++) w[i] = q[i]! * data.scale;
    return new InjectionClassifier(data.dim, w, data.bias, data.meta ?? {});
  }
}

let shipped: InjectionClassifier | undefined;

/** The classifier shipped with the package (trained by scripts/train-classifier.ts on data/injection-train.jsonl). */
export function defaultInjectionClassifier(): InjectionClassifier {
  shipped ??= InjectionClassifier.deserialize(SHIPPED_CLASSIFIER as SerializedClassifier);
  return shipped;
}

/**
 * Train a hashed n-gram logistic regression with Adagrad SGD (deterministic for a seed).
 * @throws SecurityOptionError (`security_invalid_option`) on empty data or bad options.
 */
export function trainInjectionClassifier(examples: readonly LabeledText[], options: TrainClassifierOptions = {}): InjectionClassifier {
  const dim = options.dim ?? 1 << 17;
  const epochs = options.epochs ?? 6;
  const lr = options.learningRate ?? 0.5;
  const l2 = options.l2 ?? 1e-6;
  if (examples.length === 0) throw new SecurityOptionError('trainInjectionClassifier: examples is empty; pass labelled texts.');
  if (!Number.isInteger(Math.log2(dim))) throw new SecurityOptionError(`trainInjectionClassifier: dim must be a power of two, got ${dim}.`);
  const feats = examples.map((e) => extractFeatures(e.text, dim));
  const w = new Float32Array(dim);
  const g2 = new Float32Array(dim).fill(1e-8);
  let b = 0;
  let bg2 = 1e-8;
  let state = (options.seed ?? 1) >>> 0;
  const rand = (): number => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const order = examples.map((_, i) => i);
  for (let epoch = 0; epoch < epochs; epoch++) {
    for (let i = order.length - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [order[i], order[j]] = [order[j]!, order[i]!];
    }
    for (const idx of order) {
      const f = feats[idx]!;
      let z = b;
      for (let k = 0; k < f.indices.length; k++) z += w[f.indices[k]!]! * f.values[k]!;
      const p = 1 / (1 + Math.exp(-z));
      const err = p - examples[idx]!.label;
      for (let k = 0; k < f.indices.length; k++) {
        const j = f.indices[k]!;
        const g = err * f.values[k]! + l2 * w[j]!;
        g2[j]! += g * g;
        w[j]! -= (lr * g) / Math.sqrt(g2[j]!);
      }
      bg2 += err * err;
      b -= (lr * err) / Math.sqrt(bg2);
    }
  }
  return new InjectionClassifier(dim, w, b);
}
