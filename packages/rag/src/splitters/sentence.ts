/**
 * Sentence-aware splitting: sentences from `Intl.Segmenter` (Unicode UAX #29 sentence
 * boundaries, with the ICU data Node ships), packed into chunks of at most `chunkSize` with up
 * to `chunkOverlap` of trailing sentences repeated, using the same merge rule as the character
 * splitters. A sentence longer than `chunkSize` is cut at spaces (then characters). Chunks are
 * exact slices of the parent (`parent.slice(loc.start, loc.end) === chunk`).
 */
import { InvalidArgumentError } from '@llmkit/core';
import { TextSplitter, splitOnSeparator, type Chunk, type Span, type TextSplitterOptions } from './text-splitter.js';

/** Sentence spans of `text` (each includes its trailing whitespace). */
export function splitSentences(text: string, locale = 'en'): Span[] {
  const segmenter = new Intl.Segmenter(locale, { granularity: 'sentence' });
  const spans: Span[] = [];
  for (const s of segmenter.segment(text)) spans.push({ start: s.index, end: s.index + s.segment.length });
  return spans;
}

export interface SentenceSplitterOptions extends Omit<TextSplitterOptions, 'keepSeparator'> {
  /** BCP 47 locale for sentence boundaries. Default 'en'. */
  locale?: string;
}

/**
 * @example
 * new SentenceSplitter({ chunkSize: 400, chunkOverlap: 100 }).splitText(text);
 */
export class SentenceSplitter extends TextSplitter {
  readonly locale: string;

  constructor(options: SentenceSplitterOptions = {}) {
    super({ ...options, keepSeparator: true }, true);
    this.locale = options.locale ?? 'en';
    try {
      new Intl.Segmenter(this.locale, { granularity: 'sentence' });
    } catch (cause) {
      throw new InvalidArgumentError(`SentenceSplitter: locale ${JSON.stringify(this.locale)} is not a valid BCP 47 tag.`, { cause });
    }
  }

  splitWithOffsets(text: string): Chunk[] {
    const pieces: Span[] = [];
    for (const sentence of splitSentences(text, this.locale)) {
      if (this.lengthFunction(text.slice(sentence.start, sentence.end)) < this.chunkSize) {
        pieces.push(sentence);
        continue;
      }
      // An overlong sentence: cut at spaces, then characters, where a piece is still too long.
      for (const word of splitOnSeparator(text, sentence.start, sentence.end, ' ', true)) {
        if (this.lengthFunction(text.slice(word.start, word.end)) < this.chunkSize) pieces.push(word);
        else pieces.push(...splitOnSeparator(text, word.start, word.end, '', true));
      }
    }
    return this.mergeSplits(text, pieces, '');
  }
}
