import { DblockError } from '../errors.js';
import type { BusyPhase } from './busy-retry.js';
import { runRetryingBusy } from './busy-retry.js';
import type { SqliteConnection, SqliteStatement } from './connection.js';
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
 * invariant. The caller serialises calls (one transaction per connection at a time).
 */
export class Transactor {
  readonly stats: WriteStats = { writes: 0, rollbacks: 0, busyRetries: 0 };
  readonly #sqlite: SqliteConnection;
  readonly #path: string;
  readonly #begin: SqliteStatement;
  readonly #commit: SqliteStatement;
  /** SQL that switches SQLite's busy handler off and back on (undefined when the timeout is 0). */
  readonly #busyOff: string | undefined;
  readonly #busyOn: string | undefined;
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
    opts: Pick<ResolvedOptions, 'busyTimeoutMs' | 'onBusy'> & { concurrency?: ResolvedOptions['concurrency'] },
  ) {
    const { busyTimeoutMs } = opts;
    this.#sqlite = sqlite;
    this.#path = path;
    this.#begin = sqlite.prepare<[]>('BEGIN IMMEDIATE');
    this.#commit = sqlite.prepare<[]>('COMMIT');
    // SQLite's own busy handler sleeps synchronously (blocking the event loop) on a fixed
    // schedule; at BEGIN and COMMIT dblock switches it off and waits with async, jittered backoff.
    // exec, not prepare: SQLite applies `PRAGMA busy_timeout = N` when it compiles the statement.
    this.#busyOff = busyTimeoutMs > 0 ? 'PRAGMA busy_timeout = 0' : undefined;
    this.#busyOn = busyTimeoutMs > 0 ? `PRAGMA busy_timeout = ${busyTimeoutMs}` : undefined;
    this.#pageCount = sqlite.prepare<[]>('PRAGMA page_count').pluck();
    this.#pageSize = sqlite.prepare<[]>('PRAGMA page_size').pluck();
    this.rollbackJournal = journalMode !== 'wal';
    this.holdsLock = opts.concurrency !== 'wal';
    this.#onBusy = opts.onBusy;
  }

  /**
   * One write transaction; `fn` must be synchronous. Any throw rolls back. BUSY is retried only at
   * BEGIN and COMMIT, until `deadline` (`performance.now()` clock).
   * @throws DblockError ELOCKTIMEOUT (still busy at the deadline), EINVARIANT (after a durable commit), EUSAGE (async fn)
   */
  async run<T>(fn: (sqlite: SqliteConnection) => T, deadline: number): Promise<T> {
    const started = performance.now();
    const holdsLock = this.holdsLock;
    const control = (phase: BusyPhase) => ({ phase, path: this.#path, deadline, started, onBusy: this.#noteBusy, holdsLock });
    const begun = runRetryingBusy(() => this.#step(this.#begin), control('begin'));
    if (begun !== undefined) await begun;
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
      // In WAL mode COMMIT never calls the busy handler (BEGIN IMMEDIATE already holds the write lock; the
      // auto-checkpoint is PASSIVE, which never waits): skip the two PRAGMA round trips there.
      const commit = this.rollbackJournal ? () => this.#step(this.#commit) : () => this.#commit.run();
      const committed = runRetryingBusy(commit, control('commit'));
      if (committed !== undefined) await committed;
    } catch (err) {
      this.#rollback();
      throw err;
    }
    this.stats.writes += 1;
    if (this.rollbackJournal) assertCommitted(this.#path, pageCount, pageSize, () => this.#stillRollback());
    return result;
  }

  #step(statement: SqliteStatement): void {
    if (this.#busyOff !== undefined) this.#sqlite.exec(this.#busyOff);
    try {
      statement.run();
    } finally {
      if (this.#busyOn !== undefined) this.#sqlite.exec(this.#busyOn);
    }
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
