/**
 * The engine judges a check on a tally of its results computed in the database (PromotionStore.tallies).
 * It must agree with the tally of the same results counted one by one (domain tallyResults), on both
 * engines, for any sequence: errors in a row at the end, errors between other results, several checks
 * and phases side by side.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PolicyRepository } from '../../services/promoter/src/adapters/db/policy-repository.js';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { PromotionStore } from '../../services/promoter/src/engine/promotion-store.js';
import type { MeasurementResult } from '../../services/promoter/src/domain/policy/measurement.js';
import type { Phase } from '../../services/promoter/src/domain/policy/model.js';
import { EMPTY_TALLY, tallyResults } from '../../services/promoter/src/domain/policy/verdict.js';
import { createTestDatabase, type TestDatabase, type TestEngine } from '../fixtures/database.js';

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
    const document = { checks: [{ name: 'up', query: 'up', min: 1 }] };
    await new PolicyRepository(database.handle.db).put('p', document, 'api', 'test');
    const { promotion } = await new PromotionRepository(database.handle.db).create({
      namespace: 'ns',
      deployment: 'app',
      container: 'app',
      image: 'app:1.0.0',
      policyName: 'p',
      policyVersion: 1,
      policySnapshot: document,
      dryRun: false,
      actor: 'test',
    });
    promotionId = promotion.id;
  });
  afterAll(() => database.drop());

  async function record(phase: Phase, check: string, results: readonly MeasurementResult[]): Promise<void> {
    if (results.length === 0) return;
    await database.handle.db
      .insertInto('check_results')
      .values(results.map((result, i) => ({ promotion_id: promotionId, evaluation_id: null, check_name: check, phase, sample: i + 1, result, message: result })))
      .execute();
  }

  it('is empty for a phase without results', async () => {
    expect((await store.tallies(promotionId, 'pre')).size).toBe(0);
  });

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
        if (result) await record(c.phase, c.check, [result]);
      }
    }
    for (const phase of ['post', 'rollout'] as const) {
      const tallies = await store.tallies(promotionId, phase);
      const expected = cases.filter((c) => c.phase === phase);
      expect([...tallies.keys()].sort()).toEqual(expected.map((c) => c.check).sort());
      for (const c of expected) expect(tallies.get(c.check) ?? EMPTY_TALLY, `${phase} ${c.check}`).toEqual(tallyResults(c.results));
    }
    const trailing = (await store.tallies(promotionId, 'post')).get('errors-at-the-end');
    expect(trailing).toEqual({ total: 6, failed: 1, noData: 0, errors: 3, trailingErrors: 2 });
  });
});
