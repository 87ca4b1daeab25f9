/**
 * Read and write paths of the API against a bare baseline, in the same run, on the same database. The
 * baseline is a bare Fastify route that calls the service's own repository (the same SQL, by
 * construction: nothing re-typed), so the ratio is the cost of the app around it (auth, contract
 * validation, serialization, hooks, logging):
 *
 * - read: GET /v1/promotions/{id} (the real app) vs GET /repo/promotions/{id} (bare Fastify +
 *   PromotionRepository.getDetail);
 * - write: POST /v1/promotions (engine off, a distinct target per request, an Idempotency-Key) vs POST
 *   /repo/promotions (bare Fastify + PolicyRepository.get + PromotionRepository.create, as the route does).
 *
 * Every server runs in its own child process; the load generator (autocannon, 50 connections) runs in the
 * runner's process and measures the servers one after the other in alternating rounds.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { BenchChild } from '../lib/ipc.js';
import type { Benchmark, BenchContext, BenchOutput } from '../lib/context.js';
import { formatProfile, inclusiveTime, newestProfile, summarizeProfile, type ProfileWindow } from '../lib/cpu-profile.js';
import { createBenchDatabase, type BenchDatabase } from '../lib/database.js';
import { compareVariants, type LoadSpec, type Variant, type VariantSummary } from '../lib/load.js';
import type { Figure } from '../lib/report.js';
import { AUTH_HEADER, BENCH_TOKEN, createPromotions, finishPromotions, putPolicy, startSeeder } from '../lib/seed.js';
import { pct, round } from '../lib/stats.js';

export const POLICY = {
  interval: '30s',
  bake: '5m',
  checks: [
    { name: 'error-rate', query: 'sum(rate(http_requests_total{deployment="{{deployment}}",status=~"5.."}[5m])) / sum(rate(http_requests_total{deployment="{{deployment}}"}[5m]))', max: 0.05 },
    { name: 'latency-p99', query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{deployment="{{deployment}}"}[5m])))', max: 0.5 },
    { name: 'alerts', alerts: { namespace: '{{namespace}}', severity: 'critical' } },
  ],
};

interface ServerSpec {
  readonly name: string;
  readonly mode: 'app' | 'repo';
  /** Instead of the mode's usual route. */
  readonly path?: string;
  readonly env?: Record<string, string>;
  readonly profiled?: boolean;
}

interface Servers {
  readonly byName: Map<string, BenchChild>;
  readonly profileDir: string | undefined;
  stop(): Promise<void>;
}

async function startServers(ctx: BenchContext, db: BenchDatabase, bench: string, specs: readonly ServerSpec[]): Promise<Servers> {
  const byName = new Map<string, BenchChild>();
  const profileDir = ctx.profile ? join(ctx.resultsDir, 'profiles', bench) : undefined;
  if (profileDir) mkdirSync(profileDir, { recursive: true });
  try {
    for (const spec of specs) {
      const child = await BenchChild.start(`${bench}:${spec.name}`, 'servers/api-server.ts', {
        args: [spec.mode],
        env: { DATABASE_URL: db.url, BENCH_TOKEN, ...spec.env },
        ...(profileDir && spec.profiled ? { nodeArgs: ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] } : {}),
      });
      byName.set(spec.name, child);
    }
  } catch (error) {
    await Promise.all([...byName.values()].map((c) => c.stop()));
    throw error;
  }
  return { byName, profileDir, stop: async () => void (await Promise.all([...byName.values()].map((c) => c.stop()))) };
}

const PATHS = { app: '/v1/promotions', repo: '/repo/promotions' } as const;
const BASELINE = 'baseline (bare Fastify + service repository)';

function countersOf(child: BenchChild | undefined): () => Promise<{ cpuMicros: number; statements: number }> {
  return () => (child ? child.call('counters') : Promise.resolve({ cpuMicros: Number.NaN, statements: Number.NaN }));
}

function urlOf(child: BenchChild | undefined): string {
  const info = child?.info as { url?: string } | undefined;
  if (!info?.url) throw new Error('server has no url');
  return info.url;
}

