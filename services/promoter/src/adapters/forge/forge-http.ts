/**
 * The one HTTP path both forge adapters take: JSON in and out, a deadline on every call, a bound on what
 * is read, and the forge's failures turned into {@link ForgeError}s an operator can act on. A forge's
 * answer is untrusted: it is read incrementally and abandoned past the bound, its text reaches a message
 * only as one short line without controls, and the token (sent in a header, never in a URL) is removed
 * from anything the forge might echo. Redirects are not followed blindly: fetch would carry the token's
 * header to wherever the Location points, so only a same-origin redirect of a read is followed.
 */
import { readTextAtMost } from '../bounded-body.js';
import { redact } from '../git/redact.js';
import { displayText } from '../../domain/display-text.js';
import { ForgeError } from './forge-client.js';

export const DEFAULT_FORGE_TIMEOUT_MS = 15_000;
export const DEFAULT_FORGE_MAX_RESPONSE_BYTES = 1024 * 1024;
/** Longest forge text kept in a message or a reason. */
const FORGE_TEXT_LIMIT = 300;
const MAX_REDIRECTS = 3;

export interface ForgeHttpOptions {
  /** For messages: `GitHub` or `GitLab`. */
  readonly forgeName: string;
  /** The API root, e.g. `https://api.github.com` or `https://gitlab.example.com/api/v4`, no trailing slash. */
  readonly apiUrl: string;
  /** What the operator configured as the project, named in the hint of a 404. */
  readonly project: string;
  /** The token, read at each call (a rotated Secret is picked up). */
  readonly token: () => Promise<string>;
  /** The headers that carry the token and say which API version is spoken. */
  readonly headers: (token: string) => Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** For tests; the global fetch by default. */
  readonly fetch?: typeof fetch;
}

export interface ForgeRequest {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH';
  /** Below the API root, already encoded, e.g. `/repos/team/deploy/pulls/7`. */
  readonly path: string;
  readonly query?: Readonly<Record<string, string>>;
  readonly body?: unknown;
  /**
   * Non-2xx statuses the caller maps itself (a duplicate pull request, a merge refused): returned instead
   * of thrown.
   */
  readonly expect?: readonly number[];
}

export interface ForgeResponse {
  readonly status: number;
  /** The parsed JSON body; undefined when there was none. */
  readonly body: unknown;
  /** What an error body says ({@link forgeMessage}), already made safe. */
  readonly message: string | undefined;
  /** {@link forgeText} with this call's token among the secrets: for any other string of the body. */
  readonly text: (value: string) => string;
}

const USER_AGENT = 'promoter (+https://github.com/ronaldraygun/promoter)';

export class ForgeHttp {
  readonly #options: ForgeHttpOptions;
  readonly #fetch: typeof fetch;
  readonly #origin: string;

  constructor(options: ForgeHttpOptions) {
    this.#options = options;
    this.#fetch = options.fetch ?? fetch;
    this.#origin = new URL(options.apiUrl).origin;
  }

  /** One call; a 2xx (or an `expect`ed status) is returned, anything else is thrown as a ForgeError. */
  async request(request: ForgeRequest): Promise<ForgeResponse> {
    const what = `${request.method} ${request.path}`;
    const token = await this.#options.token();
    const secrets = [token];
    const timeoutMs = this.#options.timeoutMs ?? DEFAULT_FORGE_TIMEOUT_MS;
    // One deadline for the whole exchange, redirects and body included: a forge that trickles bytes must
    // not hold a promotion step longer than a silent one.
    const signal = AbortSignal.timeout(timeoutMs);
    let url = this.#url(request);
    const init: RequestInit = {
      method: request.method,
      headers: {
        ...this.#options.headers(token),
        'User-Agent': USER_AGENT,
        ...(request.body === undefined ? {} : { 'Content-Type': 'application/json' }),
      },
      redirect: 'manual',
      signal,
      ...(request.body === undefined ? {} : { body: JSON.stringify(request.body) }),
    };
    try {
      for (let redirects = 0; ; redirects++) {
        const response = await this.#fetch(url, init);
        if (response.status >= 300 && response.status < 400) {
          await response.body?.cancel();
          url = this.#redirectTarget(response, url, request, what, redirects);
          continue;
        }
        const body = await this.#readBody(response, what, secrets);
        if ((response.status >= 200 && response.status < 300) || request.expect?.includes(response.status)) {
          return { status: response.status, body, message: forgeMessage(body, secrets), text: (value) => forgeText(value, secrets) };
        }
        throw this.#statusError(response, body, what, secrets);
      }
    } catch (error) {
      if (error instanceof ForgeError) throw error;
      if (signal.aborted) {
        throw new ForgeError(`${this.#options.forgeName} did not answer ${what} within ${timeoutMs} ms`, { retryable: true, cause: error });
      }
      // fetch rejects with a TypeError whose cause is the socket error; its code is what an operator needs.
      const cause = (error as { cause?: { code?: unknown; message?: unknown } }).cause;
      const detail = typeof cause?.code === 'string' ? cause.code : String((error as Error).message ?? error);
      throw new ForgeError(`${this.#options.forgeName} could not be reached for ${what}: ${forgeText(detail, secrets)}`, { retryable: true, cause: error });
    }
  }

