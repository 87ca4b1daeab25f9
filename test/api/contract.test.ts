/** The routes the app serves and the operations the contract declares are the same set. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fastifyPath, listOperations } from '../../services/promoter/src/contract/openapi.js';
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
});