function comparisonFigures(summaries: readonly VariantSummary[], baselineName: string, headline: string, target: number): { figures: Figure[]; table: string } {
  const baseline = summaries.find((s) => s.name === baselineName);
  if (!baseline) throw new Error(`no ${baselineName} variant`);
  const figures: Figure[] = [];
  const lines = [
    '| variant | median rps | min-max rps | p50 ms | p99 ms | ratio to baseline | server CPU per request µs | SQL statements per request | failed requests |',
    '|---|---|---|---|---|---|---|---|---|',
  ];
  for (const s of summaries) {
    const ratio = s.medianRps / baseline.medianRps;
    lines.push(
      `| ${s.name} | ${Math.round(s.medianRps)} | ${Math.round(s.minRps)}-${Math.round(s.maxRps)} | ${s.p50Ms} | ${s.p99Ms} | ${pct(ratio)} | ${Math.round(s.cpuPerRequestUs)} | ${round(s.statementsPerRequest, 2)} | ${s.failures} |`,
    );
    if (s.name === baselineName) {
      figures.push({ name: `${s.name}: throughput`, value: Math.round(s.medianRps), unit: 'rps' }, { name: `${s.name}: p99 latency`, value: s.p99Ms, unit: 'ms' });
      figures.push({ name: `${s.name}: server CPU per request`, value: Math.round(s.cpuPerRequestUs), unit: 'µs' });
    } else {
      figures.push({ name: `${s.name}: server CPU per request`, value: Math.round(s.cpuPerRequestUs), unit: 'µs' });
      figures.push({ name: `${s.name}: throughput`, value: Math.round(s.medianRps), unit: 'rps' });
      figures.push({ name: `${s.name}: p99 latency`, value: s.p99Ms, unit: 'ms' });
      figures.push({
        name: `${s.name}: ratio to baseline`,
        value: pct(ratio),
        ...(s.name === headline ? { target: `>= ${Math.round(target * 100)}%`, met: ratio >= target } : {}),
      });
    }
    if (s.failures > 0) figures.push({ name: `${s.name}: failed requests`, value: s.failures, met: false, target: '0' });
  }
  return { figures, table: lines.join('\n') };
}

/** Marks the profiled server's clock around the measured rounds, so the profile summary leaves out start-up and warm-up. */
function profileWindow(servers: Servers, specs: readonly ServerSpec[]) {
  const profiled = specs.find((s) => s.profiled);
  const child = profiled ? servers.byName.get(profiled.name) : undefined;
  const window = { startUs: 0, endUs: Number.MAX_SAFE_INTEGER };
  if (!servers.profileDir || !child) return { window, hooks: {} };
  return {
    window,
    hooks: {
      beforeRounds: async () => {
        window.startUs = await child.call<number>('mark');
      },
      afterRounds: async () => {
        window.endUs = await child.call<number>('mark');
      },
    },
  };
}

async function profileDetails(servers: Servers, window: ProfileWindow): Promise<string[]> {
  await servers.stop();
  if (!servers.profileDir) return [];
  const file = newestProfile(servers.profileDir);
  if (!file) return ['(no CPU profile was written)'];
  const summary = summarizeProfile(file, window);
  const groups: [string, RegExp][] = [
    ['logging (pino, sonic-boom)', /pino|sonic-boom/],
    ['helmet', /helmet/],
    ['rate limiter', /rate-limit/],
    ['auth hook (service http/auth.ts)', /service:http\/auth/],
    ['Kysely', /kysely/],
    ['pg driver (pg, pg-protocol, pg-pool)', / (pg|pg-protocol|pg-pool|pg-types|postgres-date)$/],
    ['metrics (prom-client)', /prom-client/],
    ['fastify (incl. everything it calls)', /fastify/],
  ];
  const rows = groups.map(([label, pattern]) => {
    const ms = inclusiveTime(file, pattern, window);
    return `| ${label} | ${Math.round(ms)} | ${pct(ms / summary.busyMs)} |`;
  });
  return [
    `CPU profile of the app (node --cpu-prof), samples from the measured rounds only. Inclusive time of selected parts:\n\n| part | inclusive ms | share of busy |\n|---|---|---|\n${rows.join('\n')}`,
    formatProfile(summary),
  ];
}

