import { setImmediate } from 'node:timers';
import type { SqliteConnection } from '../connection.js';
import { type Batch, ItemFailed, type ItemStatement, runIsolated, type SavepointStatements } from './batch.js';
import { groupSize, nothingCommitted, runGroupFast, runGroupIsolated, settleGroup } from './batch-group.js';
import { Fifo } from './fifo.js';

/** What the runner needs of a database: one write transaction per call. */
export interface WriteTarget {
  write<T>(fn: (sqlite: SqliteConnection) => T): Promise<T>;
  /** One synchronous transaction while the process ends; undefined when committed, else why not. */
  writeAtExit?(fn: (sqlite: SqliteConnection) => void): string | undefined;
}

/**
 * Writes sealed batches in order, one `db.write` transaction at a time, and settles their items.
 * A transaction takes the first queued batch and, once it holds the lock, the batches queued behind
 * it (see runGroupFast): batches sealed while the lock was busy share one hold and one COMMIT. One
 * transaction at a time keeps write order even when a group is rerun item by item, and costs
 * nothing: one connection runs one transaction at a time anyway.
 */
export class BatchRunner {
  readonly #target: WriteTarget;
  readonly #sqlite: SqliteConnection;
  readonly #statement: ItemStatement | undefined;
  readonly #onSettled: (count: number) => void;
  readonly #queue = new Fifo<Batch>();
  /** The batches of the transaction in flight, in write order; empty when none is. */
  #group: Batch[] = [];
  /** Batches of a group that failed as a whole, to run again one transaction each, before the queue. */
  #alone: Batch[] = [];
  /** The group is a batch split off a failed group: it runs alone, as if it had never been grouped. */
  #solo = false;
  /** The group's batches are in a transaction (or were: committed, rolled back, settling). */
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

  /** Queue a batch; it starts once the producer yields to the event loop. */
  enqueue(batch: Batch): void {
    this.#queue.push(batch);
    if (this.#group.length === 0 && !this.#scheduled) {
      // Not a microtask: a producer awaiting `ready` runs on microtasks, so it fills every batch it can
      // (up to capacity) first, and the hold writes them all, rather than one transaction per batch.
      this.#scheduled = true;
      setImmediate(this.#runNext);
    }
  }

  readonly #runNext = (): void => {
    this.#scheduled = false;
    if (this.#group.length > 0) return;
    this.#solo = this.#alone.length > 0;
    const batch = this.#solo ? this.#alone.shift() : this.#queue.shift();
    if (batch === undefined) return;
    this.#group = [batch];
    this.#target.write(this.#runFast).then(this.#committed, this.#fastFailed);
  };

  // The callbacks read the group from #group: no closure or async frame per transaction on the hot path.
  readonly #runFast = (sqlite: SqliteConnection): void => {
    this.#begun = true;
    runGroupFast(sqlite, this.#statement, this.#group, this.#solo ? undefined : this.#queue);
  };

  readonly #runIsolated = (sqlite: SqliteConnection): Map<number, unknown> => {
    this.#begun = true;
    return runGroupIsolated(sqlite, this.#statement, this.#group, this.#savepointStatements());
  };

  /**
   * For the exit flush: the batches no transaction has touched yet (the group while it still waits
   * for the lock or BEGIN, those split off a failed group, the queue), taken out of the runner, in
   * order. A group that has begun is left alone: it may be committed already, and writing it again
   * would duplicate it.
   */
  takeUnstarted(): Batch[] {
    const out = this.#begun ? [] : [...this.#group];
    out.push(...this.#alone, ...this.#queue.drain());
    this.#alone = [];
    return out;
  }

  /** Run `items` each in its own savepoint (a bad one is skipped): for the synchronous exit flush. */
  runAtExit(sqlite: SqliteConnection, items: readonly unknown[]): Map<number, unknown> {
    return runIsolated(sqlite, this.#statement, items, this.#savepointStatements());
  }

  readonly #committed = (): void => {
    for (const batch of this.#group) batch.resolveAll();
    this.#done();
  };

  readonly #fastFailed = (err: unknown): void => {
    const group = this.#group;
    if (!(err instanceof ItemFailed)) {
      this.#wholeFailed(err); // not an item's fault (lock timeout, BUSY past the deadline, disk full…)
      return;
    }
    if (group.length === 1 && (group[0] as Batch).size === 1) {
      (group[0] as Batch).rejectAll(err.cause);
      this.#done();
      return;
    }
    // Rerun item by item now, before any later batch (rolled back: nothing of it is in the database).
    this.#begun = false;
    this.#target.write(this.#runIsolated).then(this.#isolatedDone, this.#wholeFailed);
  };

  readonly #isolatedDone = (failures: Map<number, unknown>): void => {
    settleGroup(this.#group, failures);
    this.#done();
  };

  /**
   * The transaction failed as a whole. A batch alone rejects every item with the error. A group
   * that surely committed nothing is split, so each batch fails only of its own: when the failure
   * came before the transaction began (the lock), the first batch takes the error as it would have
   * alone; otherwise (disk full at COMMIT…) every batch runs again in its own transaction. A group
   * that may have committed (EINVARIANT) rejects every item: writing it again could duplicate it.
   */
  readonly #wholeFailed = (err: unknown): void => {
    const group = this.#group;
    if (group.length === 1 || !nothingCommitted(err)) {
      for (const batch of group) batch.rejectAll(err);
      this.#done();
      return;
    }
    const begun = this.#begun;
    this.#alone = [...group, ...this.#alone];
    this.#group = [];
    this.#begun = false;
    if (!begun) {
      const first = this.#alone.shift() as Batch;
      first.rejectAll(err);
      this.#onSettled(first.size);
    }
    this.#runNext();
  };

  #done(): void {
    const count = groupSize(this.#group);
    this.#group = [];
    this.#begun = false;
    this.#onSettled(count);
    if (this.#alone.length > 0 || this.#queue.length > 0) this.#runNext();
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
