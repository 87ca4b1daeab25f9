/**
 * Deployment freezes and their versions. A PUT that changes something stores a new version; a delete ends
 * the freeze now and keeps its versions. Any change wakes the promotions waiting in `frozen`, so they look
 * at the freezes again at once instead of at their next minute.
 */
import { sql, type Kysely, type Selectable } from 'kysely';
import { errors } from '../../errors.js';
import { canonicalJson } from '../../domain/canonical-json.js';
import type { Freeze, FreezeScope } from '../../domain/freeze/freeze.js';
import type { FreezeWindow } from '../../domain/freeze/freeze-window.js';
import type { Database, FreezesTable } from './schema.js';
import { iso } from './views.js';
import { identityJson } from './identity-column.js';
import { asActor, type Actor, type ActorIdentity } from '../../domain/actor.js';

export interface FreezeInput {
  readonly window: FreezeWindow;
  readonly scope: FreezeScope;
  readonly reason: string;
}

/** A stored freeze, as the API shows it (without `active`/`until`, which depend on the time asked). */
export interface StoredFreeze extends Freeze {
  readonly version: number;
  readonly createdBy: string;
  /** Who put it first (null for freezes from before identities were recorded). */
  readonly createdByIdentity: ActorIdentity | null;
  readonly createdAt: string;
  readonly updatedBy: string;
  readonly updatedByIdentity: ActorIdentity | null;
  readonly updatedAt: string;
}

export interface PutFreezeResult {
  readonly freeze: StoredFreeze;
  readonly created: boolean;
  readonly changed: boolean;
}

function stored(row: Selectable<FreezesTable>): StoredFreeze {
  return {
    name: row.name,
    version: row.version,
    window: row.window,
    scope: row.scope,
    reason: row.reason,
    createdBy: row.created_by,
    createdByIdentity: row.created_by_identity ?? null,
    createdAt: iso(row.created_at),
    updatedBy: row.updated_by,
    updatedByIdentity: row.updated_by_identity ?? null,
    updatedAt: iso(row.updated_at),
  };
}

const sameContent = (a: FreezeInput, b: FreezeInput) =>
  canonicalJson({ window: a.window, scope: a.scope, reason: a.reason }) === canonicalJson({ window: b.window, scope: b.scope, reason: b.reason });

// Concurrent PUTs of one freeze must not both compute version N+1.
const lockFor = (name: string) => sql`SELECT pg_advisory_xact_lock(hashtextextended(${`freeze:${name}`}, 0))`;

const wakeFrozen = (db: Kysely<Database>) =>
  db.updateTable('promotions').set({ next_run_at: sql`now()` }).where('state', '=', 'frozen').execute();

export class FreezeRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /**
   * Stores the freeze (a new version unless it equals the current one). `authorize` sees the current scope
   * of a freeze in force, under the freeze's lock, so who may change it is decided on what is stored.
   */
  async put(name: string, input: FreezeInput, by: string | Actor, authorize?: (current: FreezeScope) => void): Promise<PutFreezeResult> {
    const actor = asActor(by);
    const identity = identityJson(actor);
    return this.#db.transaction().execute(async (trx) => {
      await lockFor(name).execute(trx);
      const current = await trx.selectFrom('freezes').selectAll().where('name', '=', name).executeTakeFirst();
      const inForce = current !== undefined && current.deleted_at === null;
      if (inForce) {
        authorize?.(current.scope);
        if (sameContent(current, input)) return { freeze: stored(current), created: false, changed: false };
      }
      const version = (current?.version ?? 0) + 1;
      const values = { version, window: JSON.stringify(input.window), scope: JSON.stringify(input.scope), reason: input.reason };
      const row = current
        ? await trx
            .updateTable('freezes')
            .set({
              ...values,
              updated_by: actor.name,
              updated_by_identity: identity,
              updated_at: sql`now()`,
              deleted_by: null,
              deleted_by_identity: null,
              deleted_at: null,
              // A freeze put again after its end starts afresh.
              ...(inForce ? {} : { created_by: actor.name, created_by_identity: identity, created_at: sql`now()` }),
            })
            .where('name', '=', name)
            .returningAll()
            .executeTakeFirstOrThrow()
        : await trx.insertInto('freezes').values({ name, ...values, created_by: actor.name, created_by_identity: identity, updated_by: actor.name, updated_by_identity: identity }).returningAll().executeTakeFirstOrThrow();
      await trx.insertInto('freeze_versions').values({ name, ...values, created_by: actor.name, created_by_identity: identity }).execute();
      await wakeFrozen(trx);
      return { freeze: stored(row), created: !inForce, changed: true };
    });
  }

  async get(name: string): Promise<StoredFreeze> {
    const row = await this.#db
      .selectFrom('freezes')
      .selectAll()
      .where('name', '=', name)
      .where('deleted_at', 'is', null)
      .executeTakeFirstOrThrow(() => errors.freezeNotFound(name));
    return stored(row);
  }

  /** The freezes in force (not deleted), by name. */
  async list(): Promise<StoredFreeze[]> {
    const rows = await this.#db.selectFrom('freezes').selectAll().where('deleted_at', 'is', null).orderBy('name').execute();
    return rows.map(stored);
  }

  /** Ends the freeze now; `authorize` sees its scope first, under its lock. Its versions stay. */
  async delete(name: string, by: string | Actor, authorize?: (current: FreezeScope) => void): Promise<void> {
    const actor = asActor(by);
    const identity = identityJson(actor);
    await this.#db.transaction().execute(async (trx) => {
      await lockFor(name).execute(trx);
      const current = await trx
        .selectFrom('freezes')
        .selectAll()
        .where('name', '=', name)
        .where('deleted_at', 'is', null)
        .executeTakeFirstOrThrow(() => errors.freezeNotFound(name));
      authorize?.(current.scope);
      await trx.updateTable('freezes').set({ deleted_by: actor.name, deleted_by_identity: identity, deleted_at: sql`now()`, updated_by: actor.name, updated_by_identity: identity, updated_at: sql`now()` }).where('name', '=', name).execute();
      await wakeFrozen(trx);
    });
  }
}
