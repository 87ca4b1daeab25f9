/**
 * A Git forge's pull requests (GitHub's pull requests, GitLab's merge requests), as a promotion through a
 * protected branch needs them: open one from a pushed branch, read where it stands, merge it when the forge
 * says it may be merged, close it. One adapter per forge (github-client.ts: REST v3, gitlab-client.ts:
 * REST v4); the engine sees only this port. Every answer from a forge is untrusted input: sizes are
 * bounded, strings that reach a reason are one line and short, and no token is ever echoed. The adapters
 * hand out only checked values: commit ids are hex, numbers positive, urls short http(s) URLs.
 */

/** A pull (merge) request as the engine records it. */
export interface PullRequestRef {
  /** GitHub's `number`, GitLab's `iid`. */
  readonly number: number;
  /** The page a person opens (GitHub `html_url`, GitLab `web_url`). */
  readonly url: string;
  readonly sourceBranch: string;
  readonly targetBranch: string;
  /** Set by `openPullRequest` when the forge already had it open (a step resumed after a crash). */
  readonly existing?: true;
}

/**
 * Where a pull request stands. `open.mergeable`:
 * - `clean`: the forge would merge it now;
 * - `blocked`: a rule the forge enforces is not met yet (a required check pending or failed, a review
 *   missing); `blockedBy` says which, in the forge's terms where it gives them;
 * - `conflict`: the source branch conflicts with the target branch;
 * - `behind`: the target branch moved and the forge requires an up-to-date branch;
 * - `unknown`: the forge has not computed it yet (GitHub's `mergeable: null`, GitLab's `checking`).
 */
export type PullRequestStatus =
  | {
      readonly state: 'open';
      readonly mergeable: 'clean' | 'blocked' | 'conflict' | 'behind' | 'unknown';
      readonly headSha: string;
      readonly blockedBy?: string;
    }
  | { readonly state: 'merged'; readonly mergeCommit: string; readonly mergedBy?: string }
  | { readonly state: 'closed'; readonly closedBy?: string };

export interface OpenPullRequest {
  readonly sourceBranch: string;
  readonly targetBranch: string;
  readonly title: string;
  /** Markdown. */
  readonly body: string;
}

export type MergeResult =
  | { readonly merged: true; readonly mergeCommit: string }
  /** `reason` in the forge's words (one line); `conflict` when the forge said the branches conflict. */
  | { readonly merged: false; readonly reason: string; readonly conflict: boolean; readonly headChanged: boolean };

export interface ForgeClient {
  /** `github` or `gitlab`, for messages. */
  readonly kind: 'github' | 'gitlab';
  /**
   * Opens a pull request, or returns the open one from `sourceBranch` into `targetBranch` if there already
   * is one (a step resumed after a crash must not open a second).
   */
  openPullRequest(request: OpenPullRequest): Promise<PullRequestRef>;
  /** The open (or else the newest) pull request from `sourceBranch`, if any. */
  findPullRequest(sourceBranch: string, targetBranch: string): Promise<PullRequestRef | undefined>;
  status(number: number): Promise<PullRequestStatus>;
  /** Merges only if the head is still `expectedHeadSha` (GitHub `sha`, GitLab `sha`): never merges what was not checked. */
  merge(number: number, expectedHeadSha: string, commitTitle: string): Promise<MergeResult>;
  /** Closes without merging, leaving `comment` on it first when given. */
  close(number: number, comment?: string): Promise<void>;
}

/** A forge call failed; `retryable` for network errors, 5xx and rate limits; `status` is the HTTP status when there was one. */
export class ForgeError extends Error {
  readonly retryable: boolean;
  readonly status: number | undefined;

  constructor(message: string, options: { retryable: boolean; status?: number; cause?: unknown }) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ForgeError';
    this.retryable = options.retryable;
    this.status = options.status;
  }
}
