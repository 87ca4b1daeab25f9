/**
 * An HTTP server under test, in its own process (started by bench/lib/ipc.ts):
 *
 * - `app`: the real service from `buildApp` (contract validation, auth with a bearer token, response
 *   serialization, hooks, logging at LOG_LEVEL to this process's stdout), engine off, on DATABASE_URL;
 * - `bare`: the baseline, a bare Fastify instance (no logger, no schemas, no auth) whose routes run the same
 *   SQL through a plain `pg` pool of the same size: the promotion read, the promotion + event +
 *   idempotency-key inserts in one transaction (and as one statement);
 * - `repo`: a step between the two, to tell where the app's cost goes: bare Fastify calling the service's
 *   own repositories (Kysely, row -> view mapping) exactly as the route handlers do, without the app's
 *   hooks, plugins, validation, serialization and logging.
 *
 * Environment: DATABASE_URL, BENCH_TOKEN (secret of an admin token), LOG_LEVEL (app; default info),
 * RATE_LIMIT (app; requests per minute per token, default 0 = off), POOL_SIZE (default 10).
 */
import { createHash, randomUUID } from 'node:crypto';
import Fastify, { type FastifyInstance } from 'fastify';
import pg from 'pg';
import { buildApp } from '../../services/promoter/src/app.js';
import type { LogLevel } from '../../services/promoter/src/config.js';
import { openDatabase } from '../../services/promoter/src/adapters/db/connection.js';
import { PolicyRepository } from '../../services/promoter/src/adapters/db/policy-repository.js';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { digest } from '../../services/promoter/src/domain/canonical-json.js';
import { loadOpenApiDocument } from '../../services/promoter/src/contract/openapi.js';
import type { PromotionRequest } from '../../services/promoter/src/http/promotions.js';
import { serveIpc } from '../lib/ipc.js';

const mode = process.argv[2];

// Every SQL statement sent (BEGIN and COMMIT included), counted in the driver for all three modes.
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
  const app = await buildApp({
    db: handle.db,
    document: loadOpenApiDocument(),
    apiTokens: [{ name: 'bench', role: 'admin', namespaces: undefined, secret: process.env.BENCH_TOKEN ?? '' }],
    logLevel: (process.env.LOG_LEVEL ?? 'info') as LogLevel,
    rateLimitPerMinute: Number(process.env.RATE_LIMIT ?? 0),
  });
  return {
    app,
    close: async () => {
      await app.close();
      await handle.close();
    },
  };
}

// bigint (int8) columns arrive as numbers in all three modes: importing connection.js set pg's parser.


