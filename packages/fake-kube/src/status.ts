/**
 * `Status` error bodies shaped like the API server's (k8s.io/apimachinery/pkg/api/errors): same reasons,
 * codes, `details` and message wording, so clients parse the fake's errors exactly as a real cluster's.
 */
import type { JsonObject } from './json.js';

export interface GroupResource {
  readonly group: string;
  readonly resource: string;
}

export interface StatusCause {
  readonly type?: string;
  readonly message: string;
  readonly field?: string;
}

export interface StatusBody {
  readonly kind: 'Status';
  readonly apiVersion: 'v1';
  readonly metadata: Record<string, never>;
  readonly status: 'Failure';
  readonly message: string;
  readonly reason: string;
  readonly details?: {
    readonly name?: string;
    readonly group?: string;
    readonly kind?: string;
    readonly causes?: readonly StatusCause[];
    readonly retryAfterSeconds?: number;
  };
  readonly code: number;
}

/** Thrown inside request handlers; the server answers with its `status` body. */
export class StatusError extends Error {
  readonly status: StatusBody;
  constructor(status: StatusBody) {
    super(status.message);
    this.status = status;
  }
}

/** The storage layer's optimistic-lock text, quoted by every 409 for a stale resourceVersion. */
export const OPTIMISTIC_LOCK_MESSAGE =
  'the object has been modified; please apply your changes to the latest version and try again';

export function qualified(gr: GroupResource): string {
  return gr.group === '' ? gr.resource : `${gr.resource}.${gr.group}`;
}

function body(code: number, reason: string, message: string, details?: StatusBody['details']): StatusBody {
  const status: StatusBody = { kind: 'Status', apiVersion: 'v1', metadata: {}, status: 'Failure', message, reason, code };
  return details === undefined ? status : { ...status, details: withoutEmpty(details) };
}

/** The server omits empty detail fields (`omitempty`). */
function withoutEmpty(details: NonNullable<StatusBody['details']>): NonNullable<StatusBody['details']> {
  return Object.fromEntries(
    Object.entries(details).filter(([, v]) => v !== '' && v !== 0 && v !== undefined && !(Array.isArray(v) && v.length === 0)),
  );
}

export const statuses = {
  notFound: (gr: GroupResource, name: string) =>
    body(404, 'NotFound', `${qualified(gr)} "${name}" not found`, { name, group: gr.group, kind: gr.resource }),
  forbidden: (gr: GroupResource, name: string, why: string) =>
    body(403, 'Forbidden', name === '' ? `${qualified(gr)} is forbidden: ${why}` : `${qualified(gr)} "${name}" is forbidden: ${why}`, {
      name,
      group: gr.group,
      kind: gr.resource,
    }),
  alreadyExists: (gr: GroupResource, name: string) =>
    body(409, 'AlreadyExists', `${qualified(gr)} "${name}" already exists`, { name, group: gr.group, kind: gr.resource }),
  conflict: (gr: GroupResource, name: string, why: string = OPTIMISTIC_LOCK_MESSAGE) =>
    body(409, 'Conflict', `Operation cannot be fulfilled on ${qualified(gr)} "${name}": ${why}`, {
      name,
      group: gr.group,
      kind: gr.resource,
    }),
  /** Validation failure: `Deployment.apps "web" is invalid: spec.replicas: Invalid value: -1: ...`. */
  invalid: (kind: { group: string; kind: string }, name: string, causes: readonly StatusCause[]) => {
    const gk = kind.group === '' ? kind.kind : `${kind.kind}.${kind.group}`;
    const summary = causes.map((c) => (c.field ? `${c.field}: ${c.message}` : c.message));
    const list = summary.length === 1 ? summary[0] : `[${summary.join(', ')}]`;
    return body(422, 'Invalid', `${gk} "${name}" is invalid: ${list}`, { name, group: kind.group, kind: kind.kind, causes });
  },
  /**
   * What the server answers when a JSON patch cannot be applied, a failed `test` op included: the patch handler
   * wraps the error with NewGenericServerResponse(422, ...), which drops the underlying text.
   */
  patchNotApplicable: () => body(422, 'Invalid', 'the server rejected our request due to an error in our request', {}),
  badRequest: (message: string) => body(400, 'BadRequest', message),
  unauthorized: () => body(401, 'Unauthorized', 'Unauthorized'),
  methodNotAllowed: (gr: GroupResource, action: string) =>
    body(405, 'MethodNotAllowed', `${action} is not supported on resources of kind "${qualified(gr)}"`, { group: gr.group, kind: gr.resource }),
  pathNotFound: () => body(404, 'NotFound', 'the server could not find the requested resource', {}),
  unsupportedMediaType: (contentType: string) =>
    body(
      415,
      'UnsupportedMediaType',
      `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, application/apply-patch+yaml (got ${contentType || 'none'})`,
    ),
  tooManyRequests: (message = 'please try again later') =>
    body(429, 'TooManyRequests', `Too many requests: ${message}`, { retryAfterSeconds: 1 }),
  internal: (message = 'injected fault') =>
    body(500, 'InternalError', `Internal error occurred: ${message}`, { causes: [{ message }] }),
  serviceUnavailable: (message = 'the server is currently unable to handle the request') =>
    body(503, 'ServiceUnavailable', message),
  timeout: (message = 'request did not complete within the allowed duration') =>
    body(504, 'Timeout', `Timeout: ${message}`),
  generic: (code: number, message: string) => body(code, 'Unknown', message),
};

export function toJson(status: StatusBody): JsonObject {
  // A Status is plain data; the round trip drops `undefined` members as the wire would.
  return JSON.parse(JSON.stringify(status)) as JsonObject;
}
