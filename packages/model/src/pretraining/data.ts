/**
 * Pretraining data as nanoGPT prepares it: documents tokenized and packed into
 * one token stream, a contiguous train/validation split, random fixed-length
 * windows with next-token targets (`get_batch`), and the mean loss over random
 * batches (`estimate_loss`). Plus the character-level tokenizer of nanoGPT's
 * `data/shakespeare_char/prepare.py`.
 */
import { tf, type Module, type Rng } from '@llmkit/core';
import { InvalidArgumentError } from '@llmkit/core/errors';

/** Anything with `encode(text) -> ids`: a @llmkit/tokenizer `Tokenizer`, a {@link CharTokenizer}, ... */
export interface TokenEncoder {
  encode(text: string): ArrayLike<number>;
}

/** A model trainable by next-token prediction: `loss(inputIds [B,T], targets [B,T]) -> mean cross-entropy`. */
export type CausalLMLike = Module & {
  loss(inputIds: tf.Tensor2D, targets: tf.Tensor2D): tf.Scalar;
};

/** Options of {@link packTokens}. */
export interface PackTokensOptions {
  /** Encodes string documents (required when any document is a string). */
  tokenizer?: TokenEncoder;
  /** Token appended after every document (nanoGPT's openwebtext `prepare.py` appends `eot` to each). */
  eosId?: number;
  /** Token prepended to every document (Llama-style BOS). */
  bosId?: number;
  /** When given, every id must lie in [0, vocabSize). */
  vocabSize?: number;
}

/** Options of {@link trainValSplit}. */
export interface TrainValSplitOptions {
  /** Fraction of the stream kept for validation, taken from the end. Default 0.1 (nanoGPT's 90/10). */
  valFraction?: number;
}

/** Options of {@link randomWindows}. */
export interface RandomWindowsOptions {
  /** Tokens per window (context length). */
  blockSize: number;
  /** Windows per batch. */
  batchSize: number;
  /** Source of the window starts (core's seeded RNG). */
  rng: Rng;
}

/** A batch of windows: inputs `x` and next-token targets `y`, both int32 [batchSize, blockSize]. */
export interface WindowBatch {
  x: tf.Tensor2D;
  y: tf.Tensor2D;
}

/** Options of {@link evalLoss}. */
export interface EvalLossOptions extends RandomWindowsOptions {
  /** Batches to average over (nanoGPT's `eval_iters`). */
  iters: number;
}

function checkPositiveInt(owner: string, name: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value <= 0) {
    throw new InvalidArgumentError(`${owner}: "${name}" must be a positive integer, got ${String(value)}.`);
  }
  return value;
}

function checkTokenId(owner: string, name: string, value: number, vocabSize?: number): void {
  if (!Number.isInteger(value) || value < 0 || (vocabSize !== undefined && value >= vocabSize)) {
    const range = vocabSize !== undefined ? `[0, ${vocabSize})` : 'a non-negative integer';
    throw new InvalidArgumentError(`${owner}: ${name} must be ${range}, got ${value}. Check the tokenizer and vocabSize.`);
  }
}

function checkStream(owner: string, stream: unknown): ArrayLike<number> {
  if (stream === null || typeof stream !== 'object' || typeof (stream as ArrayLike<number>).length !== 'number') {
    throw new InvalidArgumentError(`${owner}: "stream" must be an Int32Array (or array) of token ids, got ${typeof stream}.`);
  }
  return stream as ArrayLike<number>;
}

function toInt32(stream: ArrayLike<number>): Int32Array {
  return stream instanceof Int32Array ? stream : Int32Array.from(stream);
}

/**
 * Tokenizes documents and packs them into one Int32Array token stream,
 * optionally with `bosId` before and `eosId` after each document (as nanoGPT's
 * openwebtext `prepare.py` appends the end-of-text token to every document so
 * windows that cross documents see the boundary).
 *
 * @param documents strings (need `options.tokenizer`) and/or arrays of token ids; a single string is one document
 * @throws {InvalidArgumentError} `invalid_argument` when a string comes without a tokenizer, or an id is not an
 *   integer in [0, vocabSize).
 * @example
 * const tok = CharTokenizer.fromText('abc');
 * packTokens(['ab', 'ca'], { tokenizer: tok });           // Int32Array [0, 1, 2, 0]
 * packTokens([[5, 6], [7]], { eosId: 0 });                 // Int32Array [5, 6, 0, 7, 0]
 */
