/**
 * The one error type of the Kubernetes adapter: a stable `code` the engine branches on, whether trying
 * again later can help (`retryable`), and a message that names the object and, for 403, the permission,
 * taken from the API server's Status body.
 */
import { AbortError, ApiException, FetchError } from '@kubernetes/client-node';
import type { DeploymentRef } from './types.js';

export type KubernetesErrorCode = 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'unavailable' | 'timeout' | 'unknown';

/** What the adapter was doing: `get deployment`, `patch deployment`, `scale deployment`. */
export type KubernetesOperation = 'get' | 'patch' | 'scale';

/** The parts of a Kubernetes `Status` body the adapter reads. */
export interface KubernetesStatus {
  readonly message?: string;
  readonly reason?: string;
  readonly code?: number;
  readonly details?: { readonly name?: string; readonly kind?: string; readonly causes?: ReadonlyArray<{ readonly message?: string; readonly field?: string }> };
}

export class KubernetesError extends Error {
  readonly code: KubernetesErrorCode;
  /** HTTP status, when the API server answered. */
  readonly status: number | undefined;
  /** The Status `reason` (NotFound, Forbidden, Conflict, Invalid, ...), when the API server sent one. */
  readonly reason: string | undefined;
  /** Whether the same call may succeed later (outages, timeouts, optimistic-lock conflicts). */
  readonly retryable: boolean;
  readonly operation: KubernetesOperation;
  readonly target: DeploymentRef;

  constructor(init: {
    code: KubernetesErrorCode;
    message: string;
    operation: KubernetesOperation;
    target: DeploymentRef;
    status?: number;
    reason?: string;
    retryable?: boolean;
    cause?: unknown;
  }) {
    super(`${init.operation} deployment ${init.target.namespace}/${init.target.name}: ${init.message}`, { cause: init.cause });
    this.name = 'KubernetesError';
    this.code = init.code;
    this.status = init.status;
    this.reason = init.reason;
    this.retryable = init.retryable ?? (init.code === 'unavailable' || init.code === 'timeout');
    this.operation = init.operation;
    this.target = init.target;
  }
}

/** Raised by the adapter's own deadline, distinct from any timeout the server reports. */
export class AttemptTimeoutError extends Error {
  readonly timeoutMs: number;
  constructor(timeoutMs: number) {
    super(`no answer from the Kubernetes API within ${timeoutMs} ms`);
    this.name = 'AttemptTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** The Status body of an ApiException (client-node hands it over as text), if it is one. */
export function statusOf(err: ApiException<unknown>): KubernetesStatus | undefined {
  const raw: unknown = err.body;
  const text = typeof raw === 'string' ? raw : Buffer.isBuffer(raw) ? raw.toString('utf8') : undefined;
  if (text === undefined) return typeof raw === 'object' && raw !== null ? (raw as KubernetesStatus) : undefined;
  try {
    const parsed: unknown = JSON.parse(text);
    return typeof parsed === 'object' && parsed !== null ? (parsed as KubernetesStatus) : undefined;
  } catch {
    return undefined;
  }
}

function codeForHttpStatus(status: number): KubernetesErrorCode {
  if (status === 401 || status === 403) return 'forbidden';
  if (status === 404) return 'not_found';
  if (status === 409) return 'conflict';
  if (status === 400 || status === 422) return 'invalid';
  if (status === 504) return 'timeout';
  if (status === 429 || status >= 500) return 'unavailable';
  return 'unknown';
}

/** Maps anything a client-node call can throw to a KubernetesError. */
export function toKubernetesError(err: unknown, operation: KubernetesOperation, target: DeploymentRef): KubernetesError {
  if (err instanceof KubernetesError) return err;
  const base = { operation, target, cause: err };
  if (err instanceof ApiException) {
    const status = statusOf(err);
    const code = codeForHttpStatus(err.code);
    const message =
      err.code === 401
        ? `unauthorized: the API server rejected the credentials (${status?.message ?? 'no details'})`
        : (status?.message ?? `the API server answered HTTP ${err.code}`);
    return new KubernetesError({
      ...base,
      code,
      message,
      status: err.code,
      ...(status?.reason === undefined ? {} : { reason: status.reason }),
      // 409 is an optimistic-lock failure: reading again and retrying can succeed.
      retryable: code === 'unavailable' || code === 'timeout' || code === 'conflict',
    });
  }
  if (err instanceof AttemptTimeoutError || err instanceof AbortError) {
    const message = err instanceof AttemptTimeoutError ? err.message : 'the request was aborted';
    return new KubernetesError({ ...base, code: 'timeout', message });
  }
  if (err instanceof FetchError) {
    return new KubernetesError({ ...base, code: 'unavailable', message: `cannot reach the Kubernetes API: ${err.message}` });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new KubernetesError({ ...base, code: 'unknown', message, retryable: false });
}
