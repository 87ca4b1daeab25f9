/**
 * Pipelines, their immutable versions, and their runs: what the API writes (a new version, a new run, an
 * abort asked) and what the runner writes (a run's stages, under its lease). A new run of a pipeline with a
 * run under way queues behind it and supersedes the run that was queued before.
 */
import { randomUUID } from 'node:crypto';
import { sql, type Kysely, type Selectable, type Transaction } from 'kysely';
import { errors } from '../../errors.js';
import { digest } from '../../domain/canonical-json.js';
import type { PipelineDocument } from '../../domain/pipeline/model.js';
import { ACTIVE_RUN_STATES, type PipelineRunState, type PromotionStanding, type StageRecord } from '../../domain/pipeline/run-plan.js';
import type { Database, PipelineRunsTable, PipelineVersionsTable } from './schema.js';
import { iso } from './views.js';
import { identityJson } from './identity-column.js';
import { asActor, type Actor, type ActorIdentity } from '../../domain/actor.js';

export interface PipelineVersionView {
  readonly name: string;
  readonly version: number;
  readonly document: PipelineDocument;
  /** The namespaces its stages promote into. */
  readonly namespaces: readonly string[];
  readonly createdBy: string;
  /** Who stored this version (null for versions from before identities were recorded). */
  readonly createdByIdentity: ActorIdentity | null;
  readonly createdAt: string;
}

export interface PipelineRunView {
  readonly id: string;
  readonly pipeline: string;
  readonly pipelineVersion: number;
  readonly state: PipelineRunState;
  readonly stateReason: string | null;
  readonly image: string;
  readonly reason: string | null;
  readonly stages: readonly StageRecord[];
  readonly createdBy: string;
  /** Who started the run (null for runs from before identities were recorded). */
  readonly createdByIdentity: ActorIdentity | null;
  readonly createdAt: string;
  readonly updatedAt: string;
  readonly endedAt: string | null;
  readonly abortRequested: boolean;
  /** Who asked for the abort, when one was asked (identity null when unknown). */
  readonly abortRequestedBy: { readonly actor: string; readonly actorIdentity: ActorIdentity | null } | null;
}

export interface PipelineRunEventView {
  readonly id: number;
  readonly at: string;
  readonly actor: string;
  /** Null for the engine's own events and for events from before identities were recorded. */
  readonly actorIdentity: ActorIdentity | null;
  readonly stage: string | null;
  readonly message: string;
}

/** A run as the runner holds it: the view, the pipeline version's document, and the abort asked for. */
export interface ClaimedRun extends PipelineRunView {
  readonly document: PipelineDocument;
  readonly requestedAbort: { readonly actor: string; readonly actorIdentity?: ActorIdentity | null; readonly reason: string } | null;
  /** A queued run whose pipeline has another run under way: it waits. */
  readonly behindAnother: boolean;
}

/** What the runner writes after one look at a run. */
export interface RunUpdate {
  readonly state: PipelineRunState;
  readonly stateReason?: string | null;
  readonly stages: readonly StageRecord[];
  readonly events: readonly { readonly stage: string | null; readonly message: string }[];
  /** When to look again; undefined for a run that ended. */
  readonly nextRunInMs?: number;
}

function versionView(row: Selectable<PipelineVersionsTable>): PipelineVersionView {
  return { name: row.name, version: row.version, document: row.document, namespaces: row.namespaces, createdBy: row.created_by, createdByIdentity: row.created_by_identity ?? null, createdAt: iso(row.created_at) };
}

function runView(row: Selectable<PipelineRunsTable>): PipelineRunView {
  return {
    id: row.id,
    pipeline: row.pipeline,
    pipelineVersion: row.pipeline_version,
    state: row.state,
    stateReason: row.state_reason,
    image: row.image,
    reason: row.reason,
    stages: row.stages,
    createdBy: row.created_by,
    createdByIdentity: row.created_by_identity ?? null,
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
    endedAt: row.ended_at === null ? null : iso(row.ended_at),
    abortRequested: row.requested_abort !== null,
    abortRequestedBy: row.requested_abort === null ? null : { actor: row.requested_abort.actor, actorIdentity: row.requested_abort.actorIdentity ?? null },
  };
}

