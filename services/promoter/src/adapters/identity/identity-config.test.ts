import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadIdentityFile, parseIdentityConfig } from './identity-config.js';

const parse = (text: string, env: Record<string, string> = {}) => parseIdentityConfig(text, '/etc/promoter/identity.yaml', env);
const WORKLOAD = `workloads:\n  - issuer: https://token.actions.githubusercontent.com\n    audience: promoter\n    rules:\n      - { claims: { repository: org/app }, role: operator, namespaces: [mcp] }\n`;

describe('PROMOTER_IDENTITY_FILE', () => {
  it('reads workload issuers with their defaults: sub as the name, RS256 and ES256', () => {
    const config = parse(WORKLOAD);
    expect(config.people).toBeUndefined();
    expect(config.workloads).toEqual([
      {
        issuer: 'https://token.actions.githubusercontent.com',
        audience: 'promoter',
        jwksUrl: undefined,
        nameClaim: 'sub',
        algorithms: ['RS256', 'ES256'],
        rules: [{ claims: { repository: ['org/app'] }, role: 'operator', namespaces: ['mcp'], clusters: undefined }],
      },
    ]);
  });

  it('reads people with a client secret from a file beside it, and the defaults', () => {
    const dir = mkdtempSync(join(tmpdir(), 'identity-config-'));
    writeFileSync(join(dir, 'secret'), 's3cret\n');
    const path = join(dir, 'identity.yaml');
    writeFileSync(path, `people:\n  issuer: https://idp.example.com/realms/main\n  clientId: promoter\n  clientSecretFile: secret\n  rules:\n    - { claims: { groups: sre }, role: admin }\n`);
    const { people } = loadIdentityFile(path, {});
    expect(people).toMatchObject({ clientId: 'promoter', clientSecret: 's3cret', scopes: ['openid', 'profile', 'email'], groupsClaim: 'groups', sessionMaxAgeMs: 12 * 3_600_000 });
    expect(people?.nameClaims).toEqual(['name', 'preferred_username', 'email', 'sub']);
  });

  it('takes a client secret from a named environment variable, and refuses one that is not set without echoing anything', () => {
    const text = `people:\n  issuer: https://idp.example.com\n  clientId: promoter\n  clientSecretEnv: OIDC_SECRET\n  rules: [{ claims: { groups: sre }, role: admin }]\n`;
    expect(parse(text, { OIDC_SECRET: ' abc ' }).people?.clientSecret).toBe('abc');
    expect(() => parse(text)).toThrow('people: clientSecretEnv names OIDC_SECRET, which is not set');
  });

  it.each([
    ['neither section', 'other: 1', "unknown field other"],
    ['an empty file', '{}', 'names neither people nor workloads'],
    ['a missing audience', WORKLOAD.replace('    audience: promoter\n', ''), 'workloads[0]: audience is required'],
    ['a rule without claims', WORKLOAD.replace('{ repository: org/app }', '{}'), 'workloads[0]: rules[0]: claims must name at least one claim'],
    ['a bare * value', WORKLOAD.replace('org/app', "'*'"), "a value must not be empty or a bare '*'"],
    ['a * inside a value', WORKLOAD.replace('org/app', "'org/*/app'"), "'*' is allowed only at the end of a value"],
    ['an unknown role', WORKLOAD.replace('role: operator', 'role: root'), 'role must be one of viewer, operator, admin'],
    ['a namespace that is no DNS label', WORKLOAD.replace('[mcp]', '[MCP]'), 'namespaces: MCP is not a lowercase DNS label'],
    ['alg none', WORKLOAD.replace('    audience: promoter\n', '    audience: promoter\n    algorithms: [none]\n'), 'algorithms: none not allowed'],
    ['a shared-secret algorithm', WORKLOAD.replace('    audience: promoter\n', '    audience: promoter\n    algorithms: [HS256]\n'), 'algorithms: HS256 not allowed'],
    ['an issuer that is no URL', WORKLOAD.replace('https://token.actions.githubusercontent.com', 'github'), 'issuer must be an https:// URL'],
    ['credentials in a URL', WORKLOAD.replace('https://token', 'https://u:p@token'), 'issuer must not hold credentials'],
    ['an issuer twice', `${WORKLOAD}  - issuer: https://token.actions.githubusercontent.com\n    audience: x\n    rules: [{ claims: { a: b }, role: viewer }]\n`, 'is listed twice'],
    ['no openid scope', 'people:\n  issuer: https://idp\n  clientId: c\n  scopes: [profile]\n  rules: [{ claims: { a: b }, role: viewer }]\n', "scopes must include 'openid'"],
    ['a session too short', "people:\n  issuer: https://idp\n  clientId: c\n  sessionMaxAge: 10s\n  rules: [{ claims: { a: b }, role: viewer }]\n", 'sessionMaxAge must be a duration between 1m and 720h'],
  ])('refuses %s, naming the field', (_case, text, message) => {
    expect(() => parse(text)).toThrow(message);
  });

  it('names the file when it cannot be read or is too big', () => {
    expect(() => loadIdentityFile('/nonexistent/identity.yaml')).toThrow('/nonexistent/identity.yaml: cannot read it: ENOENT');
    const dir = mkdtempSync(join(tmpdir(), 'identity-config-'));
    writeFileSync(join(dir, 'big.yaml'), 'x'.repeat(300 * 1024));
    expect(() => loadIdentityFile(join(dir, 'big.yaml'))).toThrow('is larger than 262144 bytes');
  });
});
