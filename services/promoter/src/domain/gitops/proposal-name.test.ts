import { describe, expect, it } from 'vitest';
import { proposalName, proposalNoun, proposalReference } from './proposal-name.js';

describe('proposal names', () => {
  it("says GitHub's pull request #N and GitLab's merge request !N", () => {
    expect(proposalName('github', 12)).toBe('pull request #12');
    expect(proposalName('gitlab', 12)).toBe('merge request !12');
    expect(proposalName('gitlab', 3, 'revert')).toBe('revert merge request !3');
    expect(proposalName('github', 3, 'release')).toBe('release pull request #3');
  });

  it('calls a record without its forge (written before it was kept) a pull request', () => {
    expect(proposalName(undefined, 7)).toBe('pull request #7');
    expect(proposalNoun(undefined, 'revert')).toBe('revert pull request');
    expect(proposalReference(undefined, 7)).toBe('#7');
  });
});
