/**
 * The notifications outbox in the database: writing rows (inside the caller's statement or transaction),
 * claiming due deliveries with leases (FOR UPDATE SKIP LOCKED, like the engine's claim), recording each
 * attempt, and the reads behind the API and the metrics.
 */
import { sql, type Kysely, type RawBuilder } from 'kysely';
import type { Database } from './schema.js';
import type { NotificationPayload, OutboxRow } from '../../notifications/notification-events.js';

export type DeliveryStatus = 'pending' | 'delivered' | 'dead';

export interface DeliveryRow {
  readonly id: string;
  readonly event_id: string;
  readonly event_type: string;
  readonly sink: string;
  readonly promotion_id: string;
  readonly payload: NotificationPayload;
  readonly status: DeliveryStatus;
  readonly attempts: number;
  readonly next_attempt_at: Date;
  readonly last_status_code: number | null;
  readonly last_error: string | null;
  readonly created_at: Date;
  readonly due_since: Date;
  readonly updated_at: Date;
  readonly delivered_at: Date | null;
}

const COLUMNS = sql`id, event_id, event_type, sink, promotion_id, payload, status, attempts, next_attempt_at, last_status_code, last_error, created_at, due_since, updated_at, delivered_at`;

/**
 * A data-modifying CTE body that inserts `rows` for the promotion in `fromCte` (written only if that CTE
 * has a row), numbered here so that they are inserted (and so sent) in the order they were planned.
 */
export function outboxInsert(rows: readonly OutboxRow[], fromCte: string): RawBuilder<unknown> {
  return sql`INSERT INTO notification_deliveries (event_id, event_type, sink, promotion_id, payload)
    SELECT o.event_id, o.event_type, o.sink, ${sql.ref(fromCte)}.id, o.payload
    FROM ${sql.table(fromCte)}, jsonb_to_recordset(${JSON.stringify(rows.map((row, ord) => ({ ...row, ord })))}::jsonb) AS o(event_id text, event_type text, sink text, payload jsonb, ord int)
    ORDER BY o.ord`;
}

export class NotificationStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Takes up to `limit` due deliveries until `leaseMs` from now. Only the oldest undelivered delivery of
   * a promotion to a sink is due, so one sink receives a promotion's events in order even across retries.
   */
  async claim(owner: string, limit: number, leaseMs: number): Promise<DeliveryRow[]> {
    const result = await sql<DeliveryRow>`
      UPDATE notification_deliveries SET lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval
      WHERE id IN (
        SELECT d.id FROM notification_deliveries d
        WHERE d.status = 'pending' AND d.next_attempt_at <= now()
          AND (d.lease_expires_at IS NULL OR d.lease_expires_at < now())
          AND NOT EXISTS (
            SELECT 1 FROM notification_deliveries e
            WHERE e.promotion_id = d.promotion_id AND e.sink = d.sink AND e.status = 'pending' AND e.seq < d.seq)
        ORDER BY d.seq
        LIMIT ${limit}
        FOR UPDATE SKIP LOCKED
      )
      RETURNING ${COLUMNS}`.execute(this.#db);
    return result.rows;
  }

  /** Records an attempt while the lease is ours; false when it was lost (another replica took over). */
  async record(
    id: string,
    owner: string,
    outcome: { status: DeliveryStatus; statusCode: number | null; error: string | null; retryInMs?: number },
  ): Promise<boolean> {
    const result = await sql`
      UPDATE notification_deliveries SET
        status = ${outcome.status},
        attempts = attempts + 1,
        last_status_code = ${outcome.statusCode},
        last_error = ${outcome.error},
        next_attempt_at = now() + ${`${Math.max(0, Math.round(outcome.retryInMs ?? 0))} milliseconds`}::interval,
        delivered_at = ${outcome.status === 'delivered' ? sql`now()` : sql`NULL`},
        lease_owner = NULL, lease_expires_at = NULL, updated_at = now()
      WHERE id = ${id} AND lease_owner = ${owner}`.execute(this.#db);
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  async release(owner: string): Promise<void> {
    await sql`UPDATE notification_deliveries SET lease_owner = NULL, lease_expires_at = NULL WHERE lease_owner = ${owner}`.execute(this.#db);
  }

  async listForPromotion(promotionId: string): Promise<DeliveryRow[]> {
    const result = await sql<DeliveryRow>`SELECT ${COLUMNS} FROM notification_deliveries WHERE promotion_id = ${promotionId} ORDER BY seq`.execute(this.#db);
    return result.rows;
  }

  async get(id: string): Promise<DeliveryRow | undefined> {
    const result = await sql<DeliveryRow>`SELECT ${COLUMNS} FROM notification_deliveries WHERE id = ${id}`.execute(this.#db);
    return result.rows[0];
  }

  /** A dead delivery made due again, with a fresh try budget; undefined when it is not dead. */
  async retryDead(id: string): Promise<DeliveryRow | undefined> {
    const result = await sql<DeliveryRow>`
      UPDATE notification_deliveries SET status = 'pending', attempts = 0, next_attempt_at = now(), due_since = now(), updated_at = now()
      WHERE id = ${id} AND status = 'dead'
      RETURNING ${COLUMNS}`.execute(this.#db);
    return result.rows[0];
  }

  /** Seconds the oldest undelivered (pending) delivery has waited; 0 when there is none. */
  async oldestPendingAgeSeconds(): Promise<number> {
    const result = await sql<{ age: number | null }>`
      SELECT extract(epoch FROM now() - min(due_since))::float8 AS age FROM notification_deliveries WHERE status = 'pending'`.execute(this.#db);
    return Math.max(0, result.rows[0]?.age ?? 0);
  }
}