export function packTokens(
  documents: string | ReadonlyArray<string | ArrayLike<number>>,
  options: PackTokensOptions = {},
): Int32Array {
  const owner = 'packTokens';
  const docs = typeof documents === 'string' ? [documents] : documents;
  if (!Array.isArray(docs)) {
    throw new InvalidArgumentError(`${owner}: "documents" must be a string or an array of strings / token-id arrays.`);
  }
  const { tokenizer, eosId, bosId, vocabSize } = options;
  if (vocabSize !== undefined) checkPositiveInt(owner, 'vocabSize', vocabSize);
  if (eosId !== undefined) checkTokenId(owner, '"eosId"', eosId, vocabSize);
  if (bosId !== undefined) checkTokenId(owner, '"bosId"', bosId, vocabSize);
  const encoded: ArrayLike<number>[] = [];
  let total = 0;
  docs.forEach((doc, d) => {
    let ids: ArrayLike<number>;
    if (typeof doc === 'string') {
      if (!tokenizer) {
        throw new InvalidArgumentError(`${owner}: document ${d} is a string; pass options.tokenizer to encode it (or pass token ids).`);
      }
      ids = tokenizer.encode(doc);
    } else if (doc !== null && typeof doc === 'object' && typeof doc.length === 'number') {
      ids = doc;
    } else {
      throw new InvalidArgumentError(`${owner}: document ${d} must be a string or an array of token ids, got ${typeof doc}.`);
    }
    encoded.push(ids);
    total += ids.length + (bosId !== undefined ? 1 : 0) + (eosId !== undefined ? 1 : 0);
  });
  const out = new Int32Array(total);
  let at = 0;
  encoded.forEach((ids, d) => {
    if (bosId !== undefined) out[at++] = bosId;
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!Number.isInteger(id) || id < 0 || (vocabSize !== undefined && id >= vocabSize)) {
        checkTokenId(owner, `token ${i} of document ${d}`, id, vocabSize);
      }
      out[at++] = id;
    }
    if (eosId !== undefined) out[at++] = eosId;
  });
  return out;
}

/**
 * Splits a token stream into a contiguous train part (the first
 * `1 - valFraction`) and validation part (the rest), as nanoGPT's
 * `prepare.py`: `train = data[:int(n * 0.9)]`, `val = data[int(n * 0.9):]`.
 * The parts are views (`subarray`) of the stream when it is an Int32Array.
 *
 * @throws {InvalidArgumentError} `invalid_argument` when `valFraction` is not in (0, 1) or a part would be empty.
 * @example
 * const { train, val } = trainValSplit(Int32Array.from({ length: 10 }, (_, i) => i));
 * // train = [0..8], val = [9]
 */
export function trainValSplit(
  stream: ArrayLike<number>,
  options: TrainValSplitOptions = {},
): { train: Int32Array; val: Int32Array } {
  const owner = 'trainValSplit';
  const data = toInt32(checkStream(owner, stream));
  const valFraction = options.valFraction ?? 0.1;
  if (typeof valFraction !== 'number' || !(valFraction > 0 && valFraction < 1)) {
    throw new InvalidArgumentError(`${owner}: "valFraction" must be a number in (0, 1), got ${String(valFraction)}.`);
  }
  const n = Math.floor(data.length * (1 - valFraction));
  if (n === 0 || n === data.length) {
    throw new InvalidArgumentError(
      `${owner}: a stream of ${data.length} tokens with valFraction ${valFraction} leaves an empty ${n === 0 ? 'train' : 'validation'} part; use more data or change valFraction.`,
    );
  }
  return { train: data.subarray(0, n), val: data.subarray(n) };
}

function checkWindows(owner: string, data: ArrayLike<number>, options: RandomWindowsOptions): void {
  if (options === null || typeof options !== 'object') throw new InvalidArgumentError(`${owner}: expected an options object.`);
  const blockSize = checkPositiveInt(owner, 'blockSize', options.blockSize);
  checkPositiveInt(owner, 'batchSize', options.batchSize);
  if (!options.rng || typeof options.rng.randint !== 'function') {
    throw new InvalidArgumentError(`${owner}: "rng" must be a core Rng (createRng(seed)).`);
  }
  if (data.length < blockSize + 1) {
    throw new InvalidArgumentError(
      `${owner}: "stream" has ${data.length} tokens, fewer than blockSize + 1 = ${blockSize + 1} needed for one window and its targets; use a smaller blockSize or more data.`,
    );
  }
}

/**
 * A batch of random windows of the stream, nanoGPT's `get_batch`: `batchSize`
 * starts drawn uniformly from [0, length - blockSize) with `rng`, inputs
 * `x[b] = stream[s, s + blockSize)` and targets `y[b] = stream[s + 1, s + blockSize + 1)`.
 * The caller owns (disposes) the returned tensors.
 *
 * @throws {InvalidArgumentError} `invalid_argument` when the stream is shorter than blockSize + 1, or for a bad size / rng.
 * @example
 * const { x, y } = randomWindows(train, { blockSize: 64, batchSize: 12, rng: createRng(0) });
 * x.shape; // [12, 64]
 */
export function randomWindows(stream: ArrayLike<number>, options: RandomWindowsOptions): WindowBatch {
  const owner = 'randomWindows';
  const data = toInt32(checkStream(owner, stream));
  checkWindows(owner, data, options);
  const { blockSize, batchSize, rng } = options;
  const x = new Int32Array(batchSize * blockSize);
  const y = new Int32Array(batchSize * blockSize);
  const high = data.length - blockSize;
  for (let b = 0; b < batchSize; b++) {
    const start = rng.randint(0, high);
    x.set(data.subarray(start, start + blockSize), b * blockSize);
    y.set(data.subarray(start + 1, start + blockSize + 1), b * blockSize);
  }
  return {
    x: tf.tensor2d(x, [batchSize, blockSize], 'int32'),
    y: tf.tensor2d(y, [batchSize, blockSize], 'int32'),
  };
}

