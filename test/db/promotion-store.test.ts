/**
 * The engine's writes on real PostgreSQL: a step is written only under its lease and only over the state
 * it was planned from; a transition the state machine refuses becomes `failed` (or, from a terminal
 * state, a note) and never the state asked for.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { PromotionStore } from '../../services/promoter/src/adapters/db/promotion-store.js';
import { checkStep } from '../../services/promoter/src/domain/step-outcome.js';
import { createTestDatabase, newTestPromotion, putTestPolicy, type TestDatabase } from '../fixtures/database.js';

let database: TestDatabase;
let store: PromotionStore;
let promotions: PromotionRepository;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  await putTestPolicy(database.handle.db);
  store = new PromotionStore(database.handle.db);
  promotions = new PromotionRepository(database.handle.db);
});
afterAll(() => database?.drop());

const claimOne = async (id: string) => {
  const claimed = await store.claim('replica-a', 50, 10_000);
  const found = claimed.find((p) => p.id === id);
  if (!found) throw new Error(`promotion ${id} was not claimed`);
  return found;
};

it('writes nothing when the state changed since the step was planned', async () => {
  const { promotion } = await promotions.create(newTestPromotion('stale'));
  const claimed = await claimOne(promotion.id);
  await sql`UPDATE promotions SET state = 'aborted' WHERE id = ${promotion.id}`.execute(database.handle.db);
  const written = await store.complete(claimed, 'replica-a', checkStep('pending', { transition: { to: 'analyzing', reason: 'go' }, nextRunInMs: 0 }));
  expect(written).toBe(false);
  expect((await promotions.get(promotion.id)).state).toBe('aborted');
});

it('a refused transition fails the promotion with the reason, and from a terminal state only leaves a note', async () => {
  const { promotion } = await promotions.create(newTestPromotion('refused'));
  const claimed = await claimOne(promotion.id);
  expect(await store.complete(claimed, 'replica-a', checkStep('pending', { transition: { to: 'succeeded', reason: 'skip the gate' }, nextRunInMs: 0 }))).toBe(true);
  const failed = await promotions.getDetail(promotion.id);
  expect(failed).toMatchObject({ state: 'failed', stateReason: 'internal error: the transition pending -> succeeded is not allowed (skip the gate)' });
  expect(failed.finishedAt).not.toBeNull();

  await sql`UPDATE promotions SET lease_owner = 'replica-a', lease_expires_at = now() + interval '10 seconds' WHERE id = ${promotion.id}`.execute(database.handle.db);
  const terminal = { ...claimed, state: 'failed' as const };
  expect(await store.complete(terminal, 'replica-a', checkStep('failed', { transition: { to: 'promoting', reason: 'late' }, nextRunInMs: 0 }))).toBe(true);
  const after = await promotions.getDetail(promotion.id);
  expect(after.state).toBe('failed');
  expect(after.events.at(-1)).toMatchObject({ type: 'note', to: null, reason: 'internal error: the transition failed -> promoting is not allowed (late)' });
});
