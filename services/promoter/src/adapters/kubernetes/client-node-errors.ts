/**
 * Maps what client-node throws (ApiException with a Status body, AbortError, FetchError, our attempt
 * deadline) to the adapter's KubernetesError.
 */
import { AbortError, ApiException, FetchError } from '@kubernetes/client-node';
import { AttemptTimeoutError, KubernetesError, type KubernetesErrorCode, type KubernetesOperation, type KubernetesStatus } from './kubernetes-error.js';
import type { DeploymentRef } from './types.js';

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
