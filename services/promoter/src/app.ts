/**
 * buildApp(deps): the Fastify instance with its plugins and routes, not yet listening. Everything it
 * needs is passed in, so tests build it with their own database and fakes.
 */
import { randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import rateLimit from '@fastify/rate-limit';
import { AppError } from './errors.js';
import { loggerOptions } from './logging.js';
import { TokenRepository } from './adapters/db/token-repository.js';
import { tokenRoutes } from './http/tokens.js';
import type { Kysely } from 'kysely';
import type { ApiToken, LogLevel } from './config.js';
import type { Database } from './adapters/db/schema.js';
import { PolicyRepository } from './adapters/db/policy-repository.js';
import { PromotionRepository } from './adapters/db/promotion-repository.js';
import type { OpenApiDocument } from './contract/openapi.js';
import { ContractValidator, type HttpPart } from './contract/validation.js';
import type { JsonSchema } from './contract/openapi.js';
import { registerAuth } from './http/auth.js';
import { registerYamlParser } from './http/content-types.js';
import { registerSecurityHeaders } from './http/security-headers.js';
import { RequestLog } from './http/request-log.js';
import { healthRoutes } from './http/health.js';
import { policyRoutes } from './http/policies.js';
import { registerProblemHandlers, sendProblem } from './http/problem.js';
import { promotionRoutes, type TargetVerifier } from './http/promotions.js';
import { createMetrics, type ServiceMetrics } from './metrics.js';
import { EvaluationRepository } from './adapters/db/evaluation-repository.js';
import type { PrometheusClient } from './adapters/prometheus/prometheus-client.js';
import type { WebhookClient } from './adapters/webhook/webhook-client.js';
import { CheckRunner } from './evaluation/check-runner.js';
import { instrumentQueries } from './adapters/prometheus/instrumented-queries.js';
import type { PrometheusQueries } from './adapters/prometheus/query-result.js';
import { EvaluationService } from './evaluation/evaluation-service.js';
import { evaluationRoutes } from './http/evaluations.js';
import { policyQueryChecker } from './policies/query-syntax.js';
import { PolicyDocuments } from './policies/policy-documents.js';

export interface AppDeps {
  readonly db: Kysely<Database>;
  readonly document: OpenApiDocument;
  readonly apiTokens?: readonly ApiToken[];
  readonly logLevel?: LogLevel;
  /** A pino destination for tests; defaults to stdout. */
  readonly logStream?: NodeJS.WritableStream;
  readonly bodyLimitBytes?: number;
  readonly metrics?: ServiceMetrics;
  readonly verifyTarget?: TargetVerifier;
  readonly streamPollMs?: number;
  /** Prometheus, when PROMETHEUS_URL is set; metric checks measure as errors without it. */
  readonly prometheus?: PrometheusClient | undefined;
  readonly webhooks?: WebhookClient;
  /** Requests per minute per token (or per client address without one); 0 turns the limit off. */
  readonly rateLimitPerMinute?: number;
}

export interface App {
  readonly app: FastifyInstance;
  readonly metrics: ServiceMetrics;
  readonly promotions: PromotionRepository;
  readonly policies: PolicyRepository;
  readonly policyDocuments: PolicyDocuments;
  readonly checkRunner: CheckRunner;
  /** Prometheus as the checks use it (instrumented), for the engine. */
  readonly queries: PrometheusQueries | undefined;
  /** Every route registered (method and URL), for the contract test and diagnostics. */
  readonly routeTable: readonly { method: string; url: string }[];
}

const REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

export async function buildApp(deps: AppDeps): Promise<App> {
  const logger = loggerOptions({ level: deps.logLevel, stream: deps.logStream });
  const app = Fastify({
    logger,
    bodyLimit: deps.bodyLimitBytes ?? 256 * 1024,
    // Honour a caller's x-request-id when it is sane, so a request can be followed across services.
    genReqId: (request) => {
      const given = request.headers['x-request-id'];
      return typeof given === 'string' && REQUEST_ID.test(given) ? given : randomUUID();
    },
    ajv: { customOptions: { strict: false } },
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

  const routeTable: { method: string; url: string }[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routeTable.push({ method, url: route.url });
  });

  const validator = new ContractValidator(deps.document);
  app.setValidatorCompiler(({ schema, httpPart }) => validator.compile(schema as JsonSchema, (httpPart ?? 'body') as HttpPart));
  for (const schema of validator.schemas) app.addSchema(schema);

  registerProblemHandlers(app);
  registerYamlParser(app);
  const tokens = new TokenRepository(deps.db);
  const auth = registerAuth(app, deps.apiTokens ?? [], tokens);
  registerSecurityHeaders(app);
  if ((deps.rateLimitPerMinute ?? 600) > 0) {
    await app.register(rateLimit, {
      max: deps.rateLimitPerMinute ?? 600,
      timeWindow: 60_000,
      // After authentication, so the limit is per token; public routes opt out below.
      hook: 'preHandler',
      keyGenerator: (request) => (request.principal && request.principal !== null && request.headers.authorization ? `token:${request.principal.name}` : `ip:${request.ip}`),
      allowList: (request) => request.routeOptions.config?.role === undefined,
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

  const promotions = new PromotionRepository(deps.db);
  const policies = new PolicyRepository(deps.db);
  const policyDocuments = new PolicyDocuments(validator.component('Policy'));
  const metrics = deps.metrics ?? createMetrics(() => promotions.countByState());
  const shutdown = new AbortController();

  // Hooks on every request are synchronous: an async hook costs a promise and a microtask per request.
  app.addHook('onRequest', (request, _reply, done) => {
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

  await app.register(healthRoutes, { document: deps.document, db: deps.db, metrics });
  const queries = deps.prometheus ? instrumentQueries(deps.prometheus, metrics.prometheusRequestsTotal) : undefined;
  const checkRunner = new CheckRunner({ prometheus: queries, ...(deps.webhooks ? { webhooks: deps.webhooks } : {}) });
  const evaluations = new EvaluationRepository(deps.db);
  const evaluationService = new EvaluationService({ evaluations, policies, policyDocuments, runner: checkRunner, prometheus: queries });
  await app.register(policyRoutes, {
    document: deps.document,
    policies,
    policyDocuments,
    ...(deps.prometheus ? { checkQueries: policyQueryChecker(deps.prometheus, app.log) } : {}),
  });
  await app.register(tokenRoutes, { document: deps.document, tokens, environmentTokens: deps.apiTokens ?? [], auth });
  await app.register(evaluationRoutes, { document: deps.document, evaluations, service: evaluationService });
  await app.register(promotionRoutes, {
    document: deps.document,
    promotions,
    policies,
    verifyTarget: deps.verifyTarget,
    shutdown: shutdown.signal,
    ...(deps.streamPollMs === undefined ? {} : { streamPollMs: deps.streamPollMs }),
  });

  return { app, metrics, promotions, policies, policyDocuments, checkRunner, queries, routeTable };
}
