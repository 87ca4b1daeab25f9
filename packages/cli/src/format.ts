/** Text renderings of promotions, events, check results and policies, for humans. */
import { isTerminalState, proposalReference, type BlockedImage, type CheckResult, type Evaluation, type Freeze, type NotificationDelivery, type PolicyVersion, type Promotion, type PromotionDetail, type PromotionEvent, type PromotionHold, type PromotionState, type PullRequest } from '@promoter/sdk';
import { visibleLength, type Styles } from './output.js';

export function stateStyle(styles: Styles, state: PromotionState | string): string {
  switch (state) {
    case 'succeeded':
      return styles.green(state);
    case 'rejected':
    case 'rolled_back':
    case 'failed':
    case 'aborted':
      return styles.red(state);
    case 'awaiting_approval':
    case 'frozen':
    case 'awaiting_merge':
    case 'rolling_back':
      return styles.yellow(state);
    default:
      return styles.cyan(state);
  }
}

export function outcomeMark(styles: Styles, outcome: string): string {
  switch (outcome) {
    case 'pass':
      return styles.green('✓');
    case 'fail':
      return styles.red('✗');
    case 'inconclusive':
      return styles.yellow('?');
    default:
      return styles.red('!');
  }
}

/** The cluster `default` is the one cluster of a service that names none: it is not worth a word. */
const UNNAMED_CLUSTER = 'default';

/** Whether a promotion's cluster is worth showing: the service names its clusters. */
function namedCluster(promotion: Pick<Promotion, 'target'>): string | undefined {
  const cluster = promotion.target.cluster;
  return cluster === undefined || cluster === UNNAMED_CLUSTER ? undefined : cluster;
}

export function targetText(promotion: Pick<Promotion, 'target'>): string {
  const { namespace, deployment, container } = promotion.target;
  const cluster = namedCluster(promotion);
  return `${namespace}/${deployment} (container ${container})${cluster === undefined ? '' : ` in cluster ${cluster}`}`;
}

export function imageText(promotion: Promotion): string {
  if (promotion.resolvedImage) return promotion.resolvedImage;
  if (promotion.image) return promotion.image;
  if (promotion.source) {
    const strip = promotion.source.tagSuffixToStrip ? `, tag suffix ${promotion.source.tagSuffixToStrip} stripped` : '';
    return `the image of ${promotion.source.deployment}${strip}`;
  }
  return '-';
}

export function clock(iso: string): string {
  return iso.slice(11, 19);
}

/** One line per event: `12:00:03  pending -> analyzing  running the 3 pre-promotion checks`. */
export function eventLine(styles: Styles, event: PromotionEvent): string {
  const what = event.to ? `${event.from ?? event.type} -> ${stateStyle(styles, event.to)}` : styles.dim(event.type);
  const reason = event.reason ? `  ${event.reason}` : '';
  return `${styles.dim(clock(event.at))}  ${what}${reason}${event.actor !== 'engine' ? styles.dim(`  (${actorText(event.actor, event.actorIdentity)})`) : ''}`;
}

type ActorIdentity = NonNullable<PromotionEvent['actorIdentity']>;

/** Who did it: a token by its name; a person or workload with its kind and issuer (`alice, person of https://idp.example`). */
export function actorText(name: string, identity: ActorIdentity | null | undefined): string {
  if (!identity || identity.kind === 'token') return name;
  return `${name}, ${identity.kind}${identity.issuer ? ` of ${identity.issuer}` : ''}`;
}

/** A count with its noun in the right number: `1 check`, `3 checks`. */
export function counted(count: number, noun: string, plural = `${noun}s`): string {
  return `${count} ${count === 1 ? noun : plural}`;
}

/** One line per notification delivery: `✓ delivered  ops-hook  succeeded  1 attempt  HTTP 200`. */
export function deliveryLine(styles: Styles, delivery: NotificationDelivery): string {
  const status =
    delivery.status === 'delivered' ? styles.green('✓ delivered') : delivery.status === 'dead' ? styles.red('✗ dead     ') : styles.yellow('… pending  ');
  const attempts = counted(delivery.attempts, 'attempt');
  const code = delivery.lastStatusCode === null ? '' : `  HTTP ${delivery.lastStatusCode}`;
  const error = delivery.lastError && delivery.status !== 'delivered' ? styles.dim(`  ${delivery.lastError}`) : '';
  return `${status}  ${delivery.sink}  ${delivery.event}  ${attempts}${code}${error}  ${styles.dim(delivery.id)}`;
}