  #url(request: ForgeRequest): string {
    const url = new URL(`${this.#options.apiUrl}${request.path}`);
    for (const [key, value] of Object.entries(request.query ?? {})) url.searchParams.set(key, value);
    return url.toString();
  }

  #redirectTarget(response: Response, from: string, request: ForgeRequest, what: string, redirects: number): string {
    const location = response.headers.get('location');
    const name = this.#options.forgeName;
    if (location === null) throw new ForgeError(`${name} answered ${what} with ${response.status} and no Location`, { retryable: false, status: response.status });
    let target: URL;
    try {
      target = new URL(location, from);
    } catch {
      throw new ForgeError(`${name} redirected ${what} to an address that is not a URL`, { retryable: false, status: response.status });
    }
    if (target.origin !== this.#origin) {
      throw new ForgeError(
        `${name} redirected ${what} to another origin (${forgeText(target.origin, [])}); the token is not sent there: check apiUrl (${this.#options.apiUrl})`,
        { retryable: false, status: response.status },
      );
    }
    // A redirected write would be replayed as a GET by 301/302/303 semantics; a write is never redirected
    // by the forges' APIs, so one that is means apiUrl is wrong.
    if (request.method !== 'GET') {
      throw new ForgeError(`${name} redirected ${what} (${response.status}); check apiUrl (${this.#options.apiUrl})`, { retryable: false, status: response.status });
    }
    if (redirects >= MAX_REDIRECTS) throw new ForgeError(`${name} redirected ${what} more than ${MAX_REDIRECTS} times`, { retryable: false, status: response.status });
    return target.toString();
  }

  async #readBody(response: Response, what: string, secrets: readonly string[]): Promise<unknown> {
    const limit = this.#options.maxResponseBytes ?? DEFAULT_FORGE_MAX_RESPONSE_BYTES;
    const tooLarge = () =>
      new ForgeError(`${this.#options.forgeName} answered ${what} with more than ${limit} bytes; the answer was not read`, { retryable: false, status: response.status });
    const declared = Number(response.headers.get('content-length'));
    if (Number.isFinite(declared) && declared > limit) {
      await response.body?.cancel();
      throw tooLarge();
    }
    if (response.body === null) return undefined;
    const text = await readTextAtMost(response, limit);
    if (text === undefined) throw tooLarge();
    if (text.trim() === '') return undefined;
    try {
      return JSON.parse(text) as unknown;
    } catch {
      // An error page from a proxy in front of the forge is HTML: its status says more than its body.
      if (response.status >= 500 || response.status === 429) return undefined;
      throw new ForgeError(
        `${this.#options.forgeName} answered ${what} with ${response.status} and a body that is not JSON (${forgeText(text.slice(0, 80), secrets)}): check apiUrl (${this.#options.apiUrl})`,
        { retryable: false, status: response.status },
      );
    }
  }

  #statusError(response: Response, body: unknown, what: string, secrets: readonly string[]): ForgeError {
    const { status } = response;
    const name = this.#options.forgeName;
    const said = forgeMessage(body, secrets);
    const saying = said === undefined ? '' : ` (${said})`;
    const retryAfter = response.headers.get('retry-after');
    const wait = retryAfter === null ? '' : `; it asks to retry after ${forgeText(retryAfter, secrets)} s`;
    // GitHub answers a spent rate limit with 403 and x-ratelimit-remaining: 0, or a secondary limit with
    // Retry-After: both pass with time, unlike a 403 for a missing permission.
    const rateLimited = status === 429 || (status === 403 && (response.headers.get('x-ratelimit-remaining') === '0' || retryAfter !== null));
    if (status >= 500 || rateLimited) {
      return new ForgeError(`${name} answered ${what} with ${status}${saying}${wait}`, { retryable: true, status });
    }
    const hint =
      status === 401
        ? 'check that the forge token (tokenFile or tokenEnv) is set, valid and not expired'
        : status === 403
          ? `check that the forge token may write pull requests in '${this.#options.project}'`
          : status === 404
            ? `check the project '${this.#options.project}' and apiUrl ${this.#options.apiUrl}, and that the token can see the project (a forge answers 404 for a private project the token cannot read)`
            : undefined;
    return new ForgeError(`${name} answered ${what} with ${status}${saying}${hint === undefined ? '' : `: ${hint}`}`, { retryable: false, status });
  }
}

