/**
 * A character-level MLP language model (Bengio et al. 2003, as in makemore):
 * the previous `context` characters are embedded, concatenated, passed through
 * a GELU hidden layer and a LayerNorm, and projected to next-character logits.
 */
import { tf, Module, Linear, Embedding, LayerNorm, gelu, type Rng } from '@llmkit/core';

export interface CharMlpConfig {
  vocabSize: number;
  context: number;
  embedDim: number;
  hidden: number;
}

export class CharMlp extends Module {
  embed: Embedding;
  fc: Linear;
  norm: LayerNorm;
  head: Linear;
  constructor(readonly config: CharMlpConfig, rng: Rng) {
    super();
    this.embed = new Embedding(config.vocabSize, config.embedDim, { rng });
    this.fc = new Linear(config.context * config.embedDim, config.hidden, { rng });
    this.norm = new LayerNorm(config.hidden);
    this.head = new Linear(config.hidden, config.vocabSize, { rng });
  }
  /** @param ids [batch, context] int32 → logits [batch, vocab] */
  forward(ids: tf.Tensor2D): tf.Tensor2D {
    const [batch] = ids.shape;
    const x = tf.reshape(this.embed.forward(ids), [batch, this.config.context * this.config.embedDim]);
    return this.head.forward(this.norm.forward(gelu(this.fc.forward(x)))) as tf.Tensor2D;
  }
}

/** Maps characters to ids and back; the vocabulary is the sorted set of characters seen. */
export class CharVocab {
  readonly chars: string[];
  private readonly index = new Map<string, number>();
  constructor(text: string) {
    this.chars = [...new Set(text)].sort();
    this.chars.forEach((c, i) => this.index.set(c, i));
  }
  get size(): number {
    return this.chars.length;
  }
  encode(text: string): Int32Array {
    return Int32Array.from([...text], (c) => {
      const id = this.index.get(c);
      if (id === undefined) throw new Error(`character ${JSON.stringify(c)} is not in the vocabulary`);
      return id;
    });
  }
  decode(ids: ArrayLike<number>): string {
    return Array.from(ids, (i) => this.chars[i]).join('');
  }
}

/** A batch of `size` random windows: inputs [size, context] and next-char targets [size]. */
export function sampleBatch(data: Int32Array, context: number, size: number, rng: Rng): { x: tf.Tensor2D; y: tf.Tensor1D } {
  const x = new Int32Array(size * context);
  const y = new Int32Array(size);
  for (let b = 0; b < size; b++) {
    const start = rng.randint(0, data.length - context);
    x.set(data.subarray(start, start + context), b * context);
    y[b] = data[start + context];
  }
  return { x: tf.tensor2d(x, [size, context], 'int32'), y: tf.tensor1d(y, 'int32') };
}

/** Sample `length` characters after `prompt` with softmax temperature, from the core RNG. */
export function sample(model: CharMlp, vocab: CharVocab, prompt: string, length: number, temperature: number, rng: Rng): string {
  const ids = Array.from(vocab.encode(prompt.padStart(model.config.context, ' ').slice(-model.config.context)));
  const out: number[] = [];
  model.eval();
  for (let i = 0; i < length; i++) {
    const probs = tf.tidy(() => {
      const logits = model.forward(tf.tensor2d(ids.slice(-model.config.context), [1, model.config.context], 'int32'));
      return tf.softmax(tf.div(logits, temperature)).dataSync() as Float32Array;
    });
    const next = rng.categorical(probs)[0];
    ids.push(next);
    out.push(next);
  }
  model.train();
  return vocab.decode(out);
}
