/**
 * pgvector store: one class, one set of SQL statements, two transports — PGlite (Postgres in
 * WebAssembly, embedded, with the `@electric-sql/pglite-pgvector` extension) and PostgreSQL through `pg`.
 * Metadata is jsonb, filters compile to parameterised SQL (no value is ever interpolated), multi-row
 * upserts run in one transaction.
 */
import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import pg from 'pg';
import type { DistanceMetric, Document, Metadata, ScoredDocument, VectorSearchOptions, VectorStore } from '../types.js';
import { VectorStoreError } from '../types.js';
import { checkBatch, checkDimension, checkIds, checkK, checkMetric, checkVector, closedError } from './common.js';
import { compileFilterToSql, validateFilter } from './filter.js';

type Row = Record<string, unknown>;
type Query = (sql: string, params?: unknown[]) => Promise<Row[]>;

/** What the store needs from a connection: queries and transactions. */
interface SqlDriver {
  query: Query;
  transaction<T>(fn: (query: Query) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

function pgliteDriver(db: PGlite, owned: boolean): SqlDriver {
  return {
    query: async (sql, params) => (await db.query<Row>(sql, params)).rows,
    transaction: (fn) => db.transaction((tx) => fn(async (sql, params) => (await tx.query<Row>(sql, params)).rows)),
    close: async () => {
      if (owned) await db.close();
    },
  };
}

function pgDriver(client: pg.Client, owned: boolean): SqlDriver {
  const query: Query = async (sql, params) => (await client.query(sql, params as unknown[])).rows as Row[];
  return {
    query,
    transaction: async (fn) => {
      await client.query('BEGIN');
      try {
        const out = await fn(query);
        await client.query('COMMIT');
        return out;
      } catch (error) {
        await client.query('ROLLBACK').catch(() => undefined);
        throw error;
      }
    },
    close: async () => {
      if (owned) await client.end();
    },
  };
}

export interface PgVectorStoreOptions {
  dimension: number;
  /** Default: the metric the table was created with, else 'cosine'. */
  metric?: DistanceMetric;
  /** Table name: letters, digits, underscores, at most 63 characters. Default 'llmkit_vectors'. */
  table?: string;
  /** PGlite data directory (persistent); omit all connection options for an in-memory PGlite. */
  dataDir?: string;
  /** An open PGlite instance (must have the pgvector extension loaded); the store does not close it. */
  pglite?: PGlite;
  /** PostgreSQL URL for `pg`, e.g. postgres://user:pass@host:5432/db. The server needs pgvector installed. */
  connectionString?: string;
  /** A connected `pg.Client`; the store does not close it. */
  client?: pg.Client;
  /** Rows per INSERT statement inside an upsert's transaction. Default 500. */
  batchSize?: number;
}

export interface PgIndexOptions {
  method: 'hnsw' | 'ivfflat';
  /** HNSW links per node (pgvector default 16). */
  m?: number;
  /** HNSW build beam width (pgvector default 64). */
  efConstruction?: number;
  /** IVFFlat list count (pgvector default 100). */
  lists?: number;
}

const TABLE_RE = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
const OPS: Record<DistanceMetric, { operator: string; opclass: string; score: string }> = {
  cosine: { operator: '<=>', opclass: 'vector_cosine_ops', score: '1 - d' },
  ip: { operator: '<#>', opclass: 'vector_ip_ops', score: '-d' },
  l2: { operator: '<->', opclass: 'vector_l2_ops', score: '-d' },
};

function toVectorLiteral(v: Float32Array): string {
  // Shortest round-trip decimal of each float32 (as a double); pgvector parses with strtof: exact.
  let s = '[';
  for (let i = 0; i < v.length; i++) s += (i ? ',' : '') + v[i]!;
  return s + ']';
}

function wrap(error: unknown, what: string): VectorStoreError {
  if (VectorStoreError.isInstance(error)) return error as VectorStoreError;
  const e = error as { code?: string; message?: string };
  if (e?.code === '23505') return new VectorStoreError('duplicate_id', `${what}: an id is already in the store (${e.message}); use upsert to replace documents.`, { cause: error });
  return new VectorStoreError('database', `${what} failed in PostgreSQL: ${e?.message ?? String(error)}`, { cause: error });
}

/**
 * Vector store on pgvector. `PgVectorStore.create({ dataDir, dimension })` opens (or creates) an
 * embedded PGlite database; `PgVectorStore.create({ connectionString, dimension })` talks to a
 * PostgreSQL server with pgvector through `pg`. Same class, same SQL.
 *
 * @throws {VectorStoreError} `dimension_mismatch` (vectors, or an existing table of another dimension),
 *   `metric_mismatch`, `duplicate_id` (add), `invalid_filter`, `database`, `connection`, `closed`.
 * @example
 * const store = await PgVectorStore.create({ dataDir: './vectors', dimension: 384 });
 * await store.upsert(docs, vectors);
 * await store.createIndex({ method: 'hnsw', m: 16, efConstruction: 64 });
 * const hits = await store.search(q, { k: 5, filter: { lang: { $in: ['en', 'fr'] } } });
 * await store.close();
 */
export class PgVectorStore implements VectorStore {
  readonly dimension: number;
  readonly metric: DistanceMetric;
  /** The quoted table identifier. */
  readonly table: string;
  private readonly driver: SqlDriver;
  private readonly batchSize: number;
  private chain: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(driver: SqlDriver, table: string, dimension: number, metric: DistanceMetric, batchSize: number) {
    this.driver = driver;
    this.table = `"${table}"`;
    this.dimension = dimension;
    this.metric = metric;
    this.batchSize = batchSize;
  }

  /**
   * Opens or creates the store's table (and the `vector` extension).
   * @throws {VectorStoreError} `invalid_argument`, `connection`, `dimension_mismatch`, `metric_mismatch`.
   */
  static async create(options: PgVectorStoreOptions): Promise<PgVectorStore> {
    if (typeof options !== 'object' || options === null) throw new VectorStoreError('invalid_argument', 'PgVectorStore.create({ dimension, dataDir | connectionString | pglite | client }) needs an options object.');
    const dimension = checkDimension(options.dimension, 'PgVectorStore.create');
    if (dimension > 16_000) throw new VectorStoreError('invalid_argument', `PgVectorStore.create: pgvector's vector type holds at most 16000 dimensions, got ${dimension}.`);
    const table = options.table ?? 'llmkit_vectors';
    if (typeof table !== 'string' || !TABLE_RE.test(table)) {
      throw new VectorStoreError('invalid_argument', `PgVectorStore.create: table ${JSON.stringify(table)} is not a plain identifier; use letters, digits and underscores (max 63, not starting with a digit).`);
    }
    const given = [options.dataDir, options.pglite, options.connectionString, options.client].filter((x) => x !== undefined).length;
    if (given > 1) throw new VectorStoreError('invalid_argument', 'PgVectorStore.create: pass only one of dataDir, pglite, connectionString, client.');
    if (options.metric !== undefined) checkMetric(options.metric, 'PgVectorStore.create');
    const batchSize = options.batchSize ?? 500;
    if (!Number.isInteger(batchSize) || batchSize < 1 || batchSize > 16_000) throw new VectorStoreError('invalid_argument', `PgVectorStore.create: batchSize must be an integer in [1, 16000], got ${batchSize}.`);

    let driver: SqlDriver;
    try {
      if (options.client) driver = pgDriver(options.client, false);
      else if (options.connectionString !== undefined) {
        const client = new pg.Client({ connectionString: options.connectionString });
        await client.connect();
        driver = pgDriver(client, true);
      } else if (options.pglite) driver = pgliteDriver(options.pglite, false);
      else driver = pgliteDriver(await PGlite.create({ dataDir: options.dataDir, extensions: { vector } }), true);
    } catch (cause) {
      throw new VectorStoreError('connection', `PgVectorStore.create: cannot open the database (${(cause as Error).message}); check the dataDir or connection string.`, { cause });
    }
    try {
      await driver.query('CREATE EXTENSION IF NOT EXISTS vector');
      const regclass = `"${table}"`;
      const existing = await driver.query(
        `SELECT format_type(a.atttypid, a.atttypmod) AS type, obj_description(c.oid, 'pg_class') AS comment
           FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid
          WHERE c.oid = to_regclass($1) AND a.attname = 'embedding'`,
        [regclass],
      );
      let metric: DistanceMetric = options.metric ?? 'cosine';
      if (existing.length > 0) {
        const type = String(existing[0]!.type);
        if (type !== `vector(${dimension})`) {
          throw new VectorStoreError('dimension_mismatch', `PgVectorStore.create: table ${table} holds ${type} but dimension ${dimension} was asked; use the same dimension or another table name.`);
        }
        let stored: DistanceMetric | undefined;
        try {
          stored = (JSON.parse(String(existing[0]!.comment ?? '{}')) as { llmkit?: { metric?: DistanceMetric } }).llmkit?.metric;
        } catch {
          stored = undefined;
        }
        if (stored && options.metric && stored !== options.metric) {
          throw new VectorStoreError('metric_mismatch', `PgVectorStore.create: table ${table} was created for metric ${stored}, not ${options.metric}; omit metric or use another table.`);
        }
        metric = stored ?? metric;
      } else {
        await driver.transaction(async (q) => {
          await q(`CREATE TABLE IF NOT EXISTS ${regclass} (id text PRIMARY KEY, text text NOT NULL, metadata jsonb NOT NULL DEFAULT '{}'::jsonb, embedding vector(${dimension}) NOT NULL)`);
          await q(`COMMENT ON TABLE ${regclass} IS '${JSON.stringify({ llmkit: { metric, format: 1 } })}'`);
        });
      }
      return new PgVectorStore(driver, table, dimension, metric, batchSize);
    } catch (error) {
      await driver.close().catch(() => undefined);
      throw wrap(error, 'PgVectorStore.create');
    }
  }

  /** Runs `fn` after every earlier call finished (one connection, so statements never interleave). */
  private serial<T>(what: string, fn: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(closedError('PgVectorStore'));
    const run = this.chain.then(async () => {
      if (this.closed) throw closedError('PgVectorStore');
      try {
        return await fn();
      } catch (error) {
        throw wrap(error, what);
      }
    });
    this.chain = run.catch(() => undefined);
    return run;
  }

  private async insert(documents: Document[], vectors: Float32Array[], onConflict: boolean, what: string): Promise<void> {
    if (this.closed) throw closedError('PgVectorStore');
    checkBatch(documents, vectors, this.dimension, this.metric);
    if (documents.length === 0) return;
    await this.serial(what, () =>
      this.driver.transaction(async (q) => {
        for (let start = 0; start < documents.length; start += this.batchSize) {
          const end = Math.min(documents.length, start + this.batchSize);
          const values: string[] = [];
          const params: unknown[] = [];
          for (let i = start; i < end; i++) {
            const p = params.length;
            values.push(`($${p + 1}, $${p + 2}, $${p + 3}::jsonb, $${p + 4}::vector)`);
            const d = documents[i]!;
            params.push(d.id, d.text, JSON.stringify(d.metadata), toVectorLiteral(vectors[i]!));
          }
          await q(
            `INSERT INTO ${this.table} (id, text, metadata, embedding) VALUES ${values.join(', ')}` +
              (onConflict ? ' ON CONFLICT (id) DO UPDATE SET text = EXCLUDED.text, metadata = EXCLUDED.metadata, embedding = EXCLUDED.embedding' : ''),
            params,
          );
        }
      }),
    );
  }

  /** Inserts or replaces rows; all batches of one call run in one transaction (all or nothing). */
  upsert(documents: Document[], vectors: Float32Array[]): Promise<void> {
    return this.insert(documents, vectors, true, 'upsert');
  }

  /** Inserts rows; an existing id fails the whole call with `duplicate_id` and writes nothing. */
  add(documents: Document[], vectors: Float32Array[]): Promise<void> {
    return this.insert(documents, vectors, false, 'add');
  }

  async delete(ids: string[]): Promise<void> {
    checkIds(ids, 'delete');
    await this.serial('delete', () => this.driver.query(`DELETE FROM ${this.table} WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids)]));
  }

  async get(ids: string[]): Promise<Array<Document | undefined>> {
    checkIds(ids, 'get');
    const rows = await this.serial('get', () =>
      this.driver.query(`SELECT id, text, metadata FROM ${this.table} WHERE id IN (SELECT jsonb_array_elements_text($1::jsonb))`, [JSON.stringify(ids)]),
    );
    const byId = new Map(rows.map((r) => [String(r.id), { id: String(r.id), text: String(r.text), metadata: r.metadata as Metadata }]));
    return ids.map((id) => byId.get(id));
  }

  async search(query: Float32Array, options: VectorSearchOptions = {}): Promise<ScoredDocument[]> {
    if (this.closed) throw closedError('PgVectorStore');
    const k = checkK(options.k);
    checkVector(query, this.dimension, this.metric, 'query');
    let where = '';
    let params: unknown[] = [toVectorLiteral(query), k];
    if (options.filter !== undefined) {
      validateFilter(options.filter);
      const compiled = compileFilterToSql(options.filter, 'metadata', 3);
      where = `WHERE ${compiled.sql}`;
      params = params.concat(compiled.params);
    }
    const { operator, score } = OPS[this.metric];
    const sql = `SELECT id, text, metadata, ${score.replace('d', 'distance')} AS score FROM (
        SELECT id, text, metadata, embedding ${operator} $1::vector AS distance FROM ${this.table} ${where}
        ORDER BY embedding ${operator} $1::vector LIMIT $2) AS hits ORDER BY distance`;
    const rows = await this.serial('search', () => this.driver.query(sql, params));
    // pgvector's cosine distance to a zero vector is NaN (sorted last); its similarity is 0 as in the other stores.
    return rows.map((r) => ({ document: { id: String(r.id), text: String(r.text), metadata: r.metadata as Metadata }, score: Number.isNaN(Number(r.score)) ? 0 : Number(r.score) }));
  }

  async count(): Promise<number> {
    const rows = await this.serial('count', () => this.driver.query(`SELECT count(*)::int AS n FROM ${this.table}`));
    return Number(rows[0]!.n);
  }

  /**
   * Builds an approximate index (load rows first, then index: inserting into an indexed table is much slower).
   * @throws {VectorStoreError} `invalid_argument` for bad options, `database` when PostgreSQL rejects it.
   */
  async createIndex(options: PgIndexOptions): Promise<void> {
    const { method } = options;
    const intOpt = (v: number | undefined, name: string, min: number, max: number): number | undefined => {
      if (v === undefined) return undefined;
      if (!Number.isInteger(v) || v < min || v > max) throw new VectorStoreError('invalid_argument', `createIndex: ${name} must be an integer in [${min}, ${max}], got ${v}.`);
      return v;
    };
    const withs: string[] = [];
    if (method === 'hnsw') {
      const m = intOpt(options.m, 'm', 2, 100);
      const ef = intOpt(options.efConstruction, 'efConstruction', 4, 1000);
      if (m !== undefined) withs.push(`m = ${m}`);
      if (ef !== undefined) withs.push(`ef_construction = ${ef}`);
    } else if (method === 'ivfflat') {
      const lists = intOpt(options.lists, 'lists', 1, 32768);
      if (lists !== undefined) withs.push(`lists = ${lists}`);
    } else throw new VectorStoreError('invalid_argument', `createIndex: method must be 'hnsw' or 'ivfflat', got ${JSON.stringify(method)}.`);
    const name = `"${this.table.slice(1, -1).slice(0, 50)}_${method}_idx"`;
    await this.serial('createIndex', async () => {
      await this.driver.query(`DROP INDEX IF EXISTS ${name}`);
      await this.driver.query(
        `CREATE INDEX ${name} ON ${this.table} USING ${method} (embedding ${OPS[this.metric].opclass})${withs.length ? ` WITH (${withs.join(', ')})` : ''}`,
      );
    });
  }

  /**
   * Sets pgvector's query-time knobs for this connection: `hnsw.ef_search`, `ivfflat.probes`, and
   * `hnsw.iterative_scan` / `ivfflat.iterative_scan` (pgvector >= 0.8: keep scanning the index until a
   * filtered query has k rows, instead of filtering the first ef_search candidates).
   */
  async setSearchParameters(options: { efSearch?: number; probes?: number; iterativeScan?: 'off' | 'strict_order' | 'relaxed_order' }): Promise<void> {
    const check = (v: number, name: string): number => {
      if (!Number.isInteger(v) || v < 1 || v > 1000) throw new VectorStoreError('invalid_argument', `setSearchParameters: ${name} must be an integer in [1, 1000], got ${v}.`);
      return v;
    };
    await this.serial('setSearchParameters', async () => {
      if (options.efSearch !== undefined) await this.driver.query(`SET hnsw.ef_search = ${check(options.efSearch, 'efSearch')}`);
      if (options.probes !== undefined) await this.driver.query(`SET ivfflat.probes = ${check(options.probes, 'probes')}`);
      if (options.iterativeScan !== undefined) {
        const mode = options.iterativeScan;
        if (!['off', 'strict_order', 'relaxed_order'].includes(mode)) throw new VectorStoreError('invalid_argument', `setSearchParameters: iterativeScan must be 'off', 'strict_order' or 'relaxed_order', got ${JSON.stringify(mode)}.`);
        await this.driver.query(`SET hnsw.iterative_scan = ${mode}`);
        await this.driver.query(`SET ivfflat.iterative_scan = ${mode === 'strict_order' ? 'relaxed_order' : mode}`);
      }
    });
  }

  /** Runs a read-only SQL query on the store's connection (diagnostics, e.g. EXPLAIN). Values go in `params`. */
  async sql(query: string, params: unknown[] = []): Promise<Row[]> {
    return this.serial('sql', () => this.driver.query(query, params));
  }

  /** Waits for pending calls, then closes the connection (or PGlite database) the store opened. */
  async close(): Promise<void> {
    if (this.closed) return;
    const pending = this.chain;
    this.closed = true;
    await pending;
    await this.driver.close();
  }
}
