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
import { connectKubernetes, type KubernetesConnection } from './adapters/kubernetes/connect-kubernetes.js';
import type { KubernetesClient } from './adapters/kubernetes/types.js';
import { UnconfiguredKubernetes } from './adapters/kubernetes/unconfigured-kubernetes.js';
import { instrumentQueries } from './adapters/prometheus/instrumented-queries.js';
import { PrometheusClient } from './adapters/prometheus/prometheus-client.js';
import type { PrometheusQueries } from './adapters/prometheus/query-result.js';
import { WebhookClient } from './adapters/webhook/webhook-client.js';
import { loadOpenApiDocument, type OpenApiDocument } from './contract/openapi.js';
import { KubernetesDelivery } from './engine/kubernetes-delivery.js';
import { gitAncestry, GitOpsDelivery, UNCONFIGURED_GIT } from './engine/git-delivery.js';
import { pullRequestRoutes } from './engine/pull-request-routes.js';
import { ArgoCdFollower } from './engine/argocd-sync.js';
import type { ArgoCdApplications } from './adapters/kubernetes/argocd-types.js';
import { GitReleaseFinalizer } from './engine/release-finalizer.js';
import { GitDelivery, loadGitConfig, type GitLogger } from './adapters/git/index.js';
import { join } from 'node:path';
import { PromotionEngine } from './engine/promotion-engine.js';
import { PromotionSteps } from './engine/promotion-steps.js';
import { argoCdApplicationVerifier, gitDeliveryVerifier, kubernetesTargetVerifier } from './engine/target-verifier.js';
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
  /** The operator's Git repositories; `null` means none (as without PROMOTER_GIT_REPOSITORIES_FILE). */
  readonly git?: GitDelivery | null;
  /** Argo CD Applications (default: through the configured KubeConfig; none when `kube` is given); `null`: none. */
  readonly argocd?: ArgoCdApplications | null;
  readonly webhooks?: WebhookClient;
  readonly metrics?: ServiceMetrics;
  readonly document?: OpenApiDocument;
  readonly logStream?: NodeJS.WritableStream;
  readonly streamPollMs?: number;
  /** Told of every route the app registers. */
  readonly onRoute?: (route: { method: string; url: string }) => void;
  readonly engine?: Pick<EngineParts, 'owner' | 'rolloutPollMs' | 'clock' | 'maxKubeFailures'>;
  readonly notifications?: { readonly owner?: string; readonly pollMs?: number };
  /** Plans notifications instead of the configured sinks (tests that receive them themselves). */
  readonly notificationPlanner?: NotificationPlanner;
}

export async function createService(config: Config, parts: ServiceParts = {}): Promise<Service> {
  // Loading client-node overlaps opening and migrating the database.
  const kubeConnection =
    parts.kube !== undefined
      ? Promise.resolve<KubernetesConnection>(parts.kube ? { client: parts.kube } : { problem: 'no Kubernetes client given' })
      : connectKubernetes({ KUBECONFIG: config.kubeconfig, KUBERNETES_SERVICE_HOST: config.kubernetesServiceHost });
  const ownsDatabase = parts.database === undefined;
  const handle = parts.database ?? (await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir }));
  const applied = await migrate(handle);
  const prometheus = parts.prometheus ?? prometheusFrom(config);
  // Git is set up before the app (the create route checks Git deliveries), so its log lines go to the
  // app's logger once there is one.
  let appLog: FastifyBaseLogger | undefined;
  const gitLog: GitLogger = {
    debug: (object, message) => appLog?.debug(object, message),
    info: (object, message) => appLog?.info(object, message),
    warn: (object, message) => appLog?.warn(object, message),
  };
  const git = parts.git !== undefined ? (parts.git ?? undefined) : await gitFrom(config, gitLog);
  const { client: kube, problem: kubeProblem, argocd: connectedArgoCd } = await kubeConnection;
  const argocd = parts.argocd === null ? undefined : (parts.argocd ?? connectedArgoCd);
  const planner = parts.notificationPlanner ?? (config.notifications ? notificationPlanner(config.notifications.sinks, config.publicUrl) : undefined);
  const promotions = new PromotionRepository(handle.db, planner);
  const notificationStore = new NotificationStore(handle.db);
  const metrics = parts.metrics ?? createMetrics(() => promotions.countByState(), () => notificationStore.oldestPendingAgeSeconds());
  const queries = prometheus ? instrumentQueries(prometheus, metrics.prometheusRequestsTotal) : undefined;
  // Webhook checks may call only what the operator allows (PROMOTER_WEBHOOK_ALLOWED_URLS), in the app and the engine alike.
  const webhooks = parts.webhooks ?? new WebhookClient(config.webhooks);
  const checkRunner = new CheckRunner({ prometheus: queries, webhooks, deployments: kube });

  // Built once, not per request: the create route calls them on every promotion.
  const verifyDeployments = kube ? kubernetesTargetVerifier(kube) : async () => [];
  const verifyGitDelivery = gitDeliveryVerifier(git);
  const verifyArgoCd = argoCdApplicationVerifier(argocd);
  const app = await buildApp({
    db: handle.db,
    document: parts.document ?? loadOpenApiDocument(),
    prometheus,
    checkRunner,
    metrics,
    verifyTarget: async (request) => [...(await verifyDeployments(request)), ...(await verifyGitDelivery(request)), ...(await verifyArgoCd(request))],
    apiTokens: config.apiTokens,
    logLevel: config.logLevel,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    failedAuthPerMinute: config.failedAuthPerMinute,
    requestTimeoutMs: config.requestTimeoutMs,
    eventStreams: config.eventStreams,
    webhooks,
    policiesDir: config.policiesDir,
    ...(planner ? { notifications: planner } : {}),
    ...(parts.logStream ? { logStream: parts.logStream } : {}),
    ...(parts.onRoute ? { onRoute: parts.onRoute } : {}),
    ...(parts.streamPollMs === undefined ? {} : { streamPollMs: parts.streamPollMs }),
  });
  const log = app.log;
  appLog = log.child({ component: 'git' });
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
        ...(git ? { git } : {}),
        ...(argocd ? { argocd } : {}),
        argocdSync: config.argocdSync,
        prometheus: queries,
        checkRunner,
        log,
        metrics,
        leaseMs: config.engineLeaseMs,
        pollMs: config.enginePollMs,
        concurrency: config.engineConcurrency,
        ...(planner ? { notifications: planner } : {}),
        publicUrl: config.publicUrl,
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
      // A git delivery handed in by the caller is the caller's to close.
      if (parts.git === undefined) await git?.close();
      if (ownsDatabase) await handle.close();
    },
  };
}

