import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { runRagFolder, writeSampleFolder } from '../src/main.js';

const root = mkdtempSync(join(tmpdir(), 'llmkit-example-rag-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('example: rag-folder', () => {
  it('indexes a folder (one bad file listed, not fatal), retrieves the relevant file, and maps sources to file offsets', async () => {
    const dir = join(root, 'docs');
    mkdirSync(join(dir, 'notes'), { recursive: true });
    writeFileSync(join(dir, 'whales.md'), '# Whales\n\nThe sperm whale dives deep to hunt giant squid in the dark ocean.\n\nHarpooneers feared its tail.');
    writeFileSync(join(dir, 'notes', 'bread.txt'), 'Sourdough bread needs flour, water, salt and a lively starter.\n\nBake it hot.');
    writeFileSync(join(dir, 'notes', 'trains.txt'), 'The steam locomotive pulled forty wagons of coal across the plains.');
    writeFileSync(join(dir, 'broken.pdf'), 'this is not a PDF');
    const lines: string[] = [];
    const r = await runRagFolder({ dir, cacheDir: join(root, 'cache'), question: 'What does the sperm whale hunt?', pretrainSteps: 0, k: 2, maxNewTokens: 6, progress: false, log: (l) => lines.push(l) });
    expect(r.files).toBe(3);
    expect(r.loadErrors.map((e) => e.path).join()).toMatch(/broken\.pdf/);
    expect(r.storeCount).toBe(r.chunks);
    expect(r.hits[0]!.source).toMatch(/whales\.md$/);
    expect(r.result.sources).toHaveLength(2);
    // Every source carries its offsets into the original file: the chunk is exactly that slice.
    for (const s of r.result.sources) {
      const loc = s.document.metadata.loc as { start: number; end: number };
      const file = String(s.document.metadata.source);
      const text = readFileSync(file.startsWith('/') ? file : join(dir, file), 'utf8');
      expect(text.slice(loc.start, loc.end)).toBe(s.document.text);
    }
    expect(typeof r.result.answer).toBe('string');
    expect(lines.some((l) => l.startsWith('vector store: pgvector on embedded PGlite'))).toBe(true);
  });

  it('stores the vectors in PostgreSQL given --connection-string (pg over the wire protocol, served here by PGlite)', async () => {
    const dir = join(root, 'pg-docs');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'a.txt'), 'The harpoon is thrown from the bow of the whaleboat.');
    writeFileSync(join(dir, 'b.txt'), 'Ambergris is found in the intestines of the sperm whale.');
    writeFileSync(join(dir, 'c.txt'), 'The captain keeps the log book in his cabin.');
    const db = await PGlite.create({ extensions: { vector } });
    const server = new PGLiteSocketServer({ db, port: 0, host: '127.0.0.1', maxConnections: 2 });
    await server.start();
    const port = (server as unknown as { server: { address(): { port: number } } }).server.address().port;
    try {
      const connectionString = `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`;
      const lines: string[] = [];
      const options = { dir, cacheDir: join(root, 'cache'), connectionString, question: 'Where is ambergris found?', pretrainSteps: 0, k: 1, maxNewTokens: 2, progress: false as const, log: (l: string) => lines.push(l) };
      const r = await runRagFolder(options);
      expect(lines.some((l) => l.startsWith('vector store: pgvector on PostgreSQL'))).toBe(true);
      expect(r.hits[0]!.source).toMatch(/b\.txt$/);
      // A second run empties the example's table first: no duplicated rows.
      const again = await runRagFolder(options);
      expect(again.storeCount).toBe(r.storeCount);
      expect((await db.query('SELECT count(*)::int AS n FROM llmkit_rag_example')).rows).toEqual([{ n: r.chunks }]);
    } finally {
      await server.stop();
      await db.close();
    }
  });

  it('writes the sample folder of State of the Union addresses', () => {
    const dir = writeSampleFolder(join(root, 'sample'));
    const files = readFileSync(join(dir, '1941-Franklin-D-Roosevelt.txt'), 'utf8');
    expect(files.startsWith('Franklin D Roosevelt, State of the Union, 1941')).toBe(true);
  });

  it('rejects a missing folder with a typed error naming it', async () => {
    await expect(runRagFolder({ dir: join(root, 'nope'), log: () => {} })).rejects.toMatchObject({ code: 'invalid_argument', message: expect.stringMatching(/nope/) });
  });
});
