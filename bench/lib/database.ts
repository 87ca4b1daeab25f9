/**
 * Fresh PostgreSQL databases for the benchmarks, as test/fixtures/database.ts makes them: one `CREATE
 * DATABASE` per benchmark on the server of BENCH_DATABASE_URL (default: the local test server), migrated
 * with the real migrations, and dropped afterwards (`dropAllBenchDatabases` also on errors and Ctrl-C).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { openDatabase, type DatabaseHandle } from '../../services/promoter/src/adapters/db/connection.js';
import { migrate } from '../../services/promoter/src/adapters/db/migrations.js';

export const BENCH_DATABASE_URL = process.env.BENCH_DATABASE_URL ?? process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface BenchDatabase {
  readonly name: string;
  readonly url: string;
  readonly handle: DatabaseHandle;
  drop(): Promise<void>;
}

const created = new Set<string>();
let droppedIndexes: readonly string[] = [];

/**
 * Indexes to drop right after migrating every bench database (`--drop-indexes=a,b`): measures the service
 * as it was before a migration that added them, e.g. `--drop-indexes=promotions_by_deployment,promotions_by_namespace_state`.
 */
export function dropIndexesAfterMigration(names: readonly string[]): void {
  for (const name of names) if (!/^[a-z_][a-z0-9_]*$/.test(name)) throw new Error(`not an index name: ${name}`);
  droppedIndexes = names;
}

export function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

export async function adminQuery<R extends pg.QueryResultRow = pg.QueryResultRow>(sql: string, params: unknown[] = [], url = BENCH_DATABASE_URL): Promise<R[]> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return (await client.query<R>(sql, params)).rows;
  } finally {
    await client.end();
  }
}

/** An empty database, not migrated (for start-up measurements). */
export async function createEmptyDatabase(label: string): Promise<{ name: string; url: string; drop(): Promise<void> }> {
  const name = `promoter_bench_${label}_${randomBytes(4).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  created.add(name);
  return {
    name,
    url: withDatabase(BENCH_DATABASE_URL, name),
    drop: async () => {
      await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      created.delete(name);
    },
  };
}

/** A fresh, migrated database and a connection pool on it. */
export async function createBenchDatabase(label: string, poolSize = 10): Promise<BenchDatabase> {
  const empty = await createEmptyDatabase(label);
  const handle = await openDatabase({ databaseUrl: empty.url, poolSize });
  await migrate(handle);
  for (const index of droppedIndexes) await adminQuery(`DROP INDEX ${index}`, [], empty.url);
  return {
    name: empty.name,
    url: empty.url,
    handle,
    drop: async () => {
      await handle.close().catch(() => {});
      await empty.drop();
    },
  };
}

export async function dropAllBenchDatabases(): Promise<void> {
  for (const name of [...created]) {
    await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch((error: unknown) => {
      process.stderr.write(`could not drop ${name}: ${String(error)}\n`);
    });
    created.delete(name);
  }
}

export async function serverVersion(): Promise<string> {
  const [row] = await adminQuery<{ server_version: string }>('SHOW server_version');
  return row?.server_version ?? 'unknown';
}
