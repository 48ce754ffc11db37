import { createProgress, type Progress } from '@llmkit/core/progress';
import { InvalidArgumentError } from '../errors.js';
import { BYTE_TO_CHAR, BYTES_IN_ALPHABET_ORDER } from './byte-level.js';
import { BpeTrainingResult } from './result.js';

/**
 * GPT-4's (cl100k_base) pre-tokenization pattern, written without possessive
 * quantifiers or inline `(?i:)` groups so that JavaScript and Hugging Face's
 * Oniguruma regex engine both accept it and split text identically.
 */
export const GPT4_PATTERN =
  "('s|'S|'t|'T|'re|'rE|'Re|'RE|'ve|'vE|'Ve|'VE|'m|'M|'ll|'lL|'Ll|'LL|'d|'D)|[^\\r\\n\\p{L}\\p{N}]?\\p{L}+|\\p{N}{1,3}| ?[^\\s\\p{L}\\p{N}]+[\\r\\n]*|\\s*[\\r\\n]+|\\s+(?!\\S)|\\s+";

/** Options of {@link trainBpe}. */
export interface TrainBpeOptions {
  /** Target vocabulary size, counting the 256 byte tokens and the special tokens. */
  vocabSize: number;
  /** Pre-tokenization regex (JavaScript syntax, compiled with the `u` flag). Default {@link GPT4_PATTERN}. */
  pattern?: string;
  /** Special tokens; they get the first ids (0, 1, ...) in the given order, like Hugging Face's BpeTrainer. Default none. */
  specialTokens?: string[];
  /** A pair seen fewer times than this is never merged; training stops when the best pair is rarer. Default 2. */
  minFrequency?: number;
  /** Progress for counting and merging (a live bar on a terminal, a few lines in logs): `'auto'` (default) shows it on corpora over ~10 MB. */
  showProgress?: boolean | 'auto';
}

/** Corpus size (UTF-16 code units) from which `showProgress: 'auto'` shows bars. */
const AUTO_PROGRESS_CHARS = 10_000_000;

