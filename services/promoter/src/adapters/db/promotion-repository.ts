/** Promotions, their events and check results: creation with idempotency, reads, and manual actions. */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Transaction } from 'kysely';
import { errors } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../domain/cursor.js';
import type { PolicyDocument } from '../../domain/policy/model.js';
import {
  ACTION_ALLOWED_STATES,
  ACTIVE_STATES,
  isPromotionState,
  transition,
  type PromotionAction,
  type PromotionState,
} from '../../domain/promotion-state-machine.js';
import { stateAssignments } from './promotion-state-writes.js';
import type { GitDeliverySettings, ReleaseRecord } from '../../domain/delivery.js';
import { outboxInsert } from './notification-store.js';
import { promotionFromRow } from './promotion-rows.js';
import type { NotificationPlanner } from '../../notifications/notification-events.js';
import { isUniqueViolation } from './errors.js';
import type { CheckResultsTable, Database, PromotionEventsTable } from './schema.js';
import {
  checkResultView,
  eventView,
  type JsonRow,
  promotionView,
  type PromotionDetailView,
  type PromotionEventView,
  type PromotionRow,
  type PromotionView,
} from './views.js';

export interface NewPromotion {
  readonly namespace: string;
  readonly deployment: string;
  readonly container: string;
  readonly sourceDeployment?: string | undefined;
  readonly sourceContainer?: string | undefined;
  readonly tagSuffixToStrip?: string | undefined;
  readonly image?: string | undefined;
  readonly policyName: string;
  readonly policyVersion: number;
  readonly policySnapshot: PolicyDocument;
  readonly dryRun: boolean;
  readonly reason?: string | undefined;
  readonly actor: string;
  /** Git delivery settings; absent: the Kubernetes patch. */
  readonly delivery?: GitDeliverySettings | undefined;
  /** The policy asks for a release after success (its record starts `pending`). */
  readonly release?: ReleaseRecord | undefined;
}

export interface IdempotencyInput {
  readonly key: string;
  /** Digest of the request body: the same key with another body is refused. */
  readonly requestHash: string;
}

export interface ListFilter {
  readonly namespace?: string | undefined;
  /** The caller's token scope: only these namespaces (never empty). */
  readonly namespaces?: readonly string[] | undefined;
  readonly deployment?: string | undefined;
  readonly state?: PromotionState | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

const ACTIVE_TARGET_INDEX = 'promotions_one_active_per_target';

export class PromotionRepository {
  readonly #db: Kysely<Database>;
  readonly #notifications: NotificationPlanner | undefined;

  /** `notifications` plans the outbox rows of the immediate abort (none without it). */
  constructor(db: Kysely<Database>, notifications?: NotificationPlanner) {
    this.#db = db;
    this.#notifications = notifications;
  }

