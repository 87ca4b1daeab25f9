/**
 * Reading and writing a repository's files as what Git says they are. Anyone with push access writes the
 * repository, so a path may be a symbolic link (to the service's kubeconfig, to /dev/zero, to a folder
 * outside the working copy) or a submodule. Nothing here touches the work tree through the file system:
 * - a file is looked up in a commit's tree with `git ls-tree`: every folder on its path must be a tree
 *   (040000), the file itself a regular blob (100644 or 100755); a symbolic link (120000), a submodule
 *   (160000) or a folder is refused with `not-a-regular-file`, a blob larger than the limit with
 *   `file-too-large`, both before a byte of it is read;
 * - its content is the blob (`git cat-file blob <oid>`), never what the path resolves to on disk;
 * - a new content is written as a blob (`git hash-object -w --stdin`) and put in the index
 *   (`git update-index --cacheinfo`), from which the commit is made. The work tree is never written, so
 *   no link in it can redirect a write; the next sync resets it anyway.
 */
import { GitError } from './git-error.js';
import type { WorkingCopy } from './working-copy.js';

/** A regular file in a commit's tree. */
export interface RepositoryFile {
  readonly mode: '100644' | '100755';
  readonly oid: string;
  readonly size: number;
}

const REGULAR_MODES: ReadonlySet<string> = new Set(['100644', '100755']);
// Paths are matched literally, never as globs or pathspec magic.
const LITERAL = { env: { GIT_LITERAL_PATHSPECS: '1' } } as const;

/**
 * The regular file at `path` in `revision`, or undefined when there is none (nothing there, or a parent
 * folder missing). Throws `not-a-regular-file` for anything that is there but is not a regular file.
 */
export async function lookUpFile(copy: WorkingCopy, revision: string, path: string): Promise<RepositoryFile | undefined> {
  const segments = path.split('/');
  const prefixes = segments.map((_, i) => segments.slice(0, i + 1).join('/'));
  // One call for the file and each of its folders: ls-tree lists the entry of each path that exists (-t:
  // the folders too, which it would otherwise only descend into; it may list more, which is ignored).
  const listed = await copy.git(['ls-tree', '-t', '-z', '--long', '--full-tree', revision, '--', ...prefixes], LITERAL);
  const entries = new Map<string, { mode: string; type: string; oid: string; size: string }>();
  for (const record of listed.stdout.split('\0')) {
    const match = /^(\d{6}) (\w+) ([0-9a-f]+) +(\S+)\t([\s\S]*)$/.exec(record);
    if (match) entries.set(match[5] as string, { mode: match[1] as string, type: match[2] as string, oid: match[3] as string, size: match[4] as string });
  }
  for (const [index, prefix] of prefixes.entries()) {
    const entry = entries.get(prefix);
    if (!entry) return undefined;
    const last = index === prefixes.length - 1;
    if (!last && entry.mode === '040000') continue;
    if (last && REGULAR_MODES.has(entry.mode) && entry.type === 'blob') {
      return { mode: entry.mode as RepositoryFile['mode'], oid: entry.oid, size: Number(entry.size) };
    }
    throw notRegular(copy, path, prefix, entry.mode, last);
  }
  return undefined;
}

/**
 * The bytes of the regular file at `path` in `revision` (at most `maxBytes`), or undefined when there is
 * none. Bytes, not text: they go to the YAML worker as they are (decoding 2 MB here costs the event loop).
 */
export async function readRepositoryFile(copy: WorkingCopy, revision: string, path: string, maxBytes: number): Promise<Uint8Array | undefined> {
  const file = await lookUpFile(copy, revision, path);
  if (!file) return undefined;
  if (file.size > maxBytes) {
    throw new GitError({
      code: 'file-too-large',
      repository: copy.repository.name,
      message: `${path} is ${file.size} bytes, larger than the limit of ${maxBytes} bytes (PROMOTER_GIT_MAX_FILE_BYTES); it is not read`,
      retryable: false,
    });
  }
  const bytes = (await copy.git(['cat-file', 'blob', file.oid], { bytes: true })).bytes ?? Buffer.alloc(0);
  // What arrived must be the whole blob: the runner keeps at most 16 MiB of output.
  if (bytes.length !== file.size) {
    throw new GitError({ code: 'file-too-large', repository: copy.repository.name, message: `${path} could not be read whole; it is not edited`, retryable: false });
  }
  return bytes;
}

/**
 * Puts `text` at `path` in the index, keeping the file's mode (a new file is 100644). The path must be
 * a regular file or absent at HEAD, under real folders: it is looked up again here, so a caller cannot
 * write through a link it did not check.
 */
export async function stageFile(copy: WorkingCopy, path: string, text: string): Promise<void> {
  const existing = await lookUpFile(copy, 'HEAD', path);
  const oid = (await copy.git(['hash-object', '-w', '--stdin'], { input: text })).stdout.trim();
  await copy.git(['update-index', '--add', '--cacheinfo', `${existing?.mode ?? '100644'},${oid},${path}`], LITERAL);
}

function notRegular(copy: WorkingCopy, path: string, at: string, mode: string, last: boolean): GitError {
  const what = mode === '120000' ? 'a symbolic link' : mode === '160000' ? 'a submodule' : mode === '040000' ? 'a folder' : last ? 'not a regular file' : 'a file (not a folder)';
  const subject = at === path ? path : `${at} (on the path of ${path})`;
  return new GitError({
    code: 'not-a-regular-file',
    repository: copy.repository.name,
    message: `${subject} is ${what} in the repository; promoter edits only regular files`,
    retryable: false,
  });
}
