/**
 * Base of the character splitters: the chunk-merging algorithm of LangChain's `TextSplitter`
 * (`@langchain/textsplitters` 1.0.2), re-implemented so every chunk also knows where it came from
 * in the parent text. Splits are tracked as `[start, end)` spans of the parent; a merged chunk is
 * the splits joined by the separator and trimmed, exactly as LangChain builds it.
 */
import { InvalidArgumentError } from '@llmkit/core';
import type { Document, Metadata } from '../types.js';

/** Measures a chunk; LangChain's `lengthFunction`. Default: UTF-16 length. */
export type LengthFunction = (text: string) => number;

export interface TextSplitterOptions {
  /** Maximum chunk size as measured by `lengthFunction`. Default 1000. */
  chunkSize?: number;
  /** Overlap between consecutive chunks. Default 200. Must be smaller than `chunkSize`. */
  chunkOverlap?: number;
  /** Keep each separator at the start of the split that follows it. */
  keepSeparator?: boolean;
  /** Default `(text) => text.length`. */
  lengthFunction?: LengthFunction;
}

/** A span of the parent text: `parent.slice(start, end)`. */
export interface Span {
  start: number;
  end: number;
}

/** A chunk of text and where it lies in the parent. */
export interface Chunk {
  text: string;
  /** `parent.slice(start, end) === text`, except where the splitter documents otherwise. */
  start: number;
  end: number;
}

/** Anything that cuts documents into chunk documents carrying `metadata.loc` and `metadata.parentId`. */
export interface DocumentSplitter {
  splitText(text: string): string[];
  splitDocuments(documents: Document[]): Document[];
}

/**
 * Chunk documents: id `${parent.id}#${i}`, the parent's metadata plus
 * `parentId` and `loc: { start, end, lines: { from, to } }` (1-based line numbers).
 */
export function chunksToDocuments(parent: Document, chunks: Chunk[], extra?: (chunk: Chunk, index: number) => Metadata): Document[] {
  const text = parent.text;
  // Line starts for line numbers.
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number): number => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
  return chunks.map((chunk, i) => ({
    id: `${parent.id}#${i}`,
    text: chunk.text,
    metadata: {
      ...parent.metadata,
      ...(extra ? extra(chunk, i) : {}),
      parentId: parent.id,
      loc: { start: chunk.start, end: chunk.end, lines: { from: lineOf(chunk.start), to: lineOf(Math.max(chunk.start, chunk.end - 1)) } },
    },
  }));
}

export function validateDocuments(documents: Document[], where: string): void {
  if (!Array.isArray(documents)) throw new InvalidArgumentError(`${where}: expected an array of documents.`);
  documents.forEach((d, i) => {
    if (d === null || typeof d !== 'object' || typeof d.text !== 'string' || typeof d.id !== 'string') {
      throw new InvalidArgumentError(`${where}: document ${i} needs a string id and text ({ id, text, metadata }).`);
    }
  });
}

/** Shared option handling and LangChain's merge step. */
export abstract class TextSplitter implements DocumentSplitter {
  readonly chunkSize: number;
  readonly chunkOverlap: number;
  readonly keepSeparator: boolean;
  readonly lengthFunction: LengthFunction;

  constructor(options: TextSplitterOptions = {}, defaultKeepSeparator = false) {
    this.chunkSize = options.chunkSize ?? 1000;
    this.chunkOverlap = options.chunkOverlap ?? 200;
    this.keepSeparator = options.keepSeparator ?? defaultKeepSeparator;
    this.lengthFunction = options.lengthFunction ?? ((text: string) => text.length);
    const name = new.target.name;
    if (!Number.isFinite(this.chunkSize) || this.chunkSize <= 0) {
      throw new InvalidArgumentError(`${name}: chunkSize must be a positive number; got ${this.chunkSize}.`);
    }
    if (!Number.isFinite(this.chunkOverlap) || this.chunkOverlap < 0) {
      throw new InvalidArgumentError(`${name}: chunkOverlap must be a number >= 0; got ${this.chunkOverlap}.`);
    }
    if (this.chunkOverlap >= this.chunkSize) {
      throw new InvalidArgumentError(
        `${name}: chunkOverlap (${this.chunkOverlap}) must be smaller than chunkSize (${this.chunkSize}); lower the overlap or raise the size.`,
      );
    }
    if (typeof this.lengthFunction !== 'function') throw new InvalidArgumentError(`${name}: lengthFunction must be a function.`);
  }

