/**
 * A minimal fetch for HTTPS servers whose certificate cannot be verified (self-signed, private CA not in
 * the trust store). Node's global fetch (undici) can only skip verification through an undici `Agent`
 * dispatcher, and undici is not a dependency of this project, so this one case goes through `node:https`
 * with `rejectUnauthorized: false`. Only what the Prometheus client needs is supported: string bodies,
 * plain header records, an abort signal, and a fully buffered response body.
 */
import { Agent, request } from 'node:https';
import type { IncomingHttpHeaders } from 'node:http';

/** The part of a fetch request the Prometheus client uses. */
export interface HttpRequest {
  readonly method: 'GET' | 'POST';
  readonly headers: Record<string, string>;
  readonly body?: string;
  readonly signal?: AbortSignal;
}

/** What the Prometheus client needs from `fetch`; the global `fetch` satisfies it. */
export type FetchLike = (url: string, init: HttpRequest) => Promise<Response>;

/** Statuses for which the Response constructor refuses a body. */
const NULL_BODY_STATUSES = new Set([101, 103, 204, 205, 304]);

/**
 * A fetch that does not verify TLS certificates. Plain `http:` URLs are passed to the global fetch.
 * Use only for Prometheus endpoints the operator explicitly marked as insecure.
 *
 * @example
 * const client = new PrometheusClient({ baseUrl: 'https://prometheus.local', fetch: createInsecureFetch() });
 */
export function createInsecureFetch(): FetchLike {
  // keepAlive: an evaluation round sends many small queries to the same server.
  const agent = new Agent({ rejectUnauthorized: false, keepAlive: true });
  return (url, init) => {
    const target = new URL(url);
    if (target.protocol !== 'https:') return fetch(url, init);
    return new Promise<Response>((resolve, reject) => {
      let settled = false;
      const settle = (outcome: () => void): void => {
        if (settled) return;
        settled = true;
        init.signal?.removeEventListener('abort', onAbort);
        outcome();
      };
      const req = request(target, { method: init.method, headers: init.headers, agent }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error) => settle(() => reject(error)));
        res.on('end', () => {
          const status = res.statusCode ?? 502;
          const body = NULL_BODY_STATUSES.has(status) ? null : Buffer.concat(chunks);
          const init = { status, statusText: res.statusMessage ?? '', headers: toHeaders(res.headers) };
          settle(() => resolve(new Response(body, init)));
        });
      });
      const onAbort = (): void => {
        const reason: unknown = init.signal?.reason;
        req.destroy(reason instanceof Error ? reason : undefined);
        settle(() => reject(reason));
      };
      // Registered first: destroying the request on abort emits 'error', which must not go unhandled.
      req.on('error', (error) => settle(() => reject(new TypeError('fetch failed', { cause: error }))));
      if (init.signal?.aborted) {
        onAbort();
        return;
      }
      init.signal?.addEventListener('abort', onAbort, { once: true });
      if (init.body !== undefined) req.write(init.body);
      req.end();
    });
  };
}

function toHeaders(incoming: IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}
