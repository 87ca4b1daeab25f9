/**
 * Routes come from the contract: a plugin names the operations it implements and their handlers, and the
 * method, path and schemas are taken from the OpenAPI document. A handler cannot exist without its
 * operation, and the contract test catches an operation without a handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import type { Role } from '../config.js';
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
    app.route({
      method: operation.method as 'GET',
      url: fastifyPath(operation.path),
      schema: routeSchema(document, operation),
      config: role === undefined ? {} : { role },
      handler: handler as RouteHandlerMethod,
    });
  }
}
