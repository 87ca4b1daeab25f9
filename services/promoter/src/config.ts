/**
 * Configuration: read from the environment once at boot, validated, frozen and passed in. A bad value
 * stops the service with a message naming the variable, instead of failing later in a confusing way.
 */
import { resolve } from 'node:path';
import { isHttpUrl, loadNotificationsFile, SinkConfigError, type NotificationsConfig } from './notifications/sinks-config.js';
import { IDENTITY_FILE_VARIABLE, IdentityFileError, loadIdentityFile, type IdentityConfig } from './adapters/identity/identity-config.js';
import { CLUSTER_NAME, CLUSTERS_FILE_VARIABLE, ClustersFileError, ENVIRONMENT_CLUSTERS, loadClustersFile, type ClustersConfig } from './adapters/kubernetes/clusters-config.js';

export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
export type Role = 'viewer' | 'operator' | 'admin';

export interface ApiToken {
  readonly name: string;
  readonly role: Role;
  /** Namespaces the token may act in; undefined means all. */
  readonly namespaces: readonly string[] | undefined;
  /** Clusters the token may act in (`@name` entries of the scope field); undefined means all. */
  readonly clusters?: readonly string[] | undefined;
  readonly secret: string;
}

export interface PrometheusConfig {
  readonly url: string;
  readonly bearerToken: string | undefined;
  readonly username: string | undefined;
  readonly password: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly insecureSkipTlsVerify: boolean;
  readonly timeoutMs: number;
}

export interface Config {
  readonly port: number;
  readonly host: string;
  readonly databaseUrl: string | undefined;
  readonly dataDir: string;
  readonly prometheus: PrometheusConfig | undefined;
  readonly kubeconfig: string | undefined;
  /** Set in a pod: the in-cluster service account is used when KUBECONFIG is not set. */
  readonly kubernetesServiceHost: string | undefined;
  /** The named clusters (PROMOTER_CLUSTERS_FILE); without the file, one cluster `default` from KUBECONFIG or the pod. */
  readonly clusters: ClustersConfig;
  readonly apiTokens: readonly ApiToken[];
  readonly policiesDir: string | undefined;
  readonly logLevel: LogLevel;
  readonly engineEnabled: boolean;
  /** How long a replica owns a promotion it steps; after a crash another replica resumes it after this. */
  readonly engineLeaseMs: number;
  /** How often an idle engine looks for due promotions. */
  readonly enginePollMs: number;
  /** How many promotions one replica steps at once. */
  readonly engineConcurrency: number;
  readonly production: boolean;
  readonly bodyLimitBytes: number;
  /** Requests per minute per token; 0 = no limit. */
  readonly rateLimitPerMinute: number;
  /** The operator's Git repositories (PROMOTER_GIT_REPOSITORIES_FILE), for Git delivery and releases. */
  readonly gitRepositoriesFile: string | undefined;
  /** The largest repository file Git delivery reads (PROMOTER_GIT_MAX_FILE_BYTES); larger ones are refused. */
  readonly gitMaxFileBytes: number;
  /**
   * Whether the service may ask Argo CD to sync an Application a Git delivery names (PROMOTER_ARGOCD_SYNC),
   * besides asking it to refresh. Off by default: a sync is an operation the operator must allow.
   */
  readonly argocdSync: boolean;
  /**
   * How often an open pull request is looked at (PROMOTER_PULL_REQUEST_POLL_MS; a revert's at most every 5 s).
   * Each look is one to three forge requests: 15 s keeps a hundred open pull requests within GitHub's 5,000
   * requests an hour per token.
   */
  readonly pullRequestPollMs: number;
  /** Failed authentications per client address per minute; 0 = no limit. */
  readonly failedAuthPerMinute: number;
  /** How long a request (headers and body) may take to arrive. */
  readonly requestTimeoutMs: number;
  /** Open event streams per token and in all. */
  readonly eventStreams: { readonly perToken: number; readonly total: number };
  readonly webhooks: WebhookConfig;
  /** Notification sinks from PROMOTER_NOTIFICATIONS_FILE; undefined: none. */
  readonly notifications: NotificationsConfig | undefined;
  /** The service's address as people reach it (links in notifications). */
  readonly publicUrl: string | undefined;
  /** OIDC sign-in for people and trusted JWT issuers for workloads (PROMOTER_IDENTITY_FILE); undefined: static tokens only. */
  readonly identity?: IdentityConfig | undefined;
}

export interface WebhookConfig {
  /** URL prefixes a webhook check may call (PROMOTER_WEBHOOK_ALLOWED_URLS); empty: none. */
  readonly allowedUrls: readonly string[];
  /** PROMOTER_WEBHOOK_SECRET_* variables, which header values may reference as ${env:NAME}. */
  readonly secrets: Readonly<Record<string, string>>;
}

