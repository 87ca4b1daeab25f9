/**
 * No query may leave the transaction it runs in. On the embedded database (one connection) a query sent
 * through the root handle from inside a transaction waits for that transaction forever: a manual rollback
 * of a succeeded promotion wedged the service that way. The guard in transaction-guard.ts turns the
 * mistake into an immediate error on both engines; these tests prove it throws, that it does not get in
 * the way of legitimate concurrent work, and that the rollback request answers on PGlite.
 */
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { QueryOutsideTransactionError } from '../../services/promoter/src/adapters/db/transaction-guard.js';
import { newTestPromotion, useSeededTestDatabase, type TestEngine } from '../fixtures/database.js';

/** Fails instead of waiting forever: a wedged call is exactly what these tests look for. */
function within<T>(ms: number, what: string, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not answer within ${ms} ms (wedged)`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.each<TestEngine>(['postgres', 'pglite'])('transactions on %s', (engine) => {
  const seeded = useSeededTestDatabase(engine);
  const db = () => seeded.db;

  it('refuses a query through the root handle from inside a transaction, with a clear error', async () => {
    const attempt = db()
      .transaction()
      .execute(async (trx) => {
        await trx.selectFrom('promotions').select('id').execute();
        // Wrong: `db()` instead of `trx`.
        await db().selectFrom('promotions').select('id').execute();
      });
    await expect(within(5_000, 'the wrong query', attempt)).rejects.toThrow(QueryOutsideTransactionError);
    await expect(attempt).rejects.toThrow(/^query outside its transaction/);
    // Raw SQL goes through the same driver.
    const raw = db()
      .transaction()
      .execute(async () => {
        await sql`SELECT 1`.execute(db());
      });
    await expect(within(5_000, 'the wrong raw query', raw)).rejects.toThrow(QueryOutsideTransactionError);
    // The transaction was rolled back and the database still answers.
    expect(await db().selectFrom('policies').select('name').execute()).toEqual([{ name: 'p' }]);
  });

  it('lets other work use the root handle while a transaction is open, and work spawned inside it use it after the commit', async () => {
    const deferred = () => {
      let resolve: () => void = () => undefined;
      const promise = new Promise<void>((done) => {
        resolve = done;
      });
      return { promise, resolve };
    };
    const held = deferred();
    const committed = deferred();
    let later: Promise<unknown> | undefined;
    const transaction = db()
      .transaction()
      .execute(async (trx) => {
        await trx.selectFrom('promotions').select('id').execute();
        // Spawned inside, runs after the commit: its context still carries the (closed) transaction's mark.
        later = committed.promise.then(() => db().selectFrom('policies').select('name').execute());
        await held.promise;
      });
    // Outside the transaction's async flow: allowed (on PGlite it queues behind the transaction).
    const outside = db().selectFrom('policies').select('name').execute();
    held.resolve();
    await within(5_000, 'the transaction', transaction);
    committed.resolve();
    expect(await within(5_000, 'the query outside', outside)).toEqual([{ name: 'p' }]);
    expect(await within(5_000, 'the query spawned inside', later ?? Promise.reject(new Error('not spawned')))).toEqual([{ name: 'p' }]);
  });

  it('answers a manual rollback of a succeeded promotion (it wedged the embedded database)', async () => {
    const { promotion } = await seeded.promotions.create(newTestPromotion('manual-rollback'));
    await db()
      .updateTable('promotions')
      .set({ state: 'succeeded', resolved_image: 'app:1.0.0', previous_image: 'app:0.9.0', finished_at: sql`now()` })
      .where('id', '=', promotion.id)
      .execute();
    const requested = await within(5_000, 'POST rollback (requestAction)', seeded.promotions.requestAction(promotion.id, 'rollback', 'test', 'customer reports'));
    expect(requested.state).toBe('succeeded');
    const row = await db().selectFrom('promotions').select(['requested_action']).where('id', '=', promotion.id).executeTakeFirstOrThrow();
    expect(row.requested_action).toBe('rollback');
    // A newer active promotion of the same target blocks the rollback (the check inside the transaction).
    const { promotion: newer } = await seeded.promotions.create(newTestPromotion('manual-rollback'));
    await expect(within(5_000, 'the blocked rollback', seeded.promotions.requestAction(promotion.id, 'rollback', 'test', undefined))).rejects.toMatchObject({
      code: 'promotion-already-active',
    });
    await seeded.promotions.requestAction(newer.id, 'abort', 'test', undefined);
  });
});
