/**
 * The Git repositories the operator allows the service to write to, read once at boot from the YAML or
 * JSON file named by PROMOTER_GIT_REPOSITORIES_FILE. A promotion names one of these by `name`; it can never
 * supply a URL, so no API token holder can make the service push somewhere else.
 *
 * @example
 * ```yaml
 * cacheDir: /var/cache/promoter/git        # default: <dataDir>/git
 * timeoutSeconds: 60                       # per git command
 * pushAttempts: 5                          # tries when the branch moves under a push
 * repositories:
 *   - name: deploy
 *     url: https://git.example.com/team/deploy.git
 *     branch: main
 *     auth: { type: token, tokenFile: /var/run/secrets/promoter-git/token, username: x-access-token }
 *     author: { name: promoter, email: promoter@example.com }
 *   - name: app-source
 *     url: ssh://git@git.example.com/team/zai-proxy.git
 *     branch: main
 *     auth: { type: ssh, privateKeyFile: /var/run/secrets/promoter-git/id_ed25519, knownHostsFile: /var/run/secrets/promoter-git/known_hosts }
 *     author: { name: promoter, email: promoter@example.com }
 *   - name: protected-deploy               # main is protected: changes go through pull requests
 *     url: https://github.com/team/protected-deploy.git
 *     auth: { type: token, tokenFile: /var/run/secrets/promoter-git/token }
 *     author: { name: promoter, email: promoter@example.com }
 *     changes: pull-request                # default: push
 *     forge: { type: github, project: team/protected-deploy }   # token: the repository's unless tokenFile/tokenEnv
 *     merge: auto                          # or manual: a person merges
 *     mergeMethod: merge                   # or squash (the repository's allowed method)
 *     mergeTimeout: 24h                    # a policy's mergeTimeout overrides it for its promotions
 *     rollback: auto-merge                 # or pull-request: the revert waits like a promotion
 * ```
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../config.js';
import { MERGE_TIMEOUT_LIMITS } from '../../domain/delivery.js';
import { parseDuration } from '../../domain/duration.js';
import { GitError } from './git-error.js';

export const GIT_REPOSITORIES_FILE_VARIABLE = 'PROMOTER_GIT_REPOSITORIES_FILE';

export type GitAuth =
  | { readonly type: 'none' }
  | {
      readonly type: 'token';
      /** A file holding the token (read at every use, so a rotated Secret is picked up). */
      readonly tokenFile: string | undefined;
      /** Or the name of an environment variable holding it. */
      readonly tokenEnv: string | undefined;
      /** The HTTPS user name sent with the token (GitHub: x-access-token, GitLab: oauth2). */
      readonly username: string;
    }
  | { readonly type: 'ssh'; readonly privateKeyFile: string; readonly knownHostsFile: string };

export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

/** The forge API that holds a repository's pull requests. */
export interface ForgeConfig {
  readonly type: 'github' | 'gitlab';
  /** The API root without a trailing slash: `https://api.github.com`, `https://gitlab.example.com/api/v4`. */
  readonly apiUrl: string;
  /** GitHub `owner/repo`; GitLab the project path (`group/sub/project`) or numeric id. */
  readonly project: string;
  /**
   * Where the API token is read at each call: exactly one of the two is set. When the file gives neither,
   * they are the repository's own `auth` token's.
   */
  readonly tokenFile: string | undefined;
  readonly tokenEnv: string | undefined;
}

/** How a repository that takes changes through pull requests has them merged. */
export interface PullRequestSettings {
  readonly forge: ForgeConfig;
  /** `auto`: the service merges when the forge says it may; `manual`: a person merges. */
  readonly merge: 'auto' | 'manual';
  /**
   * How the service merges (`merge: auto`, and the revert): `merge` (a merge commit) or `squash` (one commit),
   * whichever the repository allows; a person merging by hand picks their own.
   */
  readonly mergeMethod: 'merge' | 'squash';
  /** How long a promotion waits for the merge before it fails. */
  readonly mergeTimeoutMs: number;
  /** `auto-merge`: the revert is merged at once where the forge allows; `pull-request`: it waits like a promotion. */
  readonly rollback: 'auto-merge' | 'pull-request';
}

export interface GitRepositoryConfig {
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly auth: GitAuth;
  readonly author: GitIdentity;
  /** `push`: commits are pushed to `branch`; `pull-request`: through a pull request (then `pullRequests` is set). */
  readonly changes: 'push' | 'pull-request';
  readonly pullRequests?: PullRequestSettings;
}

export interface GitConfig {
  readonly cacheDir: string;
  readonly timeoutMs: number;
  readonly pushAttempts: number;
  readonly repositories: readonly GitRepositoryConfig[];
}

