import type { SqliteConnection } from '../connection.js';
import { type Batch, ItemFailed, type ItemStatement, runFast, runIsolated, type SavepointStatements } from './batch.js';
import { Fifo } from './fifo.js';

/** What the runner needs of a database: one write transaction per call. */
export interface WriteTarget {
  write<T>(fn: (sqlite: SqliteConnection) => T): Promise<T>;
  /** One synchronous transaction while the process ends; undefined when committed, else why not. */
  writeAtExit?(fn: (sqlite: SqliteConnection) => void): string | undefined;
}

/**
 * Writes sealed batches one at a time, in order, each as one `db.write` transaction, and settles
 * their items. One at a time keeps write order even when a batch is rerun item by item, and costs
 * nothing: one connection runs one transaction at a time anyway.
 */
export class BatchRunner {
  readonly #target: WriteTarget;
  readonly #sqlite: SqliteConnection;
  readonly #statement: ItemStatement | undefined;
  readonly #onSettled: (count: number) => void;
  readonly #queue = new Fifo<Batch>();
  #running: Batch | undefined;
  /** The running batch's items are in a transaction (or were: committed, rolled back, settling). */
  #begun = false;
  #scheduled = false;
  #savepoint: SavepointStatements | undefined;

  constructor(
    target: WriteTarget,
    sqlite: SqliteConnection,
    statement: ItemStatement | undefined,
    onSettled: (count: number) => void,
  ) {
    this.#target = target;
    this.#sqlite = sqlite;
    this.#statement = statement;
    this.#onSettled = onSettled;
  }

  /** Queue a batch; it starts once the caller's synchronous code is done. */
  enqueue(batch: Batch): void {
    this.#queue.push(batch);
    if (this.#running === undefined && !this.#scheduled) {
      // After the caller's synchronous code: the lock is then held for the batch, not for the caller's loop.
      this.#scheduled = true;
      queueMicrotask(this.#runNext);
    }
  }

  readonly #runNext = (): void => {
    this.#scheduled = false;
    if (this.#running !== undefined) return;
    const batch = this.#queue.shift();
    if (batch === undefined) return;
    this.#running = batch;
    this.#target.write(this.#runFast).then(this.#committed, this.#fastFailed);
  };

  // The callbacks read the batch from #running: no closure or async frame per batch on the hot path.
  readonly #runFast = (sqlite: SqliteConnection): void => {
    this.#begun = true;
    runFast(sqlite, this.#statement, this.#current().items);
  };

  readonly #runIsolated = (sqlite: SqliteConnection): Map<number, unknown> => {
    this.#begun = true;
    return runIsolated(sqlite, this.#statement, this.#current().items, this.#savepointStatements());
  };

  /**
   * For the exit flush: the batches no transaction has touched yet (the queue, and the running one
   * while it still waits for the lock or BEGIN), taken out of the runner. A batch that has begun is
   * left alone: it may be committed already, and writing it again would duplicate it.
   */
  takeUnstarted(): Batch[] {
    const out = this.#queue.drain();
    if (this.#running !== undefined && !this.#begun) out.unshift(this.#running);
    return out;
  }

  /** Run `items` each in its own savepoint (a bad one is skipped): for the synchronous exit flush. */
  runAtExit(sqlite: SqliteConnection, items: readonly unknown[]): Map<number, unknown> {
    return runIsolated(sqlite, this.#statement, items, this.#savepointStatements());
  }

  readonly #committed = (): void => {
    this.#current().resolveAll();
    this.#done();
  };

  readonly #fastFailed = (err: unknown): void => {
    const batch = this.#current();
    if (!(err instanceof ItemFailed)) {
      batch.rejectAll(err); // not an item's fault (lock timeout, BUSY past the deadline, disk full…)
    } else if (batch.items.length === 1) {
      batch.rejectAll(err.cause);
    } else {
      // Rerun item by item now, before any later batch (rolled back: nothing of it is in the database).
      this.#begun = false;
      this.#target.write(this.#runIsolated).then(this.#isolatedDone, this.#isolatedFailed);
      return;
    }
    this.#done();
  };

  readonly #isolatedDone = (failures: Map<number, unknown>): void => {
    this.#current().settleEach(failures);
    this.#done();
  };

  readonly #isolatedFailed = (err: unknown): void => {
    this.#current().rejectAll(err);
    this.#done();
  };

  #current(): Batch {
    return this.#running as Batch;
  }

  #done(): void {
    const count = this.#current().items.length;
    this.#running = undefined;
    this.#begun = false;
    this.#onSettled(count);
    if (this.#queue.length > 0) this.#runNext();
  }

  #savepointStatements(): SavepointStatements {
    this.#savepoint ??= {
      begin: this.#sqlite.prepare('SAVEPOINT dblock_batch_item'),
      release: this.#sqlite.prepare('RELEASE dblock_batch_item'),
      rollback: this.#sqlite.prepare('ROLLBACK TO dblock_batch_item'),
    };
    return this.#savepoint;
  }
}
