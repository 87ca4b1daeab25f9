/**
 * Fault injection: the next N requests matching (method, path) fail with a given status, hang, or first
 * run a test's action (e.g. another client's write, to stage a race) and are then served normally.
 */
import type { ResourceRequest } from './routes.js';
import { OPTIMISTIC_LOCK_MESSAGE, statuses, type StatusBody } from './status.js';

export interface RequestMatch {
  /** HTTP method; any when omitted. */
  readonly method?: string;
  /** Matched against the URL path without the query; a string must equal it. */
  readonly path: RegExp | string;
  /** How many matching requests to affect; default 1, `Infinity` for all. */
  readonly times?: number;
}

export interface FailRule extends RequestMatch {
  /** 403, 404, 409, 422, 429, 500, 503, 504, ... */
  readonly status: number;
  /** Replaces the Status message the fake would write for that code. */
  readonly message?: string;
}

export type FaultAction =
  | { readonly kind: 'fail'; readonly status: number; readonly message?: string }
  | { readonly kind: 'hang' }
  | { readonly kind: 'before'; readonly run: () => void };

interface Fault {
  readonly match: RequestMatch;
  remaining: number;
  readonly action: FaultAction;
}

export class FaultInjector {
  #faults: Fault[] = [];

  add(match: RequestMatch, action: FaultAction): void {
    this.#faults.push({ match, remaining: match.times ?? 1, action });
  }

  clear(): void {
    this.#faults = [];
  }

  /** The action for this request, consuming one use of the first rule that matches. */
  take(method: string, path: string): FaultAction | undefined {
    const fault = this.#faults.find(({ match, remaining }) => {
      if (remaining <= 0) return false;
      if (match.method !== undefined && match.method.toUpperCase() !== method) return false;
      return typeof match.path === 'string' ? match.path === path : match.path.test(path);
    });
    if (!fault) return undefined;
    fault.remaining -= 1;
    this.#faults = this.#faults.filter((f) => f.remaining > 0);
    return fault.action;
  }
}

/** The Status body the real server would send with `code` for this request. */
export function injectedStatus(code: number, request: ResourceRequest | undefined, user: string, message?: string): StatusBody {
  const gr = request?.groupResource ?? { group: '', resource: '' };
  const name = request?.name ?? '';
  switch (code) {
    case 403: {
      const resource = request?.subresource ? `${gr.resource}/${request.subresource}` : gr.resource;
      const why =
        message ?? `User "${user}" cannot ${request?.verb ?? 'get'} resource "${resource}" in API group "${gr.group}" in the namespace "${request?.namespace ?? ''}"`;
      return statuses.forbidden(gr, name, why);
    }
    case 404:
      return request ? statuses.notFound(gr, name) : statuses.pathNotFound();
    case 409:
      return statuses.conflict(gr, name, message ?? OPTIMISTIC_LOCK_MESSAGE);
    case 422:
      return statuses.patchNotApplicable();
    case 429:
      return statuses.tooManyRequests(message);
    case 500:
      return statuses.internal(message);
    case 503:
      return statuses.serviceUnavailable(message);
    case 504:
      return statuses.timeout(message);
    default:
      return statuses.generic(code, message ?? `injected status ${code}`);
  }
}
