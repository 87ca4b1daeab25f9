/**
 * The one error type of the Kubernetes adapter: a stable `code` the engine branches on, whether trying
 * again later can help (`retryable`), and a message that names the object and, for 403, the permission,
 * taken from the API server's Status body. Free of client-node (that mapping is in client-node-errors.ts),
 * so the engine and the API can import it without loading client-node (about 0.4 s of start-up).
 */
import type { DeploymentRef } from './types.js';

export type KubernetesErrorCode = 'not_found' | 'forbidden' | 'conflict' | 'invalid' | 'unavailable' | 'timeout' | 'unknown';

/** What the adapter was doing: `get deployment`, `patch deployment`, `scale deployment`, or on an Argo CD Application. */
export type KubernetesOperation = 'get' | 'patch' | 'scale' | 'list-pods' | 'get-application' | 'patch-application';

/** `get deployment`, `get application`, ...: how a message names what was being done. */
function doing(operation: KubernetesOperation): string {
  return operation.endsWith('-application') ? `${operation.replace('-application', '')} application` : `${operation} deployment`;
}

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
    super(`${doing(init.operation)} ${init.target.namespace}/${init.target.name}: ${init.message}`, { cause: init.cause });
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