/** Actor names the service writes itself; no token may take them, or its events would pass for the service's. */
export const RESERVED_ACTOR_NAMES: readonly string[] = ['engine', 'system', 'anonymous', 'promoter', 'PROMOTER_API_TOKENS'];

export class ConfigError extends Error {
  constructor(readonly variable: string, message: string) {
    super(`${variable}: ${message}`);
    this.name = 'ConfigError';
  }
}

const LOG_LEVELS: readonly LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ROLES: readonly Role[] = ['viewer', 'operator', 'admin'];
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
/** An HTTP field name: a token (RFC 9110 section 5.6.2). */
const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Readonly<Config> {
  const get = (name: string): string | undefined => {
    const value = env[name];
    return value === undefined || value.trim() === '' ? undefined : value.trim();
  };
  const production = get('NODE_ENV') === 'production';
  const apiTokens = parseApiTokens(get('PROMOTER_API_TOKENS'));
  if (production && apiTokens.length === 0 && get(IDENTITY_FILE_VARIABLE) === undefined) {
    throw new ConfigError('PROMOTER_API_TOKENS', `is required when NODE_ENV=production (or ${IDENTITY_FILE_VARIABLE}); the API would be open to anyone`);
  }
  const databaseUrl = get('DATABASE_URL');
  if (databaseUrl !== undefined && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError('DATABASE_URL', 'must be a postgres:// or postgresql:// URL');
  }
  const logLevel = (get('LOG_LEVEL') ?? 'info') as LogLevel;
  if (!LOG_LEVELS.includes(logLevel)) {
    throw new ConfigError('LOG_LEVEL', `must be one of ${LOG_LEVELS.join(', ')}`);
  }
  const argocdSync = get('PROMOTER_ARGOCD_SYNC') ?? 'false';
  if (argocdSync !== 'true' && argocdSync !== 'false') throw new ConfigError('PROMOTER_ARGOCD_SYNC', "must be 'true' or 'false'");
  const engine = get('PROMOTER_ENGINE') ?? 'on';
  if (engine !== 'on' && engine !== 'off') throw new ConfigError('PROMOTER_ENGINE', "must be 'on' or 'off'");
  const policiesDir = get('PROMOTER_POLICIES_DIR');
  const gitFile = get('PROMOTER_GIT_REPOSITORIES_FILE');
  return Object.freeze({
    port: integer(get('PORT'), 'PORT', 8080, 0, 65535),
    host: get('HOST') ?? '0.0.0.0',
    databaseUrl,
    dataDir: resolve(get('PROMOTER_DATA_DIR') ?? '.promoter'),
    prometheus: prometheusConfig(get),
    kubeconfig: get('KUBECONFIG'),
    kubernetesServiceHost: get('KUBERNETES_SERVICE_HOST'),
    clusters: clustersConfig(get(CLUSTERS_FILE_VARIABLE)),
    apiTokens,
    policiesDir: policiesDir === undefined ? undefined : resolve(policiesDir),
    logLevel,
    engineEnabled: engine === 'on',
    engineLeaseMs: integer(get('PROMOTER_ENGINE_LEASE_MS'), 'PROMOTER_ENGINE_LEASE_MS', 60_000, 1_000, 3_600_000),
    enginePollMs: integer(get('PROMOTER_ENGINE_POLL_MS'), 'PROMOTER_ENGINE_POLL_MS', 500, 10, 60_000),
    engineConcurrency: integer(get('PROMOTER_ENGINE_CONCURRENCY'), 'PROMOTER_ENGINE_CONCURRENCY', 16, 1, 1_000),
    production,
    rateLimitPerMinute: integer(get('PROMOTER_RATE_LIMIT'), 'PROMOTER_RATE_LIMIT', 600, 0, 1_000_000),
    bodyLimitBytes: integer(get('PROMOTER_BODY_LIMIT'), 'PROMOTER_BODY_LIMIT', 256 * 1024, 1024, 16 * 1024 * 1024),
    gitRepositoriesFile: gitFile === undefined ? undefined : resolve(gitFile),
    // At most 16 MiB: git's output is read up to that much (git-runner.ts).
    gitMaxFileBytes: integer(get('PROMOTER_GIT_MAX_FILE_BYTES'), 'PROMOTER_GIT_MAX_FILE_BYTES', 1024 * 1024, 1024, 16 * 1024 * 1024),
    argocdSync: argocdSync === 'true',
    pullRequestPollMs: integer(get('PROMOTER_PULL_REQUEST_POLL_MS'), 'PROMOTER_PULL_REQUEST_POLL_MS', 15_000, 100, 3_600_000),
    failedAuthPerMinute: integer(get('PROMOTER_AUTH_FAILURE_LIMIT'), 'PROMOTER_AUTH_FAILURE_LIMIT', 30, 0, 1_000_000),
    requestTimeoutMs: integer(get('PROMOTER_REQUEST_TIMEOUT_MS'), 'PROMOTER_REQUEST_TIMEOUT_MS', 30_000, 1_000, 600_000),
    eventStreams: {
      perToken: integer(get('PROMOTER_SSE_PER_TOKEN'), 'PROMOTER_SSE_PER_TOKEN', 20, 1, 10_000),
      total: integer(get('PROMOTER_SSE_TOTAL'), 'PROMOTER_SSE_TOTAL', 500, 1, 100_000),
    },
    webhooks: webhookConfig(get, env),
    notifications: notificationsConfig(get('PROMOTER_NOTIFICATIONS_FILE'), env),
    publicUrl: publicUrl(get('PROMOTER_PUBLIC_URL')),
    identity: identityConfig(get(IDENTITY_FILE_VARIABLE), env),
  });
}

