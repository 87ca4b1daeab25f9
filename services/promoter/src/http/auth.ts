/**
 * Bearer-token authentication and role checks. Tokens come from PROMOTER_API_TOKENS and from the admin
 * API (stored as SHA-256 digests). Environment secrets are compared as digests with timingSafeEqual, so
 * neither their content nor their length leaks through timing; API tokens are looked up by digest.
 * Without any token at all the API is open (local use) and every caller is `anonymous` with the admin
 * role; the first token created through the API closes it.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiToken, Role } from '../config.js';
import { errors } from '../errors.js';
import { secretDigest, type TokenRepository } from '../adapters/db/token-repository.js';

export interface Principal {
  readonly name: string;
  readonly role: Role;
  readonly namespaces: readonly string[] | undefined;
}

declare module 'fastify' {
  interface FastifyRequest {
    principal: Principal;
  }
  interface FastifyContextConfig {
    /** The least role an operation needs; absent means public. */
    role?: Role;
  }
}

const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };
const ANONYMOUS: Principal = { name: 'anonymous', role: 'admin', namespaces: undefined };
// How long "are there any API tokens?" is remembered; the replica that creates one forgets at once.
const OPEN_CHECK_TTL_MS = 5_000;

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export interface Authenticator {
  /** Call after a token is created or revoked through this replica. */
  invalidate(): void;
  /** True while no token exists at all (anyone may call the API). */
  isOpen(): Promise<boolean>;
}

export function registerAuth(app: FastifyInstance, tokens: readonly ApiToken[], stored: TokenRepository): Authenticator {
  const known = tokens.map((token) => ({ token, digest: sha256(token.secret) }));
  let openUntil = 0;
  let open = known.length === 0;
  const isOpen = async (): Promise<boolean> => {
    if (known.length > 0) return false;
    if (Date.now() < openUntil) return open;
    open = (await stored.countActive()) === 0;
    openUntil = Date.now() + OPEN_CHECK_TTL_MS;
    return open;
  };

  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS;
    const role = request.routeOptions.config?.role;
    if (role === undefined) return;
    const header = request.headers.authorization;
    if (header === undefined && (await isOpen())) return;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw errors.unauthorized(header === undefined ? 'Send Authorization: Bearer <token>.' : 'The Authorization header is not a bearer token.');
    }
    const principal = await identify(match[1]);
    if (!principal) {
      if (await isOpen()) return; // an open API ignores a stray token rather than refusing it
      throw errors.unauthorized('The bearer token is not valid.');
    }
    if (RANK[principal.role] < RANK[role]) {
      throw errors.forbidden(`Token '${principal.name}' has role ${principal.role}; this needs ${role}.`);
    }
    request.principal = principal;
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

  return {
    invalidate: () => {
      openUntil = 0;
    },
    isOpen,
  };
}

/** Refuses a request whose token is scoped to other namespaces. */
export function requireNamespace(request: FastifyRequest, namespace: string): void {
  const allowed = request.principal.namespaces;
  if (allowed !== undefined && !allowed.includes(namespace)) {
    throw errors.forbidden(`Token '${request.principal.name}' may act only in namespaces ${allowed.join(', ')}, not '${namespace}'.`);
  }
}
