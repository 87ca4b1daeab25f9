/**
 * Migration 0013 (clusters) on a database that already holds promotions and tokens: existing rows are in
 * the cluster `default` and keep working (reads, the one-active-per-target rule), tokens stay unscoped by
 * cluster, and the rule is now per cluster.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sql } from 'kysely';
import { openDatabase, type DatabaseHandle } from '../../services/promoter/src/adapters/db/connection.js';
import { migrate, readMigrations } from '../../services/promoter/src/adapters/db/migrations.js';
import { PromotionRepository } from '../../services/promoter/src/adapters/db/promotion-repository.js';
import { TokenRepository } from '../../services/promoter/src/adapters/db/token-repository.js';
import { AppError } from '../../services/promoter/src/errors.js';
import { newTestPromotion, putTestPolicy } from '../fixtures/database.js';

let handle: DatabaseHandle;
const OLD_ID = '11111111-1111-4111-8111-111111111111';

beforeAll(async () => {
  handle = await openDatabase({ dataDir: 'memory://' });
  const all = readMigrations();
  const before = all.filter((m) => m.name !== '0013-clusters.sql');
  expect(before.length).toBe(all.length - 1);
  await migrate(handle, before);
  await putTestPolicy(handle.db);
  // A promotion and a token as the previous version wrote them.
  await sql`INSERT INTO promotions (id, namespace, deployment, container, image, policy_name, policy_version, policy_snapshot, dry_run, state, actor)
            VALUES (${OLD_ID}, 'mcp', 'web', 'app', 'web:1', 'p', 1, '{"checks":[]}', false, 'verifying', 'ci')`.execute(handle.db);
  await sql`INSERT INTO api_tokens (name, role, namespaces, secret_sha256, created_by) VALUES ('old', 'viewer', '["mcp"]', 'digest', 'root')`.execute(handle.db);
  expect(await migrate(handle)).toEqual(['0013-clusters.sql']);
}, 60_000);
afterAll(() => handle?.close());

it('puts existing promotions in the cluster `default`, where they stay the active promotion of their target', async () => {
  const promotions = new PromotionRepository(handle.db);
  expect((await promotions.get(OLD_ID)).target).toEqual({ cluster: 'default', namespace: 'mcp', deployment: 'web', container: 'app' });
  const sameTarget = { ...newTestPromotion('web'), namespace: 'mcp' };
  const refused = await promotions.create(sameTarget).catch((error: unknown) => error);
  expect(refused).toBeInstanceOf(AppError);
  expect((refused as AppError).status).toBe(409);
  expect((refused as AppError).detail).toContain(OLD_ID);
  // The same Deployment in another cluster is another target.
  const elsewhere = await promotions.create({ ...sameTarget, cluster: 'apexalgo-iad' });
  expect(elsewhere.promotion.target.cluster).toBe('apexalgo-iad');
});

it('leaves existing tokens scoped to no cluster', async () => {
  expect(await new TokenRepository(handle.db).find('old')).toMatchObject({ namespaces: ['mcp'], clusters: null });
});
