/**
 * Loading files: a registry from file extension to parser, `loadFile` for one path and
 * `loadDirectory` for a tree (tinyglobby globs, ignore patterns, per-file error report: one bad
 * file never aborts the batch, and every failure is reported with its path).
 */
import { readFile, stat } from 'node:fs/promises';
import { extname, join, relative, resolve } from 'node:path';
import { createProgress } from '@llmkit/core';
import { glob } from 'tinyglobby';
import { LoaderError, RagError, type Document } from '../types.js';
import { parseCsv } from './csv.js';
import { parseHtml } from './html.js';
import { parseJson, parseJsonl } from './json.js';
import { parseMarkdown } from './markdown.js';
import { parsePdf } from './pdf.js';
import { parseText } from './text.js';

/** Turns a file's bytes into documents. `source` is the path shown in metadata and errors. */
export type FileLoader = (bytes: Uint8Array, info: { source: string; encoding?: string }) => Document[] | Promise<Document[]>;

/** The built-in loaders by lowercase extension (with the dot). */
export const DEFAULT_LOADERS: Readonly<Record<string, FileLoader>> = Object.freeze({
  '.txt': (b, i) => parseText(b, i),
  '.text': (b, i) => parseText(b, i),
  '.log': (b, i) => parseText(b, i),
  '.md': (b, i) => parseMarkdown(b, i),
  '.markdown': (b, i) => parseMarkdown(b, i),
  '.mdx': (b, i) => parseMarkdown(b, i),
  '.html': (b, i) => parseHtml(b, i),
  '.htm': (b, i) => parseHtml(b, i),
  '.xhtml': (b, i) => parseHtml(b, i),
  '.json': (b, i) => parseJson(b, i),
  '.jsonl': (b, i) => parseJsonl(b, i),
  '.ndjson': (b, i) => parseJsonl(b, i),
  '.csv': (b, i) => parseCsv(b, i),
  '.tsv': (b, i) => parseCsv(b, { ...i, delimiter: '\t' }),
  '.pdf': (b, i) => parsePdf(b, { source: i.source }),
});

export interface LoadFileOptions {
  /** Text encoding for files without a BOM. Default UTF-8 (strict). */
  encoding?: string;
  /** Extra or replacement loaders by extension, e.g. `{ '.rst': (b, i) => parseText(b, i) }`. */
  loaders?: Record<string, FileLoader>;
  /** Name used for `metadata.source`. Default: the path as given. */
  source?: string;
}

function loaderFor(path: string, loaders: Record<string, FileLoader> | undefined): FileLoader {
  const ext = extname(path).toLowerCase();
  const custom = loaders !== undefined && Object.hasOwn(loaders, ext) ? loaders[ext] : undefined;
  const loader = custom ?? (Object.hasOwn(DEFAULT_LOADERS, ext) ? DEFAULT_LOADERS[ext] : undefined);
  if (loader === undefined) {
    const known = [...new Set([...Object.keys(DEFAULT_LOADERS), ...Object.keys(loaders ?? {})])].sort().join(' ');
    throw new LoaderError(
      'unsupported_file_type',
      `${path}: no loader for ${ext === '' ? 'files without an extension' : `"${ext}" files`}; known: ${known}. Pass { loaders: { '${ext || '.ext'}': yourLoader } } or exclude the file.`,
    );
  }
  return loader;
}

/**
 * Load one file with the loader for its extension.
 * @throws LoaderError `unsupported_file_type`, `read_failed`, or the parser's error (`invalid_pdf`, `invalid_json`, ...).
 * @example
 * const docs = await loadFile('docs/guide.md');
 */
export async function loadFile(path: string, options: LoadFileOptions = {}): Promise<Document[]> {
  const loader = loaderFor(path, options.loaders);
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (cause) {
    throw new LoaderError('read_failed', `${path}: cannot read the file (${(cause as NodeJS.ErrnoException).code ?? (cause as Error).message}); check the path and permissions.`, { cause });
  }
  const source = options.source ?? path;
  try {
    return await loader(bytes, { source, encoding: options.encoding });
  } catch (cause) {
    if (RagError.isInstance(cause)) throw cause;
    throw new LoaderError('loader_failed', `${source}: the loader for ${extname(path)} failed: ${(cause as Error)?.message ?? String(cause)}`, { cause });
  }
}

export interface LoadDirectoryOptions extends Omit<LoadFileOptions, 'source'> {
  /** Glob pattern(s) relative to the directory. Default `**\/*`. */
  glob?: string | string[];
  /** Patterns to skip, e.g. `['**\/node_modules/**', '**\/*.min.js']`. Default none. */
  exclude?: string[];
  /** Include dot files and folders. Default false. */
  dot?: boolean;
  /** Progress bar: true, false or 'auto' (default: 'auto' from 100 files on). */
  progress?: boolean | 'auto';
}

export interface LoadDirectoryResult {
  documents: Document[];
  /** One entry per file that failed (unknown type, unreadable, malformed), with a typed error. */
  errors: Array<{ path: string; error: RagError }>;
  /** Files matched by the globs. */
  files: string[];
}

/**
 * Load every matching file under `dir` (sorted by path). `metadata.source` is the path relative
 * to `dir`. Failures are collected in `errors`, never thrown, except a missing directory.
 * @throws LoaderError `not_a_directory` when `dir` does not exist or is not a directory.
 * @example
 * const { documents, errors } = await loadDirectory('docs', { glob: ['**\/*.md', '**\/*.pdf'], exclude: ['drafts/**'] });
 * for (const e of errors) console.warn(e.path, e.error.code, e.error.message);
 */
export async function loadDirectory(dir: string, options: LoadDirectoryOptions = {}): Promise<LoadDirectoryResult> {
  const root = resolve(dir);
  let info;
  try {
    info = await stat(root);
  } catch (cause) {
    throw new LoaderError('not_a_directory', `loadDirectory: ${dir} does not exist; pass an existing folder.`, { cause });
  }
  if (!info.isDirectory()) throw new LoaderError('not_a_directory', `loadDirectory: ${dir} is a file, not a folder; use loadFile for single files.`);
  const patterns = options.glob === undefined ? ['**/*'] : Array.isArray(options.glob) ? options.glob : [options.glob];
  const files = (await glob(patterns, { cwd: root, ignore: options.exclude ?? [], dot: options.dot ?? false, onlyFiles: true, expandDirectories: false })).sort();
  const documents: Document[] = [];
  const errors: LoadDirectoryResult['errors'] = [];
  const progress = createProgress({ total: files.length, label: 'loadDirectory', enabled: options.progress ?? (files.length >= 100 ? 'auto' : false) });
  let done = 0;
  for (const file of files) {
    const path = relative(root, join(root, file)).split('\\').join('/');
    try {
      documents.push(...(await loadFile(join(root, file), { encoding: options.encoding, loaders: options.loaders, source: path })));
    } catch (error) {
      errors.push({ path, error: RagError.isInstance(error) ? error : new LoaderError('loader_failed', `${path}: ${(error as Error)?.message ?? String(error)}`, { cause: error }) });
    }
    progress.update(++done, { documents: documents.length, errors: errors.length });
  }
  progress.stop();
  return { documents, errors, files };
}
