/**
 * Split Markdown at ATX headings (`#` .. `######`) and record the heading path in metadata, like
 * LangChain's (Python) `MarkdownHeaderTextSplitter`: a chunk per section, with
 * `metadata[name]` for each enclosing heading (`{ 'Header 1': 'Intro', 'Header 2': 'Setup' }`)
 * and `metadata.headingPath` (`['Intro', 'Setup']`). Headings inside fenced code blocks are text.
 * Unlike LangChain, the section text is not re-joined line by line: every chunk is an exact slice
 * of the parent (`parent.slice(loc.start, loc.end) === chunk`), trimmed of surrounding blank lines.
 */
import { InvalidArgumentError } from '@llmkit/core';
import type { Document, Metadata } from '../types.js';
import { chunksToDocuments, validateDocuments, type Chunk, type DocumentSplitter } from './text-splitter.js';

export interface MarkdownHeaderTextSplitterOptions {
  /** `[marker, metadataKey]` pairs. Default `[['#', 'Header 1'], ['##', 'Header 2'], ['###', 'Header 3']]`. */
  headersToSplitOn?: Array<[string, string]>;
  /** Leave heading lines out of the chunk text. Default true. */
  stripHeaders?: boolean;
}

export interface MarkdownSection extends Chunk {
  headers: Record<string, string>;
  headingPath: string[];
}

/**
 * @example
 * const sections = new MarkdownHeaderTextSplitter().splitDocuments([{ id: 'guide', text: md, metadata: {} }]);
 * sections[1].metadata.headingPath; // ['Guide', 'Install']
 */
export class MarkdownHeaderTextSplitter implements DocumentSplitter {
  readonly headersToSplitOn: Array<[string, string]>;
  readonly stripHeaders: boolean;

  constructor(options: MarkdownHeaderTextSplitterOptions = {}) {
    this.headersToSplitOn = options.headersToSplitOn ?? [['#', 'Header 1'], ['##', 'Header 2'], ['###', 'Header 3']];
    this.stripHeaders = options.stripHeaders ?? true;
    for (const pair of this.headersToSplitOn) {
      if (!Array.isArray(pair) || typeof pair[0] !== 'string' || !/^#{1,6}$/.test(pair[0]) || typeof pair[1] !== 'string') {
        throw new InvalidArgumentError(`MarkdownHeaderTextSplitter: headersToSplitOn entries must be ['#'..'######', key]; got ${JSON.stringify(pair)}.`);
      }
    }
  }

  splitSections(text: string): MarkdownSection[] {
    if (typeof text !== 'string') throw new InvalidArgumentError(`MarkdownHeaderTextSplitter: text must be a string; got ${typeof text}.`);
    const levels = new Map(this.headersToSplitOn.map(([marker, key]) => [marker.length, key]));
    const sections: MarkdownSection[] = [];
    const stack: Array<{ level: number; key: string; title: string }> = [];
    let sectionStart = 0;
    let fence: string | null = null;
    const flush = (end: number): void => {
      const raw = text.slice(sectionStart, end);
      const lead = raw.length - raw.trimStart().length;
      const trimmed = raw.trim();
      if (trimmed === '') return;
      const headers: Record<string, string> = {};
      for (const h of stack) headers[h.key] = h.title;
      sections.push({ text: trimmed, start: sectionStart + lead, end: sectionStart + lead + trimmed.length, headers, headingPath: stack.map((h) => h.title) });
    };
    let lineStart = 0;
    while (lineStart <= text.length) {
      let lineEnd = text.indexOf('\n', lineStart);
      if (lineEnd === -1) lineEnd = text.length;
      const line = text.slice(lineStart, lineEnd);
      const fenceMatch = /^\s{0,3}(```+|~~~+)/.exec(line);
      if (fenceMatch) {
        const marker = fenceMatch[1]!;
        if (fence === null) fence = marker;
        else if (marker[0] === fence[0] && marker.length >= fence.length) fence = null;
      } else if (fence === null) {
        const heading = /^ {0,3}(#{1,6})[ \t]+(.*?)[ \t]*#*[ \t]*$/.exec(line) ?? /^ {0,3}(#{1,6})$/.exec(line);
        const key = heading ? levels.get(heading[1]!.length) : undefined;
        if (heading && key !== undefined) {
          const level = heading[1]!.length;
          flush(lineStart);
          while (stack.length > 0 && stack[stack.length - 1]!.level >= level) stack.pop();
          stack.push({ level, key, title: (heading[2] ?? '').trim() });
          sectionStart = this.stripHeaders ? Math.min(text.length, lineEnd + 1) : lineStart;
        }
      }
      if (lineEnd === text.length) break;
      lineStart = lineEnd + 1;
    }
    flush(text.length);
    return sections;
  }

  splitText(text: string): string[] {
    return this.splitSections(text).map((s) => s.text);
  }

  splitDocuments(documents: Document[]): Document[] {
    validateDocuments(documents, 'MarkdownHeaderTextSplitter.splitDocuments');
    return documents.flatMap((d) => {
      const sections = this.splitSections(d.text);
      return chunksToDocuments(d, sections, (_chunk, i) => ({ ...(sections[i]!.headers as Metadata), headingPath: sections[i]!.headingPath }));
    });
  }
}
