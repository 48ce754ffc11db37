// Loaders for each format, with files built in the test; bad input must give typed LoaderErrors.
import iconv from 'iconv-lite';
import { describe, expect, it } from 'vitest';
import { LlmkitError } from '@llmkit/core';
import {
  LoaderError,
  decodeText,
  parseCsv,
  parseHtml,
  parseJson,
  parseJsonl,
  parseMarkdown,
  parsePdf,
  parseText,
  resolveJsonPointer,
} from '../src/index.js';
import { minimalPdf } from './loaders-pdf-writer.js';

async function expectLoaderError(fn: () => unknown, code: string, message: RegExp): Promise<void> {
  let caught: unknown;
  try {
    await fn();
  } catch (e) {
    caught = e;
  }
  expect(LoaderError.isInstance(caught), `expected a LoaderError, got ${String(caught)}`).toBe(true);
  expect((caught as LlmkitError).code).toBe(code);
  expect((caught as Error).message).toMatch(message);
}

describe('decodeText and parseText', () => {
  it('detects BOMs and decodes named encodings', () => {
    const text = 'Café – naïve “quotes”';
    expect(decodeText(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)]))).toBe(text);
    expect(decodeText(new Uint8Array([0xff, 0xfe, ...iconv.encode(text, 'utf-16le')]))).toBe(text);
    expect(decodeText(new Uint8Array([0xfe, 0xff, ...iconv.encode(text, 'utf-16be')]))).toBe(text);
    expect(decodeText(iconv.encode('Café naïve', 'latin1'), { encoding: 'latin1' })).toBe('Café naïve');
    expect(decodeText(iconv.encode('Привет', 'windows-1251'), { encoding: 'windows-1251' })).toBe('Привет');
    const [doc] = parseText(new TextEncoder().encode('hello'), { source: 'a.txt', metadata: { lang: 'en' } });
    expect(doc).toEqual({ id: 'a.txt', text: 'hello', metadata: { lang: 'en', source: 'a.txt' } });
  });

  it('rejects invalid UTF-8 and unknown encodings', async () => {
    await expectLoaderError(() => decodeText(iconv.encode('Café', 'latin1'), { source: 'old.txt' }), 'invalid_encoding', /old\.txt: not valid UTF-8 .*offset 3.*encoding: 'latin1'/);
    await expectLoaderError(() => decodeText(new Uint8Array([65]), { encoding: 'klingon' }), 'unknown_encoding', /klingon/);
  });
});

describe('parseMarkdown', () => {
  const md = '---\ntitle: Guide\ntags: [rag, search]\ndate: 2024-05-01\ndraft: false\n---\n# Heading\n\nBody text.\n';
  it('moves front matter into metadata', () => {
    const [doc] = parseMarkdown(md, { source: 'guide.md' });
    expect(doc!.text).toBe('# Heading\n\nBody text.\n');
    expect(doc!.metadata).toEqual({ title: 'Guide', tags: ['rag', 'search'], date: '2024-05-01', draft: false, source: 'guide.md', bodyOffset: 71 });
    // 71 = 4 ('---\n') + 13 + 20 + 17 + 13 (the four YAML lines) + 4 ('---\n').
    expect(md.slice(doc!.metadata.bodyOffset as number)).toBe(doc!.text);
  });
  it('takes the first heading as title without front matter', () => {
    expect(parseMarkdown('intro\n# The Title\ntext')[0]!.metadata.title).toBe('The Title');
  });
  it('rejects broken front matter', async () => {
    await expectLoaderError(() => parseMarkdown('---\ntitle: [unclosed\n---\nx', { source: 'b.md' }), 'invalid_front_matter', /b\.md: the YAML front matter/);
    await expectLoaderError(() => parseMarkdown('---\n- a\n- b\n---\nx'), 'invalid_front_matter', /mapping/);
  });
});

