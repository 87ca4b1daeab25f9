/**
 * The git operations the fake forge performs on its bare repositories itself: reading refs, asking whether
 * two branches merge cleanly (`git merge-tree --write-tree`, git >= 2.38), writing merge and squash
 * commits with `commit-tree`, and moving refs with `update-ref`. `update-ref` runs no hook, which is how the
 * forge's own merges pass the branch protection that refuses direct pushes.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Who a commit is by; the forge's merges are authored and committed as the person who merged. */
export interface GitIdentity {
  readonly name: string;
  readonly email: string;
}

interface GitRun {
  readonly stdout: string;
  readonly code: number;
  readonly stderr: string;
}

interface RunOptions {
  readonly identity?: GitIdentity;
  /** Written to git's stdin. */
  readonly input?: string;
  /** A private index (GIT_INDEX_FILE), so building a commit never touches another one's. */
  readonly indexFile?: string;
}

/** Runs git in `gitDir`, isolated from the machine's config; a non-zero exit is returned, not thrown. */
function runGit(gitDir: string, args: readonly string[], options: RunOptions = {}): Promise<GitRun> {
  const { identity } = options;
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: tmpdir(),
    GIT_DIR: gitDir,
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    LC_ALL: 'C',
    ...(identity
      ? { GIT_AUTHOR_NAME: identity.name, GIT_AUTHOR_EMAIL: identity.email, GIT_COMMITTER_NAME: identity.name, GIT_COMMITTER_EMAIL: identity.email }
      : {}),
    ...(options.indexFile ? { GIT_INDEX_FILE: options.indexFile } : {}),
  };
  return new Promise((resolve, reject) => {
    const child = execFile('git', args as string[], { env, maxBuffer: 16 * 1024 * 1024, timeout: 30_000 }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') reject(error);
      else resolve({ stdout, stderr, code: error ? Number(error.code) : 0 });
    });
    // git may exit without reading stdin (most commands never do): that EPIPE is not an error.
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(options.input ?? '');
  });
}

async function gitOk(gitDir: string, args: readonly string[], options: RunOptions = {}): Promise<string> {
  const result = await runGit(gitDir, args, options);
  if (result.code !== 0) throw new Error(`git ${args.join(' ')} exited ${result.code}: ${result.stderr.trim()}`);
  return result.stdout;
}

/**
 * The commit a branch points at, or undefined when there is no such branch. Read from the ref files
 * (loose, then packed-refs) rather than by starting git: every API read needs two of these.
 */
export async function branchSha(gitDir: string, branch: string): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  if (branch === '' || branch.split('/').some((part) => part === '' || part === '.' || part === '..')) return undefined;
  const loose = await readFile(join(gitDir, ref), 'utf8').catch(() => undefined);
  if (loose !== undefined) return OBJECT_ID.test(loose.trim()) ? loose.trim() : undefined;
  const packed = await readFile(join(gitDir, 'packed-refs'), 'utf8').catch(() => '');
  for (const line of packed.split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && sha !== undefined && OBJECT_ID.test(sha)) return sha;
  }
  return undefined;
}

const OBJECT_ID = /^[0-9a-f]{40}$/;

/**
 * Answers about two commits never change, so they are remembered (bounded): a forge asked for the same
 * request again and again should not start git each time.
 */
const remembered = new Map<string, unknown>();
async function remember<T>(key: string, compute: () => Promise<T>): Promise<T> {
  if (remembered.has(key)) return remembered.get(key) as T;
  const value = await compute();
  if (remembered.size >= 10_000) remembered.clear();
  remembered.set(key, value);
  return value;
}

/** Whether the repository has this commit. */
export async function commitExists(gitDir: string, sha: string): Promise<boolean> {
  return (await runGit(gitDir, ['cat-file', '-e', `${sha}^{commit}`])).code === 0;
}

/** Whether `ancestor` is reachable from `descendant` (the branch is up to date with its base). */
export function isAncestor(gitDir: string, ancestor: string, descendant: string): Promise<boolean> {
  return remember(`${gitDir}\0ancestor\0${ancestor}\0${descendant}`, async () => (await runGit(gitDir, ['merge-base', '--is-ancestor', ancestor, descendant])).code === 0);
}

