/**
 * The README's quick start as a newcomer runs it: the real service as a process with neither
 * PROMETHEUS_URL nor any Kubernetes configuration, the example policy, a dry run followed with the CLI.
 * The rejection names everything the service lacks, once, and lists the checks it stops, once each.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { Evaluation, PromotionDetail } from '@promoter/sdk';
import { createTestDatabase, type TestDatabase } from '../fixtures/database.js';
import { startServiceProcess, type ServiceProcess } from '../fixtures/process.js';
import { cli } from './run-cli.js';

const EXAMPLE_POLICY = fileURLToPath(new URL('../../examples/policies/zai-proxy-default.yaml', import.meta.url));
const LACKING = 'the service has no PROMETHEUS_URL and no Kubernetes configuration (KUBECONFIG, or the in-cluster service account)';
const PRE_CHECKS = 'canary-error-rate, p95-no-regression, no-firing-alerts, tokens-counted';

let database: TestDatabase;
let svc: ServiceProcess;
let home: string;

beforeAll(async () => {
  database = await createTestDatabase('postgres');
  // An empty HOME: no ~/.kube/config to fall back on, as on a newcomer's laptop without a cluster.
  home = mkdtempSync(join(tmpdir(), 'promoter-no-backends-'));
  svc = await startServiceProcess({ DATABASE_URL: database.url ?? '', HOME: home, PROMOTER_DATA_DIR: join(home, 'data') });
  const applied = await cli(['policy', 'apply', '-f', EXAMPLE_POLICY], { url: svc.url });
  expect(applied.code, applied.stderr).toBe(0);
}, 120_000);

afterAll(async () => {
  await svc?.stop('SIGTERM');
  await database?.drop();
  if (home) rmSync(home, { recursive: true, force: true });
});

it('the dry run is rejected with one sentence naming PROMETHEUS_URL and the Kubernetes configuration, each check listed once', async () => {
  const promoted = await cli(
    ['promote', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '--from', 'zai-proxy-test', '--strip-suffix', '-canary', '-p', 'zai-proxy-default', '--dry-run', '--wait', '--timeout', '60s', '--json'],
    { url: svc.url },
  );
  expect(promoted.code, promoted.stderr).toBe(1);
  const record = promoted.json<PromotionDetail>();
  expect(record.state).toBe('rejected');
  expect(record.stateReason).toBe(`pre-promotion gate: 4 checks cannot be measured (${PRE_CHECKS}): ${LACKING}; nothing was patched`);
  // Each measurement keeps its own message, with the same words.
  expect(record.checkResults.map((result) => result.message)).toEqual(PRE_CHECKS.split(', ').map((name) => `${name}: cannot be measured: ${LACKING}`));
});

it('an evaluation (promoter evaluate) says the same once', async () => {
  const evaluated = await cli(['evaluate', '-p', 'zai-proxy-default', '-n', 'mcp', '-d', 'zai-proxy', '-c', 'proxy', '--image', 'registry.example.com/zai-proxy:1.2.1', '--json'], { url: svc.url });
  expect(evaluated.code, evaluated.stderr).toBe(1);
  const evaluation = evaluated.json<Evaluation>();
  expect(evaluation.reason).toBe(`4 checks cannot be measured (${PRE_CHECKS}): ${LACKING}`);
});
