/** Promotions, their events and check results: creation with idempotency, reads, and manual actions. */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type RawBuilder, type Transaction } from 'kysely';
import { errors } from '../../errors.js';
import { decodeCursor, encodeCursor } from '../../domain/cursor.js';
import type { PolicyDocument } from '../../domain/policy/model.js';
import type { PipelineLink } from '../../domain/pipeline/model.js';
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
import { identityJson } from './identity-column.js';
import { asActor, recordedKey, type Actor, type ActorIdentity } from '../../domain/actor.js';
import { approvalRule, describeApprovers, refusal, remaining, type ApprovalRule, type Approver } from '../../domain/approval.js';
import type { Role } from '../../config.js';
import type { FreezeOverride } from '../../domain/promotion.js';
import { DEFAULT_CLUSTER_NAME } from '../kubernetes/clusters-config.js';
import type { CheckResultsTable, Database, PromotionEventsTable } from './schema.js';
import {
  checkResultView,
  eventView,
  iso,
  type JsonRow,
  promotionView,
  type PromotionDetailView,
  type PromotionEventView,
  type PromotionRow,
  type PromotionView,
  type ApprovalStatusView,
  type ApprovalView,
} from './views.js';

export interface NewPromotion {
  /** The configured cluster, resolved (a request that names none gets the default's name); absent: `default`. */
  readonly cluster?: string | undefined;
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
  /** The identity behind `actor` (absent: the anonymous caller of an open API, or a caller that knows only a name). */
  readonly actorIdentity?: ActorIdentity | undefined;
  /** Git delivery settings; absent: the Kubernetes patch. */
  readonly delivery?: GitDeliverySettings | undefined;
  /** The policy asks for a release after success (its record starts `pending`). */
  readonly release?: ReleaseRecord | undefined;
  /** The pipeline run and stage that started it. */
  readonly pipeline?: PipelineLink | undefined;
}

/** Who approves, as the gate's rules need them. */
export interface ApprovingActor {
  readonly actor: Actor;
  /** The identity key (the same key is the same approver). */
  readonly key: string;
  readonly groups: readonly string[];
  readonly role: Role;
  /** False only for the anonymous caller of an open API, who is everyone (domain/approval.ts `refusal`). */
  readonly separationOfDuties: boolean;
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
  readonly cluster?: string | undefined;
  /** The caller's token scope: only these clusters (never empty). */
  readonly clusters?: readonly string[] | undefined;
  readonly deployment?: string | undefined;
  readonly state?: PromotionState | undefined;
  readonly limit: number;
  readonly cursor?: string | undefined;
}

const ACTIVE_TARGET_INDEX = 'promotions_one_active_per_target';

