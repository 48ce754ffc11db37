/** Parsing `[1]`, `[2, 3]`, `[1][4]` citation markers out of a model answer and mapping them to sources. */
import type { Document, MetadataValue } from '../types.js';

/** A retrieved document as shown to the model: `[index]` in the prompt. */
export interface Source {
  /** 1-based number used in the prompt. */
  index: number;
  document: Document;
  score: number;
}

/** One citation marker in the answer. */
export interface Citation {
  /** The cited source number. */
  index: number;
  /** The marker as written, e.g. `[2, 3]`. */
  marker: string;
  /** Where the marker is in the answer: `answer.slice(start, end) === marker`. */
  start: number;
  end: number;
  /** The cited source (undefined for a number that is not a source: see `invalid`). */
  source?: Source;
  /** The cited document's id, its parent's id and its span in the parent when it is a chunk. */
  documentId?: string;
  parentId?: string;
  loc?: { start: number; end: number };
  /** True when the number does not match any source (the model made it up). */
  invalid: boolean;
}

const MARKER = /\[(\s*\d+\s*(?:[,;]\s*\d+\s*)*)\]/g;

/**
 * Every citation in `answer`, in order of appearance. `[2, 3]` yields two citations sharing one marker.
 * @example
 * parseCitations('Whales dive [1][3].', sources); // citations for sources 1 and 3
 */
export function parseCitations(answer: string, sources: Source[]): Citation[] {
  const byIndex = new Map(sources.map((s) => [s.index, s]));
  const out: Citation[] = [];
  for (const m of answer.matchAll(MARKER)) {
    for (const part of m[1]!.split(/[,;]/)) {
      const index = Number(part.trim());
      const source = byIndex.get(index);
      const citation: Citation = { index, marker: m[0], start: m.index!, end: m.index! + m[0].length, invalid: source === undefined };
      if (source) {
        citation.source = source;
        citation.documentId = source.document.id;
        const parentId = source.document.metadata.parentId;
        if (typeof parentId === 'string') citation.parentId = parentId;
        const loc = source.document.metadata.loc as { [key: string]: MetadataValue } | undefined;
        if (loc && typeof loc.start === 'number' && typeof loc.end === 'number') citation.loc = { start: loc.start, end: loc.end };
      }
      out.push(citation);
    }
  }
  return out;
}