  /**
   * Stores a pending promotion and its `created` event. With an idempotency key, requests with one key
   * serialize on an advisory lock: the first creates, the others replay its promotion (or are refused
   * when their body differs). The database's partial unique index decides which of several promotions
   * for one target wins; the others get 409.
   *
   * The promotion, its event and its idempotency key are written by one statement (data-modifying CTEs):
   * without a key that statement is the whole transaction (1 round trip instead of 4); with a key it
   * follows the lock and the look-up in a transaction (5 round trips instead of 7).
   */
  async create(input: NewPromotion, idempotency?: IdempotencyInput): Promise<{ promotion: PromotionView; replayed: boolean }> {
    try {
      if (!idempotency) return { promotion: promotionView(await this.#insert(this.#db, input, undefined)), replayed: false };
      return await this.#db.transaction().execute(async (trx) => {
        await sql`SELECT pg_advisory_xact_lock(hashtextextended(${`idempotency:${input.actor}:${idempotency.key}`}, 0))`.execute(trx);
        // Keys expire after 24 hours (the contract): an older one is forgotten and the key starts afresh.
        await sql`DELETE FROM idempotency_keys WHERE actor = ${input.actor} AND key = ${idempotency.key} AND created_at < now() - interval '24 hours'`.execute(trx);
        const existing = await trx
          .selectFrom('idempotency_keys')
          .select(['promotion_id', 'request_hash'])
          .where('actor', '=', input.actor)
          .where('key', '=', idempotency.key)
          .executeTakeFirst();
        if (existing) {
          if (existing.request_hash !== idempotency.requestHash) throw errors.idempotencyKeyReused(idempotency.key);
          const row = await trx.selectFrom('promotions').selectAll().where('id', '=', existing.promotion_id).executeTakeFirstOrThrow();
          return { promotion: promotionView(row), replayed: true };
        }
        return { promotion: promotionView(await this.#insert(trx, input, idempotency)), replayed: false };
      });
    } catch (error) {
      if (isUniqueViolation(error, ACTIVE_TARGET_INDEX)) {
        const active = await this.activeFor(input.namespace, input.deployment);
        throw errors.activePromotionExists(input.namespace, input.deployment, active?.id);
      }
      throw error;
    }
  }

  /** The promotion row, its `created` event and (with a key) its idempotency key, in one statement. */
  async #insert(db: Kysely<Database>, input: NewPromotion, idempotency: IdempotencyInput | undefined): Promise<PromotionRow> {
    const eventData = JSON.stringify({ policy: { name: input.policyName, version: input.policyVersion }, dryRun: input.dryRun });
    const result = await sql<PromotionRow>`
      WITH p AS (
        INSERT INTO promotions (id, namespace, deployment, container, source_deployment, source_container, tag_suffix_to_strip, image,
          resolved_image, previous_image, policy_name, policy_version, policy_snapshot, dry_run, reason, state, state_reason, verdict,
          actor, lease_owner, requested_action, delivery, release)
        VALUES (${randomUUID()}, ${input.namespace}, ${input.deployment}, ${input.container}, ${input.sourceDeployment ?? null},
          ${input.sourceContainer ?? null}, ${input.tagSuffixToStrip ?? null}, ${input.image ?? null}, NULL, NULL, ${input.policyName},
          ${input.policyVersion}, ${JSON.stringify(input.policySnapshot)}, ${input.dryRun}, ${input.reason ?? null}, 'pending', NULL, NULL,
          ${input.actor}, NULL, NULL, ${input.delivery ? JSON.stringify(input.delivery) : null}::jsonb, ${input.release ? JSON.stringify(input.release) : null}::jsonb)
        RETURNING *
      ), event AS (
        INSERT INTO promotion_events (promotion_id, actor, type, from_state, to_state, reason, data)
        SELECT p.id, p.actor, 'created', NULL, 'pending', p.reason, ${eventData}::jsonb FROM p
      )${
        idempotency
          ? sql`, key AS (
        INSERT INTO idempotency_keys (actor, key, request_hash, promotion_id)
        SELECT p.actor, ${idempotency.key}::text, ${idempotency.requestHash}::text, p.id FROM p
      )`
          : sql``
      }
      SELECT * FROM p`.execute(db);
    const row = result.rows[0];
    if (!row) throw new Error('INSERT ... RETURNING returned no row');
    return row;
  }

  async activeFor(namespace: string, deployment: string): Promise<PromotionView | undefined> {
    return this.#activeFor(this.#db, namespace, deployment);
  }

  /** `db` is the transaction when called from one: a query through the pool there wedges PGlite. */
  async #activeFor(db: Kysely<Database>, namespace: string, deployment: string): Promise<PromotionView | undefined> {
    const row = await db
      .selectFrom('promotions')
      .selectAll()
      .where('namespace', '=', namespace)
      .where('deployment', '=', deployment)
      .where('state', 'in', [...ACTIVE_STATES])
      .executeTakeFirst();
    return row ? promotionView(row) : undefined;
  }

