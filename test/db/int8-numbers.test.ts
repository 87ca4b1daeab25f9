/** bigint columns (ids, seq) arrive as numbers on the service's own pool, and pg's global parsers stay as they were. */
import { sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';

let database: TestDatabase;
beforeAll(async () => {
  database = await createTestDatabase('postgres');
});
afterAll(() => database?.drop());

it('int8 is a number on the pool, without changing pg for the rest of the process', async () => {
  const result = await sql<{ x: unknown }>`SELECT 9007199254740990::bigint AS x`.execute(database.handle.db);
  expect(result.rows[0]?.x).toBe(9007199254740990);
  expect(pg.types.getTypeParser(20, 'text')('5')).toBe('5');
});
