/**
 * POSTs a JSON payload to a check's webhook (e.g. a functional test suite). 2xx passes; other statuses
 * fail; no answer after the retries is an error. Network errors, timeouts and 5xx are retried with backoff.
 *
 * The service holds the keys to production, so what it calls is the operator's decision, not the policy
 * author's: a URL must start with an entry of PROMOTER_WEBHOOK_ALLOWED_URLS (none: no webhook is called),
 * and every address its host resolves to is checked after DNS, on the connection itself (no rebinding
 * between check and connect): loopback, link-local (the cloud metadata endpoints), unspecified and the
 * same disguised as IPv4-mapped or NAT64 IPv6 are refused unless the matching allow-list entry names that
 * address (or `localhost`) itself. The answer is read up to a limit, and only a short, sanitised excerpt
 * of it is kept; timeouts are capped.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { counted } from '../../domain/counted.js';

export interface WebhookResponse {
  readonly status: number;
  /** A sanitised excerpt of the answer (at most EXCERPT_CHARS printable characters). */
  readonly body: string;
  readonly attempts: number;
}

export interface WebhookRequest {
  readonly url: string;
  readonly payload: unknown;
  readonly headers?: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly retries: number;
}

export interface WebhookClientOptions {
  /** URL prefixes that may be called (PROMOTER_WEBHOOK_ALLOWED_URLS). Empty or absent: none. */
  readonly allowedUrls?: readonly string[];
  /** PROMOTER_WEBHOOK_SECRET_* values, for header values written as ${env:NAME}. */
  readonly secrets?: Readonly<Record<string, string>>;
  readonly baseDelayMs?: number;
  /** How much of an answer is read; the rest is dropped with the connection. */
  readonly maxBodyBytes?: number;
  /** The longest one attempt may take, whatever the policy says. */
  readonly maxTimeoutMs?: number;
  /** Name resolution, for tests (defaults to the system resolver). */
  readonly lookup?: typeof dnsLookup;
}

export const WEBHOOK_LIMITS = { maxBodyBytes: 64 * 1024, maxTimeoutMs: 600_000, excerptChars: 200, maxRetries: 3 } as const;

export class WebhookError extends Error {
  constructor(message: string, readonly attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookError';
  }
}

/** Refused before any attempt: retrying would not help. */
class WebhookRefused extends Error {}

const SECRET_REFERENCE = /^\$\{env:([A-Za-z0-9_]+)\}$/;

export function isSecretReference(value: string): boolean {
  return SECRET_REFERENCE.test(value);
}

export class WebhookClient {
  readonly #allowed: readonly URL[];
  readonly #secrets: Readonly<Record<string, string>>;
  readonly #baseDelayMs: number;
  readonly #maxBodyBytes: number;
  readonly #maxTimeoutMs: number;
  readonly #lookup: typeof dnsLookup;

  constructor(options: WebhookClientOptions = {}) {
    this.#allowed = (options.allowedUrls ?? []).map((entry) => new URL(entry));
    this.#secrets = options.secrets ?? {};
    this.#baseDelayMs = options.baseDelayMs ?? 500;
    this.#maxBodyBytes = options.maxBodyBytes ?? WEBHOOK_LIMITS.maxBodyBytes;
    this.#maxTimeoutMs = options.maxTimeoutMs ?? WEBHOOK_LIMITS.maxTimeoutMs;
    this.#lookup = options.lookup ?? dnsLookup;
  }

  /** Why a URL may not be called (undefined when it may), for refusing a policy when it is stored. */
  refusal(url: string): string | undefined {
    const refused = this.#match(url);
    return 'refused' in refused ? refused.refused : undefined;
  }

