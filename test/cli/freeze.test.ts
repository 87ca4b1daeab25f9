/**
 * `promoter freeze`: put, list, get, delete and override against the real service, with the real engine
 * (in-memory cluster, canned Prometheus) holding a promotion while a freeze lasts; `status` says so.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startMemoryEngine, waitForState, type MemoryEngine } from '../fixtures/memory-engine.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { cli } from './run-cli.js';

let svc: TestService;
let url: string;
let world: MemoryEngine;

const POLICY = { interval: '500ms', bake: '500ms', checks: [{ name: 'errors', phases: ['pre'], query: 'sum(rate(zai_proxy_requests_total[5m]))', max: 0.05 }] };

beforeAll(async () => {
  svc = await startTestService({ listen: true });
  url = svc.url;
  expect((await svc.app.inject({ method: 'PUT', url: '/v1/policies/quick', payload: POLICY })).statusCode).toBe(201);
  world = startMemoryEngine(svc);
  world.prometheus.answer(/zai_proxy_requests_total/, 0.01);
  world.addTarget('frozen-proxy');
});

afterAll(async () => {
  await world?.stop();
  await svc?.close();
});

describe('promoter freeze', () => {
  it('puts a freeze that holds a promotion (status says by which and until when), overrides it, lists and ends freezes', async () => {
    const end = new Date(Date.now() + 3_600_000).toISOString();
    const put = await cli(['freeze', 'put', 'quarter-end', '--from', new Date(Date.now() - 1_000).toISOString(), '--to', end, '-n', 'mcp', '--reason', 'quarter end'], { url });
    expect(put, put.stderr).toMatchObject({ code: 0 });
    expect(put.stdout).toBe(`Freeze quarter-end is at version 1; holds now, until ${end}.\n`);

    const promoted = await cli(['promote', '-n', 'mcp', '-d', 'frozen-proxy', '-c', 'proxy', '--image', 'registry.example.com/mcp/zai-proxy:1.2.1', '--policy', 'quick', '--json'], { url });
    expect(promoted.code, promoted.stderr).toBe(0);
    const id = promoted.json<{ id: string }>().id;
    await waitForState(svc, id, ['frozen']);
    const status = await cli(['status', id, '--no-color'], { url });
    expect(status.stdout).toContain(`frozen by quarter-end until ${end} (quarter end)`);

    const list = await cli(['freeze', 'list', '--no-color'], { url });
    expect(list.stdout).toContain(`quarter-end v1  holding until ${end}`);
    expect(list.stdout).toContain('namespaces mcp  quarter end');

    const override = await cli(['freeze', 'override', id, '--reason', 'hotfix'], { url });
    expect(override, override.stderr).toMatchObject({ code: 0 });
    expect((await waitForState(svc, id, ['succeeded', 'failed', 'rejected'])).state).toBe('succeeded');

    expect((await cli(['freeze', 'delete', 'quarter-end'], { url })).stdout).toBe('Freeze quarter-end ended (its versions stay in the history).\n');
    expect((await cli(['freeze', 'list'], { url })).stdout).toBe('No freezes.\n');
  });

  it('puts a weekly freeze, and reports the field at fault for a bad one', async () => {
    const weekly = await cli(['freeze', 'put', 'weekend', '--weekly', 'sat,sun', '--from', '00:00', '--to', '24:00', '--time-zone', 'Europe/Berlin', '--reason', 'weekend', '--json'], { url });
    expect(weekly.code, weekly.stderr).toBe(0);
    expect(weekly.json()).toMatchObject({ window: { weekly: { days: ['sat', 'sun'], from: '00:00', to: '24:00', timeZone: 'Europe/Berlin' } }, scope: {} });
    const bad = await cli(['freeze', 'put', 'bad', '--weekly', 'sat', '--from', '18:00', '--to', '08:00', '--time-zone', 'Mars/Base', '--reason', 'x'], { url });
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('/body/window/weekly/timeZone');
    const usage = await cli(['freeze', 'put', 'bad', '--weekly', 'sat', '--from', '18:00', '--to', '08:00', '--reason', 'x'], { url });
    expect(usage.code).toBe(2);
    expect(usage.stderr).toContain('--weekly needs --time-zone');
    expect((await cli(['freeze', 'delete', 'weekend'], { url })).code).toBe(0);
  });
});
