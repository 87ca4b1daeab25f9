/**
 * The engine keeps a check's tally in the promotion's progress; for a promotion that has none yet (one
 * measured before tallies were kept) it computes it in the database (PromotionStore.tallies). That must
 * agree with the tally of the same results counted one by one (domain tallyResults), on both engines,
 * for any sequence: errors in a row at the end, errors between other results, several checks and phases
 * side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { PromotionStore } from '../../services/promoter/src/engine/promotion-store.js';
import type { MeasurementResult } from '../../services/promoter/src/domain/policy/measurement.js';
import type { Phase } from '../../services/promoter/src/domain/policy/model.js';
import { tallyResults } from '../../services/promoter/src/domain/policy/verdict.js';
import { createTestDatabase, newTestPromotion, putTestPolicy, type TestDatabase, type TestEngine } from '../fixtures/database.js';

const RESULTS: readonly MeasurementResult[] = ['pass', 'fail', 'inconclusive', 'error'];

/** A small deterministic generator, so a failure names a reproducible case. */
function sequence(seed: number, length: number, errorBias: number): MeasurementResult[] {
  let state = seed;
  return Array.from({ length }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    const r = state / 2147483648;
    return r < errorBias ? 'error' : (RESULTS[Math.floor(((r - errorBias) / (1 - errorBias)) * 3)] as MeasurementResult);
  });
}

describe.each<TestEngine>(['postgres', 'pglite'])('check result tallies on %s', (engine) => {
  let database: TestDatabase;
  let store: PromotionStore;
  let promotionId: string;

  beforeAll(async () => {
    database = await createTestDatabase(engine);
    store = new PromotionStore(database.handle.db);
    await putTestPolicy(database.handle.db);
    promotionId = (await new PromotionRepository(database.handle.db).create(newTestPromotion('app'))).promotion.id;
  });
  afterAll(() => database.drop());

  async function record(phase: Phase, check: string, result: MeasurementResult, sample: number): Promise<void> {
    await database.handle.db
      .insertInto('check_results')
      .values({ promotion_id: promotionId, evaluation_id: null, check_name: check, phase, sample, result, message: result })
      .execute();
  }

  it('agrees with counting the results one by one', async () => {
    const cases: { check: string; phase: Phase; results: MeasurementResult[] }[] = [
      { check: 'only-errors', phase: 'post', results: ['error', 'error', 'error'] },
      { check: 'errors-at-the-end', phase: 'post', results: ['pass', 'fail', 'error', 'pass', 'error', 'error'] },
      { check: 'error-then-pass', phase: 'post', results: ['error', 'error', 'pass'] },
      { check: 'no-data', phase: 'post', results: ['inconclusive', 'inconclusive', 'pass'] },
      ...Array.from({ length: 12 }, (_, i) => ({ check: `random-${i}`, phase: 'post' as const, results: sequence(i + 1, 5 + i * 17, i % 3 === 0 ? 0.6 : 0.2) })),
      // The same check names in another phase must not leak into the post tallies.
      { check: 'errors-at-the-end', phase: 'rollout', results: ['fail', 'fail', 'pass'] },
    ];
    // Interleaved, so ids of one check are not contiguous (as when several checks measure per round).
    const longest = Math.max(...cases.map((c) => c.results.length));
    for (let i = 0; i < longest; i++) {
      for (const c of cases) {
        const result = c.results[i];
        if (result) await record(c.phase, c.check, result, i + 1);
      }
    }
    for (const phase of ['post', 'rollout'] as const) {
      const tallies = await store.tallies(promotionId, phase);
      const expected = cases.filter((c) => c.phase === phase);
      expect([...tallies.keys()].sort()).toEqual(expected.map((c) => c.check).sort());
      for (const c of expected) expect(tallies.get(c.check), `${phase} ${c.check}`).toEqual(tallyResults(c.results));
    }
    const trailing = (await store.tallies(promotionId, 'post')).get('errors-at-the-end');
    expect(trailing).toEqual({ total: 6, failed: 1, noData: 0, errors: 3, trailingErrors: 2 });
    // A phase without results (none were stored for pre, among all those of the others) has no tallies.
    expect((await store.tallies(promotionId, 'pre')).size).toBe(0);
  });
});
