import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseApiTokens, type ApiToken } from './config.js';

const SECRET = 'abcdefghijklmnop'; // 16 characters, the shortest allowed
const OTHER_SECRET = 'qrstuvwxyz012345';

/** Runs `fn` and returns the ConfigError it throws. */
function configError(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig: defaults', () => {
  it('starts with an empty environment', () => {
    expect(loadConfig({})).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      databaseUrl: undefined,
      dataDir: resolve('.promoter'),
      prometheus: undefined,
      kubeconfig: undefined,
      apiTokens: [],
      policiesDir: undefined,
      logLevel: 'info',
      engineEnabled: true,
      engineConcurrency: 16,
      production: false,
      bodyLimitBytes: 256 * 1024,
      pullRequestPollMs: 15_000,
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(loadConfig({}))).toBe(true);
  });

  it('treats empty and blank variables as unset, and trims values', () => {
    expect(loadConfig({ PORT: '', HOST: '   ', LOG_LEVEL: ' debug ' })).toMatchObject({ port: 8080, host: '0.0.0.0', logLevel: 'debug' });
  });

  it('does not read process.env when given an environment', () => {
    expect(loadConfig({ PORT: '9' }).port).toBe(9);
  });
});

describe('loadConfig: values', () => {
  const cases: ReadonlyArray<[string, { env: Record<string, string>; want: Record<string, unknown> }]> = [
    ['PORT', { env: { PORT: '3000' }, want: { port: 3000 } }],
    ['PORT 0 (any free port)', { env: { PORT: '0' }, want: { port: 0 } }],
    ['HOST', { env: { HOST: '127.0.0.1' }, want: { host: '127.0.0.1' } }],
    ['DATABASE_URL postgres://', { env: { DATABASE_URL: 'postgres://u:p@db:5432/x' }, want: { databaseUrl: 'postgres://u:p@db:5432/x' } }],
    ['DATABASE_URL postgresql://', { env: { DATABASE_URL: 'postgresql://db/x' }, want: { databaseUrl: 'postgresql://db/x' } }],
    ['PROMOTER_DATA_DIR is resolved', { env: { PROMOTER_DATA_DIR: 'data/x' }, want: { dataDir: resolve('data/x') } }],
    ['PROMOTER_POLICIES_DIR is resolved', { env: { PROMOTER_POLICIES_DIR: 'policies' }, want: { policiesDir: resolve('policies') } }],
    ['PROMOTER_ENGINE off', { env: { PROMOTER_ENGINE: 'off' }, want: { engineEnabled: false } }],
    ['PROMOTER_ARGOCD_SYNC true', { env: { PROMOTER_ARGOCD_SYNC: 'true' }, want: { argocdSync: true } }],
    ['PROMOTER_PULL_REQUEST_POLL_MS', { env: { PROMOTER_PULL_REQUEST_POLL_MS: '2000' }, want: { pullRequestPollMs: 2000 } }],
    ['LOG_LEVEL silent', { env: { LOG_LEVEL: 'silent' }, want: { logLevel: 'silent' } }],
    ['KUBECONFIG', { env: { KUBECONFIG: '/k/config' }, want: { kubeconfig: '/k/config' } }],
    ['PROMOTER_BODY_LIMIT', { env: { PROMOTER_BODY_LIMIT: '1024' }, want: { bodyLimitBytes: 1024 } }],
    ['PROMOTER_GIT_MAX_FILE_BYTES', { env: { PROMOTER_GIT_MAX_FILE_BYTES: '2097152' }, want: { gitMaxFileBytes: 2097152 } }],
    ['NODE_ENV=production with tokens', { env: { NODE_ENV: 'production', PROMOTER_API_TOKENS: `ci:admin:${SECRET}` }, want: { production: true } }],
  ];
  it.each(cases)('%s', (_name, { env, want }) => {
    expect(loadConfig(env)).toMatchObject(want);
  });

  it('reads Prometheus settings, dropping trailing slashes from the URL', () => {
    expect(
      loadConfig({
        PROMETHEUS_URL: 'https://prom.example.com/prometheus//',
        PROMETHEUS_USERNAME: 'u',
        PROMETHEUS_PASSWORD: 'p:w',
        PROMETHEUS_HEADERS: '{"X-Scope-OrgID":"team-a"}',
        PROMETHEUS_INSECURE_SKIP_TLS_VERIFY: 'true',
        PROMETHEUS_TIMEOUT_MS: '2500',
      }).prometheus,
    ).toEqual({
      url: 'https://prom.example.com/prometheus',
      bearerToken: undefined,
      username: 'u',
      password: 'p:w',
      headers: { 'X-Scope-OrgID': 'team-a' },
      insecureSkipTlsVerify: true,
      timeoutMs: 2500,
    });
    expect(loadConfig({ PROMETHEUS_URL: 'http://prom:9090', PROMETHEUS_BEARER_TOKEN: 't' }).prometheus).toMatchObject({
      url: 'http://prom:9090',
      bearerToken: 't',
      headers: {},
      insecureSkipTlsVerify: false,
      timeoutMs: 10_000,
    });
  });
});

