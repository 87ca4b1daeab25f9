/**
 * The one error type the service throws on purpose. Each has a stable `code` (the last segment of the
 * problem `type` URI) so clients can branch on it; the root error handler turns it into RFC 9457
 * problem+json. Anything that is not an AppError is a bug or an outage and is answered with a generic 500.
 */
/** Every problem code the API answers with (checked against the contract's `ProblemCode` enum by a test). */
export const PROBLEM_CODES = [
  'invalid-request',
  'malformed-body',
  'unauthorized',
  'forbidden',
  'route-not-found',
  'method-not-allowed',
  'promotion-not-found',
  'policy-not-found',
  'evaluation-not-found',
  'token-not-found',
  'promotion-already-active',
  'token-exists',
  'invalid-state',
  'body-too-large',
  'unsupported-media-type',
  'validation-failed',
  'idempotency-key-reused',
  'rate-limited',
  'too-many-streams',
  'headers-too-large',
  'request-timeout',
  'client-closed-request',
  'internal-error',
  'database-unavailable',
  'kubernetes-unavailable',
  'prometheus-unavailable',
  'git-unavailable',
  'shutting-down',
  'notification-not-found',
  'pipeline-not-found',
  'pipeline-run-not-found',
  'image-blocked',
  'image-already-blocked',
  'blocked-image-not-found',
  'block-already-lifted',
  'freeze-not-found',
  'identity-provider-unavailable',
  'self-approval',
  'approver-not-eligible',
  'already-approved',
  'csrf-token-invalid',
] as const;

export type ProblemCode = (typeof PROBLEM_CODES)[number];

/** The services a request may depend on besides the database. */
export type Dependency = 'kubernetes' | 'prometheus' | 'git';

const DEPENDENCY_NAMES: Readonly<Record<Dependency, string>> = { kubernetes: 'Kubernetes', prometheus: 'Prometheus', git: 'Git' };

export interface FieldError {
  /** JSON pointer prefixed by where the field is: /body, /query, /params, /headers. */
  readonly pointer: string;
  readonly detail: string;
}

export class AppError extends Error {
  readonly code: ProblemCode;
  readonly status: number;
  readonly title: string;
  readonly detail: string;
  readonly errors: readonly FieldError[] | undefined;
  readonly headers: Readonly<Record<string, string>> | undefined;
  /** RFC 9457 extension members the problem carries besides the standard ones (e.g. the block that refuses an image). */
  readonly extensions: Readonly<Record<string, unknown>> | undefined;

  constructor(init: {
    code: ProblemCode;
    status: number;
    title: string;
    detail: string;
    errors?: readonly FieldError[];
    headers?: Record<string, string>;
    extensions?: Record<string, unknown>;
    cause?: unknown;
  }) {
    super(init.detail, { cause: init.cause });
    this.name = 'AppError';
    this.code = init.code;
    this.status = init.status;
    this.title = init.title;
    this.detail = init.detail;
    this.errors = init.errors;
    this.headers = init.headers;
    this.extensions = init.extensions;
  }
}

/** Problem types are URNs: stable identifiers that do not pretend to be a web page. */
export const PROBLEM_TYPE_BASE = 'urn:promoter:problem:';

