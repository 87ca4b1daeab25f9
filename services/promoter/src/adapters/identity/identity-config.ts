/**
 * Who may sign in besides the static tokens, read once at boot from the YAML or JSON file named by
 * PROMOTER_IDENTITY_FILE:
 * - `people`: one OpenID provider the console signs people in with (authorization code flow with PKCE);
 * - `workloads`: issuers whose signed JWTs the API accepts as bearer tokens (GitHub Actions, GitLab CI, a
 *   Kubernetes cluster's service-account issuer), each verified against its own JWKS with its `aud`.
 * Each has claim rules (domain/identity/claim-rules.ts): the first that matches grants a role, namespaces
 * and clusters; none matching grants nothing.
 *
 * @example
 * ```yaml
 * people:
 *   issuer: https://keycloak.example.com/realms/main
 *   clientId: promoter
 *   clientSecretFile: oidc-client-secret        # relative to this file; leave out for a public client
 *   displayName: Keycloak                       # the console's "Sign in with Keycloak"
 *   sessionRecheck: 5m                          # how often a session's refresh token is tried again
 *   rules:
 *     - { claims: { groups: sre }, role: admin }
 *     - { claims: { groups: team-mcp }, role: operator, namespaces: [mcp] }
 * workloads:
 *   - issuer: https://token.actions.githubusercontent.com
 *     audience: promoter
 *     nameClaim: repository
 *     rules:
 *       - claims: { repository: org/zai-proxy, ref: refs/heads/main }
 *         role: operator
 *         namespaces: [mcp]
 * ```
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import type { Role } from '../../config.js';
import { parseDuration } from '../../domain/duration.js';
import type { ClaimRule } from '../../domain/identity/claim-rules.js';

export const IDENTITY_FILE_VARIABLE = 'PROMOTER_IDENTITY_FILE';
export const MAX_IDENTITY_FILE_BYTES = 256 * 1024;
export const MAX_RULES = 200;
export const MAX_WORKLOAD_ISSUERS = 20;
/** Asymmetric signatures only: a shared-secret (HS*) or unsigned (`none`) JWT is never accepted. */
export const ALLOWED_ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'] as const;
export type JwtAlgorithm = (typeof ALLOWED_ALGORITHMS)[number];

export interface PeopleConfig {
  readonly issuer: string;
  readonly clientId: string;
  /** Undefined: a public client, PKCE alone. */
  readonly clientSecret: string | undefined;
  readonly scopes: readonly string[];
  /** Claims tried in order for the name shown in the console and the audit trail. */
  readonly nameClaims: readonly string[];
  readonly groupsClaim: string;
  /** The longest a console session lasts, whatever the provider says. */
  readonly sessionMaxAgeMs: number;
  /** How often a session with a refresh token asks the provider whether the person's session still holds. */
  readonly sessionRecheckMs: number;
  /** What the console's sign-in button names ("Sign in with Okta"); default: the issuer's host. */
  readonly displayName: string;
  readonly rules: readonly ClaimRule[];
}

export interface WorkloadIssuerConfig {
  readonly issuer: string;
  readonly audience: string;
  /** Undefined: the `jwks_uri` of the issuer's discovery document. */
  readonly jwksUrl: string | undefined;
  readonly nameClaim: string;
  readonly algorithms: readonly JwtAlgorithm[];
  readonly rules: readonly ClaimRule[];
}

export interface IdentityConfig {
  readonly people: PeopleConfig | undefined;
  readonly workloads: readonly WorkloadIssuerConfig[];
  readonly file: string;
}

export class IdentityFileError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'IdentityFileError';
  }
}

type Fail = (message: string) => never;
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;
const CLAIM_NAME = /^[\x21-\x7e]{1,200}$/;
const DEFAULT_SESSION_MAX_AGE_MS = 12 * 3_600_000;
const DEFAULT_SESSION_RECHECK_MS = 5 * 60_000;

