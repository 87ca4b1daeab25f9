/** Liveness, readiness, metrics and the contract itself: public, no token. */
import type { FastifyInstance } from 'fastify';
import { sql, type Kysely } from 'kysely';
import type { Database } from '../adapters/db/schema.js';
import type { OpenApiDocument } from '../contract/openapi.js';
import { errors } from '../errors.js';
import type { ServiceMetrics } from '../metrics.js';
import { registerOperations } from './operations.js';
import type { ClusterHealth } from '../adapters/kubernetes/clusters.js';

export interface HealthRoutesDeps {
  readonly document: OpenApiDocument;
  readonly db: Kysely<Database>;
  readonly metrics: ServiceMetrics;
  readonly readinessTimeoutMs?: number;
  /** Each cluster's health, reported beside the database's (absent: none reported). */
  readonly clusters?: { health(timeoutMs: number): Promise<readonly ClusterHealth[]> };
}

export async function healthRoutes(app: FastifyInstance, deps: HealthRoutesDeps): Promise<void> {
  const timeoutMs = deps.readinessTimeoutMs ?? 2_000;
  // Serialized once: the response schema is an open object, which the serializer would otherwise empty.
  const documentJson = JSON.stringify(deps.document);
  registerOperations(app, deps.document, {
    getHealth: { access: 'public', handler: async () => ({ status: 'ok' }) },
    getReadiness: {
      access: 'public',
      handler: async () => {
        // Clusters are asked while the database is: a slow API server adds nothing to the wait.
        const clusters = deps.clusters?.health(timeoutMs) ?? Promise.resolve([]);
        try {
          await withTimeout(sql`SELECT 1`.execute(deps.db), timeoutMs);
        } catch (error) {
          throw errors.databaseUnavailable(error);
        }
        // A cluster that does not answer is reported, not a reason to stop serving: the API, the other
        // clusters' promotions and every read still work, and taking the replica out of its Service would
        // stop them too.
        const checks: Record<string, string> = { database: 'ok' };
        for (const { cluster, problem } of await clusters) {
          deps.metrics.kubernetesClusterUp.set({ cluster }, problem === undefined ? 1 : 0);
          checks[`cluster:${cluster}`] = problem ?? 'ok';
        }
        return { status: 'ok', checks };
      },
    },
    getMetrics: {
      access: 'public',
      handler: async (_request, reply) => {
        const body = await deps.metrics.registry.metrics();
        return reply.type(deps.metrics.registry.contentType).send(body);
      },
    },
    getOpenApi: { access: 'public', handler: async (_request, reply) => reply.type('application/json; charset=utf-8').send(documentJson) },
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
