/**
 * `promote --wait` against the real service, the test playing the engine (state changes and measurements
 * written to the database): plain lines off a terminal, a live view on one, --json, and exit codes 0/1.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPromoterClient, type Policy, type PromoterClient, type PromotionDetail } from '@promoter/sdk';
import { samplePolicy, startTestService, type TestService } from '../fixtures/service.js';
import { later, movePromotion, recordCheckResult } from '../sdk/drive-promotion.js';
import { cli } from './run-cli.js';

let svc: TestService;
let client: PromoterClient;
let url: string;

beforeAll(async () => {
  svc = await startTestService({ listen: true, streamPollMs: 50 });
  url = svc.url;
  client = createPromoterClient({ baseUrl: url });
  await client.policies.put('zai-proxy-default', samplePolicy() as Policy);
});

afterAll(async () => {
  await svc?.close();
});

const promote = (deployment: string, ...extra: string[]) => [
  'promote', '-n', 'mcp', '-d', deployment, '-c', 'proxy', '--from', `${deployment}-test`, '--strip-suffix', '-canary', '--policy', 'zai-proxy-default', '--wait', ...extra,
];

/** Waits for the promotion the CLI is about to create on `deployment`, then runs `engine` on it. */
function whenCreated(deployment: string, engine: (id: string) => Promise<void>): Promise<void> {
  const deadline = Date.now() + 5_000;
  const poll = async (): Promise<void> => {
    const page = await client.promotions.list({ deployment, limit: 1 });
    const id = page.items[0]?.id;
    if (id) return engine(id);
    if (Date.now() > deadline) throw new Error(`no promotion of ${deployment} appeared`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    return poll();
  };
  return poll();
}

it('--wait (not a terminal) prints plain lines and exits 1 when the promotion is aborted', async () => {
  const aborter = whenCreated('plain-aborted', (id) => later(200, () => client.promotions.abort(id, { reason: 'stopped by the on-call' })));
  const result = await cli(promote('plain-aborted', '--reason', 'release 1.2.1'), { url });
  await aborter;

  expect(result.code).toBe(1);
  expect(result.stderr).toBe('');
  expect(result.stdout).not.toMatch(/\u001b\[/);
  const lines = result.stdout.split('\n');
  expect(lines[0]).toMatch(/^Promotion [0-9a-f-]{36}: mcp\/plain-aborted \(container proxy\) <- the image of plain-aborted-test/);
  expect(lines[1]).toMatch(/^\d\d:\d\d:\d\d {2}created -> pending {2}release 1\.2\.1 {2}\(anonymous\)$/);
  expect(lines[2]).toMatch(/^\d\d:\d\d:\d\d {2}pending -> aborted {2}stopped by the on-call {2}\(anonymous\)$/);
  expect(result.stdout).toMatch(/✗ promotion [0-9a-f-]{36} aborted: stopped by the on-call\n$/);
});

it('--wait shows each measurement against its bound and exits 1 when the gate rejects', async () => {
  const db = svc.database.handle.db;
  const engine = whenCreated('gate-rejected', async (id) => {
    await later(100, () => movePromotion(db, id, 'analyzing', { reason: 'running the 1 pre-promotion checks' }));
    await recordCheckResult(db, id, { check: 'canary-error-rate', phase: 'pre', sample: 1, result: 'pass', value: 0.012, bound: 'max 0.05' });
    await later(100, () => recordCheckResult(db, id, { check: 'canary-error-rate', phase: 'pre', sample: 2, result: 'fail', value: 0.12, bound: 'max 0.05' }));
    await movePromotion(db, id, 'rejected', { reason: 'pre-promotion gate: canary-error-rate 0.12 > max 0.05; nothing was patched', verdict: 'fail' });
  });
  const result = await cli(promote('gate-rejected'), { url });
  await engine;

  expect(result.code).toBe(1);
  expect(result.stdout).toContain('pending -> analyzing  running the 1 pre-promotion checks');
  expect(result.stdout).toContain('✓ canary-error-rate [pre #1] 0.012 (max 0.05)');
  expect(result.stdout).toContain('✗ canary-error-rate [pre #2] 0.12 (max 0.05)');
  expect(result.stdout).toContain('analyzing -> rejected  pre-promotion gate: canary-error-rate 0.12 > max 0.05');
  // The measurement that rejects is shown before the state change it causes.
  expect(result.stdout.indexOf('[pre #2]')).toBeLessThan(result.stdout.indexOf('analyzing -> rejected'));
  expect(result.stdout).toMatch(/Checks \(latest measurement\)\n {2}✗ canary-error-rate \[pre #2\] 0\.12 \(max 0\.05\)/);
  expect(result.stdout).toMatch(/✗ promotion \S+ rejected: pre-promotion gate/);
});

it('--wait --json prints only the final record on stdout (progress on stderr); a dry run that passes exits 0', async () => {
  const db = svc.database.handle.db;
  const engine = whenCreated('dry-run', async (id) => {
    await later(100, () => movePromotion(db, id, 'analyzing'));
    await movePromotion(db, id, 'succeeded', { reason: 'dry run: the gate passed; nothing was patched', verdict: 'pass' });
  });
  const result = await cli(promote('dry-run', '--dry-run', '--json'), { url });
  await engine;

  expect(result.code).toBe(0);
  const final = result.json<PromotionDetail>();
  expect(final).toMatchObject({ dryRun: true, state: 'succeeded', verdict: 'pass' });
  expect(final.events.map((event) => event.to)).toEqual(['pending', 'analyzing', 'succeeded']);
  expect(result.stderr).toContain('analyzing -> succeeded');
});

it('on a terminal, --wait redraws a live block with the state and the checks; NO_COLOR drops the colours', async () => {
  const db = svc.database.handle.db;
  const engine = whenCreated('live', async (id) => {
    await later(100, () => movePromotion(db, id, 'analyzing'));
    await recordCheckResult(db, id, { check: 'canary-error-rate', phase: 'pre', sample: 1, result: 'pass', value: 0.01, bound: 'max 0.05' });
    await later(1_200, () => movePromotion(db, id, 'failed', { reason: 'kubernetes forbade the patch' }));
  });
  const result = await cli(promote('live'), { url, isTTY: true, columns: 80 });
  await engine;

  expect(result.code).toBe(1);
  // Cursor up + clear: the block is redrawn in place.
  expect(result.stdout).toMatch(/\u001b\[\d+F\u001b\[0J/);
  expect(result.stdout).toMatch(/\u001b\[32m✓\u001b\[39m canary-error-rate/);
  expect(result.stdout).toMatch(/analyzing\u001b\[39m \u001b\[2m\dm\d\ds/);

  const plainTty = whenCreated('live-no-color', (id) => later(200, () => client.promotions.abort(id)));
  const noColour = await cli(promote('live-no-color'), { url, isTTY: true, env: { NO_COLOR: '1' } });
  await plainTty;
  expect(noColour.code).toBe(1);
  expect(noColour.stdout).not.toMatch(/\u001b\[\d+m/);
  expect(noColour.stdout).toMatch(/\u001b\[\d+F\u001b\[0J/);
});

it('--timeout gives up waiting with exit 1 and says the promotion goes on', async () => {
  const result = await cli(promote('slow', '--timeout', '300ms'), { url });
  expect(result.code).toBe(1);
  expect(result.stderr).toMatch(/stopped waiting after 0s; promotion \S+ is still pending/);
  // Said once, where the promotion is known; not again as a generic error.
  expect(result.stderr).not.toContain('did not finish within');
});

it('an aborted signal (Ctrl-C) stops waiting with exit 130', async () => {
  const controller = new AbortController();
  setTimeout(() => controller.abort(), 400);
  const result = await cli(promote('interrupted'), { url, signal: controller.signal });
  expect(result.code).toBe(130);
  expect(result.stderr).toContain('interrupted; the promotion itself goes on');
  expect((await client.promotions.list({ deployment: 'interrupted' })).items[0]?.state).toBe('pending');
});
