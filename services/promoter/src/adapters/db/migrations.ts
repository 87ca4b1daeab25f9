/**
 * Applies the ordered SQL files in migrations/ (NNNN-name.sql), forward only, all pending ones in one
 * transaction under an advisory lock so that several replicas starting together migrate exactly once.
 * A file that changed after it was applied stops the start-up: migrations are never edited once landed.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DatabaseHandle } from './connection.js';

export const MIGRATIONS_DIR = fileURLToPath(new URL('../../../../../migrations', import.meta.url));
const FILE_NAME = /^(\d{4})-[a-z0-9-]+\.sql$/;
// Any constant shared by all replicas; "promoter" in ASCII.
const MIGRATION_LOCK_KEY = 0x70726f6d;

export interface Migration {
  readonly name: string;
  readonly sql: string;
  readonly checksum: string;
}

export function readMigrations(dir: string = MIGRATIONS_DIR): Migration[] {
  return readdirSync(dir)
    .filter((file) => FILE_NAME.test(file))
    .sort()
    .map((name) => {
      const sql = readFileSync(join(dir, name), 'utf8');
      return { name, sql, checksum: createHash('sha256').update(sql).digest('hex') };
    });
}

/** Applies pending migrations; returns the names of those it applied. */
export async function migrate(handle: DatabaseHandle, migrations: readonly Migration[] = readMigrations()): Promise<string[]> {
  return handle.scriptTransaction(async (tx) => {
    await tx.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK_KEY]);
    await tx.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      name text PRIMARY KEY,
      checksum text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const applied = new Map(
      (await tx.query<{ name: string; checksum: string }>('SELECT name, checksum FROM schema_migrations')).map((row) => [
        row.name,
        row.checksum,
      ]),
    );
    const done: string[] = [];
    for (const migration of migrations) {
      const checksum = applied.get(migration.name);
      if (checksum !== undefined) {
        if (checksum !== migration.checksum) {
          throw new Error(`migration ${migration.name} changed after it was applied; add a new migration instead of editing it`);
        }
        continue;
      }
      await tx.exec(migration.sql);
      await tx.query('INSERT INTO schema_migrations (name, checksum) VALUES ($1, $2)', [migration.name, migration.checksum]);
      done.push(migration.name);
    }
    return done;
  });
}