/** One line per measurement: `✓ canary-error-rate [pre #2] 0.0123 (max 0.05)`. */
export function checkLine(styles: Styles, result: CheckResult): string {
  const value = result.value === null || result.value === undefined ? noValue(result) : formatNumber(result.value);
  const baseline = result.baselineValue === null || result.baselineValue === undefined ? '' : ` vs baseline ${formatNumber(result.baselineValue)}`;
  const bound = result.bound ? ` (${result.bound})` : '';
  return `${outcomeMark(styles, result.result)} ${result.check} ${styles.dim(`[${result.phase} #${result.sample}]`)} ${value}${baseline}${bound}`;
}

/** Why a measurement has no value: the service's message says (e.g. Prometheus not configured). */
function noValue(result: CheckResult): string {
  const message = withoutCheckName(result.message, result.check);
  const label = result.result === 'error' ? 'error' : 'no data';
  return message ? `${label}: ${message}` : label;
}

/** The service's messages start with the check's name, which the line shows already. */
function withoutCheckName(message: string, check: string): string {
  return message.startsWith(`${check}: `) ? message.slice(check.length + 2) : message;
}

export function formatNumber(value: number): string {
  if (Number.isInteger(value)) return String(value);
  const abs = Math.abs(value);
  return abs !== 0 && (abs < 0.001 || abs >= 1e6) ? value.toExponential(3) : String(Number(value.toPrecision(4)));
}

/** The latest measurement of each check and phase, in first-seen order. */
export function latestChecks(results: readonly CheckResult[]): CheckResult[] {
  const latest = new Map<string, CheckResult>();
  for (const result of results) latest.set(`${result.phase}/${result.check}`, result);
  return [...latest.values()];
}

export function promotionSummary(styles: Styles, promotion: PromotionDetail | Promotion): string[] {
  const lines = [
    `${styles.bold('Promotion')} ${promotion.id}${promotion.dryRun ? styles.yellow(' (dry run)') : ''}`,
    `  state     ${stateStyle(styles, promotion.state)}${promotion.stateReason ? `: ${promotion.stateReason}` : ''}`,
    `  target    ${targetText(promotion)}`,
    `  image     ${imageText(promotion)}`,
  ];
  if (promotion.previousImage) lines.push(`  replaces  ${promotion.previousImage}`);
  if (promotion.hold) lines.push(`  ${styles.yellow('frozen')}    ${holdLine(promotion.hold)}`);
  if (promotion.freezeOverride) lines.push(`  override  freezes overridden by ${actorText(promotion.freezeOverride.by, promotion.freezeOverride.byIdentity)}: ${promotion.freezeOverride.reason}`);
  lines.push(`  policy    ${promotion.policy.name} v${promotion.policy.version}${promotion.verdict ? `, gate verdict ${promotion.verdict}` : ''}`);
  lines.push(`  started   ${promotion.createdAt} by ${actorText(promotion.actor, promotion.actorIdentity)}${promotion.finishedAt ? `, finished ${promotion.finishedAt}` : ''}`);
  if (promotion.reason) lines.push(`  reason    ${promotion.reason}`);
  lines.push(...gitLines(styles, promotion));
  if ('approval' in promotion && promotion.approval) lines.push(...approvalLines(styles, promotion.approval));
  if ('checkResults' in promotion) {
    const checks = latestChecks(promotion.checkResults);
    if (checks.length > 0) {
      lines.push('', styles.bold('Checks (latest measurement)'));
      for (const result of checks) lines.push(`  ${checkLine(styles, result)}`);
    }
    if (promotion.events.length > 0) {
      lines.push('', styles.bold('Events'));
      for (const event of promotion.events) lines.push(`  ${eventLine(styles, event)}`);
    }
  }
  return lines;
}

/** Who approved when and why, and what the gate still needs. */
function approvalLines(styles: Styles, gate: NonNullable<PromotionDetail['approval']>): string[] {
  const lines = gate.approvals.map((a) => `  approved  ${a.at} by ${actorText(a.actor, a.actorIdentity)}: ${a.reason}`);
  if (gate.remaining > 0) lines.push(`  approval  ${styles.yellow(`still needs ${gate.remaining} of ${gate.required}`)} from ${gate.approvers}`);
  return lines;
}

/** `frozen by weekend until 2026-12-07T07:00:00.000Z (weekend freeze)`. */
export function holdLine(hold: PromotionHold): string {
  return `frozen by ${hold.freeze} until ${hold.until} (${hold.reason})`;
}

/** One line per freeze: name, whether it holds now and until when, its window, scope and reason. */
export function freezeRows(styles: Styles, freezes: readonly Freeze[]): string[] {
  return freezes.map((freeze) => {
    const weekly = freeze.window.weekly;
    const window = weekly ? `weekly ${weekly.days.join(',')} ${weekly.from}-${weekly.to} ${weekly.timeZone}` : `${freeze.window.start ?? '?'} - ${freeze.window.end ?? '?'}`;
    const { namespaces, clusters, pipelines } = freeze.scope;
    const scope = [namespaces && `namespaces ${namespaces.join(',')}`, clusters && `clusters ${clusters.join(',')}`, pipelines && `pipelines ${pipelines.join(',')}`].filter(Boolean).join('; ') || 'everywhere';
    const state = freeze.active ? styles.yellow(`holding until ${freeze.until ?? '(no end)'}`) : styles.dim('not holding');
    return `${styles.bold(freeze.name)} v${freeze.version}  ${state}  ${window}  ${scope}  ${freeze.reason}  ${styles.dim(`(by ${actorText(freeze.updatedBy, freeze.updatedByIdentity)})`)}`;
  });
}

/** `#12 merged by alice: https://…` (`!12` on GitLab) — where a pull request stands, and the page to open. */
function pullRequestText(pr: PullRequest): string {
  const who = pr.state === 'merged' && pr.mergedBy ? ` by ${pr.mergedBy}` : pr.state === 'closed' && pr.closedBy ? ` by ${pr.closedBy}` : '';
  const waiting = pr.state === 'open' && pr.blockedBy ? ` (${pr.blockedBy})` : '';
  return `${proposalReference(pr)} ${pr.state}${who}${waiting}: ${pr.url}`;
}

/**
 * What a Git delivery and the release left in Git: the repository and file, the promotion's commit, the
 * rollback's commit, and the release's tag, commit and version file, or why the release failed. Full
 * commit ids, so they can be copied into `git show`.
 */
export function gitLines(styles: Styles, promotion: PromotionDetail | Promotion): string[] {
  const lines: string[] = [];
  const delivery = promotion.delivery;
  if (delivery?.via === 'git') {
    lines.push(`  git       ${delivery.repository ?? '?'}${delivery.branch ? `@${delivery.branch}` : ''} ${delivery.file ?? ''}`.trimEnd());
    if (delivery.commit) lines.push(`  commit    ${delivery.commit}`);
    if (delivery.pullRequest) lines.push(`  ${delivery.pullRequest.forge === 'gitlab' ? 'merge req' : 'pull req '} ${pullRequestText(delivery.pullRequest)}`);
    if (delivery.revertCommit) lines.push(`  reverted  ${delivery.revertCommit} (${delivery.revertMethod === 'restore' ? 'a commit restoring the previous image' : 'git revert'})`);
    if (delivery.revertPullRequest) lines.push(`  revert ${delivery.revertPullRequest.forge === 'gitlab' ? 'MR' : 'PR'} ${pullRequestText(delivery.revertPullRequest)}`);
  }
  const release = promotion.release;
  if (release) {
    const where = `in ${release.repository}`;
    if (release.state === 'done') {
      const versionFile = 'policySnapshot' in promotion ? (promotion.policySnapshot.afterSuccess?.release?.versionFile ?? 'VERSION') : 'VERSION';
      lines.push(`  release   tag ${styles.bold(release.tag ?? '?')} ${where}, commit ${release.commit ?? '?'} (${versionFile} ${release.version ?? '?'})`);
    } else if (release.state === 'failed') {
      lines.push(`  release   ${styles.red('failed')} ${where}: ${release.reason ?? 'no reason recorded'}`);
      lines.push(`            retry: promoter finalize ${promotion.id}`);
    } else if (promotion.state === 'succeeded' || !isTerminalState(promotion.state)) {
      lines.push(`  release   ${styles.yellow('pending')} ${where}${promotion.state === 'succeeded' ? '' : ', after success'}`);
    } else {
      // `skipped`, or a record written before that state existed: a promotion that ended otherwise is never released.
      lines.push(`  release   none ${where}: ${release.state === 'skipped' && release.reason ? release.reason : 'the promotion did not succeed'}`);
    }
  }
  return lines;
}

/** Columns padded to their widest cell (colour codes excluded from the width). */
export function table(rows: readonly (readonly string[])[]): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, visibleLength(cell))));
  return rows.map((row) =>
    row
      .map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat((widths[i] ?? 0) - visibleLength(cell))))
      .join('  ')
      .trimEnd(),
  );
}

