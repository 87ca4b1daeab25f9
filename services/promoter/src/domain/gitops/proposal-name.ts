/**
 * What a forge calls a proposed change, in the engine's sentences: GitHub's `pull request #12`, GitLab's
 * `merge request !12` (GitLab writes `!` before a merge request's iid and `#` before an issue's, so `#12`
 * on GitLab points at the wrong thing). A record written before the forge was kept says `pull request`.
 */
export type ForgeKind = 'github' | 'gitlab';

/** `pull request` or `merge request`, with `revert ` or `release ` before it where given. */
export function proposalNoun(forge: ForgeKind | undefined, purpose?: 'revert' | 'release'): string {
  const noun = forge === 'gitlab' ? 'merge request' : 'pull request';
  return purpose ? `${purpose} ${noun}` : noun;
}

/** `#12` on GitHub, `!12` on GitLab. */
export function proposalReference(forge: ForgeKind | undefined, number: number): string {
  return `${forge === 'gitlab' ? '!' : '#'}${number}`;
}

/** `pull request #12`, `revert merge request !12`. */
export function proposalName(forge: ForgeKind | undefined, number: number, purpose?: 'revert' | 'release'): string {
  return `${proposalNoun(forge, purpose)} ${proposalReference(forge, number)}`;
}
