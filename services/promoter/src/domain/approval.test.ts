import { describe, expect, it } from 'vitest';
import { approvalRule, describeApprovers, describeRemaining, eligible, refusal, remaining, satisfied, type ApprovalDocument, type ApprovalRule, type Approver } from './approval.js';

const rule = (required: number, groups: string[] = [], roles: ApprovalRule['roles'] = []): ApprovalRule => ({ required, groups, roles });
const person = (key: string, groups: string[] = [], role: Approver['role'] = 'operator'): Approver => ({ key, groups, role });

describe('approvalRule', () => {
  it.each<[string, { given: ApprovalDocument | undefined; want: ApprovalRule | undefined }]>([
    ['absent: no gate', { given: undefined, want: undefined }],
    ['none: no gate', { given: 'none', want: undefined }],
    ['required: one approval by anyone', { given: 'required', want: rule(1) }],
    ['the object form keeps its count, groups and roles', { given: { required: 2, from: { groups: ['sre'], roles: ['admin'] } }, want: rule(2, ['sre'], ['admin']) }],
    ['the object form without from: anyone', { given: { required: 3 }, want: rule(3) }],
  ])('%s', (_, { given, want }) => {
    expect(approvalRule(given)).toEqual(want);
  });
});

describe('eligible', () => {
  it.each<[string, { given: [ApprovalRule, Approver]; want: boolean }]>([
    ['anyone when the rule names no group or role', { given: [rule(1), person('a')], want: true }],
    ['a member of a named group', { given: [rule(1, ['sre', 'platform']), person('a', ['dev', 'platform'])], want: true }],
    ['not someone in no named group', { given: [rule(1, ['sre']), person('a', ['dev'])], want: false }],
    ['a token (no groups) where groups are required', { given: [rule(1, ['sre']), person('token:ci')], want: false }],
    ['a named role', { given: [rule(1, [], ['admin']), person('a', [], 'admin')], want: true }],
    ['not another role', { given: [rule(1, [], ['admin']), person('a', [], 'operator')], want: false }],
    ['either the group or the role when both are named (group)', { given: [rule(1, ['sre'], ['admin']), person('a', ['sre'], 'operator')], want: true }],
    ['either the group or the role when both are named (role)', { given: [rule(1, ['sre'], ['admin']), person('a', [], 'admin')], want: true }],
    ['neither the group nor the role', { given: [rule(1, ['sre'], ['admin']), person('a', ['dev'], 'operator')], want: false }],
  ])('%s', (_, { given, want }) => {
    expect(eligible(...given)).toBe(want);
  });
});

describe('refusal', () => {
  it.each<[string, { given: Parameters<typeof refusal>; want: ReturnType<typeof refusal> }]>([
    ['the requester may never approve', { given: [rule(1), person('token:alice'), 'token:alice', []], want: 'self-approval' }],
    ['the requester is refused before eligibility is asked', { given: [rule(1, ['sre']), person('token:alice', ['sre']), 'token:alice', []], want: 'self-approval' }],
    ['the same identity approves once', { given: [rule(2), person('token:bob'), 'token:alice', ['token:bob']], want: 'already-approved' }],
    ['an ineligible approver', { given: [rule(1, ['sre']), person('token:bob', ['dev']), 'token:alice', []], want: 'not-eligible' }],
    ['another eligible identity may', { given: [rule(2, ['sre']), person('token:carol', ['sre']), 'token:alice', ['token:bob']], want: undefined }],
    ['an open API (no separation of duties) lets the anonymous requester approve', { given: [rule(1), person('token:anonymous'), 'token:anonymous', [], false], want: undefined }],
  ])('%s', (_, { given, want }) => {
    expect(refusal(...given)).toBe(want);
  });
});

describe('remaining and satisfied', () => {
  it.each<[string, { given: [ApprovalRule, string[]]; want: [number, boolean] }]>([
    ['none recorded: all needed', { given: [rule(2), []], want: [2, false] }],
    ['one of two', { given: [rule(2), ['a']], want: [1, false] }],
    ['two distinct of two', { given: [rule(2), ['a', 'b']], want: [0, true] }],
    ['a duplicate key counts once', { given: [rule(2), ['a', 'a']], want: [1, false] }],
    ['more than needed: none left, never negative', { given: [rule(1), ['a', 'b']], want: [0, true] }],
  ])('%s', (_, { given, want }) => {
    expect([remaining(...given), satisfied(...given)]).toEqual(want);
  });
});

describe('describing who may approve', () => {
  it.each<[string, { given: ApprovalRule; want: string }]>([
    ['anyone', { given: rule(1), want: 'anyone but the requester' }],
    ['groups', { given: rule(1, ['sre', 'platform', 'security']), want: 'a member of sre, platform or security (not the requester)' }],
    ['roles', { given: rule(1, [], ['admin']), want: 'an admin (not the requester)' }],
    ['groups or roles', { given: rule(1, ['sre'], ['admin', 'operator']), want: 'a member of sre, or an admin or an operator (not the requester)' }],
  ])('%s', (_, { given, want }) => {
    expect(describeApprovers(given)).toBe(want);
  });

  it('says how many are still needed and from whom, and nothing once satisfied', () => {
    expect(describeRemaining(rule(2, ['sre']), ['a'])).toBe('still needs 1 approval from a member of sre (not the requester)');
    expect(describeRemaining(rule(3), [])).toBe('still needs 3 approvals from anyone but the requester');
    expect(describeRemaining(rule(1), ['a'])).toBe('');
  });
});
