/**
 * Data for the benchmarks. Policies and promotions are created through the real API (an in-process app,
 * engine off, driven with `inject`) so that they are exactly what the service stores; history that only
 * the engine would write (events, check results, finished states) and bulk data are written with SQL.
 */
import { sql, type Kysely } from 'kysely';
import type { FastifyInstance } from 'fastify';
import { buildApp } from '../../services/promoter/src/app.js';
import type { PromotionState } from '../../services/promoter/src/domain/promotion-state-machine.js';
import type { Database } from '../../services/promoter/src/adapters/db/schema.js';
import { loadOpenApiDocument } from '../../services/promoter/src/contract/openapi.js';

export const BENCH_TOKEN = 'bench-token-0123456789abcdef';
export const AUTH_HEADER = `Bearer ${BENCH_TOKEN}`;
/** `PROMOTER_API_TOKENS` value for service processes. */
export const API_TOKENS_ENV = `bench:admin:${BENCH_TOKEN}`;

export async function startSeeder(db: Kysely<Database>): Promise<FastifyInstance> {
  const app = await buildApp({
    db,
    document: loadOpenApiDocument(),
    apiTokens: [{ name: 'bench', role: 'admin', namespaces: undefined, secret: BENCH_TOKEN }],
    logLevel: 'silent',
    rateLimitPerMinute: 0,
  });
  await app.ready();
  return app;
}

export async function putPolicy(seeder: FastifyInstance, name: string, document: Record<string, unknown>): Promise<void> {
  const response = await seeder.inject({ method: 'PUT', url: `/v1/policies/${name}`, headers: { authorization: AUTH_HEADER }, payload: document });
  if (response.statusCode >= 300) throw new Error(`PUT policy ${name}: ${response.statusCode} ${response.body}`);
}

export interface PromotionInput {
  readonly namespace: string;
  readonly deployment: string;
  readonly container?: string;
  readonly image: string;
  readonly policy: string;
}

/** Creates promotions through POST /v1/promotions, `parallel` at a time; returns their ids in order. */
export async function createPromotions(seeder: FastifyInstance, inputs: readonly PromotionInput[], parallel = 8): Promise<string[]> {
  const ids: string[] = new Array<string>(inputs.length);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < inputs.length; index = next++) {
      const input = inputs[index] as PromotionInput;
      const response = await seeder.inject({
        method: 'POST',
        url: '/v1/promotions',
        headers: { authorization: AUTH_HEADER },
        payload: {
          target: { namespace: input.namespace, deployment: input.deployment, container: input.container ?? 'app' },
          image: input.image,
          policy: input.policy,
          reason: 'benchmark',
        },
      });
      if (response.statusCode !== 201) throw new Error(`POST /v1/promotions: ${response.statusCode} ${response.body}`);
      ids[index] = (response.json() as { id: string }).id;
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return ids;
}

/**
 * Turns pending promotions into finished ones with a typical history: the transitions of a successful
 * run and `checks` x 3 phases check results, as the engine would have written them.
 */
