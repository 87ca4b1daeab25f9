/**
 * A Git delivery as rows of the facts list: the repository and file, the Argo CD Application it follows,
 * and its pull requests (the promotion's own and its revert's): number, where each stands and what it waits
 * for, linked to the forge. The link comes from the forge's answer, so it is only a link when it is an
 * http(s) URL; anything else is shown as text.
 */
import { Fragment } from 'preact';
import { proposalNoun, proposalReference, type PromotionDetail, type PullRequest } from '@promoter/sdk';

export function DeliveryFacts(props: { detail: PromotionDetail }) {
  const delivery = props.detail.delivery;
  if (delivery?.via !== 'git') return null;
  const rows: [string, PullRequest][] = [];
  if (delivery.pullRequest) rows.push([capitalized(proposalNoun(delivery.pullRequest)), delivery.pullRequest]);
  if (delivery.revertPullRequest) rows.push([`Revert ${proposalNoun(delivery.revertPullRequest)}`, delivery.revertPullRequest]);
  return (
    <>
      <dt>Git</dt>
      <dd class="git-delivery">
        {delivery.repository} {delivery.file}
        {delivery.commit ? ` @ ${delivery.commit.slice(0, 12)}` : ''}
      </dd>
      {delivery.argocd && (
        <>
          <dt>Argo CD</dt>
          <dd>
            {delivery.argocd.namespace}/{delivery.argocd.application}
          </dd>
        </>
      )}
      {rows.map(([label, pr]) => (
        <Fragment key={label}>
          <dt>{label}</dt>
          <dd data-pull-request={pr.state}>
            {safeLink(pr.url) ? <a href={pr.url}>{proposalReference(pr)}</a> : proposalReference(pr)} {standing(pr)}
          </dd>
        </Fragment>
      ))}
    </>
  );
}

function capitalized(text: string): string {
  return `${text.charAt(0).toUpperCase()}${text.slice(1)}`;
}

function standing(pr: PullRequest): string {
  if (pr.state === 'merged') return `merged${pr.mergedBy ? ` by ${pr.mergedBy}` : ''}`;
  if (pr.state === 'closed') return `closed${pr.closedBy ? ` by ${pr.closedBy}` : ''}`;
  return pr.blockedBy ? `open: ${pr.blockedBy}` : 'open';
}

function safeLink(url: string): boolean {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'https:' || parsed.protocol === 'http:';
  } catch {
    return false;
  }
}
