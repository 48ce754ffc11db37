import { tf } from '../tf.js';
import { InvalidArgumentError } from '../errors/index.js';
import { getDefaultRng, type Rng } from '../rng/rng.js';
import { Module, createParameter, type Parameter } from './module.js';
import { checkIndexRange, checkInt, checkPositiveInt, checkTensor, type CustomGradientFunc } from './checks.js';

/** Options of {@link Embedding}. */
export interface EmbeddingOptions {
  /**
   * Row that is initialised to zeros and receives no gradient, as PyTorch's
   * `padding_idx`. Negative values count from the end. Default: none.
   */
  paddingIdx?: number;
  /** Generator for the initial weights; default {@link getDefaultRng}. */
  rng?: Rng;
}

/**
 * Lookup table of vectors, as `torch.nn.Embedding`. Initialised N(0, 1)
 * with the padding row (if any) zeroed; the padding row gets no gradient.
 *
 * Parameter: `weight` [numEmbeddings, embeddingDim].
 *
 * Ids are range-checked on backends that keep tensors in host memory (cpu,
 * wasm, tensorflow); on webgl/webgpu an out-of-range id is not detected.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for non-positive sizes or a `paddingIdx` out of range.
 * @example
 * const emb = new Embedding(100, 16, { rng: createRng(0) });
 * emb.forward(tf.tensor2d([[1, 2, 3]], undefined, 'int32')).shape; // [1, 3, 16]
 */
export class Embedding extends Module {
  readonly numEmbeddings: number;
  readonly embeddingDim: number;
  /** The padding row, normalised to [0, numEmbeddings), or null. */
  readonly paddingIdx: number | null;
  /** [numEmbeddings, embeddingDim] */
  weight: Parameter;

  constructor(numEmbeddings: number, embeddingDim: number, options: EmbeddingOptions = {}) {
    super();
    checkPositiveInt(numEmbeddings, 'Embedding(numEmbeddings)');
    checkPositiveInt(embeddingDim, 'Embedding(embeddingDim)');
    this.numEmbeddings = numEmbeddings;
    this.embeddingDim = embeddingDim;
    const padding = options.paddingIdx;
    if (padding !== undefined && padding !== null) {
      if (!Number.isInteger(padding) || padding < -numEmbeddings || padding >= numEmbeddings) {
        throw new InvalidArgumentError(
          `Embedding: paddingIdx ${padding} must be an integer in [-${numEmbeddings}, ${numEmbeddings}).`,
        );
      }
      this.paddingIdx = padding < 0 ? padding + numEmbeddings : padding;
    } else {
      this.paddingIdx = null;
    }
    const values = (options.rng ?? getDefaultRng()).normal(numEmbeddings * embeddingDim);
    if (this.paddingIdx !== null) values.fill(0, this.paddingIdx * embeddingDim, (this.paddingIdx + 1) * embeddingDim);
    // In tf.tidy so that the initial tensor (whose data the variable shares) is disposed; see Linear.
    this.weight = tf.tidy(() => createParameter(tf.tensor2d(values, [numEmbeddings, embeddingDim]), true, 'embedding.weight'));
  }

  /**
   * Look up the rows of `ids` (via `tf.gather`; its gradient uses the
   * UnsortedSegmentSum kernel).
   * @param ids [...] int32 indices in [0, numEmbeddings), any shape
   * @returns [..., embeddingDim]
   * @throws {InvalidArgumentError} `invalid_argument` when `ids` is not int32 or an id is out of range.
   */
  forward(ids: tf.Tensor): tf.Tensor {
    checkTensor(ids, 'Embedding.forward(ids)');
    checkInt(ids, 'Embedding.forward(ids)');
    checkIndexRange(ids, this.numEmbeddings, `Embedding(${this.numEmbeddings}, ${this.embeddingDim}).forward(ids)`);
    const paddingIdx = this.paddingIdx;
    if (paddingIdx === null) return tf.gather(this.weight, ids);
    const { numEmbeddings, embeddingDim } = this;
    // Same values as gather; the gradient skips the positions holding the padding id.
    const forward = (weight: tf.Tensor, save: tf.GradSaveFunc) => {
      const value = tf.gather(weight, ids);
      save([ids]); // kept alive until the backward pass
      const gradFunc = (dy: tf.Tensor, saved: tf.Tensor[]) =>
        tf.tidy(() => {
          const savedIds = saved[0];
          const keep = tf.cast(tf.notEqual(savedIds, tf.scalar(paddingIdx, 'int32')), 'float32');
          const rows = tf.reshape(tf.mul(dy, tf.expandDims(keep, -1)), [savedIds.size, embeddingDim]);
          return tf.unsortedSegmentSum(rows, tf.reshape(savedIds, [savedIds.size]), numEmbeddings);
        });
      return { value, gradFunc };
    };
    return tf.customGrad(forward as unknown as CustomGradientFunc)(this.weight);
  }
}
