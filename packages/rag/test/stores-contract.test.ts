/** The shared VectorStore contract, run for each store: memory, HNSW, pgvector on PGlite, pgvector over the wire (pg -> PGlite socket). */
import { afterAll, beforeAll, describe } from 'vitest';
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { MemoryVectorStore } from '../src/stores/memory.js';
import { HnswVectorStore } from '../src/stores/hnsw.js';
import { PgVectorStore } from '../src/stores/pgvector.js';
import { vectorStoreContract } from './stores-suite.js';

vectorStoreContract('MemoryVectorStore', async (o) => new MemoryVectorStore(o));

// M 8 and a small ef keep the graph sparse enough that search really walks it on these small sets.
vectorStoreContract('HnswVectorStore', async (o) => new HnswVectorStore({ ...o, M: 8, efConstruction: 64, efSearch: 32 }), { approximate: true });

describe('pgvector stores', () => {
  let db: PGlite;
  let serverDb: PGlite;
  let server: PGLiteSocketServer;
  let port = 0;
  let tables = 0;
  beforeAll(async () => {
    db = await PGlite.create({ extensions: { vector } });
    serverDb = await PGlite.create({ extensions: { vector } });
    // The server's default is one connection; two stores are open at once in one test.
    server = new PGLiteSocketServer({ db: serverDb, port: 0, host: '127.0.0.1', maxConnections: 4 });
    await server.start();
    const address = (server as unknown as { server: { address(): { port: number } } }).server.address();
    port = address.port;
  });
  afterAll(async () => {
    await server?.stop();
    await serverDb?.close();
    await db?.close();
  });

  vectorStoreContract('PgVectorStore on PGlite', (o) => PgVectorStore.create({ ...o, pglite: db, table: `t_${tables++}` }));
  vectorStoreContract('PgVectorStore via pg over the Postgres wire protocol', (o) =>
    PgVectorStore.create({ ...o, connectionString: `postgres://postgres@127.0.0.1:${port}/postgres?sslmode=disable`, table: `w_${tables++}` }),
  );
});
