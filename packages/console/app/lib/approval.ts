/**
 * Whether the signed-in caller may approve a promotion, as the API decides it (services/promoter/src/domain/approval.ts):
 * never the requester, once per identity, and only from the policy's groups or roles when it names any. The
 * console only hides the button; the API still refuses whoever it hides it from.
 */
import type { Principal, PromotionDetail } from '@promoter/sdk';

export function mayApprove(principal: Principal, detail: PromotionDetail): boolean {
  const gate = detail.approval;
  if (!gate || gate.remaining === 0) return false;
  const identity = principal.identity;
  // The anonymous caller of an open API is everyone: the API lets it approve.
  if (!identity) return true;
  const requester = detail.actorIdentity?.key ?? `token:${detail.actor}`;
  if (identity.key === requester) return false;
  if (gate.approvals.some((approval) => approval.actorIdentity.key === identity.key)) return false;
  const { groups, roles } = gate.from;
  if (groups.length === 0 && roles.length === 0) return true;
  return groups.some((group) => identity.groups.includes(group)) || roles.includes(principal.role);
}

/** "person · https://idp.example" for a title (hover): what kind of actor and who vouches for it. */
export function actorTitle(identity: { kind: string; issuer?: string; subject: string } | null | undefined): string | undefined {
  if (!identity) return undefined;
  return [identity.kind, identity.subject, identity.issuer].filter((part) => part !== undefined && part !== '').join(' · ');
}
