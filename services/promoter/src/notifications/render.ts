/**
 * A notification as each sink type receives it: a Standard Webhooks signed JSON POST, a Slack
 * incoming-webhook message with blocks, or a CloudEvents 1.0 structured event. Pure.
 *
 * Every string of the payload passes through `displayText` here, where each body is built: reasons and
 * check messages carry text from requests and from outside systems, and a receiver shows it to people
 * (JSON escapes `\x1b` or U+202E for the wire only; the receiver decodes them back). The outbox keeps the
 * payload as it happened; what leaves the service is only ever the cleaned one.
 */
import { createHmac } from 'node:crypto';
import { displayStrings } from '../domain/display-text.js';
import type { NotificationPayload } from './notification-events.js';
import type { Sink } from './sinks-config.js';

export interface RenderedRequest {
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** `now` is the attempt's time: a Standard Webhooks timestamp is the attempt's, so receivers can refuse replays. */
export function render(sink: Sink, raw: NotificationPayload, now: Date): RenderedRequest {
  const payload = displayStrings(raw);
  switch (sink.type) {
    case 'webhook':
      return webhook(sink, payload, now);
    case 'slack':
      return { headers: { 'content-type': 'application/json' }, body: JSON.stringify(slackMessage(payload)) };
    case 'cloudevents':
      return { headers: { 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify(cloudEvent(payload)) };
  }
}

/** The Standard Webhooks signature: v1 = base64(HMAC-SHA256(key, `${id}.${timestamp}.${body}`)). */
export function signWebhook(secret: Uint8Array, id: string, timestamp: number, body: string): string {
  return `v1,${createHmac('sha256', secret).update(`${id}.${timestamp}.${body}`).digest('base64')}`;
}

function webhook(sink: Sink, payload: NotificationPayload, now: Date): RenderedRequest {
  if (!sink.secret) throw new Error(`sink ${sink.name} has no secret`); // the configuration refuses this
  const timestamp = Math.floor(now.getTime() / 1000);
  // The envelope the specification recommends: type, timestamp, data.
  const body = JSON.stringify({ type: `promotion.${payload.type}`, timestamp: payload.occurredAt, data: payload });
  return {
    headers: {
      'content-type': 'application/json',
      'webhook-id': payload.id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(sink.secret, payload.id, timestamp, body),
    },
    body,
  };
}

export function cloudEventType(payload: NotificationPayload): string {
  return `dev.promoter.promotion.${payload.type}`;
}

function cloudEvent(payload: NotificationPayload): Record<string, unknown> {
  return {
    specversion: '1.0',
    id: payload.id,
    source: payload.promotion.url ? new URL(payload.promotion.url).origin + '/promoter' : '/promoter',
    type: cloudEventType(payload),
    subject: `promotions/${payload.promotion.id}`,
    time: payload.occurredAt,
    datacontenttype: 'application/json',
    data: payload,
  };
}

const HEADLINES: Record<NotificationPayload['type'], string> = {
  awaiting_approval: ':raised_hand: Promotion waiting for approval',
  frozen: ':snowflake: Promotion held by a deployment freeze',
  promoting: ':rocket: Promotion patching production',
  awaiting_merge: ':inbox_tray: Promotion waiting for its pull request to be merged',
  succeeded: ':white_check_mark: Promotion succeeded',
  rejected: ':no_entry: Promotion rejected by its checks',
  rolled_back: ':rewind: Promotion rolled back',
  failed: ':x: Promotion failed',
  aborted: ':octagonal_sign: Promotion aborted',
  check_failed: ':warning: A promotion check failed',
};

/** Slack's mrkdwn needs &, < and > escaped in text that is not markup. */
function escape(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Who may approve and how: the gate's count and approvers when the payload carries them (older payloads do not). */
function approvalText(payload: NotificationPayload): string {
  const p = payload.promotion;
  const how = `\`promoter approve ${p.id} --reason "…"\` (or POST /v1/promotions/${p.id}/approve); \`promoter abort ${p.id}\` stops it.`;
  const gate = payload.approval;
  if (!gate) return `An *operator* or *admin* may approve: ${how}`;
  const count = gate.required === 1 ? 'one approval' : `${gate.required} approvals by different people`;
  return `Needs ${count} from *${escape(gate.approvers)}*, each an *operator* or *admin*: ${how}`;
}

function slackMessage(payload: NotificationPayload): Record<string, unknown> {
  const p = payload.promotion;
  const target = `${p.namespace}/${p.deployment} (${p.container})`;
  const headline = HEADLINES[payload.type];
  const fields = [
    `*Target*\n${escape(target)}`,
    `*Image*\n\`${escape(p.image ?? 'from the canary')}\``,
    ...(p.previousImage ? [`*Replaces*\n\`${escape(p.previousImage)}\``] : []),
    `*Policy*\n${escape(p.policy)}${p.dryRun ? ' (dry run)' : ''}`,
    ...(p.requestedBy ? [`*Requested by*\n${escape(p.requestedBy)}`] : []),
    ...(payload.actedBy ? [`*By*\n${escape(payload.actedBy)}`] : []),
  ];
  const check = payload.check;
  const reason = check
    ? `*${escape(check.name)}* (${escape(check.phase)}): ${escape(check.message)}${check.value === null ? '' : ` — value ${check.value}`}${check.bound ? `, bound ${escape(check.bound)}` : ''}`
    : escape(p.reason);
  const blocks: Record<string, unknown>[] = [
    { type: 'header', text: { type: 'plain_text', text: headline.replace(/^:[a-z_]+: /, ''), emoji: true } },
    { type: 'section', fields: fields.map((text) => ({ type: 'mrkdwn', text })) },
    { type: 'section', text: { type: 'mrkdwn', text: `*Reason*\n${reason}` } },
  ];
  if (payload.type === 'awaiting_approval') {
    blocks.push({ type: 'section', text: { type: 'mrkdwn', text: approvalText(payload) } });
  }
  if (p.url) blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `<${p.url}|Promotion ${p.id}>` }] });
  else blocks.push({ type: 'context', elements: [{ type: 'mrkdwn', text: `Promotion ${p.id}` }] });
  return { text: `${headline}: ${escape(target)}`, blocks };
}
