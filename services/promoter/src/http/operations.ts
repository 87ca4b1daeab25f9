/**
 * Routes come from the contract: a plugin names the operations it implements and their handlers, and the
 * method, path and schemas are taken from the OpenAPI document. A handler cannot exist without its
 * operation, and the contract test catches an operation without a handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Role } from '../config.js';
import { errors } from '../errors.js';
import { YAML_CONTENT_TYPES } from './content-types.js';
import { fastifyPath, listOperations, routeSchema, type OpenApiDocument } from '../contract/openapi.js';

export interface OperationHandler {
  readonly role?: Role;
  // Request shapes are guaranteed by the route schema; handlers cast `request.body` etc. to their types.
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function registerOperations(
  app: FastifyInstance,
  document: OpenApiDocument,
  handlers: Readonly<Record<string, OperationHandler>>,
): void {
  const operations = new Map(listOperations(document).map((operation) => [operation.operationId, operation]));
  for (const [operationId, { role, handler }] of Object.entries(handlers)) {
    const operation = operations.get(operationId);
    if (!operation) throw new Error(`handler for unknown operation ${operationId}: add it to openapi/promoter.yaml`);
    const requestBody = operation.definition.requestBody as { required?: boolean; content: Record<string, unknown> } | undefined;
    app.route({
      method: operation.method as 'GET',
      url: fastifyPath(operation.path),
      schema: routeSchema(document, operation),
      config: role === undefined ? {} : { role },
      ...(requestBody ? { preValidation: enforceMediaType(Object.keys(requestBody.content), requestBody.required === true) } : {}),
      handler: handler as RouteHandlerMethod,
    });
  }
}

/**
 * Fastify parses every content type it has a parser for, on every route, and validates a body only
 * against the schemas of the content types the route declares: a body in any other type must be refused
 * here, or it would reach the handler unvalidated.
 */
function enforceMediaType(declared: readonly string[], required: boolean) {
  const accepted = new Set(declared.includes('application/yaml') ? [...declared, ...YAML_CONTENT_TYPES] : declared);
  return async (request: FastifyRequest) => {
    const contentType = request.headers['content-type'];
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase();
    if (mediaType === undefined || mediaType === '') {
      if (request.body !== undefined && request.body !== null) throw errors.unsupportedMediaType(undefined, declared);
      if (required) throw errors.malformedBody(`This operation needs a body (${declared.join(' or ')}).`);
      return;
    }
    if (!accepted.has(mediaType)) throw errors.unsupportedMediaType(mediaType, declared);
  };
}
