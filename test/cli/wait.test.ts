/**
 * `promote --wait` against the real service with the real promotion engine moving the promotion
 * (in-memory cluster, canned Prometheus): plain lines off a terminal, a live view on one, --json, exit
 * codes 0/1, --timeout and Ctrl-C. Every state change and measurement shown was made by the engine.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createPromoterClient, type Policy, type PromoterClient, type PromotionDetail } from '@promoter/sdk';
import { CANARY_IMAGE, fastPolicy, NEW_IMAGE, OLD_IMAGE, startMemoryEngine, waitForState, type MemoryEngine } from '../fixtures/memory-engine.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { cli } from './run-cli.js';

let svc: TestService;
let client: PromoterClient;
let url: string;
let world: MemoryEngine;

beforeAll(async () => {
  svc = await startTestService({ listen: true, streamPollMs: 50 });
  url = svc.url;
  client = createPromoterClient({ baseUrl: url });
  await client.policies.put('zai-proxy-default', fastPolicy() as Policy);
  // The same gate, then a person approves: the promotion waits in awaiting_approval until then.
  await client.policies.put('zai-proxy-gated', fastPolicy({ approval: 'required' }) as Policy);
  world = startMemoryEngine(svc);
  world.prometheus.answer(/error_ratio/, 0.01);
});

afterAll(async () => {
  await world?.stop();
  await svc?.close();
});

/** `promote --wait` of `deployment` from its canary `<deployment>-test`, both added to the cluster. */
const promote = (deployment: string, policy: 'zai-proxy-default' | 'zai-proxy-gated', ...extra: string[]) => {
  world.addTarget(deployment);
  return ['promote', '-n', 'mcp', '-d', deployment, '-c', 'proxy', '--from', `${deployment}-test`, '--strip-suffix', '-canary', '--policy', policy, '--wait', ...extra];
};

/** Waits for the promotion the CLI is about to create on `deployment`, then runs `then` with its id. */
function whenCreated(deployment: string, then: (id: string) => Promise<unknown>): Promise<void> {
  const deadline = Date.now() + 10_000;
  const poll = async (): Promise<void> => {
    const page = await client.promotions.list({ deployment, limit: 1 });
    const id = page.items[0]?.id;
    if (id) {
      await then(id);
      return;
    }
    if (Date.now() > deadline) throw new Error(`no promotion of ${deployment} appeared`);
    await new Promise((resolve) => setTimeout(resolve, 20));
    return poll();
  };
  return poll();
}

/** When the promotion of `deployment` waits for approval, `then` runs. */
const whenAwaitingApproval = (deployment: string, then: (id: string) => Promise<unknown>) =>
  whenCreated(deployment, async (id) => {
    await waitForState(svc, id, ['awaiting_approval']);
    await then(id);
  });

