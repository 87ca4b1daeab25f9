/**
 * Sign-in of people through the OpenID provider (authorization code flow with PKCE), for the console:
 *
 *   GET  /auth/login?returnTo=/ui/...  -> the provider (state, nonce and PKCE verifier kept server-side, bound
 *                                         to this browser by a short-lived cookie)
 *   GET  /auth/callback                -> the session cookie, then returnTo (a path on this service only)
 *   POST /auth/logout                  -> the session deleted, the cookie cleared, then the provider's sign-out
 *                                         (a 303, or `{ redirect }` to a fetch that accepts JSON)
 *
 * These are browser redirects, not API operations, so they are outside the OpenAPI contract like the
 * console's own pages; GET /v1/sign-in (in the contract) tells the console whether they exist. A sign-in
 * that fails or that no claim rule grants anything ends on the console's sign-in page with a reason
 * (`/ui/?signIn=no-access`), never with the provider's or the tokens' details.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import * as oidc from 'openid-client';
import type { PeopleConfig } from '../adapters/identity/identity-config.js';
import { errorText, type OidcClient } from '../adapters/identity/oidc-client.js';
import type { SessionStore } from '../adapters/db/session-store.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { grantFor, groupsOf } from '../domain/identity/claim-rules.js';
import { cookieSecure, csrfTokenMatches, displayNameOf, safeReturnTo, sessionExpiry } from '../domain/identity/console-session.js';
import { errors } from '../errors.js';
import type { ServiceMetrics } from '../metrics.js';
import { randomId } from '../adapters/db/session-store.js';
import { CSRF_HEADER, SESSION_COOKIE } from './console-sessions.js';
import { registerOperations } from './operations.js';

export const SIGN_IN_COOKIE = 'promoter_sign_in';
const SIGN_IN_TTL_MS = 10 * 60_000;
export const LOGIN_PATH = '/auth/login';
export const LOGOUT_PATH = '/auth/logout';
const CALLBACK_PATH = '/auth/callback';

export interface SignInRoutesOptions {
  readonly document: OpenApiDocument;
  /** Undefined: no OpenID provider is configured; only /v1/sign-in answers (with `oidc: null`). */
  readonly people: PeopleConfig | undefined;
  readonly client: OidcClient | undefined;
  readonly store: SessionStore;
  readonly publicUrl: string | undefined;
  readonly metrics: ServiceMetrics;
  readonly now?: () => Date;
}

/** What GET /v1/sign-in and GET /v1/me say about the provider. */
export function signInOptions(people: PeopleConfig | undefined): { provider: string; loginUrl: string; logoutUrl: string } | null {
  return people ? { provider: people.displayName, loginUrl: LOGIN_PATH, logoutUrl: LOGOUT_PATH } : null;
}

