/**
 * One working copy per configured repository under the cache folder, cloned once and reused: every
 * operation starts by fetching the branch and resetting hard to it, so nothing a crashed or failed earlier
 * operation left behind (a half-made commit, a revert in progress, stray files) can leak into the next one.
 * Operations on the same repository run one at a time within the process; different repositories run in
 * parallel. Files are read and written through Git only (repository-files.ts), never through the work tree.
 */
import { access, rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import type { GitCredentials } from './credentials.js';
import type { GitRunner, RunOptions, RunResult } from './git-runner.js';
import type { GitRepositoryConfig } from './repositories-config.js';

export class WorkingCopy {
  readonly repository: GitRepositoryConfig;
  readonly dir: string;
  readonly #runner: GitRunner;
  readonly #credentials: GitCredentials;

  constructor(repository: GitRepositoryConfig, dir: string, runner: GitRunner, credentials: GitCredentials) {
    this.repository = repository;
    this.dir = dir;
    this.#runner = runner;
    this.#credentials = credentials;
  }

  /** The remote-tracking ref of the configured branch. */
  get upstream(): string {
    return `refs/remotes/origin/${this.repository.branch}`;
  }

  /** Runs git in the working copy; `remote` adds the credentials (only calls that talk to the server). */
  async git(args: readonly string[], options: Omit<RunOptions, 'cwd' | 'repository'> & { remote?: boolean } = {}): Promise<RunResult> {
    const { remote, ...rest } = options;
    const credentials = remote ? await this.#credentials.forRepository(this.repository) : { env: {}, secrets: [] };
    const identity = this.repository.author;
    return this.#runner.run(args, {
      ...rest,
      cwd: this.dir,
      repository: this.repository.name,
      // The working copy's absolute path says nothing a client needs, and git prints it in some errors.
      secrets: [...credentials.secrets, this.dir, ...(rest.secrets ?? [])],
      env: {
        GIT_AUTHOR_NAME: identity.name,
        GIT_AUTHOR_EMAIL: identity.email,
        GIT_COMMITTER_NAME: identity.name,
        GIT_COMMITTER_EMAIL: identity.email,
        ...credentials.env,
        ...rest.env,
      },
    });
  }

  /** Clones if needed, then fetches the branch and makes the work tree exactly the remote branch. */
  async sync(): Promise<void> {
    if (!(await this.#isRepository())) await this.#clone();
    await this.git(['remote', 'set-url', 'origin', this.repository.url]);
    await this.git(['fetch', '--no-tags', '--prune', 'origin', `+refs/heads/${this.repository.branch}:${this.upstream}`], { remote: true });
    // Leftovers of an interrupted revert or commit must not survive into this operation.
    await this.git(['revert', '--quit'], { allowFailure: true });
    await this.git(['checkout', '--quiet', '--force', '-B', this.repository.branch, this.upstream]);
    await this.git(['reset', '--quiet', '--hard', this.upstream]);
    await this.git(['clean', '--quiet', '-fdx']);
  }

  async head(): Promise<string> {
    return (await this.git(['rev-parse', 'HEAD'])).stdout.trim();
  }

  async #isRepository(): Promise<boolean> {
    try {
      await access(join(this.dir, '.git'));
    } catch {
      return false;
    }
    const check = await this.#runner.run(['rev-parse', '--is-inside-work-tree'], { cwd: this.dir, allowFailure: true, repository: this.repository.name });
    return check.code === 0 && check.stdout.trim() === 'true';
  }

  async #clone(): Promise<void> {
    // A clone interrupted by a crash leaves a broken folder: start over.
    await rm(this.dir, { recursive: true, force: true });
    await mkdir(join(this.dir, '..'), { recursive: true });
    const credentials = await this.#credentials.forRepository(this.repository);
    await this.#runner.run(['clone', '--quiet', '--no-tags', '--single-branch', '--branch', this.repository.branch, '--', this.repository.url, this.dir], {
      repository: this.repository.name,
      env: credentials.env,
      secrets: credentials.secrets,
    });
    await this.git(['config', 'remote.origin.tagOpt', '--no-tags']);
  }
}

/** Serialises work per repository within this process. */
export class RepositoryLocks {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(name: string, work: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(name) ?? Promise.resolve();
    const current = previous.then(work, work);
    const tail = current.catch(() => undefined);
    this.#tails.set(name, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(name) === tail) this.#tails.delete(name);
    }
  }
}