it('--wait (not a terminal) prints plain lines and exits 1 when the promotion is aborted', async () => {
  const aborter = whenAwaitingApproval('plain-aborted', (id) => world.whileStopped(() => client.promotions.abort(id, { reason: 'stopped by the on-call' })));
  const result = await cli(promote('plain-aborted', 'zai-proxy-gated', '--reason', 'release 1.2.1'), { url });
  await aborter;

  expect(result.code).toBe(1);
  expect(result.stderr).toBe('');
  expect(result.stdout).not.toMatch(/\u001b\[/);
  const lines = result.stdout.split('\n');
  expect(lines[0]).toMatch(/^Promotion [0-9a-f-]{36}: mcp\/plain-aborted \(container proxy\) <- the image of plain-aborted-test/);
  // The engine's state changes, one line each, in order (a person's carry the actor).
  const changes = lines.filter((line) => /^\d\d:\d\d:\d\d {2}\S+ -> /.test(line)).map((line) => line.slice(10));
  expect(changes).toEqual([
    'created -> pending  release 1.2.1  (anonymous)',
    'pending -> analyzing  running the 1 pre-promotion check',
    'analyzing -> awaiting_approval  gate passed (the 1 check passed); waiting for approval',
    'awaiting_approval -> aborted  stopped by the on-call  (anonymous)',
  ]);
  // Each measurement once, against its bound; both taken before the gate passed.
  const gatePassed = lines.findIndex((line) => line.includes('-> awaiting_approval'));
  expect(lines.indexOf('  ✓ canary-error-rate [pre #1] 0.01 (<= 0.05)')).toBeGreaterThan(0);
  expect(lines.indexOf('  ✓ canary-error-rate [pre #2] 0.01 (<= 0.05)')).toBeGreaterThan(0);
  expect(lines.indexOf('  ✓ canary-error-rate [pre #2] 0.01 (<= 0.05)')).toBeLessThan(gatePassed);
  expect(lines[gatePassed + 1]).toMatch(/^ {2}approve with: promoter approve [0-9a-f-]{36}$/);
  expect(result.stdout).toMatch(/✗ promotion [0-9a-f-]{36} aborted: stopped by the on-call\n$/);
  expect(world.image('plain-aborted')).toBe(OLD_IMAGE);
});

it('--wait shows each measurement against its bound and exits 1 when the gate rejects', async () => {
  // The canary's first measurement passes, the second does not.
  world.prometheus.answerInTurn(/deployment="gate-rejected",variant="canary"/, [0.012, 0.12]);
  const result = await cli(promote('gate-rejected', 'zai-proxy-default'), { url });

  expect(result.code).toBe(1);
  const rejection = 'pre-promotion gate: canary-error-rate failed 1 of 2 measurements; 0 tolerated (canary-error-rate = 0.12 > max 0.05); nothing was patched';
  expect(result.stdout).toContain('pending -> analyzing  running the 1 pre-promotion check');
  expect(result.stdout).toContain('  ✓ canary-error-rate [pre #1] 0.012 (<= 0.05)\n');
  expect(result.stdout).toContain('  ✗ canary-error-rate [pre #2] 0.12 (<= 0.05)\n');
  expect(result.stdout).toContain(`analyzing -> rejected  ${rejection}\n`);
  // The measurement that rejects is shown before the state change it causes.
  expect(result.stdout.indexOf('[pre #2]')).toBeLessThan(result.stdout.indexOf('analyzing -> rejected'));
  expect(result.stdout).toMatch(/Checks \(latest measurement\)\n {2}✗ canary-error-rate \[pre #2\] 0\.12 \(<= 0\.05\)/);
  expect(result.stdout).toMatch(new RegExp(`✗ promotion \\S+ rejected: ${rejection.replace(/[()]/g, '\\$&')}\\n$`));
  expect(world.image('gate-rejected')).toBe(OLD_IMAGE);
});

it('--wait --json prints only the final record on stdout (progress on stderr); a dry run that passes exits 0', async () => {
  const result = await cli(promote('dry-run', 'zai-proxy-default', '--dry-run', '--json'), { url });

  expect(result.code).toBe(0);
  const final = result.json<PromotionDetail>();
  expect(final).toMatchObject({
    dryRun: true,
    state: 'succeeded',
    verdict: 'pass',
    resolvedImage: NEW_IMAGE,
    previousImage: OLD_IMAGE,
    stateReason: `dry run: the gate passed (the 1 check passed); would set proxy from ${OLD_IMAGE} to ${NEW_IMAGE}; nothing was patched`,
  });
  expect(final.events.map((event) => event.to)).toEqual(['pending', 'analyzing', 'succeeded']);
  expect(result.stderr).toContain('analyzing -> succeeded  dry run: the gate passed');
  expect(result.stderr).toContain('✓ canary-error-rate [pre #2] 0.01 (<= 0.05)');
  // A dry run patches nothing: production still runs the old image, the canary its own.
  expect(world.image('dry-run')).toBe(OLD_IMAGE);
  expect(world.image('dry-run-test')).toBe(CANARY_IMAGE);
});

it('on a terminal, --wait redraws a live block with the state and the checks; NO_COLOR drops the colours', async () => {
  // Approved once it waits for approval; the cluster then refuses the patch, so the promotion fails.
  const engine = whenAwaitingApproval('live', async (id) => {
    world.forbidNextPatch();
    await client.promotions.approve(id, { reason: 'gate looked fine' });
  });
  const result = await cli(promote('live', 'zai-proxy-gated'), { url, isTTY: true, columns: 80 });
  await engine;

  expect(result.code).toBe(1);
  // Cursor up + clear: the block is redrawn in place.
  expect(result.stdout).toMatch(/\u001b\[\d+F\u001b\[0J/);
  expect(result.stdout).toMatch(/\u001b\[32m✓\u001b\[39m canary-error-rate/);
  // The block's first line: the state, then the time spent.
  expect(result.stdout).toMatch(/awaiting_approval\u001b\[39m \u001b\[2m\dm\d\ds/);
  expect(result.stdout).toMatch(/promotion \S+ \S*failed\S*: Kubernetes: patch deployment mcp\/live: deployments\.apps "live" is forbidden: .*; the Deployment was left as it was found\n$/);
  expect(world.image('live')).toBe(OLD_IMAGE);

  const plainTty = whenAwaitingApproval('live-no-color', (id) => world.whileStopped(() => client.promotions.abort(id)));
  const noColour = await cli(promote('live-no-color', 'zai-proxy-gated'), { url, isTTY: true, env: { NO_COLOR: '1' } });
  await plainTty;
  expect(noColour.code).toBe(1);
  expect(noColour.stdout).not.toMatch(/\u001b\[\d+m/);
  expect(noColour.stdout).toMatch(/\u001b\[\d+F\u001b\[0J/);
  expect(noColour.stdout).toMatch(/✗ promotion \S+ aborted: aborted on request\n$/);
});

it('--timeout gives up waiting with exit 1 and says the promotion goes on', async () => {
  const result = await cli(promote('slow', 'zai-proxy-gated', '--timeout', '1s'), { url });
  expect(result.code).toBe(1);
  const said = /stopped waiting after 1s; promotion (\S+) is still (\S+) \(see: promoter status \1\)/.exec(result.stderr);
  expect(said, result.stderr).not.toBeNull();
  // Whichever state the engine had reached when the wait gave up: one before the approval it waits for.
  expect(['pending', 'analyzing', 'awaiting_approval']).toContain(said?.[2]);
  // Said once, where the promotion is known; not again as a generic error.
  expect(result.stderr).not.toContain('did not finish within');
  // And it does go on: the engine brings it to the approval gate.
  await waitForState(svc, said?.[1] ?? '', ['awaiting_approval']);
});

it('an aborted signal (Ctrl-C) stops waiting with exit 130', async () => {
  const controller = new AbortController();
  const interrupt = whenAwaitingApproval('interrupted', async () => controller.abort());
  const result = await cli(promote('interrupted', 'zai-proxy-gated'), { url, signal: controller.signal });
  await interrupt;
  expect(result.code).toBe(130);
  expect(result.stderr).toContain('interrupted; the promotion itself goes on');
  expect((await client.promotions.list({ deployment: 'interrupted' })).items[0]?.state).toBe('awaiting_approval');
});
