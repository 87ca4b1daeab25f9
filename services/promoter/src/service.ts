/**
 * The whole service from its configuration: database (migrated), Prometheus, Kubernetes, the app and
 * the promotion engine, wired once here. main.ts, the tests and the benchmarks all build it this way, so
 * there is one wiring to read. Parts can be given instead of built from the configuration (a test's
 * throwaway database, a fake Kubernetes client).
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildApp } from './app.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './adapters/db/connection.js';
import { migrate } from './adapters/db/migrations.js';
import { PromotionRepository } from './adapters/db/promotion-repository.js';
import { PromotionStore } from './adapters/db/promotion-store.js';
import type { Database } from './adapters/db/schema.js';
import { connectKubernetes } from './adapters/kubernetes/connect-kubernetes.js';
import type { KubernetesClient } from './adapters/kubernetes/types.js';
import { UnconfiguredKubernetes } from './adapters/kubernetes/unconfigured-kubernetes.js';
import { instrumentQueries } from './adapters/prometheus/instrumented-queries.js';
import { PrometheusClient } from './adapters/prometheus/prometheus-client.js';
import type { PrometheusQueries } from './adapters/prometheus/query-result.js';
import type { WebhookClient } from './adapters/webhook/webhook-client.js';
import { loadOpenApiDocument, type OpenApiDocument } from './contract/openapi.js';
import { KubernetesDelivery } from './engine/kubernetes-delivery.js';
import { PromotionEngine } from './engine/promotion-engine.js';
import { PromotionSteps } from './engine/promotion-steps.js';
import { kubernetesTargetVerifier } from './engine/target-verifier.js';
import { CheckRunner } from './evaluation/check-runner.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { NotificationStore } from './adapters/db/notification-store.js';
import { NotificationDispatcher } from './notifications/dispatcher.js';
import { notificationPlanner, type NotificationPlanner } from './notifications/notification-events.js';

export interface Service {
  readonly app: FastifyInstance;
  /** The promotion engine (not started), unless PROMOTER_ENGINE=off. */
  readonly engine: PromotionEngine | undefined;
  /** The notification dispatcher (not started), when sinks are configured; start it with the engine. */
  readonly notifications: NotificationDispatcher | undefined;
  /** Stops the engine (handing its leases back), then the app, then the database. */
  close(): Promise<void>;
}

/** Parts given instead of built from the configuration. */
export interface ServiceParts {
  /** An open database; it is migrated, and left open by `close()` (its owner closes it). */
  readonly database?: DatabaseHandle;
  /** Kubernetes; `null` means none (as without a kubeconfig). */
  readonly kube?: KubernetesClient | null;
  readonly prometheus?: PrometheusClient;
  readonly webhooks?: WebhookClient;
  readonly metrics?: ServiceMetrics;
  readonly document?: OpenApiDocument;
  readonly logStream?: NodeJS.WritableStream;
  readonly streamPollMs?: number;
  readonly engine?: Pick<EngineParts, 'owner' | 'rolloutPollMs' | 'clock' | 'maxKubeFailures'>;
  readonly notifications?: { readonly owner?: string; readonly pollMs?: number };
}

