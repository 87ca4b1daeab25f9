/**
 * Catches a query sent through the root database handle while the same async flow holds an open
 * transaction. On the embedded database (PGlite: one connection, every other query queues behind the open
 * transaction) such a query waits for the transaction, which waits for the query: the service wedges. On
 * PostgreSQL it takes a second pooled connection and silently reads outside the transaction's locks and
 * snapshot. Either way it is a programming error, so it throws at once, on both engines, and every suite
 * that reaches such a path fails with a message naming the mistake instead of hanging.
 *
 * How: the driver (which Kysely calls for `BEGIN` and for every root query's connection) marks the async
 * context of the transaction's callback when the transaction begins, and refuses to hand out a connection
 * to a query from a context marked with an open transaction of the same database. Queries on the
 * transaction object never ask the driver for a connection: they run on the transaction's own one.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DatabaseConnection, Dialect, Driver, QueryCompiler, TransactionSettings } from 'kysely';

/** The transaction an async flow is inside, and whether it is still open (work it spawned may outlive it). */
interface OpenTransaction {
  readonly driver: Driver;
  open: boolean;
}

// One storage for every database in the process. Tracking an async context costs a hook on every promise
// the process makes (about +60% on a loop of reads on PGlite, measured), so the storage is enabled only
// while some transaction is open and disabled when the last one ends: queries outside transactions, the
// hot path, pay nothing. A context created while it was disabled carries no mark, which is right: no
// transaction was open when it was made.
const currentTransaction = new AsyncLocalStorage<OpenTransaction>();
let openTransactions = 0;

export class QueryOutsideTransactionError extends Error {
  constructor() {
    super(
      'query outside its transaction: a query was sent through the root database handle while this code runs inside an open ' +
        'transaction of the same database; pass the transaction (trx) to the query instead (on the embedded database the ' +
        'query would wait for the transaction forever)',
    );
    this.name = 'QueryOutsideTransactionError';
  }
}

/** `dialect` with its driver wrapped by the guard; everything else is the dialect's own. */
export function guardTransactions(dialect: Dialect): Dialect {
  return {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => new TransactionGuardDriver(dialect.createDriver()),
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
}

class TransactionGuardDriver implements Driver {
  readonly #inner: Driver;
  // PGlite hands out one connection object for its whole life: the entry is replaced at each BEGIN.
  readonly #transactions = new WeakMap<DatabaseConnection, OpenTransaction>();

  constructor(inner: Driver) {
    this.#inner = inner;
  }

  init(): Promise<void> {
    return this.#inner.init();
  }

  acquireConnection(): Promise<DatabaseConnection> {
    const transaction = currentTransaction.getStore();
    if (transaction?.open === true && transaction.driver === this) return Promise.reject(new QueryOutsideTransactionError());
    return this.#inner.acquireConnection();
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    const transaction: OpenTransaction = { driver: this, open: true };
    this.#close(connection);
    this.#transactions.set(connection, transaction);
    openTransactions += 1;
    // Not async on purpose: enterWith must run in the caller's context (Kysely's transaction runner), so that
    // the callback it calls next, and everything that callback awaits, carries the mark.
    currentTransaction.enterWith(transaction);
    // A BEGIN that fails is neither committed nor rolled back by Kysely: the mark ends here.
    return this.#inner.beginTransaction(connection, settings).catch((error: unknown) => {
      this.#close(connection);
      throw error;
    });
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    this.#close(connection);
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    this.#close(connection);
    return this.#inner.rollbackTransaction(connection);
  }

  async savepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.#inner.savepoint) throw new Error('this database driver has no savepoints');
    return this.#inner.savepoint(connection, name, compileQuery);
  }

  async rollbackToSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.#inner.rollbackToSavepoint) throw new Error('this database driver has no savepoints');
    return this.#inner.rollbackToSavepoint(connection, name, compileQuery);
  }

  async releaseSavepoint(connection: DatabaseConnection, name: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    if (!this.#inner.releaseSavepoint) throw new Error('this database driver has no savepoints');
    return this.#inner.releaseSavepoint(connection, name, compileQuery);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }

  #close(connection: DatabaseConnection): void {
    const transaction = this.#transactions.get(connection);
    if (!transaction) return;
    transaction.open = false;
    this.#transactions.delete(connection);
    openTransactions -= 1;
    if (openTransactions === 0) currentTransaction.disable();
  }
}
