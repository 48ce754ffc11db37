// loadDirectory / loadFile on a tree built in a temp dir: globs, excludes, encodings, custom
// loaders, and a per-file error report in which no failure is lost.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LoaderError, loadDirectory, loadFile, parseText } from '../src/index.js';
import { minimalPdf } from './loaders-pdf-writer.js';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'llmkit-rag-loaders-'));
  const write = (path: string, data: string | Uint8Array) => {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), data);
  };
  write('a.txt', 'plain text');
  write('b.md', '---\ntitle: B\n---\nbody of b');
  write('sub/c.html', '<html><head><title>C</title></head><body><article><p>Article text of the page C, long enough to count as content for extraction.</p></article></body></html>');
  write('sub/deeper/d.json', '[{"text":"d1"},{"text":"d2"}]');
  write('e.jsonl', '{"x":1}\n{"x":2}\n');
  write('f.csv', 'q,a\nwho,Ishmael\n');
  write('g.pdf', minimalPdf(['page one', 'page two']));
  write('broken.pdf', minimalPdf(['x']).slice(0, 150));
  write('notes.xyz', 'unknown type');
  write('old.txt', iconv.encode('Café', 'latin1'));
  write('node_modules/skip.txt', 'should be excluded');
  write('.hidden.txt', 'dot file');
  write('README', 'no extension');
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('loadDirectory', () => {
  it('loads every supported file and reports every failure', async () => {
    const { documents, errors, files } = await loadDirectory(dir, { exclude: ['node_modules/**'] });
    expect(files).toEqual(['README', 'a.txt', 'b.md', 'broken.pdf', 'e.jsonl', 'f.csv', 'g.pdf', 'notes.xyz', 'old.txt', 'sub/c.html', 'sub/deeper/d.json']);
    expect(documents.map((d) => d.id)).toEqual([
      'a.txt', 'b.md', 'e.jsonl#L1', 'e.jsonl#L2', 'f.csv#row=1', 'g.pdf#page=1', 'g.pdf#page=2', 'sub/c.html', 'sub/deeper/d.json/0', 'sub/deeper/d.json/1',
    ]);
    expect(documents.find((d) => d.id === 'b.md')!.metadata).toMatchObject({ title: 'B', source: 'b.md' });
    expect(documents.find((d) => d.id === 'sub/c.html')!.text).toBe('Article text of the page C, long enough to count as content for extraction.');
    expect(errors.map((e) => [e.path, e.error.code])).toEqual([
      ['README', 'unsupported_file_type'],
      ['broken.pdf', 'invalid_pdf'],
      ['notes.xyz', 'unsupported_file_type'],
      ['old.txt', 'invalid_encoding'],
    ]);
    for (const e of errors) expect(LoaderError.isInstance(e.error)).toBe(true);
    expect(errors[2]!.error.message).toMatch(/notes\.xyz: no loader for "\.xyz" files; known: .*\.md.*Pass \{ loaders/);
    // Every matched file is either loaded or reported.
    const loaded = new Set(documents.map((d) => d.metadata.source));
    for (const f of files) expect(loaded.has(f) || errors.some((e) => e.path === f)).toBe(true);
  });

  it('globs, dot files, encodings and custom loaders', async () => {
    const txt = await loadDirectory(dir, { glob: '**/*.txt', dot: true, encoding: 'latin1' });
    expect(txt.files).toEqual(['.hidden.txt', 'a.txt', 'node_modules/skip.txt', 'old.txt']);
    expect(txt.errors).toEqual([]);
    expect(txt.documents.find((d) => d.id === 'old.txt')!.text).toBe('Café');

    const custom = await loadDirectory(dir, {
      glob: ['*.xyz', 'README'],
      loaders: { '.xyz': (bytes, info) => parseText(bytes, { ...info, metadata: { kind: 'xyz' } }), '': (bytes, info) => parseText(bytes, info) },
    });
    expect(custom.errors).toEqual([]);
    expect(custom.documents.map((d) => [d.id, d.text, d.metadata.kind ?? null])).toEqual([
      ['README', 'no extension', null],
      ['notes.xyz', 'unknown type', 'xyz'],
    ]);
  });

  it('a missing directory or a file path is a typed error', async () => {
    await expect(loadDirectory(join(dir, 'nope'))).rejects.toMatchObject({ code: 'not_a_directory' });
    await expect(loadDirectory(join(dir, 'a.txt'))).rejects.toMatchObject({ code: 'not_a_directory' });
  });
});

describe('loadFile', () => {
  it('dispatches on the extension and throws typed errors', async () => {
    expect((await loadFile(join(dir, 'g.pdf'))).map((d) => d.text)).toEqual(['page one', 'page two']);
    await expect(loadFile(join(dir, 'notes.xyz'))).rejects.toMatchObject({ code: 'unsupported_file_type' });
    await expect(loadFile(join(dir, 'missing.txt'))).rejects.toMatchObject({ code: 'read_failed', message: expect.stringMatching(/ENOENT/) });
    await expect(loadFile(join(dir, 'broken.pdf'))).rejects.toMatchObject({ code: 'invalid_pdf' });
  });
});