export const errors = {
  validation: (errors: readonly FieldError[], detail?: string) =>
    new AppError({
      code: 'validation-failed',
      status: 422,
      title: 'Validation failed',
      detail: detail ?? summarize(errors),
      errors,
    }),
  badRequest: (errors: readonly FieldError[], detail?: string) =>
    new AppError({
      code: 'invalid-request',
      status: 400,
      title: 'Invalid request',
      detail: detail ?? summarize(errors),
      errors,
    }),
  malformedBody: (detail: string) =>
    new AppError({ code: 'malformed-body', status: 400, title: 'Malformed request body', detail }),
  bodyTooLarge: (limit: number) =>
    new AppError({
      code: 'body-too-large',
      status: 413,
      title: 'Request body too large',
      detail: `The body is larger than ${limit} bytes.`,
    }),
  unsupportedMediaType: (contentType: string | undefined, accepted: readonly string[]) =>
    new AppError({
      code: 'unsupported-media-type',
      status: 415,
      title: 'Unsupported media type',
      detail: `Content type ${contentType ? `'${contentType}'` : '(none)'} is not accepted here; send ${accepted.join(' or ')}.`,
    }),
  routeNotFound: (method: string, url: string) =>
    new AppError({
      code: 'route-not-found',
      status: 404,
      title: 'No such route',
      detail: `${method} ${url} is not an endpoint of this API; see /docs.`,
    }),
  methodNotAllowed: (method: string, url: string) =>
    new AppError({ code: 'method-not-allowed', status: 405, title: 'Method not allowed', detail: `${method} is not allowed on ${url}.` }),
  notificationNotFound: (id: string) =>
    new AppError({ code: 'notification-not-found', status: 404, title: 'Notification delivery not found', detail: `No notification delivery has id ${id}.` }),
  freezeNotFound: (name: string) =>
    new AppError({ code: 'freeze-not-found', status: 404, title: 'Freeze not found', detail: `No freeze is named '${name}'.` }),
  promotionNotFound: (id: string) =>
    new AppError({ code: 'promotion-not-found', status: 404, title: 'Promotion not found', detail: `No promotion has id ${id}.` }),
  policyNotFound: (name: string, version?: number) =>
    new AppError({
      code: 'policy-not-found',
      status: 404,
      title: 'Policy not found',
      detail: version === undefined ? `No policy is named '${name}'.` : `Policy '${name}' has no version ${version}.`,
    }),
  pipelineNotFound: (name: string) =>
    new AppError({ code: 'pipeline-not-found', status: 404, title: 'Pipeline not found', detail: `No pipeline is named '${name}'.` }),
  pipelineRunNotFound: (pipeline: string, id: string) =>
    new AppError({ code: 'pipeline-run-not-found', status: 404, title: 'Pipeline run not found', detail: `Pipeline '${pipeline}' has no run ${id}.` }),
  pipelineRunEnded: (id: string, state: string) =>
    new AppError({ code: 'invalid-state', status: 409, title: 'Not allowed in this state', detail: `Pipeline run ${id} is ${state}; only a queued or running run can be aborted.` }),
  evaluationNotFound: (id: string) =>
    new AppError({ code: 'evaluation-not-found', status: 404, title: 'Evaluation not found', detail: `No evaluation has id ${id}.` }),
  activePromotionExists: (namespace: string, deployment: string, activeId?: string, cluster?: string) =>
    new AppError({
      code: 'promotion-already-active',
      status: 409,
      title: 'Target already has an active promotion',
      detail:
        `Deployment ${namespace}/${deployment}${cluster === undefined ? '' : ` in cluster '${cluster}'`} already has an active promotion` +
        (activeId ? ` (${activeId})` : '') +
        '; wait for it to finish or abort it.',
    }),
  invalidState: (id: string, state: string, action: string, allowed: readonly string[]) =>
    new AppError({
      code: 'invalid-state',
      status: 409,
      title: 'Not allowed in this state',
      detail: `Promotion ${id} is ${state}; '${action}' is allowed only when it is ${allowed.join(' or ')}.`,
    }),
  idempotencyKeyReused: (key: string) =>
    new AppError({
      code: 'idempotency-key-reused',
      status: 422,
      title: 'Idempotency key reused with another request',
      detail: `Idempotency-Key '${key}' was already used with a different request body; use a new key for a new request.`,
      errors: [{ pointer: '/headers/idempotency-key', detail: 'already used with a different body' }],
    }),
  unauthorized: (detail: string) =>
    new AppError({
      code: 'unauthorized',
      status: 401,
      title: 'Unauthorized',
      detail,
      headers: { 'www-authenticate': 'Bearer realm="promoter"' },
    }),
  forbidden: (detail: string) => new AppError({ code: 'forbidden', status: 403, title: 'Forbidden', detail }),
  /** A token of a trusted issuer whose signing keys cannot be fetched now: nothing can be said about it yet. */
  identityProviderUnavailable: (issuer: string) =>
    new AppError({
      code: 'identity-provider-unavailable',
      status: 503,
      title: 'Identity provider unavailable',
      detail: `The signing keys of ${issuer} cannot be fetched, so its token cannot be checked; nothing was changed. Retry later.`,
      headers: { 'retry-after': '10' },
    }),
  /** A state-changing request authenticated by the console's session cookie, without that session's CSRF token. */
  csrfTokenInvalid: (presented: boolean) =>
    new AppError({
      code: 'csrf-token-invalid',
      status: 403,
      title: 'CSRF token missing or wrong',
      detail: `${presented ? 'The x-csrf-token header does not match this session' : 'This request changes something and is authenticated by the session cookie, so it needs the x-csrf-token header'} (the token is in GET /v1/me, field session.csrfToken).`,
      errors: [{ pointer: '/headers/x-csrf-token', detail: presented ? 'does not match the session' : 'is required' }],
    }),
  /** The console's sign-in cannot start: the OpenID provider's discovery document does not answer. */
  signInProviderUnavailable: (issuer: string) =>
    new AppError({
      code: 'identity-provider-unavailable',
      status: 503,
      title: 'Identity provider unavailable',
      detail: `The identity provider (${issuer}) does not answer, so the sign-in cannot start; try again in a moment.`,
      headers: { 'retry-after': '5' },
    }),
  selfApproval: (id: string) =>
    new AppError({ code: 'self-approval', status: 403, title: 'The requester may not approve', detail: `Promotion ${id} was requested by you; someone else must approve it.` }),
  approverNotEligible: (id: string, approvers: string) =>
    new AppError({ code: 'approver-not-eligible', status: 403, title: 'Not an eligible approver', detail: `Promotion ${id} may be approved only by ${approvers}.` }),
  alreadyApproved: (id: string) =>
    new AppError({ code: 'already-approved', status: 409, title: 'Already approved by you', detail: `You already approved promotion ${id}; another identity must give the next approval.` }),
  databaseUnavailable: (cause: unknown) =>
    new AppError({
      code: 'database-unavailable',
      status: 503,
      title: 'Database unavailable',
      detail: 'The database does not answer; nothing was changed. Retry later.',
      headers: { 'retry-after': '5' },
      cause,
    }),
  dependencyUnavailable: (what: Dependency, detail: string, cause?: unknown) =>
    new AppError({ code: `${what}-unavailable`, status: 503, title: `${DEPENDENCY_NAMES[what]} unavailable`, detail, cause }),
  internal: (cause: unknown) =>
    new AppError({
      code: 'internal-error',
      status: 500,
      title: 'Internal error',
      detail: 'The service failed to handle this request; the error is logged with the request id.',
      cause,
    }),
} as const;

function summarize(fieldErrors: readonly FieldError[]): string {
  const first = fieldErrors[0];
  if (!first) return 'The request is invalid.';
  const more = fieldErrors.length > 1 ? ` (and ${fieldErrors.length - 1} more)` : '';
  return `${first.pointer}: ${first.detail}${more}`;
}