function validate(options: TrainBpeOptions): Required<TrainBpeOptions> {
  if (options === null || typeof options !== 'object') {
    throw new InvalidArgumentError('trainBpe: options must be an object with at least vocabSize');
  }
  const { vocabSize, pattern = GPT4_PATTERN, specialTokens = [], minFrequency = 2, showProgress = 'auto' } = options;
  if (!Array.isArray(specialTokens) || specialTokens.some((t) => typeof t !== 'string' || t.length === 0)) {
    throw new InvalidArgumentError('trainBpe: specialTokens must be an array of non-empty strings');
  }
  const distinctSpecials = new Set(specialTokens).size;
  if (!Number.isInteger(vocabSize) || vocabSize < 256 + distinctSpecials || vocabSize > 2 ** 24) {
    throw new InvalidArgumentError(
      `trainBpe: vocabSize must be an integer from ${256 + distinctSpecials} (256 bytes + ${distinctSpecials} special tokens) to ${2 ** 24}, got ${String(vocabSize)}`,
    );
  }
  if (typeof pattern !== 'string' || pattern.length === 0) {
    throw new InvalidArgumentError('trainBpe: pattern must be a non-empty regular expression string');
  }
  try {
    new RegExp(pattern, 'gu');
  } catch (error) {
    throw new InvalidArgumentError(`trainBpe: pattern is not a valid regular expression: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!Number.isInteger(minFrequency) || minFrequency < 0) {
    throw new InvalidArgumentError(`trainBpe: minFrequency must be a non-negative integer, got ${String(minFrequency)}`);
  }
  if (showProgress !== 'auto' && typeof showProgress !== 'boolean') {
    throw new InvalidArgumentError(`trainBpe: showProgress must be true, false or 'auto', got ${String(showProgress)}`);
  }
  return { vocabSize, pattern, specialTokens, minFrequency, showProgress };
}

/** Count the pre-token pieces of one text (regex matches and, as with `behavior: 'Isolated'`, the gaps between them). */
function countPieces(text: string, regex: RegExp, counts: Map<string, number>): void {
  // Fast path: one String#match call; valid when the matches tile the text (no gaps), as
  // with the GPT-4 pattern, which matches every character.
  const pieces = text.match(regex);
  if (pieces === null) {
    if (text.length > 0) counts.set(text, (counts.get(text) ?? 0) + 1);
    return;
  }
  let covered = 0;
  for (const piece of pieces) covered += piece.length;
  if (covered === text.length) {
    for (const piece of pieces) if (piece.length > 0) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    return;
  }
  let last = 0;
  regex.lastIndex = 0;
  for (let m = regex.exec(text); m !== null; m = regex.exec(text)) {
    const piece = m[0];
    if (piece.length === 0) {
      regex.lastIndex++;
      continue;
    }
    if (m.index > last) {
      const gap = text.slice(last, m.index);
      counts.set(gap, (counts.get(gap) ?? 0) + 1);
    }
    counts.set(piece, (counts.get(piece) ?? 0) + 1);
    last = m.index + piece.length;
  }
  if (last < text.length) {
    const gap = text.slice(last);
    counts.set(gap, (counts.get(gap) ?? 0) + 1);
  }
}

/** A queue entry: a pair, its count when queued, and the words it may occur in. */
interface PairEntry {
  count: number;
  /** left id * keyBase + right id: ascending keys order pairs lexicographically by ids. */
  key: number;
  /** The pair's slot in the learner's count table. */
  slot: number;
  words: number[];
}

/** Max-heap ordered by count, then by pair ids ascending (Hugging Face's `Merge` ordering). */
class PairQueue {
  private readonly heap: PairEntry[];

  constructor(entries: PairEntry[]) {
    this.heap = entries;
    for (let i = (entries.length >> 1) - 1; i >= 0; i--) this.down(i);
  }

  get size(): number {
    return this.heap.length;
  }

  private static before(x: PairEntry, y: PairEntry): boolean {
    return x.count > y.count || (x.count === y.count && x.key < y.key);
  }

  push(entry: PairEntry): void {
    const heap = this.heap;
    let i = heap.length;
    heap.push(entry);
    while (i > 0) {
      const parent = (i - 1) >> 1;
      if (!PairQueue.before(entry, heap[parent]!)) break;
      heap[i] = heap[parent]!;
      i = parent;
    }
    heap[i] = entry;
  }

  pop(): PairEntry | undefined {
    const heap = this.heap;
    const top = heap[0];
    const last = heap.pop();
    if (heap.length > 0 && last !== undefined) {
      heap[0] = last;
      this.down(0);
    }
    return top;
  }

  private down(i: number): void {
    const heap = this.heap;
    const n = heap.length;
    const entry = heap[i]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= n) break;
      if (child + 1 < n && PairQueue.before(heap[child + 1]!, heap[child]!)) child++;
      if (!PairQueue.before(heap[child]!, entry)) break;
      heap[i] = heap[child]!;
      i = child;
    }
    heap[i] = entry;
  }
}

/**
 * A pair can be merged twice when a merge recreates an existing token string (e.g. `ab`+`c`
 * after `a`+`bc`). Hugging Face keeps such a pair once, at its last rank; so do we.
 */
function dedupeMerges(merges: Array<[number, number, number]>): Array<[number, number, number]> {
  const seen = new Set<string>();
  const kept: Array<[number, number, number]> = [];
  for (let i = merges.length - 1; i >= 0; i--) {
    const key = `${merges[i]![0]},${merges[i]![1]}`;
    if (seen.has(key)) continue;
    seen.add(key);
    kept.push(merges[i]!);
  }
  return kept.reverse();
}

function isAsyncIterable<T>(value: unknown): value is AsyncIterable<T> {
  return value !== null && typeof value === 'object' && Symbol.asyncIterator in value;
}

function noProgress(): Progress {
  return { update() {}, stop() {} };
}

const yieldToEventLoop = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/**
 * The merge phase of {@link trainBpe}, kept synchronous and run in batches so the hot loops
 * stay optimized between event-loop yields.
 */
class MergeLearner {
  readonly tokenStrings: string[] = [];
  private readonly tokenIds = new Map<string, number>();
  readonly specialIds = new Map<string, number>();
  /** Learned merges in order: [left id, right id, merged id]. */
  readonly merges: Array<[number, number, number]> = [];
  readonly baseSize: number;
  private readonly keyBase: number;
  // Words (pre-token pieces with >= 2 bytes) as symbol runs in one flat array.
  private readonly symbols: Int32Array;
  private readonly wordStart: Int32Array;
  private readonly wordLength: Int32Array;
  private readonly wordCount: Float64Array;
  // Each distinct pair gets a dense slot: one hash lookup per pair change.
  private readonly pairSlot = new Map<number, number>();
  private slotCount = new Float64Array(1 << 16);
  private slotKey = new Float64Array(1 << 16);
  private slots = 0;
  // Words a pair gained occurrences in since it was last queued, by slot (HF's `where_to_update`).
  private readonly pending: Array<number[] | undefined> = [];
  private readonly touched: number[] = [];
  private readonly queue: PairQueue;
  private done = false;

  constructor(
    pieceCounts: Map<string, number>,
    specialTokens: readonly string[],
    private readonly vocabSize: number,
    private readonly minFrequency: number,
  ) {
    // Initial vocabulary: special tokens, then the byte alphabet.
    for (const token of specialTokens) this.specialIds.set(token, this.addToken(token));
    const byteIds = new Int32Array(256);
    for (const b of BYTES_IN_ALPHABET_ORDER) byteIds[b] = this.addToken(BYTE_TO_CHAR[b]!);
    this.baseSize = this.tokenStrings.length;
    this.keyBase = Math.max(vocabSize, this.baseSize + 1);

    const encoder = new TextEncoder();
    const chunks: Uint8Array[] = [];
    const counts: number[] = [];
    let totalSymbols = 0;
    for (const [piece, count] of pieceCounts) {
      const bytes = encoder.encode(piece);
      if (bytes.length < 2) continue;
      chunks.push(bytes);
      counts.push(count);
      totalSymbols += bytes.length;
    }
    this.symbols = new Int32Array(totalSymbols);
    this.wordStart = new Int32Array(chunks.length);
    this.wordLength = new Int32Array(chunks.length);
    this.wordCount = Float64Array.from(counts);
    let offset = 0;
    for (let w = 0; w < chunks.length; w++) {
      const bytes = chunks[w]!;
      this.wordStart[w] = offset;
      this.wordLength[w] = bytes.length;
      for (let i = 0; i < bytes.length; i++) this.symbols[offset + i] = byteIds[bytes[i]!]!;
      offset += bytes.length;
    }
    this.queue = new PairQueue(this.countPairs());
  }

  private addToken(token: string): number {
    let id = this.tokenIds.get(token);
    if (id === undefined) {
      id = this.tokenStrings.length;
      this.tokenStrings.push(token);
      this.tokenIds.set(token, id);
    }
    return id;
  }

  private slotOf(key: number): number {
    let slot = this.pairSlot.get(key);
    if (slot === undefined) {
      slot = this.slots++;
      if (slot === this.slotCount.length) {
        const count = new Float64Array(slot * 2);
        count.set(this.slotCount);
        this.slotCount = count;
        const keys = new Float64Array(slot * 2);
        keys.set(this.slotKey);
        this.slotKey = keys;
      }
      this.slotKey[slot] = key;
      this.pairSlot.set(key, slot);
    }
    return slot;
  }

  private note(slot: number, word: number): void {
    const list = this.pending[slot];
    if (list === undefined) {
      this.pending[slot] = [word];
      this.touched.push(slot);
    } else if (list[list.length - 1] !== word) list.push(word);
  }

  /** Queue entries for the pairs touched since the last call, then forget them. */
  private drainTouched(into: (entry: PairEntry) => void): void {
    const { pending, touched, slotCount, slotKey } = this;
    for (const slot of touched) {
      const count = slotCount[slot]!;
      if (count > 0) into({ count, key: slotKey[slot]!, slot, words: pending[slot]! });
      pending[slot] = undefined;
    }
    touched.length = 0;
  }

  private countPairs(): PairEntry[] {
    const { symbols, wordStart, wordLength, wordCount, keyBase } = this;
    for (let w = 0; w < wordStart.length; w++) {
      const start = wordStart[w]!;
      const end = start + wordLength[w]!;
      const count = wordCount[w]!;
      for (let i = start; i + 1 < end; i++) {
        const slot = this.slotOf(symbols[i]! * keyBase + symbols[i + 1]!);
        this.slotCount[slot] += count;
        this.note(slot, w);
      }
    }
    const initial: PairEntry[] = [];
    this.drainTouched((entry) => initial.push(entry));
    return initial;
  }

  /** Learn up to `limit` more merges; returns true once training is finished. */
  step(limit: number): boolean {
    const { symbols, wordStart, wordLength, wordCount, keyBase, pairSlot, queue, tokenStrings, merges } = this;
    const stopAt = merges.length + limit;
    while (!this.done && merges.length < stopAt) {
      if (tokenStrings.length >= this.vocabSize || queue.size === 0) {
        this.done = true;
        break;
      }
      const top = queue.pop()!;
      const current = this.slotCount[top.slot]!;
      if (top.count !== current) {
        top.count = current;
        queue.push(top);
        continue;
      }
      if (top.count < 1 || this.minFrequency > top.count) {
        this.done = true;
        break;
      }
      const left = Math.floor(top.key / keyBase);
      const right = top.key - left * keyBase;
      const merged = this.addToken(tokenStrings[left]! + tokenStrings[right]!);
      merges.push([left, right, merged]);

      for (const w of top.words) {
        const start = wordStart[w]!;
        const end = start + wordLength[w]!;
        const count = wordCount[w]!;
        let read = start;
        let write = start;
        while (read < end) {
          const symbol = symbols[read]!;
          if (symbol === left && read + 1 < end && symbols[read + 1] === right) {
            if (write > start) {
              const previous = symbols[write - 1]!;
              this.slotCount[pairSlot.get(previous * keyBase + left)!] -= count;
              const born = this.slotOf(previous * keyBase + merged);
              this.slotCount[born] += count;
              this.note(born, w);
            }
            symbols[write++] = merged;
            read += 2;
            if (read < end) {
              const next = symbols[read]!;
              this.slotCount[pairSlot.get(right * keyBase + next)!] -= count;
              const born = this.slotOf(merged * keyBase + next);
              this.slotCount[born] += count;
              this.note(born, w);
            }
          } else {
            symbols[write++] = symbol;
            read++;
          }
        }
        wordLength[w] = write - start;
      }
      this.drainTouched((entry) => queue.push(entry));
    }
    return this.done;
  }
}

/**
 * Train a byte-level BPE tokenizer, like Hugging Face `tokenizers`' BpeTrainer with a
 * `Split(pattern, 'isolated')` + `ByteLevel` pre-tokenizer and the full 256-byte
 * initial alphabet (`initial_alphabet=ByteLevel.alphabet()`): same vocabulary ids and
 * same merges in the same order for the same corpus and settings.
 *
 * Ids: special tokens first (0..n-1, in the order given), then the 256 byte tokens in
 * alphabet order (see {@link BYTES_IN_ALPHABET_ORDER}), then one id per merge. Ties
 * between equally frequent pairs go to the pair with the smaller (left id, right id).
 * Pair counts are updated incrementally after each merge (a priority queue with lazy
 * re-queueing and a per-pair index of the words containing it); they are never recounted.
 *
 * The vocabulary has exactly `vocabSize` tokens unless the corpus runs out of pairs
 * occurring at least `minFrequency` times first; then it is smaller. Each text is
 * pre-tokenized on its own; special-token strings inside the texts are trained as ordinary text.
 *
 * @param texts the corpus, one string per document (any iterable or async iterable)
 * @throws InvalidArgumentError (code `invalid_argument`) naming the bad option
 * @example
 * const result = await trainBpe(['hello world', 'hello there'], { vocabSize: 300, minFrequency: 1 });
 * fs.writeFileSync('tokenizer.json', JSON.stringify(result.toHuggingFaceJSON()));
 */
export async function trainBpe(
  texts: Iterable<string> | AsyncIterable<string>,
  options: TrainBpeOptions,
): Promise<BpeTrainingResult> {
  const { vocabSize, pattern, specialTokens, minFrequency, showProgress } = validate(options);
  if (texts === null || typeof texts !== 'object' || !(Symbol.iterator in texts || Symbol.asyncIterator in texts)) {
    if (typeof texts === 'string') {
      throw new InvalidArgumentError('trainBpe: texts must be an iterable of strings, not a string (wrap it: [text])');
    }
    throw new InvalidArgumentError('trainBpe: texts must be an Iterable<string> or AsyncIterable<string>');
  }

  // 1. Count pre-token pieces.
  const regex = new RegExp(pattern, 'gu');
  const pieceCounts = new Map<string, number>();
  let totalChars = 0;
  let countBar = noProgress();
  if (Array.isArray(texts)) {
    const arrayChars = (texts as unknown[]).reduce<number>((n, t) => n + (typeof t === 'string' ? t.length : 0), 0);
    if (showProgress === true || (showProgress === 'auto' && arrayChars >= AUTO_PROGRESS_CHARS)) {
      countBar = createProgress({ total: texts.length, label: 'trainBpe count', enabled: 'auto' });
    }
  }
  let seen = 0;
  const add = (text: unknown): void => {
    if (typeof text !== 'string') {
      throw new InvalidArgumentError(`trainBpe: texts must contain strings, got ${typeof text} at index ${seen}`);
    }
    countPieces(text, regex, pieceCounts);
    totalChars += text.length;
    seen++;
    if ((seen & 255) === 0) countBar.update(seen);
  };
  if (isAsyncIterable<string>(texts)) {
    for await (const text of texts) add(text);
  } else {
    let sinceYield = 0;
    for (const text of texts) {
      add(text);
      sinceYield += typeof text === 'string' ? text.length : 0;
      if (sinceYield >= 4_000_000) {
        sinceYield = 0;
        await yieldToEventLoop();
      }
    }
  }
  countBar.update(seen);
  countBar.stop();

  // 2-4. Initial vocabulary, words, pair counts and the queue.
  const learner = new MergeLearner(pieceCounts, specialTokens, vocabSize, minFrequency);
  pieceCounts.clear();

  // 5. Merge the best pair until the vocabulary is full, yielding to the event loop between batches.
  const mergeBar =
    showProgress === true || (showProgress === 'auto' && totalChars >= AUTO_PROGRESS_CHARS)
      ? createProgress({ total: vocabSize - learner.baseSize, label: 'trainBpe merge', enabled: 'auto' })
      : noProgress();
  while (!learner.step(512)) {
    mergeBar.update(learner.tokenStrings.length - learner.baseSize);
    await yieldToEventLoop();
  }
  mergeBar.update(learner.tokenStrings.length - learner.baseSize);
  mergeBar.stop();

  const tokens = learner.tokenStrings;
  return new BpeTrainingResult({
    tokens,
    merges: dedupeMerges(learner.merges).map(([l, r]) => [tokens[l]!, tokens[r]!] as [string, string]),
    specialTokens: learner.specialIds,
    pattern,
  });
}
