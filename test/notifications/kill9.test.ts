/**
 * kill -9 of the real service process after a state change was committed and while its notification
 * was being sent (the receiver holds the first request, so the kill lands there every time): after a
 * restart the event is delivered, with the same id. Real Postgres, the fake Kubernetes API.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { Webhook as Verifier } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startServiceProcess, type ServiceProcess } from '../fixtures/process.js';
import { startWebhook, until, waitForDbState, webhookPolicy, type Webhook } from '../reliability/support.js';
import { startReceiver, type Receiver } from './receiver.js';

const SECRET = `whsec_${randomBytes(32).toString('base64')}`;

describe('kill -9 between the state change and the send', () => {
  let kube: FakeKube;
  let gate: Webhook;
  let receiver: Receiver;
  let database: TestDatabase;
  let dir: string;
  let env: Record<string, string>;
  let svc: ServiceProcess | undefined;

  beforeAll(async () => {
    kube = await startFakeKube();
    gate = await startWebhook();
    receiver = await startReceiver();
    // The first request is held (never answered): the test kills the service while it waits.
    receiver.on('/hooks', (n) => (n === 1 ? 'hang' : { status: 200 }));
    database = await createTestDatabase('postgres');
    dir = mkdtempSync(join(tmpdir(), 'promoter-notify-kill9-'));
    await kube.writeKubeconfig(join(dir, 'kubeconfig'));
    writeFileSync(
      join(dir, 'sinks.yaml'),
      [
        'delivery: { timeoutMs: 1000, backoffBaseMs: 50, backoffMaxMs: 200 }',
        'sinks:',
        '  - name: hooks',
        '    type: webhook',
        `    url: ${receiver.url}/hooks`,
        '    secret: { env: HOOKS_SECRET }',
        '    events: [promoting, succeeded]',
      ].join('\n'),
    );
    env = {
      DATABASE_URL: database.url as string,
      KUBECONFIG: join(dir, 'kubeconfig'),
      PROMOTER_ENGINE_LEASE_MS: '2000',
      PROMOTER_ENGINE_POLL_MS: '100',
      PROMOTER_NOTIFICATIONS_FILE: join(dir, 'sinks.yaml'),
      // The policy's webhook check calls the test's gate, which the operator must allow.
      PROMOTER_WEBHOOK_ALLOWED_URLS: gate.url,
      HOOKS_SECRET: SECRET,
    };
    svc = await startServiceProcess(env);
    const response = await fetch(`${svc.url}/v1/policies/quick`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(webhookPolicy(gate.url)) });
    expect(response.status, await response.text()).toBe(201);
  }, 60_000);

  afterAll(async () => {
    if (svc) await svc.stop('SIGTERM');
    await database?.drop();
    await receiver?.close();
    await gate?.close();
    await kube?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('delivers the event after the restart, with the id of the attempt the kill cut off', async () => {
    kube.addDeployment({ namespace: 'k9', name: 'web', containers: [{ name: 'app', image: 'registry.example/web:1.0.0' }], replicas: 3 });
    const created = await fetch(`${svc!.url}/v1/promotions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ target: { namespace: 'k9', deployment: 'web', container: 'app' }, image: 'registry.example/web:2.0.0', policy: 'quick' }),
    });
    expect(created.status).toBe(201);
    const id = ((await created.json()) as { id: string }).id;
    await until(() => receiver.received.length === 1, 'the first notification to be in flight', 30_000);
    expect(await svc!.stop('SIGKILL')).toBe(null);
    // The state change is committed; its notification was sent but not recorded.
    const before = await sql<{ status: string; attempts: number }>`SELECT status, attempts FROM notification_deliveries WHERE promotion_id = ${id} ORDER BY seq`.execute(database.handle.db);
    expect(before.rows[0]).toEqual({ status: 'pending', attempts: 0 });

    svc = await startServiceProcess(env);
    await waitForDbState(database.handle.db, id, ['succeeded'], 30_000);
    await until(
      async () => (await sql<{ n: number }>`SELECT count(*)::int AS n FROM notification_deliveries WHERE promotion_id = ${id} AND status = 'delivered'`.execute(database.handle.db)).rows[0]?.n === 2,
      'both notifications delivered',
      30_000,
    );
    const bodies = receiver.received.map((r) => new Verifier(SECRET).verify(r.body, r.headers as Record<string, string>) as { type: string; data: { id: string } });
    expect(bodies.map((b) => b.type)).toEqual(['promotion.promoting', 'promotion.promoting', 'promotion.succeeded']);
    // The attempt cut off by the kill and the one after the restart are one event to the receiver.
    expect(bodies[0]?.data.id).toBe(bodies[1]?.data.id);
    expect(receiver.received[0]?.headers['webhook-id']).toBe(receiver.received[1]?.headers['webhook-id']);
    // The signing key is never logged.
    expect(svc!.output()).not.toContain(SECRET.slice('whsec_'.length));
  }, 90_000);
});

describe('bad notification configuration', () => {
  it.each([
    ['unknown type', '  - { name: pager, type: email, url: "https://p.example", events: [failed] }', 'sink "pager": unknown type "email"'],
    ['missing secret', '  - { name: pager, type: webhook, url: "https://p.example", secret: { env: NOT_SET }, events: [failed] }', 'sink "pager": `secret` refers to the environment variable NOT_SET, which is not set'],
    ['bad URL', '  - { name: pager, type: slack, url: "hooks.slack.com/x", events: [failed] }', 'sink "pager": `url` must be an http:// or https:// URL'],
  ])('%s: the service does not start, and says which sink', async (_case, sink, message) => {
    const dir = mkdtempSync(join(tmpdir(), 'promoter-bad-sinks-'));
    try {
      writeFileSync(join(dir, 'sinks.yaml'), `sinks:\n${sink}\n`);
      const started = startServiceProcess({ PROMOTER_NOTIFICATIONS_FILE: join(dir, 'sinks.yaml'), PROMOTER_DATA_DIR: join(dir, 'data') }, 30_000);
      await expect(started).rejects.toThrow(`service exited with 2 before listening:\npromoter: configuration error: PROMOTER_NOTIFICATIONS_FILE: ${message}`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 40_000);
});
