/**
 * Reaction time: a promotion is verifying (post checks every 1 s) in the real service process (built
 * dist/main.js when available, default engine settings: poll 500 ms); at a random moment the instant
 * Prometheus endpoint starts answering a value above the check's bound. Measured: from that instant to the
 * rollback PATCH arriving at the fake Kubernetes API (both timestamps taken in those processes, same
 * machine clock), over several trials.
 */
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import type { Benchmark, BenchOutput } from '../lib/context.js';
import { createEmptyDatabase } from '../lib/database.js';
import type { Figure } from '../lib/report.js';
import { API_TOKENS_ENV, AUTH_HEADER } from '../lib/seed.js';
import { ensureDist, startService, type RunningService } from '../lib/service-process.js';
import { max, median, round, sleep, waitFor } from '../lib/stats.js';
import { startInfrastructure } from './engine.js';

const INTERVAL_MS = 1_000;
const GOOD = 0.01;
const BAD = 0.9;

const POLICY = {
  interval: '1s',
  bake: '10m',
  checks: [{ name: 'error-rate', query: 'max(app_error_ratio{namespace="{{namespace}}",deployment="{{deployment}}"})', max: 0.05 }],
};

async function api<T>(service: RunningService, method: string, path: string, body?: unknown): Promise<{ status: number; json: T }> {
  const response = await fetch(`${service.url}${path}`, {
    method,
    headers: { authorization: AUTH_HEADER, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, json: (await response.json()) as T };
}

export const reactionBenchmark: Benchmark = {
  name: 'reaction',
  description: 'metric crosses its bound -> rollback PATCH reaches Kubernetes (1 s interval)',
  async run(ctx): Promise<BenchOutput> {
    const trials = ctx.quick ? 3 : 7;
    const entry = ensureDist(ctx.log) === undefined ? 'tsx' : 'dist';
    const infra = await startInfrastructure(ctx, 'reaction');
    const database = await createEmptyDatabase('reaction');
    mkdirSync(join(ctx.resultsDir, 'logs'), { recursive: true });
    let service: RunningService | undefined;
    const reactions: number[] = [];
    const toRolledBack: number[] = [];
    try {
      service = await startService(
        entry,
        { DATABASE_URL: database.url, PROMETHEUS_URL: infra.prometheusUrl, KUBECONFIG: infra.kubeconfig, PROMOTER_API_TOKENS: API_TOKENS_ENV, LOG_LEVEL: 'info', PROMOTER_RATE_LIMIT: '0' },
        { logFile: join(ctx.resultsDir, 'logs', 'reaction-service.log') },
      );
      const running = service;
      const put = await api(running, 'PUT', '/v1/policies/reaction', POLICY);
      if (put.status >= 300) throw new Error(`PUT policy: ${put.status} ${JSON.stringify(put.json)}`);
      for (let trial = 0; trial < trials; trial++) {
        const name = `web-${trial}`;
        await infra.stub.call('setValue', { value: GOOD });
        await infra.kube.call('addDeployments', { namespace: 'react', names: [name], image: 'registry.example/web:1.0.0' });
        const created = await api<{ id: string }>(running, 'POST', '/v1/promotions', {
          target: { namespace: 'react', deployment: name, container: 'app' },
          image: 'registry.example/web:2.0.0',
          policy: 'reaction',
        });
        if (created.status !== 201) throw new Error(`POST promotion: ${created.status} ${JSON.stringify(created.json)}`);
        const id = created.json.id;
        const state = async () => (await api<{ state: string }>(running, 'GET', `/v1/promotions/${id}`)).json.state;
        await waitFor('verifying', async () => ((await state()) === 'verifying' ? true : undefined), 30_000, 50);
        // Let a passing round or two happen, then turn the metric bad at a random phase of the interval.
        await sleep(1_500 + Math.random() * INTERVAL_MS);
        const { at: badAt } = await infra.stub.call<{ at: number }>('setValue', { value: BAD });
        const path = `/apis/apps/v1/namespaces/react/deployments/${name}`;
        const patchAt = await waitFor(
          'the rollback PATCH',
          async () => {
            const patches = await infra.kube.call<{ path: string; time: number }[]>('patches', { namespace: 'react' });
            return patches.find((p) => p.path === path && p.time >= badAt)?.time;
          },
          20_000,
          20,
        );
        await waitFor('rolled_back', async () => ((await state()) === 'rolled_back' ? true : undefined), 30_000, 50);
        const rolledBackAt = Date.now();
        const image = await infra.kube.call<string | null>('image', { namespace: 'react', name });
        if (image !== 'registry.example/web:1.0.0') throw new Error(`after the rollback ${name} runs ${image}`);
        reactions.push(patchAt - badAt);
        toRolledBack.push(rolledBackAt - badAt);
        ctx.log(`  trial ${trial + 1}/${trials}: rollback PATCH ${patchAt - badAt} ms after the metric went bad; rolled_back seen after ${rolledBackAt - badAt} ms`);
      }
    } finally {
      const code = await service?.stop();
      if (code !== undefined && code !== 0) ctx.log(`  the service exited with ${code}:\n${service?.output().slice(-2000)}`);
      await infra.kube.stop();
      await infra.stub.stop();
      await database.drop();
    }
    const limit = INTERVAL_MS + 2_000;
    const figures: Figure[] = [
      { name: 'metric bad -> rollback PATCH, median', value: Math.round(median(reactions)), unit: 'ms', target: `<= ${limit} ms`, met: median(reactions) <= limit },
      { name: 'metric bad -> rollback PATCH, max', value: Math.round(max(reactions)), unit: 'ms', target: `<= ${limit} ms`, met: max(reactions) <= limit },
      { name: 'metric bad -> state rolled_back seen by the API, median', value: Math.round(median(toRolledBack)), unit: 'ms' },
    ];
    return {
      title: 'reaction time, 1 s check interval',
      figures,
      details: [
        `${trials} trials with the ${entry === 'dist' ? 'built service (node dist/main.js)' : 'service under tsx'} on PostgreSQL, default engine settings ` +
          `(poll 500 ms, lease 60 s), a policy with one check (max 0.05) every 1 s during a 10 minute bake. The bad value starts 1.5-2.5 s after ` +
          `the promotion reached verifying. Reactions (ms): ${reactions.join(', ')}; to rolled_back (ms, API polled every 50 ms): ${toRolledBack.join(', ')}. ` +
          `Mean ${round(reactions.reduce((a, b) => a + b, 0) / Math.max(1, reactions.length), 0)} ms.`,
      ],
    };
  },
};
