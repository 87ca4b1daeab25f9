/** API tokens made through the admin API: only SHA-256 digests of their secrets are stored. */
import { createHash, randomBytes } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import type { Role } from '../../config.js';
import { AppError, errors } from '../../errors.js';
import { isUniqueViolation } from './errors.js';
import type { Database } from './schema.js';
import { iso } from './views.js';
import { identityJson } from './identity-column.js';
import { asActor, type Actor, type ActorIdentity } from '../../domain/actor.js';

export interface StoredToken {
  readonly name: string;
  readonly role: Role;
  readonly namespaces: readonly string[] | null;
  /** Clusters the token may act in; null: all. */
  readonly clusters?: readonly string[] | null;
  readonly createdBy: string;
  /** Who minted it (null for tokens from before identities were recorded and for the open API's first token). */
  readonly createdByIdentity: ActorIdentity | null;
  readonly createdAt: string;
}

export function secretDigest(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class TokenRepository {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Creates a token and returns it with its secret, which is not stored and cannot be read again. */
  async create(
    input: { name: string; role: Role; namespaces?: readonly string[] | undefined; clusters?: readonly string[] | undefined },
    by: string | Actor,
    options: { onlyIfFirst?: boolean } = {},
  ): Promise<StoredToken & { secret: string }> {
    const actor = asActor(by);
    const secret = `prm_${randomBytes(32).toString('base64url')}`;
    try {
      const row = await this.#db.transaction().execute(async (trx) => {
        if (options.onlyIfFirst) {
          // The open API's first token: every replica's first-token creation serializes here, and only the
          // one that finds no token (ever, revoked ones included) may store one.
          await sql`SELECT pg_advisory_xact_lock(hashtextextended('api_tokens:first', 0))`.execute(trx);
          if (await anyToken(trx)) throw errors.unauthorized('The API is closed: a token exists. Send Authorization: Bearer <token>.');
        }
        return trx
          .insertInto('api_tokens')
          .values({
            name: input.name,
            role: input.role,
            namespaces: input.namespaces ? JSON.stringify(input.namespaces) : null,
            clusters: input.clusters ? JSON.stringify(input.clusters) : null,
            secret_sha256: secretDigest(secret),
            created_by: actor.name,
            created_by_identity: identityJson(actor),
          })
          .returningAll()
          .executeTakeFirstOrThrow();
      });
      return { ...view(row), secret };
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw new AppError({ code: 'token-exists', status: 409, title: 'Token exists', detail: `A token named '${input.name}' exists (or existed: names are not reused).` });
      }
      throw error;
    }
  }

  async list(): Promise<StoredToken[]> {
    const rows = await this.#db.selectFrom('api_tokens').selectAll().where('revoked_at', 'is', null).orderBy('name').execute();
    return rows.map(view);
  }

  async revoke(name: string): Promise<void> {
    const result = await this.#db
      .updateTable('api_tokens')
      .set({ revoked_at: sql`now()` })
      .where('name', '=', name)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    if (result.numUpdatedRows === 0n) {
      throw new AppError({ code: 'token-not-found', status: 404, title: 'Token not found', detail: `No active token is named '${name}'.` });
    }
  }

  /** The active token whose secret has this digest. */
  async findByDigest(digest: string): Promise<StoredToken | undefined> {
    const row = await this.#db
      .selectFrom('api_tokens')
      .selectAll()
      .where('secret_sha256', '=', digest)
      .where('revoked_at', 'is', null)
      .executeTakeFirst();
    return row ? view(row) : undefined;
  }

  /** The active token of this name. */
  async find(name: string): Promise<StoredToken | undefined> {
    const row = await this.#db.selectFrom('api_tokens').selectAll().where('name', '=', name).where('revoked_at', 'is', null).executeTakeFirst();
    return row ? view(row) : undefined;
  }

  /** Whether any API token was ever created (revoked ones count: revoking the last one does not reopen the API). */
  anyEverCreated(): Promise<boolean> {
    return anyToken(this.#db);
  }
}

async function anyToken(db: Kysely<Database>): Promise<boolean> {
  return (await db.selectFrom('api_tokens').select('name').limit(1).executeTakeFirst()) !== undefined;
}

function view(row: { name: string; role: string; namespaces: string[] | null; clusters: string[] | null; created_by: string; created_by_identity: ActorIdentity | null; created_at: Date | string }): StoredToken {
  return { name: row.name, role: row.role as Role, namespaces: row.namespaces, clusters: row.clusters, createdBy: row.created_by, createdByIdentity: row.created_by_identity ?? null, createdAt: iso(row.created_at) };
}

