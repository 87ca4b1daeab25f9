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
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiToken, Role } from '../config.js';
import { AppError, errors } from '../errors.js';
import { secretDigest, type TokenRepository } from '../adapters/db/token-repository.js';
import { atLeast, NamespaceScope, tokenIdentity, type Access, type Principal } from './access.js';

export type { Principal } from './access.js';

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
    scope: NamespaceScope;
  }
  interface FastifyContextConfig {
    /** What an operation needs (http/access.ts); absent means public. */
    access?: Access;
    /**
     * A public route that still counts against PROMOTER_RATE_LIMIT per address: each call stores something
     * (a sign-in attempt), so an address may make only as many as it may make requests.
     */
    rateLimited?: boolean;
  }
}

export const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', namespaces: undefined };

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface AuthOptions {
  /** Failed authentications per client address per minute before 429; 0 turns the limit off. */
  readonly failedAuthPerMinute?: number;
  /**
   * Bearer credentials other than API tokens (signed JWTs of trusted workload issuers): asked, in order, for a
   * bearer that is no API token. `undefined` means "not mine" (the next one is asked); a thrown AppError is the
   * answer (e.g. 403 for a valid JWT no rule grants anything).
   */
  readonly bearerVerifiers?: readonly BearerVerifier[];
  /**
   * A console session (a cookie set by the OIDC sign-in): asked before the Authorization header when the
   * request has no Authorization header. `undefined`: no session; a thrown AppError is the answer (a
   * state-changing request without its CSRF token is refused).
   */
  readonly session?: SessionVerifier;
}

export interface BearerVerifier {
  verify(bearer: string): Promise<Principal | undefined>;
}

export interface SessionVerifier {
  principalOf(request: FastifyRequest): Promise<Principal | undefined>;
}

export interface Authenticator {
  /** Whether the API is open (no token configured, none ever created). */
  isOpen(): Promise<boolean>;
}

export function registerAuth(app: FastifyInstance, tokens: readonly ApiToken[], stored: TokenRepository, options: AuthOptions = {}): Authenticator {
  const known = tokens.map((token) => ({ token, digest: sha256(token.secret) }));
  // Signing in other than with a token (workload JWTs, console sessions) closes the API as a token does.
  let closed = known.length > 0 || (options.bearerVerifiers?.length ?? 0) > 0 || options.session !== undefined;
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
    if (header === undefined && options.session !== undefined) {
      const fromSession = await options.session.principalOf(request);
      if (fromSession) {
        admit(request, fromSession, access.role);
        return;
      }
    }
    if (header === undefined && (await isOpen())) return;
    failures.refuseIfExceeded(request.ip);
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      failures.record(request.ip);
      throw errors.unauthorized(header === undefined ? 'Send Authorization: Bearer <token>.' : 'The Authorization header is not a bearer token.');
    }
    let principal: Principal | undefined;
    try {
      principal = await identify(match[1]);
    } catch (error) {
      // A signed token a verifier refused counts as a failed authentication, as an unknown token does.
      if (error instanceof AppError && error.status === 401) failures.record(request.ip);
      throw error;
    }
    if (!principal) {
      if (await isOpen()) return; // an open API ignores a stray token rather than refusing it
      failures.record(request.ip);
      throw errors.unauthorized('The bearer token is not valid.');
    }
    admit(request, principal, access.role);
  });

  function admit(request: FastifyRequest, principal: Principal, needed: Role): void {
    if (!atLeast(principal.role, needed)) {
      throw errors.forbidden(`${principal.identity?.kind === 'person' ? 'User' : principal.identity?.kind === 'workload' ? 'Workload' : 'Token'} '${principal.name}' has role ${principal.role}; this needs ${needed}.`);
    }
    request.principal = principal;
    request.scope = new NamespaceScope(principal);
  }

  async function identify(secret: string): Promise<Principal | undefined> {
    const presented = sha256(secret);
    let found: ApiToken | undefined;
    // Compare with every token, not stopping at the first match, so timing says nothing about which one.
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate.token;
    }
    if (found) return { name: found.name, role: found.role, namespaces: found.namespaces, clusters: found.clusters, identity: tokenIdentity(found.name) };
    const token = await stored.findByDigest(secretDigest(secret));
    if (token) return { name: token.name, role: token.role, namespaces: token.namespaces ?? undefined, clusters: token.clusters ?? undefined, identity: tokenIdentity(token.name) };
    for (const verifier of options.bearerVerifiers ?? []) {
      const principal = await verifier.verify(secret);
      if (principal) return principal;
    }
    return undefined;
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
