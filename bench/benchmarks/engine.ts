/**
 * Engine scale: N concurrent active promotions (1,000; 300 with --quick) with a 1 s check interval, stepped
 * by engine replicas that each run in their own process (bench/servers/engine-worker.ts), against the fake
 * Kubernetes API and an instant Prometheus-compatible endpoint, each in its own process too.
 *
 * A configuration: fresh database, N Deployments and N promotions (created through the API), engines
 * started, ramp until every promotion is verifying (bake 10 minutes, post checks every second), then a
 * measured window. Figures: steps per second, CPU and RSS of each replica, SQL statements per step
 * (counted in the driver), Prometheus requests per evaluation round (3 checks, 2 distinct queries: the
 * round's batch must send 2), the effective check interval, and for two replicas: no promotion stepped
 * twice (duplicate transitions, duplicate sample numbers, more than one PATCH per Deployment).
 */
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { sql } from 'kysely';
import { ACTIVE_STATES } from '../../services/promoter/src/domain/promotion-state-machine.js';
import type { Benchmark, BenchContext, BenchOutput } from '../lib/context.js';
import { formatProfile, inclusiveTime, newestProfile, summarizeProfile } from '../lib/cpu-profile.js';
import { createBenchDatabase } from '../lib/database.js';
import { backendCpu, cpuBetween } from '../lib/pg-cpu.js';
import { BenchChild } from '../lib/ipc.js';
import type { Figure } from '../lib/report.js';
import { createPromotions, putPolicy, startSeeder } from '../lib/seed.js';
import { median, round, sleep } from '../lib/stats.js';

export const ENGINE_POLICY = {
  interval: '1s',
  bake: '10m',
  rolloutTimeout: '10m',
  checks: [
    { name: 'error-rate', query: 'max(app_error_ratio{namespace="{{namespace}}",deployment="{{deployment}}"})', max: 0.05 },
    // The same query as error-rate: a round's query batch must send it once for both checks.
    { name: 'error-rate-sane', query: 'max(app_error_ratio{namespace="{{namespace}}",deployment="{{deployment}}"})', min: 0 },
    { name: 'latency-p99', query: 'histogram_quantile(0.99, sum by (le) (rate(http_request_duration_seconds_bucket{namespace="{{namespace}}",deployment="{{deployment}}"}[1m])))', max: 0.5 },
  ],
};
const DISTINCT_QUERIES_PER_ROUND = 2;

interface WorkerStats {
  readonly time: number;
  readonly steps: number;
  readonly cpuMicros: number;
  readonly queries: number;
  readonly queriesByKind: Record<string, number>;
  readonly rss: number;
  readonly maxRss: number;
  readonly memory: NodeJS.MemoryUsage;
}

interface StubStats {
  readonly requests: number;
}

export interface Infrastructure {
  readonly kube: BenchChild;
  readonly stub: BenchChild;
  readonly kubeconfig: string;
  readonly prometheusUrl: string;
}

export async function startInfrastructure(ctx: BenchContext, name: string): Promise<Infrastructure> {
  mkdirSync(join(ctx.resultsDir, 'tmp'), { recursive: true });
  const kubeconfig = join(ctx.resultsDir, 'tmp', `${name}-kubeconfig`);
  const kube = await BenchChild.start(`${name}:fake-kube`, 'servers/fake-kube-server.ts', { env: { KUBECONFIG_OUT: kubeconfig } });
  const stub = await BenchChild.start(`${name}:prometheus-stub`, 'servers/prometheus-stub.ts');
  return { kube, stub, kubeconfig, prometheusUrl: (stub.info as { url: string }).url };
}

interface ConfigSpec {
  readonly label: string;
  readonly replicas: number;
  readonly concurrency?: number;
  /** Rounds of post-check history stored per promotion before the window: 300 = 5 minutes into the bake. */
  readonly historyRounds?: number;
  /** How long the Prometheus stub takes to answer (default 0): with it, a step waits on I/O, not on CPU. */
  readonly prometheusDelayMs?: number;
  /** Left out with --quick (unless named with --engine-configs). */
  readonly fullOnly?: boolean;
  /** Record a CPU profile of the first replica (with --profile). */
  readonly profiled?: boolean;
}

