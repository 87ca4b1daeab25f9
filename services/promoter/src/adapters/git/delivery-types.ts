/** The requests and results of GitDelivery's operations, and the logger it writes to. */
import type { RollbackMethod } from '../../domain/gitops/commit-message.js';
import type { ImageLocator } from '../../domain/gitops/image-edit.js';
import type { GitConfig } from './repositories-config.js';

/** The subset of pino's logger this module uses, so the service's logger can be passed as it is. */
export interface GitLogger {
  debug(object: object, message: string): void;
  info(object: object, message: string): void;
  warn(object: object, message: string): void;
}

export interface GitDeliveryOptions {
  readonly config: GitConfig;
  /** Where `auth.tokenEnv` variables are read; the process environment by default. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  readonly gitBinary?: string;
  readonly logger?: GitLogger;
  /** Limits on what a repository file may cost; defaults in DEFAULT_CONTENT_LIMITS. */
  readonly limits?: Partial<RepositoryContentLimits>;
}

/** A repository's files are untrusted input: what reading one may cost at most. */
export interface RepositoryContentLimits {
  /** Size of a file read from a repository (PROMOTER_GIT_MAX_FILE_BYTES). */
  readonly maxFileBytes: number;
  /** YAML documents in one file. */
  readonly maxDocuments: number;
  /** Time to parse (and edit) one file in the worker before it is stopped. */
  readonly parseTimeoutMs: number;
}

export interface ReadImageRequest {
  readonly repository: string;
  readonly file: string;
  readonly locator: ImageLocator;
}

export interface ReadImageResult {
  readonly image: string;
  /** The branch tip the file was read at. */
  readonly commit: string;
}

export interface CommitImageRequest {
  readonly repository: string;
  /** Path of the file inside the repository. */
  readonly file: string;
  readonly locator: ImageLocator;
  /** What the file must hold now; anything else is drift (an ImageEditError `image-drift`). */
  readonly expectedCurrentImage: string;
  readonly newImage: string;
  readonly promotionId: string;
  /** Commit subject; default after the runbook: `chore: promote zai-proxy to v1.2.1`. */
  readonly message?: string;
  /** Where the commit goes instead of the branch, for a pull request (see ProposalTarget). */
  readonly proposal?: ProposalTarget;
}

/**
 * A change proposed on a branch of its own (for a pull request) instead of pushed to the configured branch:
 * the commit is made on the configured branch's tip and force-pushed to `branch`, which belongs to the
 * promotion. A resumed step finds the promotion's own commit at the tip of that branch and pushes nothing,
 * unless `rebase` asks for the change to be made again on the branch's current tip (after a conflict).
 */
export interface ProposalTarget {
  /** e.g. `promoter/<promotion id>`. */
  readonly branch: string;
  readonly rebase?: boolean;
}

export interface CommitImageResult {
  readonly repository: string;
  readonly branch: string;
  readonly file: string;
  readonly commit: string;
  readonly previousImage: string;
  /** Whether this call made the commit. */
  readonly created: boolean;
  /**
   * committed: this call committed and pushed; found-own-commit: an earlier call did (resume);
   * already-in-place: the file already held the new image without a commit of this promotion
   * (`commit` is then the last commit that touched the file).
   */
  readonly outcome: 'committed' | 'found-own-commit' | 'already-in-place' | 'proposed' | 'found-own-proposal';
  /** Fetch-edit-push rounds it took (more than 1 when pushes lost races). */
  readonly attempts: number;
}

export interface RevertImageRequest {
  readonly repository: string;
  readonly promotionId: string;
  /**
   * The promotion's own commit (from CommitImageResult). Unknown when a crash came right after the push,
   * before it was recorded: it is then found by its trailer, and without one there is nothing to revert.
   */
  readonly commit?: string;
  readonly file: string;
  readonly locator: ImageLocator;
  /**
   * Propose the rollback on this branch (for a pull request) instead of pushing it. `commit` is then the
   * commit the promotion's pull request made on the branch (its merge commit, or the squashed commit):
   * reverted as `git revert -m 1` when it is a merge. It need not carry the promotion's trailers (a forge's
   * squash or merge writes its own message), but it must be on the branch.
   */
  readonly proposal?: ProposalTarget;
}

export interface RevertImageResult {
  readonly repository: string;
  readonly branch: string;
  readonly file: string;
  readonly commit: string;
  readonly created: boolean;
  /** revert: `git revert` of the commit; restore: a commit setting the previous image (the revert conflicted). */
  readonly method: RollbackMethod;
  /** The image the file holds after the rollback. */
  readonly restoredImage: string;
  readonly outcome: 'reverted' | 'restored' | 'found-own-commit' | 'already-in-place' | 'proposed' | 'found-own-proposal';
  readonly attempts: number;
}

export interface FinalizeReleaseRequest {
  readonly repository: string;
  readonly promotionId: string;
  /** The application's name for the commit subject: `chore: release <name> v<version>`. */
  readonly name: string;
  /** The version without `v` and without `-canary`, e.g. `1.2.1`. */
  readonly version: string;
  /** Default `VERSION`. */
  readonly versionFile?: string;
  /** Default `v<version>`. */
  readonly tag?: string;
  /** Default: the runbook's "Validated via canary testing, promoted from canary to production" + the id. */
  readonly tagMessage?: string;
  /** Propose the release commit on this branch (for a pull request) instead of pushing and tagging it. */
  readonly proposal?: ProposalTarget;
  /** Tag this commit (the merge of the release's pull request; it must be on the branch) instead of making one. */
  readonly releaseCommit?: string;
}

export interface FinalizeReleaseResult {
  readonly repository: string;
  readonly branch: string;
  /** The release commit (the tag points at it). */
  readonly commit: string;
  readonly tag: string;
  readonly created: boolean;
  /**
   * released: this call pushed the tag; tag-exists: the tag already pointed at this promotion's release commit;
   * proposed / found-own-proposal: the release commit is on the proposal branch, untagged, for a pull request.
   */
  readonly outcome: 'released' | 'tag-exists' | 'proposed' | 'found-own-proposal';
  readonly attempts: number;
}
