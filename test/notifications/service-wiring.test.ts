/**
 * createService as main.ts runs it, from a configuration read from the environment: the sinks file is
 * loaded, the API's abort writes the outbox, the service's dispatcher delivers, and /metrics shows the
 * counter and the oldest-undelivered age rising and falling back to 0.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../services/promoter/src/config.js';
import { createService, type Service } from '../../services/promoter/src/service.js';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('notifications wired by createService', () => {
  let database: TestDatabase;
  let receiver: Receiver;
  let service: Service;
  let dir: string;

  beforeAll(async () => {
    database = await createTestDatabase('postgres');
    receiver = await startReceiver();
    dir = mkdtempSync(join(tmpdir(), 'promoter-wiring-'));
    writeFileSync(join(dir, 'sinks.json'), JSON.stringify({ sinks: [{ name: 'bus', type: 'cloudevents', url: `${receiver.url}/bus`, events: ['aborted'] }] }));
    const config = loadConfig({ PROMOTER_NOTIFICATIONS_FILE: join(dir, 'sinks.json'), PROMOTER_PUBLIC_URL: 'https://promoter.example/', LOG_LEVEL: 'silent', PROMOTER_RATE_LIMIT: '0' });
    service = await createService(config, { database: database.handle, kube: null, notifications: { pollMs: 20 } });
  });
  afterAll(async () => {
    await service?.close();
    await database?.drop();
    await receiver?.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const metric = async (name: string) => {
    const body = (await service.app.inject({ method: 'GET', url: '/metrics' })).body;
    const line = body.split('\n').find((l) => l.startsWith(name));
    return line === undefined ? undefined : Number(line.split(' ').at(-1));
  };

  it('writes, delivers and measures', async () => {
    expect(service.notifications).toBeDefined();
    expect((await service.app.inject({ method: 'PUT', url: '/v1/policies/web', payload: { checks: [{ name: 'ok', query: 'vector(0)', max: 1 }] } })).statusCode).toBe(201);
    const created = await service.app.inject({ method: 'POST', url: '/v1/promotions', payload: { target: { namespace: 'ns', deployment: 'web', container: 'app' }, image: 'registry.example/web:2.0.0', policy: 'web' } });
    const id = created.json().id as string;
    await service.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort` });
    // Written, not yet sent (the dispatcher is not started): the oldest undelivered has an age.
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await metric('promoter_notifications_oldest_undelivered_seconds')).toBeGreaterThan(0);

    service.notifications?.start();
    for (let i = 0; i < 200 && receiver.received.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 20));
    const event = JSON.parse(receiver.received[0]?.body ?? '{}') as { type: string; data: { promotion: { url: string } } };
    expect(event.type).toBe('dev.promoter.promotion.aborted');
    expect(event.data.promotion.url).toBe(`https://promoter.example/v1/promotions/${id}`);
    for (let i = 0; i < 200 && (await metric('promoter_notifications_total{sink="bus",outcome="delivered"}')) !== 1; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(await metric('promoter_notifications_total{sink="bus",outcome="delivered"}')).toBe(1);
    expect(await metric('promoter_notifications_oldest_undelivered_seconds')).toBe(0);
  });
});
