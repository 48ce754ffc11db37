/** CSV/TSV to one document per row (csv-parse), with column selection for text and metadata. */
import { parse } from 'csv-parse/sync';
import { LoaderError, type Document, type Metadata } from '../types.js';
import { inputText, type LoaderCommonOptions, type LoaderInput } from './common.js';

export interface CsvLoaderOptions extends LoaderCommonOptions {
  /** Columns whose values make the text (as `column: value` lines). Default: every column not in metadataColumns. */
  contentColumns?: string[];
  /** Columns copied into metadata. Default none. */
  metadataColumns?: string[];
  /** Default ',' (use '\t' for TSV). */
  delimiter?: string;
  /** Column holding a stable row id. Default: `${source}#row=<n>`. */
  idColumn?: string;
}

/**
 * @throws LoaderError `invalid_csv` (with the line), `missing_column`.
 * @example
 * parseCsv('title,body,year\nA,hello,2020\n', { contentColumns: ['title', 'body'], metadataColumns: ['year'] });
 * // [{ id: 'input#row=1', text: 'title: A\nbody: hello', metadata: { source: 'input', row: 1, year: '2020' } }]
 */
export function parseCsv(input: LoaderInput, options: CsvLoaderOptions = {}): Document[] {
  const source = options.source ?? 'input';
  const text = inputText(input, options, 'parseCsv');
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, bom: true, skip_empty_lines: true, delimiter: options.delimiter ?? ',', trim: false }) as Record<string, string>[];
  } catch (cause) {
    throw new LoaderError('invalid_csv', `${source}: ${(cause as Error).message}. Check quoting and that every row has as many fields as the header.`, { cause });
  }
  if (rows.length === 0) return [];
  const header = Object.keys(rows[0]!);
  const check = (cols: string[] | undefined, what: string): void => {
    for (const c of cols ?? []) {
      if (!header.includes(c)) throw new LoaderError('missing_column', `${source}: ${what} names column ${JSON.stringify(c)}, but the header has ${header.map((h) => JSON.stringify(h)).join(', ')}.`);
    }
  };
  check(options.contentColumns, 'contentColumns');
  check(options.metadataColumns, 'metadataColumns');
  if (options.idColumn !== undefined) check([options.idColumn], 'idColumn');
  const meta = options.metadataColumns ?? [];
  const content = options.contentColumns ?? header.filter((h) => !meta.includes(h));
  return rows.map((row, i) => {
    const metadata: Metadata = { ...options.metadata, source, row: i + 1 };
    for (const c of meta) metadata[c] = row[c] ?? null;
    const body = content.length === 1 ? (row[content[0]!] ?? '') : content.map((c) => `${c}: ${row[c] ?? ''}`).join('\n');
    const id = options.idColumn !== undefined ? String(row[options.idColumn]) : `${source}#row=${i + 1}`;
    return { id, text: body, metadata };
  });
}