/** A CLUSTER column appears when the service names its clusters (a promotion's cluster is not `default`). */
export function promotionRows(styles: Styles, promotions: readonly Promotion[]): string[] {
  const clusters = promotions.some((p) => namedCluster(p) !== undefined);
  return table([
    ['ID', 'STATE', ...(clusters ? ['CLUSTER'] : []), 'TARGET', 'IMAGE', 'CREATED'].map((title) => styles.bold(title)),
    ...promotions.map((p) => [p.id, stateStyle(styles, p.state), ...(clusters ? [p.target.cluster ?? UNNAMED_CLUSTER] : []), `${p.target.namespace}/${p.target.deployment}`, imageText(p), p.createdAt]),
  ]);
}

export function policyRows(styles: Styles, policies: readonly PolicyVersion[]): string[] {
  return table([
    ['NAME', 'VERSION', 'CHECKS', 'SOURCE', 'CREATED'].map((title) => styles.bold(title)),
    ...policies.map((p) => [p.name, String(p.version), String(p.document.checks.length), p.source, `${p.createdAt} by ${p.createdBy}`]),
  ]);
}

export function blockRows(styles: Styles, blocks: readonly BlockedImage[]): string[] {
  return table([
    ['ID', 'IMAGE', 'SCOPE', 'STATE', 'REASON', 'BY', 'AT', 'SOURCE'].map((title) => styles.bold(title)),
    ...blocks.map((b) => [
      b.id,
      b.normalizedImage,
      b.namespace ?? '(all)',
      b.state === 'lifted' ? `lifted by ${b.liftedBy === null ? '?' : actorText(b.liftedBy, b.liftedByIdentity)} at ${b.liftedAt ?? '?'}: ${b.liftReason ?? ''}` : 'active',
      b.reason,
      actorText(b.createdBy, b.createdByIdentity),
      b.createdAt,
      b.promotionId ? `rollback of ${b.promotionId}` : 'manual',
    ]),
  ]);
}

