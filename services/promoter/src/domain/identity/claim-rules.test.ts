import { describe, expect, it } from 'vitest';
import { grantFor, groupsOf, identityName, MAX_GROUPS, ruleMatches, valueMatches, type ClaimRule } from './claim-rules.js';

const rule = (claims: Record<string, string[]>, role: ClaimRule['role'] = 'operator', namespaces?: string[]): ClaimRule => ({ claims, role, namespaces, clusters: undefined });

describe('claim rules', () => {
  it('grants the first rule whose every claim matches, with its role, namespaces and position', () => {
    const rules = [rule({ groups: ['sre'] }, 'admin'), rule({ groups: ['team-mcp'] }, 'operator', ['mcp']), rule({ groups: ['team-mcp', 'sre'] }, 'viewer')];
    expect(grantFor(rules, { groups: ['team-mcp', 'sre'] })).toEqual({ role: 'admin', namespaces: undefined, clusters: undefined, rule: 0 });
    expect(grantFor(rules, { groups: ['team-mcp'] })).toEqual({ role: 'operator', namespaces: ['mcp'], clusters: undefined, rule: 1 });
    expect(grantFor(rules, { groups: ['nobody'] })).toBeUndefined();
    expect(grantFor([], { groups: ['sre'] })).toBeUndefined();
  });

  it('needs every claim of a rule: one missing or different claim is no match', () => {
    const main = rule({ repository: ['org/app'], ref: ['refs/heads/main'] });
    expect(ruleMatches(main, { repository: 'org/app', ref: 'refs/heads/main' })).toBe(true);
    expect(ruleMatches(main, { repository: 'org/app', ref: 'refs/heads/dev' })).toBe(false);
    expect(ruleMatches(main, { repository: 'org/app' })).toBe(false);
    expect(ruleMatches(main, { ref: 'refs/heads/main' })).toBe(false);
  });

  it('never matches a rule without claims', () => {
    expect(ruleMatches(rule({}), { anything: 'x' })).toBe(false);
  });

  it('compares numbers and booleans as text, and never matches objects, null or inherited properties', () => {
    expect(ruleMatches(rule({ run_attempt: ['1'] }), { run_attempt: 1 })).toBe(true);
    expect(ruleMatches(rule({ ref_protected: ['true'] }), { ref_protected: true })).toBe(true);
    expect(ruleMatches(rule({ ref_protected: ['true'] }), { ref_protected: false })).toBe(false);
    expect(ruleMatches(rule({ nested: ['[object Object]'] }), { nested: {} })).toBe(false);
    expect(ruleMatches(rule({ gone: ['null'] }), { gone: null })).toBe(false);
    expect(ruleMatches(rule({ toString: ['x'] }), {})).toBe(false);
    expect(ruleMatches(rule({ constructor: ['function Object() { [native code] }'] }), {})).toBe(false);
  });

  it('matches a list claim when any element matches, and a rule value list when any value matches', () => {
    expect(ruleMatches(rule({ groups: ['b'] }), { groups: ['a', 'b'] })).toBe(true);
    expect(ruleMatches(rule({ groups: ['c', 'a'] }), { groups: ['a'] })).toBe(true);
    expect(ruleMatches(rule({ groups: ['c'] }), { groups: ['a', 'b'] })).toBe(false);
    expect(ruleMatches(rule({ groups: ['c'] }), { groups: [] })).toBe(false);
  });

  it('treats a value ending in * as a prefix, and everything else literally', () => {
    expect(valueMatches('refs/tags/v1.2.1', 'refs/tags/v*')).toBe(true);
    expect(valueMatches('refs/tags/v', 'refs/tags/v*')).toBe(true);
    expect(valueMatches('refs/tags/1.2', 'refs/tags/v*')).toBe(false);
    expect(valueMatches('refs/tags/v1', 'refs/tags/v')).toBe(false);
    expect(valueMatches('orgXapp', 'org.app')).toBe(false);
    expect(valueMatches('org.app', 'org.app')).toBe(true);
    expect(valueMatches('a*b', 'a*b')).toBe(true);
    expect(valueMatches('axb', 'a*b')).toBe(false);
  });

  it('reads groups as a list of strings, a single string as one group, anything else as none', () => {
    expect(groupsOf({ groups: ['a', 1, 'b', null] })).toEqual(['a', 'b']);
    expect(groupsOf({ groups: 'sre' })).toEqual(['sre']);
    expect(groupsOf({ groups: { a: 1 } })).toEqual([]);
    expect(groupsOf({})).toEqual([]);
    expect(groupsOf({ roles: ['x'] }, 'roles')).toEqual(['x']);
  });

  it("bounds a provider's groups (count and length) and shows names with their controls made visible", () => {
    const many = Array.from({ length: 5_000 }, (_, i) => `g${i}`);
    expect(groupsOf({ groups: many })).toHaveLength(MAX_GROUPS);
    expect(groupsOf({ groups: ['ok', 'x'.repeat(201)] })).toEqual(['ok']);
    expect(identityName('  Mallory\u001b[31m\nApproved by: sre  ')).toBe('Mallory Approved by: sre');
    expect(identityName('y'.repeat(500))).toHaveLength(200);
  });
});
