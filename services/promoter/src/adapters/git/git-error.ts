/**
 * The one error type of the Git adapter: a stable `code` the engine (or the API, for request validation)
 * branches on, whether trying again later can help, and a message that names the repository and what went
 * wrong. Messages and `detail` are built from redacted git output only: no token, password or URL userinfo
 * can reach an error, a log line or a response body through this type.
 */
export type GitErrorCode =
  /** The server refused the credentials (HTTP 401/403, SSH publickey), or git wanted to prompt for them. */
  | 'auth-failed'
  /** SSH: the server's host key is not in the configured known_hosts (or changed). */
  | 'host-key-rejected'
  /** The configured token file or environment variable is missing or empty. */
  | 'credentials-missing'
  /** DNS, connection refused, TLS, network. */
  | 'unreachable'
  | 'repository-not-found'
  /** The branch does not exist on the remote. */
  | 'branch-not-found'
  /** The configured file is not in the repository. */
  | 'file-not-found'
  /** The path is not a regular file in the repository: a symbolic link, a submodule, a folder, or under one. */
  | 'not-a-regular-file'
  /** The file is larger than the configured limit (PROMOTER_GIT_MAX_FILE_BYTES). */
  | 'file-too-large'
  /** The request names a repository the operator did not configure. */
  | 'unknown-repository'
  /** The push kept losing the race against other pushes (bounded retries exhausted). */
  | 'push-rejected'
  /** The server refused the push for another reason (protected branch, hook). */
  | 'push-refused'
  /** The release tag exists and points at something else than this promotion's release commit. */
  | 'tag-conflict'
  /** The commit to revert is not on the branch, or is not this promotion's commit. */
  | 'not-own-commit'
  /** A caller-supplied value (path, tag name, promotion id) is unusable. */
  | 'invalid-argument'
  | 'timeout'
  | 'command-failed';

const RETRYABLE: ReadonlySet<GitErrorCode> = new Set(['unreachable', 'timeout', 'push-rejected', 'command-failed']);

export class GitError extends Error {
  readonly code: GitErrorCode;
  /** The configured repository's name, when the error concerns one. */
  readonly repository: string | undefined;
  /** Whether the same call may succeed later (network, timeouts, a busy branch). */
  readonly retryable: boolean;
  /** Redacted stderr of the failed git command (last lines), for logs. */
  readonly detail: string | undefined;

  constructor(init: { code: GitErrorCode; message: string; repository?: string; detail?: string; retryable?: boolean }) {
    super(init.repository !== undefined ? `repository '${init.repository}': ${init.message}` : init.message);
    this.name = 'GitError';
    this.code = init.code;
    this.repository = init.repository;
    this.retryable = init.retryable ?? RETRYABLE.has(init.code);
    this.detail = init.detail;
  }
}
