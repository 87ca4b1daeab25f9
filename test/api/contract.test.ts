/** The routes the app serves and the operations the contract declares are the same set. */
import { SerializerSelector } from '@fastify/fast-json-stringify-compiler';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyPath, listOperations, loadOpenApiDocument, routeSchema, SPEC_PATH, type JsonSchema } from '../../services/promoter/src/contract/openapi.js';
import { ContractValidator, type HttpPart } from '../../services/promoter/src/contract/validation.js';
import { parse as parseYaml } from 'yaml';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openApiDocument } from '../fixtures/contract.js';
import { startTestService, type TestService } from '../fixtures/service.js';

// Swagger UI's own routes are the documentation, / and /ui/... the web console, and /auth/... the console's
// sign-in redirects (registered with an OpenID provider configured; the spec's sessionCookie scheme names
// them): none is the API.
const isDocumentationRoute = (url: string) =>
  url === '/docs' || url.startsWith('/docs/') || url === '/' || url === '/ui' || url.startsWith('/ui/') || url.startsWith('/auth/');

describe('contract', () => {
  let svc: TestService;
  const routes: { method: string; url: string }[] = [];

  beforeAll(async () => {
    svc = await startTestService();
    routes.push(...svc.routeTable);
  });
  afterAll(() => svc.close());

  it('serves every operation of the spec', () => {
    const served = new Set(routes.map((r) => `${r.method} ${r.url}`));
    const missing = listOperations(openApiDocument)
      .map((op) => `${op.method} ${fastifyPath(op.path)}`)
      .filter((key) => !served.has(key));
    expect(missing).toEqual([]);
  });

  it('serves no API route that the spec lacks', () => {
    const declared = new Set(listOperations(openApiDocument).map((op) => `${op.method} ${fastifyPath(op.path)}`));
    const undeclared = routes
      .filter((r) => !isDocumentationRoute(r.url) && r.method !== 'HEAD')
      .map((r) => `${r.method} ${r.url}`)
      .filter((key) => !declared.has(key));
    expect(undeclared).toEqual([]);
  });

  it('serves the document at /openapi.json and Swagger UI at /docs', async () => {
    const spec = await svc.app.inject({ method: 'GET', url: '/openapi.json' });
    expect(spec.statusCode).toBe(200);
    expect(spec.json()).toEqual(openApiDocument);
    const docs = await svc.app.inject({ method: 'GET', url: '/docs/' });
    expect(docs.statusCode).toBe(200);
    expect(docs.body).toContain('swagger-ui');
  });

  it("compiles every operation's request validators and response serializers (the service compiles each on first use)", () => {
    const validator = new ContractValidator(openApiDocument);
    const serializers = SerializerSelector()(Object.fromEntries(validator.schemas.map((schema) => [String(schema.$id), schema])), {});
    let compiled = 0;
    for (const operation of listOperations(openApiDocument)) {
      const schema = routeSchema(openApiDocument, operation);
      const validators: [JsonSchema, HttpPart][] = [];
      for (const part of ['params', 'querystring', 'headers'] as const) {
        const partSchema = schema[part];
        if (partSchema) validators.push([partSchema, part]);
      }
      const body = schema.body as { content: Record<string, { schema: JsonSchema }> } | undefined;
      for (const media of Object.values(body?.content ?? {})) validators.push([media.schema, 'body']);
      for (const [partSchema, part] of validators) {
        validator.compile(partSchema, part).compileNow();
        compiled++;
      }
      for (const [httpStatus, response] of Object.entries(schema.response ?? {})) {
        expect(typeof serializers({ schema: response, method: operation.method, url: operation.path, httpStatus })).toBe('function');
        compiled++;
      }
    }
    expect(compiled).toBeGreaterThan(listOperations(openApiDocument).length * 2);
  });

  it('reads the document from its parsed copy exactly as from the YAML, drops copies of earlier versions, and parses the YAML again when the copy is damaged', () => {
    const cache = mkdtempSync(join(tmpdir(), 'promoter-openapi-cache-'));
    try {
      const fromYaml = parseYaml(readFileSync(SPEC_PATH, 'utf8')) as unknown;
      writeFileSync(join(cache, `${'0'.repeat(64)}.json`), '{}'); // the copy of an earlier version
      expect(loadOpenApiDocument(SPEC_PATH, cache)).toEqual(fromYaml); // parsed, its copy written, the old one gone
      expect(readdirSync(cache)).toHaveLength(1);
      const [copy] = readdirSync(cache);
      expect(copy).toMatch(/^[0-9a-f]{64}\.json$/);
      expect(loadOpenApiDocument(SPEC_PATH, cache)).toEqual(fromYaml); // read from the copy
      writeFileSync(join(cache, copy ?? ''), '{"openapi": "3.1.0", "pat');
      expect(loadOpenApiDocument(SPEC_PATH, cache)).toEqual(fromYaml);
    } finally {
      rmSync(cache, { recursive: true, force: true });
    }
  });
});