function rounds(ctx: BenchContext): { rounds: number; durationSec: number; warmupSec: number } {
  return ctx.quick ? { rounds: 3, durationSec: 3, warmupSec: 2 } : { rounds: 5, durationSec: 10, warmupSec: 5 };
}

export const readBenchmark: Benchmark = {
  name: 'read',
  description: 'GET /v1/promotions/{id} vs a bare Fastify route calling the same repository',
  async run(ctx): Promise<BenchOutput> {
    const db = await createBenchDatabase('read');
    try {
      const seeder = await startSeeder(db.handle.db);
      await putPolicy(seeder, 'bench', POLICY);
      const ids = await createPromotions(
        seeder,
        Array.from({ length: 100 }, (_, i) => ({ namespace: 'bench', deployment: `svc-${i}`, image: 'registry.example/app:2.0.0', policy: 'bench' })),
      );
      await seeder.close();
      await finishPromotions(db.handle.db, ids);
      const detail = await fetchSize(db, ids[0] as string);
      const specs: ServerSpec[] = [
        { name: BASELINE, mode: 'repo' },
        ...(ctx.quick ? [] : [{ name: 'app (LOG_LEVEL=warn)', mode: 'app' as const, env: { LOG_LEVEL: 'warn' } }]),
        { name: 'app (LOG_LEVEL=info, default)', mode: 'app', env: { LOG_LEVEL: 'info' }, profiled: true },
        ...(ctx.quick ? [] : [{ name: 'app (info, rate limiter on)', mode: 'app' as const, env: { LOG_LEVEL: 'info', RATE_LIMIT: '1000000' } }]),
      ];
      const servers = await startServers(ctx, db, 'read', specs);
      const profiling = profileWindow(servers, specs);
      let summaries: VariantSummary[];
      try {
        const plan = rounds(ctx);
        const variants: Variant[] = specs.map((spec) => {
          let next = 0;
          const prefix = `${PATHS[spec.mode]}/`;
          const load: LoadSpec = {
            url: urlOf(servers.byName.get(spec.name)),
            connections: 50,
            durationSec: plan.durationSec,
            headers: { authorization: AUTH_HEADER },
            setupRequest: (request) => ({ ...request, method: 'GET', path: `${prefix}${ids[next++ % ids.length]}` }),
          };
          return { name: spec.name, spec: load, counters: countersOf(servers.byName.get(spec.name)) };
        });
        summaries = await compareVariants(variants, { ...plan, log: ctx.log, ...profiling.hooks });
      } catch (error) {
        await servers.stop();
        throw error;
      }
      const profile = await profileDetails(servers, profiling.window);
      const { figures, table } = comparisonFigures(summaries, BASELINE, 'app (LOG_LEVEL=info, default)', 0.7);
      ctx.log(table);
      const plan = rounds(ctx);
      return {
        title: 'read path, GET /v1/promotions/{id}',
        figures,
        details: [
          `Each server in its own child process, one after the other in alternating rounds; autocannon (50 connections) in the runner process; ` +
            `${plan.rounds} rounds of ${plan.durationSec} s after a ${plan.warmupSec} s warm-up per server; median of the rounds. ` +
            `100 finished promotions with ${detail.events} events and ${detail.checkResults} check results each (${detail.bytes} bytes of JSON per response from the app), requested in turn. ` +
            `Same database, same pool size (10). The app logs to its stdout, which goes to /dev/null.`,
          table,
          ...profile,
        ],
      };
    } finally {
      await db.drop();
    }
  },
};

/** The app's answer for one record: its size, and how many events and check results it holds. */
async function fetchSize(db: BenchDatabase, id: string): Promise<{ bytes: number; events: number; checkResults: number }> {
  const seeder = await startSeeder(db.handle.db);
  try {
    const response = await seeder.inject({ method: 'GET', url: `/v1/promotions/${id}`, headers: { authorization: AUTH_HEADER } });
    if (response.statusCode !== 200) throw new Error(`GET /v1/promotions/${id}: ${response.statusCode} ${response.body}`);
    const record = response.json<{ events: unknown[]; checkResults: unknown[] }>();
    return { bytes: response.body.length, events: record.events.length, checkResults: record.checkResults.length };
  } finally {
    await seeder.close();
  }
}

