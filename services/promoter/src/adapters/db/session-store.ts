/**
 * Console sessions and pending sign-ins, shared by every replica through the database. Ids are random
 * (256 bits) and live only in the browser's cookies; rows are keyed by their SHA-256 digests, and the
 * provider's tokens are sealed under a key derived from the id (sealed-token.ts).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Role } from '../../config.js';
import type { Identity } from '../../http/access.js';
import type { Database } from './schema.js';
import { openToken, sealToken, sessionSealingKey, type SealedTokenKind } from './sealed-token.js';

export interface ConsoleSession {
  readonly idDigest: string;
  readonly identity: Identity & { readonly kind: 'person'; readonly issuer: string };
  readonly role: Role;
  readonly namespaces: readonly string[] | undefined;
  readonly clusters: readonly string[] | undefined;
  readonly csrfToken: string;
  readonly refreshToken: string | undefined;
  readonly idToken: string | undefined;
  readonly checkedAt: Date;
  readonly expiresAt: Date;
}

export interface SignInAttempt {
  readonly state: string;
  readonly nonce: string;
  readonly codeVerifier: string;
  readonly returnTo: string;
  readonly redirectUri: string;
}

/** A new random id for a cookie: 32 bytes (256 bits), base64url. */
export function randomId(): string {
  return randomBytes(32).toString('base64url');
}

export function idDigest(id: string): string {
  return createHash('sha256').update(id, 'utf8').digest('hex');
}

export class SessionStore {
  readonly #db: Kysely<Database>;

  constructor(db: Kysely<Database>) {
    this.#db = db;
  }

  /** Stores a session and returns its id (for the cookie; not stored). */
  async create(session: Omit<ConsoleSession, 'idDigest'>): Promise<string> {
    const id = randomId();
    const key = sessionSealingKey(id);
    await this.#db
      .insertInto('console_sessions')
      .values({
        id_sha256: idDigest(id),
        identity: JSON.stringify({ ...session.identity, groups: [...session.identity.groups] }),
        role: session.role,
        namespaces: session.namespaces ? JSON.stringify(session.namespaces) : null,
        clusters: session.clusters ? JSON.stringify(session.clusters) : null,
        csrf_token: session.csrfToken,
        sealed_refresh_token: sealed(key, 'refresh_token', session.refreshToken),
        sealed_id_token: sealed(key, 'id_token', session.idToken),
        checked_at: session.checkedAt,
        expires_at: session.expiresAt,
      })
      .execute();
    return id;
  }

  /**
   * The live session of a cookie's id; an expired one is deleted and not returned, and so is one whose
   * sealed tokens this id does not open (altered in the table): it could no longer be checked with the provider.
   */
  async find(id: string, now: Date): Promise<ConsoleSession | undefined> {
    const digest = idDigest(id);
    const row = await this.#db.selectFrom('console_sessions').selectAll().where('id_sha256', '=', digest).executeTakeFirst();
    if (!row) return undefined;
    if (new Date(row.expires_at).getTime() <= now.getTime()) {
      await this.delete(digest);
      return undefined;
    }
    const key = sessionSealingKey(id);
    const refreshToken = opened(key, 'refresh_token', row.sealed_refresh_token);
    const idToken = opened(key, 'id_token', row.sealed_id_token);
    if (refreshToken === null || idToken === null) {
      await this.delete(digest);
      return undefined;
    }
    return {
      idDigest: digest,
      identity: { ...row.identity, groups: row.identity.groups },
      role: row.role as Role,
      namespaces: row.namespaces ?? undefined,
      clusters: row.clusters ?? undefined,
      csrfToken: row.csrf_token,
      refreshToken,
      idToken,
      checkedAt: new Date(row.checked_at),
      expiresAt: new Date(row.expires_at),
    };
  }

  /**
   * Claims the next check with the provider: true for the one caller (of any replica) that moved
   * `checked_at` from the value it read, so a rotating refresh token is used once, not by two replicas at once.
   */
  async claimCheck(session: ConsoleSession, now: Date): Promise<boolean> {
    const result = await this.#db
      .updateTable('console_sessions')
      .set({ checked_at: now })
      .where('id_sha256', '=', session.idDigest)
      .where('checked_at', '=', session.checkedAt)
      .executeTakeFirst();
    return Number(result.numUpdatedRows) === 1;
  }

  /** After a refresh the provider accepted (`id`: the cookie's, which seals them): its new tokens and end. */
  async refreshed(id: string, update: { refreshToken: string | undefined; idToken: string | undefined; expiresAt: Date }): Promise<void> {
    const key = sessionSealingKey(id);
    await this.#db
      .updateTable('console_sessions')
      .set({
        ...(update.refreshToken === undefined ? {} : { sealed_refresh_token: sealed(key, 'refresh_token', update.refreshToken) }),
        ...(update.idToken === undefined ? {} : { sealed_id_token: sealed(key, 'id_token', update.idToken) }),
        expires_at: update.expiresAt,
      })
      .where('id_sha256', '=', idDigest(id))
      .execute();
  }

  async delete(idDigestValue: string): Promise<void> {
    await this.#db.deleteFrom('console_sessions').where('id_sha256', '=', idDigestValue).execute();
  }

  /** Forgets ended sessions and abandoned sign-ins (called now and then, by any replica). */
  async deleteExpired(now: Date): Promise<void> {
    await this.#db.deleteFrom('console_sessions').where('expires_at', '<=', now).execute();
    await this.#db.deleteFrom('sign_in_attempts').where('expires_at', '<=', now).execute();
  }

  /** Stores a pending sign-in; returns the id for the browser's cookie. */
  async saveAttempt(attempt: SignInAttempt, expiresAt: Date): Promise<string> {
    const id = randomId();
    await this.#db
      .insertInto('sign_in_attempts')
      .values({
        id_sha256: idDigest(id),
        state: attempt.state,
        nonce: attempt.nonce,
        code_verifier: attempt.codeVerifier,
        return_to: attempt.returnTo,
        redirect_uri: attempt.redirectUri,
        expires_at: expiresAt,
      })
      .execute();
    return id;
  }

  /** The pending sign-in of a cookie's id, deleted as it is read: a callback is used once. */
  async takeAttempt(id: string, now: Date): Promise<SignInAttempt | undefined> {
    const row = await this.#db.deleteFrom('sign_in_attempts').where('id_sha256', '=', idDigest(id)).returningAll().executeTakeFirst();
    if (!row || new Date(row.expires_at).getTime() <= now.getTime()) return undefined;
    return { state: row.state, nonce: row.nonce, codeVerifier: row.code_verifier, returnTo: row.return_to, redirectUri: row.redirect_uri };
  }
}

function sealed(key: Buffer, kind: SealedTokenKind, token: string | undefined): string | null {
  return token === undefined ? null : sealToken(key, kind, token);
}

/** undefined: no token stored; null: a value this session's key does not open. */
function opened(key: Buffer, kind: SealedTokenKind, value: string | null): string | undefined | null {
  if (value === null) return undefined;
  return openToken(key, kind, value) ?? null;
}
