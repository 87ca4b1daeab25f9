/**
 * Opens the database: PostgreSQL through `pg` when a URL is given, otherwise an embedded PGlite database
 * kept in a folder, so the service runs with nothing else installed. Both speak the same SQL, and on both a
 * query sent through the root handle from inside an open transaction throws (transaction-guard.ts).
 */
import { mkdirSync } from 'node:fs';
import { PostgresDialect, type Kysely } from 'kysely';
import pg from 'pg';
import { lockDataDir, type DataDirLock } from './data-dir-lock.js';
import type { Database } from './schema.js';
import { guardedKysely } from './transaction-guard.js';

export type DatabaseEngine = 'postgres' | 'pglite';

/** Runs a multi-statement SQL script inside one transaction; used by the migrator. */
export type ScriptTransaction = <T>(
  fn: (tx: { exec(sql: string): Promise<void>; query<R>(sql: string, params?: unknown[]): Promise<R[]> }) => Promise<T>,
) => Promise<T>;

export interface DatabaseHandle {
  readonly db: Kysely<Database>;
  readonly engine: DatabaseEngine;
  readonly scriptTransaction: ScriptTransaction;
  /** PGlite only: the data directory as a tarball, to start another database from (tests clone a migrated one). */
  readonly dumpDataDir?: () => Promise<Blob>;
  close(): Promise<void>;
}

export interface OpenDatabaseOptions {
  readonly databaseUrl?: string | undefined;
  /** Folder for PGlite; `memory://` keeps it in memory (tests). */
  readonly dataDir?: string | undefined;
  readonly poolSize?: number;
  /** PGlite only: start from this dump of a data directory (`dumpDataDir`) instead of an empty one. */
  readonly loadDataDir?: Blob | undefined;
}

// bigint (int8) as a JS number: ids and counts here stay far below 2^53, and JSON has no bigint. Set on
// this pool's clients only: changing pg's global parsers would change them for every user of `pg` in the
// process.
const INT8_OID = 20;
const promoterTypes: pg.CustomTypesConfig = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

export async function openDatabase(options: OpenDatabaseOptions): Promise<DatabaseHandle> {
  if (options.databaseUrl) return openPostgres(options.databaseUrl, options.poolSize ?? 10);
  return openPglite(options.dataDir ?? 'memory://', options.loadDataDir);
}

function openPostgres(connectionString: string, max: number): DatabaseHandle {
  const pool = new pg.Pool({
    connectionString,
    max,
    connectionTimeoutMillis: 5_000,
    // A query that hangs (a lock held by a dead peer, a network partition) must not hang a request forever.
    statement_timeout: 30_000,
    idle_in_transaction_session_timeout: 60_000,
    application_name: 'promoter',
    types: promoterTypes,
  });
  // An idle client that loses its connection emits 'error' on the pool; without a listener that would
  // crash the process during a database outage instead of answering 503.
  pool.on('error', () => {});
  const db = guardedKysely<Database>(new PostgresDialect({ pool }));
  const scriptTransaction: ScriptTransaction = async (fn) => {
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const result = await fn({
        exec: async (sql) => {
          await client.query(sql);
        },
        query: async <R>(sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows as R[],
      });
      await client.query('COMMIT');
      return result;
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  };
  return { db, engine: 'postgres', scriptTransaction, close: () => db.destroy() };
}

async function openPglite(dataDir: string, loadDataDir: Blob | undefined): Promise<DatabaseHandle> {
  const [{ PGlite, types }, { PGliteDialect }] = await Promise.all([
    import('@electric-sql/pglite'),
    import('kysely-pglite-dialect'),
  ]);
  let lock: DataDirLock | undefined;
  if (!dataDir.startsWith('memory://')) {
    mkdirSync(dataDir, { recursive: true });
    // Before PGlite touches the folder: a second process on it would silently lose acknowledged writes.
    lock = lockDataDir(dataDir);
  }
  const pglite = await PGlite.create(dataDir, { parsers: { [types.INT8]: (value: string) => Number(value) }, ...(loadDataDir ? { loadDataDir } : {}) }).catch((error: unknown) => {
    lock?.release();
    throw error;
  });
  const db = guardedKysely<Database>(new PGliteDialect(pglite));
  const scriptTransaction: ScriptTransaction = (fn) =>
    pglite.transaction((tx) =>
      fn({
        exec: async (sql) => {
          await tx.exec(sql);
        },
        query: async <R>(sql: string, params: unknown[] = []) => (await tx.query<R>(sql, params)).rows,
      }),
    );
  // Kysely's destroy closes the PGlite instance through the dialect's driver.
  return {
    db,
    engine: 'pglite',
    scriptTransaction,
    dumpDataDir: () => pglite.dumpDataDir('none'),
    close: async () => {
      try {
        await db.destroy();
      } finally {
        lock?.release();
      }
    },
  };
}