  /** Chunks of `text` with their spans in `text`. */
  abstract splitWithOffsets(text: string): Chunk[];

  /** Chunks of `text` (same strings LangChain's `splitText` returns). */
  splitText(text: string): string[] {
    if (typeof text !== 'string') throw new InvalidArgumentError(`${this.constructor.name}.splitText: text must be a string; got ${typeof text}.`);
    return this.splitWithOffsets(text).map((c) => c.text);
  }

  /** Split each document into chunk documents (see {@link chunksToDocuments}). */
  splitDocuments(documents: Document[]): Document[] {
    validateDocuments(documents, `${this.constructor.name}.splitDocuments`);
    return documents.flatMap((d) => chunksToDocuments(d, this.splitWithOffsets(d.text)));
  }

  /**
   * LangChain's `mergeSplits`: greedily pack splits (joined by `separator`) into chunks of at most
   * `chunkSize`, then drop splits from the front until the carry-over is at most `chunkOverlap`.
   */
  protected mergeSplits(text: string, splits: Span[], separator: string): Chunk[] {
    const out: Chunk[] = [];
    const current: Span[] = [];
    const lengths: number[] = [];
    let total = 0;
    const sepLength = separator.length;
    for (const split of splits) {
      const length = this.lengthFunction(text.slice(split.start, split.end));
      if (total + length + current.length * sepLength > this.chunkSize) {
        if (current.length > 0) {
          const chunk = this.joinSplits(text, current, separator);
          if (chunk !== null) out.push(chunk);
          while (total > this.chunkOverlap || (total + length + current.length * sepLength > this.chunkSize && total > 0)) {
            total -= lengths.shift()!;
            current.shift();
          }
        }
      }
      current.push(split);
      lengths.push(length);
      total += length;
    }
    const chunk = this.joinSplits(text, current, separator);
    if (chunk !== null) out.push(chunk);
    return out;
  }

  /** `splits.join(separator).trim()` with the span it covers; null when empty. */
  private joinSplits(text: string, splits: Span[], separator: string): Chunk | null {
    if (splits.length === 0) return null;
    const joined = splits.map((s) => text.slice(s.start, s.end)).join(separator);
    const trimmed = joined.trim();
    if (trimmed === '') return null;
    const lead = joined.length - joined.trimStart().length;
    const start = splits[0]!.start + lead;
    const end = splits[splits.length - 1]!.end - (joined.length - joined.trimEnd().length);
    return { text: trimmed, start, end };
  }
}

/**
 * LangChain's `splitOnSeparator` as spans: with `keepSeparator` the text is cut before every
 * occurrence of the separator (overlapping ones too, like `split(/(?=sep)/)`), otherwise the
 * separator is removed; empty pieces are dropped. An empty separator splits into UTF-16 code units.
 */
export function splitOnSeparator(text: string, base: number, end: number, separator: string, keepSeparator: boolean): Span[] {
  const spans: Span[] = [];
  if (separator === '') {
    for (let i = base; i < end; i++) spans.push({ start: i, end: i + 1 });
    return spans;
  }
  // Search inside the range only (a search past `end` would make deep recursion quadratic).
  const sub = base === 0 && end === text.length ? text : text.slice(base, end);
  if (keepSeparator) {
    let start = 0;
    for (let at = sub.indexOf(separator, 1); at !== -1; at = sub.indexOf(separator, at + 1)) {
      spans.push({ start: base + start, end: base + at });
      start = at;
    }
    if (start < sub.length) spans.push({ start: base + start, end });
    return spans;
  }
  let start = 0;
  for (let at = sub.indexOf(separator); at !== -1; at = sub.indexOf(separator, start)) {
    if (at > start) spans.push({ start: base + start, end: base + at });
    start = at + separator.length;
  }
  if (sub.length > start) spans.push({ start: base + start, end });
  return spans;
}