describe('parseHtml', () => {
  const article = 'The sperm whale, the largest toothed predator, dives to hunt giant squid in the deep ocean, staying down for an hour or more.';
  const html = `<!doctype html><html lang="en"><head><title>Whales &amp; squid</title>
    <meta name="description" content="All about whales"><style>p{color:red}</style><script>var x = "<p>script text</p>";</script></head>
    <body>
      <header><a href="/">Home</a> <a href="/about">About</a></header>
      <nav class="menu"><ul><li><a href="/a">Section A link text for navigation</a></li><li><a href="/b">Section B link text for navigation</a></li></ul></nav>
      <div id="page">
        <div class="sidebar"><p>Subscribe to our newsletter, get offers, deals, coupons, and more, every single week of the year.</p></div>
        <div class="post-content">
          <h1>Deep divers</h1>
          <p>${article}</p>
          <p>Whalers prized the spermaceti organ, which held a waxy oil, used in candles, lamps, and ointments for centuries.</p>
          <pre>code   keeps   spacing</pre>
          <ul><li>first point about whales</li><li>second point, with <a href="/x">a link</a></li></ul>
        </div>
        <div class="comments"><p>Great article, thanks, loved it, will share it with my friends and family right away!</p></div>
      </div>
      <footer>Copyright 2024, all rights reserved, terms, privacy, cookies.</footer>
    </body></html>`;

  it('extracts the main content as text', () => {
    const [doc] = parseHtml(html, { source: 'whales.html' });
    expect(doc!.metadata).toEqual({ source: 'whales.html', title: 'Whales & squid', description: 'All about whales', lang: 'en' });
    expect(doc!.text).toContain('Deep divers\n\nThe sperm whale');
    expect(doc!.text).toContain(article);
    expect(doc!.text).toContain('code   keeps   spacing');
    expect(doc!.text).toContain('- second point, with a link');
    for (const chrome of ['Home', 'newsletter', 'Great article', 'Copyright', 'script text', 'color:red', 'Section A']) expect(doc!.text).not.toContain(chrome);
  });

  it('converts to Markdown with turndown', () => {
    const [doc] = parseHtml(html, { format: 'markdown' });
    expect(doc!.text).toContain('# Deep divers');
    expect(doc!.text).toContain('-   second point, with [a link](/x)'); // turndown's list-marker spacing
    expect(doc!.text).not.toContain('newsletter');
  });

  it('prefers a semantic <article>', () => {
    const page = `<body><div class="x"><p>${'Lots of unrelated words, commas, here. '.repeat(3)}</p></div><article><p>${article} ${article}</p></article></body>`;
    expect(parseHtml(page)[0]!.text).toBe(`${article} ${article}`);
  });

  it('mainContent false keeps the whole body minus scripts', () => {
    const [doc] = parseHtml(html, { mainContent: false });
    expect(doc!.text).toContain('Great article');
    expect(doc!.text).not.toContain('script text');
  });
});

describe('parseJson / parseJsonl', () => {
  const json = JSON.stringify({ data: { items: [{ body: 'first', meta: { author: 'ann', year: 2020 } }, { body: 'second', meta: { author: 'bob', year: 2021 } }] } });
  it('selects records by pointer, content by key, metadata by key or pointer', () => {
    const docs = parseJson(json, { source: 'a.json', pointer: '/data/items', contentKey: 'body', metadataKeys: ['/meta/author', 'meta'] });
    expect(docs).toEqual([
      { id: 'a.json#/data/items/0', text: 'first', metadata: { source: 'a.json', author: 'ann', meta: { author: 'ann', year: 2020 } } },
      { id: 'a.json#/data/items/1', text: 'second', metadata: { source: 'a.json', author: 'bob', meta: { author: 'bob', year: 2021 } } },
    ]);
    expect(resolveJsonPointer({ 'a/b': { '~c': [1, 2] } }, '/a~1b/~0c/1')).toBe(2);
    // Without contentKey a non-string record becomes its JSON.
    expect(parseJson('[{"a":1}]')[0]!.text).toBe('{\n  "a": 1\n}');
  });
  it('JSONL: one document per line with its line number', () => {
    const docs = parseJsonl('{"t":"a","k":1}\n\n{"t":"b","k":2}\n', { source: 'x.jsonl', contentKey: 't', metadataKeys: ['k'] });
    expect(docs).toEqual([
      { id: 'x.jsonl#L1', text: 'a', metadata: { source: 'x.jsonl', k: 1, line: 1 } },
      { id: 'x.jsonl#L3', text: 'b', metadata: { source: 'x.jsonl', k: 2, line: 3 } },
    ]);
  });
  it('typed errors name the place', async () => {
    await expectLoaderError(() => parseJson('{"a": [1, 2,]}', { source: 'bad.json' }), 'invalid_json', /bad\.json: not valid JSON at line 1/);
    await expectLoaderError(() => parseJsonl('{"t":"a"}\n{oops}\n', { source: 'bad.jsonl' }), 'invalid_json', /bad\.jsonl line 2/);
    await expectLoaderError(() => parseJson(json, { pointer: '/data/nope' }), 'invalid_pointer', /\/data\/nope does not exist/);
    await expectLoaderError(() => parseJson(json, { pointer: 'data' }), 'invalid_pointer', /must be '' or start with '\/'/);
    await expectLoaderError(() => parseJson(json, { pointer: '/data/items', contentKey: 'text' }), 'missing_field', /no field "text"; fields are body, meta/);
    await expectLoaderError(() => parseJson(json, { pointer: '/data/items', contentKey: 'meta' }), 'invalid_content', /holds object/);
  });
});

