/**
 * The signed-in session: either a bearer token (sessionStorage only: gone when the tab closes, never in a
 * URL or a cookie), or the service's own session cookie after sign-in through the OpenID provider (httpOnly:
 * this code never sees it; same-origin fetches carry it, and every request carries the session's CSRF token,
 * which the service requires on state changes). Who it is comes from the API (`GET /v1/me`). The console
 * hides what the role and namespaces cannot do; the API refuses it anyway.
 */
import { createPromoterClient, type OidcSignIn, type Principal, type PromoterClient } from '@promoter/sdk';

const TOKEN_KEY = 'promoter.token';

export type Role = Principal['role'];
const RANK: Record<Role, number> = { viewer: 1, operator: 2, admin: 3 };

export interface Session {
  readonly client: PromoterClient;
  readonly principal: Principal;
}

export function storedToken(): string | undefined {
  return sessionStorage.getItem(TOKEN_KEY) ?? undefined;
}

export function storeToken(token: string | undefined): void {
  if (token === undefined) sessionStorage.removeItem(TOKEN_KEY);
  else sessionStorage.setItem(TOKEN_KEY, token);
}

export function clientFor(token: string | undefined, csrfToken?: string): PromoterClient {
  // Same origin: the console is served by the service it talks to. Actions are never retried by the SDK.
  return createPromoterClient({ baseUrl: location.origin, token, retry: { attempts: 2 }, ...(csrfToken ? { headers: { 'x-csrf-token': csrfToken } } : {}) });
}

/**
 * Asks the API who the token (or, without one, the session cookie) is; rejects with the SDK's
 * PromoterError (401 for a bad token or no session).
 */
export async function openSession(token: string | undefined): Promise<Session> {
  const client = clientFor(token);
  const principal = await client.tokens.current();
  // A cookie session: the same client, now sending the session's CSRF token with every request.
  if (token === undefined && principal.session) return { client: clientFor(undefined, principal.session.csrfToken), principal };
  return { client, principal };
}

/** Whether the session is the service's cookie (signed in through the provider) rather than a token. */
export function isCookieSession(session: Session): boolean {
  return Boolean(session.principal.session);
}

/** The OpenID provider people sign in with, or null when only tokens are accepted (`GET /v1/sign-in`). */
export async function signInOptions(): Promise<OidcSignIn | null> {
  return (await clientFor(undefined).tokens.signInOptions()).oidc;
}

/** Ends a cookie session (and then the provider's, where it has a sign-out page): navigates away. */
export async function signOutOfProvider(session: Session, logoutUrl: string): Promise<void> {
  const response = await fetch(logoutUrl, {
    method: 'POST',
    headers: { accept: 'application/json', 'x-csrf-token': session.principal.session?.csrfToken ?? '' },
    credentials: 'same-origin',
  });
  const next = response.ok ? ((await response.json()) as { redirect?: string }).redirect : undefined;
  location.assign(next ?? '/ui/');
}

/** Whether the principal's role, namespaces and clusters allow an operation that needs `role` in `namespace` (of `cluster`). */
export function may(principal: Principal, role: Role, namespace?: string, cluster?: string): boolean {
  if (RANK[principal.role] < RANK[role]) return false;
  if (cluster !== undefined && principal.clusters && !principal.clusters.includes(cluster)) return false;
  if (namespace === undefined || principal.namespaces === null || principal.namespaces === undefined) return true;
  return principal.namespaces.includes(namespace);
}