  async post(request: WebhookRequest): Promise<WebhookResponse> {
    const shown = describeUrl(request.url);
    const timeoutMs = Math.min(request.timeoutMs, this.#maxTimeoutMs);
    const retries = Math.min(request.retries, WEBHOOK_LIMITS.maxRetries);
    let lastError: unknown;
    try {
      const match = this.#match(request.url);
      if ('refused' in match) throw new WebhookRefused(match.refused);
      const headers = this.#headers(request.headers ?? {});
      const body = JSON.stringify(request.payload);
      for (let attempt = 1; attempt <= retries + 1; attempt++) {
        try {
          const response = await this.#send(match.url, match.explicit, headers, body, timeoutMs);
          if (response.status < 500 || attempt > retries) return { ...response, attempts: attempt };
          lastError = new Error(`HTTP ${response.status}`);
        } catch (error) {
          if (error instanceof WebhookRefused) throw error;
          lastError = error;
        }
        if (attempt <= retries) await new Promise((resolve) => setTimeout(resolve, this.#baseDelayMs * 2 ** (attempt - 1)));
      }
    } catch (error) {
      if (error instanceof WebhookRefused) throw new WebhookError(`webhook ${shown} refused: ${error.message}`, 0, { cause: error });
      throw error;
    }
    const reason = lastError instanceof Error ? (lastError.name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : lastError.message) : String(lastError);
    throw new WebhookError(`webhook ${shown} failed after ${counted(retries + 1, 'attempt')}: ${reason}`, retries + 1, { cause: lastError });
  }

  #match(raw: string): { url: URL; explicit: ExplicitAddresses } | { refused: string } {
    if (!URL.canParse(raw)) return { refused: 'not a URL' };
    const url = new URL(raw);
    if (url.protocol !== 'http:' && url.protocol !== 'https:') return { refused: 'only http:// and https:// URLs are called' };
    if (url.username !== '' || url.password !== '') return { refused: 'a webhook URL must not hold credentials; send them as a header' };
    const entry = this.#allowed.find((allowed) => allowed.protocol === url.protocol && allowed.host === url.host && url.pathname.startsWith(allowed.pathname));
    if (!entry) {
      return {
        refused:
          this.#allowed.length === 0
            ? 'no webhook URL is allowed (the operator sets PROMOTER_WEBHOOK_ALLOWED_URLS)'
            : `the URL matches no entry of PROMOTER_WEBHOOK_ALLOWED_URLS (${this.#allowed.map((a) => a.href).join(', ')})`,
      };
    }
    const host = stripBrackets(entry.hostname);
    return { url, explicit: { address: isIP(host) ? normalizeAddress(host) : undefined, localhost: host === 'localhost' } };
  }

  #headers(given: Readonly<Record<string, string>>): Record<string, string> {
    const headers: Record<string, string> = {};
    for (const [name, value] of Object.entries(given)) {
      const reference = SECRET_REFERENCE.exec(value);
      if (!reference) {
        headers[name] = value;
        continue;
      }
      const variable = reference[1] ?? '';
      const secret = variable.startsWith('PROMOTER_WEBHOOK_SECRET_') ? this.#secrets[variable] : undefined;
      if (secret === undefined) throw new WebhookRefused(`header ${name} references ${variable}, which is not set (only PROMOTER_WEBHOOK_SECRET_* variables can be referenced)`);
      headers[name] = secret;
    }
    return headers;
  }

  #send(url: URL, explicit: ExplicitAddresses, headers: Record<string, string>, body: string, timeoutMs: number): Promise<{ status: number; body: string }> {
    const host = stripBrackets(url.hostname);
    if (isIP(host)) {
      const refused = addressRefusal(normalizeAddress(host), explicit);
      if (refused) return Promise.reject(new WebhookRefused(refused));
    }
    const lookup = checkedLookup(this.#lookup, explicit);
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const maxBytes = this.#maxBodyBytes;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        const error = new Error(`no answer within ${timeoutMs} ms`);
        error.name = 'TimeoutError';
        outgoing.destroy(error);
      }, timeoutMs);
      const finish = (error: unknown, result?: { status: number; body: string }) => {
        clearTimeout(timer);
        if (error) reject(error);
        else resolve(result as { status: number; body: string });
      };
      const outgoing = send(
        url,
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'promoter-webhook/1', ...headers, 'content-length': Buffer.byteLength(body) },
          lookup,
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = [];
          let size = 0;
          const done = () => finish(null, { status: response.statusCode ?? 0, body: excerpt(Buffer.concat(chunks).toString('utf8')) });
          response.on('data', (chunk: Buffer) => {
            if (size >= maxBytes) return;
            chunks.push(chunk.subarray(0, maxBytes - size));
            size += chunk.length;
            // Enough for the record: stop reading and drop the connection instead of buffering the rest.
            if (size >= maxBytes) {
              response.destroy();
              done();
            }
          });
          response.on('end', done);
          response.on('error', (error) => (size >= maxBytes ? done() : finish(error)));
        },
      );
      outgoing.on('error', (error) => finish(error));
      outgoing.end(body);
    });
  }
}

interface ExplicitAddresses {
  /** The allow-list entry names this address itself. */
  readonly address: string | undefined;
  /** The allow-list entry names `localhost`: loopback is meant. */
  readonly localhost: boolean;
}