export async function signInRoutes(app: FastifyInstance, options: SignInRoutesOptions): Promise<void> {
  const now = options.now ?? (() => new Date());
  registerOperations(app, options.document, {
    getSignInOptions: { access: 'public', handler: async () => ({ oidc: signInOptions(options.people) }) },
  });
  const { people, client, store, metrics } = options;
  if (!people || !client) return;

  // Only this plugin's routes read forms (the sign-out button posts one); the API takes JSON and YAML only.
  app.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4_096 }, (_request, body, done) => {
    done(null, Object.fromEntries(new URLSearchParams(body as string)));
  });

  /** The service's own origin: PROMOTER_PUBLIC_URL when set (behind a proxy), else what the request reached. */
  const origin = (request: FastifyRequest) => (options.publicUrl ? new URL(options.publicUrl).origin : `${request.protocol}://${request.host}`);
  const cookieBase = (request: FastifyRequest) => ({ httpOnly: true, sameSite: 'lax' as const, secure: cookieSecure(options.publicUrl, request.protocol), path: '/' });
  const toConsole = (reply: FastifyReply, reason: string) => reply.redirect(`/ui/?signIn=${reason}`, 303);

  app.get(LOGIN_PATH, { schema: { hide: true }, config: { rateLimited: true } }, async (request, reply) => {
    const returnTo = safeReturnTo((request.query as Record<string, unknown>).returnTo);
    const attempt = {
      state: oidc.randomState(),
      nonce: oidc.randomNonce(),
      codeVerifier: oidc.randomPKCECodeVerifier(),
      returnTo,
      redirectUri: `${origin(request)}${CALLBACK_PATH}`,
    };
    let url: URL;
    try {
      url = await client.authorizationUrl(attempt);
    } catch (error) {
      request.log.error({ issuer: people.issuer, error: errorText(error) }, 'cannot reach the identity provider for a sign-in');
      throw errors.signInProviderUnavailable(people.issuer);
    }
    const at = now();
    await store.deleteExpired(at);
    const id = await store.saveAttempt(attempt, new Date(at.getTime() + SIGN_IN_TTL_MS));
    reply.setCookie(SIGN_IN_COOKIE, id, { ...cookieBase(request), maxAge: SIGN_IN_TTL_MS / 1000 });
    return reply.header('cache-control', 'no-store').redirect(url.href, 302);
  });

  app.get(CALLBACK_PATH, { schema: { hide: true }, config: { rateLimited: true } }, async (request, reply) => {
    const attemptId = request.cookies[SIGN_IN_COOKIE];
    reply.clearCookie(SIGN_IN_COOKIE, cookieBase(request));
    reply.header('cache-control', 'no-store');
    const at = now();
    const attempt = attemptId ? await store.takeAttempt(attemptId, at) : undefined;
    if (!attempt) {
      // No pending sign-in in this browser: an old link, a second use, or a callback this browser never started.
      metrics.signInsTotal.inc({ outcome: 'failed' });
      request.log.warn({ reason: attemptId ? 'unknown or expired attempt' : 'no sign-in cookie' }, 'console sign-in failed');
      return toConsole(reply, 'expired');
    }
    const callbackUrl = new URL(request.url, attempt.redirectUri);
    let signedIn;
    try {
      signedIn = await client.exchange(callbackUrl, attempt);
    } catch (error) {
      metrics.signInsTotal.inc({ outcome: 'failed' });
      request.log.warn({ issuer: people.issuer, error: errorText(error) }, 'console sign-in failed');
      return toConsole(reply, 'failed');
    }
    const groups = groupsOf(signedIn.claims, people.groupsClaim);
    const identity = {
      kind: 'person' as const,
      key: `${people.issuer}#${signedIn.subject}`,
      subject: signedIn.subject,
      issuer: people.issuer,
      displayName: displayNameOf(signedIn.claims, people.nameClaims, signedIn.subject),
      groups,
    };
    const grant = grantFor(people.rules, signedIn.claims);
    if (!grant) {
      metrics.signInsTotal.inc({ outcome: 'no_access' });
      request.log.warn({ identity: identity.key, name: identity.displayName, groups }, 'console sign-in refused: no claim rule matches');
      return toConsole(reply, 'no-access');
    }
    const expiresAt = sessionExpiry({ now: at, maxAgeMs: people.sessionMaxAgeMs, idTokenExp: signedIn.idTokenExp, hasRefreshToken: signedIn.refreshToken !== undefined });
    const id = await store.create({
      identity,
      role: grant.role,
      namespaces: grant.namespaces,
      clusters: grant.clusters,
      csrfToken: randomId(),
      refreshToken: signedIn.refreshToken,
      idToken: signedIn.idToken,
      checkedAt: at,
      expiresAt,
    });
    metrics.signInsTotal.inc({ outcome: 'signed_in' });
    request.log.info(
      { identity: identity.key, name: identity.displayName, groups, role: grant.role, namespaces: grant.namespaces ?? null, rule: grant.rule, expiresAt: expiresAt.toISOString() },
      'console sign-in',
    );
    reply.setCookie(SESSION_COOKIE, id, { ...cookieBase(request), expires: expiresAt });
    return reply.redirect(attempt.returnTo, 303);
  });

  app.post(LOGOUT_PATH, { schema: { hide: true }, config: { rateLimited: true } }, async (request, reply) => {
    const id = request.cookies[SESSION_COOKIE];
    const session = id ? await store.find(id, now()) : undefined;
    reply.header('cache-control', 'no-store');
    if (session) {
      // A sign-out is a state change too: another site must not be able to end the session.
      const body = (request.body ?? {}) as Record<string, unknown>;
      const presented = request.headers[CSRF_HEADER] ?? (typeof body.csrf === 'string' ? body.csrf : undefined);
      if (!csrfTokenMatches(session.csrfToken, presented)) throw errors.csrfTokenInvalid(presented !== undefined);
      await store.delete(session.idDigest);
      metrics.signInsTotal.inc({ outcome: 'signed_out' });
      request.log.info({ identity: session.identity.key, name: session.identity.displayName }, 'console sign-out');
    }
    reply.clearCookie(SESSION_COOKIE, cookieBase(request));
    const providerLogout = session ? await client.endSessionUrl({ idToken: session.idToken, postLogoutRedirectUri: `${origin(request)}/ui/` }) : undefined;
    const next = providerLogout?.href ?? '/ui/?signIn=signed-out';
    // The console asks with fetch and goes there itself: its CSP (form-action 'self') would stop a form's
    // redirect to the provider. A plain form post is redirected.
    if ((request.headers.accept ?? '').includes('application/json')) return reply.send({ redirect: next });
    return reply.redirect(next, 303);
  });
}
