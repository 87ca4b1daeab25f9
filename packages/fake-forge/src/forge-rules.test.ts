import { describe, expect, it } from 'vitest';
import { detailedMergeStatus } from './gitlab-json.js';
import { mergeableState, ruleViolation } from './github-json.js';
import { matchPath } from './http.js';
import { refusalLines } from './protection-hook.js';
import type { Assessment } from './mergeability.js';
import type { BranchRule, PullRecord } from './forge-state.js';

const clean: Assessment = {
  headSha: 'h',
  baseSha: 'b',
  conflict: false,
  behind: false,
  missingChecks: [],
  pendingChecks: [],
  failingChecks: [],
  otherChecksNotPassing: false,
  approvals: [],
  approvalsRequired: 0,
};

describe('GitHub mergeable_state and GitLab detailed_merge_status from the same facts', () => {
  const cases: [string, { given: Partial<Assessment>; github: string; gitlab: string }][] = [
    ['clean', { given: {}, github: 'clean', gitlab: 'mergeable' }],
    ['conflict wins over everything', { given: { conflict: true, behind: true, failingChecks: ['ci'] }, github: 'dirty', gitlab: 'conflict' }],
    ['behind', { given: { behind: true }, github: 'behind', gitlab: 'need_rebase' }],
    ['GitLab: not approved before need_rebase', { given: { behind: true, approvalsRequired: 1 }, github: 'behind', gitlab: 'not_approved' }],
    ['required check missing', { given: { missingChecks: ['ci'] }, github: 'blocked', gitlab: 'ci_must_pass' }],
    ['required check pending', { given: { pendingChecks: ['ci'] }, github: 'blocked', gitlab: 'ci_still_running' }],
    ['required check failing', { given: { failingChecks: ['ci'] }, github: 'blocked', gitlab: 'ci_must_pass' }],
    ['review missing', { given: { approvalsRequired: 1 }, github: 'blocked', gitlab: 'not_approved' }],
    ['review given', { given: { approvalsRequired: 1, approvals: ['alice'] }, github: 'clean', gitlab: 'mergeable' }],
    ['a check that is not required fails', { given: { otherChecksNotPassing: true }, github: 'unstable', gitlab: 'mergeable' }],
  ];
  const open = { state: 'open' } as PullRecord;
  it.each(cases)('%s', (_name, { given, github, gitlab }) => {
    expect(mergeableState({ ...clean, ...given })).toBe(github);
    expect(detailedMergeStatus(open, { ...clean, ...given })).toBe(gitlab);
  });

  it('GitLab: checking while computing, not_open once closed', () => {
    expect(detailedMergeStatus(open, undefined)).toBe('checking');
    expect(detailedMergeStatus({ state: 'merged' } as PullRecord, clean)).toBe('not_open');
  });
});

describe("GitHub's words for an unmet rule", () => {
  const cases: [string, { given: Partial<Assessment>; want: string | undefined }][] = [
    ['nothing unmet', { given: {}, want: undefined }],
    ['one review', { given: { approvalsRequired: 1 }, want: 'At least 1 approving review is required by reviewers with write access.' }],
    ['two reviews', { given: { approvalsRequired: 2, approvals: ['a'] }, want: 'At least 2 approving reviews are required by reviewers with write access.' }],
    ['one check expected', { given: { missingChecks: ['ci'] }, want: 'Required status check "ci" is expected.' }],
    ['two checks expected', { given: { missingChecks: ['ci'], pendingChecks: ['lint'] }, want: '2 of 2 required status checks are expected.' }],
    ['one check failing', { given: { failingChecks: ['ci'] }, want: 'Required status check "ci" is failing.' }],
    ['one failing of two', { given: { failingChecks: ['ci'], pendingChecks: ['lint'] }, want: '1 of 2 required status checks are failing.' }],
  ];
  it.each(cases)('%s', (_name, { given, want }) => {
    expect(ruleViolation({ ...clean, ...given })).toBe(want);
  });
});

describe('what a direct push to a protected branch prints', () => {
  const rule = (overrides: Partial<BranchRule>): BranchRule => ({
    branch: 'main',
    requiredChecks: [],
    requiredApprovals: 0,
    dismissStaleReviews: false,
    strict: false,
    pushAccessLevel: 0,
    mergeAccessLevel: 30,
    id: 1,
    ...overrides,
  });
  const cases: [string, { kind: 'github' | 'gitlab'; given: Partial<BranchRule>; want: string[] | undefined }][] = [
    ['GitHub, a required check', { kind: 'github', given: { requiredChecks: ['ci'] }, want: ['error: GH006: Protected branch update failed for refs/heads/main.', 'error: Required status check "ci" is expected.'] }],
    ['GitHub, no requirements: the push goes through', { kind: 'github', given: {}, want: undefined }],
    ['GitLab, no one may push', { kind: 'gitlab', given: {}, want: ['GitLab: You are not allowed to push code to protected branches on this project.'] }],
    ['GitLab, maintainers only', { kind: 'gitlab', given: { pushAccessLevel: 40 }, want: ['GitLab: You are not allowed to push code to protected branches on this project.'] }],
    ['GitLab, developers may push', { kind: 'gitlab', given: { pushAccessLevel: 30 }, want: undefined }],
  ];
  it.each(cases)('%s', (_name, { kind, given, want }) => {
    expect(refusalLines(kind, rule(given))).toEqual(want);
  });
});

describe('path patterns', () => {
  const cases: [string, { pattern: string; path: string; want: Record<string, string> | undefined }][] = [
    ['named parts', { pattern: 'pulls/:number/merge', path: 'pulls/3/merge', want: { number: '3' } }],
    ['too short', { pattern: 'pulls/:number/merge', path: 'pulls/3', want: undefined }],
    ['a branch with slashes before a fixed tail', { pattern: 'branches/*branch/protection', path: 'branches/release/v1/protection', want: { branch: 'release/v1' } }],
    ['the wildcard takes at least one segment', { pattern: 'commits/*ref/status', path: 'commits/status', want: undefined }],
    ['the empty pattern matches only the empty path', { pattern: '', path: '', want: {} }],
  ];
  it.each(cases)('%s', (_name, { pattern, path, want }) => {
    expect(matchPath(pattern, path.split('/').filter((s) => s !== ''))).toEqual(want);
  });
});
