/**
 * The whole service from its configuration: database (migrated), Prometheus, Kubernetes, the app and
 * the promotion engine, wired once here. main.ts, the tests and the benchmarks all build it this way, so
 * there is one wiring to read. Parts can be given instead of built from the configuration (a test's
 * throwaway database, a fake Kubernetes client).
 */
import type { FastifyBaseLogger, FastifyInstance } from 'fastify';
import type { Kysely } from 'kysely';
import { buildApp } from './app.js';
import { WorkloadVerifier } from './adapters/identity/workload-verifier.js';
import type { Config } from './config.js';
import { openDatabase, type DatabaseHandle } from './adapters/db/connection.js';
import { migrate } from './adapters/db/migrations.js';
import { PromotionRepository } from './adapters/db/promotion-repository.js';
import { PromotionStore } from './adapters/db/promotion-store.js';
import { BlockedImageRepository } from './adapters/db/blocked-image-repository.js';
import type { Database } from './adapters/db/schema.js';
import { Clusters, type ClusterClients } from './adapters/kubernetes/clusters.js';
import { DEFAULT_CLUSTER_NAME } from './adapters/kubernetes/clusters-config.js';
import { connectClusters } from './adapters/kubernetes/connect-clusters.js';
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
import { PipelineRepository } from './adapters/db/pipeline-repository.js';
import { PolicyRepository } from './adapters/db/policy-repository.js';
import { PipelineRunner, type StageStarter } from './engine/pipeline-runner.js';
import { startPromotion } from './http/start-promotion.js';
import { resolveTargetCluster, type ClusterDirectory } from './http/target-cluster.js';
import type { CanaryImageReader } from './http/pipelines.js';
import type { PromotionRequest, TargetVerifier } from './http/promotions.js';
import { containerImage } from './adapters/kubernetes/snapshot.js';
import { KubernetesError } from './adapters/kubernetes/kubernetes-error.js';
import { digest } from './domain/canonical-json.js';
import { errors } from './errors.js';
import { NotificationDispatcher } from './notifications/dispatcher.js';
import { notificationPlanner, type NotificationPlanner } from './notifications/notification-events.js';
import { FreezeGuard } from './engine/freeze-guard.js';
import { FreezeRepository } from './adapters/db/freeze-repository.js';

export interface Service {
  readonly app: FastifyInstance;
  /** The promotion engine (not started), unless PROMOTER_ENGINE=off. */
  readonly engine: PromotionEngine | undefined;
  /** The notification dispatcher (not started), when sinks are configured; start it with the engine. */
  readonly notifications: NotificationDispatcher | undefined;
  /** The pipeline runner (not started), unless PROMOTER_ENGINE=off; start it with the engine. */
  readonly pipelines: PipelineRunner | undefined;
  /** Stops the engine (handing its leases back), then the app, then the database. */
  close(): Promise<void>;
}

/** Parts given instead of built from the configuration. */
export interface ServiceParts {
  /** An open database; it is migrated, and left open by `close()` (its owner closes it). */
  readonly database?: DatabaseHandle;
  /** Kubernetes, as the one cluster `default`; `null` means none (as without a kubeconfig). */
  readonly kube?: KubernetesClient | null;
  /** The clusters, instead of those of the configuration (and instead of `kube`). */
  readonly clusters?: Clusters;
  readonly prometheus?: PrometheusClient;
  /** The operator's Git repositories; `null` means none (as without PROMOTER_GIT_REPOSITORIES_FILE). */
  readonly git?: GitDelivery | null;
  /** Argo CD Applications (default: through the configured KubeConfig; none when `kube` is given); `null`: none. */
  readonly argocd?: ArgoCdApplications | null;
  readonly webhooks?: WebhookClient;
  /** How workload tokens' keys are fetched and how often an unknown key may refetch them (tests shorten the cool-down). */
  readonly workloadKeys?: { readonly fetch?: typeof globalThis.fetch; readonly cooldownMs?: number };
  readonly metrics?: ServiceMetrics;
  readonly document?: OpenApiDocument;
  readonly logStream?: NodeJS.WritableStream;
  readonly streamPollMs?: number;
  /** Told of every route the app registers. */
  readonly onRoute?: (route: { method: string; url: string }) => void;
  readonly engine?: Pick<EngineParts, 'owner' | 'rolloutPollMs' | 'clock' | 'maxKubeFailures'>;
  readonly notifications?: { readonly owner?: string; readonly pollMs?: number };
  readonly pipelines?: { readonly owner?: string; readonly pollMs?: number; readonly stagePollMs?: number; readonly leaseMs?: number };
  /** Plans notifications instead of the configured sinks (tests that receive them themselves). */
  readonly notificationPlanner?: NotificationPlanner;
}