export const writeBenchmark: Benchmark = {
  name: 'write',
  description: 'POST /v1/promotions vs a bare Fastify route calling the same repositories',
  async run(ctx): Promise<BenchOutput> {
    const db = await createBenchDatabase('write');
    try {
      const seeder = await startSeeder(db.handle.db);
      await putPolicy(seeder, 'bench', POLICY);
      await seeder.close();
      const specs: ServerSpec[] = [
        { name: BASELINE, mode: 'repo' },
        ...(ctx.quick ? [] : [{ name: 'app (LOG_LEVEL=warn)', mode: 'app' as const, env: { LOG_LEVEL: 'warn' } }]),
        { name: 'app (LOG_LEVEL=info, default)', mode: 'app', env: { LOG_LEVEL: 'info' }, profiled: true },
      ];
      const servers = await startServers(ctx, db, 'write', specs);
      const profiling = profileWindow(servers, specs);
      let summaries: VariantSummary[];
      let counter = 0;
      try {
        const plan = rounds(ctx);
        const variants: Variant[] = specs.map((spec, index) => {
          const path = spec.path ?? PATHS[spec.mode];
          const load: LoadSpec = {
            url: urlOf(servers.byName.get(spec.name)),
            connections: 50,
            durationSec: plan.durationSec,
            setupRequest: (request) => {
              const n = counter++;
              return {
                ...request,
                method: 'POST',
                path,
                headers: { authorization: AUTH_HEADER, 'content-type': 'application/json', 'idempotency-key': `key-${index}-${n}` },
                body: JSON.stringify({
                  target: { namespace: 'bench', deployment: `w${index}-${n}`, container: 'app' },
                  image: 'registry.example/app:2.0.0',
                  policy: 'bench',
                  reason: `benchmark write ${n}`,
                }),
              };
            },
          };
          return { name: spec.name, spec: load, counters: countersOf(servers.byName.get(spec.name)) };
        });
        summaries = await compareVariants(variants, { ...plan, log: ctx.log, ...profiling.hooks });
      } catch (error) {
        await servers.stop();
        throw error;
      }
      const profile = await profileDetails(servers, profiling.window);
      const { figures, table } = comparisonFigures(summaries, BASELINE, 'app (LOG_LEVEL=info, default)', 0.5);
      ctx.log(table);
      const counts = await sql<{ promotions: number; events: number; keys: number }>`
        SELECT (SELECT count(*)::int FROM promotions) AS promotions, (SELECT count(*)::int FROM promotion_events) AS events,
               (SELECT count(*)::int FROM idempotency_keys) AS keys`.execute(db.handle.db);
      const row = counts.rows[0];
      const consistent = row !== undefined && row.promotions === row.events && row.events === row.keys;
      figures.push({ name: 'every created promotion has its event and idempotency key', value: consistent ? 'yes' : `no (${JSON.stringify(row)})`, met: consistent });
      const plan = rounds(ctx);
      const statements = (name: string) => round(summaries.find((s) => s.name === name)?.statementsPerRequest ?? Number.NaN, 2);
      return {
        title: 'write path, POST /v1/promotions',
        figures,
        details: [
          `Each server in its own child process, one after the other in alternating rounds; autocannon (50 connections) in the runner process; ` +
            `${plan.rounds} rounds of ${plan.durationSec} s after a ${plan.warmupSec} s warm-up per server; median of the rounds. Every request names a new target ` +
            `and a new Idempotency-Key. The baseline and the app run the same repository calls (policy look-up, then the idempotency lock, ` +
            `key check and one-statement insert in a transaction): ${statements(BASELINE)} and ${statements('app (LOG_LEVEL=info, default)')} ` +
            `statements per request. Rows written in total: ${JSON.stringify(row)}.`,
          table,
          ...profile,
        ],
      };
    } finally {
      await db.drop();
    }
  },
};
