import { InvalidArgumentError } from '../errors.js';
import type { Tokenizer } from '../types.js';

/** Options of {@link createStreamDecoder}. */
export interface StreamDecoderOptions {
  /** Drop special tokens from the text, as `decode(ids, { skipSpecialTokens })`. Default false. */
  skipSpecialTokens?: boolean;
  /**
   * Most ids held back before their text is emitted as decoded. Byte-level text never needs more than
   * a few; the limit bounds the window for ids that decode to nothing (skipped special tokens) or
   * decoders whose output is not prefix-stable. Default 32.
   */
  maxPendingTokens?: number;
}

/** An incremental decoder: feed ids as they are generated, show the returned text. */
export interface StreamDecoder {
  /** Add one id or several; returns the text that became final (possibly ''). */
  push(ids: number | ArrayLike<number>): string;
  /** Emit whatever is still held back (an incomplete trailing character decodes as the full decode would). */
  flush(): string;
  /** Forget everything, to start a new stream. */
  reset(): void;
}

const REPLACEMENT = '\uFFFD';

/** How many trailing ids a push tries to hold back to end on final text (a UTF-8 character has at most 4 bytes). */
const MAX_BACKOFF = 4;

/**
 * Create an incremental decoder over any tokenizer's `decode`. It keeps a small window: the ids of the
 * last emitted piece (context, so decoders that treat the start of the text specially, such as a
 * Metaspace decoder stripping a leading space, decode the next piece as they would mid-text) and the
 * ids not yet emitted. Text is emitted when the window's decode does not end in U+FFFD, or when the
 * decode of a longer window already extends it (the decoder has moved past those bytes, so a U+FFFD
 * there is one the full decode has too); a character split across byte-level tokens (emoji, CJK) is
 * never emitted half-done. This is the
 * prefix/read-offset method of Hugging Face's `DecodeStream` and transformers' `TextStreamer`; each
 * push decodes O(window) ids, so a stream costs linear time in its length.
 *
 * The concatenation of all emitted text equals `tokenizer.decode(allIds)` for decoders whose output is
 * local (byte-level BPE, tiktoken, SentencePiece byte fallback, Metaspace, WordPiece).
 *
 * @param tokenizer Any tokenizer; only `decode` is used.
 * @param options `skipSpecialTokens`, `maxPendingTokens`.
 * @throws InvalidArgumentError (`invalid_argument`) on a bad option or a non-integer id.
 * @example
 * const stream = createStreamDecoder(tokenizer);
 * for await (const id of generatedIds) process.stdout.write(stream.push(id));
 * process.stdout.write(stream.flush());
 */
export function createStreamDecoder(tokenizer: Tokenizer, options: StreamDecoderOptions = {}): StreamDecoder {
  const decodeOptions = { skipSpecialTokens: options.skipSpecialTokens ?? false };
  const maxPending = options.maxPendingTokens ?? 32;
  if (!Number.isInteger(maxPending) || maxPending < 1) {
    throw new InvalidArgumentError(`maxPendingTokens must be a positive integer, got ${String(options.maxPendingTokens)}.`);
  }

  // ids[0..readOffset) is context already emitted; ids[readOffset..) is pending.
  let ids: number[] = [];
  let readOffset = 0;
  // decode(ids[0..readOffset)), cached.
  let prefixText = '';

  const decode = (slice: number[]): string => (slice.length === 0 ? '' : tokenizer.decode(slice, decodeOptions));

  /** Emit the text of ids[readOffset..upTo) and make those ids the new context. */
  const emitUpTo = (upTo: number, text: string): string => {
    const piece = text.slice(prefixText.length);
    ids = ids.slice(readOffset); // drop the old context; ids[0..upTo - readOffset) becomes the new one
    readOffset = upTo - readOffset;
    prefixText = decode(ids.slice(0, readOffset));
    return piece;
  };

  const endsInHighSurrogate = (text: string): boolean => {
    const last = text.charCodeAt(text.length - 1);
    return last >= 0xd800 && last <= 0xdbff;
  };

  /** Text that extends the context and may be shown: it starts with the context's text and adds to it. */
  const extendsContext = (text: string): boolean => text.length > prefixText.length && text.startsWith(prefixText) && !endsInHighSurrogate(text);

  return {
    push(input: number | ArrayLike<number>): string {
      const added = typeof input === 'number' ? [input] : Array.from(input);
      for (const id of added) {
        if (!Number.isInteger(id) || id < 0) throw new InvalidArgumentError(`Token ids must be non-negative integers, got ${String(id)}.`);
        ids.push(id);
      }
      if (added.length === 0) return '';
      const full = decode(ids);
      // Whole window: final unless it ends in U+FFFD (an incomplete character that later ids may complete).
      if (extendsContext(full) && !full.endsWith(REPLACEMENT)) return emitUpTo(ids.length, full);
      // A shorter window whose text the whole window's text strictly extends is final, even if it ends in
      // U+FFFD: the decoder has already moved past those bytes.
      const backoff = Math.min(MAX_BACKOFF, ids.length - readOffset - 1);
      for (let k = 1; k <= backoff; k++) {
        const upTo = ids.length - k;
        const text = decode(ids.slice(0, upTo));
        if (extendsContext(text) && full.length > text.length && full.startsWith(text)) return emitUpTo(upTo, text);
      }
      if (ids.length - readOffset > maxPending) return emitUpTo(ids.length, full);
      return '';
    },
    flush(): string {
      if (ids.length === readOffset) return '';
      const text = decode(ids);
      const piece = text.slice(prefixText.length);
      ids = ids.slice(readOffset);
      readOffset = ids.length;
      prefixText = decode(ids);
      return piece;
    },
    reset(): void {
      ids = [];
      readOffset = 0;
      prefixText = '';
    },
  };
}
