/**
 * Which notifications a step's outcome causes, as outbox rows: one per (event, sink) whose event list
 * and filters match. Pure: the stores write the rows in the same statement or transaction as the state
 * change itself. The payload is what happened as it was then; each sink's body is rendered from it.
 */
import { randomUUID } from 'node:crypto';
import type { NumberedMeasurement } from '../domain/judge/index.js';
import type { Transition } from '../domain/promotion-state-machine.js';
import type { Promotion } from '../domain/promotion.js';
import { approvalRule, describeApprovers } from '../domain/approval.js';
import { NOTIFIED_STATES, type NotificationEventType, type NotifiedState, type Sink } from './sinks-config.js';

export interface NotificationCheck {
  readonly name: string;
  readonly phase: string;
  readonly result: string;
  readonly value: number | null;
  readonly bound: string | null;
  readonly message: string;
}

export interface NotificationPayload {
  /** Stable across attempts and sinks: receivers de-duplicate on it. */
  readonly id: string;
  readonly type: NotificationEventType;
  readonly occurredAt: string;
  readonly promotion: {
    readonly id: string;
    readonly namespace: string;
    readonly deployment: string;
    readonly container: string;
    /** The image this promotion sets (or asks for, before it is resolved). */
    readonly image: string | null;
    readonly previousImage: string | null;
    readonly state: string;
    readonly reason: string;
    readonly dryRun: boolean;
    readonly policy: string;
    /** PROMOTER_PUBLIC_URL + the promotion's path; null when no public URL is configured. */
    readonly url: string | null;
    /** Who asked for the promotion (its actor's display name). Absent in payloads stored before it was added. */
    readonly requestedBy?: string;
  };
  /** Who caused the change when a person, workload or token did (an abort through the API); absent when the engine did. */
  readonly actedBy?: string;
  /** On `awaiting_approval`: how many approvals the gate needs and who may give them. */
  readonly approval?: { readonly required: number; readonly approvers: string } | null;
  /** The deciding (or failed) check, with its value and bound, when a check caused the event. */
  readonly check: NotificationCheck | null;
}

export interface OutboxRow {
  readonly event_id: string;
  readonly event_type: NotificationEventType;
  readonly sink: string;
  readonly payload: NotificationPayload;
}

/** What the stores need: rows for a state change (and the step's measurements) of a promotion. */
export interface NotificationPlanner {
  /** `actedBy`: the display name of who caused the change, when not the engine. */
  plan(promotion: Promotion, change: Transition | undefined, measurements: readonly NumberedMeasurement[], at: Date, actedBy?: string): OutboxRow[];
}

export function promotionUrl(publicUrl: string | undefined, id: string): string | null {
  return publicUrl === undefined ? null : `${publicUrl.replace(/\/+$/, '')}/v1/promotions/${id}`;
}

export function notificationPlanner(sinks: readonly Sink[], publicUrl: string | undefined, newId: () => string = () => `evt_${randomUUID()}`): NotificationPlanner {
  return {
    plan(promotion, change, measurements, at, actedBy) {
      const wanted = sinks.filter(
        (sink) =>
          (sink.namespaces === undefined || sink.namespaces.has(promotion.target.namespace)) &&
          (sink.deployments === undefined || sink.deployments.has(promotion.target.deployment)),
      );
      if (wanted.length === 0) return [];
      const failed = measurements.map((m) => m.measurement).filter((m) => m.result === 'fail' || m.result === 'error');
      const events: NotificationPayload[] = [];
      const base = (type: NotificationEventType, state: string, reason: string, check: NotificationCheck | null): NotificationPayload => ({
        id: newId(),
        type,
        occurredAt: at.toISOString(),
        promotion: {
          id: promotion.id,
          namespace: promotion.target.namespace,
          deployment: promotion.target.deployment,
          container: promotion.target.container,
          image: promotion.resolvedImage ?? promotion.image,
          previousImage: promotion.previousImage,
          state,
          reason,
          dryRun: promotion.dryRun,
          policy: `${promotion.policy.name}@${promotion.policy.version}`,
          url: promotionUrl(publicUrl, promotion.id),
          requestedBy: promotion.actor,
        },
        check,
        ...(actedBy === undefined ? {} : { actedBy }),
        ...(type === 'awaiting_approval' ? { approval: approvalOf(promotion) } : {}),
      });
      for (const m of failed) {
        events.push(base('check_failed', change?.to ?? promotion.state, m.message, checkOf(m)));
      }
      if (change && change.to !== change.from && isNotified(change.to)) {
        // The step's last failed measurement decided a rejection or a rollback.
        const deciding = failed.at(-1);
        events.push(base(change.to, change.to, change.reason, deciding ? checkOf(deciding) : null));
      }
      return events.flatMap((event) =>
        wanted.filter((sink) => sink.events.has(event.type)).map((sink) => ({ event_id: event.id, event_type: event.type, sink: sink.name, payload: event })),
      );
    },
  };
}

function approvalOf(promotion: Promotion): NotificationPayload['approval'] {
  const rule = approvalRule(promotion.policy.snapshot.approval);
  return rule ? { required: rule.required, approvers: describeApprovers(rule) } : null;
}

function checkOf(m: NumberedMeasurement['measurement']): NotificationCheck {
  return { name: m.check, phase: m.phase, result: m.result, value: m.value !== null && Number.isFinite(m.value) ? m.value : null, bound: m.bound, message: m.message };
}

function isNotified(state: string): state is NotifiedState {
  return (NOTIFIED_STATES as readonly string[]).includes(state);
}
