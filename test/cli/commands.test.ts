/**
 * The CLI's commands against the real service, with the real promotion engine moving the promotions
 * (in-memory cluster, canned Prometheus): output, --json documents and exit codes.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPromoterClient, type PolicyVersion, type Promotion, type PromotionDetail, type PromoterClient } from '@promoter/sdk';
import { assertMatchesSpec } from '../fixtures/contract.js';
import { NEW_IMAGE, OLD_IMAGE, startMemoryEngine, waitForState, type MemoryEngine } from '../fixtures/memory-engine.js';
import { startTestService, type TestService } from '../fixtures/service.js';
import { cli } from './run-cli.js';

let svc: TestService;
let client: PromoterClient;
let dir: string;
let url: string;
let world: MemoryEngine;

// Short durations keep the engine quick; the approval keeps each promotion at the gate until a test acts.
const POLICY_YAML = `# the gate of zai-proxy
name: zai-proxy-default
interval: 500ms
bake: 500ms
approval: required
checks:
  - name: canary-error-rate
    phases: [pre, rollout, post]
    query: |
      sum(rate(zai_proxy_requests_total{variant="{{variant}}",status=~"5.."}[5m]))
        / sum(rate(zai_proxy_requests_total{variant="{{variant}}"}[5m]))
    max: 0.05
`;

const promoteArgs = (deployment: string) => ['promote', '-n', 'mcp', '-d', deployment, '-c', 'proxy', '--from', 'zai-proxy-test', '--strip-suffix', '-canary', '--policy', 'zai-proxy-default'];

beforeAll(async () => {
  svc = await startTestService({ listen: true });
  url = svc.url;
  client = createPromoterClient({ baseUrl: url });
  dir = await mkdtemp(join(tmpdir(), 'promoter-cli-'));
  await writeFile(join(dir, 'zai-proxy-default.yaml'), POLICY_YAML);
  const applied = await cli(['policy', 'apply', '-f', 'zai-proxy-default.yaml'], { url, cwd: dir });
  expect(applied).toMatchObject({ code: 0, stderr: '' });
  world = startMemoryEngine(svc);
  world.prometheus.answer(/zai_proxy_requests_total/, 0.01);
  // The Deployment the promote tests name, and the canary they all promote from.
  world.addTarget('zai-proxy');
});

afterAll(async () => {
  await world?.stop();
  await svc?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('policy', () => {
  it('apply -f sends the YAML file and get shows the stored version', async () => {
    const got = await cli(['policy', 'get', 'zai-proxy-default', '--json'], { url });
    expect(got.code).toBe(0);
    const policy = got.json<PolicyVersion>();
    expect(policy).toMatchObject({ name: 'zai-proxy-default', version: 1, source: 'api' });
    expect(policy.document.checks[0]).toMatchObject({ name: 'canary-error-rate', max: 0.05 });

    // Unchanged file: same version. --name stores it under another name; the file's own name is ignored.
    expect((await cli(['policy', 'apply', '-f', join(dir, 'zai-proxy-default.yaml'), '--json'], { url })).json<PolicyVersion>().version).toBe(1);
    await writeFile(join(dir, 'nameless.yml'), POLICY_YAML.replace('name: zai-proxy-default\n', ''));
    const byFileName = await cli(['policy', 'apply', '-f', 'nameless.yml'], { url, cwd: dir });
    expect(byFileName.stdout).toContain('Policy nameless is at version 1 (1 check).');
    const renamed = await cli(['policy', 'apply', '-f', 'nameless.yml', '--name', 'other'], { url, cwd: dir });
    expect(renamed.code).toBe(0);

    const listed = await cli(['policy', 'list'], { url });
    expect(listed.stdout).toMatch(/zai-proxy-default\s+1\s+1\s+api/);
    const versions = await cli(['policy', 'versions', 'other', '--json'], { url });
    expect(versions.json<{ items: PolicyVersion[] }>().items.map((v) => v.version)).toEqual([1]);
    expect((await cli(['policy', 'delete', 'other'], { url })).code).toBe(0);
    expect((await cli(['policy', 'get', 'other'], { url })).code).toBe(1);
  });

  it('an invalid policy is refused with the fields at fault (exit 1); bad YAML is a usage error (exit 2)', async () => {
    await writeFile(join(dir, 'bad.yaml'), 'checks:\n  - name: Not Valid\n    max: 1\n');
    const refused = await cli(['policy', 'apply', '-f', 'bad.yaml'], { url, cwd: dir });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('HTTP 422 validation-failed');
    expect(refused.stderr).toMatch(/\/body\/checks\/0\/name/);

    await writeFile(join(dir, 'broken.yaml'), 'checks: [unclosed\n');
    const broken = await cli(['policy', 'apply', '-f', 'broken.yaml'], { url, cwd: dir });
    expect(broken.code).toBe(2);
    expect(broken.stderr).toContain('is not valid YAML');
    expect((await cli(['policy', 'apply', '-f', 'missing.yaml'], { url, cwd: dir })).stderr).toContain('ENOENT');
  });
});

describe('promote, status, list, events, actions', () => {
  it('promote --json prints the created promotion; the same --idempotency-key gives the same one', async () => {
    const first = await cli([...promoteArgs('zai-proxy'), '--reason', 'release 1.2.1', '--idempotency-key', 'release-1.2.1', '--json'], { url });
    expect(first).toMatchObject({ code: 0, stderr: '' });
    const promotion = first.json<Promotion>();
    expect(promotion).toMatchObject({
      state: 'pending',
      target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' },
      source: { deployment: 'zai-proxy-test', tagSuffixToStrip: '-canary' },
      reason: 'release 1.2.1',
    });
    assertMatchesSpec('createPromotion', { statusCode: 201, headers: { 'content-type': 'application/json' }, body: first.stdout });
    const again = await cli([...promoteArgs('zai-proxy'), '--reason', 'release 1.2.1', '--idempotency-key', 'release-1.2.1', '--json'], { url });
    expect(again.json<Promotion>().id).toBe(promotion.id);

    await waitForState(svc, promotion.id, ['awaiting_approval']);
    const status = await cli(['status', promotion.id, '--json'], { url });
    expect(status.code).toBe(0);
    assertMatchesSpec('getPromotion', { statusCode: 200, headers: { 'content-type': 'application/json' }, body: status.stdout });
    const detail = status.json<PromotionDetail>();
    expect(detail).toMatchObject({ id: promotion.id, state: 'awaiting_approval', verdict: 'pass' });
    expect(detail.events.map((event) => event.to ?? event.type)).toEqual(['pending', 'analyzing', 'awaiting_approval']);
    expect(detail.checkResults.map((result) => [result.phase, result.sample, result.value, result.result, result.bound])).toEqual([['pre', 1, 0.01, 'pass', '<= 0.05']]);

    const human = await cli(['status', promotion.id], { url });
    expect(human.stdout).toContain(`Promotion ${promotion.id}`);
    expect(human.stdout).toMatch(/state\s+awaiting_approval/);
    expect(human.stdout).toContain('the image of zai-proxy-test, tag suffix -canary stripped');
    expect(human.stdout).not.toContain('\u001b[');

    // A second promotion of the same target is refused: exit 1 with the problem on stderr.
    const busy = await cli(promoteArgs('zai-proxy'), { url });
    expect(busy.code).toBe(1);
    expect(busy.stderr).toContain('promotion-already-active');
    const busyJson = await cli([...promoteArgs('zai-proxy'), '--json'], { url });
    expect(busyJson.json<{ error: { code: string; status: number } }>().error).toMatchObject({ code: 'promotion-already-active', status: 409 });

    // With no engine replica holding it, an abort at the gate is applied by the API at once.
    const aborted = await world.whileStopped(() => cli(['abort', promotion.id, '--reason', 'not today'], { url }));
    expect(aborted).toMatchObject({ code: 0 });
    expect(aborted.stdout).toContain(`Promotion ${promotion.id} aborted: not today`);
    const events = await cli(['events', promotion.id], { url });
    expect(events.stdout).toMatch(/created -> pending[\s\S]*pending -> analyzing\s+running the 1 pre-promotion check[\s\S]*awaiting_approval -> aborted\s+not today/);
    const followed = await cli(['events', promotion.id, '--follow', '--json'], { url });
    expect(followed.stdout.trim().split('\n').map((line) => (JSON.parse(line) as { to: string }).to)).toEqual(['pending', 'analyzing', 'awaiting_approval', 'aborted']);
  });

  it('promote --via git sends the delivery: without configured repositories the API refuses it naming the field', async () => {
    const result = await cli([...promoteArgs('via-git'), '--via', 'git', '--repository', 'deploy', '--file', 'apps/x.yaml'], { url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('/body/delivery/via: no Git repositories are configured on this service');
  });

  it('status of an unknown promotion exits 1 with the problem', async () => {
    const result = await cli(['status', '00000000-0000-4000-8000-000000000000'], { url });
    expect(result.code).toBe(1);
    expect(result.stderr).toContain('Promotion not found');
    expect(result.stderr).toContain('HTTP 404 promotion-not-found');
    expect(result.stderr).toMatch(/request id: \S+/);
  });

  it('approve lets the engine promote; rollback reverts the promotion it completed', async () => {
    world.addTarget('gated');
    const gated = await client.promotions.create({ target: { namespace: 'mcp', deployment: 'gated', container: 'proxy' }, image: NEW_IMAGE, policy: 'zai-proxy-default' });
    await waitForState(svc, gated.id, ['awaiting_approval']);
    // Without a reason the CLI refuses before asking the service (a usage error, exit 2).
    const bare = await cli(['approve', gated.id], { url });
    expect(bare.code).toBe(2);
    expect(bare.stderr).toContain('approve needs --reason TEXT');
    const approved = await cli(['approve', gated.id, '--reason', 'dashboards fine'], { url });
    expect(approved.code).toBe(0);
    expect(approved.stdout).toContain('approved');
    const done = await waitForState(svc, gated.id, ['succeeded', 'failed', 'rolled_back']);
    expect(done).toMatchObject({ state: 'succeeded', stateReason: 'verified for 0.5s: the 1 check passed' });
    expect(world.image('gated')).toBe(NEW_IMAGE);

    const rolledBack = await cli(['rollback', gated.id, '--json'], { url });
    expect(rolledBack.code).toBe(0);
    expect(rolledBack.json<Promotion>().id).toBe(gated.id);
    const reverted = await waitForState(svc, gated.id, ['rolled_back', 'failed']);
    expect(reverted).toMatchObject({ state: 'rolled_back', stateReason: `rollback requested; rolled back to ${OLD_IMAGE}` });
    expect(world.image('gated')).toBe(OLD_IMAGE);

    // Rollback of a promotion still at its gate is not allowed: 409, exit 1.
    const waiting = await client.promotions.create({ target: { namespace: 'mcp', deployment: 'waiting', container: 'proxy' }, image: NEW_IMAGE, policy: 'zai-proxy-default' });
    await waitForState(svc, waiting.id, ['awaiting_approval']);
    const refused = await cli(['rollback', waiting.id], { url });
    expect(refused.code).toBe(1);
    expect(refused.stderr).toContain('invalid-state');
  });

  it('list filters, pages and --all', async () => {
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      ids.push((await client.promotions.create({ target: { namespace: 'listed', deployment: `app-${i}`, container: 'proxy' }, image: 'registry/app:3', policy: 'zai-proxy-default' })).id);
    }
    for (const id of ids) await waitForState(svc, id, ['awaiting_approval']);
    const page = await cli(['list', '--namespace', 'listed', '--limit', '2', '--json'], { url });
    const first = page.json<{ items: Promotion[]; nextCursor: string | null }>();
    expect(first.items.map((p) => p.target.deployment)).toEqual(['app-4', 'app-3']);
    expect(first.nextCursor).toEqual(expect.any(String));
    const all = await cli(['list', '--namespace', 'listed', '--limit', '2', '--all', '--json'], { url });
    expect(all.json<{ items: Promotion[] }>().items).toHaveLength(5);
    const table = await cli(['list', '--namespace', 'listed', '--state', 'awaiting_approval', '--limit', '2'], { url });
    expect(table.stdout.split('\n')[0]).toMatch(/^ID\s+STATE\s+TARGET\s+IMAGE\s+CREATED$/);
    expect(table.stdout).toContain('More: promoter list --cursor');
  });

  it('evaluate prints the verdict of each check; not pass exits 1', async () => {
    const args = ['evaluate', '--policy', 'zai-proxy-default', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '--image', 'registry/app:1'];
    // No Prometheus in this service: the checks cannot be measured, so the verdict is not pass.
    const json = await cli([...args, '--json'], { url });
    expect(json.code).toBe(1);
    const evaluation = json.json<{ id: string; verdict: string; phase: string }>();
    expect(evaluation).toMatchObject({ phase: 'pre', verdict: expect.stringMatching(/^(fail|inconclusive|error)$/) });
    const human = await cli(args, { url });
    expect(human.code).toBe(1);
    expect(human.stdout).toMatch(/^Evaluation \S+: . (fail|inconclusive|error)/);
    expect(human.stdout).toContain('canary-error-rate');
  });
});

describe('usage errors exit 2 with a hint', () => {
  it.each([
    ['an unknown flag', [...promoteArgs('x'), '--colour'], "Unknown option '--colour'", 'promoter promote --help'],
    ['missing required flags', ['promote', '-n', 'mcp', '--from', 'canary'], 'missing required flags --deployment, --container, --policy', 'promoter promote --help'],
    ['neither --from nor --image', ['promote', '-n', 'mcp', '-d', 'x', '-c', 'y', '-p', 'z'], 'exactly one of --from', 'promoter promote --help'],
    ['a bad --timeout', [...promoteArgs('x'), '--wait', '--timeout', 'soon'], '--timeout must be a duration', 'promoter promote --help'],
    ['an unknown command', ['promot'], "unknown command 'promot'", 'promoter --help'],
    ['no command', [], 'missing command', 'promoter --help'],
    ['status without an id', ['status'], 'missing ID', 'promoter status --help'],
    ['a bad state', ['list', '--state', 'done'], '--state must be one of', 'promoter list --help'],
    ['a bad limit', ['list', '--limit', 'ten'], '--limit must be a positive whole number', 'promoter list --help'],
    ['an unknown policy subcommand', ['policy', 'show', 'x'], "unknown subcommand 'show'", 'promoter policy --help'],
    ['policy apply without a file', ['policy', 'apply'], 'missing required flag -f/--file', 'promoter policy --help'],
    ['a value-less flag', ['status', 'x', '--url'], "argument missing", 'promoter status --help'],
    ['--via git without its file', [...promoteArgs('x'), '--via', 'git', '--repository', 'deploy'], '--via git needs --repository NAME and --file PATH', 'promoter promote --help'],
    ['an unknown --via', [...promoteArgs('x'), '--via', 'helm'], "--via is kubernetes or git, not 'helm'", 'promoter promote --help'],
    ['an Argo CD Application without Git', [...promoteArgs('x'), '--argocd-application', 'web'], '--repository, --file and --argocd-application go with --via git', 'promoter promote --help'],
    ['an Argo CD namespace without its Application', [...promoteArgs('x'), '--via', 'git', '--repository', 'deploy', '--file', 'a.yaml', '--argocd-namespace', 'cd'], '--argocd-namespace goes with --argocd-application', 'promoter promote --help'],
    ['finalize without an id', ['finalize'], 'missing ID', 'promoter finalize --help'],
  ])('%s', async (_name, argv, message, hint) => {
    const result = await cli(argv, { url });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain(message);
    expect(result.stderr).toContain(`Run '${hint}' for usage.`);
    expect(result.stdout).toBe('');
  });

  it('--help prints the usage and the exit codes (exit 0)', async () => {
    const main = await cli(['--help']);
    expect(main.code).toBe(0);
    expect(main.stdout).toContain('Usage: promoter <command> [flags]');
    expect(main.stdout).toMatch(/Exit codes:[\s\S]*3\s+the service is unreachable/);
    const promote = await cli(['promote', '--help']);
    expect(promote.stdout).toContain('--strip-suffix SUFFIX');
    expect((await cli(['--version'])).stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
  });

  it("reads a flag's value as that value, even when it looks like a global flag", async () => {
    // --reason takes the next argument: '--json' here is the reason, so the output stays text.
    const created = await cli([...promoteArgs('reason-json'), '--dry-run', '--reason', '--json'], { url });
    expect(created.code, created.stderr).toBe(0);
    expect(created.stdout).toContain('Started promotion');
    const id = /Started promotion (\S+)/.exec(created.stdout)?.[1] ?? '';
    expect((await client.promotions.get(id)).reason).toBe('--json');
    // --token takes '-abc' as the token (this service has none configured, so any token is let through).
    const status = await cli(['status', id, '--token', '-abc', '--json'], { url });
    expect(status.code, status.stderr).toBe(0);
    expect(status.json<PromotionDetail>().id).toBe(id);
  });
});