describe('parseCsv', () => {
  const csv = '\uFEFFtitle,body,year\n"Moby, Dick","Call me ""Ishmael"".",1851\nTypee,"Multi\nline",1846\n';
  it('one document per row with column selection', () => {
    const docs = parseCsv(csv, { source: 'books.csv', contentColumns: ['title', 'body'], metadataColumns: ['year'] });
    expect(docs).toEqual([
      { id: 'books.csv#row=1', text: 'title: Moby, Dick\nbody: Call me "Ishmael".', metadata: { source: 'books.csv', row: 1, year: '1851' } },
      { id: 'books.csv#row=2', text: 'title: Typee\nbody: Multi\nline', metadata: { source: 'books.csv', row: 2, year: '1846' } },
    ]);
    expect(parseCsv('a\tb\n1\t2\n', { delimiter: '\t', contentColumns: ['b'], idColumn: 'a' })).toEqual([{ id: '1', text: '2', metadata: { source: 'input', row: 1 } }]);
  });
  it('typed errors', async () => {
    await expectLoaderError(() => parseCsv('a,b\n1,2,3\n', { source: 'r.csv' }), 'invalid_csv', /r\.csv: .*(line 2|record)/i);
    await expectLoaderError(() => parseCsv(csv, { contentColumns: ['author'] }), 'missing_column', /"author", but the header has "title", "body", "year"/);
  });
});

describe('parsePdf', () => {
  const pdf = minimalPdf(['Call me Ishmael.\nSome years ago.', 'The (white) whale \\ Moby Dick']);
  it('one document per page with page numbers', async () => {
    const docs = await parsePdf(pdf, { source: 'moby.pdf' });
    expect(docs).toEqual([
      { id: 'moby.pdf#page=1', text: 'Call me Ishmael.\nSome years ago.', metadata: { source: 'moby.pdf', totalPages: 2, page: 1 } },
      { id: 'moby.pdf#page=2', text: 'The (white) whale \\ Moby Dick', metadata: { source: 'moby.pdf', totalPages: 2, page: 2 } },
    ]);
    const [whole] = await parsePdf(pdf, { splitPages: false });
    expect(whole!.text).toBe('Call me Ishmael.\nSome years ago.\n\nThe (white) whale \\ Moby Dick');
    // The input buffer is not detached by PDF.js.
    expect(pdf.byteLength).toBeGreaterThan(0);
  });
  it('corrupt, truncated and non-PDF input -> LoaderError invalid_pdf', async () => {
    await expectLoaderError(() => parsePdf(pdf.slice(0, 180), { source: 'cut.pdf' }), 'invalid_pdf', /cut\.pdf: the PDF could not be read/);
    const scrambled = new Uint8Array(pdf);
    scrambled.fill(0x41, 20, scrambled.length - 60);
    await expectLoaderError(() => parsePdf(scrambled, { source: 'scrambled.pdf' }), 'invalid_pdf', /scrambled\.pdf/);
    await expectLoaderError(() => parsePdf(new TextEncoder().encode('hello'), { source: 'x.pdf' }), 'invalid_pdf', /not a PDF/);
  });
});
