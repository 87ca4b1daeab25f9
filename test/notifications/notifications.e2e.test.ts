/**
 * Notifications through the whole system: real API, real Postgres, real Prometheus, the fake Kubernetes
 * API, the real engine writing the outbox with each state change, and two dispatchers (two replicas)
 * sending to loopback receivers. The webhook receiver verifies signatures with the independent
 * `standardwebhooks` package.
 */
import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKube } from '@promoter/fake-kube';
import { NotificationStore } from '../../services/promoter/src/adapters/db/notification-store.js';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { NotificationDispatcher } from '../../services/promoter/src/notifications/dispatcher.js';
import { notificationPlanner } from '../../services/promoter/src/notifications/notification-events.js';
import { parseNotificationsConfig, type NotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, waitForState, fakeKubeClient } from '../fixtures/engine.js';
import { ERROR_RATIO_QUERY, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { bodyStrings, startReceiver, type Receiver } from './receiver.js';

const POLICY = {
  interval: '1s',
  bake: '1s',
  rolloutTimeout: '3s',
  checks: [{ name: 'error-rate', phases: ['pre', 'rollout', 'post'], query: ERROR_RATIO_QUERY, max: 0.05 }],
};
const NAMESPACES = ['happy', 'gate', 'flaky', 'limited', 'approve', 'hostile'];
const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

interface WebhookBody {
  type: string;
  data: { id: string; type: string; promotion: { id: string; state: string; namespace: string; image: string; reason: string; url: string }; check: { name: string; value: number; bound: string } | null };
}

describe('notifications end to end', () => {
  let stack: RunbookStack;
  let kube: FakeKube;
  let svc: TestService;
  let engine: PromotionEngine;
  let receiver: Receiver;
  let dispatchers: NotificationDispatcher[] = [];
  let config: NotificationsConfig;

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.on('/flaky', (n) => ({ status: n <= 3 ? 503 : 200 }));
    receiver.on('/limited', (n) => (n === 1 ? { status: 429, headers: { 'retry-after': '1' } } : { status: 200 }));
    receiver.on('/hang', () => 'hang');
    receiver.on('/gone', () => ({ status: 410 }));
    config = parseNotificationsConfig(
      {
        delivery: { timeoutMs: 1_000, backoffBaseMs: 50, backoffMaxMs: 200, maxAttempts: 10 },
        sinks: [
          { name: 'hooks', type: 'webhook', url: `${receiver.url}/hooks`, secret: { env: 'HOOK_SECRET' }, events: ['awaiting_approval', 'promoting', 'succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'], namespaces: ['happy', 'gate', 'approve', 'hostile'] },
          { name: 'bus', type: 'cloudevents', url: `${receiver.url}/bus`, events: ['succeeded', 'rejected'], deployments: ['web'], namespaces: ['happy', 'gate'] },
          { name: 'checks', type: 'cloudevents', url: `${receiver.url}/checks`, events: ['check_failed'], namespaces: ['gate'] },
          { name: 'chat', type: 'slack', url: { env: 'SLACK_URL' }, events: ['rejected'], namespaces: ['gate'] },
          { name: 'chat-hostile', type: 'slack', url: `${receiver.url}/chat-hostile`, events: ['aborted'], namespaces: ['hostile'] },
          { name: 'flaky', type: 'webhook', url: `${receiver.url}/flaky`, secret: { env: 'HOOK_SECRET' }, events: ['promoting', 'succeeded'], namespaces: ['flaky'] },
          { name: 'limited', type: 'webhook', url: `${receiver.url}/limited`, secret: { env: 'HOOK_SECRET' }, events: ['succeeded'], namespaces: ['limited'] },
          // Never answers: the promotions in 'happy' must step all the same.
          { name: 'hang', type: 'cloudevents', url: `${receiver.url}/hang`, events: ['promoting', 'succeeded'], namespaces: ['happy'] },
          { name: 'gone', type: 'cloudevents', url: `${receiver.url}/gone`, events: ['succeeded'], namespaces: ['happy'] },
        ],
      },
      { HOOK_SECRET: SECRET, SLACK_URL: `${receiver.url}/chat` },
    );
    stack = await startRunbookStack({ namespaces: NAMESPACES, errorRatio: (ns, variant) => (ns === 'gate' && variant === 'canary' ? 0.2 : 0.01) });
    kube = stack.kube;
    const promClient = stack.prometheusClient();
    const planner = notificationPlanner(config.sinks, 'https://promoter.example');
    svc = await startTestService({ prometheus: promClient, kube: fakeKubeClient(kube), notifications: planner });
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/web', payload: POLICY })).statusCode).toBe(201);
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/gated', payload: { ...POLICY, approval: 'required' } })).statusCode).toBe(201);
    engine = startEngine(svc, kube, svc.queries, { notifications: planner });
    // Two replicas' dispatchers on one database.
    dispatchers = ['replica-a', 'replica-b'].map(
      (owner) => new NotificationDispatcher({ store: new NotificationStore(svc.database.handle.db), config, log: svc.app.log, counter: svc.metrics.notificationsTotal, owner, pollMs: 50 }),
    );
    for (const d of dispatchers) d.start();
  }, 90_000);

  afterAll(async () => {
    await engine?.stop();
    await Promise.all(dispatchers.map((d) => d.stop()));
    await svc?.close();
    await stack?.close();
    await receiver?.close();
  });

  const promote = async (namespace: string, policy = 'web') => {
    const response = await svc.app.inject({
      method: 'POST',
      url: '/v1/promotions',
      payload: { target: { namespace, deployment: 'web', container: 'app' }, source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' }, policy },
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  const deliveries = async (id: string) => {
    const response = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}/notifications` });
    assertMatchesSpec('listPromotionNotifications', response);
    return response.json().items as { id: string; sink: string; event: string; eventId: string; status: string; attempts: number; lastStatusCode: number | null; lastError: string | null }[];
  };
  const settled = async (id: string, sinks: readonly string[]) => {
    for (let i = 0; i < 600; i++) {
      const items = (await deliveries(id)).filter((d) => sinks.includes(d.sink));
      if (items.length > 0 && items.every((d) => d.status !== 'pending')) return items;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`deliveries of ${id} to ${sinks.join(', ')} did not settle: ${JSON.stringify(await deliveries(id))}`);
  };
  const verified = (path: string, promotionId: string): WebhookBody[] =>
    receiver.received
      .filter((r) => r.path === path)
      .map((r) => new Webhook(SECRET).verify(r.body, r.headers as Record<string, string>) as WebhookBody)
      .filter((body) => body.data.promotion.id === promotionId);

  it('a good promotion delivers exactly the configured events, in order, signed; a hanging sink does not stop it', async () => {
    const id = await promote('happy');
    // The 'hang' sink never answers: the promotion steps to the end all the same.
    expect((await waitForState(svc, id, ['succeeded', 'rejected', 'rolled_back', 'failed'])).state).toBe('succeeded');
    const items = await settled(id, ['hooks', 'bus', 'gone']);
    expect(items.filter((d) => d.sink === 'hooks').map((d) => [d.event, d.status])).toEqual([['promoting', 'delivered'], ['succeeded', 'delivered']]);
    const hooks = verified('/hooks', id);
    expect(hooks.map((b) => b.type)).toEqual(['promotion.promoting', 'promotion.succeeded']);
    expect(hooks[1]?.data.promotion).toMatchObject({ state: 'succeeded', namespace: 'happy', image: 'registry.example/web:1.1.0', url: `https://promoter.example/v1/promotions/${id}` });
    // CloudEvents 1.0 structured mode.
    const bus = receiver.received.filter((r) => r.path === '/bus').map((r) => ({ type: r.headers['content-type'], event: JSON.parse(r.body) as Record<string, unknown> }));
    const mine = bus.filter((b) => (b.event.data as { promotion: { id: string } }).promotion.id === id);
    expect(mine).toHaveLength(1);
    expect(mine[0]?.type).toMatch(/^application\/cloudevents\+json/);
    expect(mine[0]?.event).toMatchObject({ specversion: '1.0', type: 'dev.promoter.promotion.succeeded', subject: `promotions/${id}`, datacontenttype: 'application/json' });
    expect(mine[0]?.event.id).toBe(items.find((d) => d.sink === 'bus')?.eventId);
    // A 410 is final: dead after one attempt.
    expect(items.find((d) => d.sink === 'gone')).toMatchObject({ status: 'dead', attempts: 1, lastStatusCode: 410 });
    // Two replicas, no failures: each event was sent once.
    const ids = receiver.received.filter((r) => r.path === '/hooks').map((r) => r.headers['webhook-id']);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('a rejected promotion says which check and value decided it, to the webhook, the event bus and Slack', async () => {
    const id = await promote('gate');
    expect((await waitForState(svc, id, ['succeeded', 'rejected', 'rolled_back', 'failed'])).state).toBe('rejected');
    await settled(id, ['hooks', 'bus', 'chat', 'checks']);
    const hooks = verified('/hooks', id);
    expect(hooks.map((b) => b.type)).toEqual(['promotion.rejected']);
    expect(hooks[0]?.data.check).toMatchObject({ name: 'error-rate', value: 0.2 });
    expect(hooks[0]?.data.promotion.reason).toContain('error-rate');
    const slack = receiver.received.filter((r) => r.path === '/chat').map((r) => JSON.parse(r.body) as { text: string; blocks: { type: string }[] });
    expect(slack).toHaveLength(1);
    expect(slack[0]?.text).toContain('gate/web');
    expect(JSON.stringify(slack[0]?.blocks)).toContain('error-rate');
    expect(JSON.stringify(slack[0]?.blocks)).toContain('0.2');
    // Every failed measurement, when a sink asks for check failures.
    const failures = receiver.received.filter((r) => r.path === '/checks').map((r) => JSON.parse(r.body) as { type: string; data: { check: { name: string; value: number; result: string } } });
    expect(failures.length).toBeGreaterThanOrEqual(1);
    for (const f of failures) expect(f).toMatchObject({ type: 'dev.promoter.promotion.check_failed', data: { check: { name: 'error-rate', value: 0.2, result: 'fail' } } });
  });

  it('a receiver down for the first tries gets every event, in order; the retries carry the same id', async () => {
    const id = await promote('flaky');
    expect((await waitForState(svc, id, ['succeeded', 'rejected', 'rolled_back', 'failed'])).state).toBe('succeeded');
    const items = await settled(id, ['flaky']);
    expect(items.map((d) => [d.event, d.status])).toEqual([['promoting', 'delivered'], ['succeeded', 'delivered']]);
    expect(items[0]?.attempts).toBe(4);
    const bodies = verified('/flaky', id);
    // Three refused attempts of the first event, then each event once: same id on every retry.
    expect(bodies.map((b) => b.type)).toEqual(['promotion.promoting', 'promotion.promoting', 'promotion.promoting', 'promotion.promoting', 'promotion.succeeded']);
    expect(new Set(bodies.slice(0, 4).map((b) => b.data.id)).size).toBe(1);
    const metrics = await svc.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.body).toMatch(/promoter_notifications_total\{sink="flaky",outcome="retry"\} [3-9]/);
  });

  it('a 429 with Retry-After is tried again and delivered', async () => {
    const id = await promote('limited');
    expect((await waitForState(svc, id, ['succeeded', 'rejected', 'rolled_back', 'failed'])).state).toBe('succeeded');
    const [item] = await settled(id, ['limited']);
    expect(item).toMatchObject({ status: 'delivered', attempts: 2, lastStatusCode: 200 });
    // Not sooner than the receiver asked (Retry-After: 1), although the configured backoff is at most 200 ms.
    const [first, second] = receiver.received.filter((r) => r.path === '/limited');
    expect(second!.at - first!.at).toBeGreaterThanOrEqual(900);
  });

  it('an approval gate notifies, and an abort through the API notifies in its own transaction', async () => {
    const id = await promote('approve', 'gated');
    await waitForState(svc, id, ['awaiting_approval']);
    const aborted = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort`, payload: { reason: 'not today' } });
    expect(aborted.statusCode, aborted.body).toBe(200);
    await waitForState(svc, id, ['aborted']);
    const items = await settled(id, ['hooks']);
    expect(items.map((d) => [d.event, d.status])).toEqual([['awaiting_approval', 'delivered'], ['aborted', 'delivered']]);
    expect(verified('/hooks', id).map((b) => [b.type, b.data.promotion.state])).toEqual([['promotion.awaiting_approval', 'awaiting_approval'], ['promotion.aborted', 'aborted']]);
    // Who asked, who may approve, and who aborted.
    const [waiting, stopped] = verified('/hooks', id).map((b) => b.data as unknown as { promotion: { requestedBy: string }; approval?: unknown; actedBy?: string });
    expect(waiting).toMatchObject({ promotion: { requestedBy: 'anonymous' }, approval: { required: 1, approvers: 'anyone but the requester' } });
    expect(waiting?.actedBy).toBeUndefined();
    expect(stopped).toMatchObject({ promotion: { requestedBy: 'anonymous' }, actedBy: 'anonymous' });
  });

  it('a reason with terminal escapes, CR LF, BEL and a right-to-left override reaches Slack and a webhook cleaned', async () => {
    const id = await promote('hostile', 'gated');
    await waitForState(svc, id, ['awaiting_approval']);
    // BEL rather than NUL: PostgreSQL cannot store a NUL in text (that request is the API's to refuse).
    const reason = '\x1b[31mstop\x1b[0m <!channel> & now\r\nApproved by admin \u202eexe.txt\x07';
    const aborted = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort`, payload: { reason } });
    expect(aborted.statusCode, aborted.body).toBe(200);
    await waitForState(svc, id, ['aborted']);
    await settled(id, ['hooks', 'chat-hostile']);
    // What the receivers got on the wire, decoded as they decode it.
    const hook = verified('/hooks', id).find((b) => b.type === 'promotion.aborted');
    expect(hook?.data.promotion.reason).toBe('stop <!channel> & now Approved by admin \\u202eexe.txt\\u0007');
    const slack = receiver.received.filter((r) => r.path === '/chat-hostile').map((r) => JSON.parse(r.body) as { text: string; blocks: { type: string; text?: { text: string } }[] });
    expect(slack).toHaveLength(1);
    const reasonBlock = slack[0]?.blocks.map((b) => b.text?.text ?? '').find((text) => text.startsWith('*Reason*'));
    expect(reasonBlock).toBe('*Reason*\nstop &lt;!channel&gt; &amp; now Approved by admin \\u202eexe.txt\\u0007');
    // Every string of every body about this promotion: Slack's own line breaks (`*Reason*\n…`) aside, no control is left.
    const bodies = receiver.received.filter((r) => r.body.includes(id));
    expect(bodies.map((r) => r.path).sort()).toEqual(['/chat-hostile', '/hooks', '/hooks']);
    for (const text of bodies.flatMap((r) => bodyStrings(JSON.parse(r.body)))) expect(text).not.toMatch(/[\x00-\x09\x0b-\x1f\x7f-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/);
  });

  it('an admin retries a dead delivery; a delivered one cannot be retried', async () => {
    const happy = (await svc.app.inject({ method: 'GET', url: '/v1/promotions?namespace=happy' })).json().items[0].id as string;
    const items = await deliveries(happy);
    const dead = items.find((d) => d.sink === 'gone');
    const delivered = items.find((d) => d.status === 'delivered');
    const retried = await svc.app.inject({ method: 'POST', url: `/v1/notifications/${dead?.id}/retry` });
    assertMatchesSpec('retryNotification', retried);
    expect(retried.json()).toMatchObject({ status: 'pending', attempts: 0 });
    const refused = await svc.app.inject({ method: 'POST', url: `/v1/notifications/${delivered?.id}/retry` });
    expect(refused.statusCode).toBe(409);
    expect(refused.json().code).toBe('invalid-state');
    const missing = await svc.app.inject({ method: 'POST', url: `/v1/notifications/00000000-0000-4000-8000-000000000000/retry` });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().code).toBe('notification-not-found');
  });

  it('two replicas share the work and send no event twice without a failure', async () => {
    // Both dispatchers sent something over this file's promotions...
    expect(dispatchers.map((d) => d.attempts > 0)).toEqual([true, true]);
    // ...and no signed event reached /hooks twice (that sink never failed).
    const ids = receiver.received.filter((r) => r.path === '/hooks').map((r) => r.headers['webhook-id']);
    expect(ids.length).toBeGreaterThanOrEqual(5);
    expect(new Set(ids).size).toBe(ids.length);
  });
});
