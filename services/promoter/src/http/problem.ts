/**
 * The root error handler and the not-found handler: every 4xx/5xx leaves as RFC 9457
 * application/problem+json with a stable `type`/`code`. Client mistakes are explained; anything else is
 * answered with a generic message and logged with the request id, never echoed.
 */
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AppError, errors, PROBLEM_TYPE_BASE, type ProblemCode } from '../errors.js';
import { fieldErrors, type HttpPart } from '../contract/validation.js';
import { isDatabaseUnavailable } from '../adapters/db/errors.js';
import type { ErrorObject } from 'ajv';

export const PROBLEM_CONTENT_TYPE = 'application/problem+json; charset=utf-8';

// Fastify's own client errors, by code, mapped to stable problem codes of ours.
const FASTIFY_CODES: Readonly<Record<string, ProblemCode>> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_BODY_TOO_LARGE: 'body-too-large',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed-body',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'malformed-body',
  FST_ERR_CTP_EMPTY_TYPE: 'unsupported-media-type',
  FST_ERR_CTP_INVALID_TYPE: 'unsupported-media-type',
};

export function sendProblem(reply: FastifyReply, request: FastifyRequest, error: AppError): FastifyReply {
  const problem: Record<string, unknown> = {
    // Extensions first: the standard members below always win over one of the same name.
    ...error.extensions,
    type: `${PROBLEM_TYPE_BASE}${error.code}`,
    title: error.title,
    status: error.status,
    detail: error.detail,
    instance: request.url,
    code: error.code,
  };
  if (error.errors && error.errors.length > 0) problem.errors = error.errors;
  for (const [name, value] of Object.entries(error.headers ?? {})) reply.header(name, value);
  return reply.code(error.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(problem));
}

/** What a thrown error means for the client. */
export function toAppError(error: unknown): AppError {
  if (error instanceof AppError) return error;
  const fastifyError = error as Partial<FastifyError> & { validation?: ErrorObject[]; validationContext?: string };
  if (error instanceof Error && (error as { statusCode?: number }).statusCode === 429 && !(error instanceof AppError)) {
    return new AppError({ code: 'rate-limited', status: 429, title: 'Too many requests', detail: 'Too many requests; retry later.' });
  }
  if (fastifyError.validation) {
    const part = (fastifyError.validationContext ?? 'body') as HttpPart;
    const problems = fieldErrors(fastifyError.validation, part);
    return part === 'body' ? errors.validation(problems) : errors.badRequest(problems);
  }
  if (isDatabaseUnavailable(error)) return errors.databaseUnavailable(error);
  const status = fastifyError.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code: ProblemCode = (fastifyError.code ? FASTIFY_CODES[fastifyError.code] : undefined) ?? (status === 413 ? 'body-too-large' : status === 415 ? 'unsupported-media-type' : 'invalid-request');
    const detail =
      code === 'malformed-body'
        ? 'The body is not valid JSON.'
        : code === 'unsupported-media-type'
          ? 'This content type is not accepted here; send application/json (policies also accept application/yaml).'
          : (fastifyError.message ?? 'The request is invalid.');
    return new AppError({ code, status, title: titleFor(status), detail });
  }
  return errors.internal(error);
}

function titleFor(status: number): string {
  switch (status) {
    case 413:
      return 'Request body too large';
    case 415:
      return 'Unsupported media type';
    case 429:
      return 'Too many requests';
    default:
      return 'Bad request';
  }
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error, request, reply) => {
    const appError = toAppError(error);
    if (appError.status >= 500) {
      request.log.error({ err: error }, `request failed: ${appError.code}`);
    } else {
      request.log.info({ code: appError.code, status: appError.status }, 'request refused');
    }
    return sendProblem(reply, request, appError);
  });
  app.setNotFoundHandler((request, reply) => sendProblem(reply, request, errors.routeNotFound(request.method, request.url.split('?')[0] ?? '')));
}
