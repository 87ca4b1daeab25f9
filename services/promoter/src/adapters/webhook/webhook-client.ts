/**
 * POSTs a JSON payload to a check's webhook (e.g. a functional test suite). 2xx passes; other statuses
 * fail; no answer after the retries is an error. Network errors, timeouts and 5xx are retried with backoff.
 */
export interface WebhookResponse {
  readonly status: number;
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

export class WebhookError extends Error {
  constructor(message: string, readonly attempts: number, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'WebhookError';
  }
}

export class WebhookClient {
  readonly #fetch: typeof fetch;
  readonly #baseDelayMs: number;

  constructor(options: { fetch?: typeof fetch; baseDelayMs?: number } = {}) {
    this.#fetch = options.fetch ?? fetch;
    this.#baseDelayMs = options.baseDelayMs ?? 500;
  }

  async post(request: WebhookRequest): Promise<WebhookResponse> {
    let lastError: unknown;
    for (let attempt = 1; attempt <= request.retries + 1; attempt++) {
      try {
        const response = await this.#fetch(request.url, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'user-agent': 'promoter-webhook/1', ...request.headers },
          body: JSON.stringify(request.payload),
          signal: AbortSignal.timeout(request.timeoutMs),
          redirect: 'error',
        });
        // Keep a little of the body for the record: a test suite's summary is useful, its full log is not.
        const body = (await response.text()).slice(0, 2000);
        if (response.status < 500 || attempt > request.retries) return { status: response.status, body, attempts: attempt };
        lastError = new Error(`HTTP ${response.status}`);
      } catch (error) {
        lastError = error;
      }
      if (attempt <= request.retries) await new Promise((resolve) => setTimeout(resolve, this.#baseDelayMs * 2 ** (attempt - 1)));
    }
    const reason = lastError instanceof Error ? (lastError.name === 'TimeoutError' ? `no answer within ${request.timeoutMs} ms` : lastError.message) : String(lastError);
    throw new WebhookError(`webhook ${request.url} failed after ${request.retries + 1} attempts: ${reason}`, request.retries + 1, { cause: lastError });
  }
}
