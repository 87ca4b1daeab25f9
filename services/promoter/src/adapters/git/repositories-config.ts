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
 * ```
 */
import { readFile } from 'node:fs/promises';
import { isAbsolute, join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../../config.js';
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

export interface GitRepositoryConfig {
  readonly name: string;
  readonly url: string;
  readonly branch: string;
  readonly auth: GitAuth;
  readonly author: GitIdentity;
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
  checkKeys(entry, ['name', 'url', 'branch', 'auth', 'author'], '', fail);
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
  return Object.freeze({ name, url, branch, auth, author: Object.freeze(author) });
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