/** A lookup that refuses the connection when a resolved address is one the service must not call. */
function checkedLookup(lookup: typeof dnsLookup, explicit: ExplicitAddresses): LookupFunction {
  return (hostname, options, callback) => {
    lookup(hostname, { ...options, all: true }, (error, addresses) => {
      if (error) return callback(error, '', 0);
      const list = addresses as unknown as LookupAddress[];
      for (const { address } of list) {
        const refused = addressRefusal(normalizeAddress(address), explicit);
        if (refused) return callback(new WebhookRefused(`${hostname} resolves to ${refused}`), '', 0);
      }
      const first = list[0];
      if (!first) return callback(new Error(`${hostname} has no address`), '', 0);
      // net asks for all addresses when it races IPv4 and IPv6 (autoSelectFamily).
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, list);
      callback(null, first.address, first.family);
    });
  };
}

/** Why the service must not connect to this address, or undefined. */
export function addressRefusal(address: string, explicit: ExplicitAddresses = { address: undefined, localhost: false }): string | undefined {
  if (explicit.address !== undefined && explicit.address === address) return undefined;
  const v4 = isIP(address) === 4 ? address : embeddedIPv4(address);
  if (v4 !== undefined) {
    const [a, b] = v4.split('.').map(Number);
    if (a === 127) return explicit.localhost ? undefined : `a loopback address (${address})`;
    if (a === 0) return `an unspecified address (${address})`;
    if (a === 169 && b === 254) return `a link-local address, where cloud metadata lives (${address})`;
    if (v4 === '100.100.100.200') return `a cloud metadata address (${address})`;
    return undefined;
  }
  const groups = expandIPv6(address);
  if (!groups) return `an unreadable address (${address})`;
  if (groups.every((g) => g === 0)) return `an unspecified address (${address})`;
  if (groups.slice(0, 7).every((g) => g === 0) && groups[7] === 1) return explicit.localhost ? undefined : `a loopback address (${address})`;
  if (((groups[0] ?? 0) & 0xffc0) === 0xfe80) return `a link-local address (${address})`;
  if (groups.join(':') === [0xfd00, 0xec2, 0, 0, 0, 0, 0, 0x254].join(':')) return `a cloud metadata address (${address})`;
  return undefined;
}

/** The IPv4 address inside an IPv4-mapped (::ffff:a.b.c.d), IPv4-compatible or NAT64 (64:ff9b::/96) one. */
function embeddedIPv4(address: string): string | undefined {
  const groups = expandIPv6(address);
  if (!groups) return undefined;
  const mapped = groups.slice(0, 5).every((g) => g === 0) && (groups[5] === 0xffff || groups[5] === 0);
  const nat64 = groups[0] === 0x64 && groups[1] === 0xff9b && groups.slice(2, 6).every((g) => g === 0);
  if (!mapped && !nat64) return undefined;
  if (mapped && groups[5] === 0 && (groups[6] ?? 0) === 0) return undefined; // :: and ::1 are IPv6's own
  const high = groups[6] ?? 0;
  const low = groups[7] ?? 0;
  return [high >> 8, high & 0xff, low >> 8, low & 0xff].join('.');
}

function expandIPv6(address: string): number[] | undefined {
  let text = address.toLowerCase().split('%')[0] ?? '';
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text);
  if (dotted?.[1]) {
    const [a, b, c, d] = dotted[1].split('.').map(Number) as [number, number, number, number];
    text = text.slice(0, -dotted[1].length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head, tail] = text.includes('::') ? (text.split('::') as [string, string]) : [text, undefined];
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => parseInt(g, 16)));
  const front = parse(head);
  const back = tail === undefined ? [] : parse(tail);
  const groups = tail === undefined ? front : [...front, ...Array<number>(8 - front.length - back.length).fill(0), ...back];
  return groups.length === 8 && groups.every((g) => Number.isInteger(g) && g >= 0 && g <= 0xffff) ? groups : undefined;
}

function normalizeAddress(address: string): string {
  return isIP(address) === 6 ? (expandIPv6(address)?.map((g) => g.toString(16)).join(':') ?? address) : address;
}

function stripBrackets(hostname: string): string {
  return hostname.startsWith('[') && hostname.endsWith(']') ? hostname.slice(1, -1) : hostname;
}

/** The URL without its query (which may carry a token) for messages. */
function describeUrl(raw: string): string {
  if (!URL.canParse(raw)) return '(unreadable URL)';
  const url = new URL(raw);
  return `${url.protocol}//${url.host}${url.pathname}`;
}

/** The start of an answer, as plain printable text: no control characters, markup left as text, short. */
export function excerpt(text: string): string {
  const printable = text.replace(/[^\x20-\x7e\u00a0-\uffff]+/g, ' ').replace(/\s+/g, ' ').trim();
  return printable.length > WEBHOOK_LIMITS.excerptChars ? `${printable.slice(0, WEBHOOK_LIMITS.excerptChars - 1)}…` : printable;
}
