/**
 * A fresh clone, as a new user gets it, and the README's first hour on it, as written:
 * 1. `git clone` of this repository's HEAD, `npm ci` for the README's `npm install` (the lockfile and every
 *    install step, prepare included, are the real ones; `--prefer-offline` takes packages from the local
 *    npm cache where it can, so the test does not depend on the registry's speed). Then, with no other
 *    step, the CLI through `npx promoter` and node_modules/.bin/promoter, and the SDK from plain Node.
 * 2. README.md's Quick start block, taken from the Markdown: its `npm start` line is started in the clone
 *    (with the variables the line itself sets), the rest of the block runs in bash in the clone with `curl`
 *    wrapped to record each answer, which is checked; then the dry run is followed to its end.
 * 3. The ```ts block under "SDK and CLI", run with `npx tsx` from the clone, and the ```sh block there,
 *    run with bash from the clone: its exit code and last line are what the README says.
 * 4. SIGTERM to the pid `npm start` returned (a supervisor's signal; the script execs node): the service
 *    shuts down gracefully and exits 0.
 *
 * What the test changes, and nothing else:
 * - the address: the service gets a free port through `PORT`, so `localhost:8080` in the extracted commands
 *   becomes `localhost:<port>`, and the CLI block's `https://promoter.internal` becomes that address too;
 * - what the README leaves to the operator: `KUBECONFIG` names a fake Kubernetes API (packages/fake-kube,
 *   run by this test) holding the Deployments the commands name (mcp/zai-proxy and its canary
 *   mcp/zai-proxy-test), `PROMETHEUS_URL` a real Prometheus scraping an exporter with healthy series for the
 *   example policy's queries (for the variants `canary`, `test` and `production`, so `{{variant}}` and the
 *   Deployments' own `variant` labels both find data), and `CI_COMMIT_TAG` is set as a CI job sets it.
 * The data folder is the clone's own `./.promoter`, fresh. It does not cover the registry, nor uncommitted
 * changes (the clone is of HEAD).
 *
 * How the promotions end: the Quick start's dry run, on healthy traffic, passes the example policy's gate
 * (`succeeded`, naming the image it would set). Before the SDK and CLI snippets, whose promotions are real,
 * the canary starts failing (60% of its requests): their gate rejects on `canary-error-rate`, nothing is
 * patched, the CLI exits 1 as the README says for `rejected`. Passing them would add the example's 5-minute
 * bake twice; a rejection shows the same commands and exit-code contract in about a minute each.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeKube, type FakeKube } from '@promoter/fake-kube';
import { normalizePolicy, type Policy } from '../../services/promoter/src/domain/policy/model.js';
import type { PolicyDocument } from '../../services/promoter/src/domain/policy/model.js';
import { startExporter, type Exporter } from '../fixtures/exporter.js';
import { freePort } from '../fixtures/ports.js';
import { startPrometheus, type PrometheusInstance } from '../fixtures/prometheus.js';
import { snippetUnder } from './markdown-snippets.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const README_PORT = 'localhost:8080';
const CI_COMMIT_TAG = 'v1.2.1';
const OLD_IMAGE = 'ronaldraygun/zai-proxy:1.2.0';
const CANARY_IMAGE = 'ronaldraygun/zai-proxy:1.2.1-canary';
const TERMINAL = ['succeeded', 'rejected', 'rolled_back', 'aborted', 'failed'];

interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

interface PromotionRecord {
  readonly id: string;
  readonly state: string;
  readonly stateReason: string | null;
  readonly dryRun: boolean;
  readonly reason: string | null;
  readonly checkResults: ReadonlyArray<{ readonly check: string; readonly phase: string; readonly result: string; readonly message: string }>;
}

let clone = '';
let work = '';
let kube: FakeKube | undefined;
let exporter: Exporter | undefined;
let prometheus: PrometheusInstance | undefined;
let traffic: NodeJS.Timeout | undefined;
let service: { readonly npm: ChildProcess; readonly exited: Promise<number | null>; output: string } | undefined;
let port = 0;
let base = '';
let policy: Policy | undefined;

/** Runs a command without blocking the event loop: this process serves the fake API and the exporter. */
function run(command: string, args: readonly string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? clone,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...options.env },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true, // its own process group, so a timeout ends what it started too
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => killGroup(child), options.timeoutMs);
    child.once('error', reject);
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      if (signal) reject(new Error(`${command} ${args.join(' ')} ended by ${signal}\nstdout:\n${stdout.slice(-4000)}\nstderr:\n${stderr.slice(-4000)}`));
      else resolve({ code, stdout, stderr });
    });
  });
}

