/**
 * The words of a promotion's pull requests: the title after the runbook's commit subject, and a description
 * that carries the gate's evidence (each `pre` check with its measurement), the policy and a link back, so
 * the reviewer sees why the change is proposed without leaving the forge. Pure, no I/O. Everything put in
 * a Markdown table cell is one line with `|` escaped, so a check's text cannot break the table or inject
 * markup beyond plain text.
 */
import { promoteSubject } from './commit-message.js';

export interface PromotionPullRequestInit {
  readonly promotionId: string;
  readonly file: string;
  readonly previousImage: string;
  readonly newImage: string;
  readonly policy: { readonly name: string; readonly version: number };
  readonly evidence: readonly { readonly check: string; readonly result: string; readonly message: string }[];
  /** The promotion's page in the console, when the service knows its public URL. */
  readonly promotionUrl?: string;
  readonly merge: 'auto' | 'manual';
}

export interface PullRequestText {
  readonly title: string;
  readonly body: string;
}

export function promotionPullRequest(init: PromotionPullRequestInit): PullRequestText {
  const rows = init.evidence.map((e) => `| ${cell(e.check)} | ${cell(e.result)} | ${cell(e.message)} |`);
  const evidence =
    rows.length > 0
      ? ['| Check | Result | Measurement |', '| --- | --- | --- |', ...rows].join('\n')
      : '_The policy has no `pre` checks: nothing was measured before this change._';
  const merge =
    init.merge === 'auto'
      ? 'promoter merges this pull request itself as soon as the repository allows it (required checks and reviews).'
      : 'Merge it to deploy the image; promoter waits for the merge.';
  return {
    title: promoteSubject(init.newImage),
    body: [
      `Promotes \`${code(init.previousImage)}\` → \`${code(init.newImage)}\` in \`${code(init.file)}\`.`,
      '',
      `### Gate evidence (policy \`${code(init.policy.name)}\` v${init.policy.version})`,
      '',
      evidence,
      '',
      `${merge} After the merge promoter follows the rollout, verifies it, and rolls back through a revert pull request if a check fails.`,
      '',
      init.promotionUrl ? `Promotion: [${init.promotionId}](${init.promotionUrl})` : `Promotion: \`${init.promotionId}\``,
    ].join('\n'),
  };
}

export interface RevertPullRequestInit {
  readonly promotionId: string;
  readonly file: string;
  readonly promotedImage: string;
  readonly previousImage: string;
  /** The pull request being reverted. */
  readonly reverts: { readonly number: number; readonly url: string } | undefined;
  readonly reason: string;
  readonly promotionUrl?: string;
}

export function revertPullRequest(init: RevertPullRequestInit): PullRequestText {
  return {
    title: `Revert "${promoteSubject(init.promotedImage)}"`,
    body: [
      `Rolls \`${code(init.file)}\` back from \`${code(init.promotedImage)}\` to \`${code(init.previousImage)}\`${init.reverts ? ` (reverts #${init.reverts.number})` : ''}.`,
      '',
      `Why: ${line(init.reason)}`,
      '',
      init.promotionUrl ? `Promotion: [${init.promotionId}](${init.promotionUrl})` : `Promotion: \`${init.promotionId}\``,
    ].join('\n'),
  };
}

/** One line, no control characters, at most 300 characters. */
function line(text: string): string {
  const flat = text.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return flat.length > 300 ? `${flat.slice(0, 299)}…` : flat;
}

function cell(text: string): string {
  return line(text).replace(/\|/g, '\\|');
}

/** Inside backticks: a backtick would end the code span. */
function code(text: string): string {
  return line(text).replace(/`/g, "'");
}
