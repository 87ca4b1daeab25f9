/**
 * The console's cookie session as auth.ts asks for it (SessionVerifier): the cookie's session from the
 * database, refused when it changes something without its CSRF token, and checked with the provider again
 * (the refresh token) every few minutes, so a person the provider signed out or disabled loses the console
 * soon after. The session is shared by all replicas: any of them may answer and check.
 */
import type { FastifyBaseLogger, FastifyRequest } from 'fastify';
import type { OidcClient } from '../adapters/identity/oidc-client.js';
import type { PeopleConfig } from '../adapters/identity/identity-config.js';
import type { ConsoleSession, SessionStore } from '../adapters/db/session-store.js';
import { csrfTokenMatches, needsCheck, needsCsrfToken } from '../domain/identity/console-session.js';
import { errors } from '../errors.js';
import type { ServiceMetrics } from '../metrics.js';
import type { Principal } from './access.js';
import type { SessionVerifier } from './auth.js';

export const SESSION_COOKIE = 'promoter_session';
export const CSRF_HEADER = 'x-csrf-token';

const sessions = new WeakMap<FastifyRequest, ConsoleSession>();

/** The console session that authenticated this request, if a cookie did. */
export function sessionOf(request: FastifyRequest): ConsoleSession | undefined {
  return sessions.get(request);
}

export function principalOfSession(session: ConsoleSession): Principal {
  return { name: session.identity.displayName, role: session.role, namespaces: session.namespaces, clusters: session.clusters, identity: session.identity };
}

export interface CookieSessionDeps {
  readonly store: SessionStore;
  readonly client: OidcClient;
  readonly people: PeopleConfig;
  readonly log: FastifyBaseLogger;
  readonly metrics: ServiceMetrics;
  readonly now?: () => Date;
}

export function cookieSessions(deps: CookieSessionDeps): SessionVerifier {
  const now = deps.now ?? (() => new Date());
  return {
    async principalOf(request) {
      const id = request.cookies?.[SESSION_COOKIE];
      if (!id) return undefined;
      const at = now();
      const session = await deps.store.find(id, at);
      if (!session) return undefined;
      if (needsCsrfToken(request.method)) {
        const presented = request.headers[CSRF_HEADER];
        if (!csrfTokenMatches(session.csrfToken, presented)) {
          deps.log.warn({ identity: session.identity.key, method: request.method, url: request.url, presented: presented !== undefined }, 'refused a console request without its CSRF token');
          throw errors.csrfTokenInvalid(presented !== undefined);
        }
      }
      if (session.refreshToken !== undefined && needsCheck(session, at, deps.people.sessionRecheckMs) && (await deps.store.claimCheck(session, at))) {
        const outcome = await deps.client.refresh(session.refreshToken);
        if (outcome.kind === 'refused') {
          await deps.store.delete(session.idDigest);
          deps.metrics.signInsTotal.inc({ outcome: 'refresh_refused' });
          deps.log.info({ identity: session.identity.key, name: session.identity.displayName, error: outcome.error }, 'console session ended: the identity provider refused its refresh');
          return undefined;
        }
        if (outcome.kind === 'unavailable') {
          // Not the provider's "no": the session goes on, and the next request after the interval asks again.
          deps.log.warn({ identity: session.identity.key, error: outcome.error }, 'could not check a console session with the identity provider');
        } else {
          await deps.store.refreshed(id, { refreshToken: outcome.refreshToken, idToken: outcome.idToken, expiresAt: session.expiresAt });
        }
      }
      sessions.set(request, session);
      return principalOfSession(session);
    },
  };
}
