/**
 * The decisions of a console session that need no I/O: where a sign-in may return to, how long a session
 * lasts, when it is checked with the provider again, when the CSRF token is required and whether it matches,
 * and whether the cookie must be Secure.
 */
import { identityName } from './claim-rules.js';
import { createHash, timingSafeEqual } from 'node:crypto';

export const DEFAULT_RETURN_TO = '/ui/';
const MAX_RETURN_TO = 2_000;

/**
 * A path on this service to send the browser back to after sign-in. Anything else (another origin, a
 * scheme-relative `//host`, a backslash that browsers read as a slash, control characters) is refused and
 * the console's home is used instead, so the sign-in is never an open redirect.
 */
export function safeReturnTo(value: unknown): string {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_RETURN_TO) return DEFAULT_RETURN_TO;
  if (!value.startsWith('/') || value.startsWith('//') || value.includes('\\')) return DEFAULT_RETURN_TO;
  // Control characters: a newline would split the Location header, a tab is dropped by URL parsers.
  if (/[\u0000-\u001f\u007f]/.test(value)) return DEFAULT_RETURN_TO;
  const base = 'http://promoter.invalid';
  let parsed: URL;
  try {
    parsed = new URL(value, base);
  } catch {
    return DEFAULT_RETURN_TO;
  }
  if (parsed.origin !== base) return DEFAULT_RETURN_TO;
  return `${parsed.pathname}${parsed.search}${parsed.hash}`;
}

/**
 * When a new session ends: at the latest after `maxAgeMs`. Without a refresh token nothing can tell later
 * whether the person's session at the provider still holds, so it also ends with the ID token (`exp`, in
 * seconds); with one, the provider is asked again every few minutes instead (needsCheck).
 */
export function sessionExpiry(input: { now: Date; maxAgeMs: number; idTokenExp: number | undefined; hasRefreshToken: boolean }): Date {
  const longest = input.now.getTime() + input.maxAgeMs;
  if (input.hasRefreshToken || input.idTokenExp === undefined) return new Date(longest);
  return new Date(Math.min(longest, input.idTokenExp * 1000));
}

/** Whether the provider is to be asked again (with the refresh token) before this request is served. */
export function needsCheck(session: { refreshToken: string | undefined; checkedAt: Date }, now: Date, recheckMs: number): boolean {
  return session.refreshToken !== undefined && now.getTime() - session.checkedAt.getTime() >= recheckMs;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Every method that may change something needs the session's CSRF token when the cookie authenticates it. */
export function needsCsrfToken(method: string): boolean {
  return !SAFE_METHODS.has(method.toUpperCase());
}

/** Compares as digests, so neither the content nor the length of the token leaks through timing. */
export function csrfTokenMatches(expected: string, presented: string | string[] | undefined): boolean {
  if (typeof presented !== 'string' || presented === '') return false;
  const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest();
  return timingSafeEqual(digest(expected), digest(presented));
}

/** Secure when the service is reached over https: its public URL says so, or this request came over TLS. */
export function cookieSecure(publicUrl: string | undefined, requestProtocol: string): boolean {
  return requestProtocol === 'https' || (publicUrl !== undefined && publicUrl.startsWith('https:'));
}

/** The first of `nameClaims` that is a non-empty string; the subject otherwise. */
export function displayNameOf(claims: Readonly<Record<string, unknown>>, nameClaims: readonly string[], subject: string): string {
  for (const name of nameClaims) {
    const value = claims[name];
    if (typeof value === 'string' && value.trim() !== '') return identityName(value);
  }
  return identityName(subject);
}
