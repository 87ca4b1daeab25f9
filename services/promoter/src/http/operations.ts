/**
 * Routes come from the contract: a plugin names the operations it implements, their access (http/access.ts)
 * and their handlers, and the method, path and schemas are taken from the OpenAPI document. A handler
 * cannot exist without its operation nor without its access, and the contract test catches an operation
 * without a handler.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteHandlerMethod } from 'fastify';
import { errors } from '../errors.js';
import { YAML_CONTENT_TYPES } from './content-types.js';
import { enforceScopeConsulted, type Access } from './access.js';
import { fastifyPath, listOperations, routeSchema, type OpenApiDocument } from '../contract/openapi.js';

export interface OperationHandler {
  /** Who may call it and whether it touches namespaced data: see http/access.ts. */
  readonly access: Access;
  // Request shapes are guaranteed by the route schema; handlers cast `request.body` etc. to their types.
  readonly handler: (request: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

export function registerOperations(
  app: FastifyInstance,
  document: OpenApiDocument,
  handlers: Readonly<Record<string, OperationHandler>>,
): void {
  const operations = new Map(listOperations(document).map((operation) => [operation.operationId, operation]));
  for (const [operationId, { access, handler }] of Object.entries(handlers)) {
    const operation = operations.get(operationId);
    if (!operation) throw new Error(`handler for unknown operation ${operationId}: add it to openapi/promoter.yaml`);
    const requestBody = operation.definition.requestBody as { required?: boolean; content: Record<string, unknown> } | undefined;
    const declared = requestBody ? Object.keys(requestBody.content) : [];
    app.route({
      method: operation.method as 'GET',
      url: fastifyPath(operation.path),
      schema: routeSchema(document, operation),
      config: { access },
      // Before the body is read: a body this operation would refuse is never parsed.
      onRequest: refuseUnacceptedBody(declared),
      ...(requestBody ? { preValidation: requestBody.required ? [requireBody(declared), refuseNulCharacters] : [refuseNulCharacters] } : {}),
      ...(access !== 'public' && access.namespaces === 'checked' ? { onSend: enforceScopeConsulted(operationId) } : {}),
      handler: handler as RouteHandlerMethod,
    });
  }
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * Fastify parses every content type it has a parser for, on every route, and validates a body only
 * against the schemas of the content types the route declares: a body in any other type, or a body on an
 * operation that takes none, is refused here, before it is parsed (YAML parsing costs CPU).
 */
function refuseUnacceptedBody(declared: readonly string[]) {
  const accepted = new Set(declared.includes('application/yaml') ? [...declared, ...YAML_CONTENT_TYPES] : declared);
  return (request: FastifyRequest, _reply: FastifyReply, done: (error?: Error) => void) => {
    // GET and HEAD bodies are never parsed.
    if (request.method === 'GET' || request.method === 'HEAD') return done();
    const contentType = request.headers['content-type'];
    const mediaType = contentType?.split(';')[0]?.trim().toLowerCase() || undefined;
    if (declared.length === 0) {
      // A body on an operation that takes none: refused when it would be parsed as something.
      return done(hasBody(request) && mediaType !== undefined ? errors.unsupportedMediaType(mediaType, ['no body']) : undefined);
    }
    if (mediaType === undefined) return done(hasBody(request) ? errors.unsupportedMediaType(undefined, declared) : undefined);
    if (!accepted.has(mediaType)) return done(errors.unsupportedMediaType(mediaType, declared));
    done();
  };
}

/**
 * PostgreSQL's text cannot hold U+0000, so a string carrying one would fail at the insert as a 500: it is the
 * client's mistake, refused here with the field at fault. The walk is bounded by the body limit.
 */
async function refuseNulCharacters(request: FastifyRequest): Promise<void> {
  const pointer = firstStringWithNul(request.body, '/body');
  if (pointer !== undefined) throw errors.validation([{ pointer, detail: 'must not contain the NUL character (U+0000)' }]);
}

/**
 * The pointer of the first string (or key) holding U+0000, or undefined. A YAML body can alias itself
 * (`a: &a [*a]`): each object is visited once, so a cycle or a billion-laughs document costs one pass.
 */
function firstStringWithNul(value: unknown, pointer: string, seen = new WeakSet<object>()): string | undefined {
  if (typeof value === 'string') return value.includes('\u0000') ? pointer : undefined;
  if (typeof value !== 'object' || value === null || seen.has(value)) return undefined;
  seen.add(value);
  for (const [key, item] of Array.isArray(value) ? value.entries() : Object.entries(value)) {
    const path = `${pointer}/${String(key).replaceAll('~', '~0').replaceAll('/', '~1')}`;
    if (typeof key === 'string' && key.includes('\u0000')) return path;
    const found = firstStringWithNul(item, path, seen);
    if (found !== undefined) return found;
  }
  return undefined;
}

function requireBody(declared: readonly string[]) {
  return async (request: FastifyRequest) => {
    if (request.body === undefined || request.body === null || request.body === '') throw errors.malformedBody(`This operation needs a body (${declared.join(' or ')}).`);
  };
}
