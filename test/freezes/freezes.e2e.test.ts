/**
 * Deployment freezes end to end: the real HTTP API and engine on PostgreSQL, real Prometheus scraping an
 * exporter, and the fake Kubernetes API. A freeze holds a promotion in `frozen` and lets it go when it
 * ends, while a rollback inside a freeze still happens; an admin may override; a freeze elsewhere holds
 * nothing; bad freezes are refused naming the field.
 */
import type { LightMyRequestResponse } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { FakeKube } from '@promoter/fake-kube';
import type { PromotionEngine } from '../../services/promoter/src/engine/promotion-engine.js';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { startEngine, fakeKubeClient } from '../fixtures/engine.js';
import { ERROR_RATIO_QUERY, startRunbookStack, type RunbookStack } from '../fixtures/runbook-stack.js';
import { startTestService, type TestService } from '../fixtures/service.js';

const POLICY = { interval: '1s', bake: '1s', rolloutTimeout: '5s', checks: [{ name: 'error-rate', phases: ['pre', 'post'], query: ERROR_RATIO_QUERY, max: 0.05 }] };
const SECRETS = { admin: 'freeze-admin-secret-0123456789', operator: 'freeze-operator-secret-012345' };
const FINAL = ['succeeded', 'rejected', 'rolled_back', 'failed', 'aborted'];

type Event = { type: string; to: string | null; reason: string; actor: string; at: string; data: Record<string, unknown> | null };

