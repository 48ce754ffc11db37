/**
 * Token windows, LangChain's `TokenTextSplitter` algorithm with any llmkit tokenizer (tiktoken,
 * Hugging Face tokenizer.json, trained BPE) instead of a downloaded rank file: encode, cut the
 * ids into windows of `chunkSize` tokens that overlap by `chunkOverlap`, decode each window.
 *
 * Offsets come from the tokenizer's `encodeWithOffsets` when it has one. A byte-level BPE window
 * can start or end inside a multi-byte character; its decoded text then carries U+FFFD where the
 * parent has the whole character, so `parent.slice(start, end)` and the chunk differ there. For
 * ordinary text (token boundaries on characters) they are equal.
 */
import { InvalidArgumentError } from '@llmkit/core';
import type { Document } from '../types.js';
import { chunksToDocuments, validateDocuments, type Chunk, type DocumentSplitter } from './text-splitter.js';

/** The part of an llmkit `Tokenizer` this splitter needs. */
export interface SplitterTokenizer {
  encode(text: string, options?: { addSpecialTokens?: boolean; allowedSpecial?: 'all' | Iterable<string>; disallowedSpecial?: 'all' | Iterable<string> }): number[];
  decode(ids: ArrayLike<number>): string;
  encodeWithOffsets?(text: string, options?: { addSpecialTokens?: boolean; allowedSpecial?: 'all' | Iterable<string>; disallowedSpecial?: 'all' | Iterable<string> }): {
    ids: number[];
    offsets: Array<[number, number]>;
  };
}

export interface TokenTextSplitterOptions {
  tokenizer: SplitterTokenizer;
  /** Tokens per chunk. Default 1000. */
  chunkSize?: number;
  /** Tokens shared by consecutive chunks. Default 200. */
  chunkOverlap?: number;
}

/**
 * Split by token count.
 * @example
 * const splitter = new TokenTextSplitter({ tokenizer: Tokenizer.fromTiktoken('cl100k_base'), chunkSize: 256, chunkOverlap: 32 });
 * splitter.splitText(text);
 */
export class TokenTextSplitter implements DocumentSplitter {
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  readonly tokenizer: SplitterTokenizer;

  constructor(options: TokenTextSplitterOptions) {
    if (options === undefined || options.tokenizer === undefined || typeof options.tokenizer.encode !== 'function' || typeof options.tokenizer.decode !== 'function') {
      throw new InvalidArgumentError('TokenTextSplitter: options.tokenizer must have encode(text) and decode(ids), e.g. an @llmkit/tokenizer Tokenizer.');
    }
    this.tokenizer = options.tokenizer;
    this.chunkSize = options.chunkSize ?? 1000;
    this.chunkOverlap = options.chunkOverlap ?? 200;
    if (!Number.isInteger(this.chunkSize) || this.chunkSize <= 0) throw new InvalidArgumentError(`TokenTextSplitter: chunkSize must be a positive integer; got ${this.chunkSize}.`);
    if (!Number.isInteger(this.chunkOverlap) || this.chunkOverlap < 0 || this.chunkOverlap >= this.chunkSize) {
      throw new InvalidArgumentError(`TokenTextSplitter: chunkOverlap must be an integer in [0, chunkSize); got ${this.chunkOverlap} with chunkSize ${this.chunkSize}.`);
    }
  }

  splitWithOffsets(text: string): Chunk[] {
    if (typeof text !== 'string') throw new InvalidArgumentError(`TokenTextSplitter.splitText: text must be a string; got ${typeof text}.`);
    const encodeOptions = { addSpecialTokens: false, allowedSpecial: [] as string[], disallowedSpecial: [] as string[] };
    let ids: number[];
    let offsets: Array<[number, number]> | undefined;
    if (this.tokenizer.encodeWithOffsets) {
      const encoding = this.tokenizer.encodeWithOffsets(text, encodeOptions);
      ids = encoding.ids;
      offsets = encoding.offsets;
    } else {
      ids = this.tokenizer.encode(text, encodeOptions);
    }
    const chunks: Chunk[] = [];
    let start = 0;
    let searchFrom = 0;
    while (start < ids.length) {
      if (start > 0) start -= this.chunkOverlap;
      const end = Math.min(start + this.chunkSize, ids.length);
      const chunkText = this.tokenizer.decode(ids.slice(start, end));
      let span: [number, number];
      if (offsets !== undefined) {
        span = [offsets[start]![0], offsets[end - 1]![1]];
      } else {
        // Without offsets: find the decoded text in the parent, moving forward.
        const at = text.indexOf(chunkText, searchFrom);
        span = at === -1 ? [searchFrom, Math.min(text.length, searchFrom + chunkText.length)] : [at, at + chunkText.length];
        if (at !== -1) searchFrom = at + 1;
      }
      chunks.push({ text: chunkText, start: span[0], end: span[1] });
      start = end;
    }
    return chunks;
  }

  splitText(text: string): string[] {
    return this.splitWithOffsets(text).map((c) => c.text);
  }

  splitDocuments(documents: Document[]): Document[] {
    validateDocuments(documents, 'TokenTextSplitter.splitDocuments');
    return documents.flatMap((d) => chunksToDocuments(d, this.splitWithOffsets(d.text)));
  }
}
