/**
 * The engine's view of the database: claiming due promotions with leases (FOR UPDATE SKIP LOCKED, so
 * replicas never take the same row) and writing one step's outcome in a single statement that first
 * proves the lease is still ours.
 */
import { sql, type Kysely } from 'kysely';
import type { Database } from './schema.js';
import type { PromotionRow } from './views.js';
import { ACTIVE_STATES } from '../../domain/promotion-state-machine.js';
import type { Promotion } from '../../domain/promotion.js';
import type { CheckedStep } from '../../domain/step-outcome.js';
import { measurementRow } from './check-result-rows.js';
import { promotionFromRow } from './promotion-rows.js';
import { stateAssignments } from './promotion-state-writes.js';
import { outboxInsert } from './notification-store.js';
import { rollbackBlockInsert } from './blocked-image-repository.js';
import type { NotificationPlanner } from '../../notifications/notification-events.js';

/** The columns a step may set besides state and progress. */
const RECORDED = { resolvedImage: 'resolved_image', previousImage: 'previous_image', verdict: 'verdict' } as const;

/** A float for a text column of jsonb_to_recordset: NaN and Infinity as PostgreSQL's float8 input spells them. */
function numberText(value: number | null): string | null {
  return value === null ? null : String(value);
}

export class PromotionStore {
  readonly #db: Kysely<Database>;
  readonly #notifications: NotificationPlanner | undefined;

  /** `notifications` plans the outbox rows a step's state change causes (none without it). */
  constructor(db: Kysely<Database>, notifications?: NotificationPlanner) {
    this.#db = db;
    this.#notifications = notifications;
  }

