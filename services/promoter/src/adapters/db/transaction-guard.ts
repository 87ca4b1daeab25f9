/**
 * Catches a query sent through the root database handle while the same async flow holds an open
 * transaction. On the embedded database (PGlite: one connection, every other query queues behind the open
 * transaction) such a query waits for the transaction, which waits for the query: the service wedges. On
 * PostgreSQL it takes a second pooled connection and silently reads outside the transaction's locks and
 * snapshot. Either way it is a programming error, so it throws at once, on both engines, and every suite
 * that reaches such a path fails with a message naming the mistake instead of hanging.
 *
 * How: `db.transaction().execute(callback)` runs the callback inside an AsyncLocalStorage context that marks
 * the transaction open, and the driver (which Kysely asks for a connection for every query on the root
 * handle, never for a query on the transaction object) refuses a query from a context so marked.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { Kysely, type DatabaseConnection, type Dialect, type Driver, type Transaction, type TransactionBuilder, type TransactionSettings } from 'kysely';

/** The transaction an async flow is inside, and whether it is still open (work it spawned may outlive it). */
interface OpenTransaction {
  readonly driver: Driver;
  open: boolean;
}

// One storage for every database in the process. Tracking async contexts costs a hook on every promise the
// process makes (small: 2,000 reads on PGlite took 1.0-1.2 s of CPU with it always on or off), so the
// storage is enabled only while some transaction callback runs and disabled when the last one ends: queries
// outside transactions, the hot path, pay nothing for it. The mark is set with `run` around the callback,
// never `enterWith`: a context made while tracking was off may be shared by unrelated flows (concurrent
// requests were refused that way), and `run` marks only what the callback itself creates.
const currentTransaction = new AsyncLocalStorage<OpenTransaction>();
let runningCallbacks = 0;

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

/** A Kysely instance over `dialect` whose transactions cannot be escaped by a query on the root handle. */
export function guardedKysely<DB>(dialect: Dialect): Kysely<DB> {
  const driver = new TransactionGuardDriver(dialect.createDriver());
  const guarded: Dialect = {
    createAdapter: () => dialect.createAdapter(),
    createDriver: () => driver,
    createQueryCompiler: () => dialect.createQueryCompiler(),
    createIntrospector: (db) => dialect.createIntrospector(db),
  };
  return new GuardedKysely<DB>(guarded, driver);
}

class GuardedKysely<DB> extends Kysely<DB> {
  readonly #driver: Driver;

  constructor(dialect: Dialect, driver: Driver) {
    super({ dialect });
    this.#driver = driver;
  }

  override transaction(): TransactionBuilder<DB> {
    return markCallbacks(super.transaction(), this.#driver);
  }
}

/** `builder` with its callback run inside the mark; the builders its setters return are wrapped the same way. */
function markCallbacks<DB>(builder: TransactionBuilder<DB>, driver: Driver): TransactionBuilder<DB> {
  return new Proxy(builder, {
    get(target, property) {
      if (property === 'execute') {
        return <T>(callback: (trx: Transaction<DB>) => Promise<T>) => target.execute((trx) => runMarked(driver, () => callback(trx)));
      }
      if (property === 'setAccessMode' || property === 'setIsolationLevel') {
        return (value: never) => markCallbacks(target[property](value), driver);
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

async function runMarked<T>(driver: Driver, callback: () => Promise<T>): Promise<T> {
  const transaction: OpenTransaction = { driver, open: true };
  runningCallbacks += 1;
  try {
    return await currentTransaction.run(transaction, callback);
  } finally {
    transaction.open = false;
    runningCallbacks -= 1;
    if (runningCallbacks === 0) currentTransaction.disable();
  }
}

/** The dialect's driver, refusing a connection to a query from inside an open transaction of its database. */
class TransactionGuardDriver implements Driver {
  readonly #inner: Driver;

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
    return this.#inner.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.#inner.rollbackTransaction(connection);
  }

  releaseConnection(connection: DatabaseConnection): Promise<void> {
    return this.#inner.releaseConnection(connection);
  }

  destroy(): Promise<void> {
    return this.#inner.destroy();
  }
}
