/**
 * The answers the fake gives before a request reaches the GitHub or GitLab routes, each in the forge's own
 * form: who the caller is (from its token header), 401, injected 5xx and 429 (with `Retry-After` and the
 * rate-limit headers each forge sends), 413 and 400 for bodies, and writing a response.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ForgeKind, ForgeState, ForgeUser } from './forge-state.js';
import { githubError } from './github-json.js';
import { gitlabMessage } from './gitlab-json.js';
import type { ApiResponse, FaultRule } from './http.js';

/** GitHub: `Authorization: Bearer|token <t>`; GitLab: `PRIVATE-TOKEN: <t>` or `Authorization: Bearer <t>`. */
export function authenticate(kind: ForgeKind, state: ForgeState, req: IncomingMessage): ForgeUser | undefined {
  const header = req.headers.authorization ?? '';
  const scheme = kind === 'github' ? /^(?:Bearer|token)\s+(\S+)$/i : /^Bearer\s+(\S+)$/i;
  const fromHeader = scheme.exec(header)?.[1];
  const privateToken = kind === 'gitlab' ? req.headers['private-token'] : undefined;
  const token = fromHeader ?? (typeof privateToken === 'string' ? privateToken : undefined);
  return token === undefined ? undefined : state.userByToken(token);
}

export function unauthorized(kind: ForgeKind, sentCredentials: boolean): ApiResponse {
  return kind === 'github' ? githubError(401, sentCredentials ? 'Bad credentials' : 'Requires authentication') : gitlabMessage(401, '401 Unauthorized');
}

export function injectedResponse(kind: ForgeKind, rule: FaultRule, user: ForgeUser | undefined): ApiResponse {
  const headers: Record<string, string> = rule.retryAfter === undefined ? {} : { 'Retry-After': String(rule.retryAfter) };
  if (rule.status === 429) {
    const reset = String(Math.floor(Date.now() / 1000) + (rule.retryAfter ?? 60));
    if (kind === 'github') {
      return {
        ...githubError(429, `API rate limit exceeded for user ID ${user?.id ?? 0}.`, {}, 'https://docs.github.com/rest/overview/rate-limits-for-the-rest-api'),
        headers: { ...headers, 'X-RateLimit-Limit': '5000', 'X-RateLimit-Remaining': '0', 'X-RateLimit-Reset': reset },
      };
    }
    // GitLab's rate limiter answers in plain text.
    return { status: 429, body: 'Retry later\n', headers: { ...headers, 'RateLimit-Limit': '600', 'RateLimit-Remaining': '0', 'RateLimit-Reset': reset } };
  }
  return { ...serverError(kind, rule.status), headers };
}

export function notFound(kind: ForgeKind): ApiResponse {
  return kind === 'github' ? githubError(404, 'Not Found') : gitlabMessage(404, '404 Not Found');
}

/** The path's segments, percent-decoded; undefined when one is not valid percent-encoding. */
export function pathSegments(pathname: string): string[] | undefined {
  try {
    return pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return undefined;
  }
}

/** Neither forge echoes internals in a 5xx. */
export function serverError(kind: ForgeKind, status: number): ApiResponse {
  return kind === 'github' ? githubError(status, 'Server Error') : gitlabMessage(status, `${status} ${status === 500 ? 'Internal Server Error' : 'Server Error'}`);
}

export function bodyRefused(kind: ForgeKind, status: 400 | 413): ApiResponse {
  if (status === 413) return kind === 'github' ? githubError(413, 'Payload Too Large') : gitlabMessage(413, '413 Request Entity Too Large');
  return kind === 'github' ? githubError(400, 'Problems parsing JSON') : { status: 400, body: { error: 'The provided content-type is not supported or the body is not valid JSON' } };
}

/** Writes JSON (or plain text for a string body, or nothing for an undefined one). */
export function send(res: ServerResponse, response: ApiResponse): void {
  if (response.body === undefined) {
    res.writeHead(response.status, { ...response.headers });
    res.end();
    return;
  }
  const text = typeof response.body === 'string' ? response.body : JSON.stringify(response.body);
  const type = typeof response.body === 'string' ? 'text/plain; charset=utf-8' : 'application/json; charset=utf-8';
  res.writeHead(response.status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text), ...response.headers });
  res.end(text);
}

/** The query string for the log, without credentials a client may put there (GitLab's `private_token`). */
export function withoutTokens(query: URLSearchParams): string {
  const kept = new URLSearchParams(query);
  for (const name of ['private_token', 'access_token', 'job_token']) kept.delete(name);
  return kept.toString();
}