export async function finishPromotions(db: Kysely<Database>, ids: readonly string[], checks = 3): Promise<void> {
  const path: PromotionState[] = ['pending', 'analyzing', 'promoting', 'verifying', 'succeeded'];
  for (const id of ids) {
    await db.transaction().execute(async (trx) => {
      await trx
        .updateTable('promotions')
        .set({
          state: 'succeeded',
          state_reason: 'verified for 300s: all 3 checks passed',
          verdict: 'pass',
          resolved_image: 'registry.example/app:2.0.0',
          previous_image: 'registry.example/app:1.0.0',
          finished_at: sql`now()`,
        })
        .where('id', '=', id)
        .execute();
      await trx
        .insertInto('promotion_events')
        .values([
          ...path.slice(1).map((to, index) => ({
            promotion_id: id,
            actor: 'engine',
            type: 'transition' as const,
            from_state: path[index] ?? null,
            to_state: to,
            reason: `moved to ${to}`,
            data: null,
          })),
          { promotion_id: id, actor: 'engine', type: 'patch' as const, from_state: 'promoting' as const, to_state: null, reason: 'set app to registry.example/app:2.0.0', data: JSON.stringify({ from: 'registry.example/app:1.0.0', to: 'registry.example/app:2.0.0' }) },
        ])
        .execute();
      const results = [];
      for (const phase of ['pre', 'rollout', 'post']) {
        for (let check = 0; check < checks; check++) {
          results.push({
            promotion_id: id,
            evaluation_id: null,
            check_name: `check-${check}`,
            phase,
            sample: 1,
            result: 'pass',
            value: 0.01 * (check + 1),
            baseline_value: null,
            bound: '<= 0.05',
            query: `sum(rate(http_requests_total{deployment="app",status=~"5..",check="${check}"}[5m])) / sum(rate(http_requests_total{deployment="app"}[5m]))`,
            baseline_query: null,
            warnings: '[]',
            message: `check-${check} = ${0.01 * (check + 1)} <= max 0.05`,
            data: null,
            measured_at: new Date(),
          });
        }
      }
      await trx.insertInto('check_results').values(results).execute();
    });
  }
}

/**
 * Appends finished promotions number `from + 1` .. `to` with one INSERT ... SELECT over generate_series:
 * 20 namespaces, 1,000 targets (50 per namespace), states mostly succeeded (85%), then rejected (7%),
 * rolled_back (4%), aborted (2%), failed (2%) by a hash of the number (independent of the target); one minute apart from 2024-01-01. Then ANALYZE.
 */
export async function bulkInsertPromotions(db: Kysely<Database>, from: number, to: number, policy: { name: string; version: number }): Promise<void> {
  // In slices of 100,000 rows: one statement must stay under the pool's statement_timeout (30 s).
  for (let start = from; start < to; start += 100_000) await insertSlice(db, start, Math.min(to, start + 100_000), policy);
  await sql`ANALYZE promotions`.execute(db);
}

async function insertSlice(db: Kysely<Database>, from: number, to: number, policy: { name: string; version: number }): Promise<void> {
  await sql`
    INSERT INTO promotions (id, namespace, deployment, container, image, resolved_image, previous_image, policy_name, policy_version,
      policy_snapshot, dry_run, reason, state, state_reason, verdict, actor, next_run_at, created_at, updated_at, finished_at)
    SELECT gen_random_uuid(),
           'ns-' || lpad((i % 20)::text, 2, '0'),
           'svc-' || (i % 1000),
           'app',
           'registry.example/app:' || (i / 1000) || '.' || (i % 1000),
           'registry.example/app:' || (i / 1000) || '.' || (i % 1000),
           'registry.example/app:0.0.1',
           ${policy.name}, ${policy.version},
           (SELECT document FROM policy_versions WHERE name = ${policy.name} AND version = ${policy.version}),
           false, 'bulk ' || i,
           s.state,
           'bulk data',
           CASE WHEN s.state IN ('succeeded', 'rolled_back') THEN 'pass' WHEN s.state = 'rejected' THEN 'fail' ELSE NULL END,
           'bench',
           now(), t.at, t.at, t.at
    FROM generate_series(${from + 1}::int, ${to}::int) AS i
    CROSS JOIN LATERAL (SELECT timestamptz '2024-01-01 00:00:00+00' + make_interval(mins => i) AS at) AS t
    CROSS JOIN LATERAL (SELECT (hashint4(i) & 2147483647) % 100 AS h) AS r
    CROSS JOIN LATERAL (SELECT CASE
        WHEN r.h < 85 THEN 'succeeded'
        WHEN r.h < 92 THEN 'rejected'
        WHEN r.h < 96 THEN 'rolled_back'
        WHEN r.h < 98 THEN 'aborted'
        ELSE 'failed' END AS state) AS s
    ORDER BY i`.execute(db);
}
