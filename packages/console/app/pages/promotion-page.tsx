/**
 * One promotion: what it is doing now (state, rollout progress, bake remaining), each check's measurements
 * on a chart with its bound, the rendered PromQL, the timeline, and the actions the state and the token's
 * role allow. Live: the SDK follows the event stream (SSE) and every event re-reads the record; the record is
 * also re-read every two seconds while the promotion is active, for measurements between events.
 */
import { useEffect } from 'preact/hooks';
import { isTerminalState, type CheckResult, type PromotionDetail, type PromotionEvent } from '@promoter/sdk';
import { ActionButton, type Action } from '../components/action-dialog.js';
import { CheckPanel } from '../components/check-panel.js';
import { ImageChange } from '../components/image-change.js';
import { DeliveryFacts } from '../components/delivery-facts.js';
import { StateBadge } from '../components/state-badge.js';
import { FreezeBanner } from '../components/freeze-banner.js';
import { clusterName, duration, parseDuration, time } from '../lib/format.js';
import { useLive } from '../lib/live.js';
import { reasonTone } from '../lib/tone.js';
import { may, type Session } from '../lib/session.js';
import { mayApprove } from '../lib/approval.js';
import { Actor } from '../components/actor.js';
import { ErrorLine } from '../components/error-line.js';

const ACTIONS: Record<Action, readonly string[]> = {
  approve: ['awaiting_approval'],
  abort: ['pending', 'analyzing', 'awaiting_approval', 'frozen', 'promoting', 'awaiting_merge', 'verifying'],
  rollback: ['succeeded'],
  // An admin lets a promotion held by a freeze proceed (the reason is recorded).
  override: ['frozen'],
};
/** The role each action needs beyond `operator`. */
const ADMIN_ACTIONS: readonly Action[] = ['override'];

export function PromotionPage(props: { session: Session; id: string }) {
  const { client, principal } = props.session;
  const live = useLive((signal) => client.promotions.get(props.id, { signal }), [props.id], 2_000, (detail) => isTerminalState(detail.state));
  const detail = live.data;
  const active = detail !== undefined && !isTerminalState(detail.state);

  // Every event of the live stream re-reads the record at once.
  useEffect(() => {
    if (!active) return;
    const controller = new AbortController();
    void (async () => {
      try {
        for await (const _event of client.promotions.follow(props.id, { signal: controller.signal, after: lastEventId(detail) })) live.refresh();
      } catch {
        // Stopped, or the stream failed: the two-second refresh carries on.
      }
    })();
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps -- one stream per promotion while it is active
  }, [props.id, active]);

  if (!detail) {
    return live.error ? (
      <p class="error" role="alert">
        {live.error}
      </p>
    ) : (
      <p class="muted">Loading…</p>
    );
  }
  const canAct = may(principal, 'operator', detail.target.namespace, detail.target.cluster);
  const isAdmin = may(principal, 'admin', detail.target.namespace, detail.target.cluster);
  const cluster = clusterName(detail.target);
  const actions = (Object.keys(ACTIONS) as Action[]).filter(
    (action) => ACTIONS[action].includes(detail.state) && (isAdmin || !ADMIN_ACTIONS.includes(action)) && (action !== 'approve' || mayApprove(principal, detail)),
  );
  const act = async (action: Action, reason: string) => {
    if (action === 'override') await client.freezes.override(detail.id, reason);
    else await client.promotions[action](detail.id, { reason });
    live.refresh();
  };

  return (
    <article aria-labelledby="promotion-title" data-promotion={detail.id}>
      <h1 id="promotion-title">
        {cluster && <span class="tag cluster">{cluster}</span>}
        {detail.target.namespace}/{detail.target.deployment} <StateBadge state={detail.state} />
      </h1>
      {!isTerminalState(detail.state) && <FreezeBanner client={client} namespace={detail.target.namespace} />}
      {detail.stateReason && (
        <p class={`reason state-reason tone-${reasonTone(detail.state)}`} data-tone={reasonTone(detail.state)}>
          {detail.stateReason}
        </p>
      )}
      <dl class="facts">
        <dt>Images</dt>
        <dd class="images">
          <ImageChange promotion={detail} />
        </dd>
        <dt>Container</dt>
        <dd>{detail.target.container}</dd>
        <dt>Policy</dt>
        <dd>
          <a href={`/ui/policies/${detail.policy.name}?version=${detail.policy.version}`}>
            {detail.policy.name} v{detail.policy.version}
          </a>
        </dd>
        <dt>Started by</dt>
        <dd data-volatile>
          <Actor name={detail.actor} identity={detail.actorIdentity} /> at {time(detail.createdAt)}
          {detail.reason ? ` — ${detail.reason}` : ''}
        </dd>
        <dt>Duration</dt>
        <dd data-volatile>{duration((detail.finishedAt ? Date.parse(detail.finishedAt) : Date.now()) - Date.parse(detail.createdAt))}</dd>
        {detail.hold && (
          <>
            <dt>Frozen</dt>
            <dd data-hold={detail.hold.freeze}>
              by {detail.hold.freeze} until <time dateTime={detail.hold.until}>{time(detail.hold.until)}</time> ({detail.hold.reason}); the gate runs again when it ends
            </dd>
          </>
        )}
        {detail.freezeOverride && (
          <>
            <dt>Freeze override</dt>
            <dd>
              by <Actor name={detail.freezeOverride.by} identity={detail.freezeOverride.byIdentity} />: {detail.freezeOverride.reason}
            </dd>
          </>
        )}
        <ApprovalFacts detail={detail} />
        <DeliveryFacts detail={detail} />
        <Progress detail={detail} />
      </dl>
      <ErrorLine message={live.error} />
      {canAct && actions.length > 0 && (
        <div class="actions" role="group" aria-label="Actions">
          {actions.map((action) => (
            <ActionButton action={action} onConfirm={(reason) => act(action, reason)} />
          ))}
        </div>
      )}
      <h2>Checks</h2>
      <Checks detail={detail} />
      <h2>Timeline</h2>
      <Timeline events={detail.events} />
    </article>
  );
}

