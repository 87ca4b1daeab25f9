/**
 * Malformed and hostile requests get the right 4xx as problem+json with a stable code and, for field
 * errors, the field at fault; never a 5xx, never a stack trace. Nothing invalid is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';

interface Case {
  method: 'GET' | 'POST' | 'PUT' | 'DELETE';
  url: string;
  operation?: string;
  body?: unknown;
  raw?: string;
  contentType?: string;
  headers?: Record<string, string>;
  status: number;
  code: string;
  pointer?: string;
}

const good = samplePromotion({ target: { namespace: 'mcp', deployment: 'valid', container: 'proxy' } });
const withTarget = (target: Record<string, unknown>) => ({ ...good, target: { namespace: 'mcp', deployment: 'valid', container: 'proxy', ...target } });
const HOSTILE = ['a"}) or vector(1) #', "x'; DROP TABLE promotions; --", '../../etc/passwd', 'UPPER', 'a'.repeat(64), 'ns\nnl', '{{namespace}}', 'mcp,payments', ''];

const cases: [string, Case][] = [
  ['bad JSON', { method: 'POST', url: '/v1/promotions', raw: '{"target":', contentType: 'application/json', status: 400, code: 'malformed-body' }],
  ['empty JSON body', { method: 'POST', url: '/v1/promotions', raw: '', contentType: 'application/json', status: 400, code: 'malformed-body' }],
  ['JSON array body', { method: 'POST', url: '/v1/promotions', body: [good], status: 422, code: 'validation-failed', pointer: '/body' }],
  ['text/plain body', { method: 'POST', url: '/v1/promotions', raw: 'hello', contentType: 'text/plain', status: 415, code: 'unsupported-media-type' }],
  ['YAML body for a promotion', { method: 'POST', url: '/v1/promotions', raw: 'target: {}', contentType: 'application/yaml', status: 415, code: 'unsupported-media-type' }],
  ['oversized body', { method: 'POST', url: '/v1/promotions', body: { ...good, reason: 'x'.repeat(300 * 1024) }, status: 413, code: 'body-too-large' }],
  ['missing target', { method: 'POST', url: '/v1/promotions', body: { ...good, target: undefined }, status: 422, code: 'validation-failed', pointer: '/body/target' }],
  ['missing policy', { method: 'POST', url: '/v1/promotions', body: { ...good, policy: undefined }, status: 422, code: 'validation-failed', pointer: '/body/policy' }],
  ['missing container', { method: 'POST', url: '/v1/promotions', body: { ...good, target: { namespace: 'mcp', deployment: 'valid' } }, status: 422, code: 'validation-failed', pointer: '/body/target/container' }],
  ['unknown field', { method: 'POST', url: '/v1/promotions', body: { ...good, force: true }, status: 422, code: 'validation-failed', pointer: '/body/force' }],
  ['unknown target field', { method: 'POST', url: '/v1/promotions', body: withTarget({ cluster: 'prod' }), status: 422, code: 'validation-failed', pointer: '/body/target/cluster' }],
  ['dryRun as a string', { method: 'POST', url: '/v1/promotions', body: { ...good, dryRun: 'true' }, status: 422, code: 'validation-failed', pointer: '/body/dryRun' }],
  ['namespace of wrong type', { method: 'POST', url: '/v1/promotions', body: withTarget({ namespace: 42 }), status: 422, code: 'validation-failed', pointer: '/body/target/namespace' }],
  ...HOSTILE.map((value, i): [string, Case] => [
    `hostile namespace #${i + 1}`,
    { method: 'POST', url: '/v1/promotions', body: withTarget({ namespace: value }), status: 422, code: 'validation-failed', pointer: '/body/target/namespace' },
  ]),
  ['deployment with a slash', { method: 'POST', url: '/v1/promotions', body: withTarget({ deployment: 'a/b' }), status: 422, code: 'validation-failed', pointer: '/body/target/deployment' }],
  ['container with a dot', { method: 'POST', url: '/v1/promotions', body: withTarget({ container: 'a.b' }), status: 422, code: 'validation-failed', pointer: '/body/target/container' }],
  ['image and source both', { method: 'POST', url: '/v1/promotions', body: { ...good, source: { deployment: 'canary' } }, status: 422, code: 'validation-failed', pointer: '/body/image' }],
  ['neither image nor source', { method: 'POST', url: '/v1/promotions', body: { ...good, image: undefined }, status: 422, code: 'validation-failed', pointer: '/body/source' }],
  ['image with spaces', { method: 'POST', url: '/v1/promotions', body: { ...good, image: 'registry/app:1.0 ; rm -rf' }, status: 422, code: 'validation-failed', pointer: '/body/image' }],
  ['image with uppercase repository', { method: 'POST', url: '/v1/promotions', body: { ...good, image: 'registry.io/App:1.0' }, status: 422, code: 'validation-failed', pointer: '/body/image' }],
  ['image with a bad digest', { method: 'POST', url: '/v1/promotions', body: { ...good, image: 'app@sha256:xyz' }, status: 422, code: 'validation-failed', pointer: '/body/image' }],
  ['source same as target', { method: 'POST', url: '/v1/promotions', body: { ...good, image: undefined, source: { deployment: 'valid' } }, status: 422, code: 'validation-failed', pointer: '/body/source/deployment' }],
  ['bad tag suffix', { method: 'POST', url: '/v1/promotions', body: { ...good, image: undefined, source: { deployment: 'canary', tagSuffixToStrip: '-c"' } }, status: 422, code: 'validation-failed', pointer: '/body/source/tagSuffixToStrip' }],
  ['unknown policy', { method: 'POST', url: '/v1/promotions', body: { ...good, policy: 'nope' }, status: 422, code: 'validation-failed', pointer: '/body/policy' }],
  ['policy name with injection', { method: 'POST', url: '/v1/promotions', body: { ...good, policy: "x' OR '1'='1" }, status: 422, code: 'validation-failed', pointer: '/body/policy' }],
  ['reason too long', { method: 'POST', url: '/v1/promotions', body: { ...good, reason: 'x'.repeat(1001) }, status: 422, code: 'validation-failed', pointer: '/body/reason' }],
  ['reason with a NUL character', { method: 'POST', url: '/v1/promotions', body: { ...good, reason: 'x\u0000y' }, status: 422, code: 'validation-failed', pointer: '/body/reason' }],
  ['abort reason with a NUL character', { method: 'POST', url: '/v1/promotions/00000000-0000-4000-8000-000000000000/abort', body: { reason: '\u0000' }, operation: 'abortPromotion', status: 422, code: 'validation-failed', pointer: '/body/reason' }],
  ['policy query with a NUL character', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', body: samplePolicy({ checks: [{ name: 'c', query: 'up\u0000', min: 1 }] }), status: 422, code: 'validation-failed', pointer: '/body/checks/0/query' }],
  ['namespace filter with a NUL character', { method: 'GET', url: '/v1/promotions?namespace=a%00b', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/namespace' }],
  ['idempotency key with spaces', { method: 'POST', url: '/v1/promotions', body: good, headers: { 'idempotency-key': 'a b' }, status: 400, code: 'invalid-request', pointer: '/headers/idempotency-key' }],
  ['bad cursor', { method: 'GET', url: '/v1/promotions?cursor=not-a-cursor', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/cursor' }],
  ['forged cursor', { method: 'GET', url: `/v1/promotions?cursor=${Buffer.from('{"s":-1}').toString('base64url')}`, operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/cursor' }],
  ['limit zero', { method: 'GET', url: '/v1/promotions?limit=0', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/limit' }],
  ['limit too large', { method: 'GET', url: '/v1/promotions?limit=100000', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/limit' }],
  ['limit not a number', { method: 'GET', url: '/v1/promotions?limit=ten', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/limit' }],
  ['unknown state filter', { method: 'GET', url: '/v1/promotions?state=done', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/state' }],
  ['unknown query parameter', { method: 'GET', url: '/v1/promotions?namepsace=mcp', operation: 'listPromotions', status: 400, code: 'invalid-request', pointer: '/query/namepsace' }],
  ['id not a uuid', { method: 'GET', url: '/v1/promotions/123', operation: 'getPromotion', status: 400, code: 'invalid-request', pointer: '/params/id' }],
  ['id SQL injection', { method: 'GET', url: "/v1/promotions/1'%20OR%20'1'='1", operation: 'getPromotion', status: 400, code: 'invalid-request', pointer: '/params/id' }],
  ['promotion not found', { method: 'GET', url: '/v1/promotions/00000000-0000-4000-8000-000000000000', operation: 'getPromotion', status: 404, code: 'promotion-not-found' }],
  ['events of unknown promotion', { method: 'GET', url: '/v1/promotions/00000000-0000-4000-8000-000000000000/events', operation: 'listPromotionEvents', status: 404, code: 'promotion-not-found' }],
  ['abort unknown promotion', { method: 'POST', url: '/v1/promotions/00000000-0000-4000-8000-000000000000/abort', operation: 'abortPromotion', status: 404, code: 'promotion-not-found' }],
  ['action body with unknown field', { method: 'POST', url: '/v1/promotions/00000000-0000-4000-8000-000000000000/abort', body: { force: true }, operation: 'abortPromotion', status: 422, code: 'validation-failed', pointer: '/body/force' }],
  ['unknown route', { method: 'GET', url: '/v1/nothing', status: 404, code: 'route-not-found' }],
  ['unknown method on a route', { method: 'DELETE', url: '/v1/promotions', status: 404, code: 'route-not-found' }],
  ['policy not found', { method: 'GET', url: '/v1/policies/missing', operation: 'getPolicy', status: 404, code: 'policy-not-found' }],
  ['policy bad name', { method: 'PUT', url: '/v1/policies/Bad_Name', operation: 'putPolicy', body: samplePolicy(), status: 400, code: 'invalid-request', pointer: '/params/name' }],
  ['policy without checks', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', body: { interval: '30s' }, status: 422, code: 'validation-failed', pointer: '/body/checks' }],
  ['policy bad duration', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', body: samplePolicy({ interval: 'soon' }), status: 422, code: 'validation-failed', pointer: '/body/interval' }],
  ['policy name mismatch', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', body: samplePolicy({ name: 'q' }), status: 422, code: 'validation-failed', pointer: '/body/name' }],
  ['policy unknown variable', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', body: samplePolicy({ checks: [{ name: 'c', query: 'up{job="{{jobb}}"}', min: 1 }] }), status: 422, code: 'validation-failed', pointer: '/body/checks/0/query' }],
  ['policy check without a kind', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', body: samplePolicy({ checks: [{ name: 'c', query: 'up' }] }), status: 422, code: 'validation-failed', pointer: '/body/checks/0' }],
  ['policy bad YAML', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', raw: 'checks: [\n  - name: x', contentType: 'application/yaml', status: 400, code: 'malformed-body' }],
  ['policy YAML scalar', { method: 'PUT', url: '/v1/policies/p', operation: 'putPolicy', raw: 'just a string', contentType: 'application/yaml', status: 422, code: 'validation-failed' }],
  ['delete unknown policy', { method: 'DELETE', url: '/v1/policies/missing', operation: 'deletePolicy', status: 404, code: 'policy-not-found' }],
];

describe('validation and errors', () => {
  let svc: TestService;

  beforeAll(async () => {
    svc = await startTestService();
    await svc.app.inject({ method: 'PUT', url: '/v1/policies/default', payload: samplePolicy() });
  });
  afterAll(() => svc.close());

  it('has at least 30 cases', () => expect(cases.length).toBeGreaterThanOrEqual(30));

  it.each(cases)('%s', async (_name, c) => {
    const response = await svc.app.inject({
      method: c.method,
      url: c.url,
      ...(c.raw !== undefined
        ? { payload: c.raw, headers: { 'content-type': c.contentType ?? 'application/json', ...c.headers } }
        : c.body !== undefined
          ? { payload: JSON.stringify(c.body), headers: { 'content-type': 'application/json', ...c.headers } }
          : { headers: c.headers ?? {} }),
    });
    expect(response.statusCode, response.body).toBe(c.status);
    expect(response.headers['content-type']).toBe('application/problem+json; charset=utf-8');
    const problem = response.json();
    expect(problem).toMatchObject({ status: c.status, code: c.code, type: `urn:promoter:problem:${c.code}` });
    expect(typeof problem.title).toBe('string');
    expect(typeof problem.detail).toBe('string');
    expect(response.body).not.toMatch(/at .*\.(ts|js):\d+/); // no stack traces
    if (c.pointer !== undefined) {
      expect(problem.errors?.map((e: { pointer: string }) => e.pointer), JSON.stringify(problem)).toContain(c.pointer);
    }
    const operation = c.operation ?? (c.url.startsWith('/v1/promotions') && c.method === 'POST' ? 'createPromotion' : undefined);
    if (operation) assertMatchesSpec(operation, response);
  });

  it('says where a YAML body breaks: line and column', async () => {
    const response = await svc.app.inject({
      method: 'PUT',
      url: '/v1/policies/p',
      payload: 'interval: 30s\nchecks:\n  - name: up\n    query: [up\n',
      headers: { 'content-type': 'application/yaml' },
    });
    expect(response.statusCode).toBe(400);
    expect(response.json().detail).toMatch(/^The body is not valid YAML at line \d+, column \d+: /);
  });

  it('gives one error per field: an empty namespace is one mistake, not two', async () => {
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: withTarget({ namespace: '' }) });
    expect(response.statusCode).toBe(422);
    const pointers = (response.json().errors as { pointer: string }[]).map((e) => e.pointer);
    expect(pointers).toEqual(['/body/target/namespace']);
  });

  it('lists at most 20 errors and says that more were left out', async () => {
    const extra = Object.fromEntries(Array.from({ length: 30 }, (_, i) => [`unknown${i}`, i]));
    const response = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: { ...good, ...extra } });
    expect(response.statusCode).toBe(422);
    const list = response.json().errors as { pointer: string; detail: string }[];
    expect(list).toHaveLength(21);
    expect(list[20]).toEqual({ pointer: '/body', detail: 'has more errors: only the first 20 are listed' });
    assertMatchesSpec('createPromotion', response);
  });

  it('checks a large invalid document one error at a time, so listing errors costs no more than refusing it', async () => {
    // 8,000 wrong checks in 250 KB: listing every error took ajv 0.6 s of CPU for 24,000 of them.
    const checks = Array.from({ length: 8_000 }, () => ({ name: 1, query: 2, max: 'x' }));
    for (const [contentType, payload] of [
      ['application/json', JSON.stringify({ checks })],
      ['application/yaml', `checks:\n${checks.slice(0, 5_000).map(() => '  - { name: 1, query: 2, max: x }').join('\n')}\n`],
    ] as const) {
      const response = await svc.app.inject({ method: 'PUT', url: '/v1/policies/huge', payload, headers: { 'content-type': contentType } });
      expect(response.statusCode, contentType).toBe(422);
      const list = response.json().errors as { pointer: string; detail: string }[];
      expect(list, contentType).toHaveLength(2);
      expect(list[1]?.detail).toBe('the document is large (over 1000 values), so only its first error is listed');
      assertMatchesSpec('putPolicy', response);
    }
    // A small invalid document still gets every error.
    const small = await svc.app.inject({ method: 'PUT', url: '/v1/policies/small', payload: { checks: [{ name: 1, query: 2, max: 'x' }] } });
    expect((small.json().errors as unknown[]).length).toBeGreaterThanOrEqual(3);
  });

  it('stored nothing from the invalid requests', async () => {
    const rows = await svc.database.handle.db.selectFrom('promotions').select('id').execute();
    expect(rows).toHaveLength(0);
    const policies = await svc.database.handle.db.selectFrom('policies').select('name').execute();
    expect(policies.map((p) => p.name)).toEqual(['default']);
  });
});