  async get(id: string): Promise<PromotionView> {
    return promotionView(await this.#row(this.#db, id));
  }

  /**
   * The whole record in one query: the promotion with its check results and events aggregated as JSON
   * arrays, instead of three queries (on a busy 2-core machine each round trip costs more CPU than the
   * rows it carries). In JSON, timestamps arrive as ISO strings and NaN/Infinity as strings, which the
   * views turn into the same output as the driver's Dates and numbers.
   */
  async getDetail(id: string): Promise<PromotionDetailView> {
    const result = await sql<PromotionRow & { check_results: unknown[]; events: unknown[] }>`
      SELECT p.*,
        (SELECT coalesce(json_agg(c ORDER BY c.id), '[]'::json) FROM check_results c WHERE c.promotion_id = p.id) AS check_results,
        (SELECT coalesce(json_agg(e ORDER BY e.id), '[]'::json) FROM promotion_events e WHERE e.promotion_id = p.id) AS events
      FROM promotions p
      WHERE p.id = ${id}`.execute(this.#db);
    const row = result.rows[0];
    if (!row) throw errors.promotionNotFound(id);
    return {
      ...promotionView(row),
      policySnapshot: row.policy_snapshot,
      // json_agg of whole rows of those tables: their shape is the tables' (checked by the API tests' contract).
      checkResults: (row.check_results as JsonRow<CheckResultsTable>[]).map(checkResultView),
      events: (row.events as JsonRow<PromotionEventsTable>[]).map(eventView),
    };
  }

  /** Newest first; the cursor is the position after which the next page starts. */
  async list(filter: ListFilter): Promise<{ items: PromotionView[]; nextCursor: string | null }> {
    let query = this.#db.selectFrom('promotions').selectAll();
    if (filter.namespace !== undefined) query = query.where('namespace', '=', filter.namespace);
    if (filter.namespaces !== undefined) query = query.where('namespace', 'in', filter.namespaces);
    if (filter.deployment !== undefined) query = query.where('deployment', '=', filter.deployment);
    if (filter.state !== undefined) query = query.where('state', '=', filter.state);
    if (filter.cursor !== undefined) {
      const seq = decodeCursor(filter.cursor);
      if (seq === undefined) {
        throw errors.badRequest([{ pointer: '/query/cursor', detail: 'is not a cursor from this API; pass nextCursor from a previous page' }]);
      }
      query = query.where('seq', '<', seq);
    }
    const rows = await query.orderBy('seq', 'desc').limit(filter.limit + 1).execute();
    const page = rows.slice(0, filter.limit);
    const last = page.at(-1);
    return {
      items: page.map(promotionView),
      nextCursor: rows.length > filter.limit && last ? encodeCursor(last.seq) : null,
    };
  }

  async events(id: string, afterId = 0): Promise<PromotionEventView[]> {
    const rows = await this.#db
      .selectFrom('promotion_events')
      .selectAll()
      .where('promotion_id', '=', id)
      .where('id', '>', afterId)
      .orderBy('id')
      .execute();
    return rows.map(eventView);
  }

  async exists(id: string): Promise<boolean> {
    const row = await this.#db.selectFrom('promotions').select('id').where('id', '=', id).executeTakeFirst();
    return row !== undefined;
  }

  /**
   * A manual action (approve, abort, rollback, finalize). When no engine replica holds the promotion's lease and
   * the action needs no Kubernetes work (abort before any patch), it is applied here at once; otherwise it
   * is recorded as requested and made due now, and the engine carries it out on its next step. A finalize
   * of a release that is already `done` changes and records nothing.
   */
  async requestAction(id: string, action: PromotionAction, actor: string, reason: string | undefined): Promise<PromotionView> {
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#row(trx, id, true);
      const state = row.state;
      const allowed: readonly PromotionState[] = ACTION_ALLOWED_STATES[action];
      if (!allowed.includes(state)) throw errors.invalidState(id, state, action, allowed);
      if ((action === 'rollback' || action === 'finalize') && row.dry_run) throw errors.invalidState(id, 'a dry run', action, ['a promotion that patched the Deployment']);
      if (action === 'finalize' && row.release === null) throw errors.invalidState(id, 'a promotion whose policy asks for no release', action, ['one whose policy has afterSuccess.release']);
      // Finalizing a release that is done would only record another `release` event: the answer is the promotion as it is.
      if (action === 'finalize' && row.release?.state === 'done') return promotionView(row);
      if (action === 'rollback') {
        const active = await this.#activeFor(trx, row.namespace, row.deployment);
        if (active) throw errors.activePromotionExists(row.namespace, row.deployment, active.id);
      }
      const leased = row.lease_expires_at !== null && new Date(row.lease_expires_at).getTime() > Date.now();
      const notPatched = row.resolved_image === null || state === 'pending' || state === 'analyzing' || state === 'awaiting_approval';
      if (action === 'abort' && !leased && notPatched) {
        return this.#abortNow(trx, row, actor, reason ?? 'aborted on request');
      }
      await trx
        .updateTable('promotions')
        .set({ requested_action: action, next_run_at: sql`now()`, updated_at: sql`now()` })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('promotion_events')
        .values({
          promotion_id: id,
          actor,
          type: action === 'approve' ? 'approval' : 'request',
          from_state: state,
          to_state: null,
          reason: reason ?? `${action} requested`,
          data: JSON.stringify({ action }),
        })
        .execute();
      return promotionView(await this.#row(trx, id));
    });
  }

  async countByState(): Promise<Map<PromotionState, number>> {
    const rows = await this.#db
      .selectFrom('promotions')
      .select(['state', sql<number>`count(*)::int`.as('count')])
      .groupBy('state')
      .execute();
    const counts = new Map<PromotionState, number>();
    for (const row of rows) if (isPromotionState(row.state)) counts.set(row.state, row.count);
    return counts;
  }

  /** An abort that needs no Kubernetes work, written at once (no engine replica holds the promotion). */
  async #abortNow(trx: Transaction<Database>, row: PromotionRow, actor: string, reason: string): Promise<PromotionView> {
    const change = transition(row.state, 'aborted', reason);
    const result = await sql<PromotionRow>`
      UPDATE promotions SET ${sql.join([
        ...stateAssignments(change),
        sql`updated_at = now()`,
        sql`requested_action = NULL`,
        sql`lease_owner = NULL`,
        sql`lease_expires_at = NULL`,
      ])}
      WHERE id = ${row.id}
      RETURNING *`.execute(trx);
    await trx
      .insertInto('promotion_events')
      .values({ promotion_id: row.id, actor, type: 'transition', from_state: row.state, to_state: change.to, reason: change.reason, data: null })
      .execute();
    const updated = result.rows[0];
    if (!updated) throw errors.promotionNotFound(row.id);
    // The outbox rows in the same transaction as the state change.
    const outbox = this.#notifications?.plan(promotionFromRow(row), change, [], new Date()) ?? [];
    if (outbox.length > 0) {
      await sql`WITH target AS (SELECT ${row.id}::uuid AS id) ${outboxInsert(outbox, 'target')}`.execute(trx);
    }
    return promotionView(updated);
  }

  async #row(db: Kysely<Database>, id: string, forUpdate = false): Promise<PromotionRow> {
    let query = db.selectFrom('promotions').selectAll().where('id', '=', id);
    if (forUpdate) query = query.forUpdate();
    return query.executeTakeFirstOrThrow(() => errors.promotionNotFound(id));
  }
}