/** The manual gate: who approved when and why, and how many approvals are still needed from whom. */
function ApprovalFacts(props: { detail: PromotionDetail }) {
  const gate = props.detail.approval;
  if (!gate) return null;
  return (
    <>
      <dt>Approval</dt>
      <dd data-approval data-remaining={gate.remaining}>
        {gate.approvals.length > 0 && (
          <ul class="approvals">
            {gate.approvals.map((approval) => (
              <li data-approver={approval.actorIdentity.key}>
                approved by <Actor name={approval.actor} identity={approval.actorIdentity} /> at <time dateTime={approval.at}>{time(approval.at)}</time>: {approval.reason}
              </li>
            ))}
          </ul>
        )}
        {gate.remaining > 0 ? (
          <span data-still-needs>
            still needs {gate.remaining} approval{gate.remaining === 1 ? '' : 's'} from {gate.approvers}
          </span>
        ) : (
          <span>{gate.required === 1 ? 'approved' : `approved by ${gate.required} people`}</span>
        )}
      </dd>
    </>
  );
}

function lastEventId(detail: PromotionDetail | undefined): number {
  return detail?.events.reduce((max, e) => Math.max(max, e.id), 0) ?? 0;
}

/** Rollout progress while promoting (from the engine's rollout/patch events) and the bake remaining. */
function Progress(props: { detail: PromotionDetail }) {
  const { detail } = props;
  const rollout = [...detail.events].reverse().find((e) => e.type === 'rollout' || e.type === 'patch');
  const replicas = rollout?.data as { updatedReplicas?: number; availableReplicas?: number; replicas?: number } | null | undefined;
  const bakeMs = parseDuration(detail.policySnapshot.bake) ?? 0;
  const verifying = [...detail.events].reverse().find((e) => e.type === 'transition' && e.to === 'verifying');
  const remaining = verifying ? bakeMs - (Date.now() - Date.parse(verifying.at)) : undefined;
  return (
    <>
      {detail.state === 'promoting' && rollout && (
        <>
          <dt>Rollout</dt>
          <dd data-rollout>
            {rollout.reason}
            {typeof replicas?.replicas === 'number' && (
              <>
                {' '}
                <progress max={replicas.replicas} value={replicas.availableReplicas ?? 0} aria-label="available replicas" /> {replicas.updatedReplicas ?? 0} updated, {replicas.availableReplicas ?? 0} available of{' '}
                {replicas.replicas}
              </>
            )}
          </dd>
        </>
      )}
      {detail.state === 'verifying' && remaining !== undefined && (
        <>
          <dt>Bake</dt>
          <dd data-bake>
            {duration(Math.max(0, remaining))} remaining of {detail.policySnapshot.bake}
          </dd>
        </>
      )}
    </>
  );
}

function Checks(props: { detail: PromotionDetail }) {
  const byCheck = new Map<string, CheckResult[]>();
  for (const result of props.detail.checkResults) {
    const list = byCheck.get(result.check) ?? [];
    list.push(result);
    byCheck.set(result.check, list);
  }
  if (byCheck.size === 0) return <p class="muted">No measurements yet.</p>;
  return (
    <div class="checks">
      {[...byCheck].map(([name, results]) => {
        const definition = props.detail.policySnapshot.checks.find((c) => c.name === name);
        return <CheckPanel key={name} id={name} name={name} check={definition} results={results} />;
      })}
    </div>
  );
}

function Timeline(props: { events: readonly PromotionEvent[] }) {
  return (
    <ol class="timeline">
      {props.events.map((event) => (
        <li data-event={event.type}>
          <time dateTime={event.at}>{time(event.at)}</time> <Actor name={event.actor} identity={event.actorIdentity} />{' '}
          {event.to ? (
            <strong>
              {event.from ? `${event.from} → ` : ''}
              {event.to}
            </strong>
          ) : (
            <em>{event.type}</em>
          )}
          {event.reason ? `: ${event.reason}` : ''}
        </li>
      ))}
    </ol>
  );
}
