/**
 * The service's entry point: config -> database (migrated) -> policies folder -> app -> listen, with a
 * graceful shutdown on SIGTERM/SIGINT.
 */
import closeWithGrace from 'close-with-grace';
import { buildApp } from './app.js';
import { ConfigError, loadConfig } from './config.js';
import { openDatabase } from './adapters/db/connection.js';
import { migrate } from './adapters/db/migrations.js';
import { loadOpenApiDocument } from './contract/openapi.js';
import { loadPolicyFolder } from './policies/policy-folder.js';
import { PrometheusClient } from './adapters/prometheus/prometheus-client.js';
import { connectKubernetes } from './adapters/kubernetes/connect-kubernetes.js';
import { UnconfiguredKubernetes } from './adapters/kubernetes/unconfigured-kubernetes.js';
import { PromotionEngine } from './engine/promotion-engine.js';
import { PromotionSteps } from './engine/promotion-steps.js';
import { PromotionStore } from './engine/promotion-store.js';
import { kubernetesTargetVerifier } from './engine/target-verifier.js';

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`promoter: configuration error: ${error.message}\n`);
      process.exit(2);
    }
    throw error;
  }

  // Loading client-node overlaps opening and migrating the database.
  const kubeConnection = connectKubernetes({ KUBECONFIG: config.kubeconfig, KUBERNETES_SERVICE_HOST: config.kubernetesServiceHost });
  const handle = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir });
  const applied = await migrate(handle);
  const prometheus = config.prometheus
    ? new PrometheusClient({
        baseUrl: config.prometheus.url,
        timeoutMs: config.prometheus.timeoutMs,
        headers: config.prometheus.headers,
        insecureSkipTlsVerify: config.prometheus.insecureSkipTlsVerify,
        ...(config.prometheus.bearerToken
          ? { auth: { type: 'bearer' as const, token: config.prometheus.bearerToken } }
          : config.prometheus.username && config.prometheus.password
            ? { auth: { type: 'basic' as const, username: config.prometheus.username, password: config.prometheus.password } }
            : {}),
      })
    : undefined;
  const { client: kube, problem: kubeProblem } = await kubeConnection;
  const { app, policies, policyDocuments, checkRunner, metrics, queries } = await buildApp({
    prometheus,
    ...(kube ? { verifyTarget: kubernetesTargetVerifier(kube) } : {}),
    db: handle.db,
    document: loadOpenApiDocument(),
    apiTokens: config.apiTokens,
    logLevel: config.logLevel,
    bodyLimitBytes: config.bodyLimitBytes,
    rateLimitPerMinute: config.rateLimitPerMinute,
    failedAuthPerMinute: config.failedAuthPerMinute,
    requestTimeoutMs: config.requestTimeoutMs,
    eventStreams: config.eventStreams,
    webhookPolicy: config.webhooks,
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
  if (config.apiTokens.length === 0) {
    log.warn('NO API TOKENS CONFIGURED: the API is open to anyone who can reach it. Set PROMOTER_API_TOKENS.');
  }

  if (config.policiesDir) {
    for (const result of await loadPolicyFolder(config.policiesDir, { policies, policyDocuments })) {
      if (result.error) log.error({ file: result.file, dir: config.policiesDir }, `policy file rejected: ${result.error}`);
      else log.info({ file: result.file, policy: result.name, version: result.version, changed: result.changed }, 'policy file loaded');
    }
  }

  const store = new PromotionStore(handle.db);
  const engine = config.engineEnabled
    ? new PromotionEngine({
        store,
        steps: new PromotionSteps({ kube: kube ?? new UnconfiguredKubernetes(kubeProblem ?? 'no configuration'), runner: checkRunner, prometheus: queries, store }),
        log,
        metrics,
        leaseMs: config.engineLeaseMs,
        pollMs: config.enginePollMs,
        concurrency: config.engineConcurrency,
      })
    : undefined;
  if (!engine) log.info('PROMOTER_ENGINE=off: this replica serves the API only');

  closeWithGrace({ delay: 10_000 }, async ({ signal, err }) => {
    if (err) log.error({ err }, 'shutting down after an error');
    else log.info({ signal }, 'shutting down');
    // Stop taking new work first, finish the steps in flight and hand their leases back, then close.
    await engine?.stop();
    await app.close();
    await handle.close();
  });

  await app.listen({ port: config.port, host: config.host });
  engine?.start();
  const shownHost = config.host === '0.0.0.0' ? 'localhost' : config.host;
  log.info(`promoter ready: http://${shownHost}:${config.port} (Swagger UI at /docs)`);
}

main().catch((error: unknown) => {
  process.stderr.write(`promoter: failed to start: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
