/**
 * The one place requests leave the SDK: an openapi-fetch client plus what every call needs on top of it:
 * auth, per-attempt timeouts, errors turned into PromoterError / PromoterNetworkError, and retries.
 */
import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/promoter.js';
import { PromoterAbortError, PromoterError, PromoterNetworkError, problemFromResponse } from './errors.js';
import type { PromoterClientOptions, TokenProvider } from './client.js';
import { DEFAULT_RETRY, withRetry, type RetryMode, type RetryOptions } from './retry.js';

/** The fetch the SDK calls: the global `fetch`, or any function that takes a Request. */
export type FetchFunction = (input: Request) => Promise<Response>;

/** Per-call options every method accepts. */
export interface CallOptions {
  /** Stops the call (and its retries); the call then rejects with PromoterAbortError. */
  readonly signal?: AbortSignal | undefined;
  /** Extra headers for this call. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
}

/** What `send` hands to an operation: pass all three to openapi-fetch's init. */
export interface CallInit {
  readonly signal: AbortSignal;
  readonly headers: Record<string, string>;
  readonly fetch: FetchFunction;
}

/** What a call to openapi-fetch gives back, in the shape shared by every operation. */
interface RawResult {
  readonly data?: unknown;
  readonly error?: unknown;
  readonly response: Response;
}

// The success branch's body. NonNullable: an operation that declares no error response makes openapi-fetch
// widen `data` with undefined, though a 2xx of such an operation always has its body.
type SuccessData<R extends RawResult> = NonNullable<Extract<R, { error?: never }>['data']>;

/** Carries a token provider's own error past openapi-fetch, to be rethrown unchanged (`error.cause`). */
export class TokenProviderFailure extends Error {
  constructor(cause: unknown) {
    super('the token provider failed', { cause });
  }
}

export class Transport {
  readonly baseUrl: string;
  readonly api: Client<paths, 'application/json'>;
  readonly retry: RetryOptions;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly #fetch: FetchFunction;
  readonly #token: TokenProvider | undefined;

  constructor(options: PromoterClientOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, '');
    this.#fetch = options.fetch ?? ((request) => globalThis.fetch(request));
    this.retry = options.retry === false ? { ...DEFAULT_RETRY, attempts: 1 } : { ...DEFAULT_RETRY, ...options.retry };
    this.timeoutMs = options.timeoutMs ?? 30_000;
    this.headers = {
      accept: 'application/json, application/problem+json',
      ...options.headers,
      ...(typeof options.token === 'string' && options.token !== '' ? { authorization: `Bearer ${options.token}` } : {}),
    };
    this.#token = typeof options.token === 'function' ? options.token : undefined;
    this.api = createClient<paths, 'application/json'>({ baseUrl: this.baseUrl, headers: this.headers, fetch: (request) => this.fetch(request) });
  }

  /**
   * fetch with the SDK's error types: a thrown fetch becomes PromoterNetworkError, or PromoterAbortError
   * when the caller's signal stopped it. Used by openapi-fetch and by the event stream.
   */
  async fetch(request: Request, callerSignal?: AbortSignal): Promise<Response> {
    if (this.#token) {
      let token: string;
      try {
        token = (await this.#token()).trim();
      } catch (error) {
        // The caller's own token provider failed: its error reaches the caller as it is, not as a network failure.
        throw new TokenProviderFailure(error);
      }
      if (token !== '') request.headers.set('authorization', `Bearer ${token}`);
    }
    try {
      return await this.#fetch(request);
    } catch (error) {
      throw this.#wrapFailure(error, request, callerSignal);
    }
  }

  /**
   * Runs one operation with retries. `call` receives the signal of the attempt (the caller's signal plus
   * the per-attempt timeout) and must hand it to openapi-fetch.
   */
  async send<R extends RawResult>(
    call: (init: CallInit) => Promise<R>,
    options: CallOptions & { mode: RetryMode },
  ): Promise<{ data: SuccessData<R>; response: Response }> {
    const callerSignal = options.signal;
    return withRetry(
      async () => {
        if (callerSignal?.aborted) throw new PromoterAbortError('the request was aborted', callerSignal.reason);
        const timeout = AbortSignal.timeout(this.timeoutMs);
        const signal = callerSignal ? AbortSignal.any([callerSignal, timeout]) : timeout;
        let sent: Request | undefined;
        const fetch = (request: Request) => {
          sent = request;
          return this.fetch(request);
        };
        let result: R;
        try {
          result = await call({ signal, headers: { ...options.headers }, fetch });
        } catch (error) {
          // Whatever failed, the caller's abort comes first (openapi-fetch built the Request itself, so an
          // abort may arrive here looking like a network failure or a timeout).
          if (callerSignal?.aborted) throw new PromoterAbortError('the request was aborted', callerSignal.reason);
          if (error instanceof TokenProviderFailure) throw error.cause;
          if (error instanceof PromoterNetworkError || error instanceof PromoterAbortError || error instanceof SyntaxError) throw error;
          // Reading the body failed half-way (connection reset) or the timeout hit while reading it.
          throw new PromoterNetworkError({ method: sent?.method ?? 'GET', url: sent?.url ?? this.baseUrl, cause: error, timedOut: timeout.aborted });
        }
        const { response } = result;
        if (!response.ok) throw problemFromResponse(response, result.error, sent?.method);
        return { data: result.data as SuccessData<R>, response };
      },
      { mode: options.mode, retry: this.retry, signal: callerSignal },
    );
  }

  #wrapFailure(error: unknown, request: Request, callerSignal: AbortSignal | undefined): Error {
    if (error instanceof PromoterError || error instanceof PromoterNetworkError || error instanceof PromoterAbortError) return error;
    if (callerSignal?.aborted) return new PromoterAbortError(`${request.method} ${request.url} was aborted`, callerSignal.reason);
    // An abort that is not the caller's comes from the per-attempt timeout.
    const timedOut = request.signal.aborted || (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError'));
    return new PromoterNetworkError({ method: request.method, url: request.url, cause: error, timedOut });
  }
}
