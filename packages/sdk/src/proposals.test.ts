import { describe, expect, it } from 'vitest';
import { proposalNoun, proposalReference } from './proposals.js';

describe('proposal names', () => {
  it("names GitLab's merge request !N, GitHub's pull request #N, and a record without its forge as GitHub's", () => {
    expect([proposalNoun({ forge: 'gitlab' }), proposalReference({ forge: 'gitlab', number: 4 })]).toEqual(['merge request', '!4']);
    expect([proposalNoun({ forge: 'github' }), proposalReference({ forge: 'github', number: 12 })]).toEqual(['pull request', '#12']);
    expect([proposalNoun({}), proposalReference({ number: 7 })]).toEqual(['pull request', '#7']);
  });
});