describe('deployment freezes end to end', () => {
  let stack: RunbookStack;
  let kube: FakeKube;
  let svc: TestService;
  let engine: PromotionEngine;

  const call = (who: keyof typeof SECRETS, method: string, url: string, payload?: unknown): Promise<LightMyRequestResponse> =>
    svc.app.inject({
      method: method as 'GET',
      url,
      headers: { authorization: `Bearer ${SECRETS[who]}` },
      ...(payload === undefined ? {} : { payload: payload as Record<string, unknown> }),
    });
  const putFreeze = async (name: string, body: unknown) => {
    const response = await call('admin', 'PUT', `/v1/freezes/${name}`, body);
    assertMatchesSpec('putFreeze', response);
    expect(response.statusCode, response.body).toBeLessThan(300);
    return response.json() as { name: string; active: boolean; until: string | null; version: number };
  };
  const promote = async (namespace: string) => {
    const response = await call('operator', 'POST', '/v1/promotions', {
      target: { namespace, deployment: 'web', container: 'app' },
      source: { deployment: 'web-canary', tagSuffixToStrip: '-canary' },
      policy: 'web',
    });
    expect(response.statusCode, response.body).toBe(201);
    return response.json().id as string;
  };
  /** Polls the promotion (as the operator: these tokens guard the API) until it is in one of `states`. */
  const waitForState = async (_svc: TestService, id: string, states: readonly string[], timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    let last: (Record<string, unknown> & { state: string }) | undefined;
    while (Date.now() < deadline) {
      last = (await call('operator', 'GET', `/v1/promotions/${id}`)).json();
      if (last && states.includes(last.state)) return last;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`promotion ${id} did not reach ${states.join('|')}; last: ${JSON.stringify(last)?.slice(0, 2000)}`);
  };
  const image = (namespace: string) => kube.getDeployment(namespace, 'web')?.spec.template.spec.containers[0]?.image;
  const fromNow = (ms: number) => new Date(Date.now() + ms).toISOString();

  beforeAll(async () => {
    stack = await startRunbookStack({ namespaces: ['held', 'rollback', 'override', 'elsewhere', 'abort'] });
    kube = stack.kube;
    const prometheus = stack.prometheusClient();
    svc = await startTestService({
      prometheus,
      kube: fakeKubeClient(kube),
      apiTokens: [
        { name: 'root', role: 'admin', namespaces: undefined, secret: SECRETS.admin },
        { name: 'ops', role: 'operator', namespaces: undefined, secret: SECRETS.operator },
      ],
    });
    expect((await call('admin', 'PUT', '/v1/policies/web', POLICY)).statusCode).toBe(201);
    engine = startEngine(svc, kube, prometheus);
  }, 90_000);

  afterAll(async () => {
    await engine?.stop();
    await svc?.close();
    await stack?.close();
  });

  it('holds a promotion in frozen while the freeze lasts, then runs the gate again and promotes', async () => {
    const end = fromNow(5_000);
    const freeze = await putFreeze('release-week', { window: { start: fromNow(-1_000), end }, scope: { namespaces: ['held'] }, reason: 'release week' });
    expect(freeze).toMatchObject({ active: true, until: new Date(end).toISOString(), version: 1 });
    const id = await promote('held');
    const frozen = await waitForState(svc, id, ['frozen', ...FINAL]);
    expect(frozen.state).toBe('frozen');
    expect(frozen.hold).toEqual({ freeze: 'release-week', reason: 'release week', until: new Date(end).toISOString() });
    expect(frozen.stateReason).toContain("held by freeze 'release-week' (release week) until");
    const read = await call('operator', 'GET', `/v1/promotions/${id}`);
    assertMatchesSpec('getPromotion', read);
    expect(image('held')).toBe('registry.example/web:1.0.0');

    const done = await waitForState(svc, id, FINAL, 30_000);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    expect(done.hold).toBeNull();
    expect(image('held')).toBe('registry.example/web:1.1.0');
    const events = done.events as Event[];
    const transitions = events.filter((e) => e.type === 'transition').map((e) => e.to);
    expect(transitions).toEqual(['frozen', 'analyzing', 'promoting', 'verifying', 'succeeded']);
    expect(events.find((e) => e.to === 'frozen')?.data).toEqual({ hold: { freeze: 'release-week', reason: 'release week', until: new Date(end).toISOString() } });
    expect(events.find((e) => e.type === 'freeze')?.reason).toBe("freeze 'release-week' no longer holds");
    // Nothing was patched before the freeze ended.
    const promoting = events.find((e) => e.to === 'promoting');
    expect(Date.parse(promoting?.at ?? '')).toBeGreaterThanOrEqual(Date.parse(end));
  }, 60_000);

  it('never holds a rollback: a succeeded promotion rolls back inside a freeze', async () => {
    const id = await promote('rollback');
    expect((await waitForState(svc, id, FINAL)).state).toBe('succeeded');
    await putFreeze('rollback-freeze', { window: { start: fromNow(-1_000), end: fromNow(600_000) }, scope: { namespaces: ['rollback'] }, reason: 'incident review' });
    const requested = await call('operator', 'POST', `/v1/promotions/${id}/rollback`, { reason: 'bad release' });
    expect(requested.statusCode, requested.body).toBe(200);
    const done = await waitForState(svc, id, ['rolled_back', 'failed']);
    expect(done.state).toBe('rolled_back');
    expect(image('rollback')).toBe('registry.example/web:1.0.0');
    // And a new promotion there is held by the same freeze.
    const next = await promote('rollback');
    expect((await waitForState(svc, next, ['frozen', ...FINAL])).state).toBe('frozen');
    expect((await call('operator', 'POST', `/v1/promotions/${next}/abort`, { reason: 'not this week' })).statusCode).toBe(200);
    expect((await waitForState(svc, next, FINAL)).state).toBe('aborted');
  }, 60_000);

  it('lets an admin override a freeze for one promotion; an operator may not', async () => {
    await putFreeze('long-freeze', { window: { start: fromNow(-1_000), end: fromNow(3_600_000) }, scope: { namespaces: ['override'] }, reason: 'quarter end' });
    const id = await promote('override');
    expect((await waitForState(svc, id, ['frozen', ...FINAL])).state).toBe('frozen');
    const refused = await call('operator', 'POST', `/v1/promotions/${id}/override-freeze`, { reason: 'please' });
    assertMatchesSpec('overrideFreeze', refused);
    expect(refused.statusCode).toBe(403);
    const missingReason = await call('admin', 'POST', `/v1/promotions/${id}/override-freeze`, {});
    expect(missingReason.statusCode).toBe(422);
    const overridden = await call('admin', 'POST', `/v1/promotions/${id}/override-freeze`, { reason: 'security fix' });
    assertMatchesSpec('overrideFreeze', overridden);
    expect(overridden.statusCode, overridden.body).toBe(200);
    expect(overridden.json().freezeOverride).toMatchObject({ by: 'root', reason: 'security fix' });
    const done = await waitForState(svc, id, FINAL);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    const freezeEvents = (done.events as Event[]).filter((e) => e.type === 'freeze');
    expect(freezeEvents[0]).toMatchObject({ actor: 'root', reason: 'freezes overridden: security fix' });
    expect(freezeEvents[1]?.reason).toBe('freezes overridden by root (security fix)');
    // Once the promotion is over there is nothing to override.
    const late = await call('admin', 'POST', `/v1/promotions/${id}/override-freeze`, { reason: 'again' });
    expect(late.statusCode).toBe(409);
  }, 60_000);

  it('honours a freeze changed or ended meanwhile: the hold follows a new end, and an ended freeze lets go at once', async () => {
    const start = fromNow(-1_000);
    const firstEnd = fromNow(3_600_000);
    await putFreeze('maintenance', { window: { start, end: firstEnd }, scope: { namespaces: ['abort'] }, reason: 'maintenance' });
    const id = await promote('abort');
    expect((await waitForState(svc, id, ['frozen', ...FINAL])).hold).toMatchObject({ freeze: 'maintenance', until: new Date(firstEnd).toISOString() });
    const laterEnd = fromNow(7_200_000);
    await putFreeze('maintenance', { window: { start, end: laterEnd }, scope: { namespaces: ['abort'] }, reason: 'maintenance, extended' });
    const deadline = Date.now() + 10_000;
    let hold: unknown;
    while (Date.now() < deadline) {
      hold = (await call('operator', 'GET', `/v1/promotions/${id}`)).json().hold;
      if ((hold as { until?: string } | null)?.until === new Date(laterEnd).toISOString()) break;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    expect(hold).toEqual({ freeze: 'maintenance', reason: 'maintenance, extended', until: new Date(laterEnd).toISOString() });
    const endedAt = Date.now();
    expect((await call('admin', 'DELETE', '/v1/freezes/maintenance')).statusCode).toBe(204);
    const done = await waitForState(svc, id, FINAL);
    expect(done.state, String(done.stateReason)).toBe('succeeded');
    const resumed = (done.events as Event[]).find((e) => e.type === 'transition' && e.to === 'analyzing');
    // At once, not at the next minute's look.
    expect(Date.parse(resumed?.at ?? '') - endedAt).toBeLessThan(10_000);
    expect((done.events as Event[]).filter((e) => e.type === 'freeze').map((e) => e.reason)).toEqual([
      "now held by freeze 'maintenance' (maintenance, extended) until " + new Date(laterEnd).toISOString(),
      "freeze 'maintenance' no longer holds",
    ]);
  }, 60_000);

  it('does not hold a promotion outside the freeze scope', async () => {
    await putFreeze('other-team', { window: { start: fromNow(-1_000), end: fromNow(600_000) }, scope: { namespaces: ['held', 'override'] }, reason: 'their freeze' });
    await putFreeze('other-cluster', { window: { start: fromNow(-1_000), end: fromNow(600_000) }, scope: { clusters: ['eu-west'] }, reason: 'another cluster' });
    await putFreeze('a-pipeline', { window: { start: fromNow(-1_000), end: fromNow(600_000) }, scope: { pipelines: ['payments'] }, reason: 'pipeline stages only' });
    const id = await promote('elsewhere');
    const done = await waitForState(svc, id, FINAL);
    expect(done.state).toBe('succeeded');
    expect((done.events as Event[]).some((e) => e.to === 'frozen')).toBe(false);
  }, 60_000);

  it('lists freezes with whether they hold now, keeps versions, and ends one on delete', async () => {
    const weekly = await putFreeze('weekends', { window: { weekly: { days: ['sat', 'sun'], from: '00:00', to: '24:00', timeZone: 'Europe/Berlin' } }, reason: 'weekend' });
    expect(weekly.version).toBe(1);
    const again = await call('admin', 'PUT', '/v1/freezes/weekends', { window: { weekly: { days: ['sat', 'sun'], from: '00:00', to: '24:00', timeZone: 'Europe/Berlin' } }, reason: 'weekend' });
    expect(again.statusCode).toBe(200);
    expect(again.json().version).toBe(1);
    const changed = await putFreeze('weekends', { window: { weekly: { days: ['sun'], from: '00:00', to: '24:00', timeZone: 'Europe/Berlin' } }, reason: 'sundays' });
    expect(changed.version).toBe(2);
    const list = await call('operator', 'GET', '/v1/freezes');
    assertMatchesSpec('listFreezes', list);
    const listed = (list.json().items as { name: string; active: boolean; until: string | null }[]).find((f) => f.name === 'weekends');
    const berlinDay = new Date().toLocaleString('en-GB', { timeZone: 'Europe/Berlin', weekday: 'short' });
    expect(listed?.active).toBe(berlinDay === 'Sun');
    expect(listed?.until === null).toBe(berlinDay !== 'Sun');
    const deleted = await call('admin', 'DELETE', '/v1/freezes/weekends');
    assertMatchesSpec('deleteFreeze', deleted);
    expect(deleted.statusCode).toBe(204);
    expect((await call('operator', 'GET', '/v1/freezes/weekends')).statusCode).toBe(404);
    expect((await call('admin', 'DELETE', '/v1/freezes/weekends')).statusCode).toBe(404);
    const versions = await svc.database.handle.db.selectFrom('freeze_versions').select(['version', 'reason']).where('name', '=', 'weekends').orderBy('version').execute();
    expect(versions).toEqual([{ version: 1, reason: 'weekend' }, { version: 2, reason: 'sundays' }]);
    // Put again after its end, it continues the numbering.
    expect((await putFreeze('weekends', { window: { weekly: { days: ['sun'], from: '00:00', to: '24:00', timeZone: 'Europe/Berlin' } }, reason: 'back' })).version).toBe(3);
  });

  it('refuses bad freezes with 422 naming the field', async () => {
    const cases: ReadonlyArray<[string, unknown, string]> = [
      ['an unknown time zone', { window: { weekly: { days: ['sat'], from: '18:00', to: '08:00', timeZone: 'Europe/Atlantis' } }, reason: 'x' }, '/body/window/weekly/timeZone'],
      ['an end before the start', { window: { start: '2026-12-27T00:00:00Z', end: '2026-12-24T00:00:00Z' }, reason: 'x' }, '/body/window/end'],
      ['an unknown day', { window: { weekly: { days: ['sat', 'caturday'], from: '18:00', to: '08:00', timeZone: 'UTC' } }, reason: 'x' }, '/body/window/weekly/days/1'],
      ['a malformed time', { window: { weekly: { days: ['sat'], from: '6pm', to: '08:00', timeZone: 'UTC' } }, reason: 'x' }, '/body/window/weekly/from'],
      ['a start that is no instant', { window: { start: 'tomorrow', end: '2026-12-24T00:00:00Z' }, reason: 'x' }, '/body/window/start'],
      ['both kinds of window', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-25T00:00:00Z', weekly: { days: ['sat'], from: '18:00', to: '08:00', timeZone: 'UTC' } }, reason: 'x' }, '/body/window/start'],
      ['no window at all', { window: {}, reason: 'x' }, '/body/window/start'],
      ['an unknown scope', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-25T00:00:00Z' }, scope: { teams: ['a'] }, reason: 'x' }, '/body/scope/teams'],
      ['a namespace that is no DNS label', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-25T00:00:00Z' }, scope: { namespaces: ['Not_A_Namespace'] }, reason: 'x' }, '/body/scope/namespaces/0'],
      ['a reason too long', { window: { start: '2026-12-24T00:00:00Z', end: '2026-12-25T00:00:00Z' }, reason: 'x'.repeat(501) }, '/body/reason'],
    ];
    for (const [name, body, pointer] of cases) {
      const response = await call('admin', 'PUT', '/v1/freezes/bad', body);
      assertMatchesSpec('putFreeze', response);
      expect(response.statusCode, name).toBe(422);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json().code).toBe('validation-failed');
      expect(response.json().errors.map((e: { pointer: string }) => e.pointer), `${name}: ${response.body}`).toContain(pointer);
    }
    // One error for one mistake: the weekly window's bad day is not drowned in the fixed window's fields.
    const day = await call('admin', 'PUT', '/v1/freezes/bad', { window: { weekly: { days: ['caturday'], from: '18:00', to: '08:00', timeZone: 'UTC' } }, reason: 'x' });
    expect(day.json().errors).toEqual([{ pointer: '/body/window/weekly/days/0', detail: expect.stringContaining('must be one of') }]);
    expect((await call('admin', 'GET', '/v1/freezes/bad')).statusCode).toBe(404);
  });
});
