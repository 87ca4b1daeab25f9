/**
 * The manual gate's rules (README.md "Policies", `approval`), pure and apart from storage: what a policy
 * asks for, who may approve, and whether the approvals recorded so far let the promotion proceed.
 *
 * `approval: required` is one approval by anyone but the requester; the object form asks for N distinct
 * approvers, optionally only from given groups (the identity provider's `groups` claim) or roles. When both
 * groups and roles are given, either one qualifies an approver: "an SRE, or any admin".
 */
import type { Role } from '../config.js';

/** The `approval` field of a policy document as written. */
export type ApprovalDocument = 'none' | 'required' | ApprovalRequirementDocument;

export interface ApprovalRequirementDocument {
  /** Distinct approvals needed, 1..10. */
  required: number;
  from?: { groups?: string[]; roles?: Role[] };
}

/** What a promotion's gate needs, normalized. */
export interface ApprovalRule {
  readonly required: number;
  /** Empty: no group restriction. */
  readonly groups: readonly string[];
  /** Empty: no role restriction. */
  readonly roles: readonly Role[];
}

export const MAX_APPROVALS = 10;
/** An approval's reason is kept in the record and shown in messages: long enough for a sentence or two. */
export const MAX_APPROVAL_REASON = 1000;

/** The approver as the rules see them: an identity key (the same key is the same person), groups, role. */
export interface Approver {
  readonly key: string;
  readonly groups: readonly string[];
  readonly role: Role;
}

/** Undefined when the policy asks for no approval. */
export function approvalRule(document: ApprovalDocument | undefined): ApprovalRule | undefined {
  if (document === undefined || document === 'none') return undefined;
  if (document === 'required') return { required: 1, groups: [], roles: [] };
  return { required: document.required, groups: document.from?.groups ?? [], roles: document.from?.roles ?? [] };
}

/** Whether the rule restricts who may approve (beyond "not the requester"). */
export function restricted(rule: ApprovalRule): boolean {
  return rule.groups.length > 0 || rule.roles.length > 0;
}

/** Whether `approver` qualifies by group or role (anyone does when the rule names neither). */
export function eligible(rule: ApprovalRule, approver: Pick<Approver, 'groups' | 'role'>): boolean {
  if (!restricted(rule)) return true;
  return rule.groups.some((group) => approver.groups.includes(group)) || rule.roles.includes(approver.role);
}

/** Why an approver may not approve, or undefined when they may. */
export type Refusal = 'self-approval' | 'not-eligible' | 'already-approved';

/**
 * Decides one approval. `requesterKey` is the identity key of whoever created the promotion; `approvedKeys`
 * those who approved in the current round. `separationOfDuties` false only for an open API, whose single
 * anonymous caller is everyone (nobody is known, so nobody can be told apart from the requester).
 */
export function refusal(
  rule: ApprovalRule,
  approver: Approver,
  requesterKey: string,
  approvedKeys: readonly string[],
  separationOfDuties = true,
): Refusal | undefined {
  if (separationOfDuties && approver.key === requesterKey) return 'self-approval';
  if (approvedKeys.includes(approver.key)) return 'already-approved';
  if (!eligible(rule, approver)) return 'not-eligible';
  return undefined;
}

/** Approvals still needed; the distinct keys count, so a duplicate never counts twice. */
export function remaining(rule: ApprovalRule, approvedKeys: readonly string[]): number {
  return Math.max(0, rule.required - new Set(approvedKeys).size);
}

export function satisfied(rule: ApprovalRule, approvedKeys: readonly string[]): boolean {
  return remaining(rule, approvedKeys) === 0;
}

/** Who may approve, in words: "anyone but the requester", "a member of sre or platform, or an admin". */
export function describeApprovers(rule: ApprovalRule): string {
  const parts: string[] = [];
  if (rule.groups.length > 0) parts.push(`a member of ${orList(rule.groups)}`);
  if (rule.roles.length > 0) parts.push(orList(rule.roles.map((role) => `${role === 'viewer' ? 'a' : 'an'} ${role}`)));
  return parts.length === 0 ? 'anyone but the requester' : `${parts.join(', or ')} (not the requester)`;
}

/** "still needs 2 approvals from a member of sre"; empty when nothing is needed. */
export function describeRemaining(rule: ApprovalRule, approvedKeys: readonly string[]): string {
  const left = remaining(rule, approvedKeys);
  if (left === 0) return '';
  return `still needs ${left} approval${left === 1 ? '' : 's'} from ${describeApprovers(rule)}`;
}

function orList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} or ${items.at(-1)}`;
}
