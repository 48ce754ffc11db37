/** PDF text per page through unpdf (PDF.js): one document per page with `metadata.page` (1-based). */
import { extractText, getDocumentProxy, getMeta } from 'unpdf';
import { LoaderError, type Document, type Metadata } from '../types.js';
import { toMetadataValue, type LoaderCommonOptions } from './common.js';

export interface PdfLoaderOptions extends Omit<LoaderCommonOptions, 'encoding'> {
  /** One document per page (default) or one for the whole file (pages joined by blank lines). */
  splitPages?: boolean;
}

/**
 * @throws LoaderError `invalid_pdf` for bytes PDF.js cannot open (corrupt, truncated, not a PDF),
 *   `encrypted_pdf` for password-protected files.
 * @example
 * const pages = await parsePdf(readFileSync('paper.pdf'), { source: 'paper.pdf' });
 * pages[0].metadata; // { source: 'paper.pdf', page: 1, totalPages: 12, title: '...' }
 */
export async function parsePdf(input: Uint8Array, options: PdfLoaderOptions = {}): Promise<Document[]> {
  const source = options.source ?? 'input';
  if (!(input instanceof Uint8Array)) throw new LoaderError('invalid_input', `parsePdf: expected the file's bytes (Uint8Array/Buffer) for ${source}; got ${typeof input}.`);
  const head = new TextDecoder('latin1').decode(input.subarray(0, Math.min(1024, input.length)));
  if (!head.includes('%PDF-')) {
    throw new LoaderError('invalid_pdf', `${source}: not a PDF (no %PDF- header in the first 1 KB); check the file or load it with the right loader.`);
  }
  let pages: string[];
  let totalPages: number;
  let info: Record<string, unknown> = {};
  try {
    // PDF.js takes ownership of (detaches) the buffer it is given: pass a copy.
    const pdf = await getDocumentProxy(new Uint8Array(input), { verbosity: 0 } as never);
    const extracted = await extractText(pdf, { mergePages: false });
    pages = extracted.text;
    totalPages = extracted.totalPages;
    try {
      info = (await getMeta(pdf)).info ?? {};
    } catch {
      info = {};
    }
    await pdf.loadingTask.destroy();
  } catch (cause) {
    const name = (cause as Error)?.name ?? '';
    if (name === 'PasswordException') {
      throw new LoaderError('encrypted_pdf', `${source}: the PDF is password-protected; decrypt it first (e.g. qpdf --decrypt).`, { cause });
    }
    throw new LoaderError('invalid_pdf', `${source}: the PDF could not be read (${(cause as Error)?.message ?? String(cause)}); the file is corrupt or truncated.`, { cause });
  }
  const common: Metadata = { ...options.metadata, source, totalPages };
  if (typeof info.Title === 'string' && info.Title.trim() !== '') common.title = info.Title.trim();
  if (typeof info.Author === 'string' && info.Author.trim() !== '') common.author = info.Author.trim();
  const created = toMetadataValue(info.CreationDate);
  if (typeof created === 'string' && created !== '') common.creationDate = created;
  if (options.splitPages === false) {
    return [{ id: source, text: pages.join('\n\n'), metadata: common }];
  }
  return pages.map((text, i) => ({ id: `${source}#page=${i + 1}`, text, metadata: { ...common, page: i + 1 } }));
}
