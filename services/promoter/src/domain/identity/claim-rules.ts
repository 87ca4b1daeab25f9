/**
 * Claim rules: what an identity provider's claims grant. The operator lists rules in order; the first rule
 * whose every claim matches decides the role, the namespaces and the clusters, and no match grants nothing.
 * First match (as in a firewall) rather than a union, because a role and a namespace list cannot be merged
 * without granting more than either rule says: list the most privileged rules first.
 *
 * A rule's claim matches when the token's claim of that name holds one of the rule's values. A token claim
 * that is a list (`groups`) matches when any element does. A rule value ending in `*` matches any text that
 * starts with what comes before it (`refs/tags/*`); nothing else is a pattern, so `.` and `?` are literal.
 * Numbers and booleans are compared as their text (`run_attempt: "1"`). Objects never match.
 *
 * @example
 * ```yaml
 * - claims: { groups: sre }                                        -> admin everywhere
 *   role: admin
 * - claims: { repository: org/zai-proxy, ref: [refs/heads/main, "refs/tags/v*"] }
 *   role: operator
 *   namespaces: [mcp]
 * ```
 */
import type { Role } from '../../config.js';
import { displayText } from '../display-text.js';

/** A provider's claims are outside input: at most this many groups are kept, each at most MAX_CLAIM_TEXT long. */
export const MAX_GROUPS = 200;
export const MAX_CLAIM_TEXT = 200;

export interface ClaimRule {
  /** Claim name -> the values that match (any of them). */
  readonly claims: Readonly<Record<string, readonly string[]>>;
  readonly role: Role;
  /** Undefined: every namespace. */
  readonly namespaces: readonly string[] | undefined;
  /** Undefined: every cluster. */
  readonly clusters: readonly string[] | undefined;
}

export interface Grant {
  readonly role: Role;
  readonly namespaces: readonly string[] | undefined;
  readonly clusters: readonly string[] | undefined;
  /** The position of the rule that matched (0-based), for logs. */
  readonly rule: number;
}

/** The grant of the first rule all of whose claims match, or undefined. */
export function grantFor(rules: readonly ClaimRule[], claims: Readonly<Record<string, unknown>>): Grant | undefined {
  for (const [index, rule] of rules.entries()) {
    if (ruleMatches(rule, claims)) return { role: rule.role, namespaces: rule.namespaces, clusters: rule.clusters, rule: index };
  }
  return undefined;
}

export function ruleMatches(rule: ClaimRule, claims: Readonly<Record<string, unknown>>): boolean {
  const names = Object.keys(rule.claims);
  // A rule without claims would grant to every valid token of the issuer: refused when the file is read, and
  // never matching here as a second guard.
  if (names.length === 0) return false;
  return names.every((name) => claimMatches(Object.hasOwn(claims, name) ? claims[name] : undefined, rule.claims[name] ?? []));
}

function claimMatches(value: unknown, wanted: readonly string[]): boolean {
  if (Array.isArray(value)) return value.some((element) => claimMatches(element, wanted));
  const text = claimText(value);
  return text !== undefined && wanted.some((pattern) => valueMatches(text, pattern));
}

function claimText(value: unknown): string | undefined {
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return undefined;
}

/** `pattern` is literal, or a prefix followed by one `*` at its end. */
export function valueMatches(text: string, pattern: string): boolean {
  return pattern.endsWith('*') ? text.startsWith(pattern.slice(0, -1)) : text === pattern;
}

/** The `groups` claim as a list of strings (a single group may come as a string); other shapes give none. */
export function groupsOf(claims: Readonly<Record<string, unknown>>, claim = 'groups'): string[] {
  const value = Object.hasOwn(claims, claim) ? claims[claim] : undefined;
  const groups = typeof value === 'string' ? [value] : Array.isArray(value) ? value.filter((group): group is string => typeof group === 'string') : [];
  // A longer name is no group a rule could name (rule values are bounded the same way); it is dropped, not cut.
  return groups.filter((group) => group.length <= MAX_CLAIM_TEXT).slice(0, MAX_GROUPS);
}

/** A claim shown as a name (the audit trail, the console, logs): controls made visible, bounded. */
export function identityName(text: string): string {
  return displayText(text).trim().slice(0, MAX_CLAIM_TEXT);
}