async function startBare(): Promise<{ app: FastifyInstance; close: () => Promise<void> }> {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: poolSize });
  const app = Fastify({ logger: false });
  const policies = new Map<string, { version: number; document: unknown }>();

  // The same single query as the repository's detail read: the promotion with its results and events as JSON.
  app.get('/bare/promotions/:id', async (request, reply) => {
    const { id } = request.params as { id: string };
    const { rows } = await pool.query(
      `SELECT p.*,
         (SELECT coalesce(json_agg(c ORDER BY c.id), '[]'::json) FROM check_results c WHERE c.promotion_id = p.id) AS check_results,
         (SELECT coalesce(json_agg(e ORDER BY e.id), '[]'::json) FROM promotion_events e WHERE e.promotion_id = p.id) AS events
       FROM promotions p WHERE p.id = $1`,
      [id],
    );
    const row = rows[0] as Record<string, unknown> | undefined;
    if (!row) return reply.code(404).send({ error: 'not found' });
    return row;
  });

  /** $2..$14 of the promotions INSERT of both write routes. */
  const promotionValues = (body: PromotionRequest, policy: { version: number; document: unknown }): unknown[] => [
    body.target.namespace,
    body.target.deployment,
    body.target.container,
    body.source?.deployment ?? null,
    body.source?.container ?? null,
    body.source?.tagSuffixToStrip ?? null,
    body.image ?? null,
    body.policy,
    policy.version,
    JSON.stringify(policy.document),
    body.dryRun ?? false,
    body.reason ?? null,
    'bench',
  ];

  /** The policy's latest version, read once per name. */
  const cachedPolicy = async (name: string): Promise<{ version: number; document: unknown } | undefined> => {
    const cached = policies.get(name);
    if (cached) return cached;
    const { rows } = await pool.query(
      'SELECT v.version, v.document FROM policies p JOIN policy_versions v ON v.name = p.name AND v.version = p.latest_version WHERE p.name = $1',
      [name],
    );
    const found = rows[0] as { version: number; document: unknown } | undefined;
    if (found) policies.set(name, found);
    return found;
  };

  app.post('/bare/promotions', async (request, reply) => {
    const body = request.body as PromotionRequest;
    const key = request.headers['idempotency-key'];
    const policy = await cachedPolicy(body.policy);
    if (!policy) return reply.code(422).send({ error: 'no such policy' });
    const id = randomUUID();
    const client = await pool.connect();
    try {
      await client.query('BEGIN');
      const { rows } = await client.query(
        `INSERT INTO promotions (id, namespace, deployment, container, source_deployment, source_container, tag_suffix_to_strip, image,
           resolved_image, previous_image, policy_name, policy_version, policy_snapshot, dry_run, reason, state, state_reason, verdict,
           actor, lease_owner, requested_action)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, $10, $11, $12, $13, 'pending', NULL, NULL, $14, NULL, NULL) RETURNING *`,
        [id, ...promotionValues(body, policy)],
      );
      await client.query(
        `INSERT INTO promotion_events (promotion_id, actor, type, from_state, to_state, reason, data) VALUES ($1, $2, 'created', NULL, 'pending', $3, $4)`,
        [id, 'bench', body.reason ?? null, JSON.stringify({ policy: { name: body.policy, version: policy.version }, dryRun: body.dryRun ?? false })],
      );
      if (typeof key === 'string') {
        const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
        await client.query('INSERT INTO idempotency_keys (actor, key, request_hash, promotion_id) VALUES ($1, $2, $3, $4)', ['bench', key, hash, id]);
      }
      await client.query('COMMIT');
      return reply.code(201).header('location', `/v1/promotions/${id}`).send(rows[0]);
    } catch (error) {
      await client.query('ROLLBACK').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  });

  // The same three rows as one statement of data-modifying CTEs, as the service's repository writes them:
  // the least a write can cost on this database.
  app.post('/bare/promotions-one-statement', async (request, reply) => {
    const body = request.body as PromotionRequest;
    const key = request.headers['idempotency-key'];
    const policy = await cachedPolicy(body.policy);
    if (!policy) return reply.code(422).send({ error: 'no such policy' });
    const hash = createHash('sha256').update(JSON.stringify(body)).digest('hex');
    const { rows } = await pool.query(
      `WITH p AS (
         INSERT INTO promotions (id, namespace, deployment, container, source_deployment, source_container, tag_suffix_to_strip, image,
           resolved_image, previous_image, policy_name, policy_version, policy_snapshot, dry_run, reason, state, state_reason, verdict,
           actor, lease_owner, requested_action)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, NULL, NULL, $9, $10, $11, $12, $13, 'pending', NULL, NULL, $14, NULL, NULL) RETURNING *
       ), event AS (
         INSERT INTO promotion_events (promotion_id, actor, type, from_state, to_state, reason, data)
         SELECT p.id, p.actor, 'created', NULL, 'pending', p.reason, $15::jsonb FROM p
       ), k AS (
         INSERT INTO idempotency_keys (actor, key, request_hash, promotion_id) SELECT p.actor, $16::text, $17::text, p.id FROM p WHERE $16::text IS NOT NULL
       )
       SELECT * FROM p`,
      [
        randomUUID(),
        ...promotionValues(body, policy),
        JSON.stringify({ policy: { name: body.policy, version: policy.version }, dryRun: body.dryRun ?? false }),
        typeof key === 'string' ? key : null,
        hash,
      ],
    );
    const row = rows[0] as { id: string };
    return reply.code(201).header('location', `/v1/promotions/${row.id}`).send(row);
  });

  return {
    app,
    close: async () => {
      await app.close();
      await pool.end();
    },
  };
}

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
      {
        namespace: body.target.namespace,
        deployment: body.target.deployment,
        container: body.target.container,
        sourceDeployment: body.source?.deployment,
        sourceContainer: body.source?.container,
        tagSuffixToStrip: body.source?.tagSuffixToStrip,
        image: body.image,
        policyName: policy.name,
        policyVersion: policy.version,
        policySnapshot: policy.document,
        dryRun: body.dryRun ?? false,
        reason: body.reason,
        actor: 'bench',
      },
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
  if (mode !== 'app' && mode !== 'bare' && mode !== 'repo') throw new Error(`usage: api-server.ts app|bare|repo (got ${mode})`);
  const server = mode === 'app' ? await startApp() : mode === 'bare' ? await startBare() : await startRepo();
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