export interface GitConfigDefaults {
  /** Used when the file has no cacheDir. */
  readonly cacheDir: string;
}

/** Reads and validates the file; a ConfigError names the variable, the file and the entry at fault. */
export async function loadGitConfig(path: string, defaults: GitConfigDefaults): Promise<GitConfig> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new ConfigError(GIT_REPOSITORIES_FILE_VARIABLE, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`);
  }
  return parseGitConfig(text, path, defaults);
}

export function parseGitConfig(text: string, source: string, defaults: GitConfigDefaults): GitConfig {
  const fail = (message: string): never => {
    throw new ConfigError(GIT_REPOSITORIES_FILE_VARIABLE, `${source}: ${message}`);
  };
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return fail(`not valid YAML or JSON: ${(error as Error).message.split('\n')[0] ?? ''}`);
  }
  if (!isRecord(raw)) return fail('expected an object with a repositories list');
  checkKeys(raw, ['cacheDir', 'timeoutSeconds', 'pushAttempts', 'repositories'], '', fail);
  const cacheDir = optionalString(raw, 'cacheDir', '', fail) ?? defaults.cacheDir;
  if (!isAbsolute(cacheDir)) fail(`cacheDir must be an absolute path, got '${cacheDir}'`);
  const timeoutSeconds = optionalInteger(raw, 'timeoutSeconds', 1, 3600, fail) ?? 60;
  const pushAttempts = optionalInteger(raw, 'pushAttempts', 1, 50, fail) ?? 5;
  if (!Array.isArray(raw.repositories) || raw.repositories.length === 0) return fail('repositories must be a non-empty list');
  const repositories = raw.repositories.map((entry: unknown, index: number) => parseRepository(entry, index, fail));
  const seen = new Set<string>();
  for (const repository of repositories) {
    if (seen.has(repository.name)) fail(`repository name '${repository.name}' is used twice`);
    seen.add(repository.name);
  }
  return Object.freeze({ cacheDir, timeoutMs: timeoutSeconds * 1000, pushAttempts, repositories: Object.freeze(repositories) });
}

/** The configured repository of that name, or a GitError `unknown-repository` (a client mistake: 422). */
export function findRepository(config: GitConfig, name: string): GitRepositoryConfig {
  const repository = config.repositories.find((r) => r.name === name);
  if (!repository) {
    throw new GitError({
      code: 'unknown-repository',
      message: `no Git repository named '${name}' is configured; configured: ${config.repositories.map((r) => `'${r.name}'`).join(', ')}`,
      retryable: false,
    });
  }
  return repository;
}

/** Where the working copy of a repository lives. */
export function workingCopyDir(config: GitConfig, repository: GitRepositoryConfig): string {
  return join(config.cacheDir, 'repositories', repository.name);
}

// ---------------------------------------------------------------------------------------------------

type Fail = (message: string) => never;

function parseRepository(entry: unknown, index: number, failFile: Fail): GitRepositoryConfig {
  const label = isRecord(entry) && typeof entry.name === 'string' ? `repositories[${index}] '${entry.name}'` : `repositories[${index}]`;
  const fail: Fail = (message) => failFile(`${label}: ${message}`);
  if (!isRecord(entry)) return fail('expected an object');
  checkKeys(entry, ['name', 'url', 'branch', 'auth', 'author', ...PULL_REQUEST_KEYS], '', fail);
  const name = requiredString(entry, 'name', '', fail);
  if (!/^[a-z0-9][a-z0-9._-]{0,62}$/i.test(name) || name.includes('..')) fail('name must be letters, digits, dot, dash or underscore (it names a folder)');
  const url = requiredString(entry, 'url', '', fail);
  const scheme = urlScheme(url);
  if (scheme === undefined) fail(`url '${url}' is not a Git URL (https://, http://, ssh://, git@host:path or file://)`);
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/]*@/i.test(url) && scheme !== 'ssh') fail('url must not carry credentials; use auth.tokenFile or auth.tokenEnv');
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/@]*:[^/@]*@/i.test(url)) fail('url must not carry a password; use auth');
  const branch = optionalString(entry, 'branch', '', fail) ?? 'main';
  if (!/^[A-Za-z0-9._/-]+$/.test(branch) || branch.startsWith('-') || branch.includes('..') || branch.endsWith('.lock')) fail(`branch '${branch}' is not a valid branch name`);
  const auth = parseAuth(entry.auth, scheme as Scheme, fail);
  if (!isRecord(entry.author)) return fail('author must be an object with name and email (the commit identity)');
  checkKeys(entry.author, ['name', 'email'], 'author.', fail);
  const author = { name: requiredString(entry.author, 'name', 'author.', fail), email: requiredString(entry.author, 'email', 'author.', fail) };
  if (/[<>\n]/.test(author.name) || !/^[^\s<>@]+@[^\s<>@]+$/.test(author.email)) fail('author needs a plain name and an email address like promoter@example.com');
  const changes = entry.changes ?? 'push';
  if (changes !== 'push' && changes !== 'pull-request') return fail(`changes must be push or pull-request, got '${String(changes)}'`);
  if (changes === 'push') {
    const stray = PULL_REQUEST_KEYS.filter((key) => key !== 'changes' && entry[key] !== undefined);
    if (stray.length > 0) fail(`${stray.join(', ')} apply only with changes: pull-request`);
    return Object.freeze({ name, url, branch, auth, author: Object.freeze(author), changes });
  }
  const pullRequests = parsePullRequests(entry, auth, fail);
  return Object.freeze({ name, url, branch, auth, author: Object.freeze(author), changes, pullRequests });
}