export interface EngineParts {
  readonly db: Kysely<Database>;
  readonly kube: KubernetesClient;
  /** The operator's Git repositories, for promotions delivered through Git and for releases. */
  readonly git?: GitDelivery;
  /** Argo CD Applications, followed for Git deliveries that name one (with `git`). */
  readonly argocd?: ArgoCdApplications;
  /** Whether Argo CD may be asked to sync, not only to refresh (PROMOTER_ARGOCD_SYNC). */
  readonly argocdSync?: boolean;
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
  /** PROMOTER_PUBLIC_URL, for links to a promotion from its pull requests. */
  readonly publicUrl?: string | undefined;
  /** Where forge tokens named by `tokenEnv` are read; the process environment by default. */
  readonly environment?: Readonly<Record<string, string | undefined>>;
  /** How often an open pull request is looked at (default 15 s). */
  readonly pullRequestPollMs?: number;
}

/** The promotion engine over a database, a cluster and Prometheus: the one place it is assembled. */
export function createEngine(parts: EngineParts): PromotionEngine {
  const runner = parts.checkRunner ?? new CheckRunner({ prometheus: parts.prometheus, deployments: parts.kube });
  const patch = new KubernetesDelivery(parts.kube);
  const routes = parts.git ? pullRequestRoutes(parts.git, { environment: parts.environment ?? process.env, publicUrl: parts.publicUrl }) : undefined;
  const commit = parts.git ? new GitOpsDelivery(parts.git, routes) : UNCONFIGURED_GIT;
  const steps = new PromotionSteps({
    kube: parts.kube,
    deliveryFor: (promotion) => (promotion.delivery.via === 'git' ? commit : patch),
    ...(parts.git ? { releases: new GitReleaseFinalizer(parts.git, routes) } : {}),
    runner,
    prometheus: parts.prometheus,
    ...(parts.rolloutPollMs === undefined ? {} : { rolloutPollMs: parts.rolloutPollMs }),
    ...(parts.clock ? { clock: parts.clock } : {}),
    ...(parts.maxKubeFailures === undefined ? {} : { maxKubeFailures: parts.maxKubeFailures }),
    ...(parts.pullRequestPollMs === undefined ? {} : { pullRequestPollMs: parts.pullRequestPollMs }),
    ...(parts.argocd && parts.git ? { argocd: new ArgoCdFollower({ applications: parts.argocd, git: gitAncestry(parts.git), sync: parts.argocdSync ?? false }) } : {}),
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

/** The Git repositories of PROMOTER_GIT_REPOSITORIES_FILE, checked at start-up (file and git version). */
async function gitFrom(config: Config, logger: GitLogger): Promise<GitDelivery | undefined> {
  if (!config.gitRepositoriesFile) return undefined;
  const git = new GitDelivery({ config: await loadGitConfig(config.gitRepositoriesFile, { cacheDir: join(config.dataDir, 'git') }), logger, limits: { maxFileBytes: config.gitMaxFileBytes } });
  await git.checkGitVersion();
  return git;
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
