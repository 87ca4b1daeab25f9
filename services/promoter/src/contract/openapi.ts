/**
 * The OpenAPI document is the contract: it is loaded once at start-up, its component schemas become shared
 * JSON schemas (`$id` = component name), and each route's request and response schemas are taken from its
 * operation. Nothing here knows about particular routes.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

export const SPEC_PATH = fileURLToPath(new URL('../../../../openapi/promoter.yaml', import.meta.url));

export type JsonSchema = { [key: string]: unknown };

export interface OpenApiOperation {
  readonly operationId: string;
  readonly method: string;
  /** Path in OpenAPI form, e.g. `/v1/promotions/{id}`. */
  readonly path: string;
  readonly definition: JsonSchema;
}

export interface OpenApiDocument {
  readonly openapi: string;
  readonly paths: Record<string, Record<string, JsonSchema>>;
  readonly components: {
    readonly schemas: Record<string, JsonSchema>;
    readonly parameters: Record<string, JsonSchema>;
    readonly responses: Record<string, JsonSchema>;
  };
  readonly [key: string]: unknown;
}

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'patch', 'head', 'options']);

/**
 * Parsed JSON copies of the document, named by a hash of its text. Parsing the 150 KB of YAML costs about
 * 0.4 s of CPU, paid by every process and every test file that builds the app; its JSON reads in 5 ms. Only
 * where node_modules can be written (a checkout, CI): elsewhere (a read-only image) the YAML is parsed.
 */
const PARSED_CACHE = fileURLToPath(new URL('../../../../node_modules/.cache/promoter-openapi', import.meta.url));

export function loadOpenApiDocument(path: string = SPEC_PATH, cacheDir: string = PARSED_CACHE): OpenApiDocument {
  const text = readFileSync(path, 'utf8');
  const cached = join(cacheDir, `${createHash('sha256').update(text).digest('hex')}.json`);
  try {
    return JSON.parse(readFileSync(cached, 'utf8')) as OpenApiDocument;
  } catch {
    // Not cached yet (or unreadable): parse the YAML, and keep its JSON for the next start.
  }
  const document = parseYaml(text) as OpenApiDocument;
  try {
    mkdirSync(dirname(cached), { recursive: true });
    // Written beside and renamed into place, so a process starting meanwhile never reads half a file.
    const partial = `${cached}.${process.pid}.partial`;
    writeFileSync(partial, JSON.stringify(document));
    renameSync(partial, cached);
    // Copies of earlier versions of the document are never read again.
    for (const name of readdirSync(cacheDir)) if (name.endsWith('.json') && join(cacheDir, name) !== cached) rmSync(join(cacheDir, name), { force: true });
  } catch {
    // A read-only install: the next start parses the YAML again.
  }
  return document;
}

export function listOperations(document: OpenApiDocument): OpenApiOperation[] {
  const operations: OpenApiOperation[] = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, definition] of Object.entries(item)) {
      if (!HTTP_METHODS.has(method)) continue;
      operations.push({ operationId: String(definition.operationId), method: method.toUpperCase(), path, definition });
    }
  }
  return operations;
}

/**
 * `#/components/schemas/Name` becomes `Name#`, the id under which the component is registered: a schema
 * taken from the document must pass through this before a ContractValidator compiles it.
 */
export function rewriteRefs(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(rewriteRefs);
  if (value === null || typeof value !== 'object') return value;
  const out: JsonSchema = {};
  for (const [key, child] of Object.entries(value)) {
    if (key === '$ref' && typeof child === 'string' && child.startsWith('#/components/schemas/')) {
      out[key] = `${child.slice('#/components/schemas/'.length)}#`;
    } else {
      out[key] = rewriteRefs(child);
    }
  }
  return out;
}

/** The component schemas, each with `$id` = its name and references rewritten to those ids. */
export function componentSchemas(document: OpenApiDocument): JsonSchema[] {
  return Object.entries(document.components.schemas).map(([name, schema]) => ({
    $id: name,
    ...(rewriteRefs(schema) as JsonSchema),
  }));
}

function resolve(document: OpenApiDocument, value: JsonSchema): JsonSchema {
  const ref = value.$ref;
  if (typeof ref !== 'string') return value;
  const [, , section, name] = ref.split('/');
  const target = (document.components as unknown as Record<string, Record<string, JsonSchema>>)[section ?? '']?.[name ?? ''];
  if (!target) throw new Error(`unresolved reference ${ref} in the OpenAPI document`);
  return target;
}

export interface RouteSchema {
  params?: JsonSchema;
  querystring?: JsonSchema;
  headers?: JsonSchema;
  body?: JsonSchema;
  response?: Record<string, JsonSchema>;
  operationId: string;
  tags?: string[];
  summary?: string;
}

/** Fastify route schema for an operation: parameters by location, the body by content type, 2xx JSON responses. */
export function routeSchema(document: OpenApiDocument, operation: OpenApiOperation): RouteSchema {
  const schema: RouteSchema = { operationId: operation.operationId };
  const byLocation: Record<string, { properties: Record<string, unknown>; required: string[] }> = {};
  for (const raw of (operation.definition.parameters as JsonSchema[] | undefined) ?? []) {
    const parameter = resolve(document, raw);
    const location = String(parameter.in);
    const name = location === 'header' ? String(parameter.name).toLowerCase() : String(parameter.name);
    const group = (byLocation[location] ??= { properties: {}, required: [] });
    group.properties[name] = rewriteRefs(parameter.schema);
    if (parameter.required === true) group.required.push(name);
  }
  const part = (location: string, extra: JsonSchema = {}): JsonSchema | undefined => {
    const group = byLocation[location];
    return group ? { type: 'object', properties: group.properties, required: group.required, ...extra } : undefined;
  };
  const params = part('path', { additionalProperties: false });
  const querystring = part('query', { additionalProperties: false });
  const headers = part('header');
  if (params) schema.params = params;
  // An operation without query parameters rejects unknown ones too, rather than ignoring a typo.
  schema.querystring = querystring ?? { type: 'object', properties: {}, additionalProperties: false };
  if (headers) schema.headers = headers;

  const requestBody = operation.definition.requestBody as JsonSchema | undefined;
  if (requestBody) {
    const content = requestBody.content as Record<string, { schema: JsonSchema }>;
    // The YAML parser takes application/yaml's aliases too (http/content-types.ts): each is validated by
    // application/yaml's schema, or a body sent as text/yaml would reach the handler unchecked.
    const yaml = content['application/yaml'];
    const withAliases = yaml ? { ...content, 'application/x-yaml': yaml, 'text/yaml': yaml } : content;
    schema.body = {
      content: Object.fromEntries(
        Object.entries(withAliases).map(([type, media]) => [type, { schema: rewriteRefs(media.schema) }]),
      ),
    };
  }

  const response: Record<string, JsonSchema> = {};
  for (const [status, raw] of Object.entries((operation.definition.responses as Record<string, JsonSchema>) ?? {})) {
    if (!status.startsWith('2')) continue;
    const media = (resolve(document, raw).content as Record<string, { schema: JsonSchema }> | undefined)?.['application/json'];
    if (media) response[status] = rewriteRefs(media.schema) as JsonSchema;
  }
  if (Object.keys(response).length > 0) schema.response = response;
  return schema;
}

/** OpenAPI `/v1/promotions/{id}` -> Fastify `/v1/promotions/:id`. */
export function fastifyPath(path: string): string {
  return path.replace(/\{([^}]+)\}/g, ':$1');
}