const PULL_REQUEST_KEYS = ['changes', 'forge', 'merge', 'mergeMethod', 'mergeTimeout', 'rollback'] as const;
const DEFAULT_API_URL = { github: 'https://api.github.com', gitlab: 'https://gitlab.com/api/v4' } as const;
const DEFAULT_MERGE_TIMEOUT = '24h';

function parsePullRequests(entry: Record<string, unknown>, auth: GitAuth, fail: Fail): PullRequestSettings {
  const raw = entry.forge;
  if (!isRecord(raw)) return fail('changes: pull-request needs forge: { type: github | gitlab, project, apiUrl }');
  checkKeys(raw, ['type', 'apiUrl', 'project', 'tokenFile', 'tokenEnv'], 'forge.', fail);
  const type = raw.type;
  if (type !== 'github' && type !== 'gitlab') return fail(`forge.type must be github or gitlab, got '${String(type)}'`);
  const apiUrl = (optionalString(raw, 'apiUrl', 'forge.', fail) ?? DEFAULT_API_URL[type]).replace(/\/+$/, '');
  if (!isApiUrl(apiUrl)) fail(`forge.apiUrl must be an http(s) URL without credentials, query or fragment, got '${apiUrl}'`);
  const project = requiredString(raw, 'project', 'forge.', fail);
  const projectPattern = type === 'github' ? /^[A-Za-z0-9_.-]+\/[A-Za-z0-9_.-]+$/ : /^(?:[0-9]+|[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+)$/;
  if (!projectPattern.test(project) || project.split('/').some((part) => part === '.' || part === '..')) {
    fail(`forge.project must be ${type === 'github' ? 'owner/repo' : 'the project path (group/project) or numeric id'}, got '${project}'`);
  }
  let tokenFile = optionalString(raw, 'tokenFile', 'forge.', fail);
  let tokenEnv = optionalString(raw, 'tokenEnv', 'forge.', fail);
  if (tokenFile !== undefined && tokenEnv !== undefined) fail('forge needs at most one of tokenFile or tokenEnv');
  if (tokenFile !== undefined && !isAbsolute(tokenFile)) fail(`forge.tokenFile must be an absolute path, got '${tokenFile}'`);
  if (tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) fail(`forge.tokenEnv must be an environment variable name, got '${tokenEnv}'`);
  if (tokenFile === undefined && tokenEnv === undefined) {
    // The Git token usually is the forge token (a GitHub App or project access token can do both).
    if (auth.type !== 'token') fail('forge needs tokenFile or tokenEnv: the repository has no auth token to reuse');
    else ({ tokenFile, tokenEnv } = auth);
  }
  const merge = entry.merge ?? 'auto';
  if (merge !== 'auto' && merge !== 'manual') return fail(`merge must be auto or manual, got '${String(merge)}'`);
  const mergeMethod = entry.mergeMethod ?? 'merge';
  if (mergeMethod !== 'merge' && mergeMethod !== 'squash') return fail(`mergeMethod must be merge or squash, got '${String(mergeMethod)}'`);
  const rollback = entry.rollback ?? 'auto-merge';
  if (rollback !== 'auto-merge' && rollback !== 'pull-request') return fail(`rollback must be auto-merge or pull-request, got '${String(rollback)}'`);
  const timeoutText = entry.mergeTimeout ?? DEFAULT_MERGE_TIMEOUT;
  const mergeTimeoutMs = typeof timeoutText === 'string' ? parseDuration(timeoutText) : undefined;
  if (mergeTimeoutMs === undefined || mergeTimeoutMs < MERGE_TIMEOUT_LIMITS.minMs || mergeTimeoutMs > MERGE_TIMEOUT_LIMITS.maxMs) {
    fail(`mergeTimeout must be a duration ${MERGE_TIMEOUT_LIMITS.text} like 30m or 24h, got '${String(timeoutText)}'`);
  }
  return Object.freeze({
    forge: Object.freeze({ type, apiUrl, project, tokenFile, tokenEnv }),
    merge,
    mergeMethod,
    mergeTimeoutMs: mergeTimeoutMs as number,
    rollback,
  });
}

function isApiUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === 'https:' || url.protocol === 'http:') && url.username === '' && url.password === '' && url.search === '' && url.hash === '' && !text.includes('?') && !text.includes('#');
}

