/**
 * LangChain's `RecursiveCharacterTextSplitter` and `CharacterTextSplitter`, producing exactly the
 * chunks of `@langchain/textsplitters` 1.0.2 for the same options (tested on Moby Dick and the
 * State of the Union corpus), plus each chunk's span in the parent text.
 *
 * Quirks kept for parity: a chunk may exceed `chunkSize` when a single piece cannot be split
 * further (LangChain only warns); the overlap is lost when a chunk exactly fills `chunkSize`
 * (langchainjs #11702). With `keepSeparator: false`, a chunk whose pieces were separated by runs of
 * the separator (e.g. three blank lines) joins them with one separator, so its text can differ from
 * `parent.slice(loc.start, loc.end)` by those collapsed separators; with `keepSeparator: true`
 * (the default here) the slice is always exactly the chunk.
 */
import { InvalidArgumentError } from '@llmkit/core';
import { separatorsForLanguage, type SplitterLanguageName } from './languages.js';
import { TextSplitter, splitOnSeparator, type Chunk, type Span, type TextSplitterOptions } from './text-splitter.js';

export interface RecursiveCharacterTextSplitterOptions extends TextSplitterOptions {
  /** Separators tried in order. Default `["\n\n", "\n", " ", ""]`. */
  separators?: string[];
}

/**
 * Split on the first separator present in the text, recurse into pieces still too long with the
 * remaining separators, and merge small pieces up to `chunkSize` with `chunkOverlap`.
 * @example
 * const splitter = new RecursiveCharacterTextSplitter({ chunkSize: 500, chunkOverlap: 50 });
 * const chunks = splitter.splitDocuments([{ id: 'moby', text, metadata: {} }]);
 * chunks[0].metadata.loc; // { start: 0, end: 498, lines: { from: 1, to: 9 } }
 */
export class RecursiveCharacterTextSplitter extends TextSplitter {
  readonly separators: string[];

  constructor(options: RecursiveCharacterTextSplitterOptions = {}) {
    super(options, true);
    this.separators = options.separators ?? ['\n\n', '\n', ' ', ''];
    if (!Array.isArray(this.separators) || this.separators.length === 0 || this.separators.some((s) => typeof s !== 'string')) {
      throw new InvalidArgumentError('RecursiveCharacterTextSplitter: separators must be a non-empty array of strings.');
    }
  }

  /**
   * A splitter with LangChain's separators for a programming or markup language.
   * @throws InvalidArgumentError `invalid_argument` for an unknown language.
   */
  static fromLanguage(language: SplitterLanguageName, options: TextSplitterOptions = {}): RecursiveCharacterTextSplitter {
    return new RecursiveCharacterTextSplitter({ ...options, separators: separatorsForLanguage(language) });
  }

  splitWithOffsets(text: string): Chunk[] {
    return this.splitRange(text, 0, text.length, this.separators);
  }

  private splitRange(text: string, start: number, end: number, separators: string[]): Chunk[] {
    const chunks: Chunk[] = [];
    let separator = separators[separators.length - 1]!;
    let rest: string[] | undefined;
    const range = start === 0 && end === text.length ? text : text.slice(start, end);
    for (let i = 0; i < separators.length; i++) {
      const s = separators[i]!;
      if (s === '') {
        separator = s;
        break;
      }
      if (range.includes(s)) {
        separator = s;
        rest = separators.slice(i + 1);
        break;
      }
    }
    const splits = splitOnSeparator(text, start, end, separator, this.keepSeparator);
    const joinWith = this.keepSeparator ? '' : separator;
    let good: Span[] = [];
    for (const split of splits) {
      if (this.lengthFunction(text.slice(split.start, split.end)) < this.chunkSize) {
        good.push(split);
        continue;
      }
      if (good.length > 0) {
        chunks.push(...this.mergeSplits(text, good, joinWith));
        good = [];
      }
      if (rest === undefined) chunks.push({ text: text.slice(split.start, split.end), start: split.start, end: split.end });
      else chunks.push(...this.splitRange(text, split.start, split.end, rest));
    }
    if (good.length > 0) chunks.push(...this.mergeSplits(text, good, joinWith));
    return chunks;
  }
}

export interface CharacterTextSplitterOptions extends TextSplitterOptions {
  /** Default `"\n\n"`. */
  separator?: string;
}

/**
 * LangChain's `CharacterTextSplitter`: split on one separator, merge up to `chunkSize`.
 * @example
 * new CharacterTextSplitter({ separator: '\n', chunkSize: 200, chunkOverlap: 0 }).splitText(text);
 */
export class CharacterTextSplitter extends TextSplitter {
  readonly separator: string;

  constructor(options: CharacterTextSplitterOptions = {}) {
    super(options, false);
    this.separator = options.separator ?? '\n\n';
    if (typeof this.separator !== 'string') throw new InvalidArgumentError('CharacterTextSplitter: separator must be a string.');
  }

  splitWithOffsets(text: string): Chunk[] {
    const splits = splitOnSeparator(text, 0, text.length, this.separator, this.keepSeparator);
    return this.mergeSplits(text, splits, this.keepSeparator ? '' : this.separator);
  }
}
