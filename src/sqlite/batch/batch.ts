import { DblockError } from '../../errors.js';
import type { SqliteConnection } from '../connection.js';

/** What a batch item runs through: the writer's prepared statement (typed structurally, so this module needs no better-sqlite3 import). */
export interface ItemStatement {
  run(...params: unknown[]): unknown;
}

/** The statements of the isolated pass, prepared on first need (the failure path only). */
export interface SavepointStatements {
  readonly begin: ItemStatement;
  readonly release: ItemStatement;
  readonly rollback: ItemStatement;
}

/**
 * Items sealed into one transaction, with the settle functions of their promises. Parallel arrays,
 * not an object per item: the hot path allocates nothing per item but the caller's promise.
 */
export class Batch {
  readonly items: unknown[] = [];
  readonly resolves: (() => void)[] = [];
  readonly rejects: ((err: unknown) => void)[] = [];

  get size(): number {
    return this.items.length;
  }

  /** Append one item with the settle functions of its promise; returns the new size. */
  add(item: unknown, resolve: () => void, reject: (err: unknown) => void): number {
    this.resolves.push(resolve);
    this.rejects.push(reject);
    return this.items.push(item);
  }

  /** Move the first `count` items into `into`, in order (O(size): a batch holds at most bufferSize items). */
  moveFront(count: number, into: Batch): void {
    const items = this.items.splice(0, count);
    const resolves = this.resolves.splice(0, count);
    const rejects = this.rejects.splice(0, count);
    for (let i = 0; i < items.length; i++) into.add(items[i], resolves[i] as () => void, rejects[i] as (err: unknown) => void);
  }

  resolveAll(): void {
    for (const resolve of this.resolves) resolve();
  }

  rejectAll(err: unknown): void {
    for (const reject of this.rejects) reject(err);
  }

  /**
   * Settle each item from the isolated pass: the failed ones reject with their own error. Item `i`
   * is `offset + i` in `failures` (the batch's place in its transaction).
   */
  settleEach(failures: ReadonlyMap<number, unknown>, offset = 0): void {
    for (let i = 0; i < this.items.length; i++) {
      if (failures.has(offset + i)) this.rejects[i]?.(failures.get(offset + i));
      else this.resolves[i]?.();
    }
  }
}

/** Thrown out of the fast pass so `db.write` rolls the whole batch back; carries the item's own error. */
export class ItemFailed {
  readonly index: number;
  readonly cause: unknown;

  constructor(index: number, cause: unknown) {
    this.index = index;
    this.cause = cause;
  }
}

/** Run one item: a function gets the connection, anything else is bound to the statement. */
function runItem(sqlite: SqliteConnection, statement: ItemStatement | undefined, item: unknown): void {
  if (typeof item === 'function') {
    const result: unknown = item(sqlite);
    if (typeof (result as { then?: unknown } | null)?.then === 'function') {
      throw new DblockError('EUSAGE', 'a batch item function must be synchronous: it returned a promise');
    }
  } else if (statement === undefined) {
    throw new DblockError('EUSAGE', 'this batch writer has no `statement`: write a function item, or pass `statement`');
  } else if (item === undefined) {
    statement.run();
  } else {
    // One argument covers every binding form: an array (positional), an object (named), a scalar.
    statement.run(item);
  }
}

/**
 * The happy path: every item, no savepoints. The first throw aborts the pass as an `ItemFailed`
 * (rolling the batch back) so the isolated pass can tell good items from bad.
 */
export function runFast(sqlite: SqliteConnection, statement: ItemStatement | undefined, items: readonly unknown[]): void {
  let i = 0;
  try {
    for (; i < items.length; i++) runItem(sqlite, statement, items[i]);
  } catch (err) {
    throw new ItemFailed(i, err);
  }
}

/**
 * The failure path: each item in its own savepoint, so a bad item is undone alone and the others
 * commit. Returns the errors by item index. An error after which SQLite has abandoned the whole
 * transaction (disk full, I/O error, ON CONFLICT ROLLBACK) is rethrown: the whole batch fails.
 */
export function runIsolated(
  sqlite: SqliteConnection,
  statement: ItemStatement | undefined,
  items: readonly unknown[],
  savepoint: SavepointStatements,
): Map<number, unknown> {
  const failures = new Map<number, unknown>();
  for (let i = 0; i < items.length; i++) {
    savepoint.begin.run();
    try {
      runItem(sqlite, statement, items[i]);
    } catch (err) {
      if (!sqlite.inTransaction) throw err;
      savepoint.rollback.run();
      failures.set(i, err);
    }
    savepoint.release.run();
  }
  return failures;
}