interface ConfigResult {
  readonly spec: ConfigSpec;
  readonly stepsPerSec: number;
  readonly cpuCores: number[];
  readonly maxRssMb: number[];
  /** Heap used and total, external memory, MB, of each replica at the end of the window. */
  readonly memoryMb: { heapUsed: number; heapTotal: number; external: number }[];
  readonly heapUsedAtStartMb: number[];
  readonly queriesPerStep: number;
  readonly queriesByKindPerStep: Record<string, number>;
  readonly promRequestsPerRound: number;
  readonly rounds: number;
  readonly intervalP50: number;
  readonly intervalP99: number;
  readonly rampSec: number;
  readonly medianDue: number;
  readonly maxLagSec: number;
  readonly stepsByReplica: number[];
  readonly duplicateTransitions: number;
  readonly duplicateSamples: number;
  readonly deploymentsNotPatchedOnce: number;
  readonly notVerifying: Record<string, number>;
  readonly leaseLost: number;
  readonly kubeRequestsInWindow: number;
  readonly profile: string | undefined;
  /** CPU ms per step: all engine replicas together, and the PostgreSQL backends of the database. */
  readonly engineCpuPerStepMs: number;
  readonly postgresCpuPerStepMs: number;
}

function profileDir(ctx: BenchContext, index: number): string {
  const dir = join(ctx.resultsDir, 'profiles', `engine-${index}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

async function runConfig(ctx: BenchContext, infra: Infrastructure, spec: ConfigSpec, index: number, count: number, windowSec: number): Promise<ConfigResult> {
  const namespace = `fleet-${index}`;
  const db = await createBenchDatabase(`engine${index}`);
  const workers: BenchChild[] = [];
  const logs: string[] = [];
  try {
    const seeder = await startSeeder(db.handle.db);
    await putPolicy(seeder, 'fleet', ENGINE_POLICY);
    const names = Array.from({ length: count }, (_, i) => `svc-${i}`);
    await infra.kube.call('addDeployments', { namespace, names, image: 'registry.example/app:1.0.0' });
    const t0 = Date.now();
    await createPromotions(
      seeder,
      names.map((deployment) => ({ namespace, deployment, image: 'registry.example/app:2.0.0', policy: 'fleet' })),
    );
    await seeder.close();
    ctx.log(`  [${spec.label}] ${count} promotions created in ${round((Date.now() - t0) / 1000, 1)} s`);

    mkdirSync(join(ctx.resultsDir, 'logs'), { recursive: true });
    for (let r = 0; r < spec.replicas; r++) {
      const logFile = join(ctx.resultsDir, 'logs', `engine-${index}-replica-${r}.log`);
      logs.push(logFile);
      const profiled = ctx.profile && spec.profiled === true && r === 0;
      workers.push(
        await BenchChild.start(`engine-${index}-${r}`, 'servers/engine-worker.ts', {
          // Plain node on a bundle, as in production (no tsx loader in the RSS), except for a profiled replica,
          // which runs under tsx so that the profile names the source files.
          bundle: !profiled,
          env: {
            DATABASE_URL: db.url,
            KUBECONFIG: infra.kubeconfig,
            PROMETHEUS_URL: infra.prometheusUrl,
            OWNER: `replica-${String.fromCharCode(97 + r)}`,
            LOG_FILE: logFile,
            ...(spec.concurrency ? { CONCURRENCY: String(spec.concurrency) } : {}),
          },
          nodeArgs: [
            ...(ctx.options['engine-node-options']?.split(' ').filter((a) => a !== '') ?? []),
            ...(profiled ? ['--cpu-prof', `--cpu-prof-dir=${profileDir(ctx, index)}`] : []),
          ],
        }),
      );
    }
    const rampStart = Date.now();
    await Promise.all(workers.map((w) => w.call('start')));
    const rampLimitMs = (ctx.quick ? 90 : 240) * 1000;
    let states: Record<string, number> = {};
    for (;;) {
      await sleep(1_000);
      const rows = await sql<{ state: string; n: number }>`SELECT state, count(*)::int AS n FROM promotions GROUP BY state`.execute(db.handle.db);
      states = Object.fromEntries(rows.rows.map((r) => [r.state, r.n]));
      const active = ACTIVE_STATES.filter((s) => s !== 'verifying').reduce((sum, s) => sum + (states[s] ?? 0), 0);
      if (active === 0 || Date.now() - rampStart > rampLimitMs) break;
    }
    const rampSec = (Date.now() - rampStart) / 1000;
    ctx.log(`  [${spec.label}] ramp to verifying took ${round(rampSec, 1)} s: ${JSON.stringify(states)}`);
    if (spec.historyRounds) {
      const t1 = Date.now();
      // Past rounds of the three post checks, as the engine would have stored them (negative sample numbers,
      // so they can never collide with the engine's own).
      await sql`
        INSERT INTO check_results (promotion_id, check_name, phase, sample, result, value, bound, query, warnings, message, measured_at)
        SELECT p.id, c.name, 'post', -r, 'pass', 0.01, '<= 0.05', 'max(app_error_ratio{namespace="x",deployment="y"})', '[]',
               c.name || ' = 0.01 <= max 0.05', now() - make_interval(secs => r)
        FROM promotions p
        CROSS JOIN generate_series(1, ${spec.historyRounds}::int) AS r
        CROSS JOIN (VALUES ('error-rate'), ('error-rate-sane'), ('latency-p99')) AS c(name)`.execute(db.handle.db);
      await sql`ANALYZE check_results`.execute(db.handle.db);
      ctx.log(`  [${spec.label}] stored ${spec.historyRounds} past rounds per promotion in ${round((Date.now() - t1) / 1000, 1)} s`);
    }
    await sleep(3_000);

    const stats = () => Promise.all(workers.map((w) => w.call<WorkerStats>('stats', { resetMaxRss: true })));
    const postCount = async () =>
      (await sql<{ n: number }>`SELECT count(*)::int AS n FROM check_results WHERE phase = 'post' AND check_name = 'error-rate'`.execute(db.handle.db)).rows[0]?.n ?? 0;
    const windowStart = new Date();
    const [before, stubBefore, postBefore, kubeBefore, pgBefore] = await Promise.all([
      stats(),
      infra.stub.call<StubStats>('stats'),
      postCount(),
      infra.kube.call<number>('requestCount'),
      backendCpu(db.handle.db),
    ]);
    const profileStart = await workers[0]?.call<number>('mark');
    const dueSamples: number[] = [];
    let maxLagSec = 0;
    const windowEnd = Date.now() + windowSec * 1000;
    while (Date.now() < windowEnd) {
      await sleep(Math.min(2_000, Math.max(0, windowEnd - Date.now())));
      const lag = await sql<{ due: number; lag: number | null }>`
        SELECT count(*)::int AS due, max(extract(epoch FROM now() - next_run_at))::float8 AS lag
        FROM promotions WHERE state = 'verifying' AND lease_owner IS NULL AND next_run_at <= now()`.execute(db.handle.db);
      dueSamples.push(lag.rows[0]?.due ?? 0);
      maxLagSec = Math.max(maxLagSec, lag.rows[0]?.lag ?? 0);
    }
    const profileEnd = await workers[0]?.call<number>('mark');
    if (ctx.options['engine-heap-snapshot']) {
      ctx.log(`  heap snapshot: ${await workers[0]?.call<string>('heapSnapshot', { path: ctx.options['engine-heap-snapshot'] })}`);
    }
    const [after, stubAfter, postAfter, kubeAfter, pgAfter] = await Promise.all([
      stats(),
      infra.stub.call<StubStats>('stats'),
      postCount(),
      infra.kube.call<number>('requestCount'),
      backendCpu(db.handle.db),
    ]);
    const seconds = (Math.max(...after.map((a) => a.time)) - Math.min(...before.map((b) => b.time))) / 1000;
    const deltaSteps = after.map((a, i) => a.steps - (before[i]?.steps ?? 0));
    const totalSteps = deltaSteps.reduce((a, b) => a + b, 0);
    const deltaQueries = after.reduce((sum, a, i) => sum + a.queries - (before[i]?.queries ?? 0), 0);
    const byKind: Record<string, number> = {};
    after.forEach((a, i) => {
      for (const [kind, n] of Object.entries(a.queriesByKind)) byKind[kind] = (byKind[kind] ?? 0) + n - (before[i]?.queriesByKind[kind] ?? 0);
    });
    const rounds = postAfter - postBefore;
    const engineCpuSeconds = after.reduce((sum, a, i) => sum + (a.cpuMicros - (before[i]?.cpuMicros ?? 0)) / 1e6, 0);
    const postgresCpuSeconds = cpuBetween(pgBefore, pgAfter);
    const intervals = await sql<{ p50: number | null; p99: number | null }>`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY gap) AS p50, percentile_cont(0.99) WITHIN GROUP (ORDER BY gap) AS p99
      FROM (SELECT extract(epoch FROM measured_at - lag(measured_at) OVER (PARTITION BY promotion_id ORDER BY id))::float8 AS gap
            FROM check_results WHERE phase = 'post' AND check_name = 'error-rate' AND measured_at >= ${windowStart}) AS g
      WHERE gap IS NOT NULL`.execute(db.handle.db);

    await Promise.all(workers.map((w) => w.stop()));
    workers.length = 0;

    const duplicateTransitions = (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT promotion_id, from_state, to_state FROM promotion_events
        WHERE type = 'transition' GROUP BY 1, 2, 3 HAVING count(*) > 1) AS d`.execute(db.handle.db)
    ).rows[0]?.n ?? -1;
    const duplicateSamples = (
      await sql<{ n: number }>`SELECT count(*)::int AS n FROM (SELECT promotion_id, check_name, phase, sample FROM check_results
        GROUP BY 1, 2, 3, 4 HAVING count(*) > 1) AS d`.execute(db.handle.db)
    ).rows[0]?.n ?? -1;
    const patches = await infra.kube.call<{ path: string }[]>('patches', { namespace });
    const perDeployment = new Map<string, number>();
    for (const p of patches) perDeployment.set(p.path, (perDeployment.get(p.path) ?? 0) + 1);
    const patchedOnce = [...perDeployment.values()].filter((n) => n === 1).length;
    const leaseLost = logs.reduce((sum, file) => sum + (readFileSync(file, 'utf8').match(/lease lost/g)?.length ?? 0), 0);
    const notVerifying = Object.fromEntries(Object.entries(states).filter(([s]) => s !== 'verifying'));
    let profile: string | undefined;
    if (ctx.profile && spec.profiled) {
      const file = newestProfile(profileDir(ctx, index));
      if (file && profileStart !== undefined && profileEnd !== undefined) {
        const window = { startUs: profileStart, endUs: profileEnd };
        const groups: [string, RegExp][] = [
          ['PromotionStore.claim', /^claim service:engine\/promotion-store/],
          ['PromotionStore.results', /^results service:engine\/promotion-store/],
          ['PromotionStore.complete', /^complete service:engine\/promotion-store/],
          ['Prometheus client', /prometheus-client/],
          ['Kysely', /kysely/],
          ['pg driver', / (pg|pg-protocol|pg-pool|pg-types|postgres-date)$/],
          ['logging', /pino|sonic-boom/],
        ];
        const summary = summarizeProfile(file, window);
        const rows = groups.map(([label, pattern]) => {
          const ms = inclusiveTime(file, pattern, window);
          return `| ${label} | ${Math.round(ms)} | ${round((100 * ms) / summary.busyMs, 1)}% |`;
        });
        profile = [
          `CPU profile of the first replica of "${spec.label}" (node --cpu-prof), samples from the measured window only. Inclusive time of selected parts:`,
          `| part | inclusive ms | share of busy |\n|---|---|---|\n${rows.join('\n')}`,
          formatProfile(summary),
        ].join('\n\n');
      }
    }

    return {
      spec,
      stepsPerSec: totalSteps / seconds,
      cpuCores: after.map((a, i) => (a.cpuMicros - (before[i]?.cpuMicros ?? 0)) / 1e6 / seconds),
      maxRssMb: after.map((a) => a.maxRss / 2 ** 20),
      heapUsedAtStartMb: before.map((b) => round(b.memory.heapUsed / 2 ** 20, 0)),
      memoryMb: after.map((a) => ({ heapUsed: round(a.memory.heapUsed / 2 ** 20, 0), heapTotal: round(a.memory.heapTotal / 2 ** 20, 0), external: round(a.memory.external / 2 ** 20, 0) })),
      queriesPerStep: deltaQueries / totalSteps,
      queriesByKindPerStep: Object.fromEntries(Object.entries(byKind).map(([k, n]) => [k, round(n / totalSteps, 2)])),
      promRequestsPerRound: (stubAfter.requests - stubBefore.requests) / rounds,
      rounds,
      intervalP50: intervals.rows[0]?.p50 ?? Number.NaN,
      intervalP99: intervals.rows[0]?.p99 ?? Number.NaN,
      rampSec,
      medianDue: median(dueSamples),
      maxLagSec,
      stepsByReplica: deltaSteps,
      duplicateTransitions,
      duplicateSamples,
      deploymentsNotPatchedOnce: count - patchedOnce,
      notVerifying,
      leaseLost,
      kubeRequestsInWindow: kubeAfter - kubeBefore,
      profile,
      engineCpuPerStepMs: (1000 * engineCpuSeconds) / totalSteps,
      postgresCpuPerStepMs: (1000 * postgresCpuSeconds) / totalSteps,
    };
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    await db.drop();
  }
}

