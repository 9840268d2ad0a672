import type { LockOptions } from '../lock/acquire.js';
import type { LockHandle } from '../lock/lock-handle.js';
import { isBusy, type SqliteConnection, type SqliteStatement } from './connection.js';
import type { ResolvedOptions } from './options.js';

/** How a serialized write takes `.lock`: within what is left of its deadline. */
export function writeLockOptions(opts: ResolvedOptions, deadline: number): LockOptions {
  return {
    timeout: Math.max(0, deadline - performance.now()),
    lockDir: opts.lockDir,
    backend: opts.backend,
    stale: opts.staleMs,
    url: opts.url,
  };
}

/**
 * Release a write's lock, then mark the write ended. A lock lost while held (mkdir backend) fails the
 * write with the signal's reason (ECOMPROMISED) once released, as withLock() does.
 */
export function releaseLocked(held: LockHandle, ended: () => void): void {
  const lost = held.signal.aborted;
  try {
    held.release();
  } finally {
    ended();
  }
  if (lost) throw held.signal.reason;
}

/** `releaseLocked` once `work` settles (a write that met SQLITE_BUSY, or queued for the connection). */
export function settleLocked<T>(held: LockHandle, work: Promise<T>, ended: () => void): Promise<T> {
  return work.then(
    (value) => {
      releaseLocked(held, ended);
      return value;
    },
    (err: unknown) => {
      try {
        releaseLocked(held, ended);
      } catch {
        // The write's own error says more than a lost lock.
      }
      throw err;
    },
  );
}

/** One read attempt: its value, or the SQLITE_BUSY that kept it from taking a snapshot (nothing ran). */
export type ReadAttempt<T> = { busy: false; value: T } | { busy: true; error: unknown };

/**
 * `fn` in one read transaction, synchronously. The snapshot is taken first, so a BUSY there (another
 * connection mid-commit in rollback mode, WAL recovery) returns before `fn` runs, to be waited out.
 */
export function readSnapshot<T>(
  sqlite: SqliteConnection,
  snapshot: SqliteStatement,
  fn: (sqlite: SqliteConnection) => T,
): ReadAttempt<T> {
  sqlite.exec('BEGIN');
  try {
    snapshot.run();
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    if (isBusy(err)) return { busy: true, error: err };
    throw err;
  }
  try {
    const value = fn(sqlite);
    sqlite.exec('COMMIT');
    return { busy: false, value };
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    throw err;
  }
}
