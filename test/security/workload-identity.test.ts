/**
 * Workload identity through the whole HTTP stack (issue 25): a CI job promotes with its own signed OIDC token,
 * verified against the issuer's JWKS on loopback (real RS256 JWTs, jose), with no stored secret. The issuer
 * trusted here is configured through PROMOTER_IDENTITY_FILE's format (parsed from YAML text). Every refusal
 * case the issue names is here: expired, wrong audience, wrong issuer, unknown key, `alg: none`, a rotated key,
 * no rule matched, and the issuer's keys unreachable. A second issuer plays GitLab with ES256.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromoterClient } from '@promoter/sdk';
import { parseIdentityConfig } from '../../services/promoter/src/adapters/identity/identity-config.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startJwtIssuer, type JwtIssuer } from '../fixtures/jwt-issuer.js';
import { samplePolicy, samplePromotion, startTestService, type TestService } from '../fixtures/service.js';
import { cli } from '../cli/run-cli.js';
import { githubActionsToken } from '../../packages/cli/src/token-source.js';
import { grantFor } from '../../services/promoter/src/domain/identity/claim-rules.js';
import { snippetsOf } from '../docs/markdown-snippets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const ADMIN = { name: 'root', role: 'admin' as const, secret: 'workload-suite-admin-secret-0123', namespaces: undefined };
const MAIN = { repository: 'org/zai-proxy', ref: 'refs/heads/main', sub: 'repo:org/zai-proxy:ref:refs/heads/main' };

describe('workload identity: JWT bearer tokens of trusted issuers', () => {
  let github: JwtIssuer;
  let gitlab: JwtIssuer;
  let untrusted: JwtIssuer;
  let svc: TestService;
  let tmp: string;

  const call = (token: string, method: 'GET' | 'POST' | 'PUT', url: string, payload?: object) =>
    svc.app.inject({ method, url, headers: { authorization: `Bearer ${token}` }, ...(payload ? { payload } : {}) });
  const me = (token: string) => call(token, 'GET', '/v1/me');

  beforeAll(async () => {
    [github, gitlab, untrusted] = await Promise.all([startJwtIssuer(), startJwtIssuer({ alg: 'ES256' }), startJwtIssuer()]);
    const identity = parseIdentityConfig(
      `
workloads:
  - issuer: ${github.url}
    audience: promoter
    nameClaim: repository
    rules:
      - claims: { repository: org/platform }
        role: admin
      - claims: { repository: org/zai-proxy, ref: [refs/heads/main, "refs/tags/v*"] }
        role: operator
        namespaces: [mcp]
      - claims: { repository: org/zai-proxy }
        role: viewer
        namespaces: [mcp]
  - issuer: ${gitlab.url}
    audience: https://promoter.example.com
    nameClaim: project_path
    algorithms: [ES256]
    rules:
      - claims: { project_path: group/zai-proxy, ref_protected: "true" }
        role: operator
        namespaces: [mcp]
`,
      'identity.yaml',
    );
    svc = await startTestService({ listen: true, apiTokens: [ADMIN], identity, failedAuthPerMinute: 0, workloadKeys: { cooldownMs: 200 } });
    expect((await call(ADMIN.secret, 'PUT', '/v1/policies/default', samplePolicy())).statusCode).toBe(201);
    tmp = mkdtempSync(join(tmpdir(), 'promoter-workload-'));
  }, 60_000);

  afterAll(async () => {
    await svc?.close();
    await Promise.all([github?.close(), gitlab?.close(), untrusted?.close()]);
    if (tmp) rmSync(tmp, { recursive: true, force: true });
  });

  it('accepts a CI job token on main: the first matching rule grants operator of mcp, named after its repository', async () => {
    const token = await github.sign({ ...MAIN, groups: ['release-managers'] });
    const response = await me(token);
    assertMatchesSpec('getCurrentPrincipal', response);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toEqual({
      name: 'org/zai-proxy',
      role: 'operator',
      namespaces: ['mcp'],
      clusters: null,
      open: false,
      identity: { kind: 'workload', key: `${github.url}#${MAIN.sub}`, subject: MAIN.sub, issuer: github.url, displayName: 'org/zai-proxy', groups: ['release-managers'] },
      signIn: null,
      session: null,
    });
  });

  it('promotes in its namespace with its own token and is named as the actor; another namespace is refused 403', async () => {
    const token = await github.sign(MAIN);
    const created = await call(token, 'POST', '/v1/promotions', samplePromotion({ dryRun: true }));
    expect(created.statusCode, created.body).toBe(201);
    expect(created.json().actor).toBe('org/zai-proxy');
    const events = await call(token, 'GET', `/v1/promotions/${created.json().id}/events`);
    expect(events.json().items[0].actor).toBe('org/zai-proxy');
    const elsewhere = await call(token, 'POST', '/v1/promotions', samplePromotion({ dryRun: true, target: { namespace: 'payments', deployment: 'api', container: 'app' } }));
    expect(elsewhere.statusCode).toBe(403);
    expect(elsewhere.json().detail).toContain("may act only in namespaces mcp, not 'payments'");
  });

  it('takes a tag by the rule value ending in *, and a feature branch only as the viewer rule below', async () => {
    expect((await me(await github.sign({ ...MAIN, ref: 'refs/tags/v1.2.1' }))).json().role).toBe('operator');
    const feature = await me(await github.sign({ ...MAIN, ref: 'refs/heads/feature' }));
    expect(feature.statusCode).toBe(200);
    expect(feature.json().role).toBe('viewer');
    // A viewer cannot promote.
    const refused = await call(await github.sign({ ...MAIN, ref: 'refs/heads/feature' }), 'POST', '/v1/promotions', samplePromotion({ dryRun: true }));
    expect(refused.statusCode).toBe(403);
    expect(refused.json().detail).toBe("Workload 'org/zai-proxy' has role viewer; this needs operator.");
  });

  it('answers 403 to a valid token no rule grants, naming its subject and nothing of the rules', async () => {
    const response = await me(await github.sign({ repository: 'org/other', ref: 'refs/heads/main', sub: 'repo:org/other:ref:refs/heads/main' }));
    assertMatchesSpec('getCurrentPrincipal', response);
    expect(response.statusCode).toBe(403);
    expect(response.headers['content-type']).toContain('application/problem+json');
    expect(response.json().detail).toBe(`The token of ${github.url} for 'repo:org/other:ref:refs/heads/main' is valid, but no rule of this service grants it access.`);
    expect(response.body).not.toContain('zai-proxy');
    expect(response.body).not.toContain('platform');
  });

  it('refuses an expired token, a token for another audience, and one without exp, each with 401 saying which check failed', async () => {
    const cases: Array<[string, string]> = [
      [await github.sign(MAIN, { expiresIn: -120 }), 'it has expired'],
      [await github.sign(MAIN, { aud: 'someone-else' }), 'its audience (aud) is not this service'],
      [await github.sign(MAIN, { noExpiry: true }), 'its exp claim is missing or wrong'],
    ];
    for (const [token, why] of cases) {
      const response = await me(token);
      assertMatchesSpec('getCurrentPrincipal', response);
      expect(response.statusCode, why).toBe(401);
      expect(response.json().type).toMatch(/:unauthorized$/);
      expect(response.json().detail).toBe(`The token of ${github.url} is not accepted: ${why}.`);
    }
    // Within the 30 s clock skew an expired token still passes.
    expect((await me(await github.sign(MAIN, { expiresIn: -10 }))).statusCode).toBe(200);
  });

  it('treats a token of an issuer nobody trusts as an unknown token, and one claiming a trusted issuer but signed elsewhere as forged', async () => {
    const foreign = await me(await untrusted.sign(MAIN));
    expect(foreign.statusCode).toBe(401);
    expect(foreign.json().detail).toBe('The bearer token is not valid.');
    // Signed by another issuer's key, claiming to be GitHub's: the key id is not GitHub's.
    const forged = await me(await untrusted.sign(MAIN, { iss: github.url }));
    expect(forged.statusCode).toBe(401);
    expect(forged.json().detail).toBe(`The token of ${github.url} is not accepted: it is signed with a key the issuer does not publish.`);
  });

  it("refuses alg none, a key the issuer never published, and the other issuer's algorithm", async () => {
    const none = await me(github.unsigned(MAIN));
    expect(none.statusCode).toBe(401);
    expect(none.json().detail).toMatch(/^The token of .* is not accepted: (its signing algorithm is not allowed|it is not a well-formed signed JWT)\.$/);
    const stray = await me(await github.sign(MAIN, { key: await github.strayKey() }));
    expect(stray.statusCode).toBe(401);
    expect(stray.json().detail).toBe(`The token of ${github.url} is not accepted: it is signed with a key the issuer does not publish.`);
    // GitLab's entry allows ES256 only; an RS256 token claiming GitLab is refused before any key matters.
    const rs = await me(await untrusted.sign({ project_path: 'group/zai-proxy', ref_protected: true, sub: 'project_path:group/zai-proxy' }, { iss: gitlab.url, aud: 'https://promoter.example.com' }));
    expect(rs.statusCode).toBe(401);
    expect(rs.json().detail).toBe(`The token of ${gitlab.url} is not accepted: its signing algorithm is not allowed.`);
  });

  it('accepts a GitLab-style ES256 token whose boolean claim matches the rule as text', async () => {
    const token = await gitlab.sign({ project_path: 'group/zai-proxy', ref_protected: true, sub: 'project_path:group/zai-proxy:ref_type:branch:ref:main' }, { aud: 'https://promoter.example.com' });
    const response = await me(token);
    expect(response.statusCode, response.body).toBe(200);
    expect(response.json()).toMatchObject({ name: 'group/zai-proxy', role: 'operator', identity: { issuer: gitlab.url } });
    const unprotected = await me(await gitlab.sign({ project_path: 'group/zai-proxy', ref_protected: false, sub: 'x' }, { aud: 'https://promoter.example.com' }));
    expect(unprotected.statusCode).toBe(403);
  });

  it('follows a key rotation: a token of the new key makes the service fetch the keys again; the retired key is then refused', async () => {
    const old = await github.sign(MAIN);
    expect((await me(old)).statusCode).toBe(200);
    const before = github.requests.jwks;
    await github.rotate();
    await new Promise((r) => setTimeout(r, 250)); // past the (test's) cool-down between refetches
    const fresh = await me(await github.sign(MAIN));
    expect(fresh.statusCode, fresh.body).toBe(200);
    expect(github.requests.jwks).toBe(before + 1);
    const retired = await me(old);
    expect(retired.statusCode).toBe(401);
    // Made-up key ids make the service fetch again at most once per cool-down (200 ms here), however many come.
    const stray = await github.strayKey();
    const fetchedBefore = github.requests.jwks;
    const started = Date.now();
    const forged = await Promise.all(Array.from({ length: 20 }, async () => (await me(await github.sign(MAIN, { key: stray }))).statusCode));
    expect(forged).toEqual(Array(20).fill(401));
    const cooldowns = Math.floor((Date.now() - started) / 200) + 1;
    expect(github.requests.jwks - fetchedBefore).toBeLessThanOrEqual(cooldowns);
    expect(github.requests.jwks - fetchedBefore).toBeLessThan(20);
  });

  it("answers 503 identity-provider-unavailable when the issuer's keys cannot be fetched, and recovers", async () => {
    // A fresh issuer entry is only reachable through a new service; GitLab's keys are cached, so make GitHub refetch.
    await github.rotate();
    github.failWith(500);
    await new Promise((r) => setTimeout(r, 250));
    const response = await me(await github.sign(MAIN));
    assertMatchesSpec('getCurrentPrincipal', response);
    expect(response.statusCode).toBe(503);
    expect(response.json().type).toMatch(/:identity-provider-unavailable$/);
    expect(response.headers['retry-after']).toBe('10');
    github.failWith(0);
    await new Promise((r) => setTimeout(r, 250));
    expect((await me(await github.sign(MAIN))).statusCode).toBe(200);
  });

  it('lets the CLI and the SDK promote with a token file read before every request (renewed tokens are picked up)', async () => {
    const file = join(tmp, 'oidc-token');
    writeFileSync(file, `${await github.sign(MAIN)}\n`);
    const listed = await cli(['list', '--json'], { url: svc.url, env: { PROMOTER_TOKEN_FILE: file } });
    expect(listed.code, listed.stderr).toBe(0);
    // The file is renewed with a token of another identity: the next command (and request) uses it.
    writeFileSync(file, await github.sign({ ...MAIN, ref: 'refs/heads/feature' }));
    const promoted = await cli(['promote', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '-p', 'default', '--image', 'registry.example.com/mcp/zai-proxy:1.2.2', '--dry-run'], {
      url: svc.url,
      env: { PROMOTER_TOKEN_FILE: file },
    });
    expect(promoted.code).toBe(3);
    expect(promoted.stderr).toContain("Workload 'org/zai-proxy' has role viewer; this needs operator.");

    let reads = 0;
    const client = createPromoterClient({
      baseUrl: svc.url,
      token: async () => {
        reads += 1;
        return github.sign(MAIN);
      },
    });
    expect((await client.tokens.current()).identity).toMatchObject({ kind: 'workload', displayName: 'org/zai-proxy' });
    const list = await client.promotions.list({ namespace: 'mcp' });
    expect(list.items.length).toBeGreaterThan(0);
    expect(reads).toBeGreaterThanOrEqual(1);

    const missing = await cli(['list'], { url: svc.url, env: { PROMOTER_TOKEN_FILE: join(tmp, 'nope') } });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain('PROMOTER_TOKEN_FILE: cannot read');
  });

  it("lets the CLI in GitHub Actions promote with the job's own OIDC token, asked for again when it is about to expire", async () => {
    // GitHub's token endpoint as a job sees it (id-token: write): GET <url>&audience=..., bearer request token, {"value": jwt}.
    const asked: string[] = [];
    let lifetime = 30;
    const actions = createServer((request, response) => {
      const url = new URL(request.url ?? '/', 'http://runner');
      if (request.headers.authorization !== 'bearer runner-request-token' || url.searchParams.get('api-version') !== '2.0') {
        response.writeHead(401, { 'content-type': 'application/json' }).end('{"message":"Bad credentials"}');
        return;
      }
      const audience = url.searchParams.get('audience') ?? '';
      asked.push(audience);
      // 30 s tokens: within the CLI's one-minute renewal margin, so every request asks for a fresh one.
      void github.sign(MAIN, { aud: audience, expiresIn: lifetime }).then((value) => response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ count: 1, value })));
    });
    await new Promise<void>((resolve) => actions.listen(0, '127.0.0.1', resolve));
    const requestUrl = `http://127.0.0.1:${(actions.address() as AddressInfo).port}/_apis/pipelines/1/runs/7/idtoken?api-version=2.0`;
    try {
      const env = { PROMOTER_OIDC_AUDIENCE: 'promoter', ACTIONS_ID_TOKEN_REQUEST_URL: requestUrl, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'runner-request-token' };
      const promoted = await cli(['promote', '-n', 'mcp', '-d', 'zai-proxy-gha', '-c', 'proxy', '-p', 'default', '--image', 'registry.example.com/mcp/zai-proxy:1.2.3', '--dry-run', '--json'], { url: svc.url, env });
      expect(promoted.code, promoted.stderr).toBe(0);
      expect(promoted.json<{ actor: string }>().actor).toBe('org/zai-proxy');
      const status = await cli(['status', promoted.json<{ id: string }>().id], { url: svc.url, env });
      expect(status.code, status.stderr).toBe(0);
      // Both commands asked GitHub for a token with the service's audience.
      expect(asked.length).toBeGreaterThanOrEqual(2);
      expect(new Set(asked)).toEqual(new Set(['promoter']));
      // The provider the CLI uses: a 30 s token is asked for again on the next request, a 10-minute one is kept,
      // and requests sent together share one ask.
      asked.length = 0;
      const provider = githubActionsToken(env, 'promoter', 'list');
      await provider();
      await provider();
      expect(asked).toHaveLength(2);
      lifetime = 600;
      asked.length = 0;
      const kept = githubActionsToken(env, 'promoter', 'list');
      const [a, b] = await Promise.all([kept(), kept()]);
      expect(await kept()).toBe(a);
      expect(b).toBe(a);
      expect(asked).toHaveLength(1);
      // Without id-token: write, the CLI says what the job lacks.
      const unset = await cli(['list'], { url: svc.url, env: { PROMOTER_OIDC_AUDIENCE: 'promoter' } });
      expect(unset.code).toBe(2);
      expect(unset.stderr).toContain('give the job `permissions: id-token: write`');
      const refused = await cli(['list'], { url: svc.url, env: { ...env, ACTIONS_ID_TOKEN_REQUEST_TOKEN: 'stale' } });
      expect(refused.code, refused.stderr).toBe(2);
      expect(refused.stderr).toContain('cannot get a GitHub Actions OIDC token: the token endpoint answered 401');
      expect(refused.stderr).not.toContain('stale');
    } finally {
      await new Promise<void>((resolve) => actions.close(() => resolve()));
    }
  });

  it("reads the README's identity file example as the service does, and its rules decide as the README says", () => {
    const block = snippetsOf(ROOT, 'README.md').find((s) => s.lang === 'yaml' && s.code.startsWith('# PROMOTER_IDENTITY_FILE'));
    expect(block, 'the README shows an identity file').toBeDefined();
    const config = parseIdentityConfig(block?.code ?? '', join(ROOT, 'identity.yaml'));
    expect(config.workloads.map((w) => w.issuer)).toEqual(['https://token.actions.githubusercontent.com', 'https://gitlab.example.com', 'https://kubernetes.default.svc.cluster.local']);
    const [actions] = config.workloads;
    expect(grantFor(actions?.rules ?? [], { repository: 'org/zai-proxy', ref: 'refs/tags/v1.2.1' })).toMatchObject({ role: 'operator', namespaces: ['mcp'] });
    expect(grantFor(actions?.rules ?? [], { repository: 'org/zai-proxy', ref: 'refs/heads/feature' })).toBeUndefined();
  });

  it('keeps the API closed when only workload issuers are configured (no anonymous admin)', async () => {
    const identity = parseIdentityConfig(`workloads:\n  - issuer: ${github.url}\n    audience: promoter\n    rules:\n      - { claims: { repository: org/zai-proxy }, role: viewer }\n`, 'identity.yaml');
    const closed = await startTestService({ identity });
    try {
      const anonymous = await closed.app.inject({ method: 'GET', url: '/v1/me' });
      expect(anonymous.statusCode).toBe(401);
      const signed = await closed.app.inject({ method: 'GET', url: '/v1/me', headers: { authorization: `Bearer ${await github.sign(MAIN)}` } });
      expect(signed.statusCode).toBe(200);
      expect(signed.json()).toMatchObject({ role: 'viewer', open: false });
    } finally {
      await closed.close();
    }
  });
});
