/**
 * The engine's view of the database: claiming due promotions with leases (FOR UPDATE SKIP LOCKED, so
 * replicas never take the same row), reading a promotion's measurements so far, and writing one step's
 * outcome in a single transaction that first proves the lease is still ours.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from '../adapters/db/schema.js';
import type { PromotionRow } from '../adapters/db/views.js';
import { ACTIVE_STATES, isTerminal, type PromotionState } from '../domain/promotion-state.js';
import type { MeasurementResult } from '../domain/policy/measurement.js';
import type { Phase } from '../domain/policy/model.js';
import { measurementRow, type Measurement } from '../evaluation/check-runner.js';

export interface StepEvent {
  readonly type: string;
  readonly reason: string;
  readonly data?: Record<string, unknown>;
}

export interface StepOutcome {
  readonly transition?: { readonly to: PromotionState; readonly reason: string; readonly data?: Record<string, unknown> };
  readonly set?: {
    readonly resolved_image?: string;
    readonly previous_image?: string;
    readonly verdict?: string;
  };
  /** Merged into `progress`. */
  readonly progress?: Record<string, unknown>;
  readonly measurements?: readonly { readonly sample: number; readonly measurement: Measurement }[];
  readonly events?: readonly StepEvent[];
  readonly nextRunInMs: number;
  /** The requested action this step carried out; cleared unless another one arrived meanwhile. */
  readonly handledAction?: string;
}

export class PromotionStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Takes up to `limit` due promotions for `owner` until `leaseMs` from now. */
  async claim(owner: string, limit: number, leaseMs: number): Promise<PromotionRow[]> {
    const result = await sql<PromotionRow>`
      UPDATE promotions SET lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval
      WHERE id IN (
        SELECT id FROM promotions
        WHERE (state IN (${sql.join(ACTIVE_STATES.map((s) => sql`${s}`))})
               OR (state = 'succeeded' AND requested_action = 'rollback'))
          AND next_run_at <= now()
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ORDER BY next_run_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING *`.execute(this.#db);
    return result.rows;
  }

  /** Results so far for a phase, by check name, oldest first. */
  async results(promotionId: string, phase: Phase): Promise<Map<string, MeasurementResult[]>> {
    const rows = await this.#db
      .selectFrom('check_results')
      .select(['check_name', 'result'])
      .where('promotion_id', '=', promotionId)
      .where('phase', '=', phase)
      .orderBy('id')
      .execute();
    const byCheck = new Map<string, MeasurementResult[]>();
    for (const row of rows) {
      const list = byCheck.get(row.check_name) ?? [];
      list.push(row.result as MeasurementResult);
      byCheck.set(row.check_name, list);
    }
    return byCheck;
  }

  /**
   * Writes a step's outcome and releases the lease. Returns false (writing nothing) when the lease was
   * lost meanwhile: another replica owns the promotion now and its view wins.
   */
  async complete(row: PromotionRow, owner: string, outcome: StepOutcome, actor = 'engine'): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const current = await trx
        .selectFrom('promotions')
        .select(['state', 'progress', 'requested_action'])
        .where('id', '=', row.id)
        .where('lease_owner', '=', owner)
        .forUpdate()
        .executeTakeFirst();
      if (!current) return false;
      const from = current.state as PromotionState;
      if (outcome.measurements && outcome.measurements.length > 0) {
        await trx
          .insertInto('check_results')
          .values(
            outcome.measurements.map(({ sample, measurement }) => ({ ...measurementRow(measurement, sample), promotion_id: row.id, evaluation_id: null })),
          )
          .execute();
      }
      const events = [...(outcome.events ?? [])];
      for (const event of events) {
        await trx
          .insertInto('promotion_events')
          .values({ promotion_id: row.id, actor, type: event.type, from_state: from, to_state: null, reason: event.reason, data: event.data ? JSON.stringify(event.data) : null })
          .execute();
      }
      const to = outcome.transition?.to;
      if (outcome.transition) {
        await trx
          .insertInto('promotion_events')
          .values({
            promotion_id: row.id,
            actor,
            type: 'transition',
            from_state: from,
            to_state: outcome.transition.to,
            reason: outcome.transition.reason,
            data: outcome.transition.data ? JSON.stringify(outcome.transition.data) : null,
          })
          .execute();
      }
      await trx
        .updateTable('promotions')
        .set({
          ...(outcome.set ?? {}),
          ...(to ? { state: to, state_reason: outcome.transition?.reason ?? null } : {}),
          ...(to && isTerminal(to) ? { finished_at: sql`now()` } : {}),
          progress: JSON.stringify({ ...(current.progress ?? {}), ...(outcome.progress ?? {}) }),
          next_run_at: sql`now() + ${`${Math.max(0, Math.round(outcome.nextRunInMs))} milliseconds`}::interval`,
          lease_owner: null,
          lease_expires_at: null,
          updated_at: sql`now()`,
          ...(outcome.handledAction
            ? { requested_action: sql<string | null>`CASE WHEN requested_action = ${outcome.handledAction} THEN NULL ELSE requested_action END` }
            : {}),
        })
        .where('id', '=', row.id)
        .execute();
      return true;
    });
  }

  /** Gives leases back (shutdown), so another replica can resume at once. */
  async release(owner: string): Promise<void> {
    await this.#db
      .updateTable('promotions')
      .set({ lease_owner: null, lease_expires_at: null })
      .where('lease_owner', '=', owner)
      .execute();
  }

  async countActive(): Promise<number> {
    const row = await this.#db
      .selectFrom('promotions')
      .select(sql<number>`count(*)::int`.as('count'))
      .where('state', 'in', [...ACTIVE_STATES])
      .executeTakeFirstOrThrow();
    return row.count;
  }
}