/** How many commits `head` has that `base` has not. */
export async function commitsAhead(gitDir: string, base: string, head: string): Promise<number> {
  return Number.parseInt((await gitOk(gitDir, ['rev-list', '--count', `${base}..${head}`])).trim(), 10);
}

/** The tree of merging `head` into `base`, or `conflict` (merge-tree exits 1 and writes no usable tree). */
export function mergeTree(gitDir: string, base: string, head: string): Promise<{ tree: string } | 'conflict'> {
  return remember(`${gitDir}\0merge\0${base}\0${head}`, async () => {
    const result = await runGit(gitDir, ['merge-tree', '--write-tree', '--no-messages', base, head]);
    if (result.code === 1) return 'conflict' as const;
    if (result.code !== 0) throw new Error(`git merge-tree exited ${result.code}: ${result.stderr.trim()}`);
    return { tree: result.stdout.split('\n')[0]?.trim() ?? '' };
  });
}

/** Writes a commit of `tree` with these parents (two for a merge, one for a squash) and returns it. */
export async function commitTree(gitDir: string, tree: string, parents: readonly string[], message: string, by: GitIdentity): Promise<string> {
  const args = ['commit-tree', tree, ...parents.flatMap((parent) => ['-p', parent]), '-m', message];
  return (await gitOk(gitDir, args, { identity: by })).trim();
}

/** A file's new content, or a function of its current content ('' when it does not exist yet). */
export type FileContent = string | ((current: string) => string);

/**
 * Writes a commit on top of `parent` that changes these files, with git's plumbing in the bare repository
 * (a private index, `hash-object`, `write-tree`, `commit-tree`): no clone and no push, so test set-up stays
 * fast. Moves no branch; the caller does.
 */
export async function commitFiles(
  gitDir: string,
  parent: string,
  files: Readonly<Record<string, FileContent>>,
  message: string,
  by: GitIdentity,
): Promise<string> {
  const scratch = await mkdtemp(join(tmpdir(), 'fake-forge-index-'));
  const indexFile = join(scratch, 'index');
  try {
    await gitOk(gitDir, ['read-tree', parent], { indexFile });
    for (const [path, content] of Object.entries(files)) {
      const current = typeof content === 'function' ? await runGit(gitDir, ['cat-file', 'blob', `${parent}:${path}`]) : undefined;
      const text = typeof content === 'function' ? content(current?.code === 0 ? current.stdout : '') : content;
      const blob = (await gitOk(gitDir, ['hash-object', '-w', '--stdin'], { input: text })).trim();
      await gitOk(gitDir, ['update-index', '--add', '--cacheinfo', `100644,${blob},${path}`], { indexFile });
    }
    const tree = (await gitOk(gitDir, ['write-tree'], { indexFile })).trim();
    return await commitTree(gitDir, tree, [parent], message, by);
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Moves a branch from `expected` to `sha` atomically; false when the branch no longer points at
 * `expected` (someone pushed in between), so a merge never overwrites a commit it did not see.
 */
export async function moveBranch(gitDir: string, branch: string, sha: string, expected: string): Promise<boolean> {
  return (await runGit(gitDir, ['update-ref', `refs/heads/${branch}`, sha, expected])).code === 0;
}

export async function deleteBranch(gitDir: string, branch: string): Promise<void> {
  await runGit(gitDir, ['update-ref', '-d', `refs/heads/${branch}`]);
}

/** Sets a branch to `sha` whatever it pointed at (test set-up: commits "pushed" past protection). */
export async function forceBranch(gitDir: string, branch: string, sha: string): Promise<void> {
  await gitOk(gitDir, ['update-ref', `refs/heads/${branch}`, sha]);
}

/** Sets a multi-valued repository config key to exactly these values (none: unset). */
export async function setConfigValues(gitDir: string, key: string, values: readonly string[]): Promise<void> {
  await runGit(gitDir, ['config', '--unset-all', key]); // exits 5 when it was not set: fine
  for (const value of values) await gitOk(gitDir, ['config', '--add', key, value]);
}