export function evaluationLines(styles: Styles, evaluation: Evaluation): string[] {
  const lines = [
    `${styles.bold('Evaluation')} ${evaluation.id}: ${outcomeMark(styles, evaluation.verdict)} ${evaluation.verdict}${evaluation.reason ? ` (${evaluation.reason})` : ''}`,
    `  target  ${targetText(evaluation)}, phase ${evaluation.phase}, policy ${evaluation.policy.name ?? '(inline)'}${evaluation.policy.version ? ` v${evaluation.policy.version}` : ''}`,
  ];
  for (const check of evaluation.checks) {
    lines.push(`  ${outcomeMark(styles, check.verdict)} ${check.name} ${styles.dim(`(${check.kind})`)}${check.reason ? `: ${check.reason}` : ''}`);
    // Errors come grouped (a backtest where Prometheus failed throughout repeats one message per interval).
    const grouped = check.errors !== undefined;
    for (const measurement of check.measurements) if (!grouped || measurement.result !== 'error') lines.push(`      ${checkLine(styles, measurement)}`);
    for (const group of check.errors ?? []) {
      const message = withoutCheckName(group.message, check.name);
      const when = group.count === 1 ? group.first : `${group.first} to ${group.last}`;
      lines.push(`      ${outcomeMark(styles, 'error')} ${counted(group.count, 'error')}: ${message} ${styles.dim(`(${when})`)}`);
    }
  }
  return lines;
}