/** The states in which a freeze may (still) hold a promotion: an override means something only there. */
const FREEZABLE_STATES: readonly PromotionState[] = ['pending', 'analyzing', 'awaiting_approval', 'frozen'];

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
        const cluster = input.cluster ?? DEFAULT_CLUSTER_NAME;
        const active = await this.activeFor(input.namespace, input.deployment, cluster);
        throw errors.activePromotionExists(input.namespace, input.deployment, active?.id, cluster);
      }
      throw error;
    }
  }

  /** The promotion row, its `created` event and (with a key) its idempotency key, in one statement. */
  async #insert(db: Kysely<Database>, input: NewPromotion, idempotency: IdempotencyInput | undefined): Promise<PromotionRow> {
    const eventData = JSON.stringify({ policy: { name: input.policyName, version: input.policyVersion }, dryRun: input.dryRun });
    const result = await sql<PromotionRow>`
      WITH p AS (
        INSERT INTO promotions (id, cluster, namespace, deployment, container, source_deployment, source_container, tag_suffix_to_strip, image,
          resolved_image, previous_image, policy_name, policy_version, policy_snapshot, dry_run, reason, state, state_reason, verdict,
          actor, actor_identity, lease_owner, requested_action, delivery, release, pipeline)
        VALUES (${randomUUID()}, ${input.cluster ?? DEFAULT_CLUSTER_NAME}, ${input.namespace}, ${input.deployment}, ${input.container}, ${input.sourceDeployment ?? null},
          ${input.sourceContainer ?? null}, ${input.tagSuffixToStrip ?? null}, ${input.image ?? null}, NULL, NULL, ${input.policyName},
          ${input.policyVersion}, ${JSON.stringify(input.policySnapshot)}, ${input.dryRun}, ${input.reason ?? null}, 'pending', NULL, NULL,
          ${input.actor}, ${input.actorIdentity ? JSON.stringify(input.actorIdentity) : null}::jsonb, NULL, NULL, ${input.delivery ? JSON.stringify(input.delivery) : null}::jsonb, ${input.release ? JSON.stringify(input.release) : null}::jsonb,
          ${input.pipeline ? JSON.stringify(input.pipeline) : null}::jsonb)
        RETURNING *
      ), event AS (
        INSERT INTO promotion_events (promotion_id, actor, actor_identity, type, from_state, to_state, reason, data)
        SELECT p.id, p.actor, p.actor_identity, 'created', NULL, 'pending', p.reason, ${eventData}::jsonb FROM p
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

  async activeFor(namespace: string, deployment: string, cluster: string): Promise<PromotionView | undefined> {
    return this.#activeFor(this.#db, namespace, deployment, cluster);
  }

  /** `db` is the transaction when called from one: a query through the pool there wedges PGlite. */
  async #activeFor(db: Kysely<Database>, namespace: string, deployment: string, cluster: string): Promise<PromotionView | undefined> {
    const row = await db
      .selectFrom('promotions')
      .selectAll()
      .where('cluster', '=', cluster)
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
    const result = await sql<PromotionRow & { check_results: unknown[]; events: unknown[]; approvals: ApprovalJson[] }>`
      SELECT p.*,
        (SELECT coalesce(json_agg(c ORDER BY c.id), '[]'::json) FROM check_results c WHERE c.promotion_id = p.id) AS check_results,
        (SELECT coalesce(json_agg(e ORDER BY e.id), '[]'::json) FROM promotion_events e WHERE e.promotion_id = p.id) AS events,
        (SELECT coalesce(json_agg(json_build_object('actor', a.actor, 'identity', a.identity, 'role', a.role, 'reason', a.reason, 'at', a.at) ORDER BY a.id), '[]'::json)
           FROM promotion_approvals a WHERE a.promotion_id = p.id AND a.round = (${currentRound(sql`p.id`)})) AS approvals
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
      approval: approvalStatus(approvalRule(row.policy_snapshot.approval), row.approvals),
    };
  }

  /** Newest first; the cursor is the position after which the next page starts. */
  async list(filter: ListFilter): Promise<{ items: PromotionView[]; nextCursor: string | null }> {
    let query = this.#db.selectFrom('promotions').selectAll();
    if (filter.namespace !== undefined) query = query.where('namespace', '=', filter.namespace);
    if (filter.namespaces !== undefined) query = query.where('namespace', 'in', filter.namespaces);
    if (filter.cluster !== undefined) query = query.where('cluster', '=', filter.cluster);
    if (filter.clusters !== undefined) query = query.where('cluster', 'in', filter.clusters);
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
  async requestAction(id: string, action: Exclude<PromotionAction, 'approve'>, by: string | Actor, reason: string | undefined): Promise<PromotionView> {
    const actor = asActor(by);
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
        const active = await this.#activeFor(trx, row.namespace, row.deployment, row.cluster);
        if (active) throw errors.activePromotionExists(row.namespace, row.deployment, active.id, row.cluster);
      }
      const leased = row.lease_expires_at !== null && new Date(row.lease_expires_at).getTime() > Date.now();
      const notPatched = row.resolved_image === null || state === 'pending' || state === 'analyzing' || state === 'awaiting_approval' || state === 'frozen';
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
          actor: actor.name,
          actor_identity: identityJson(actor),
          type: 'request',
          from_state: state,
          to_state: null,
          reason: reason ?? `${action} requested`,
          data: JSON.stringify({ action }),
        })
        .execute();
      return promotionView(await this.#row(trx, id));
    });
  }

  /**
   * Records one approval of a promotion waiting at its manual gate, in one transaction under the promotion's
   * row lock: concurrent approvals queue on the lock, so each sees the ones before it and exactly the one
   * that completes the count asks the engine to proceed (`requested_action = approve`, due now). The unique
   * index on (promotion, round, identity) backs the "approves once" rule should two requests of one identity
   * ever pass the lock together.
   */
  async approve(id: string, approver: ApprovingActor, reason: string): Promise<PromotionView> {
    try {
      return await this.#db.transaction().execute(async (trx) => {
        const row = await this.#row(trx, id, true);
        const allowed: readonly PromotionState[] = ACTION_ALLOWED_STATES.approve;
        if (!allowed.includes(row.state)) throw errors.invalidState(id, row.state, 'approve', allowed);
        if (row.requested_action === 'approve') throw errors.invalidState(id, 'approved (the engine is about to proceed)', 'approve', ['still needing approvals']);
        // A promotion waits at the gate only when its snapshot asks for approval; a row that says otherwise is read as one approval.
        const rule = approvalRule(row.policy_snapshot.approval) ?? { required: 1, groups: [], roles: [] };
        const round = await trx
          .selectFrom('promotion_events')
          // As text: bigint ids arrive as strings from pg and may be BigInt elsewhere; the column takes either.
          .select(sql<string>`coalesce(max(id), 0)::text`.as('round'))
          .where('promotion_id', '=', id)
          .where('to_state', '=', 'awaiting_approval')
          .executeTakeFirstOrThrow();
        const approved = await trx.selectFrom('promotion_approvals').select('identity_key').where('promotion_id', '=', id).where('round', '=', round.round).execute();
        const approvedKeys = approved.map((a) => a.identity_key);
        const who: Approver = { key: approver.key, groups: approver.groups, role: approver.role };
        const refused = refusal(rule, who, recordedKey(row.actor, row.actor_identity), approvedKeys, approver.separationOfDuties);
        if (refused === 'self-approval') throw errors.selfApproval(id);
        if (refused === 'already-approved') throw errors.alreadyApproved(id);
        if (refused === 'not-eligible') throw errors.approverNotEligible(id, describeApprovers(rule));
        const identity: ActorIdentity = approver.actor.identity ?? { kind: 'token', key: approver.key, subject: approver.actor.name, displayName: approver.actor.name };
        await trx
          .insertInto('promotion_approvals')
          .values({ promotion_id: id, round: round.round, identity_key: approver.key, identity: JSON.stringify(identity), actor: approver.actor.name, role: approver.role, reason })
          .execute();
        const left = remaining(rule, [...approvedKeys, approver.key]);
        await trx
          .insertInto('promotion_events')
          .values({
            promotion_id: id,
            actor: approver.actor.name,
            actor_identity: identityJson(approver.actor),
            type: 'approval',
            from_state: row.state,
            to_state: null,
            reason,
            data: JSON.stringify({ action: 'approve', approvals: rule.required - left, required: rule.required, remaining: left }),
          })
          .execute();
        if (left === 0) {
          await trx.updateTable('promotions').set({ requested_action: 'approve', next_run_at: sql`now()`, updated_at: sql`now()` }).where('id', '=', id).execute();
        } else {
          await trx.updateTable('promotions').set({ updated_at: sql`now()` }).where('id', '=', id).execute();
        }
        return promotionView(await this.#row(trx, id));
      });
    } catch (error) {
      if (isUniqueViolation(error, 'promotion_approvals_once_per_round')) throw errors.alreadyApproved(id);
      throw error;
    }
  }

  /**
   * An admin lets the promotion proceed through deployment freezes: recorded (who, why, when) on the
   * promotion and as a `freeze` event; a promotion waiting in `frozen` is made due now.
   */
  async overrideFreeze(id: string, by: string | Actor, reason: string): Promise<PromotionView> {
    const actor = asActor(by);
    return this.#db.transaction().execute(async (trx) => {
      const row = await this.#row(trx, id, true);
      if (!FREEZABLE_STATES.includes(row.state)) throw errors.invalidState(id, row.state, 'override-freeze', FREEZABLE_STATES);
      const override: FreezeOverride = { by: actor.name, byIdentity: actor.identity ?? null, reason, at: new Date().toISOString() };
      await trx
        .updateTable('promotions')
        .set({ freeze_override: JSON.stringify(override), updated_at: sql`now()`, ...(row.state === 'frozen' ? { next_run_at: sql`now()` } : {}) })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('promotion_events')
        .values({ promotion_id: id, actor: actor.name, actor_identity: identityJson(actor), type: 'freeze', from_state: row.state, to_state: null, reason: `freezes overridden: ${reason}`, data: JSON.stringify({ override }) })
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
  async #abortNow(trx: Transaction<Database>, row: PromotionRow, actor: Actor, reason: string): Promise<PromotionView> {
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
      .values({ promotion_id: row.id, actor: actor.name, actor_identity: identityJson(actor), type: 'transition', from_state: row.state, to_state: change.to, reason: change.reason, data: null })
      .execute();
    const updated = result.rows[0];
    if (!updated) throw errors.promotionNotFound(row.id);
    // The outbox rows in the same transaction as the state change.
    const outbox = this.#notifications?.plan(promotionFromRow(row), change, [], new Date(), actor.name) ?? [];
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

/** An approval as the detail query aggregates it (json_build_object: timestamps as ISO text). */
interface ApprovalJson {
  readonly actor: string;
  readonly identity: ActorIdentity;
  readonly role: Role;
  readonly reason: string;
  readonly at: string;
}

/** The approval round a promotion is in: the id of the event that last put it in awaiting_approval (0: none yet). */
function currentRound(promotionId: RawBuilder<unknown>): RawBuilder<number> {
  return sql<number>`SELECT coalesce(max(e.id), 0) FROM promotion_events e WHERE e.promotion_id = ${promotionId} AND e.to_state = 'awaiting_approval'`;
}

function approvalStatus(rule: ApprovalRule | undefined, approvals: readonly ApprovalJson[]): ApprovalStatusView | null {
  if (rule === undefined) return null;
  const list: ApprovalView[] = approvals.map((a) => ({ actor: a.actor, actorIdentity: a.identity, role: a.role, reason: a.reason, at: iso(a.at) }));
  return {
    required: rule.required,
    from: { groups: [...rule.groups], roles: [...rule.roles] },
    approvals: list,
    remaining: remaining(rule, list.map((a) => a.actorIdentity.key)),
    approvers: describeApprovers(rule),
  };
}
