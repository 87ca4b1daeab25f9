/**
 * An HTTP server under test, in its own process (started by bench/lib/ipc.ts):
 *
 * - `app`: the real service from `createService` (contract validation, auth with a bearer token, response
 *   serialization, hooks, logging at LOG_LEVEL to this process's stdout), engine off, on DATABASE_URL;
 * - `repo`: the baseline, a bare Fastify instance (no logger, no schemas, no auth) calling the service's own
 *   repositories exactly as the route handlers do, without the app's hooks, plugins, validation,
 *   serialization and logging: the same SQL by construction.
 *
 * Environment: DATABASE_URL, BENCH_TOKEN (secret of an admin token), LOG_LEVEL (app; default info),
 * RATE_LIMIT (app; requests per minute per token, default 0 = off), POOL_SIZE (default 10).
 */
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { loadConfig } from '../../services/promoter/src/config.js';
import { createService } from '../../services/promoter/src/service.js';
import { openDatabase } from '../../services/promoter/src/adapters/db/connection.js';
import { PolicyRepository } from '../../services/promoter/src/adapters/db/policy-repository.js';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { digest } from '../../services/promoter/src/domain/canonical-json.js';
import { newPromotion } from '../../services/promoter/src/http/new-promotion.js';
import type { PromotionRequest } from '../../services/promoter/src/http/promotions.js';
import { serveIpc } from '../lib/ipc.js';

const mode = process.argv[2];

// Every SQL statement sent (BEGIN and COMMIT included), counted in the driver for both modes.
let statements = 0;
{
  const proto = pg.Client.prototype as unknown as { query: (...args: unknown[]) => unknown };
  const original = proto.query;
  proto.query = function countedQuery(this: unknown, ...args: unknown[]) {
    statements++;
    return original.apply(this, args);
  };
}
const databaseUrl = process.env.DATABASE_URL ?? '';
const poolSize = Number(process.env.POOL_SIZE ?? 10);

async function startApp(): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const handle = await openDatabase({ databaseUrl, poolSize });
  // The service as main.ts builds it, engine off, on the benchmark's pool.
  const config = loadConfig({
    PROMOTER_ENGINE: 'off',
    PROMOTER_API_TOKENS: `bench:admin:${process.env.BENCH_TOKEN ?? ''}`,
    LOG_LEVEL: process.env.LOG_LEVEL ?? 'info',
    PROMOTER_RATE_LIMIT: process.env.RATE_LIMIT ?? '0',
  });
  const service = await createService(config, { database: handle, kube: null });
  return {
    app: service.app,
    close: async () => {
      await service.close();
      await handle.close();
    },
  };
}

// bigint (int8) columns arrive as numbers in both modes: the service's pool parses them (connection.ts).


async function startRepo(): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const handle = await openDatabase({ databaseUrl, poolSize });
  const promotions = new PromotionRepository(handle.db);
  const policies = new PolicyRepository(handle.db);
  const app = Fastify({ logger: false });
  app.get('/repo/promotions/:id', async (request) => promotions.getDetail((request.params as { id: string }).id));
  app.post('/repo/promotions', async (request, reply) => {
    const body = request.body as PromotionRequest;
    const key = request.headers['idempotency-key'];
    const policy = await policies.get(body.policy);
    const { promotion } = await promotions.create(
      newPromotion(body, policy, 'bench'),
      typeof key === 'string' ? { key, requestHash: digest(body) } : undefined,
    );
    return reply.code(201).send(promotion);
  });
  return {
    app,
    close: async () => {
      await app.close();
      await handle.close();
    },
  };
}

async function main(): Promise<void> {
  if (mode !== 'app' && mode !== 'repo') throw new Error(`usage: api-server.ts app|repo (got ${mode})`);
  const server = mode === 'app' ? await startApp() : await startRepo();
  const url = await server.app.listen({ port: 0, host: '127.0.0.1' });
  serveIpc(
    {
      stop: async () => {
        await server.close();
        // Exit after the reply is sent, normally, so that --cpu-prof writes its profile.
        setTimeout(() => process.exit(0), 50);
      },
      memory: () => process.memoryUsage(),
      /** CPU time used so far (user + system), microseconds, and SQL statements sent so far. */
      counters: () => {
        const usage = process.cpuUsage();
        return { cpuMicros: usage.user + usage.system, statements };
      },
      /** Now, in the clock of CPU profiles (microseconds, monotonic). */
      mark: () => Number(process.hrtime.bigint() / 1000n),
    },
    { url },
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`api-server: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