// Concurrent PUTs (and new runs) of one pipeline serialize on this lock.
const lockFor = (name: string) => sql`SELECT pg_advisory_xact_lock(hashtextextended(${`pipeline:${name}`}, 0))`;
const TERMINAL_RUN_STATES: readonly PipelineRunState[] = ['succeeded', 'failed', 'aborted', 'superseded'];

export class PipelineRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores the document as the pipeline's next version unless it equals the latest one. */
  async put(
    name: string,
    document: PipelineDocument,
    by: string | Actor,
    authorize?: (currentNamespaces: readonly string[]) => void,
  ): Promise<{ pipeline: PipelineVersionView; created: boolean; changed: boolean }> {
    const actor = asActor(by);
    const documentDigest = digest(document);
    const namespaces = [...new Set(document.stages.map((stage) => stage.target.namespace))].sort();
    return this.#db.transaction().execute(async (trx) => {
      await lockFor(name).execute(trx);
      const pipeline = await trx.selectFrom('pipelines').selectAll().where('name', '=', name).executeTakeFirst();
      if (pipeline && pipeline.deleted_at === null) {
        const latest = await trx.selectFrom('pipeline_versions').selectAll().where('name', '=', name).where('version', '=', pipeline.latest_version).executeTakeFirstOrThrow();
        authorize?.(latest.namespaces);
        if (latest.digest === documentDigest) return { pipeline: versionView(latest), created: false, changed: false };
      }
      const version = (pipeline?.latest_version ?? 0) + 1;
      if (pipeline) await trx.updateTable('pipelines').set({ latest_version: version, deleted_at: null, updated_at: sql`now()` }).where('name', '=', name).execute();
      else await trx.insertInto('pipelines').values({ name, latest_version: version }).execute();
      const row = await trx
        .insertInto('pipeline_versions')
        .values({ name, version, document: JSON.stringify(document), digest: documentDigest, namespaces: JSON.stringify(namespaces), created_by: actor.name, created_by_identity: identityJson(actor) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { pipeline: versionView(row), created: !pipeline || pipeline.deleted_at !== null, changed: true };
    });
  }

  async get(name: string, version?: number): Promise<PipelineVersionView> {
    const row = await this.#db
      .selectFrom('pipelines as p')
      .innerJoin('pipeline_versions as v', 'v.name', 'p.name')
      .selectAll('v')
      .where('p.name', '=', name)
      .where('p.deleted_at', 'is', null)
      .where('v.version', '=', version ?? sql<number>`p.latest_version`)
      .executeTakeFirstOrThrow(() => errors.pipelineNotFound(name));
    return versionView(row);
  }

  async list(): Promise<PipelineVersionView[]> {
    const rows = await this.#db
      .selectFrom('pipelines as p')
      .innerJoin('pipeline_versions as v', (join) => join.onRef('v.name', '=', 'p.name').onRef('v.version', '=', 'p.latest_version'))
      .selectAll('v')
      .where('p.deleted_at', 'is', null)
      .orderBy('p.name')
      .execute();
    return rows.map(versionView);
  }

  /**
   * A new run of the pipeline's latest version. It runs at once when no run of the pipeline is under way;
   * else it is queued behind it, and a run queued before it is superseded (a newer image replaces it).
   */
  async createRun(pipeline: PipelineVersionView, input: { image: string; reason: string | null; actor: string | Actor; stages: readonly StageRecord[] }): Promise<{ run: PipelineRunView; superseded: readonly string[] }> {
    const actor = asActor(input.actor);
    return this.#db.transaction().execute(async (trx) => {
      await lockFor(pipeline.name).execute(trx);
      const id = randomUUID();
      const running = await trx.selectFrom('pipeline_runs').select('id').where('pipeline', '=', pipeline.name).where('state', '=', 'running').executeTakeFirst();
      const queued = await trx.selectFrom('pipeline_runs').select('id').where('pipeline', '=', pipeline.name).where('state', '=', 'queued').execute();
      const superseded = queued.map((row) => row.id);
      if (superseded.length > 0) {
        await trx
          .updateTable('pipeline_runs')
          .set({ state: 'superseded', state_reason: `superseded by run ${id} (${input.image}) before it started`, ended_at: sql`now()`, updated_at: sql`now()`, stages: sql`(SELECT jsonb_agg(s || jsonb_build_object('state', 'skipped', 'reason', 'not started: the run was superseded')) FROM jsonb_array_elements(stages) s)` })
          .where('id', 'in', superseded)
          .execute();
        await trx
          .insertInto('pipeline_run_events')
          .values(superseded.map((runId) => ({ run_id: runId, actor: actor.name, actor_identity: identityJson(actor), stage: null, message: `superseded by run ${id} (${input.image})` })))
          .execute();
      }
      const state: PipelineRunState = running ? 'queued' : 'running';
      const row = await trx
        .insertInto('pipeline_runs')
        .values({
          id,
          pipeline: pipeline.name,
          pipeline_version: pipeline.version,
          state,
          state_reason: running ? `queued behind run ${running.id}` : null,
          image: input.image,
          reason: input.reason,
          stages: JSON.stringify(input.stages),
          created_by: actor.name,
          created_by_identity: identityJson(actor),
        })
        .returningAll()
        .executeTakeFirstOrThrow();
      await trx
        .insertInto('pipeline_run_events')
        .values({ run_id: id, actor: actor.name, actor_identity: identityJson(actor), stage: null, message: `run of ${pipeline.name} v${pipeline.version} with ${input.image}${running ? `, queued behind run ${running.id}` : ''}${superseded.length > 0 ? `; supersedes ${superseded.join(', ')}` : ''}` })
        .execute();
      return { run: runView(row), superseded };
    });
  }

  async getRun(pipeline: string, id: string): Promise<PipelineRunView> {
    const row = await this.#db.selectFrom('pipeline_runs').selectAll().where('id', '=', id).where('pipeline', '=', pipeline).executeTakeFirstOrThrow(() => errors.pipelineRunNotFound(pipeline, id));
    return runView(row);
  }

  async listRuns(pipeline: string, limit: number): Promise<PipelineRunView[]> {
    const rows = await this.#db.selectFrom('pipeline_runs').selectAll().where('pipeline', '=', pipeline).orderBy('created_at', 'desc').orderBy('id').limit(limit).execute();
    return rows.map(runView);
  }

  async runEvents(id: string): Promise<PipelineRunEventView[]> {
    const rows = await this.#db.selectFrom('pipeline_run_events').selectAll().where('run_id', '=', id).orderBy('id').execute();
    return rows.map((row) => ({ id: Number(row.id), at: iso(row.at), actor: row.actor, actorIdentity: row.actor_identity ?? null, stage: row.stage, message: row.message }));
  }

  /** Asks the runner to abort an active run (it aborts the running stage's promotion). */
  async requestAbort(pipeline: string, id: string, by: string | Actor, reason: string): Promise<PipelineRunView> {
    const actor = asActor(by);
    const row = await this.#db
      .updateTable('pipeline_runs')
      .set({ requested_abort: JSON.stringify({ actor: actor.name, actorIdentity: actor.identity ?? null, reason }), next_run_at: sql`now()`, updated_at: sql`now()` })
      .where('id', '=', id)
      .where('pipeline', '=', pipeline)
      .where('state', 'in', ACTIVE_RUN_STATES)
      .returningAll()
      .executeTakeFirst();
    if (row) {
      await this.#db.insertInto('pipeline_run_events').values({ run_id: id, actor: actor.name, actor_identity: identityJson(actor), stage: null, message: `abort asked: ${reason}` }).execute();
      return runView(row);
    }
    const current = await this.getRun(pipeline, id);
    throw errors.pipelineRunEnded(id, current.state);
  }

  /** Takes up to `limit` due runs for `owner` until `leaseMs` from now. */
  async claim(owner: string, limit: number, leaseMs: number): Promise<ClaimedRun[]> {
    const result = await sql<Selectable<PipelineRunsTable> & { document: PipelineDocument; behind_another: boolean }>`
      WITH claimed AS (
        UPDATE pipeline_runs SET lease_owner = ${owner}, lease_expires_at = now() + ${`${leaseMs} milliseconds`}::interval
        WHERE id IN (
          SELECT id FROM pipeline_runs
          WHERE state IN ('queued', 'running') AND next_run_at <= now()
            AND (lease_expires_at IS NULL OR lease_expires_at < now())
          ORDER BY next_run_at
          LIMIT ${limit}
          FOR UPDATE SKIP LOCKED
        )
        RETURNING *
      )
      SELECT claimed.*, v.document,
        EXISTS (SELECT 1 FROM pipeline_runs r WHERE r.pipeline = claimed.pipeline AND r.state = 'running' AND r.id <> claimed.id) AS behind_another
      FROM claimed JOIN pipeline_versions v ON v.name = claimed.pipeline AND v.version = claimed.pipeline_version`.execute(this.#db);
    return result.rows.map((row) => ({ ...runView(row), document: row.document, requestedAbort: row.requested_abort, behindAnother: row.behind_another }));
  }

  /**
   * Writes one look's outcome and gives the lease back. False (nothing written) when the lease is no longer
   * this owner's, or the run is no longer in the state it was claimed in.
   */
  async complete(run: ClaimedRun, owner: string, update: RunUpdate): Promise<boolean> {
    return this.#db.transaction().execute(async (trx) => {
      const ended = TERMINAL_RUN_STATES.includes(update.state);
      const result = await trx
        .updateTable('pipeline_runs')
        .set({
          state: update.state,
          ...(update.stateReason === undefined ? {} : { state_reason: update.stateReason }),
          stages: JSON.stringify(update.stages),
          updated_at: sql`now()`,
          ...(ended ? { ended_at: sql`now()` } : {}),
          next_run_at: update.nextRunInMs === undefined ? sql`now() + interval '1 minute'` : sql`now() + ${`${Math.max(0, Math.round(update.nextRunInMs))} milliseconds`}::interval`,
          lease_owner: null,
          lease_expires_at: null,
        })
        .where('id', '=', run.id)
        .where('lease_owner', '=', owner)
        .where('state', '=', run.state)
        .executeTakeFirst();
      if (result.numUpdatedRows === 0n) return false;
      // The run queued behind this one may start now.
      if (ended) await trx.updateTable('pipeline_runs').set({ next_run_at: sql`now()` }).where('pipeline', '=', run.pipeline).where('state', '=', 'queued').execute();
      await this.#events(trx, run.id, update.events, ended && update.stateReason ? { stage: null, message: `run ${update.state}: ${update.stateReason}` } : undefined);
      return true;
    });
  }

  /** Where each of these promotions stands (the runner's look at a run's stages). */
  async promotionStandings(ids: readonly string[]): Promise<Map<string, PromotionStanding>> {
    if (ids.length === 0) return new Map();
    const rows = await this.#db.selectFrom('promotions').select(['id', 'state', 'state_reason', 'updated_at', 'finished_at']).where('id', 'in', ids).execute();
    return new Map(rows.map((row) => [row.id, { state: row.state, stateReason: row.state_reason, since: iso(row.finished_at ?? row.updated_at) }]));
  }

  /** Gives leases back (shutdown), so another replica can resume at once. */
  async release(owner: string): Promise<void> {
    await this.#db.updateTable('pipeline_runs').set({ lease_owner: null, lease_expires_at: null }).where('lease_owner', '=', owner).execute();
  }

  async #events(trx: Transaction<Database>, runId: string, events: RunUpdate['events'], last?: { stage: string | null; message: string }): Promise<void> {
    const all = [...events, ...(last ? [last] : [])];
    if (all.length === 0) return;
    await trx.insertInto('pipeline_run_events').values(all.map((event) => ({ run_id: runId, actor: 'engine', stage: event.stage, message: event.message }))).execute();
  }
}