async function succeed(command: string, args: readonly string[], cwd?: string): Promise<string> {
  const result = await run(command, args, { timeoutMs: 600_000, ...(cwd ? { cwd } : {}) });
  if (result.code !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.code}:\n${result.stderr.slice(-4000)}`);
  return result.stdout;
}

function killGroup(child: ChildProcess): void {
  if (child.pid === undefined) return;
  try {
    process.kill(-child.pid, 'SIGKILL');
  } catch {
    // already gone
  }
}

/** The README's address replaced by the test service's. */
function pointed(text: string): string {
  return text.replaceAll(README_PORT, `localhost:${port}`);
}

async function api<T>(path: string): Promise<T> {
  const response = await fetch(`${base}${path}`);
  if (!response.ok) throw new Error(`GET ${path}: ${response.status} ${await response.text()}`);
  return (await response.json()) as T;
}

async function promotionUntilDone(id: string, timeoutMs: number): Promise<PromotionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const record = await api<PromotionRecord>(`/v1/promotions/${id}`);
    if (TERMINAL.includes(record.state)) return record;
    if (Date.now() > deadline) throw new Error(`promotion ${id} still ${record.state} after ${timeoutMs} ms:\n${service?.output.slice(-3000)}`);
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** The check that rejects the real promotions once the canary fails. */
const FAILING_CHECK = 'canary-error-rate';

/** How long a promotion's gate may take with the stored policy (its measurements, an interval apart). */
function gateBudgetMs(): number {
  if (!policy) throw new Error('the policy is not stored yet');
  const pre = policy.checks.filter((check) => check.phases.includes('pre'));
  const rounds = Math.max(1, ...pre.map((check) => Math.max(check.samples, check.consecutiveErrorLimit + 1)));
  return policy.intervalMs * (rounds + 1) + 60_000;
}

/**
 * The gate's verdict: `succeeded` with every measurement passing (healthy traffic), or `rejected` by the
 * failing canary's error rate, which the reason names; either way nothing was patched.
 */
function expectGateOutcome(record: PromotionRecord, expected: 'succeeded' | 'rejected'): void {
  const context = JSON.stringify(record, null, 1).slice(0, 4000);
  expect(record.state, context).toBe(expected);
  expect(record.checkResults.length, context).toBeGreaterThan(0);
  const failing = record.checkResults.filter((result) => result.result !== 'pass');
  if (expected === 'succeeded') expect(failing, context).toEqual([]);
  else {
    expect(record.stateReason, context).toContain(FAILING_CHECK);
    expect(failing.map((result) => result.check), context).toContain(FAILING_CHECK);
  }
  expect(kube?.requests.filter((request) => request.method === 'PATCH' || request.method === 'PUT')).toEqual([]);
  expect(kube?.getDeployment('mcp', 'zai-proxy')?.spec.template.spec.containers[0]?.image).toBe(OLD_IMAGE);
}

/** Errors per 100 requests of the canary (variant `test`); production always has 1. */
let canaryErrors = 1;

/** The canary starts failing, and the test waits until Prometheus' 5-minute rate says so. */
async function breakCanary(): Promise<void> {
  canaryErrors = 60;
  const ratio = 'sum(rate(zai_proxy_requests_total{namespace="mcp",variant="test",status=~"5.."}[5m])) / sum(rate(zai_proxy_requests_total{namespace="mcp",variant="test"}[5m]))';
  await prometheus?.waitForSeries(`(${ratio}) > 0.1`, undefined, 120_000);
}

/** Series for every query of the example policy, moving as traffic would: 1% errors, identical latencies. */
function serveTraffic(metrics: Exporter): NodeJS.Timeout {
  const buckets: ReadonlyArray<readonly [string, number]> = [['0.1', 10], ['0.25', 16], ['0.5', 19], ['1', 20], ['+Inf', 20]];
  const tick = () => {
    for (const variant of ['canary', 'test', 'production']) {
      const labels = { namespace: 'mcp', variant };
      const errors = variant === 'production' ? 1 : canaryErrors;
      metrics.inc('zai_proxy_requests_total', { ...labels, status: '200' }, 100 - errors);
      metrics.inc('zai_proxy_requests_total', { ...labels, status: '500' }, errors);
      for (const [le, count] of buckets) metrics.inc('zai_proxy_request_duration_seconds_bucket', { ...labels, le }, count);
      metrics.inc('zai_proxy_tokens_total', labels, 500);
    }
  };
  tick();
  return setInterval(tick, 1_000);
}

async function startCluster(): Promise<string> {
  kube = await startFakeKube();
  kube.addDeployment({ namespace: 'mcp', name: 'zai-proxy', containers: [{ name: 'proxy', image: OLD_IMAGE }], replicas: 2, selector: { app: 'zai-proxy', variant: 'production' } });
  kube.addDeployment({ namespace: 'mcp', name: 'zai-proxy-test', containers: [{ name: 'proxy', image: CANARY_IMAGE }], selector: { app: 'zai-proxy', variant: 'test' } });
  exporter = await startExporter();
  traffic = serveTraffic(exporter);
  prometheus = await startPrometheus({ targets: [exporter.target] });
  // A rate needs two scrapes; the first comes after Prometheus' target discovery (~6 s).
  for (const variant of ['canary', 'test', 'production']) {
    await prometheus.waitForSeries(`sum(rate(zai_proxy_requests_total{namespace="mcp",variant="${variant}"}[5m])) > 0`, undefined, 60_000);
  }
  const kubeconfig = join(work, 'kubeconfig');
  await kube.writeKubeconfig(kubeconfig);
  return kubeconfig;
}

/** The Quick start block, split into the variables its `npm start` line sets and the commands after it. */
function quickStart(): { startEnv: Record<string, string>; commands: string } {
  const block = snippetUnder(ROOT, 'README.md', 'Quick start', 'sh').code;
  const lines = block.split('\n');
  const startIndex = lines.findIndex((line) => /(^|\s|&&\s*)npm start\s*(#.*)?$/.test(line));
  if (startIndex < 0) throw new Error(`the Quick start has no npm start line:\n${block}`);
  const before = lines.slice(0, startIndex).filter((line) => line.trim() !== '' && !line.trim().startsWith('#'));
  if (before.some((line) => line.trim() !== 'npm install')) throw new Error(`the test runs \`npm ci\` for \`npm install\` and knows no other step before npm start: ${before.join('; ')}`);
  const prefix = (lines[startIndex] ?? '').replace(/#.*$/, '').replace(/npm start\s*$/, '').replace(/^\s*npm install\s*&&\s*/, '').trim();
  const startEnv: Record<string, string> = {};
  for (const word of prefix === '' ? [] : prefix.split(/\s+/)) {
    const assignment = /^([A-Z_][A-Z0-9_]*)=([^'"`$\\\s]*)$/.exec(word);
    if (!assignment) throw new Error(`the test can set plain NAME=value before npm start, not '${word}'`);
    startEnv[assignment[1] as string] = assignment[2] as string; // both groups always match
  }
  return { startEnv, commands: lines.slice(startIndex + 1).join('\n') };
}

describe('a fresh clone', () => {
  beforeAll(async () => {
    work = mkdtempSync(join(tmpdir(), 'promoter-clone-'));
    clone = join(work, 'promoter');
    await succeed('git', ['clone', '--quiet', ROOT, clone], work);
    // The install and the cluster's warm-up (Prometheus' first scrapes) overlap.
    const [, kubeconfig] = await Promise.all([succeed('npm', ['ci', '--prefer-offline', '--no-audit', '--no-fund']), startCluster()]);
    port = await freePort();
    base = `http://localhost:${port}`;
    const { startEnv } = quickStart();
    const npm = spawn('npm', ['start'], {
      cwd: clone,
      detached: true, // its own process group: only our signal to its one pid reaches it
      stdio: ['ignore', 'pipe', 'pipe'],
      env: {
        PATH: process.env.PATH ?? '',
        HOME: process.env.HOME ?? '/tmp',
        ...startEnv,
        PORT: String(port),
        KUBECONFIG: kubeconfig,
        PROMETHEUS_URL: prometheus?.url ?? '',
      },
    });
    const exited = new Promise<number | null>((resolve) => npm.once('exit', (code) => resolve(code)));
    service = { npm, exited, output: '' };
    const started = service;
    npm.stdout.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
    npm.stderr.on('data', (chunk: Buffer) => (started.output += chunk.toString()));
    let stopped = false;
    void exited.then(() => (stopped = true));
    const deadline = Date.now() + 180_000;
    for (;;) {
      if (stopped) throw new Error(`npm start exited before it was ready:\n${started.output.slice(-4000)}`);
      const ready = await fetch(`${base}/readyz`).then((r) => r.status === 200, () => false);
      if (ready) break;
      if (Date.now() > deadline) throw new Error(`npm start not ready within 180 s:\n${started.output.slice(-4000)}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }, 900_000);

  afterAll(async () => {
    if (service) killGroup(service.npm);
    clearInterval(traffic);
    await prometheus?.stop();
    await exporter?.close();
    await kube?.close();
    if (work) rmSync(work, { recursive: true, force: true });
  });

  it('has the SDK and CLI built by npm install alone', () => {
    expect(existsSync(join(clone, 'packages/sdk/dist/index.js'))).toBe(true);
    expect(existsSync(join(clone, 'packages/cli/dist/cli.js'))).toBe(true);
  });

  it('runs `npx promoter --help` and node_modules/.bin/promoter', async () => {
    expect(await succeed('npx', ['promoter', '--help'])).toContain('Usage: promoter <command>');
    expect(await succeed(join(clone, 'node_modules/.bin/promoter'), ['--help'])).toContain('Usage: promoter <command>');
  });

  it('imports @promoter/sdk from plain Node', async () => {
    const out = await succeed('node', ['--input-type=module', '-e', "const sdk = await import('@promoter/sdk'); console.log(typeof sdk.PoliciesApi)"]);
    expect(out.trim()).toBe('function');
  });

  it('npm start keeps its data in the clone and serves Swagger UI at /docs', async () => {
    expect(existsSync(join(clone, '.promoter', 'promoter.lock'))).toBe(true);
    const docs = await fetch(`${base}/docs/`);
    expect(docs.status).toBe(200);
    expect(docs.headers.get('content-type')).toContain('text/html');
  });

  it("runs the Quick start's commands: the policy stored, the dry run started, listed, and ended as the policy says", async () => {
    const answers = join(work, 'answers');
    // `curl` as the README calls it, plus recording each answer: status line, then body.
    const prelude = [
      'set -e',
      'n=0',
      'curl() {',
      '  n=$((n + 1))',
      `  command curl --silent --show-error --output "${answers}-$n.body" --write-out '%{http_code}' "$@" > "${answers}-$n.status"`,
      '}',
      '',
    ].join('\n');
    const script = prelude + pointed(quickStart().commands);
    const result = await run('bash', ['-c', script], { timeoutMs: 60_000 });
    expect(result, script).toMatchObject({ code: 0, stderr: '' });
    const answer = (n: number) => ({ status: Number(readFileSync(`${answers}-${n}.status`, 'utf8')), body: JSON.parse(readFileSync(`${answers}-${n}.body`, 'utf8')) as Record<string, unknown> });
    expect(existsSync(`${answers}-4.status`), 'the Quick start makes three requests').toBe(false);

    const put = answer(1);
    expect(put.status, JSON.stringify(put.body)).toBe(201);
    expect(put.body).toMatchObject({ name: 'zai-proxy-default', version: 1 });
    // The policy exactly as the service stored it from the clone's file.
    policy = normalizePolicy((await api<{ document: PolicyDocument }>('/v1/policies/zai-proxy-default')).document);

    const created = answer(2);
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body).toMatchObject({ dryRun: true, reason: 'promote 1.2.1', target: { namespace: 'mcp', deployment: 'zai-proxy', container: 'proxy' } });
    const id = created.body['id'] as string; // a 201 always carries the id

    const listed = answer(3);
    expect(listed.status).toBe(200);
    expect((listed.body['items'] as Array<{ id: string }>)[0]?.id).toBe(id);

    const done = await promotionUntilDone(id, gateBudgetMs());
    expectGateOutcome(done, 'succeeded');
    expect(done.stateReason).toContain('would set proxy from');
  }, 600_000);

  it("runs the README's SDK snippet with tsx from the clone: it promotes and resolves at the end", async () => {
    const snippet = snippetUnder(ROOT, 'README.md', 'SDK and CLI', 'ts');
    writeFileSync(join(clone, 'readme-sdk-snippet.ts'), pointed(snippet.code));
    await breakCanary();
    const budget = gateBudgetMs();
    const result = await run('npx', ['tsx', 'readme-sdk-snippet.ts'], { timeoutMs: budget });
    expect(result.code, result.stderr).toBe(0);
    const [latest] = (await api<{ items: Array<{ id: string }> }>('/v1/promotions?limit=1')).items;
    const record = await api<PromotionRecord>(`/v1/promotions/${latest?.id}`);
    expect(record).toMatchObject({ dryRun: false, reason: 'promote 1.2.1' });
    // What the snippet printed is the record's end.
    expect(result.stdout.trim().split('\n').at(-1)).toBe(`${record.state} ${record.stateReason}`);
    expectGateOutcome(record, 'rejected');
  }, 900_000);

  it("runs the README's CLI snippet from the clone: `promote … --wait` ends with the exit code and last line the README says", async () => {
    const block = snippetUnder(ROOT, 'README.md', 'SDK and CLI', 'sh').code;
    expect(block).toContain('https://promoter.internal');
    const script = block.replaceAll('https://promoter.internal', base);
    await breakCanary(); // already broken when the SDK test ran; says so again when this test runs alone
    const result = await run('bash', ['-c', script], { env: { CI_COMMIT_TAG }, timeoutMs: gateBudgetMs() });
    const [latest] = (await api<{ items: Array<{ id: string }> }>('/v1/promotions?limit=1')).items;
    const record = await api<PromotionRecord>(`/v1/promotions/${latest?.id}`);
    expect(record).toMatchObject({ dryRun: false, reason: CI_COMMIT_TAG });
    expectGateOutcome(record, 'rejected');
    // README: "exit 0 succeeded, 1 rejected/rolled back/failed/aborted"; the last line names the end and why.
    expect(result.code, result.stderr).toBe(record.state === 'succeeded' ? 0 : 1);
    const mark = record.state === 'succeeded' ? '✓' : '✗';
    expect(result.stdout.trim().split('\n').at(-1)).toBe(`${mark} promotion ${record.id} ${record.state}: ${record.stateReason}`);
  }, 900_000);

  it('stops gracefully on SIGTERM to the pid npm start returned', async () => {
    if (!service) throw new Error('npm start did not run');
    const lock = JSON.parse(readFileSync(join(clone, '.promoter', 'promoter.lock'), 'utf8')) as { pid: number };
    service.npm.kill('SIGTERM');
    const code = await Promise.race([service.exited, new Promise<'still running'>((resolve) => setTimeout(() => resolve('still running'), 30_000))]);
    expect(code, service.output.slice(-3000)).toBe(0);
    expect(service.output).toContain('"signal":"SIGTERM","msg":"shutting down"');
    expect(existsSync(join(clone, '.promoter', 'promoter.lock'))).toBe(false);
    expect(() => process.kill(lock.pid, 0)).toThrow();
  }, 60_000);
});
