import { DblockError, isDblockError } from '../errors.js';
import { type BusyPhase, type RetryControl, retryAfterBusy } from './busy-retry.js';
import { isBusy, type SqliteConnection, type SqliteStatement } from './connection.js';
import { assertCommitted } from './invariant.js';
import type { ResolvedOptions } from './options.js';

/** Counters of one handle's writes (for `dblock stress` and benchmarks). */
export interface WriteStats {
  /** Write transactions committed. */
  writes: number;
  /** Write transactions rolled back (the callback threw, or BEGIN/COMMIT failed). */
  rollbacks: number;
  /** SQLITE_BUSY met at BEGIN or COMMIT and retried after a backoff. */
  busyRetries: number;
}

/**
 * Runs write transactions on one connection: `BEGIN IMMEDIATE`, the callback, `COMMIT`, the
 * invariant. The caller serialises calls (one transaction per connection at a time). The connection's
 * busy timeout stays 0: SQLite's own busy handler sleeps on the main thread, so a held lock answers
 * at once and BEGIN and COMMIT are retried here, with async, jittered backoff.
 */
export class Transactor {
  readonly stats: WriteStats = { writes: 0, rollbacks: 0, busyRetries: 0 };
  readonly #sqlite: SqliteConnection;
  readonly #path: string;
  readonly #begin: SqliteStatement;
  readonly #commit: SqliteStatement;
  readonly #pageCount: SqliteStatement;
  readonly #pageSize: SqliteStatement;
  /** Whether the rollback-journal invariant applies (false in WAL mode). */
  rollbackJournal: boolean;
  /** Whether writes hold dblock's `.lock` (serialized mode, initialisation): then a BUSY holder bypasses dblock. */
  holdsLock: boolean;
  readonly #onBusy: ((event: { phase: BusyPhase; attempt: number }) => void) | undefined;

  constructor(
    sqlite: SqliteConnection,
    path: string,
    journalMode: string,
    opts: Pick<ResolvedOptions, 'onBusy'> & { concurrency?: ResolvedOptions['concurrency'] },
  ) {
    this.#sqlite = sqlite;
    this.#path = path;
    // Set once, not toggled per transaction: two PRAGMA round trips cost twice a BEGIN.
    sqlite.exec('PRAGMA busy_timeout = 0');
    this.#begin = sqlite.prepare<[]>('BEGIN IMMEDIATE');
    this.#commit = sqlite.prepare<[]>('COMMIT');
    this.#pageCount = sqlite.prepare<[]>('PRAGMA page_count').pluck();
    this.#pageSize = sqlite.prepare<[]>('PRAGMA page_size').pluck();
    this.rollbackJournal = journalMode !== 'wal';
    this.holdsLock = opts.concurrency !== 'wal';
    this.#onBusy = opts.onBusy;
  }

  /**
   * One write transaction; `fn` must be synchronous. Any throw rolls back. BUSY is retried only at
   * BEGIN and COMMIT, until `deadline` (`performance.now()` clock). Returns the result itself when
   * neither met BUSY (no promise, so the caller can release its lock at once), else a promise of it.
   * @throws DblockError ELOCKTIMEOUT (still busy at the deadline), EINVARIANT (after a durable commit), EUSAGE (async fn)
   */
  run<T>(fn: (sqlite: SqliteConnection) => T, deadline: number): T | Promise<T> {
    const started = performance.now();
    try {
      this.#begin.run();
    } catch (err) {
      if (!isBusy(err)) throw err;
      return retryAfterBusy(this.#runBegin, this.#control('begin', deadline, started), err).then(() =>
        this.#body(fn, deadline, started),
      );
    }
    return this.#body(fn, deadline, started);
  }

  #body<T>(fn: (sqlite: SqliteConnection) => T, deadline: number, started: number): T | Promise<T> {
    let result: T;
    let pageCount = 0;
    let pageSize = 0;
    try {
      result = fn(this.#sqlite);
      if (isThenable(result)) {
        throw new DblockError('EUSAGE', 'the write callback must be synchronous: it returned a promise (rolled back)');
      }
      if (this.rollbackJournal) {
        // The size the file must reach, read inside the transaction so no other writer can change it.
        pageCount = this.#pageCount.get() as number;
        pageSize = this.#pageSize.get() as number;
      }
    } catch (err) {
      this.#rollback();
      throw err;
    }
    try {
      // In WAL mode COMMIT never meets BUSY (BEGIN IMMEDIATE holds the write lock; the auto-checkpoint is
      // PASSIVE); in rollback mode it waits for readers to leave.
      this.#commit.run();
    } catch (err) {
      if (!isBusy(err)) {
        this.#rollback();
        throw err;
      }
      return this.#retryCommit(result, pageCount, pageSize, this.#control('commit', deadline, started), err);
    }
    return this.#committed(result, pageCount, pageSize);
  }

  async #retryCommit<T>(result: T, pageCount: number, pageSize: number, control: RetryControl, first: unknown): Promise<T> {
    try {
      await retryAfterBusy(this.#runCommit, control, first);
    } catch (err) {
      this.#rollback();
      throw err;
    }
    return this.#committed(result, pageCount, pageSize);
  }

  #committed<T>(result: T, pageCount: number, pageSize: number): T {
    this.stats.writes += 1;
    if (this.rollbackJournal) {
      try {
        assertCommitted(this.#path, pageCount, pageSize, () => this.#stillRollback());
      } catch (err) {
        if (isDblockError(err)) throw err;
        // A SQLite error here must not read as "nothing committed": a caller could write it all again.
        throw new DblockError(
          'EINVARIANT',
          `committed on ${this.#path}, but the check after COMMIT failed: ${(err as Error).message}`,
          {
            cause: err,
          },
        );
      }
    }
    return result;
  }

  readonly #runBegin = (): void => {
    this.#begin.run();
  };

  readonly #runCommit = (): void => {
    this.#commit.run();
  };

  #control(phase: BusyPhase, deadline: number, started: number): RetryControl {
    return { phase, path: this.#path, deadline, started, onBusy: this.#noteBusy, holdsLock: this.holdsLock };
  }

  readonly #noteBusy = (phase: BusyPhase, attempt: number): void => {
    this.stats.busyRetries += 1;
    this.#onBusy?.({ phase, attempt });
  };

  #rollback(): void {
    this.stats.rollbacks += 1;
    // SQLite rolls back by itself after some errors (SQLITE_FULL, SQLITE_IOERR…): only roll back what is open.
    if (!this.#sqlite.inTransaction) return;
    try {
      this.#sqlite.exec('ROLLBACK');
    } catch {
      // The original error is what the caller needs; a failed ROLLBACK leaves SQLite to roll back on close.
    }
  }

  #stillRollback(): boolean {
    const mode = String(this.#sqlite.pragma('journal_mode', { simple: true }));
    this.rollbackJournal = mode !== 'wal';
    return this.rollbackJournal;
  }
}

function isThenable(value: unknown): boolean {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