export const engineBenchmark: Benchmark = {
  name: 'engine',
  description: '1,000 active promotions, 1 s interval: steps/s, CPU, RSS, queries/step, Prometheus requests/round; 1 vs 2 replicas',
  async run(ctx): Promise<BenchOutput> {
    const count = ctx.quick ? 300 : 1_000;
    const windowSec = Number(ctx.options['engine-window'] ?? (ctx.quick ? 10 : 30));
    const configs: ConfigSpec[] = [
      { label: '1 replica', replicas: 1, profiled: true },
      { label: '2 replicas', replicas: 2 },
      { label: '1 replica, 5 min into the bake', replicas: 1, historyRounds: 300, profiled: true },
      { label: '1 replica, concurrency 64', replicas: 1, concurrency: 64, fullOnly: true },
      // Where a step waits on Prometheus (a network away) rather than on the shared 2 cores, replicas add
      // throughput: each has its own `concurrency` steps in flight.
      { label: '1 replica, Prometheus answering in 100 ms', replicas: 1, prometheusDelayMs: 100, fullOnly: true },
      { label: '2 replicas, Prometheus answering in 100 ms', replicas: 2, prometheusDelayMs: 100, fullOnly: true },
    ];
    const only = ctx.options['engine-configs']?.split(',').map(Number);
    const infra = await startInfrastructure(ctx, 'engine');
    const results: ConfigResult[] = [];
    try {
      for (const [index, spec] of configs.entries()) {
        if (only ? !only.includes(index) : ctx.quick && spec.fullOnly) continue;
        await infra.stub.call('setDelay', { ms: spec.prometheusDelayMs ?? 0 });
        const result = await runConfig(ctx, infra, spec, index, count, windowSec);
        results.push(result);
        ctx.log(
          `  [${spec.label}] ${Math.round(result.stepsPerSec)} steps/s, CPU ${result.cpuCores.map((c) => round(c, 2)).join(' + ')} cores, ` +
            `${round(result.engineCpuPerStepMs, 2)} + ${round(result.postgresCpuPerStepMs, 2)} ms CPU/step (engine + PostgreSQL), RSS ${result.maxRssMb.map((m) => Math.round(m)).join(' + ')} MB, ${round(result.queriesPerStep, 2)} SQL/step ${JSON.stringify(result.queriesByKindPerStep)}, ` +
            `${round(result.promRequestsPerRound, 2)} Prometheus requests/round, interval p50 ${round(result.intervalP50, 2)} s p99 ${round(result.intervalP99, 2)} s`,
        );
      }
    } finally {
      await infra.kube.stop();
      await infra.stub.stop();
    }
    const figures: Figure[] = [];
    const one = results.find((r) => r.spec.label === '1 replica');
    const two = results.find((r) => r.spec.label === '2 replicas');
    for (const r of results) {
      const l = r.spec.label;
      figures.push({ name: `${l}: steps per second`, value: Math.round(r.stepsPerSec), note: `${count} promotions due every 1 s` });
      figures.push({ name: `${l}: effective check interval p50 / p99`, value: `${round(r.intervalP50, 2)} / ${round(r.intervalP99, 2)}`, unit: 's', target: 'p50 <= 1.2 s (keeps up)', met: r.intervalP50 <= 1.2 });
      r.cpuCores.forEach((c, i) => figures.push({ name: `${l}: CPU of replica ${i + 1}`, value: round(c, 2), unit: 'cores', target: '< 1 core', met: c < 1 }));
      r.maxRssMb.forEach((m, i) => figures.push({ name: `${l}: max RSS of replica ${i + 1}`, value: Math.round(m), unit: 'MB', target: '< 300 MB', met: m < 300 }));
      figures.push({ name: `${l}: CPU per step, engine / PostgreSQL`, value: `${round(r.engineCpuPerStepMs, 2)} / ${round(r.postgresCpuPerStepMs, 2)}`, unit: 'ms' });
      figures.push({ name: `${l}: SQL statements per step`, value: round(r.queriesPerStep, 2), note: Object.entries(r.queriesByKindPerStep).map(([k, n]) => `${k} ${n}`).join(', ') });
      figures.push({
        name: `${l}: Prometheus requests per evaluation round`,
        value: round(r.promRequestsPerRound, 2),
        target: `${DISTINCT_QUERIES_PER_ROUND} (3 checks, 2 distinct queries)`,
        met: Math.abs(r.promRequestsPerRound - DISTINCT_QUERIES_PER_ROUND) < 0.05,
      });
      if (r.spec.replicas > 1) {
        figures.push({ name: `${l}: steps per replica`, value: r.stepsByReplica.join(' / ') });
        figures.push({
          name: `${l}: promotions stepped twice`,
          value: `${r.duplicateTransitions} duplicate transitions, ${r.duplicateSamples} duplicate samples, ${r.deploymentsNotPatchedOnce} Deployments not patched exactly once`,
          target: '0',
          met: r.duplicateTransitions === 0 && r.duplicateSamples === 0 && r.deploymentsNotPatchedOnce === 0,
        });
      }
    }
    const pairs: [string, ConfigResult | undefined, ConfigResult | undefined][] = [
      ['2 replicas vs 1: throughput (CPU-bound: replicas and PostgreSQL share 2 cores)', one, two],
      [
        '2 replicas vs 1: throughput (Prometheus answering in 100 ms)',
        results.find((r) => r.spec.label === '1 replica, Prometheus answering in 100 ms'),
        results.find((r) => r.spec.label === '2 replicas, Prometheus answering in 100 ms'),
      ],
    ];
    for (const [name, single, double] of pairs) {
      if (!single || !double) continue;
      const scale = double.stepsPerSec / single.stepsPerSec;
      figures.push({ name, value: `${round(scale, 2)}x`, target: '> 1.1x (scales)', met: scale > 1.1 });
    }
    const table = [
      '| configuration | steps/s | check interval p50 / p99 s | due & unleased (median) / max lag s | CPU cores | CPU ms/step engine / PostgreSQL | max RSS MB | SQL/step | Prometheus req/round | ramp to verifying s | Kubernetes requests in window | lease lost |',
      '|---|---|---|---|---|---|---|---|---|---|---|---|',
      ...results.map(
        (r) =>
          `| ${r.spec.label} | ${Math.round(r.stepsPerSec)} | ${round(r.intervalP50, 2)} / ${round(r.intervalP99, 2)} | ${r.medianDue} / ${round(r.maxLagSec, 2)} | ` +
          `${r.cpuCores.map((c) => round(c, 2)).join(' + ')} | ${round(r.engineCpuPerStepMs, 2)} / ${round(r.postgresCpuPerStepMs, 2)} | ${r.maxRssMb.map((m) => Math.round(m)).join(' + ')} | ${round(r.queriesPerStep, 2)} | ` +
          `${round(r.promRequestsPerRound, 2)} | ${round(r.rampSec, 1)} | ${r.kubeRequestsInWindow} | ${r.leaseLost} |`,
      ),
    ].join('\n');
    return {
      title: `engine scale, ${count} active promotions, 1 s interval`,
      figures,
      details: [
        `Each engine replica, the fake Kubernetes API and the Prometheus stub in their own processes; PostgreSQL on the same machine. ` +
          `${count} promotions (policy: interval 1s, bake 10m, 3 checks with 2 distinct queries) are created through the API; the replicas ` +
          `(default poll 500 ms, lease 60 s, pool 10, concurrency ${'16 unless stated'}) take them through analyzing, the patch and the rollout ` +
          `to verifying ("ramp"); then a ${windowSec} s window is measured. SQL statements are counted in the pg driver (BEGIN/COMMIT included). ` +
          `Prometheus requests per round = requests the stub received / rounds of post checks stored in the window.`,
        table,
        `Node flags of the engine replicas: ${ctx.options['engine-node-options'] || "(none: Node's default heap sizing for this machine's memory)"}.`,
        `SQL statements per step by kind: ${results.map((r) => `${r.spec.label}: ${JSON.stringify(r.queriesByKindPerStep)}`).join('; ')}.`,
        `Memory at the end of the window (MB): ${results.map((r) => `${r.spec.label}: ${JSON.stringify(r.memoryMb)} (heap used at the start of the window: ${r.heapUsedAtStartMb.join(', ')})`).join('; ')}.`,
        `States at the end of the ramp (besides verifying): ${results.map((r) => `${r.spec.label}: ${JSON.stringify(r.notVerifying)}`).join('; ')}.`,
        ...results.flatMap((r) => (r.profile ? [r.profile] : [])),
      ],
    };
  },
};