/**
 * Mean of `model.loss(x, y)` over `iters` random batches of the stream, in eval
 * mode and without gradients (nanoGPT's `estimate_loss` for one split). The
 * model's training mode is restored afterwards.
 *
 * @throws {InvalidArgumentError} `invalid_argument` for a stream shorter than blockSize + 1, a bad size or a model without `loss`.
 * @example
 * const val = evalLoss(model, valStream, { blockSize: 64, batchSize: 12, iters: 50, rng: createRng(1) });
 */
export function evalLoss(model: CausalLMLike, stream: ArrayLike<number>, options: EvalLossOptions): number {
  const owner = 'evalLoss';
  if (!model || typeof (model as { loss?: unknown }).loss !== 'function') {
    throw new InvalidArgumentError(`${owner}: "model" must have loss(inputIds, targets) (a DecoderLM).`);
  }
  const data = toInt32(checkStream(owner, stream));
  checkWindows(owner, data, options);
  const iters = checkPositiveInt(owner, 'iters', options.iters);
  const wasTraining = model.training;
  model.eval();
  let sum = 0;
  try {
    for (let i = 0; i < iters; i++) {
      sum += tf.tidy(() => {
        const { x, y } = randomWindows(data, options);
        return model.loss(x, y).dataSync()[0];
      });
    }
  } finally {
    model.train(wasTraining);
  }
  return sum / iters;
}

function byCodePoint(a: string, b: string): number {
  return a.codePointAt(0)! - b.codePointAt(0)!;
}

/**
 * Character-level tokenizer of nanoGPT's `data/shakespeare_char/prepare.py`:
 * the vocabulary is the sorted (by code point, as Python's `sorted(set(text))`)
 * set of characters of a corpus; id = position in that list.
 *
 * @example
 * const tok = CharTokenizer.fromText('hello world');
 * tok.vocabSize;              // 8 (' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w')
 * tok.decode(tok.encode('hello')); // 'hello'
 */
export class CharTokenizer {
  /** The vocabulary: `chars[id]` is the character of token `id`. */
  readonly chars: readonly string[];
  private readonly index = new Map<string, number>();

  /**
   * @param chars the vocabulary in id order (distinct single characters, i.e. code points)
   * @throws {InvalidArgumentError} `invalid_argument` for an empty list, a duplicate or an entry that is not one character.
   */
  constructor(chars: readonly string[]) {
    if (!Array.isArray(chars) || chars.length === 0) {
      throw new InvalidArgumentError('CharTokenizer: "chars" must be a non-empty array of characters; build one with CharTokenizer.fromText(corpus).');
    }
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || [...c].length !== 1) {
        throw new InvalidArgumentError(`CharTokenizer: chars[${i}] must be a single character, got ${JSON.stringify(c)}.`);
      }
      if (this.index.has(c)) throw new InvalidArgumentError(`CharTokenizer: character ${JSON.stringify(c)} is listed twice (chars[${i}]).`);
      this.index.set(c, i);
    });
    this.chars = Object.freeze([...chars]);
  }

  /**
   * The tokenizer whose vocabulary is the sorted set of characters in `text`.
   * @throws {InvalidArgumentError} `invalid_argument` for an empty or non-string corpus.
   */
  static fromText(text: string): CharTokenizer {
    if (typeof text !== 'string' || text.length === 0) {
      throw new InvalidArgumentError('CharTokenizer.fromText: "text" must be a non-empty string (the training corpus).');
    }
    return new CharTokenizer([...new Set(text)].sort(byCodePoint));
  }

  /** Number of distinct characters. */
  get vocabSize(): number {
    return this.chars.length;
  }

  /**
   * Token ids of `text`, one per character (code point).
   * @throws {InvalidArgumentError} `invalid_argument` for a character outside the vocabulary (named with its position).
   */
  encode(text: string): number[] {
    if (typeof text !== 'string') throw new InvalidArgumentError(`CharTokenizer.encode: "text" must be a string, got ${typeof text}.`);
    const out: number[] = [];
    let pos = 0;
    for (const c of text) {
      const id = this.index.get(c);
      if (id === undefined) {
        throw new InvalidArgumentError(
          `CharTokenizer.encode: character ${JSON.stringify(c)} at position ${pos} is not in the vocabulary; build the tokenizer from a corpus that contains it.`,
        );
      }
      out.push(id);
      pos++;
    }
    return out;
  }

  /**
   * The text of token ids.
   * @throws {InvalidArgumentError} `invalid_argument` for an id outside [0, vocabSize).
   */
  decode(ids: ArrayLike<number>): string {
    let out = '';
    for (let i = 0; i < ids.length; i++) {
      const c = this.chars[ids[i]];
      if (c === undefined) {
        throw new InvalidArgumentError(`CharTokenizer.decode: id ${ids[i]} at position ${i} is outside [0, ${this.vocabSize}).`);
      }
      out += c;
    }
    return out;
  }
}
