/**
 * The outbox is written with the state change or not at all: the API's immediate abort writes its rows
 * in its own transaction; creation (pending) notifies nothing; no rows without sinks. Real Postgres.
 */
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { notificationPlanner } from '../../services/promoter/src/notifications/notification-events.js';
import { parseNotificationsConfig } from '../../services/promoter/src/notifications/sinks-config.js';
import { startTestService, type TestService } from '../fixtures/service.js';

describe('outbox rows of the API abort', () => {
  let svc: TestService;
  beforeAll(async () => {
    const { sinks } = parseNotificationsConfig(
      { sinks: [{ name: 'bus', type: 'cloudevents', url: 'http://127.0.0.1:9/', events: ['aborted', 'awaiting_approval'], namespaces: ['watched'] }] },
      {},
    );
    svc = await startTestService({ engine: 'postgres', notifications: notificationPlanner(sinks, undefined) });
    const policy = await svc.app.inject({ method: 'PUT', url: '/v1/policies/web', payload: { checks: [{ name: 'ok', query: 'vector(0)', max: 1 }] } });
    expect(policy.statusCode, policy.body).toBe(201);
  });
  afterAll(async () => svc?.close());

  const rows = async (id: string) =>
    (await sql<{ event_type: string; sink: string; status: string }>`SELECT event_type, sink, status FROM notification_deliveries WHERE promotion_id = ${id} ORDER BY seq`.execute(svc.database.handle.db)).rows;
  const createAndAbort = async (namespace: string) => {
    const created = await svc.app.inject({ method: 'POST', url: '/v1/promotions', payload: { target: { namespace, deployment: 'web', container: 'app' }, image: 'registry.example/web:2.0.0', policy: 'web' } });
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id as string;
    expect(await rows(id)).toEqual([]);
    const aborted = await svc.app.inject({ method: 'POST', url: `/v1/promotions/${id}/abort` });
    expect(aborted.json().state).toBe('aborted');
    return id;
  };

  it('an immediate abort writes its notification with the state change; creation writes none', async () => {
    const id = await createAndAbort('watched');
    expect(await rows(id)).toEqual([{ event_type: 'aborted', sink: 'bus', status: 'pending' }]);
    const listed = await svc.app.inject({ method: 'GET', url: `/v1/promotions/${id}/notifications` });
    expect(listed.json().items).toMatchObject([{ sink: 'bus', event: 'aborted', status: 'pending', attempts: 0, lastStatusCode: null }]);
    // The sink's URL is not shown.
    expect(listed.body).not.toContain('127.0.0.1:9');
  });

  it('a promotion outside the sink filters writes none', async () => {
    expect(await rows(await createAndAbort('unwatched'))).toEqual([]);
  });
});
