/**
 * Bearer-token authentication and role checks. Secrets are compared as SHA-256 digests with
 * timingSafeEqual, so neither their content nor their length leaks through timing. Without any token
 * configured the API is open (local use) and every caller acts as `anonymous` with the admin role.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { ApiToken, Role } from '../config.js';
import { errors } from '../errors.js';

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

const sha256 = (value: string) => createHash('sha256').update(value, 'utf8').digest();

export function registerAuth(app: FastifyInstance, tokens: readonly ApiToken[]): void {
  const known = tokens.map((token) => ({ token, digest: sha256(token.secret) }));
  app.decorateRequest('principal', null as unknown as Principal);
  app.addHook('onRequest', async (request) => {
    request.principal = ANONYMOUS;
  });
  app.addHook('onRequest', async (request) => {
    const role = request.routeOptions.config?.role;
    if (role === undefined) return;
    if (known.length === 0) {
      request.principal = ANONYMOUS;
      return;
    }
    const header = request.headers.authorization;
    const match = header === undefined ? null : /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match?.[1]) {
      throw errors.unauthorized(header === undefined ? 'Send Authorization: Bearer <token>.' : 'The Authorization header is not a bearer token.');
    }
    const presented = sha256(match[1]);
    let found: ApiToken | undefined;
    // Compare with every token, not stopping at the first match, so timing says nothing about which one.
    for (const candidate of known) {
      if (timingSafeEqual(candidate.digest, presented)) found = candidate.token;
    }
    if (!found) throw errors.unauthorized('The bearer token is not valid.');
    if (RANK[found.role] < RANK[role]) {
      throw errors.forbidden(`Token '${found.name}' has role ${found.role}; this needs ${role}.`);
    }
    request.principal = { name: found.name, role: found.role, namespaces: found.namespaces };
  });
}

/** Refuses a request whose token is scoped to other namespaces. */
export function requireNamespace(request: FastifyRequest, namespace: string): void {
  const allowed = request.principal.namespaces;
  if (allowed !== undefined && !allowed.includes(namespace)) {
    throw errors.forbidden(`Token '${request.principal.name}' may act only in namespaces ${allowed.join(', ')}, not '${namespace}'.`);
  }
}