function webhookConfig(get: (name: string) => string | undefined, env: Readonly<Record<string, string | undefined>>): WebhookConfig {
  const allowedUrls = (get('PROMOTER_WEBHOOK_ALLOWED_URLS') ?? '')
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  allowedUrls.forEach((entry, index) => {
    if (!/^https?:\/\/[^\s]+$/i.test(entry) || !URL.canParse(entry)) {
      throw new ConfigError('PROMOTER_WEBHOOK_ALLOWED_URLS', `entry ${index + 1} ('${entry}') must be an http:// or https:// URL prefix`);
    }
    const url = new URL(entry);
    if (url.username !== '' || url.password !== '') throw new ConfigError('PROMOTER_WEBHOOK_ALLOWED_URLS', `entry ${index + 1} must not hold credentials`);
  });
  const secrets: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    if (name.startsWith('PROMOTER_WEBHOOK_SECRET_') && value !== undefined) secrets[name] = value;
  }
  return { allowedUrls, secrets };
}

function notificationsConfig(file: string | undefined, env: Readonly<Record<string, string | undefined>>): NotificationsConfig | undefined {
  if (file === undefined) return undefined;
  try {
    return loadNotificationsFile(resolve(file), env);
  } catch (error) {
    if (error instanceof SinkConfigError) throw new ConfigError('PROMOTER_NOTIFICATIONS_FILE', error.message);
    throw error;
  }
}

function identityConfig(file: string | undefined, env: Readonly<Record<string, string | undefined>>): IdentityConfig | undefined {
  if (file === undefined) return undefined;
  try {
    return loadIdentityFile(resolve(file), env);
  } catch (error) {
    if (error instanceof IdentityFileError) throw new ConfigError(IDENTITY_FILE_VARIABLE, error.message);
    throw error;
  }
}

function clustersConfig(file: string | undefined): ClustersConfig {
  if (file === undefined) return ENVIRONMENT_CLUSTERS;
  try {
    return loadClustersFile(resolve(file));
  } catch (error) {
    if (error instanceof ClustersFileError) throw new ConfigError(CLUSTERS_FILE_VARIABLE, error.message);
    throw error;
  }
}

function publicUrl(url: string | undefined): string | undefined {
  if (url === undefined) return undefined;
  if (!isHttpUrl(url)) throw new ConfigError('PROMOTER_PUBLIC_URL', 'must be an http:// or https:// URL');
  return url.replace(/\/+$/, '');
}

