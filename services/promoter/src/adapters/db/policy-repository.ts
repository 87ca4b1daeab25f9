/** Policies and their immutable versions. */
import { sql, type Kysely, type Selectable } from 'kysely';
import { errors } from '../../errors.js';
import { digest } from '../../domain/canonical-json.js';
import type { PolicyDocument } from '../../domain/policy/model.js';
import type { Database, PolicyVersionsTable } from './schema.js';
import { iso } from './views.js';
import { identityJson } from './identity-column.js';
import { asActor, type Actor, type ActorIdentity } from '../../domain/actor.js';

export interface PolicyVersionView {
  name: string;
  version: number;
  document: PolicyDocument;
  source: 'api' | 'file';
  createdBy: string;
  /** Who stored this version (null for the policy folder, and for versions from before identities were recorded). */
  createdByIdentity: ActorIdentity | null;
  createdAt: string;
}

export interface PutPolicyResult {
  readonly policy: PolicyVersionView;
  /** The policy did not exist (or was deleted) before. */
  readonly created: boolean;
  /** A new version was stored (false when the document equals the latest version). */
  readonly changed: boolean;
}

function view(row: Selectable<PolicyVersionsTable>): PolicyVersionView {
  return {
    name: row.name,
    version: row.version,
    document: row.document,
    source: row.source,
    createdBy: row.created_by,
    createdByIdentity: row.created_by_identity ?? null,
    createdAt: iso(row.created_at),
  };
}

// Concurrent PUTs of one policy must not both compute version N+1: they serialize on this lock.
const lockFor = (name: string) => sql`SELECT pg_advisory_xact_lock(hashtextextended(${`policy:${name}`}, 0))`;

export class PolicyRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores the document as the policy's next version unless it equals the latest one. `authorize` is called
   * inside the transaction, under the policy's lock, with the current owner (`null`: global) of a policy
   * that exists, so the owner cannot change between the check and the write.
   */
  async put(
    name: string,
    document: PolicyDocument,
    source: 'api' | 'file',
    by: string | Actor,
    authorize?: (currentOwner: string | null) => void,
  ): Promise<PutPolicyResult> {
    const actor = asActor(by);
    const stored: PolicyDocument = { ...document, name };
    const documentDigest = digest(stored);
    return this.#db.transaction().execute(async (trx) => {
      await lockFor(name).execute(trx);
      const policy = await trx.selectFrom('policies').selectAll().where('name', '=', name).executeTakeFirst();
      if (policy && policy.deleted_at === null) {
        const latest = await trx
          .selectFrom('policy_versions')
          .selectAll()
          .where('name', '=', name)
          .where('version', '=', policy.latest_version)
          .executeTakeFirstOrThrow();
        authorize?.(latest.document.namespace ?? null);
        if (latest.digest === documentDigest) return { policy: view(latest), created: false, changed: false };
      }
      const version = (policy?.latest_version ?? 0) + 1;
      if (policy) {
        await trx
          .updateTable('policies')
          .set({ latest_version: version, deleted_at: null, updated_at: sql`now()` })
          .where('name', '=', name)
          .execute();
      } else {
        await trx.insertInto('policies').values({ name, latest_version: version }).execute();
      }
      const row = await trx
        .insertInto('policy_versions')
        .values({ name, version, document: JSON.stringify(stored), digest: documentDigest, source, created_by: actor.name, created_by_identity: identityJson(actor) })
        .returningAll()
        .executeTakeFirstOrThrow();
      return { policy: view(row), created: !policy || policy.deleted_at !== null, changed: true };
    });
  }

  /** The latest version, or a given one (deleted policies are not found; their versions stay for the audit). */
  async get(name: string, version?: number): Promise<PolicyVersionView> {
    const row = await this.#db
      .selectFrom('policies as p')
      .innerJoin('policy_versions as v', 'v.name', 'p.name')
      .selectAll('v')
      .where('p.name', '=', name)
      .where('p.deleted_at', 'is', null)
      .where('v.version', '=', version ?? sql<number>`p.latest_version`)
      .executeTakeFirstOrThrow(() => errors.policyNotFound(name, version));
    return view(row);
  }

  async list(): Promise<PolicyVersionView[]> {
    const rows = await this.#db
      .selectFrom('policies as p')
      .innerJoin('policy_versions as v', (join) => join.onRef('v.name', '=', 'p.name').onRef('v.version', '=', 'p.latest_version'))
      .selectAll('v')
      .where('p.deleted_at', 'is', null)
      .orderBy('p.name')
      .execute();
    return rows.map(view);
  }

  async versions(name: string): Promise<PolicyVersionView[]> {
    await this.get(name);
    const rows = await this.#db
      .selectFrom('policy_versions')
      .selectAll()
      .where('name', '=', name)
      .orderBy('version', 'desc')
      .execute();
    return rows.map(view);
  }

  /** Deletes the latest version's policy; `authorize` sees its owner first, in the same transaction. */
  async delete(name: string, authorize?: (currentOwner: string | null) => void): Promise<void> {
    if (authorize) {
      await this.#db.transaction().execute(async (trx) => {
        await lockFor(name).execute(trx);
        const latest = await trx
          .selectFrom('policies as p')
          .innerJoin('policy_versions as v', (join) => join.onRef('v.name', '=', 'p.name').onRef('v.version', '=', 'p.latest_version'))
          .select('v.document')
          .where('p.name', '=', name)
          .where('p.deleted_at', 'is', null)
          .executeTakeFirstOrThrow(() => errors.policyNotFound(name));
        authorize(latest.document.namespace ?? null);
        await trx.updateTable('policies').set({ deleted_at: sql`now()`, updated_at: sql`now()` }).where('name', '=', name).execute();
      });
      return;
    }
    const result = await this.#db
      .updateTable('policies')
      .set({ deleted_at: sql`now()`, updated_at: sql`now()` })
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) throw errors.policyNotFound(name);
  }
}
