/**
 * How to name a promotion's pull request: GitLab calls it a merge request and writes its iid `!12` (`#12`
 * is an issue there); GitHub, and a record written before the forge was kept, a pull request `#12`. The
 * console and the CLI say it the way the service's own sentences do.
 */
import type { PullRequest } from './types.js';

type Named = Pick<PullRequest, 'forge' | 'number'>;

/** `#12`, or `!12` on GitLab. */
export function proposalReference(pr: Named): string {
  return `${pr.forge === 'gitlab' ? '!' : '#'}${pr.number}`;
}

/** `pull request`, or `merge request` on GitLab. */
export function proposalNoun(pr: Pick<PullRequest, 'forge'>): string {
  return pr.forge === 'gitlab' ? 'merge request' : 'pull request';
}
