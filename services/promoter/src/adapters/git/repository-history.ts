/**
 * What the service reads back from a repository's history: its own commits (by the Promotion-Id and
 * Promotion-Action trailers), the commit a remote tag points at, the last commit that touched a file;
 * plus the checks on caller-supplied paths and ids that go into git commands and trailers.
 */
import {
  TRAILER_ACTION,
  TRAILER_ID,
  TRAILER_ROLLBACK_METHOD,
  isSafePromotionId,
  type PromotionAction,
  type RollbackMethod,
} from '../../domain/gitops/commit-message.js';
import { GitError } from './git-error.js';
import type { GitRepositoryConfig } from './repositories-config.js';
import type { WorkingCopy } from './working-copy.js';

/** The newest commit on the branch carrying this promotion's id and action in its trailers. */
export async function findOwnCommit(copy: WorkingCopy, promotionId: string, action: PromotionAction): Promise<{ commit: string; method: RollbackMethod | undefined } | undefined> {
  const format = `%H%x1f${trailerFormat(TRAILER_ID)}%x1f${trailerFormat(TRAILER_ACTION)}%x1f${trailerFormat(TRAILER_ROLLBACK_METHOD)}%x1e`;
  const { stdout } = await copy.git(['log', `--format=${format}`, '--fixed-strings', `--grep=${TRAILER_ID}: ${promotionId}`, copy.upstream]);
  for (const record of stdout.split('\x1e')) {
    const [commit = '', ids = '', actions = '', methods = ''] = record.trim().split('\x1f');
    if (commit && values(ids).includes(promotionId) && values(actions).includes(action)) {
      const method = values(methods).find((m): m is RollbackMethod => m === 'revert' || m === 'restore');
      return { commit, method };
    }
  }
  return undefined;
}

/** The commit an existing remote tag points at (peeled), or undefined when the remote has no such tag. */
export async function remoteTagCommit(copy: WorkingCopy, tag: string): Promise<string | undefined> {
  const { stdout } = await copy.git(['ls-remote', '--tags', 'origin', `refs/tags/${tag}`, `refs/tags/${tag}^{}`], { remote: true });
  let object: string | undefined;
  let peeled: string | undefined;
  for (const line of stdout.split('\n')) {
    const [sha, ref] = line.trim().split(/\s+/);
    if (ref === `refs/tags/${tag}`) object = sha;
    if (ref === `refs/tags/${tag}^{}`) peeled = sha;
  }
  return peeled ?? object;
}

function trailerFormat(key: string): string {
  return `%(trailers:key=${key},valueonly,separator=%x1d)`;
}

function values(joined: string): string[] {
  return joined
    .split('\x1d')
    .map((v) => v.trim())
    .filter((v) => v !== '');
}

export async function commitTrailers(copy: WorkingCopy, commit: string): Promise<{ ids: string[]; actions: string[] }> {
  const { stdout } = await copy.git(['log', '-1', `--format=${trailerFormat(TRAILER_ID)}%x1f${trailerFormat(TRAILER_ACTION)}`, commit]);
  const [ids = '', actions = ''] = stdout.trim().split('\x1f');
  return { ids: values(ids), actions: values(actions) };
}

export async function lastCommitTouching(copy: WorkingCopy, file: string): Promise<string> {
  return (await copy.git(['log', '-1', '--format=%H', copy.upstream, '--', file])).stdout.trim();
}

/**
 * A path inside the repository as a plain relative path: segments of printable characters separated by
 * single slashes; no NUL or control character, no backslash, no empty, `.` or `..` segment (so no leading
 * or trailing slash), no `.git` segment, no leading `-`. Anything else is refused rather than normalised:
 * the request said something other than a file, and a guess could name another one.
 */
export function checkedFile(file: string, repository: string): string {
  const segments = file.split('/');
  const bad =
    file === '' ||
    file.startsWith('-') ||
    /[\u0000-\u001f\u007f\\]/.test(file) ||
    segments.some((segment) => segment === '' || segment === '.' || segment === '..' || segment.toLowerCase() === '.git');
  if (bad) {
    throw new GitError({ code: 'invalid-argument', repository, message: `${JSON.stringify(file.slice(0, 200))} is not a file path inside the repository (a relative path such as apps/app.yaml)`, retryable: false });
  }
  return file;
}

export function checkPromotionId(id: string, repository: string): void {
  if (!isSafePromotionId(id)) {
    throw new GitError({ code: 'invalid-argument', repository, message: `'${id.slice(0, 80)}' cannot be used as a Promotion-Id trailer`, retryable: false });
  }
}

export function fileNotFound(repository: GitRepositoryConfig, file: string, at?: string): GitError {
  return new GitError({
    code: 'file-not-found',
    repository: repository.name,
    message: `${file} does not exist on branch ${repository.branch}${at ? ` at ${at}` : ''}`,
    retryable: false,
  });
}