describe('loadConfig: each bad variable is named', () => {
  const prom = { PROMETHEUS_URL: 'http://prom:9090' };
  const cases: ReadonlyArray<[string, { env: Record<string, string>; variable: string }]> = [
    ['PORT not a number', { env: { PORT: 'http' }, variable: 'PORT' }],
    ['PORT negative', { env: { PORT: '-1' }, variable: 'PORT' }],
    ['PORT a fraction', { env: { PORT: '80.5' }, variable: 'PORT' }],
    ['PORT out of range', { env: { PORT: '65536' }, variable: 'PORT' }],
    ['LOG_LEVEL unknown', { env: { LOG_LEVEL: 'verbose' }, variable: 'LOG_LEVEL' }],
    ['LOG_LEVEL in capitals', { env: { LOG_LEVEL: 'INFO' }, variable: 'LOG_LEVEL' }],
    ['DATABASE_URL of another database', { env: { DATABASE_URL: 'mysql://db/x' }, variable: 'DATABASE_URL' }],
    ['DATABASE_URL without a scheme', { env: { DATABASE_URL: 'db:5432' }, variable: 'DATABASE_URL' }],
    ['PROMOTER_ENGINE neither on nor off', { env: { PROMOTER_ENGINE: 'true' }, variable: 'PROMOTER_ENGINE' }],
    ['PROMOTER_ARGOCD_SYNC neither true nor false', { env: { PROMOTER_ARGOCD_SYNC: 'yes' }, variable: 'PROMOTER_ARGOCD_SYNC' }],
    ['PROMETHEUS_URL without a scheme', { env: { PROMETHEUS_URL: 'prom:9090' }, variable: 'PROMETHEUS_URL' }],
    ['PROMETHEUS_URL of another scheme', { env: { PROMETHEUS_URL: 'ftp://prom' }, variable: 'PROMETHEUS_URL' }],
    ['PROMETHEUS_URL with a space', { env: { PROMETHEUS_URL: 'http://prom 9090' }, variable: 'PROMETHEUS_URL' }],
    ['PROMETHEUS_URL that fetch cannot parse', { env: { PROMETHEUS_URL: 'http://[::1' }, variable: 'PROMETHEUS_URL' }],
    // Issue 14: the password travelled into stored check results (readable by viewers) and logs.
    ['PROMETHEUS_URL with credentials', { env: { PROMETHEUS_URL: 'http://admin:hunter2@prom:9090' }, variable: 'PROMETHEUS_URL' }],
    ['PROMETHEUS_URL with a user only', { env: { PROMETHEUS_URL: 'https://token@prom:9090' }, variable: 'PROMETHEUS_URL' }],
    ['PROMOTER_WEBHOOK_ALLOWED_URLS not a URL', { env: { PROMOTER_WEBHOOK_ALLOWED_URLS: 'https://ci.example/hooks/,ci.example' }, variable: 'PROMOTER_WEBHOOK_ALLOWED_URLS' }],
    ['PROMOTER_SSE_TOTAL zero', { env: { PROMOTER_SSE_TOTAL: '0' }, variable: 'PROMOTER_SSE_TOTAL' }],
    ['PROMETHEUS_TIMEOUT_MS too small', { env: { ...prom, PROMETHEUS_TIMEOUT_MS: '10' }, variable: 'PROMETHEUS_TIMEOUT_MS' }],
    ['PROMETHEUS_HEADERS not JSON', { env: { ...prom, PROMETHEUS_HEADERS: 'X-Scope-OrgID: a' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS an array', { env: { ...prom, PROMETHEUS_HEADERS: '["a"]' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS null', { env: { ...prom, PROMETHEUS_HEADERS: 'null' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS a number value', { env: { ...prom, PROMETHEUS_HEADERS: '{"a":1}' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS a header name with a space', { env: { ...prom, PROMETHEUS_HEADERS: '{"X Org":"a"}' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS an empty header name', { env: { ...prom, PROMETHEUS_HEADERS: '{"":"a"}' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS a value with a line break', { env: { ...prom, PROMETHEUS_HEADERS: '{"X-Org":"a\\r\\nX-Admin: 1"}' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_HEADERS a value beyond Latin-1', { env: { ...prom, PROMETHEUS_HEADERS: '{"X-Org":"日本"}' }, variable: 'PROMETHEUS_HEADERS' }],
    ['PROMETHEUS_USERNAME without a password', { env: { ...prom, PROMETHEUS_USERNAME: 'u' }, variable: 'PROMETHEUS_PASSWORD' }],
    ['PROMETHEUS_PASSWORD without a username', { env: { ...prom, PROMETHEUS_PASSWORD: 'p' }, variable: 'PROMETHEUS_USERNAME' }],
    ['NODE_ENV=production without tokens', { env: { NODE_ENV: 'production' }, variable: 'PROMOTER_API_TOKENS' }],
    ['PROMOTER_API_TOKENS malformed', { env: { PROMOTER_API_TOKENS: 'ci' }, variable: 'PROMOTER_API_TOKENS' }],
    ['PROMOTER_BODY_LIMIT too small', { env: { PROMOTER_BODY_LIMIT: '10' }, variable: 'PROMOTER_BODY_LIMIT' }],
    ['PROMOTER_GIT_MAX_FILE_BYTES above 16 MiB', { env: { PROMOTER_GIT_MAX_FILE_BYTES: '16777217' }, variable: 'PROMOTER_GIT_MAX_FILE_BYTES' }],
    ['PROMOTER_ENGINE_CONCURRENCY zero', { env: { PROMOTER_ENGINE_CONCURRENCY: '0' }, variable: 'PROMOTER_ENGINE_CONCURRENCY' }],
  ];
  it.each(cases)('%s', (_name, { env, variable }) => {
    const error = configError(() => loadConfig(env));
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
    expect(error.name).toBe('ConfigError');
  });

  it('says why, with the value where it is not a secret', () => {
    expect(configError(() => loadConfig({ PORT: 'http' })).message).toBe("PORT: must be a whole number, got 'http'");
    expect(configError(() => loadConfig({ PORT: '65536' })).message).toBe('PORT: must be between 0 and 65535, got 65536');
    expect(configError(() => loadConfig({ PROMOTER_PULL_REQUEST_POLL_MS: '10' })).message).toBe('PROMOTER_PULL_REQUEST_POLL_MS: must be between 100 and 3600000, got 10');
  });

  it('refuses credentials in PROMETHEUS_URL without echoing them, pointing to the dedicated variables', () => {
    const message = configError(() => loadConfig({ PROMETHEUS_URL: 'http://admin:hunter2@prom:9090' })).message;
    expect(message).not.toContain('hunter2');
    expect(message).toContain('PROMETHEUS_USERNAME');
  });

  it('reads the webhook allow-list and the secrets header values may reference', () => {
    const config = loadConfig({ PROMOTER_WEBHOOK_ALLOWED_URLS: ' https://ci.example/hooks/ , http://10.0.0.5:8080/ ', PROMOTER_WEBHOOK_SECRET_CI: 's3', OTHER: 'x' });
    expect(config.webhooks).toEqual({ allowedUrls: ['https://ci.example/hooks/', 'http://10.0.0.5:8080/'], secrets: { PROMOTER_WEBHOOK_SECRET_CI: 's3' } });
    expect(loadConfig({}).webhooks).toEqual({ allowedUrls: [], secrets: {} });
  });

  it('does not echo the Prometheus headers, which may carry credentials', () => {
    const message = configError(() => loadConfig({ ...prom, PROMETHEUS_HEADERS: '{"Authorization":"Bearer s3cr3t\\n"}' })).message;
    expect(message).not.toContain('s3cr3t');
  });
});

describe('parseApiTokens', () => {
  const valid: ReadonlyArray<[string, { given: string | undefined; want: ApiToken[] }]> = [
    ['unset', { given: undefined, want: [] }],
    ['name:role:secret', { given: `ci:operator:${SECRET}`, want: [{ name: 'ci', role: 'operator', namespaces: undefined, secret: SECRET }] }],
    ['name:role:ns1|ns2:secret', { given: `ci:operator:mcp|payments-2:${SECRET}`, want: [{ name: 'ci', role: 'operator', namespaces: ['mcp', 'payments-2'], secret: SECRET }] }],
    ['one namespace', { given: `ci:viewer:mcp:${SECRET}`, want: [{ name: 'ci', role: 'viewer', namespaces: ['mcp'], secret: SECRET }] }],
    ['a secret with colons after namespaces', { given: `ci:admin:mcp:${SECRET}:x:y`, want: [{ name: 'ci', role: 'admin', namespaces: ['mcp'], secret: `${SECRET}:x:y` }] }],
    ['a secret with colons after an empty namespace field', { given: 'ci:admin::Xy9+/=:abc:defghijklmnop', want: [{ name: 'ci', role: 'admin', namespaces: undefined, secret: 'Xy9+/=:abc:defghijklmnop' }] }],
    [
      'several, comma separated, with spaces around entries',
      {
        given: ` ci:operator:mcp:${SECRET} , oncall:admin:${OTHER_SECRET}`,
        want: [
          { name: 'ci', role: 'operator', namespaces: ['mcp'], secret: SECRET },
          { name: 'oncall', role: 'admin', namespaces: undefined, secret: OTHER_SECRET },
        ],
      },
    ],
  ];
  it.each(valid)('%s', (_name, { given, want }) => {
    expect(parseApiTokens(given)).toEqual(want);
  });

  // Issue 24: `@name` entries of the scope field are clusters; the rest stay namespaces, so old values read the same.
  it.each([
    ['a cluster only', { given: `ci:operator:@staging:${SECRET}`, namespaces: undefined, clusters: ['staging'] }],
    ['a cluster and a namespace', { given: `ci:operator:@staging|mcp:${SECRET}`, namespaces: ['mcp'], clusters: ['staging'] }],
    ['namespaces and clusters in any order', { given: `ci:viewer:mcp|@apexalgo-iad|web|@staging:${SECRET}`, namespaces: ['mcp', 'web'], clusters: ['apexalgo-iad', 'staging'] }],
    ['namespaces only: every cluster', { given: `ci:viewer:mcp:${SECRET}`, namespaces: ['mcp'], clusters: undefined }],
  ])('scope with clusters: %s', (_name, { given, namespaces, clusters }) => {
    const [token] = parseApiTokens(given);
    expect(token).toMatchObject({ name: 'ci', secret: SECRET });
    expect(token?.namespaces).toEqual(namespaces);
    expect(token?.clusters).toEqual(clusters);
  });

  it.each([['@'], ['@Staging'], ['@staging|'], ['@@staging']])('refuses the malformed cluster entry %s', (field) => {
    expect(() => parseApiTokens(`ci:admin:${field}:${SECRET}`)).toThrow(/third field must be namespaces and @clusters/);
  });

  // With four fields or more the third is always the namespace list: no guessing.
  it('reads the third of four fields as namespaces', () => {
    expect(parseApiTokens('ci:admin:abc:defghijklmnopqrst')).toEqual([{ name: 'ci', role: 'admin', namespaces: ['abc'], secret: 'defghijklmnopqrst' }]);
  });

  const invalid: ReadonlyArray<[string, { given: string; want: RegExp }]> = [
    ['a name only', { given: 'ci', want: /entry 1 must look like name:role\[:ns1\|ns2\]:secret/ }],
    ['no secret', { given: 'ci:admin', want: /entry 1 must look like/ }],
    ['an empty name', { given: `:admin:${SECRET}`, want: /entry 1 must look like/ }],
    ['an empty role', { given: `ci::${SECRET}`, want: /entry 1 must look like/ }],
    ['an unknown role', { given: `ci:root:${SECRET}`, want: /entry 1 \(ci\) has role 'root'; roles are viewer, operator, admin/ }],
    ['a role in capitals', { given: `ci:Admin:${SECRET}`, want: /has role 'Admin'/ }],
    ['a short secret', { given: 'ci:admin:fifteen-chars-x', want: /entry 1 \(ci\) has a secret shorter than 16 characters/ }],
    ['a short secret after namespaces', { given: 'ci:admin:mcp:short', want: /shorter than 16/ }],
    ['an empty secret', { given: 'ci:admin:', want: /shorter than 16/ }],
    ['an empty entry (trailing comma)', { given: `ci:admin:${SECRET},`, want: /entry 2 must look like/ }],
    ['a duplicate name', { given: `ci:admin:${SECRET},ci:viewer:${OTHER_SECRET}`, want: /entry 2: the name 'ci' is used twice/ }],
    // Issue 14: this became an unscoped token whose secret was 'MCP:...'.
    ['a namespace that is no DNS label', { given: `ci:operator:MCP:${SECRET}`, want: /entry 1 \(ci\): the third field must be namespaces/ }],
    ['a secret with colons in the namespace field', { given: 'ci:admin:Xy9+/=:abc:defghijklmnop', want: /entry 1 \(ci\): the third field must be namespaces/ }],
    ['a reserved name', { given: `engine:admin:${SECRET}`, want: /entry 1: the name 'engine' is reserved/ }],
    ['the reserved name system', { given: `system:viewer:mcp:${SECRET}`, want: /the name 'system' is reserved/ }],
    ['a duplicate secret (the caller would be whichever token is last)', { given: `ro:viewer:${SECRET},root:admin:${SECRET}`, want: /entry 2 \(root\) has the same secret as an earlier token/ }],
  ];
  it.each(invalid)('refuses %s', (_name, { given, want }) => {
    const error = configError(() => parseApiTokens(given));
    expect(error.variable).toBe('PROMOTER_API_TOKENS');
    expect(error.message).toMatch(want);
  });

  it('never puts a secret in an error message', () => {
    const secret = 'Sup3rSecretValue-42';
    for (const given of [`ci:root:${secret}`, `ci:admin:${secret},ci:admin:${secret}x`, `a:viewer:${secret},b:admin:${secret}`, `ci:admin:${secret.slice(0, 10)}`]) {
      const message = configError(() => parseApiTokens(given)).message;
      expect(message).not.toContain(secret.slice(0, 10));
    }
  });
});

describe('PROMOTER_CLUSTERS_FILE', () => {
  const dir = mkdtempSync(join(tmpdir(), 'promoter-config-clusters-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('without it: one cluster named default, from KUBECONFIG or the pod (as before clusters)', () => {
    expect(loadConfig({}).clusters).toEqual({ clusters: [{ name: 'default', source: { kind: 'environment' } }], defaultCluster: 'default', file: undefined });
  });

  it('reads the named clusters from the file', () => {
    const file = join(dir, 'clusters.yaml');
    writeFileSync(file, 'default: staging\nclusters: [{ name: staging, inCluster: true }, { name: iad, kubeconfig: iad.yaml }]');
    const { clusters } = loadConfig({ PROMOTER_CLUSTERS_FILE: file });
    expect(clusters.defaultCluster).toBe('staging');
    expect(clusters.clusters.map((c) => c.name)).toEqual(['staging', 'iad']);
  });

  it('stops start-up naming the variable, the file and the key at fault', () => {
    const file = join(dir, 'bad.yaml');
    writeFileSync(file, 'clusters: [{ name: iad, kubeconfig: k, token: x }]');
    const error = configError(() => loadConfig({ PROMOTER_CLUSTERS_FILE: file }));
    expect(error.variable).toBe('PROMOTER_CLUSTERS_FILE');
    expect(error.message).toBe(`PROMOTER_CLUSTERS_FILE: ${file}: clusters[0] 'iad': unknown field token (allowed: name, kubeconfig, context, inCluster)`);
  });
});