/**
 * Forge text made fit for a message or reason: secrets removed, one line, no controls, at most ~300
 * characters.
 */
export function forgeText(text: string, secrets: readonly string[]): string {
  const line = displayText(redact(text, secrets)).trim();
  return line.length > FORGE_TEXT_LIMIT ? `${line.slice(0, FORGE_TEXT_LIMIT - 1)}…` : line;
}

/**
 * What an error body says, in either forge's shape: GitHub `{ message, errors: [{ message } | { code,
 * field }] }`, GitLab `{ message: "…" | ["…"] | { field: ["…"] } }` or `{ error: "…" }`.
 */
export function forgeMessage(body: unknown, secrets: readonly string[]): string | undefined {
  if (!isRecord(body)) return undefined;
  const parts: string[] = [];
  const add = (value: unknown, prefix = ''): void => {
    if (typeof value === 'string') parts.push(`${prefix}${value}`);
    else if (Array.isArray(value)) for (const item of value) add(item, prefix);
    else if (isRecord(value)) {
      if (typeof value.message === 'string') parts.push(`${prefix}${value.message}`);
      else if (typeof value.code === 'string') parts.push(`${prefix}${[value.resource, value.field, value.code].filter((p) => typeof p === 'string').join(' ')}`);
      else for (const [key, item] of Object.entries(value)) add(item, `${key}: `);
    }
  };
  add(body.message);
  add(body.error);
  add(body.errors);
  return parts.length === 0 ? undefined : forgeText(parts.join('; '), secrets);
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A field the forge must send, or a non-retryable ForgeError saying which one was missing. */
export function field<T>(value: unknown, name: string, forgeName: string, check: (v: unknown) => v is T): T {
  if (!check(value)) {
    throw new ForgeError(`${forgeName} answered without a valid '${name}'; check apiUrl points at the ${forgeName} API`, { retryable: false });
  }
  return value;
}

export const isString = (v: unknown): v is string => typeof v === 'string';
export const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v);
/** A commit id as Git prints it (SHA-1 or SHA-256, hex). */
export const isCommitId = (v: unknown): v is string => typeof v === 'string' && /^[0-9a-f]{7,64}$/.test(v);
/** A pull request's number (GitHub) or iid (GitLab): a positive whole number. */
export const isPullNumber = (v: unknown): v is number => isNumber(v) && v > 0;
/**
 * A page the forge links to (a pull request's html_url/web_url): it is stored, shown in reasons and
 * notifications and made a link in the console, so only a short http(s) URL without spaces or control
 * characters is taken.
 */
export const isPageUrl = (v: unknown): v is string => typeof v === 'string' && v.length <= 2048 && /^https?:\/\/[^\s\u0000-\u001f\u007f]+$/i.test(v);
/** A branch name as a forge echoes it: one short line. */
export const isBranchName = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 255 && !/[\s\u0000-\u001f\u007f]/.test(v);

/** A forge answered with a shape that is not the one its API documents: most often apiUrl is wrong. */
export function malformedAnswer(forgeName: string, what: string): ForgeError {
  return new ForgeError(`${forgeName} answered with something that is not a ${what}; check apiUrl points at the ${forgeName} API`, { retryable: false });
}

/** The first item of a list answer (undefined for an empty list). */
export function firstItem(body: unknown, forgeName: string, what: string): unknown {
  if (!Array.isArray(body)) throw malformedAnswer(forgeName, what);
  return body[0];
}
