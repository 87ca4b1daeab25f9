/**
 * One engine replica in its own process, built by the service's own `createEngine` (client-node against
 * the fake Kubernetes API, the Prometheus client against PROMETHEUS_URL). It counts every SQL statement sent through `pg` (BEGIN and
 * COMMIT included) by patching `pg.Client.prototype.query`, and reports steps, CPU time and RSS.
 *
 * Environment: DATABASE_URL, KUBECONFIG, PROMETHEUS_URL, OWNER, CONCURRENCY (default: the engine's),
 * POLL_MS (default 500, as PROMOTER_ENGINE_POLL_MS), LEASE_MS (default 60000), LOG_FILE, LOG_LEVEL.
 */
import { writeHeapSnapshot } from 'node:v8';
import pg from 'pg';
import { pino } from 'pino';
import { openDatabase } from '../../services/promoter/src/adapters/db/connection.js';
import { ClientNodeKubernetesClient } from '../../services/promoter/src/adapters/kubernetes/client-node-kubernetes-client.js';
import { loadKubeConfig } from '../../services/promoter/src/adapters/kubernetes/load-kube-config.js';
import { PrometheusClient } from '../../services/promoter/src/adapters/prometheus/prometheus-client.js';
import { createEngine } from '../../services/promoter/src/service.js';
import { serveIpc } from '../lib/ipc.js';

const queriesByKind = new Map<string, number>();
let queries = 0;
{
  // Count statements at the driver, below Kysely: every round trip the engine makes, transactions included.
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function countedQuery(this: unknown, ...args: unknown[]) {
    const first = args[0];
    const text = typeof first === 'string' ? first : typeof first === 'object' && first !== null && 'text' in first ? String((first as { text: unknown }).text) : '';
    const kind = (/^\s*(\w+)/.exec(text)?.[1] ?? 'other').toLowerCase();
    queries++;
    queriesByKind.set(kind, (queriesByKind.get(kind) ?? 0) + 1);
    return original.apply(this, args);
  };
}

let maxRss = process.memoryUsage().rss;
setInterval(() => {
  maxRss = Math.max(maxRss, process.memoryUsage().rss);
}, 200).unref();

async function main(): Promise<void> {
  const env = (name: string): string => {
    const value = process.env[name];
    if (!value) throw new Error(`${name} is required`);
    return value;
  };
  const handle = await openDatabase({ databaseUrl: env('DATABASE_URL') });
  const log = pino({ level: process.env.LOG_LEVEL ?? 'info' }, pino.destination({ dest: env('LOG_FILE'), sync: false }));
  const prometheus = new PrometheusClient({ baseUrl: env('PROMETHEUS_URL') });
  const kube = new ClientNodeKubernetesClient(loadKubeConfig({ KUBECONFIG: env('KUBECONFIG') }));
  const engine = createEngine({
    db: handle.db,
    kube,
    prometheus,
    log,
    owner: env('OWNER'),
    pollMs: Number(process.env.POLL_MS ?? 500),
    leaseMs: Number(process.env.LEASE_MS ?? 60_000),
    ...(process.env.CONCURRENCY ? { concurrency: Number(process.env.CONCURRENCY) } : {}),
  });
  serveIpc(
    {
      start: () => {
        engine.start();
        return true;
      },
      stats: (args) => {
        const cpu = process.cpuUsage();
        const rss = process.memoryUsage().rss;
        const stats = {
          time: Date.now(),
          steps: engine.stepsCompleted,
          cpuMicros: cpu.user + cpu.system,
          queries,
          queriesByKind: Object.fromEntries(queriesByKind),
          rss,
          maxRss: Math.max(maxRss, rss),
          memory: process.memoryUsage(),
        };
        if ((args as { resetMaxRss?: boolean }).resetMaxRss) maxRss = rss;
        return stats;
      },
      /** Writes a heap snapshot (for investigations) and returns its path. */
      heapSnapshot: (args) => writeHeapSnapshot((args as { path: string }).path),
      /** Now, in the clock of CPU profiles (microseconds, monotonic). */
      mark: () => Number(process.hrtime.bigint() / 1000n),
      stop: async () => {
        await engine.stop();
        await handle.close();
        log.flush();
        setTimeout(() => process.exit(0), 50);
        return { steps: engine.stepsCompleted };
      },
    },
    { owner: engine.owner },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`engine-worker: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
