/**
 * Bearer-token authentication and role checks. Tokens come from PROMOTER_API_TOKENS and from the admin
 * API (stored as SHA-256 digests). Environment secrets are compared as digests with timingSafeEqual, so
 * neither their content nor their length leaks through timing; API tokens are looked up by digest.
 *
 * The open mode (no token at all: every caller is `anonymous` with the admin role, for local use) holds
 * only while no token is configured and the database has never held an API token. It is asked of the
 * database on every request while open (no cache window: another replica's first token closes this one at
 * once), and a revoked token still counts, so revoking the last token does not reopen the API. Once
 * closed, the answer is cached for good: tokens are never deleted, only revoked. The first token itself is
 * created in a transaction that re-checks (tokens.create with `onlyIfFirst`).
 *
 * Failed authentication is limited per client address (FailedAuthLimiter), before the token is looked at.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance } from 'fastify';
import type { ApiToken } from '../config.js';
import { AppError, errors } from '../errors.js';
import { secretDigest, type TokenRepository } from '../adapters/db/token-repository.js';
import { atLeast, NamespaceScope, type Access, type Principal } from './access.js';

export type { Principal } from './access.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    scope: NamespaceScope;
  }
  interface FastifyContextConfig {
    /** What an operation needs (http/access.ts); absent means public. */
    access?: Access;
  }
}

export const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', namespaces: undefined };

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface AuthOptions {
  /** Failed authentications per client address per minute before 429; 0 turns the limit off. */
  readonly failedAuthPerMinute?: number;
}

export interface Authenticator {
  /** Whether the API is open (no token configured, none ever created). */
  isOpen(): Promise<boolean>;
}

export function registerAuth(app: FastifyInstance, tokens: readonly ApiToken[], stored: TokenRepository, options: AuthOptions = {}): Authenticator {
  const known = tokens.map((token) => ({ token, digest: sha256(token.secret) }));
  let closed = known.length > 0;
  const isOpen = async (): Promise<boolean> => {
    if (closed) return false;
    closed = await stored.anyEverCreated();
    return !closed;
  };
  const failures = new FailedAuthLimiter(options.failedAuthPerMinute ?? 30, 60_000);

  app.decorateRequest('principal', null as unknown as Principal);
  app.decorateRequest('scope', null as unknown as NamespaceScope);
  app.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS;
    request.scope = new NamespaceScope(ANONYMOUS);
    const access = request.routeOptions.config?.access;
    if (access === undefined || access === 'public') return;
    const header = request.headers.authorization;
    if (header === undefined && (await isOpen())) return;
    failures.refuseIfExceeded(request.ip);
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      failures.record(request.ip);
      throw errors.unauthorized(header === undefined ? 'Send Authorization: Bearer <token>.' : 'The Authorization header is not a bearer token.');
    }
    const principal = await identify(match[1]);
    if (!principal) {
      if (await isOpen()) return; // an open API ignores a stray token rather than refusing it
      failures.record(request.ip);
      throw errors.unauthorized('The bearer token is not valid.');
    }
    if (!atLeast(principal.role, access.role)) {
      throw errors.forbidden(`Token '${principal.name}' has role ${principal.role}; this needs ${access.role}.`);
    }
    request.principal = principal;
    request.scope = new NamespaceScope(principal);
  });

  async function identify(secret: string): Promise<Principal | undefined> {
    const presented = sha256(secret);
    let found: ApiToken | undefined;
    // Compare with every token, not stopping at the first match, so timing says nothing about which one.
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate.token;
    }
    if (found) return { name: found.name, role: found.role, namespaces: found.namespaces };
    const token = await stored.findByDigest(secretDigest(secret));
    return token ? { name: token.name, role: token.role, namespaces: token.namespaces ?? undefined } : undefined;
  }

  return { isOpen };
}

const MAX_TRACKED_ADDRESSES = 10_000;

/**
 * Failed authentications per client address in a fixed window: past the limit the address gets 429
 * without its token being looked at, so guessing tokens costs a minute per few dozen guesses. Per
 * replica, in memory; expired windows are forgotten as new ones start, and at most
 * MAX_TRACKED_ADDRESSES are kept.
 */
export class FailedAuthLimiter {
  readonly #windows = new Map<string, { count: number; resetAt: number }>();

  constructor(
    readonly limit: number,
    readonly windowMs: number,
    readonly now: () => number = Date.now,
  ) {}

  record(address: string): void {
    if (this.limit <= 0) return;
    const now = this.now();
    const window = this.#windows.get(address);
    if (window && window.resetAt > now) {
      window.count += 1;
      return;
    }
    // Re-inserted, never updated in place: the map's order is then the order the windows end in, so the
    // expired ones are at its front and are forgotten without scanning the live ones.
    this.#windows.delete(address);
    this.#forgetExpired(now);
    // Still full of live windows: forget the one that ends first rather than grow without bound.
    if (this.#windows.size >= MAX_TRACKED_ADDRESSES) this.#windows.delete(this.#windows.keys().next().value as string);
    this.#windows.set(address, { count: 1, resetAt: now + this.windowMs });
  }

  refuseIfExceeded(address: string): void {
    if (this.limit <= 0) return;
    const window = this.#windows.get(address);
    const now = this.now();
    if (window && window.resetAt > now && window.count >= this.limit) {
      const seconds = Math.ceil((window.resetAt - now) / 1000);
      throw new AppError({
        code: 'rate-limited',
        status: 429,
        title: 'Too many requests',
        detail: `More than ${this.limit} failed authentications from this address in a minute; retry after ${seconds} s.`,
        headers: { 'retry-after': String(seconds) },
      });
    }
  }

  #forgetExpired(now: number): void {
    for (const [address, window] of this.#windows) {
      if (window.resetAt > now) break;
      this.#windows.delete(address);
    }
  }
}
