import { isDblockError } from '../../errors.js';
import type { SqliteConnection } from '../connection.js';
import { type Batch, type ItemStatement, runFast, runIsolated, type SavepointStatements } from './batch.js';
import type { Fifo } from './fifo.js';

/**
 * @internal How much one hold may write beyond its first batch (which always runs whole): another
 * batch joins while the transaction holds fewer than `maxItems` items with it and is younger than
 * `maxHoldMs`. So another process waits for at most about `maxHoldMs` plus one batch; a writer's
 * own `capacity` bounds a hold too (no more items can be queued). Tests change these.
 */
export const groupLimits = { maxItems: 10_000, maxHoldMs: 20 };

/**
 * The fast pass of one transaction: `group[0]`, then (when `queue` is given) the batches queued
 * behind it, in order, within `groupLimits`. Batches sealed while this process waited for the lock
 * are so written in the same hold, with one COMMIT; each batch's rows still commit together (with
 * the others'). Taken batches are appended to `group`. Throws ItemFailed (the transaction rolls
 * back) as runFast does.
 */
export function runGroupFast(
  sqlite: SqliteConnection,
  statement: ItemStatement | undefined,
  group: Batch[],
  queue: Fifo<Batch> | undefined,
): void {
  const started = performance.now();
  const first = group[0] as Batch;
  runFast(sqlite, statement, first.items);
  if (queue === undefined) return;
  const { maxItems, maxHoldMs } = groupLimits;
  let items = first.size;
  for (let next = queue.peek(); next !== undefined; next = queue.peek()) {
    items += next.size;
    if (items > maxItems || performance.now() - started >= maxHoldMs) return;
    group.push(queue.shift() as Batch);
    runFast(sqlite, statement, next.items);
  }
}

/** The isolated pass over a whole group: each item in its own savepoint; errors by item index across the group. */
export function runGroupIsolated(
  sqlite: SqliteConnection,
  statement: ItemStatement | undefined,
  group: readonly Batch[],
  savepoint: SavepointStatements,
): Map<number, unknown> {
  const items = group.length === 1 ? (group[0] as Batch).items : group.flatMap((batch) => batch.items);
  return runIsolated(sqlite, statement, items, savepoint);
}

/** Settle every item of a group from the isolated pass's failures (indexed across the group). */
export function settleGroup(group: readonly Batch[], failures: ReadonlyMap<number, unknown>): void {
  let offset = 0;
  for (const batch of group) {
    batch.settleEach(failures, offset);
    offset += batch.size;
  }
}

/** Items in a group. */
export function groupSize(group: readonly Batch[]): number {
  let size = 0;
  for (const batch of group) size += batch.size;
  return size;
}

/**
 * Whether a failed transaction certainly committed nothing, so its batches may run again: SQLite's
 * own error (at BEGIN, a statement or COMMIT, after which the transaction is rolled back) or BUSY
 * past the deadline (ELOCKTIMEOUT). Anything else may come after a durable COMMIT (EINVARIANT, a
 * lock lost meanwhile): writing those batches again could duplicate them.
 */
export function nothingCommitted(err: unknown): boolean {
  if (isDblockError(err)) return err.code === 'ELOCKTIMEOUT';
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && code.startsWith('SQLITE_');
}