export async function createService(config: Config, parts: ServiceParts = {}): Promise<Service> {
  // Loading client-node overlaps opening and migrating the database.
  const kubeConnection =
    parts.kube !== undefined
      ? Promise.resolve(parts.kube ? { client: parts.kube, problem: undefined } : { client: undefined, problem: 'no Kubernetes client given' })
      : connectKubernetes({ KUBECONFIG: config.kubeconfig, KUBERNETES_SERVICE_HOST: config.kubernetesServiceHost });
  const ownsDatabase = parts.database === undefined;
  const handle = parts.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const applied = await migrate(handle);
  const prometheus = parts.prometheus ?? prometheusFrom(config);
  const { client: kube, problem: kubeProblem } = await kubeConnection;
  const planner = config.notifications ? notificationPlanner(config.notifications.sinks, config.publicUrl) : undefined;
  const promotions = new PromotionRepository(handle.db, planner);
  const notificationStore = new NotificationStore(handle.db);
  const metrics = parts.metrics ?? createMetrics(() => promotions.countByState(), () => notificationStore.oldestPendingAgeSeconds());
  const queries = prometheus ? instrumentQueries(prometheus, metrics.prometheusRequestsTotal) : undefined;
  const checkRunner = new CheckRunner({ prometheus: queries, ...(parts.webhooks ? { webhooks: parts.webhooks } : {}) });

  const app = await buildApp({
    db: handle.db,
    document: parts.document ?? loadOpenApiDocument(),
    prometheus,
    checkRunner,
    metrics,
    ...(kube ? { verifyTarget: kubernetesTargetVerifier(kube) } : {}),
    apiTokens: config.apiTokens,
    logLevel: config.logLevel,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    policiesDir: config.policiesDir,
    ...(planner ? { notifications: planner } : {}),
    ...(parts.logStream ? { logStream: parts.logStream } : {}),
    ...(parts.streamPollMs === undefined ? {} : { streamPollMs: parts.streamPollMs }),
  });
  const log = app.log;
  log.info(
    { database: handle.engine, ...(handle.engine === 'pglite' ? { dataDir: config.dataDir } : {}), migrationsApplied: applied },
    handle.engine === 'pglite' ? 'using the embedded database (set DATABASE_URL for PostgreSQL)' : 'using PostgreSQL',
  );
  if (kubeProblem) {
    log.warn(`${kubeProblem}: targets are not checked when promotions are created, and promotions fail when they reach the patch (gates and dry runs work)`);
  }
  if (!prometheus) log.warn('PROMETHEUS_URL is not set: metric checks cannot pass (they measure as errors)');
  if (config.apiTokens.length === 0) log.warn('NO API TOKENS CONFIGURED: the API is open to anyone who can reach it. Set PROMOTER_API_TOKENS.');

  const engine = config.engineEnabled
    ? createEngine({
        db: handle.db,
        kube: kube ?? new UnconfiguredKubernetes(kubeProblem ?? 'no configuration'),
        prometheus: queries,
        checkRunner,
        log,
        metrics,
        leaseMs: config.engineLeaseMs,
        pollMs: config.enginePollMs,
        concurrency: config.engineConcurrency,
        ...(planner ? { notifications: planner } : {}),
        ...parts.engine,
      })
    : undefined;
  // Its own loop, so a slow sink never delays a step; it runs with the engine (an API-only replica sends none).
  const notifications =
    config.notifications && config.notifications.sinks.length > 0 && config.engineEnabled
      ? new NotificationDispatcher({ store: notificationStore, config: config.notifications, log, counter: metrics.notificationsTotal, ...parts.notifications })
      : undefined;
  if (!engine) log.info('PROMOTER_ENGINE=off: this replica serves the API only');

  return {
    app,
    engine,
    notifications,
    close: async () => {
      await Promise.all([engine?.stop(), notifications?.stop()]);
      await app.close();
      if (ownsDatabase) await handle.close();
    },
  };
}

export interface EngineParts {
  readonly db: Kysely<Database>;
  readonly kube: KubernetesClient;
  /** Prometheus as the checks query it (instrumented); undefined when not configured. */
  readonly prometheus: PrometheusQueries | undefined;
  readonly checkRunner?: CheckRunner;
  readonly log: FastifyBaseLogger;
  readonly metrics?: ServiceMetrics;
  readonly owner?: string;
  readonly leaseMs?: number;
  readonly pollMs?: number;
  readonly concurrency?: number;
  readonly rolloutPollMs?: number;
  readonly clock?: () => Date;
  readonly maxKubeFailures?: number;
  /** Plans the notifications each state change causes (written with it). */
  readonly notifications?: NotificationPlanner;
}

/** The promotion engine over a database, a cluster and Prometheus: the one place it is assembled. */
export function createEngine(parts: EngineParts): PromotionEngine {
  const runner = parts.checkRunner ?? new CheckRunner({ prometheus: parts.prometheus });
  const steps = new PromotionSteps({
    kube: parts.kube,
    delivery: new KubernetesDelivery(parts.kube),
    runner,
    prometheus: parts.prometheus,
    ...(parts.rolloutPollMs === undefined ? {} : { rolloutPollMs: parts.rolloutPollMs }),
    ...(parts.clock ? { clock: parts.clock } : {}),
    ...(parts.maxKubeFailures === undefined ? {} : { maxKubeFailures: parts.maxKubeFailures }),
  });
  return new PromotionEngine({
    store: new PromotionStore(parts.db, parts.notifications),
    steps,
    log: parts.log,
    ...(parts.metrics ? { metrics: parts.metrics } : {}),
    ...(parts.owner ? { owner: parts.owner } : {}),
    ...(parts.leaseMs === undefined ? {} : { leaseMs: parts.leaseMs }),
    ...(parts.pollMs === undefined ? {} : { pollMs: parts.pollMs }),
    ...(parts.concurrency === undefined ? {} : { concurrency: parts.concurrency }),
  });
}

function prometheusFrom(config: Config): PrometheusClient | undefined {
  const p = config.prometheus;
  if (!p) return undefined;
  return new PrometheusClient({
    baseUrl: p.url,
    timeoutMs: p.timeoutMs,
    headers: p.headers,
    insecureSkipTlsVerify: p.insecureSkipTlsVerify,
    ...(p.bearerToken
      ? { auth: { type: 'bearer' as const, token: p.bearerToken } }
      : p.username && p.password
        ? { auth: { type: 'basic' as const, username: p.username, password: p.password } }
        : {}),
  });
}
