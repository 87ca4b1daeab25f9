/**
 * The signed-in session: the bearer token (sessionStorage only: gone when the tab closes, never in a URL
 * or a cookie) and who it is according to the API (`GET /v1/me`). The console hides what the role cannot
 * do; the API refuses it anyway.
 */
import { createPromoterClient, type Principal, type PromoterClient } from '@promoter/sdk';

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

export function clientFor(token: string | undefined): PromoterClient {
  // Same origin: the console is served by the service it talks to. Actions are never retried by the SDK.
  return createPromoterClient({ baseUrl: location.origin, token, retry: { attempts: 2 } });
}

/** Asks the API who the token is; rejects with the SDK's PromoterError (401 for a bad token). */
export async function openSession(token: string | undefined): Promise<Session> {
  const client = clientFor(token);
  const principal = await client.tokens.current();
  return { client, principal };
}

/** Whether the principal's role and namespaces allow an operation that needs `role` in `namespace`. */
export function may(principal: Principal, role: Role, namespace?: string): boolean {
  if (RANK[principal.role] < RANK[role]) return false;
  if (namespace === undefined || principal.namespaces === null || principal.namespaces === undefined) return true;
  return principal.namespaces.includes(namespace);
}
