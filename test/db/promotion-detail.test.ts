/**
 * The detail read (PromotionRepository.getDetail) fetches a promotion with its check results and events
 * in one query, as JSON aggregates. Its output must equal what the row-by-row reads through the driver
 * give: the same timestamps (to the millisecond), NaN and Infinity as null, integers as numbers, JSON
 * columns as objects, order by id, and empty lists, on both engines.
 */
import { describe, expect, it } from 'vitest';
import { sql } from 'kysely';
import { checkResultView, eventView } from '../../services/promoter/src/adapters/db/views.js';
import { newTestPromotion, TEST_POLICY, useSeededTestDatabase, type TestEngine } from '../fixtures/database.js';

describe.each<TestEngine>(['postgres', 'pglite'])('promotion detail read on %s', (engine) => {
  const seeded = useSeededTestDatabase(engine);

  const create = async (deployment: string) => (await seeded.promotions.create(newTestPromotion(deployment))).promotion.id;

  it('gives what reading the rows one by one gives', async () => {
    const id = await create('detail');
    const db = seeded.db;
    // Values JSON cannot carry, a microsecond timestamp, JSON columns, and rows out of insertion order by name.
    await sql`
      INSERT INTO check_results (promotion_id, check_name, phase, sample, result, value, baseline_value, bound, query, warnings, message, data, measured_at)
      VALUES
        (${id}, 'b', 'pre', 1, 'error', 'NaN'::float8, 'Infinity'::float8, NULL, 'up', '["w1"]', 'not a number', '{"k":[1,2]}', '2026-11-26 16:00:00.123456+00'),
        (${id}, 'a', 'pre', 1, 'pass', 0.05, '-Infinity'::float8, 'max 0.1', 'up', '[]', 'ok', NULL, '2026-11-26 16:00:01.999999+00'),
        (${id}, 'a', 'post', 2, 'fail', 1e-300, NULL, 'max 0.1', NULL, '[]', 'bad', NULL, now())`.execute(db);
    await sql`INSERT INTO promotion_events (promotion_id, actor, type, from_state, to_state, reason, data, at)
      VALUES (${id}, 'engine', 'note', 'pending', NULL, 'why', '{"n":1.5}', '2026-11-26 16:00:02.000001+00')`.execute(db);

    const detail = await seeded.promotions.getDetail(id);
    const results = await db.selectFrom('check_results').selectAll().where('promotion_id', '=', id).orderBy('id').execute();
    const events = await db.selectFrom('promotion_events').selectAll().where('promotion_id', '=', id).orderBy('id').execute();
    expect(detail.checkResults).toEqual(results.map(checkResultView));
    expect(detail.events).toEqual(events.map(eventView));
    expect(detail.checkResults.map((r) => [r.value, r.baselineValue])).toEqual([
      [null, null],
      [0.05, null],
      [1e-300, null],
    ]);
    expect(detail.checkResults[0]?.measuredAt).toBe('2026-11-26T16:00:00.123Z');
    expect(detail.checkResults[0]?.data).toEqual({ k: [1, 2] });
    expect(detail.events.at(-1)?.data).toEqual({ n: 1.5 });
    expect(detail.policySnapshot).toEqual(TEST_POLICY);
    expect(detail.id).toBe(id);
  });

  it('gives empty lists for a promotion without results, and 404 for an unknown id', async () => {
    const id = await create('empty');
    await sql`DELETE FROM promotion_events WHERE promotion_id = ${id}`.execute(seeded.db);
    expect(await seeded.promotions.getDetail(id)).toMatchObject({ id, checkResults: [], events: [] });
    await expect(seeded.promotions.getDetail('00000000-0000-4000-8000-000000000000')).rejects.toMatchObject({ status: 404 });
  });
});
