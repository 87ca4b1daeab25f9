/**
 * Plays the engine's part in SDK and CLI tests: writes a state change (promotion row + transition event)
 * or a check result straight into the database, the way the engine does, so followers see it through the
 * real API (detail, SSE) without an engine, Kubernetes or Prometheus. The state changes go through the
 * state machine's `transition()`, so a test cannot invent one the engine could never make.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../../services/promoter/src/adapters/db/schema.js';
import { transition, type PromotionState } from '../../services/promoter/src/domain/promotion-state-machine.js';

const TERMINAL = new Set(['succeeded', 'rejected', 'rolled_back', 'aborted', 'failed']);

export async function movePromotion(
  db: Kysely<Database>,
  id: string,
  to: PromotionState,
  options: { reason?: string; verdict?: 'pass' | 'fail' | 'inconclusive' | 'error' } = {},
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const row = await trx.selectFrom('promotions').select('state').where('id', '=', id).executeTakeFirstOrThrow();
    const change = transition(row.state, to, options.reason ?? '');
    if (change.refused) throw new Error(`test bug: ${change.reason}`);
    await trx
      .updateTable('promotions')
      .set({
        state: to,
        state_reason: options.reason ?? null,
        updated_at: sql`now()`,
        finished_at: TERMINAL.has(to) ? sql`now()` : null,
        ...(options.verdict === undefined ? {} : { verdict: options.verdict }),
      })
      .where('id', '=', id)
      .execute();
    await trx
      .insertInto('promotion_events')
      .values({ promotion_id: id, actor: 'engine', type: 'transition', from_state: row.state, to_state: to, reason: options.reason ?? null, data: null })
      .execute();
  });
}

/** A check result as the engine stores it (the engine writes no event for a measurement). */
export async function recordCheckResult(
  db: Kysely<Database>,
  id: string,
  result: { check: string; phase: 'pre' | 'rollout' | 'post'; sample: number; result: 'pass' | 'fail' | 'inconclusive' | 'error'; value: number | null; bound: string },
): Promise<void> {
  await db.transaction().execute(async (trx) => {
    await trx
      .insertInto('check_results')
      .values({
        promotion_id: id,
        check_name: result.check,
        phase: result.phase,
        sample: result.sample,
        result: result.result,
        value: result.value,
        bound: result.bound,
        message: `${result.check} = ${result.value ?? 'no data'} (${result.bound}): ${result.result}`,
        data: null,
      })
      .execute();
  });
}

/** Runs `step` after `ms`, reporting a failure to the test instead of crashing the worker. */
export function later(ms: number, step: () => Promise<unknown>): Promise<void> {
  return new Promise((resolve, reject) => {
    setTimeout(() => {
      step().then(() => resolve(), reject);
    }, ms);
  });
}