export async function createService(config: Config, parts: ServiceParts = {}): Promise<Service> {
  // Loading client-node overlaps opening and migrating the database.
  const connecting: Promise<Clusters> = parts.clusters
    ? Promise.resolve(parts.clusters)
    : parts.kube !== undefined
      ? Promise.resolve(Clusters.single(DEFAULT_CLUSTER_NAME, parts.kube))
      : connectClusters(config.clusters, { KUBECONFIG: config.kubeconfig, KUBERNETES_SERVICE_HOST: config.kubernetesServiceHost });
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
  const clusters = await connecting;
  // The default cluster's client: labels of evaluations, and the engine's client for one-cluster wiring.
  const kube = clusters.defaultCluster === undefined ? undefined : clusters.configured(clusters.defaultCluster);
  const argocd = parts.argocd === null ? undefined : (parts.argocd ?? clusters.argocd);
  const planner = parts.notificationPlanner ?? (config.notifications ? notificationPlanner(config.notifications.sinks, config.publicUrl) : undefined);
  const promotions = new PromotionRepository(handle.db, planner);
  const notificationStore = new NotificationStore(handle.db);
  const metrics = parts.metrics ?? createMetrics(() => promotions.countByState(), () => notificationStore.oldestPendingAgeSeconds());
  const queries = prometheus ? instrumentQueries(prometheus, metrics.prometheusRequestsTotal) : undefined;
  // Webhook checks may call only what the operator allows (PROMOTER_WEBHOOK_ALLOWED_URLS), in the app and the engine alike.
  const webhooks = parts.webhooks ?? new WebhookClient(config.webhooks);
  const checkRunner = new CheckRunner({ prometheus: queries, webhooks, deployments: kube, clusters });

  // Built once, not per request: the create route calls them on every promotion (with the cluster resolved).
  const verifyDeployments = kubernetesTargetVerifier((cluster) => clusters.configured(cluster ?? clusters.defaultCluster ?? DEFAULT_CLUSTER_NAME));
  const verifyGitDelivery = gitDeliveryVerifier(git);
  const verifyArgoCd = argoCdApplicationVerifier(argocd);
  const verifyTarget: TargetVerifier = async (request) => [...(await verifyDeployments(request)), ...(await verifyGitDelivery(request)), ...(await verifyArgoCd(request))];
  let pipelines: PipelineRunner | undefined;
  let identityLog: FastifyBaseLogger | undefined;
  const workloads = config.identity && config.identity.workloads.length > 0
    ? new WorkloadVerifier(config.identity.workloads, {
        log: { info: (object, message) => identityLog?.info(object, message), warn: (object, message) => identityLog?.warn(object, message) },
        ...parts.workloadKeys,
      })
    : undefined;
  const app = await buildApp({
    ...(workloads ? { bearerVerifiers: [workloads] } : {}),
    db: handle.db,
    document: parts.document ?? loadOpenApiDocument(),
    prometheus,
    checkRunner,
    metrics,
    clusters,
    verifyTarget,
    readCanaryImage: canaryImageReader((cluster) => clusters.configured(cluster ?? clusters.defaultCluster ?? DEFAULT_CLUSTER_NAME)),
    wakePipelineRunner: () => pipelines?.wake(),
    apiTokens: config.apiTokens,
    logLevel: config.logLevel,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    failedAuthPerMinute: config.failedAuthPerMinute,
    requestTimeoutMs: config.requestTimeoutMs,
    eventStreams: config.eventStreams,
    webhooks,
    policiesDir: config.policiesDir,
    people: config.identity?.people,
    publicUrl: config.publicUrl,
    ...(planner ? { notifications: planner } : {}),
    ...(parts.logStream ? { logStream: parts.logStream } : {}),
    ...(parts.onRoute ? { onRoute: parts.onRoute } : {}),
    ...(parts.streamPollMs === undefined ? {} : { streamPollMs: parts.streamPollMs }),
  });
  const log = app.log;
  appLog = log.child({ component: 'git' });
  identityLog = log.child({ component: 'identity' });
  if (workloads) log.info({ issuers: config.identity?.workloads.map((w) => w.issuer) }, 'workload tokens of trusted issuers are accepted');
  log.info(
    { database: handle.engine, ...(handle.engine === 'pglite' ? { dataDir: config.dataDir } : {}), migrationsApplied: applied },
    handle.engine === 'pglite' ? 'using the embedded database (set DATABASE_URL for PostgreSQL)' : 'using PostgreSQL',
  );
  for (const { cluster, problem } of clusters.problems) {
    const which = config.clusters.file === undefined && parts.clusters === undefined ? '' : `cluster '${cluster}': `;
    log.warn(`${which}${problem}: targets are not checked when promotions are created, and promotions fail when they reach the patch (gates and dry runs work)`);
  }
  if (clusters.names.length > 1) log.info({ clusters: clusters.names, defaultCluster: clusters.defaultCluster ?? null }, 'several Kubernetes clusters configured');
  if (!prometheus) log.warn('PROMETHEUS_URL is not set: metric checks cannot pass (they measure as errors)');
  if (config.apiTokens.length === 0 && config.identity === undefined) log.warn('NO API TOKENS CONFIGURED: the API is open to anyone who can reach it. Set PROMOTER_API_TOKENS.');

  const engine = config.engineEnabled
    ? createEngine({
        db: handle.db,
        kube: kube ?? new UnconfiguredKubernetes(clusters.problems[0]?.problem ?? 'no configuration'),
        clusters,
        ...(git ? { git } : {}),
        ...(argocd ? { argocd } : {}),
        argocdSync: config.argocdSync,
        pullRequestPollMs: config.pullRequestPollMs,
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
  pipelines = config.engineEnabled
    ? createPipelineRunner({ db: handle.db, promotions, verifyTarget, clusters, log: log.child({ component: 'pipelines' }), leaseMs: config.engineLeaseMs, ...parts.pipelines })
    : undefined;

  return {
    app,
    engine,
    notifications,
    pipelines,
    close: async () => {
      await Promise.all([engine?.stop(), notifications?.stop(), pipelines?.stop()]);
      await app.close();
      // A git delivery handed in by the caller is the caller's to close.
      if (parts.git === undefined) await git?.close();
      if (ownsDatabase) await handle.close();
    },
  };
}

export interface EngineParts {
  readonly db: Kysely<Database>;
  /** The client of every promotion's cluster, unless `clusters` is given. */
  readonly kube: KubernetesClient;
  /** The client of each promotion's cluster. */
  readonly clusters?: ClusterClients;
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
  const cluster = parts.clusters ?? parts.kube;
  const clusterReaders = parts.clusters;
  const runner =
    parts.checkRunner ??
    new CheckRunner({ prometheus: parts.prometheus, deployments: parts.kube, clusters: clusterReaders ? { configured: (name) => clusterReaders.client(name) } : undefined });
  const patch = new KubernetesDelivery(cluster);
  const routes = parts.git ? pullRequestRoutes(parts.git, { environment: parts.environment ?? process.env, publicUrl: parts.publicUrl }) : undefined;
  const commit = parts.git ? new GitOpsDelivery(parts.git, routes) : UNCONFIGURED_GIT;
  const freezes = new FreezeRepository(parts.db);
  const steps = new PromotionSteps({
    kube: cluster,
    deliveryFor: (promotion) => (promotion.delivery.via === 'git' ? commit : patch),
    ...(parts.git ? { releases: new GitReleaseFinalizer(parts.git, routes) } : {}),
    runner,
    prometheus: parts.prometheus,
    blocks: new BlockedImageRepository(parts.db),
    ...(parts.rolloutPollMs === undefined ? {} : { rolloutPollMs: parts.rolloutPollMs }),
    ...(parts.clock ? { clock: parts.clock } : {}),
    ...(parts.maxKubeFailures === undefined ? {} : { maxKubeFailures: parts.maxKubeFailures }),
    ...(parts.pullRequestPollMs === undefined ? {} : { pullRequestPollMs: parts.pullRequestPollMs }),
    freezes: new FreezeGuard(() => freezes.list()),
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

export interface PipelineRunnerParts {
  readonly db: Kysely<Database>;
  /** The promotions repository (its notification planner writes the stages' notifications). */
  readonly promotions?: PromotionRepository;
  /** What a new promotion's target must pass (the create route's checks). */
  readonly verifyTarget?: TargetVerifier;
  /** The configured clusters: a stage without a cluster goes to the default one. */
  readonly clusters?: ClusterDirectory;
  readonly log: FastifyBaseLogger;
  readonly owner?: string;
  readonly pollMs?: number;
  readonly stagePollMs?: number;
  readonly leaseMs?: number;
}

/** The pipeline runner over a database: stages start as promotions through the create route's own checks. */
export function createPipelineRunner(parts: PipelineRunnerParts): PipelineRunner {
  const promotions = parts.promotions ?? new PromotionRepository(parts.db);
  return new PipelineRunner({
    store: new PipelineRepository(parts.db),
    startStage: stageStarter({ policies: new PolicyRepository(parts.db), promotions, verifyTarget: parts.verifyTarget, blocks: new BlockedImageRepository(parts.db) }, parts.clusters ?? { names: [DEFAULT_CLUSTER_NAME], defaultCluster: DEFAULT_CLUSTER_NAME }),
    abortPromotion: async (id, actor, reason) => {
      await promotions.requestAction(id, 'abort', actor, reason);
    },
    log: parts.log,
    ...(parts.owner ? { owner: parts.owner } : {}),
    ...(parts.pollMs === undefined ? {} : { pollMs: parts.pollMs }),
    ...(parts.stagePollMs === undefined ? {} : { stagePollMs: parts.stagePollMs }),
    ...(parts.leaseMs === undefined ? {} : { leaseMs: parts.leaseMs }),
  });
}

/**
 * A pipeline stage's promotion, started through the same checks as `POST /v1/promotions`, as the person who
 * started the run, with an idempotency key of the run and stage (a look repeated after a crash finds it).
 */
function stageStarter(deps: Parameters<typeof startPromotion>[0], clusters: ClusterDirectory): StageStarter {
  return async (run, stage) => {
    const reason = `pipeline ${run.pipeline} run ${run.id}, stage ${stage.name}${run.reason ? `: ${run.reason}` : ''}`.slice(0, 1000);
    // The stage's cluster, or the default one (a cluster removed from the configuration since is a refusal).
    const cluster = resolveTargetCluster(stage.target.cluster, clusters, () => true);
    const body: PromotionRequest = {
      target: { cluster, namespace: stage.target.namespace, deployment: stage.target.deployment, container: stage.target.container },
      image: run.image,
      policy: stage.policy,
      reason,
      ...(stage.delivery ? { delivery: stage.delivery as PromotionRequest['delivery'] } : {}),
    };
    // As the identity that started the run, so that person cannot approve the stage's promotion either.
    const { promotion } = await startPromotion(deps, body, { name: run.createdBy, identity: run.createdByIdentity ?? undefined }, {
      canSeePolicy: () => true,
      idempotency: { key: `pipeline-run:${run.id}:${stage.name}`, requestHash: digest(body) },
      approvalRequired: stage.approval === 'required',
      pipeline: { pipeline: run.pipeline, runId: run.id, stage: stage.name },
    });
    return { promotionId: promotion.id };
  };
}

/** A canary's image for a pipeline run: a missing Deployment or container is the request's fault (422). */
function canaryImageReader(clientOf: (cluster: string | undefined) => KubernetesClient | undefined): CanaryImageReader {
  return async ({ namespace, deployment, container, cluster }) => {
    const kube = clientOf(cluster);
    if (!kube) throw errors.dependencyUnavailable('kubernetes', 'No Kubernetes API is configured, so the canary cannot be read; give the image instead.');
    let snapshot;
    try {
      snapshot = await kube.getDeployment({ namespace, name: deployment });
    } catch (error) {
      if (error instanceof KubernetesError && error.code === 'not_found') {
        throw errors.validation([{ pointer: '/body/source/deployment', detail: `Deployment ${namespace}/${deployment} does not exist` }]);
      }
      throw errors.dependencyUnavailable('kubernetes', `The canary ${namespace}/${deployment} could not be read: ${error instanceof Error ? error.message : String(error)}`, error);
    }
    const image = containerImage(snapshot, container);
    if (image === undefined) throw errors.validation([{ pointer: '/body/source/container', detail: `Deployment ${namespace}/${deployment} has no container '${container}'` }]);
    return image;
  };
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