export function loadIdentityFile(path: string, env: Readonly<Record<string, string | undefined>> = process.env): IdentityConfig {
  const fail: Fail = (message) => {
    throw new IdentityFileError(`${path}: ${message}`);
  };
  let text = '';
  try {
    if (statSync(path).size > MAX_IDENTITY_FILE_BYTES) fail(`is larger than ${MAX_IDENTITY_FILE_BYTES} bytes`);
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if (error instanceof IdentityFileError) throw error;
    fail(`cannot read it: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseIdentityConfig(text, path, env);
}

/** `source` is the file's path: a relative clientSecretFile is resolved against its folder. */
export function parseIdentityConfig(text: string, source: string, env: Readonly<Record<string, string | undefined>> = process.env): IdentityConfig {
  const fail: Fail = (message) => {
    throw new IdentityFileError(`${source}: ${message}`);
  };
  let raw: unknown;
  try {
    raw = parseYaml(text, { maxAliasCount: 100 });
  } catch (error) {
    return fail(`not valid YAML or JSON: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isRecord(raw)) return fail('expected an object with people and/or workloads');
  checkKeys(raw, ['people', 'workloads'], fail);
  if (raw.people === undefined && raw.workloads === undefined) fail('names neither people nor workloads');
  const folder = dirname(resolve(source));
  const people = raw.people === undefined ? undefined : parsePeople(raw.people, folder, env, (m) => fail(`people: ${m}`));
  let workloads: WorkloadIssuerConfig[] = [];
  if (raw.workloads !== undefined) {
    if (!Array.isArray(raw.workloads) || raw.workloads.length === 0) fail('workloads must be a non-empty list');
    const list = raw.workloads as unknown[];
    if (list.length > MAX_WORKLOAD_ISSUERS) fail(`workloads has ${list.length} issuers; at most ${MAX_WORKLOAD_ISSUERS} are allowed`);
    workloads = list.map((entry, index) => parseWorkload(entry, (m) => fail(`workloads[${index}]: ${m}`)));
    const seen = new Set<string>();
    for (const workload of workloads) {
      if (seen.has(workload.issuer)) fail(`workloads: the issuer ${workload.issuer} is listed twice (put all its rules in one entry)`);
      seen.add(workload.issuer);
    }
  }
  return Object.freeze({ people, workloads: Object.freeze(workloads), file: resolve(source) });
}

function parsePeople(raw: unknown, folder: string, env: Readonly<Record<string, string | undefined>>, fail: Fail): PeopleConfig {
  if (!isRecord(raw)) return fail('expected an object with issuer, clientId and rules');
  checkKeys(raw, ['issuer', 'clientId', 'clientSecretFile', 'clientSecretEnv', 'scopes', 'nameClaims', 'groupsClaim', 'sessionMaxAge', 'sessionRecheck', 'displayName', 'rules'], fail);
  const issuer = issuerUrl(raw.issuer, fail);
  if (typeof raw.clientId !== 'string' || raw.clientId.trim() === '' || raw.clientId.length > 500) return fail('clientId is required');
  if (raw.clientSecretFile !== undefined && raw.clientSecretEnv !== undefined) fail('give clientSecretFile or clientSecretEnv, not both');
  let clientSecret: string | undefined;
  if (raw.clientSecretFile !== undefined) {
    if (typeof raw.clientSecretFile !== 'string' || raw.clientSecretFile.trim() === '') return fail('clientSecretFile must be a path');
    const path = isAbsolute(raw.clientSecretFile) ? raw.clientSecretFile : resolve(folder, raw.clientSecretFile);
    try {
      clientSecret = readFileSync(path, 'utf8').trim();
    } catch (error) {
      // The path is the operator's own; the content is never echoed.
      fail(`clientSecretFile ${path} cannot be read: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
    }
    if (clientSecret === '') fail(`clientSecretFile ${path} is empty`);
  } else if (raw.clientSecretEnv !== undefined) {
    if (typeof raw.clientSecretEnv !== 'string' || !/^[A-Z_][A-Z0-9_]*$/.test(raw.clientSecretEnv)) return fail('clientSecretEnv must name an environment variable');
    clientSecret = env[raw.clientSecretEnv]?.trim();
    if (!clientSecret) fail(`clientSecretEnv names ${raw.clientSecretEnv}, which is not set`);
  }
  const scopes = raw.scopes === undefined ? ['openid', 'profile', 'email'] : stringList(raw.scopes, 'scopes', fail);
  if (!scopes.includes('openid')) fail("scopes must include 'openid'");
  const nameClaims = raw.nameClaims === undefined ? ['name', 'preferred_username', 'email', 'sub'] : stringList(raw.nameClaims, 'nameClaims', fail);
  const groupsClaim = raw.groupsClaim === undefined ? 'groups' : claimName(raw.groupsClaim, 'groupsClaim', fail);
  let sessionMaxAgeMs = DEFAULT_SESSION_MAX_AGE_MS;
  if (raw.sessionMaxAge !== undefined) {
    const parsed = typeof raw.sessionMaxAge === 'string' ? parseDuration(raw.sessionMaxAge) : undefined;
    if (parsed === undefined || parsed < 60_000 || parsed > 30 * 24 * 3_600_000) fail("sessionMaxAge must be a duration between 1m and 720h (e.g. '12h')");
    sessionMaxAgeMs = parsed as number;
  }
  let sessionRecheckMs = DEFAULT_SESSION_RECHECK_MS;
  if (raw.sessionRecheck !== undefined) {
    const parsed = typeof raw.sessionRecheck === 'string' ? parseDuration(raw.sessionRecheck) : undefined;
    if (parsed === undefined || parsed < 1_000 || parsed > 3_600_000) fail("sessionRecheck must be a duration between 1s and 1h (e.g. '5m')");
    sessionRecheckMs = parsed as number;
  }
  let displayName = new URL(issuer).host;
  if (raw.displayName !== undefined) {
    if (typeof raw.displayName !== 'string' || raw.displayName.trim() === '' || raw.displayName.length > 100) return fail('displayName must be a short text (e.g. Okta)');
    displayName = raw.displayName.trim();
  }
  return Object.freeze({
    issuer,
    clientId: raw.clientId.trim(),
    clientSecret,
    scopes,
    nameClaims,
    groupsClaim,
    sessionMaxAgeMs,
    sessionRecheckMs,
    displayName,
    rules: parseRules(raw.rules, fail),
  });
}

function parseWorkload(raw: unknown, fail: Fail): WorkloadIssuerConfig {
  if (!isRecord(raw)) return fail('expected an object with issuer, audience and rules');
  checkKeys(raw, ['issuer', 'audience', 'jwksUrl', 'nameClaim', 'algorithms', 'rules'], fail);
  const issuer = issuerUrl(raw.issuer, fail);
  if (typeof raw.audience !== 'string' || raw.audience.trim() === '' || raw.audience.length > 500) {
    return fail("audience is required: the `aud` the issuer puts in tokens meant for this service (e.g. 'promoter')");
  }
  let jwksUrl: string | undefined;
  if (raw.jwksUrl !== undefined) jwksUrl = httpUrl(raw.jwksUrl, 'jwksUrl', fail);
  const nameClaim = raw.nameClaim === undefined ? 'sub' : claimName(raw.nameClaim, 'nameClaim', fail);
  let algorithms: JwtAlgorithm[] = ['RS256', 'ES256'];
  if (raw.algorithms !== undefined) {
    const list = stringList(raw.algorithms, 'algorithms', fail);
    const wrong = list.filter((a) => !(ALLOWED_ALGORITHMS as readonly string[]).includes(a));
    if (wrong.length > 0) fail(`algorithms: ${wrong.join(', ')} not allowed (allowed: ${ALLOWED_ALGORITHMS.join(', ')}; never none or a shared secret)`);
    algorithms = list as JwtAlgorithm[];
  }
  return Object.freeze({ issuer, audience: raw.audience.trim(), jwksUrl, nameClaim, algorithms, rules: parseRules(raw.rules, fail) });
}

function parseRules(raw: unknown, fail: Fail): ClaimRule[] {
  if (!Array.isArray(raw) || raw.length === 0) return fail('rules must be a non-empty list (the first matching rule grants a role)');
  if (raw.length > MAX_RULES) fail(`rules has ${raw.length} entries; at most ${MAX_RULES} are allowed`);
  return raw.map((entry: unknown, index: number) => parseRule(entry, (m) => fail(`rules[${index}]: ${m}`)));
}

function parseRule(raw: unknown, fail: Fail): ClaimRule {
  if (!isRecord(raw)) return fail('expected an object with claims and role');
  checkKeys(raw, ['claims', 'role', 'namespaces', 'clusters'], fail);
  if (!isRecord(raw.claims) || Object.keys(raw.claims).length === 0) {
    return fail('claims must name at least one claim (a rule without claims would grant every token of the issuer)');
  }
  const claims: Record<string, readonly string[]> = {};
  for (const [name, value] of Object.entries(raw.claims)) {
    claimName(name, `claims.${name}`, fail);
    const values = typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean' ? [String(value)] : stringList(value, `claims.${name}`, fail);
    if (values.some((v) => v === '' || v === '*')) fail(`claims.${name}: a value must not be empty or a bare '*' (leave the claim out instead)`);
    if (values.some((v) => v.indexOf('*') !== -1 && v.indexOf('*') !== v.length - 1)) fail(`claims.${name}: '*' is allowed only at the end of a value`);
    claims[name] = Object.freeze(values);
  }
  if (typeof raw.role !== 'string' || !ROLES.includes(raw.role as Role)) return fail(`role must be one of ${ROLES.join(', ')}`);
  const namespaces = raw.namespaces === undefined ? undefined : labels(raw.namespaces, 'namespaces', fail);
  const clusters = raw.clusters === undefined ? undefined : labels(raw.clusters, 'clusters', fail);
  return Object.freeze({ claims: Object.freeze(claims), role: raw.role as Role, namespaces, clusters });
}

/** Compared with a token's `iss` exactly as written (a trailing slash included), as OpenID Connect requires. */
function issuerUrl(value: unknown, fail: Fail): string {
  return httpUrl(value, 'issuer', fail);
}

function httpUrl(value: unknown, field: string, fail: Fail): string {
  if (typeof value !== 'string' || !URL.canParse(value)) return fail(`${field} must be an https:// URL`);
  const url = new URL(value);
  if (url.protocol !== 'https:' && url.protocol !== 'http:') fail(`${field} must be an https:// URL`);
  if (url.username !== '' || url.password !== '') fail(`${field} must not hold credentials`);
  return value;
}

function claimName(value: unknown, field: string, fail: Fail): string {
  if (typeof value !== 'string' || !CLAIM_NAME.test(value)) return fail(`${field} must be a claim name`);
  return value;
}

function stringList(value: unknown, field: string, fail: Fail): string[] {
  if (!Array.isArray(value) || value.length === 0 || value.length > 100 || !value.every((v) => typeof v === 'string' && v.length <= 500)) {
    return fail(`${field} must be a non-empty list of strings`);
  }
  return value as string[];
}

function labels(value: unknown, field: string, fail: Fail): readonly string[] {
  const list = stringList(value, field, fail);
  const wrong = list.filter((v) => !DNS_LABEL.test(v));
  if (wrong.length > 0) fail(`${field}: ${wrong.join(', ')} is not a lowercase DNS label`);
  return Object.freeze(list);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], fail: Fail): void {
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) fail(`unknown field ${unknown.join(', ')} (allowed: ${allowed.join(', ')})`);
}
