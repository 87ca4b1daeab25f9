/** The pure parts of notifications: the sinks file, the retry rules and the bodies (signatures checked by `standardwebhooks`). */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Webhook } from 'standardwebhooks';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../services/promoter/src/config.js';
import { decide, parseRetryAfter } from '../../services/promoter/src/notifications/delivery-policy.js';
import { notificationPlanner, type NotificationPayload } from '../../services/promoter/src/notifications/notification-events.js';
import { render } from '../../services/promoter/src/notifications/render.js';
import { DEFAULT_DELIVERY, parseNotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import { transition } from '../../services/promoter/src/domain/promotion-state-machine.js';
import type { Promotion } from '../../services/promoter/src/domain/promotion.js';
import { bodyStrings } from './receiver.js';

const SECRET = 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw';
const ENV = { HOOK: SECRET };
const hook = (extra: Record<string, unknown> = {}) => ({ name: 'ops-hook', type: 'webhook', url: 'https://hooks.example/p', secret: { env: 'HOOK' }, events: ['succeeded'], ...extra });
const parse = (sinks: unknown[], env: Record<string, string> = ENV) => parseNotificationsConfig({ sinks }, env);

describe('the sinks file', () => {
  it('reads webhook, slack and cloudevents sinks with filters and secret references', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinks-'));
    writeFileSync(join(dir, 'slack-url'), 'https://hooks.slack.example/T/B/x\n');
    const config = parse([
      hook({ namespaces: ['prod'] }),
      { name: 'chat', type: 'slack', url: { file: join(dir, 'slack-url') }, events: ['awaiting_approval', 'rejected'] },
      { name: 'bus', type: 'cloudevents', url: 'http://broker.default.svc/', events: ['check_failed'], deployments: ['web'] },
    ]);
    expect(config.delivery).toEqual(DEFAULT_DELIVERY);
    expect(config.sinks.map((s) => [s.name, s.type, s.url])).toEqual([
      ['ops-hook', 'webhook', 'https://hooks.example/p'],
      ['chat', 'slack', 'https://hooks.slack.example/T/B/x'],
      ['bus', 'cloudevents', 'http://broker.default.svc/'],
    ]);
    expect(config.sinks[0]?.secret?.length).toBe(24);
  });

  it.each([
    [[hook({ type: 'email' })], 'sink "ops-hook": unknown type "email"'],
    [[hook({ secret: undefined })], 'sink "ops-hook": a webhook sink needs `secret`'],
    [[hook({ secret: { env: 'MISSING' } })], 'sink "ops-hook": `secret` refers to the environment variable MISSING, which is not set'],
    [[hook({ secret: SECRET })], 'sink "ops-hook": `secret` must be a reference'],
    [[hook({ url: 'ftp://x' })], 'sink "ops-hook": `url` must be an http:// or https:// URL'],
    [[hook({ url: 'not a url' })], 'sink "ops-hook": `url` must be an http:// or https:// URL'],
    [[hook({ events: ['deployed'] })], 'sink "ops-hook": unknown event "deployed"'],
    [[hook({ secret: { file: '/nonexistent/secret' } })], 'sink "ops-hook": `secret` refers to the file /nonexistent/secret'],
    [[hook(), hook()], 'sink "ops-hook": is defined twice'],
    [[hook({ colour: 'red' })], 'sink "ops-hook": unknown field `colour`'],
    [[{ name: 'x', type: 'slack', url: 'https://s.example', events: ['failed'], secret: { env: 'HOOK' } }], 'sink "x": `secret` is for webhook sinks'],
  ])('refuses %j naming the sink', (sinks, message) => {
    expect(() => parse(sinks)).toThrow(message);
  });

  it('refuses a bad secret format', () => {
    expect(() => parse([hook()], { HOOK: 'plain-password' })).toThrow('sink "ops-hook": `secret` must be whsec_');
  });

  it('stops start-up through PROMOTER_NOTIFICATIONS_FILE with the variable and the sink named', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sinks-'));
    const file = join(dir, 'sinks.yaml');
    writeFileSync(file, 'sinks:\n  - name: pager\n    type: webhook\n    url: https://pager.example\n    secret: { env: PAGER_SECRET }\n    events: [failed]\n');
    const error = (() => {
      try {
        loadConfig({ PROMOTER_NOTIFICATIONS_FILE: file });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe('PROMOTER_NOTIFICATIONS_FILE: sink "pager": `secret` refers to the environment variable PAGER_SECRET, which is not set');
    expect(loadConfig({ PROMOTER_NOTIFICATIONS_FILE: file, PAGER_SECRET: SECRET }).notifications?.sinks[0]?.name).toBe('pager');
    expect(() => loadConfig({ PROMOTER_NOTIFICATIONS_FILE: join(dir, 'missing.yaml') })).toThrow('PROMOTER_NOTIFICATIONS_FILE: cannot read');
  });
});

describe('retry rules', () => {
  const now = new Date('2026-01-01T00:00:00Z');
  const policy = { ...DEFAULT_DELIVERY, backoffBaseMs: 1_000, backoffMaxMs: 60_000, maxAttempts: 5, maxAgeMs: 3_600_000 };
  it('2xx is delivered; 4xx other than 408 and 429 is final; 3xx is not followed and final', () => {
    expect(decide({ status: 204 }, 1, 0, policy, now).kind).toBe('delivered');
    for (const status of [400, 401, 404, 410, 422, 301]) expect(decide({ status }, 1, 0, policy, now).kind, String(status)).toBe('dead');
    for (const status of [408, 429, 500, 502, 503]) expect(decide({ status }, 1, 0, policy, now).kind, String(status)).toBe('retry');
    expect(decide({ error: 'connection failed: ECONNREFUSED' }, 1, 0, policy, now).kind).toBe('retry');
  });
  it('backs off exponentially with jitter inside [bound/2, bound], capped', () => {
    const delay = (attempts: number, r: number) => {
      const d = decide({ status: 503 }, attempts, 0, policy, now, () => r);
      return d.kind === 'retry' ? d.delayMs : -1;
    };
    expect([delay(1, 0), delay(1, 1)]).toEqual([500, 1_000]);
    expect([delay(3, 0), delay(3, 1)]).toEqual([2_000, 4_000]);
    expect(delay(4, 0.5)).toBe(6_000);
    expect(decide({ status: 503 }, 4, 0, { ...policy, backoffMaxMs: 3_000 }, now, () => 1)).toEqual({ kind: 'retry', delayMs: 3_000 });
  });
  it('honours Retry-After in seconds or as an HTTP date, and gives up after the attempts or the age', () => {
    expect(decide({ status: 429, retryAfter: '7' }, 1, 0, policy, now)).toEqual({ kind: 'retry', delayMs: 7_000 });
    expect(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(decide({ status: 503 }, 5, 0, policy, now).kind).toBe('dead');
    expect(decide({ status: 429, retryAfter: '600' }, 1, 3_100_000, policy, now).kind).toBe('dead');
  });
});

describe('bodies', () => {
  const promotion: Promotion = {
    id: '0b8f1f7e-8a3c-4f7e-9a55-1d2b3c4d5e6f',
    target: { cluster: 'default', namespace: 'prod', deployment: 'web', container: 'app' },
    source: null,
    image: 'registry.example/web:1.1.0',
    resolvedImage: 'registry.example/web:1.1.0',
    previousImage: 'registry.example/web:1.0.0',
    policy: { name: 'web', version: 2, snapshot: {} as Promotion['policy']['snapshot'] },
    dryRun: false,
    reason: null,
    state: 'analyzing',
    stateReason: null,
    verdict: null,
    actor: 'ci',
    requestedAction: null,
    delivery: { via: 'kubernetes' },
    release: null,
    progress: {},
    hold: null,
    freezeOverride: null,
    pipeline: null,
    createdAt: new Date(),
  };
  const sinks = parse([
    hook({ events: ['awaiting_approval', 'succeeded'] }),
    { name: 'chat', type: 'slack', url: 'https://s.example', events: ['awaiting_approval'] },
    { name: 'elsewhere', type: 'cloudevents', url: 'https://ce.example', events: ['awaiting_approval'], namespaces: ['staging'] },
  ]).sinks;

  it('plans one row per matching sink with one event id, and none for unselected states or filtered targets', () => {
    let n = 0;
    const planner = notificationPlanner(sinks, 'https://promoter.example/', () => `evt_${++n}`);
    const rows = planner.plan(promotion, transition('analyzing', 'awaiting_approval', 'gate passed; waiting for approval'), [], new Date());
    expect(rows.map((r) => [r.sink, r.event_id, r.event_type])).toEqual([
      ['ops-hook', 'evt_1', 'awaiting_approval'],
      ['chat', 'evt_1', 'awaiting_approval'],
    ]);
    expect(rows[0]?.payload.promotion.url).toBe(`https://promoter.example/v1/promotions/${promotion.id}`);
    expect(planner.plan(promotion, transition('analyzing', 'promoting', 'gate passed'), [], new Date())).toEqual([]);
    expect(planner.plan(promotion, undefined, [], new Date())).toEqual([]);
  });

  it('notifies a promotion held by a freeze once, as frozen, to the sinks that ask for it (Slack says why)', () => {
    const frozenSinks = parse([{ name: 'chat', type: 'slack', url: 'https://s.example', events: ['frozen'] }]).sinks;
    const why = "held by freeze 'weekend' (weekend freeze) until 2026-12-07T07:00:00.000Z, before it starts";
    const rows = notificationPlanner(frozenSinks, undefined).plan(promotion, transition('pending', 'frozen', why), [], new Date());
    expect(rows.map((r) => [r.sink, r.event_type, r.payload.promotion.reason])).toEqual([['chat', 'frozen', why]]);
    expect(render(frozenSinks[0]!, rows[0]!.payload, new Date()).body).toContain('Promotion held by a deployment freeze');
    // Not while it stays held, nor for sinks that did not ask.
    expect(notificationPlanner(frozenSinks, undefined).plan(promotion, undefined, [], new Date())).toEqual([]);
    expect(notificationPlanner(sinks, undefined).plan(promotion, transition('pending', 'frozen', why), [], new Date())).toEqual([]);
  });

  it('signs webhooks so that the standardwebhooks package verifies them, and refuses a tampered body', () => {
    const payload = notificationPlanner(sinks, undefined).plan(promotion, transition('analyzing', 'awaiting_approval', 'waiting'), [], new Date())[0]?.payload as NotificationPayload;
    const request = render(sinks[0]!, payload, new Date());
    const verified = new Webhook(SECRET).verify(request.body, request.headers) as { type: string; data: { id: string } };
    expect(verified.type).toBe('promotion.awaiting_approval');
    expect(request.headers['webhook-id']).toBe(payload.id);
    expect(() => new Webhook(SECRET).verify(request.body.replace('prod', 'dev'), request.headers)).toThrow();
    // A replay an hour later is refused by the receiver's timestamp tolerance.
    const old = render(sinks[0]!, payload, new Date(Date.now() - 3_600_000));
    expect(() => new Webhook(SECRET).verify(old.body, old.headers)).toThrow();
  });

  it('tells Slack who may approve and how', () => {
    const payload = notificationPlanner(sinks, undefined).plan(promotion, transition('analyzing', 'awaiting_approval', 'waiting'), [], new Date())[1]?.payload as NotificationPayload;
    const message = JSON.parse(render(sinks[1]!, payload, new Date()).body) as { text: string; blocks: unknown[] };
    expect(message.text).toContain('prod/web');
    expect(JSON.stringify(message.blocks)).toContain(`promoter approve ${promotion.id}`);
    expect(JSON.stringify(message.blocks)).toContain('*operator*');
  });

  it('tells Slack how many approvals a policy needs, from whom, and who requested the promotion', () => {
    const gated = { ...promotion, policy: { ...promotion.policy, snapshot: { checks: [], approval: { required: 2, from: { groups: ['sre'], roles: ['admin' as const] } } } } };
    const payload = notificationPlanner(sinks, undefined).plan(gated, transition('analyzing', 'awaiting_approval', 'waiting'), [], new Date())[1]?.payload as NotificationPayload;
    expect(payload.approval).toEqual({ required: 2, approvers: 'a member of sre, or an admin (not the requester)' });
    expect(payload.promotion.requestedBy).toBe('ci');
    const blocks = JSON.stringify((JSON.parse(render(sinks[1]!, payload, new Date()).body) as { blocks: unknown[] }).blocks);
    expect(blocks).toContain('Needs 2 approvals by different people from *a member of sre, or an admin (not the requester)*');
    expect(blocks).toContain('*Requested by*\\nci');
    expect(blocks).not.toContain('*By*');
    // A change someone caused (an abort through the API) names them too.
    const byAlice = notificationPlanner(sinks, undefined).plan(gated, transition('analyzing', 'awaiting_approval', 'waiting'), [], new Date(), 'Alice')[1]?.payload as NotificationPayload;
    expect(byAlice.actedBy).toBe('Alice');
    expect(render(sinks[1]!, byAlice, new Date()).body).toContain('*By*\\nAlice');
  });

  it('sends no control or bidi character to any sink, and escapes mrkdwn for Slack', () => {
    const hostile = '\x1b[31mred\x1b[0m <!channel> & done\r\nApproved by admin \u202eexe.txt\x00';
    const all = parse([
      hook({ events: ['rejected', 'check_failed'] }),
      { name: 'chat', type: 'slack', url: 'https://s.example', events: ['rejected', 'check_failed'] },
      { name: 'bus', type: 'cloudevents', url: 'https://ce.example', events: ['rejected', 'check_failed'] },
    ]).sinks;
    const failing = {
      sample: 1,
      measurement: {
        check: 'error\u202erate', kind: 'threshold', phase: 'pre', query: 'q', baselineQuery: null, warnings: [], result: 'fail', value: 0.2, baselineValue: null,
        bound: 'max 0.05\r\n', message: hostile, measuredAt: new Date(),
      },
    } as const;
    const rows = notificationPlanner(all, undefined).plan({ ...promotion, target: { ...promotion.target, deployment: 'web\x1b]0;t\x07' } }, transition('analyzing', 'rejected', hostile), [failing], new Date());
    expect(rows.map((r) => [r.sink, r.event_type])).toHaveLength(6);
    for (const row of rows) {
      const sink = all.find((s) => s.name === row.sink)!;
      const body = JSON.parse(render(sink, row.payload, new Date()).body) as unknown;
      const texts = bodyStrings(body);
      // Slack's blocks are built with line breaks of their own (`*Reason*\n…`); nothing else may carry one.
      const unsafe = sink.type === 'slack' ? /[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/ : /[\x00-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/;
      for (const text of texts) expect(text, `${row.sink} ${row.event_type}`).not.toMatch(unsafe);
      const joined = texts.join('\n');
      expect(joined).toContain('red');
      expect(joined).toContain('done Approved by admin \\u202eexe.txt\\u0000');
      // The reason's CR LF is gone: the only line breaks are the ones the Slack blocks are built with.
      for (const text of texts) expect(text).not.toMatch(/done\s*\n/);
      if (sink.type === 'slack') {
        expect(joined).toContain('&lt;!channel&gt; &amp; done');
        expect(joined).not.toContain('<!channel>');
      } else {
        expect(joined).toContain('<!channel> & done');
      }
    }
    // The outbox keeps what happened; only what leaves the service is cleaned.
    expect(rows[0]?.payload.promotion.reason).toBe(hostile);
  });
});
