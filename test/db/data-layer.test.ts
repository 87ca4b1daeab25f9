/**
 * The data layer on both engines: migrations from empty, repositories, the partial unique index and the
 * idempotency keys behave the same on PostgreSQL and on embedded PGlite.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase } from '../../services/promoter/src/adapters/db/connection.js';
import { migrate, readMigrations } from '../../services/promoter/src/adapters/db/migrations.js';
import { PolicyRepository } from '../../services/promoter/src/adapters/db/policy-repository.js';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { AppError } from '../../services/promoter/src/errors.js';
import { createTestDatabase, newTestPromotion, putTestPolicy, TEST_POLICY, type TestDatabase, type TestEngine } from '../fixtures/database.js';

const policyDocument = TEST_POLICY;

describe.each<TestEngine>(['postgres', 'pglite'])('data layer on %s', (engine) => {
  let database: TestDatabase;
  let promotions: PromotionRepository;
  let policies: PolicyRepository;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    promotions = new PromotionRepository(database.handle.db);
    policies = new PolicyRepository(database.handle.db);
    await putTestPolicy(database.handle.db);
  });
  afterAll(() => database.drop());

  const newPromotion = newTestPromotion;

  it('applied every migration from empty, and a second run applies none', async () => {
    const applied = await database.handle.db
      .selectFrom(sql<{ name: string }>`schema_migrations`.as('m'))
      .select('m.name')
      .execute();
    expect(applied.map((r) => r.name)).toEqual(readMigrations().map((m) => m.name));
    expect(await migrate(database.handle)).toEqual([]);
  });

  it('refuses a migration that changed after it was applied', async () => {
    const [first] = readMigrations();
    if (!first) throw new Error('no migrations');
    await expect(migrate(database.handle, [{ ...first, sql: `${first.sql}\n-- edited`, checksum: 'different' }])).rejects.toThrow(
      /changed after it was applied/,
    );
  });

  it('enforces one active promotion per target in the database itself', async () => {
    await promotions.create(newPromotion('one'));
    await expect(
      database.handle.db
        .insertInto('promotions')
        .values({
          id: '00000000-0000-4000-8000-000000000001',
          namespace: 'ns',
          deployment: 'one',
          container: 'app',
          policy_name: 'p',
          policy_version: 1,
          policy_snapshot: JSON.stringify(policyDocument),
          state: 'verifying',
          actor: 'raw-sql',
          source_deployment: null,
          source_container: null,
          tag_suffix_to_strip: null,
          image: null,
          resolved_image: null,
          previous_image: null,
          dry_run: false,
          reason: null,
          state_reason: null,
          verdict: null,
          lease_owner: null,
          requested_action: null,
        })
        .execute(),
    ).rejects.toMatchObject({ code: '23505' });
    await expect(promotions.create(newPromotion('one'))).rejects.toMatchObject({ status: 409, code: 'promotion-already-active' });
  });

  it('replays an idempotent create and refuses a changed body', async () => {
    const first = await promotions.create(newPromotion('idem'), { key: 'k1', requestHash: 'h1' });
    const again = await promotions.create(newPromotion('idem'), { key: 'k1', requestHash: 'h1' });
    expect(again).toEqual({ promotion: first.promotion, replayed: true });
    const error = await promotions.create(newPromotion('idem'), { key: 'k1', requestHash: 'h2' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('idempotency-key-reused');
  });

  it('pages newest first and aborts a pending promotion with an event', async () => {
    const created = [];
    for (const name of ['page-a', 'page-b', 'page-c']) created.push((await promotions.create(newPromotion(name))).promotion.id);
    const first = await promotions.list({ limit: 2 });
    expect(first.items.map((p) => p.id)).toEqual([created[2], created[1]]);
    const second = await promotions.list({ limit: 2, cursor: first.nextCursor ?? undefined });
    expect(second.items[0]?.id).toBe(created[0]);
    const aborted = await promotions.requestAction(created[0] as string, 'abort', 'tester', 'not needed');
    expect(aborted).toMatchObject({ state: 'aborted', stateReason: 'not needed' });
    const events = await promotions.events(created[0] as string);
    expect(events.map((e) => [e.type, e.from, e.to, e.actor])).toEqual([
      ['created', null, 'pending', 'test'],
      ['transition', 'pending', 'aborted', 'tester'],
    ]);
    const counts = await promotions.countByState();
    expect(counts.get('aborted')).toBe(1);
  });

  it('numbers policy versions and skips unchanged documents', async () => {
    const v1 = await policies.put('q', policyDocument, 'api', 'a');
    const same = await policies.put('q', { checks: [{ min: 1, query: 'up', name: 'up' }] }, 'file', 'b');
    const v2 = await policies.put('q', { ...policyDocument, interval: '1m' }, 'api', 'c');
    expect([v1.policy.version, same.policy.version, same.changed, v2.policy.version]).toEqual([1, 1, false, 2]);
  });
});

describe('migrations under concurrency (postgres)', () => {
  it('three replicas starting at once migrate exactly once', async () => {
    const database = await createTestDatabase('postgres');
    try {
      // Undo the fixture's migration so that three fresh handles race from an empty schema.
      await sql`DROP SCHEMA public CASCADE; CREATE SCHEMA public`.execute(database.handle.db);
      const handles = await Promise.all([1, 2, 3].map(() => openDatabase({ databaseUrl: database.url })));
      const applied = await Promise.all(handles.map((h) => migrate(h)));
      expect(applied.map((a) => a.length).sort()).toEqual([0, 0, readMigrations().length]);
      await Promise.all(handles.map((h) => h.close()));
    } finally {
      await database.drop();
    }
  });
});