  /** Takes up to `limit` due promotions for `owner` until `leaseMs` from now. */
  async claim(owner: string, limit: number, leaseMs: number): Promise<Promotion[]> {
    const result = await sql<PromotionRow>`
      UPDATE promotions SET lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval
      WHERE id IN (
        SELECT id FROM promotions
        WHERE (state IN (${sql.join(ACTIVE_STATES.map((s) => sql`${s}`))})
               OR (state = 'succeeded' AND requested_action IN ('rollback', 'finalize')))
          AND next_run_at <= now()
          AND (lease_expires_at IS NULL OR lease_expires_at < now())
        ORDER BY next_run_at
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING *`.execute(this.#db);
    return result.rows.map(promotionFromRow);
  }

  /**
   * Writes a step's outcome and releases the lease. Returns false (writing nothing) when the lease was
   * lost meanwhile: another replica owns the promotion now and its view wins.
   *
   * One statement, so one round trip (it was BEGIN, a SELECT ... FOR UPDATE, an INSERT per kind of row, the
   * UPDATE and COMMIT, 5 to 7 round trips, the largest part of a step's cost): a CTE locks the row only if
   * this owner still holds the lease (FOR UPDATE, re-checked on the latest row version after waiting, as
   * before), and the inserts and the update all read from it, so nothing is written without the lease. One
   * statement is one transaction. `progress` is merged in SQL with the same shallow semantics as object
   * spread (a key given as undefined is removed).
   */
  async complete(promotion: Promotion, owner: string, outcome: CheckedStep, actor = 'engine'): Promise<boolean> {
    const measurements = (outcome.measurements ?? []).map((numbered) => {
      const r = measurementRow(numbered);
      // Numbers as text, so that NaN and +-Infinity survive JSON and reach float8 as before.
      return { ...r, value: numberText(r.value), baseline_value: numberText(r.baseline_value), measured_at: r.measured_at };
    });
    const change = outcome.transition;
    const events = [
      ...(outcome.events ?? []).map((event) => ({ type: event.type, to_state: null, reason: event.reason, data: event.data ? JSON.stringify(event.data) : null })),
      // A refused change that leaves the state as it was is recorded as a note, not as a transition.
      ...(change && change.to !== change.from
        ? [{ type: 'transition', to_state: change.to, reason: change.reason, data: outcome.transitionData ? JSON.stringify(outcome.transitionData) : null }]
        : change
          ? [{ type: 'note', to_state: null, reason: change.reason, data: null }]
          : []),
    ].map((event, ord) => ({ ...event, ord }));
    const progress: Record<string, unknown> = { ...outcome.progress };
    const removed = Object.keys(progress).filter((key) => progress[key] === undefined);
    const record = outcome.record ?? {};
    const assignments = [
      ...(Object.keys(RECORDED) as (keyof typeof RECORDED)[])
        .filter((field) => record[field] !== undefined)
        .map((field) => sql`${sql.ref(RECORDED[field])} = ${record[field]}`),
      ...(change ? stateAssignments(change, { recordsRelease: record.release !== undefined }) : []),
      removed.length === 0
        ? sql`progress = cur.progress || ${JSON.stringify(progress)}::jsonb`
        : sql`progress = (cur.progress - ${sql.join(removed.map((key) => sql`${key}::text`), sql` - `)}) || ${JSON.stringify(progress)}::jsonb`,
      sql`next_run_at = now() + ${`${Math.max(0, Math.round(outcome.nextRunInMs))} milliseconds`}::interval`,
      sql`lease_owner = NULL`,
      sql`lease_expires_at = NULL`,
      sql`updated_at = now()`,
      ...(record.delivery ? [sql`delivery = coalesce(p.delivery, '{}'::jsonb) || ${JSON.stringify(record.delivery)}::jsonb`] : []),
      ...(record.release ? [sql`release = ${JSON.stringify(record.release)}::jsonb`] : []),
      ...(record.hold !== undefined ? [sql`hold = ${record.hold === null ? null : JSON.stringify(record.hold)}::jsonb`] : []),
      ...(outcome.requestAction
        ? [sql`requested_action = ${outcome.requestAction}`]
        : outcome.handledAction
          ? [sql`requested_action = CASE WHEN p.requested_action = ${outcome.handledAction} THEN NULL ELSE p.requested_action END`]
          : []),
    ];
    // The promotion as the step leaves it, for the notifications the step causes.
    const after = { ...promotion, resolvedImage: record.resolvedImage ?? promotion.resolvedImage, previousImage: record.previousImage ?? promotion.previousImage };
    const outbox = this.#notifications?.plan(after, change, outcome.measurements ?? [], new Date()) ?? [];
    const ctes = [
      // The state is re-checked too: the transition was planned from it.
      sql`cur AS (SELECT id, state, progress FROM promotions WHERE id = ${promotion.id} AND lease_owner = ${owner} AND state = ${promotion.state} FOR UPDATE)`,
      ...(measurements.length > 0
        ? [
            sql`results AS (
              INSERT INTO check_results (promotion_id, evaluation_id, check_name, phase, sample, result, value, baseline_value, bound, query,
                baseline_query, warnings, message, data, measured_at)
              SELECT cur.id, NULL, m.check_name, m.phase, m.sample, m.result, m.value::float8, m.baseline_value::float8, m.bound, m.query,
                m.baseline_query, m.warnings::jsonb, m.message, m.data::jsonb, m.measured_at::timestamptz
              FROM cur, jsonb_to_recordset(${JSON.stringify(measurements)}::jsonb) AS m(check_name text, phase text, sample int, result text,
                value text, baseline_value text, bound text, query text, baseline_query text, warnings text, message text, data text, measured_at text))`,
          ]
        : []),
      ...(events.length > 0
        ? [
            sql`events AS (
              INSERT INTO promotion_events (promotion_id, actor, type, from_state, to_state, reason, data)
              SELECT cur.id, ${actor}, e.type, cur.state, e.to_state, e.reason, e.data::jsonb
              FROM cur, jsonb_to_recordset(${JSON.stringify(events)}::jsonb) AS e(type text, to_state text, reason text, data text, ord int)
              ORDER BY e.ord)`,
          ]
        : []),
      // The outbox rows, in the same statement as the state change: exactly as durable, and only with the lease.
      ...(outbox.length > 0 ? [sql`outbox AS (${outboxInsert(outbox, 'cur')})`] : []),
      // The block a failed check's rollback asks for (blockOnRollback), likewise only with the lease.
      ...(outcome.blockImage ? [sql`blocked AS (${rollbackBlockInsert(outcome.blockImage, 'cur', actor)})`] : []),
      sql`updated AS (UPDATE promotions AS p SET ${sql.join(assignments)} FROM cur WHERE p.id = cur.id RETURNING p.id)`,
    ];
    const result = await sql<{ n: number }>`WITH ${sql.join(ctes)} SELECT count(*)::int AS n FROM updated`.execute(this.#db);
    return (result.rows[0]?.n ?? 0) > 0;
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