function prometheusConfig(get: (name: string) => string | undefined): PrometheusConfig | undefined {
  const url = get('PROMETHEUS_URL');
  if (url === undefined) return undefined;
  if (!isHttpUrl(url)) throw new ConfigError('PROMETHEUS_URL', 'must be an http:// or https:// URL');
  const parsed = new URL(url);
  // Credentials in the URL would travel into error messages, logs and stored check results.
  if (parsed.username !== '' || parsed.password !== '') {
    throw new ConfigError('PROMETHEUS_URL', 'must not hold credentials (user:password@); set PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD, or PROMETHEUS_BEARER_TOKEN');
  }
  const username = get('PROMETHEUS_USERNAME');
  const password = get('PROMETHEUS_PASSWORD');
  if ((username === undefined) !== (password === undefined)) {
    throw new ConfigError(username === undefined ? 'PROMETHEUS_USERNAME' : 'PROMETHEUS_PASSWORD', 'basic auth needs both PROMETHEUS_USERNAME and PROMETHEUS_PASSWORD');
  }
  let headers: Record<string, string> = {};
  const rawHeaders = get('PROMETHEUS_HEADERS');
  if (rawHeaders !== undefined) {
    try {
      const parsed: unknown = JSON.parse(rawHeaders);
      if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed) || Object.values(parsed).some((v) => typeof v !== 'string')) {
        throw new Error('not an object of strings');
      }
      // fetch refuses these on every request; refusing them here names the variable instead.
      if (Object.entries(parsed as Record<string, string>).some(([name, value]) => !HEADER_NAME.test(name) || /[\r\n\0]|[^\x00-\xff]/.test(value))) {
        throw new Error('not valid HTTP header names and values');
      }
      headers = parsed as Record<string, string>;
    } catch {
      throw new ConfigError('PROMETHEUS_HEADERS', 'must be a JSON object of header names to string values, e.g. {"X-Scope-OrgID":"team-a"}');
    }
  }
  return {
    url: url.replace(/\/+$/, ''),
    bearerToken: get('PROMETHEUS_BEARER_TOKEN'),
    username,
    password,
    headers,
    insecureSkipTlsVerify: get('PROMETHEUS_INSECURE_SKIP_TLS_VERIFY') === 'true',
    timeoutMs: integer(get('PROMETHEUS_TIMEOUT_MS'), 'PROMETHEUS_TIMEOUT_MS', 10_000, 100, 300_000),
  };
}

/**
 * `name:role[:scope]:secret`, comma separated. The secret is last so it may itself contain colons. The scope
 * is `|`-separated namespaces and `@cluster` entries: `mcp|web` (two namespaces, every cluster),
 * `@staging` (every namespace of cluster staging), `@staging|mcp` (namespace mcp in cluster staging).
 */
export function parseApiTokens(raw: string | undefined): ApiToken[] {
  if (raw === undefined) return [];
  const tokens: ApiToken[] = [];
  const names = new Set<string>();
  const secrets = new Set<string>();
  raw.split(',').forEach((entry, index) => {
    const where = `entry ${index + 1}`;
    const parts = entry.trim().split(':');
    const [name, role] = parts;
    if (parts.length < 3 || !name || !role) {
      throw new ConfigError('PROMOTER_API_TOKENS', `${where} must look like name:role[:ns1|ns2]:secret (scope entries written @name are clusters)`);
    }
    if (!ROLES.includes(role as Role)) {
      throw new ConfigError('PROMOTER_API_TOKENS', `${where} (${name}) has role '${role}'; roles are ${ROLES.join(', ')}`);
    }
    let namespaces: string[] | undefined;
    let clusters: string[] | undefined;
    let secret: string;
    if (parts.length >= 4) {
      // With four fields or more the third is the scope (empty for none), never part of the secret: a
      // mistyped namespace stops start-up instead of becoming an unscoped token.
      const field = parts[2] ?? '';
      const entries = field === '' ? [] : field.split('|');
      const wanted = entries.filter((entry) => !entry.startsWith('@'));
      const clusterEntries = entries.filter((entry) => entry.startsWith('@')).map((entry) => entry.slice(1));
      if (!wanted.every((ns) => DNS_LABEL.test(ns)) || !clusterEntries.every((cluster) => CLUSTER_NAME.test(cluster))) {
        throw new ConfigError(
          'PROMOTER_API_TOKENS',
          `${where} (${name}): the third field must be namespaces and @clusters (lowercase DNS labels separated by |) or empty; write a secret with colons as name:role::secret`,
        );
      }
      namespaces = wanted.length === 0 ? undefined : wanted;
      clusters = clusterEntries.length === 0 ? undefined : clusterEntries;
      secret = parts.slice(3).join(':');
    } else {
      secret = parts.slice(2).join(':');
    }
    if (RESERVED_ACTOR_NAMES.includes(name)) {
      throw new ConfigError('PROMOTER_API_TOKENS', `${where}: the name '${name}' is reserved (${RESERVED_ACTOR_NAMES.join(', ')})`);
    }
    if (secret.length < 16) {
      throw new ConfigError('PROMOTER_API_TOKENS', `${where} (${name}) has a secret shorter than 16 characters`);
    }
    if (names.has(name)) throw new ConfigError('PROMOTER_API_TOKENS', `${where}: the name '${name}' is used twice`);
    // Auth matches by secret alone: a shared secret would make the caller whichever token is listed last.
    if (secrets.has(secret)) throw new ConfigError('PROMOTER_API_TOKENS', `${where} (${name}) has the same secret as an earlier token`);
    names.add(name);
    secrets.add(secret);
    tokens.push({ name, role: role as Role, namespaces, clusters, secret });
  });
  return tokens;
}

function integer(raw: string | undefined, name: string, fallback: number, min: number, max: number): number {
  if (raw === undefined) return fallback;
  if (!/^[0-9]+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got '${raw}'`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${value}`);
  return value;
}