type Scheme = 'https' | 'ssh' | 'file';

function urlScheme(url: string): Scheme | undefined {
  if (/^https?:\/\/[^/\s]+\/\S+$/i.test(url)) return 'https';
  if (/^ssh:\/\/[^/\s]+\/\S+$/i.test(url) || /^[A-Za-z0-9._-]+@[A-Za-z0-9.-]+:[^/\s]\S*$/.test(url)) return 'ssh';
  if (/^file:\/\/\/\S+$/.test(url)) return 'file';
  return undefined;
}

function parseAuth(raw: unknown, scheme: Scheme, fail: Fail): GitAuth {
  if (raw === undefined) {
    if (scheme === 'ssh') fail('an ssh:// url needs auth: { type: ssh, privateKeyFile, knownHostsFile }');
    return { type: 'none' };
  }
  if (!isRecord(raw)) return fail('auth must be an object');
  switch (raw.type) {
    case 'none':
      checkKeys(raw, ['type'], 'auth.', fail);
      if (scheme === 'ssh') fail('an ssh:// url needs auth type ssh');
      return { type: 'none' };
    case 'token': {
      checkKeys(raw, ['type', 'tokenFile', 'tokenEnv', 'username'], 'auth.', fail);
      if (scheme !== 'https') fail('auth type token needs an https:// (or http://) url');
      const tokenFile = optionalString(raw, 'tokenFile', 'auth.', fail);
      const tokenEnv = optionalString(raw, 'tokenEnv', 'auth.', fail);
      if ((tokenFile === undefined) === (tokenEnv === undefined)) fail('auth type token needs exactly one of tokenFile or tokenEnv');
      if (tokenFile !== undefined && !isAbsolute(tokenFile)) fail(`auth.tokenFile must be an absolute path, got '${tokenFile}'`);
      if (tokenEnv !== undefined && !/^[A-Za-z_][A-Za-z0-9_]*$/.test(tokenEnv)) fail(`auth.tokenEnv must be an environment variable name, got '${tokenEnv}'`);
      const username = optionalString(raw, 'username', 'auth.', fail) ?? 'x-access-token';
      if (/[\n:]/.test(username)) fail('auth.username must be one line without a colon');
      return { type: 'token', tokenFile, tokenEnv, username };
    }
    case 'ssh': {
      checkKeys(raw, ['type', 'privateKeyFile', 'knownHostsFile'], 'auth.', fail);
      if (scheme !== 'ssh') fail('auth type ssh needs an ssh:// or git@host:path url');
      const privateKeyFile = requiredString(raw, 'privateKeyFile', 'auth.', fail);
      const knownHostsFile = requiredString(raw, 'knownHostsFile', 'auth.', fail);
      for (const [key, value] of [['privateKeyFile', privateKeyFile], ['knownHostsFile', knownHostsFile]] as const) {
        if (!isAbsolute(value)) fail(`auth.${key} must be an absolute path, got '${value}'`);
      }
      return { type: 'ssh', privateKeyFile, knownHostsFile };
    }
    default:
      return fail(`auth.type must be token, ssh or none, got '${String(raw.type)}'`);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function checkKeys(record: Record<string, unknown>, allowed: readonly string[], prefix: string, fail: Fail): void {
  const unknown = Object.keys(record).filter((key) => !allowed.includes(key));
  if (unknown.length > 0) fail(`unknown field ${unknown.map((k) => `${prefix}${k}`).join(', ')} (allowed: ${allowed.join(', ')})`);
}

function requiredString(record: Record<string, unknown>, key: string, prefix: string, fail: Fail): string {
  const value = record[key];
  if (typeof value !== 'string' || value.trim() === '') return fail(`${prefix}${key} is required (a non-empty string)`);
  return value;
}

function optionalString(record: Record<string, unknown>, key: string, prefix: string, fail: Fail): string | undefined {
  if (record[key] === undefined) return undefined;
  return requiredString(record, key, prefix, fail);
}

function optionalInteger(record: Record<string, unknown>, key: string, min: number, max: number, fail: Fail): number | undefined {
  const value = record[key];
  if (value === undefined) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) fail(`${key} must be an integer from ${min} to ${max}`);
  return value as number;
}
