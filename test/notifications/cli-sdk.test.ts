/** `promoter notifications ID` and the SDK's notification methods against the real service, with a dispatcher sending to loopback receivers. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromoterClient, type NotificationDelivery, type PromoterClient } from '@promoter/sdk';
import { NotificationStore } from '../../services/promoter/src/adapters/db/notification-store.js';
import { NotificationDispatcher } from '../../services/promoter/src/notifications/dispatcher.js';
import { notificationPlanner } from '../../services/promoter/src/notifications/notification-events.js';
import { parseNotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import { cli } from '../cli/run-cli.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { startReceiver, type Receiver } from './receiver.js';

describe('notifications in the CLI and the SDK', () => {
  let svc: TestService;
  let receiver: Receiver;
  let dispatcher: NotificationDispatcher;
  let client: PromoterClient;

  beforeAll(async () => {
    receiver = await startReceiver();
    receiver.on('/gone', () => ({ status: 410 }));
    const config = parseNotificationsConfig(
      {
        sinks: [
          { name: 'bus', type: 'cloudevents', url: `${receiver.url}/bus`, events: ['aborted'] },
          { name: 'gone', type: 'cloudevents', url: `${receiver.url}/gone`, events: ['aborted'] },
        ],
      },
      {},
    );
    svc = await startTestService({ listen: true, notifications: notificationPlanner(config.sinks, undefined) });
    client = createPromoterClient({ baseUrl: svc.url });
    dispatcher = new NotificationDispatcher({ store: new NotificationStore(svc.database.handle.db), config, log: svc.app.log, pollMs: 20 });
    dispatcher.start();
    expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/web', payload: { checks: [{ name: 'ok', query: 'vector(0)', max: 1 }] } })).statusCode).toBe(201);
  });
  afterAll(async () => {
    await dispatcher?.stop();
    await svc?.close();
    await receiver?.close();
  });

  it('lists the deliveries with their outcome, and retries a dead one', async () => {
    const created = await client.promotions.create({ target: { namespace: 'cli', deployment: 'web', container: 'app' }, image: 'registry.example/web:2.0.0', policy: 'web' });
    await client.promotions.abort(created.id);
    let items: NotificationDelivery[] = [];
    for (let i = 0; i < 200 && !(items.length === 2 && items.every((d) => d.status !== 'pending')); i++) {
      await new Promise((resolve) => setTimeout(resolve, 25));
      items = await client.promotions.notifications(created.id);
    }
    expect(items.map((d) => [d.sink, d.event, d.status, d.lastStatusCode])).toEqual([
      ['bus', 'aborted', 'delivered', 200],
      ['gone', 'aborted', 'dead', 410],
    ]);

    const shown = await cli(['notifications', created.id, '--no-color'], { url: svc.url });
    expect(shown.code).toBe(0);
    const lines = shown.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^✓ delivered {2}bus {2}aborted {2}1 attempt {2}HTTP 200/);
    expect(lines[1]).toMatch(/^✗ dead +gone {2}aborted {2}1 attempt {2}HTTP 410 {2}HTTP 410; HTTP 410 is final/);
    expect((await cli(['notifications', created.id, '--json'], { url: svc.url })).json<{ items: NotificationDelivery[] }>().items).toHaveLength(2);
    const missing = await cli(['notifications', '00000000-0000-4000-8000-000000000000'], { url: svc.url });
    expect(missing.code).toBe(1);

    const dead = items[1] as NotificationDelivery;
    expect(await client.promotions.retryNotification(dead.id)).toMatchObject({ id: dead.id, status: 'pending', attempts: 0, eventId: dead.eventId });
    await expect(client.promotions.retryNotification(items[0]!.id)).rejects.toMatchObject({ status: 409 });
  });
});
