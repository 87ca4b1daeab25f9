/**
 * Pull requests on a Git forge: the port, its GitHub and GitLab adapters, and the factory that picks one
 * for a configured repository. The engine builds a client per call with {@link forgeClientFor}; the token
 * is read from its file or variable at each request, so a rotated Secret is picked up without a restart.
 */
import { readFile } from 'node:fs/promises';
import type { GitRepositoryConfig } from '../git/repositories-config.js';
import { ForgeError, type ForgeClient } from './forge-client.js';
import { GitHubClient } from './github-client.js';
import { GitLabClient } from './gitlab-client.js';

export { ForgeError } from './forge-client.js';
export type { ForgeClient, MergeResult, OpenPullRequest, PullRequestRef, PullRequestStatus } from './forge-client.js';
export { GitHubClient, type GitHubClientOptions } from './github-client.js';
export { GitLabClient, type GitLabClientOptions } from './gitlab-client.js';
export { DEFAULT_FORGE_MAX_RESPONSE_BYTES, DEFAULT_FORGE_TIMEOUT_MS } from './forge-http.js';

export interface ForgeClientOptions {
  /** Per request, body included; 15 s by default. */
  readonly timeoutMs?: number;
  /** 1 MiB by default. */
  readonly maxResponseBytes?: number;
  /** For tests. */
  readonly fetch?: typeof fetch;
}

/**
 * The forge client for a repository configured with `changes: pull-request`.
 *
 * @param environment where `tokenEnv` is looked up (the process environment at boot)
 * @example
 * ```ts
 * const forge = forgeClientFor(findRepository(config, 'deploy'), process.env);
 * const pr = await forge.openPullRequest({ sourceBranch: `promoter/${id}`, targetBranch: 'main', title, body });
 * ```
 */
export function forgeClientFor(
  repository: GitRepositoryConfig,
  environment: Readonly<Record<string, string | undefined>>,
  options: ForgeClientOptions = {},
): ForgeClient {
  const settings = repository.pullRequests;
  if (repository.changes !== 'pull-request' || settings === undefined) {
    throw new TypeError(`repository '${repository.name}' takes changes by push, not through pull requests`);
  }
  const { forge } = settings;
  const token = () => readForgeToken(repository.name, forge.tokenFile, forge.tokenEnv, environment);
  const clientOptions = { ...options, apiUrl: forge.apiUrl, project: forge.project, mergeMethod: settings.mergeMethod, token };
  return forge.type === 'github' ? new GitHubClient(clientOptions) : new GitLabClient(clientOptions);
}

async function readForgeToken(
  repository: string,
  file: string | undefined,
  variable: string | undefined,
  environment: Readonly<Record<string, string | undefined>>,
): Promise<string> {
  let token: string | undefined;
  if (file !== undefined) {
    try {
      token = (await readFile(file, 'utf8')).trim();
    } catch (error) {
      throw new ForgeError(`cannot read the forge token file ${file} of repository '${repository}' (${(error as NodeJS.ErrnoException).code ?? 'error'})`, { retryable: false });
    }
  } else if (variable !== undefined) {
    token = environment[variable]?.trim();
  }
  if (!token) {
    const source = file !== undefined ? `file ${file}` : `variable ${String(variable)}`;
    throw new ForgeError(`the forge token ${source} of repository '${repository}' is empty or not set`, { retryable: false });
  }
  return token;
}
