/**
 * buildApp(deps): the Fastify instance with its plugins and routes, not yet listening. Everything it
 * needs is passed in, so tests build it with their own database and fakes; nothing inside is handed out
 * (service.ts builds the engine beside it from the same parts).
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { AppError, errors } from './errors.js';
import { loggerOptions } from './logging.js';
import { TokenRepository } from './adapters/db/token-repository.js';
import { tokenRoutes } from './http/tokens.js';
import { meRoutes } from './http/me.js';
import { consoleRoutes } from './http/console.js';
import type { Kysely } from 'kysely';
import type { ApiToken, LogLevel } from './config.js';
import type { Database } from './adapters/db/schema.js';
import { PolicyRepository } from './adapters/db/policy-repository.js';
import { PromotionRepository } from './adapters/db/promotion-repository.js';
import { PromotionEventFeed } from './adapters/db/promotion-event-feed.js';
import type { OpenApiDocument } from './contract/openapi.js';
import { ContractValidator, type HttpPart } from './contract/validation.js';
import type { JsonSchema } from './contract/openapi.js';
import { registerAuth, type BearerVerifier } from './http/auth.js';
import { identityKey } from './http/access.js';
import { registerYamlParser } from './http/content-types.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { RequestLog } from './http/request-log.js';
import { healthRoutes } from './http/health.js';
import type { ClusterDirectory } from './http/target-cluster.js';
import type { ClusterHealth } from './adapters/kubernetes/clusters.js';
import { policyRoutes } from './http/policies.js';
import { pipelineRoutes, type CanaryImageReader } from './http/pipelines.js';
import { PipelineRepository } from './adapters/db/pipeline-repository.js';
import { freezeRoutes } from './http/freezes.js';
import { FreezeRepository } from './adapters/db/freeze-repository.js';
import { registerProblemHandlers, sendProblem } from './http/problem.js';
import { promotionRoutes, type TargetVerifier } from './http/promotions.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { EvaluationRepository } from './adapters/db/evaluation-repository.js';
import type { PrometheusClient } from './adapters/prometheus/prometheus-client.js';
import { WebhookClient } from './adapters/webhook/webhook-client.js';
import { registerUnmatchedRouteGuard } from './http/unmatched-routes.js';
import { clientErrorHandler } from './http/client-errors.js';
import { EventStreamLimiter } from './http/event-stream-limits.js';
import { CheckRunner } from './evaluation/check-runner.js';
import { instrumentQueries } from './adapters/prometheus/instrumented-queries.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { evaluationRoutes } from './http/evaluations.js';
import { policyQueryChecker } from './policies/query-syntax.js';
import { PolicyDocuments } from './policies/policy-documents.js';
import { loadPolicyFolder } from './policies/policy-folder.js';
import type { NotificationPlanner } from './notifications/notification-events.js';
import { NotificationStore } from './adapters/db/notification-store.js';
import { notificationRoutes } from './http/notifications.js';
import { BlockedImageRepository } from './adapters/db/blocked-image-repository.js';
import { blockedImageRoutes } from './http/blocked-images.js';
import cookie from '@fastify/cookie';
import type { PeopleConfig } from './adapters/identity/identity-config.js';
import { OidcClient } from './adapters/identity/oidc-client.js';
import { SessionStore } from './adapters/db/session-store.js';
import { cookieSessions } from './http/console-sessions.js';
import { signInRoutes } from './http/console-sign-in.js';
import { lazySerializers } from './contract/lazy-serializers.js';

export interface AppDeps {
  readonly db: Kysely<Database>;
  readonly document: OpenApiDocument;
  readonly apiTokens?: readonly ApiToken[];
  readonly logLevel?: LogLevel;
  /** A pino destination for tests; defaults to stdout. */
  readonly logStream?: NodeJS.WritableStream;
  readonly bodyLimitBytes?: number;
  readonly metrics?: ServiceMetrics;
  /** The checks as the engine runs them; built from `prometheus` and `webhooks` when not given. */
  readonly checkRunner?: CheckRunner;
  /** A folder of policy files stored (as new versions when changed) before the app is ready. */
  readonly policiesDir?: string | undefined;
  /** Told of every route registered (the contract test compares them with the spec). */
  readonly onRoute?: (route: { method: string; url: string }) => void;
  readonly verifyTarget?: TargetVerifier;
  /** The configured clusters: their names and default (for new promotions) and their health (for /readyz). */
  readonly clusters?: ClusterDirectory & { health(timeoutMs: number): Promise<readonly ClusterHealth[]> };
  readonly streamPollMs?: number;
  /** Prometheus, when PROMETHEUS_URL is set; metric checks measure as errors without it. */
  readonly prometheus?: PrometheusClient | undefined;
  /** Plans the notifications of the API's immediate abort (written in its transaction). */
  readonly notifications?: NotificationPlanner;
  readonly webhooks?: WebhookClient;
  /** Requests per minute per token (or per client address without one); 0 turns the limit off. */
  readonly rateLimitPerMinute?: number;
  /** Failed authentications per client address per minute (default 30); 0 turns the limit off. */
  readonly failedAuthPerMinute?: number;
  /** How long a request's headers and body may take to arrive (default 30 s). */
  readonly requestTimeoutMs?: number;
  /** Open event streams per token and in all (defaults 20 and 500). */
  readonly eventStreams?: { readonly perToken: number; readonly total: number };
  /** Reads a canary's image for a pipeline run started from a canary (the service's Kubernetes client). */
  readonly readCanaryImage?: CanaryImageReader;
  /** Wakes the pipeline runner, so a new run or an abort is looked at at once. */
  readonly wakePipelineRunner?: () => void;
  /** Bearer credentials besides API tokens: the trusted workload issuers' JWTs (PROMOTER_IDENTITY_FILE). */
  readonly bearerVerifiers?: readonly BearerVerifier[];
  /** The OpenID provider people sign in to the console with (PROMOTER_IDENTITY_FILE `people`). */
  readonly people?: PeopleConfig | undefined;
  /** PROMOTER_PUBLIC_URL: the sign-in's redirect URL and whether cookies are Secure. */
  readonly publicUrl?: string | undefined;
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  // Credentials never reach the log; pretty lines on a terminal, JSON otherwise.
  const logger = loggerOptions({ level: deps.logLevel, stream: deps.logStream });
  const requestTimeoutMs = deps.requestTimeoutMs ?? 30_000;
  const app = Fastify({
    logger,
    bodyLimit: deps.bodyLimitBytes ?? 256 * 1024,
    // A body trickled in byte by byte would hold a connection (and its parser) for ever. Node checks the
    // timeout every connectionsCheckingInterval (30 s by default): often enough to keep the bound near it.
    requestTimeout: requestTimeoutMs,
    http: {
      requestTimeout: requestTimeoutMs,
      headersTimeout: Math.min(60_000, requestTimeoutMs),
      connectionsCheckingInterval: Math.max(100, Math.min(5_000, Math.floor(requestTimeoutMs / 4))),
    },
    // Errors Node answers before Fastify sees the request (431, 408, a malformed request) as problem+json.
    clientErrorHandler,
    // Honour a caller's x-request-id when it is sane, so a request can be followed across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { strict: false } },
    // Response serializers compiled on a route's first answer, not all at start-up (contract/lazy-serializers.ts).
    schemaController: { compilersFactory: { buildSerializer: lazySerializers } },
    logController: new RequestLog(),
    // Requests arriving while the server closes get a problem+json 503 from the hook below instead.
    return503OnClosing: false,
    // Long path parameters reach schema validation (a 400 that names the field) instead of the router's bare 414.
    routerOptions: { maxParamLength: 2_000 },
    // Errors the framework raises before routing (e.g. a malformed URL) leave as problem+json too.
    frameworkErrors: (error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 400;
      void sendProblem(reply, request, new AppError({ code: 'invalid-request', status: status >= 500 ? 400 : status, title: 'Invalid request', detail: 'The request URL could not be read.' }));
    },
  });

  const onRoute = deps.onRoute;
  if (onRoute) {
    app.addHook('onRoute', (route) => {
      for (const method of [route.method].flat()) onRoute({ method, url: route.url });
    });
  }

  const validator = new ContractValidator(deps.document);
  app.setValidatorCompiler(({ schema, httpPart }) => validator.compile(schema as JsonSchema, (httpPart ?? 'body') as HttpPart));
  for (const schema of validator.schemas) app.addSchema(schema);

  registerProblemHandlers(app);
  registerUnmatchedRouteGuard(app);
  registerYamlParser(app);
  const tokens = new TokenRepository(deps.db);
  const promotions = new PromotionRepository(deps.db, deps.notifications);
  const metrics = deps.metrics ?? createMetrics(() => promotions.countByState());
  // Cookies are read before authentication (its hook asks the console session when there is no bearer).
  await app.register(cookie);
  const sessions = new SessionStore(deps.db);
  const oidcClient = deps.people ? new OidcClient(deps.people) : undefined;
  const auth = registerAuth(app, deps.apiTokens ?? [], tokens, {
    failedAuthPerMinute: deps.failedAuthPerMinute ?? 30,
    bearerVerifiers: deps.bearerVerifiers ?? [],
    ...(deps.people && oidcClient ? { session: cookieSessions({ store: sessions, client: oidcClient, people: deps.people, log: app.log, metrics }) } : {}),
  });
  registerSecurityHeaders(app);
  if ((deps.rateLimitPerMinute ?? 600) > 0) {
    await app.register(rateLimit, {
      max: deps.rateLimitPerMinute ?? 600,
      timeWindow: 60_000,
      // After authentication (the limit is per token) but before the body is read and validated, so
      // requests that fail (400, 422, 403) count too; public routes opt out below.
      hook: 'onRequest',
      keyGenerator: (request) => (request.principal && request.principal !== null && request.headers.authorization ? identityKey(request.principal) : `ip:${request.ip}`),
      // Public routes are not limited (health checks, metrics), except those that say so (the sign-in's).
      allowList: (request) => (request.routeOptions.config?.access ?? 'public') === 'public' && request.routeOptions.config?.rateLimited !== true,
      errorResponseBuilder: (_request, context) =>
        new AppError({
          code: 'rate-limited',
          status: 429,
          title: 'Too many requests',
          detail: `More than ${context.max} requests in ${context.after}; retry after that.`,
          headers: { 'retry-after': String(Math.ceil(context.ttl / 1000)) },
        }),
    });
  }

  const policies = new PolicyRepository(deps.db);
  const policyDocuments = new PolicyDocuments(validator.component('Policy'));
  const shutdown = new AbortController();

  // Hooks on every request are synchronous: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (_request, _reply, done) => {
    if (shutdown.signal.aborted) {
      done(new AppError({ code: 'shutting-down', status: 503, title: 'Shutting down', detail: 'This replica is shutting down; retry (another replica will answer).', headers: { 'retry-after': '1' } }));
      return;
    }
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    // While shutting down, every answer closes its connection: a keep-alive connection left idle by its
    // client would otherwise hold the server open until the keep-alive timeout.
    if (shutdown.signal.aborted) reply.header('connection', 'close');
    done(null, payload);
  });
  app.addHook('onResponse', (request, reply, done) => {
    metrics.httpRequestDuration.observe(
      { route: request.routeOptions.url ?? '(unmatched)', method: request.method, status_code: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
    done();
  });
  app.addHook('preClose', async () => shutdown.abort());

  await app.register(swagger, { mode: 'static', specification: { document: deps.document as never } });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { persistAuthorization: true } });
  await app.register(consoleRoutes, {});

  await app.register(healthRoutes, { document: deps.document, db: deps.db, metrics, ...(deps.clusters ? { clusters: deps.clusters } : {}) });
  const queries = deps.prometheus ? instrumentQueries(deps.prometheus, metrics.prometheusRequestsTotal) : undefined;
  // Without `webhooks` (service.ts passes the one config.webhooks allows), webhook checks may call nothing.
  const webhooks = deps.webhooks ?? new WebhookClient();
  const checkRunner = deps.checkRunner ?? new CheckRunner({ prometheus: queries, webhooks });
  const evaluations = new EvaluationRepository(deps.db);
  const evaluationService = new EvaluationService({ evaluations, policies, policyDocuments, runner: checkRunner, prometheus: queries });
  await app.register(policyRoutes, {
    document: deps.document,
    policies,
    policyDocuments,
    ...(deps.prometheus ? { checkQueries: policyQueryChecker(deps.prometheus, app.log) } : {}),
    checkWebhooks: (document) => {
      const problems = document.checks.flatMap((check, index) => {
        const refusal = check.webhook ? webhooks.refusal(check.webhook.url) : undefined;
        return refusal ? [{ pointer: `/body/checks/${index}/webhook/url`, detail: refusal }] : [];
      });
      if (problems.length > 0) throw errors.validation(problems);
    },
  });
  await app.register(tokenRoutes, { document: deps.document, tokens, environmentTokens: deps.apiTokens ?? [], auth });
  await app.register(meRoutes, { document: deps.document, auth, people: deps.people });
  await app.register(signInRoutes, { document: deps.document, people: deps.people, client: oidcClient, store: sessions, publicUrl: deps.publicUrl, metrics });
  await app.register(evaluationRoutes, { document: deps.document, evaluations, service: evaluationService });
  const blocks = new BlockedImageRepository(deps.db);
  await app.register(blockedImageRoutes, { document: deps.document, blocks });
  await app.register(promotionRoutes, {
    document: deps.document,
    promotions,
    feed: new PromotionEventFeed(deps.db),
    policies,
    blocks,
    verifyTarget: deps.verifyTarget,
    clusters: deps.clusters,
    shutdown: shutdown.signal,
    eventStreams: new EventStreamLimiter(deps.eventStreams ?? { perToken: 20, total: 500 }),
    ...(deps.streamPollMs === undefined ? {} : { streamPollMs: deps.streamPollMs }),
  });

  await app.register(pipelineRoutes, {
    document: deps.document,
    pipelines: new PipelineRepository(deps.db),
    policies,
    blocks,
    readCanaryImage: deps.readCanaryImage,
    clusters: deps.clusters,
    ...(deps.wakePipelineRunner ? { wakeRunner: deps.wakePipelineRunner } : {}),
  });
  await app.register(freezeRoutes, { document: deps.document, freezes: new FreezeRepository(deps.db), promotions });

  await app.register(notificationRoutes, { document: deps.document, promotions, deliveries: new NotificationStore(deps.db) });

  if (deps.policiesDir) {
    for (const result of await loadPolicyFolder(deps.policiesDir, { policies, policyDocuments })) {
      if (result.error) app.log.error({ file: result.file, dir: deps.policiesDir }, `policy file rejected: ${result.error}`);
      else app.log.info({ file: result.file, policy: result.name, version: result.version, changed: result.changed }, 'policy file loaded');
    }
  }
  return app;
}
