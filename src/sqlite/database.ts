import { setTimeout as sleep } from 'node:timers/promises';
import { DblockError } from '../errors.js';
import { lock } from '../lock/acquire.js';
import type { LockHandle } from '../lock/lock-handle.js';
import { FifoMutex } from '../mutex/fifo-mutex.js';
import { BatchWriter, type BindParameters } from './batch/batch-writer.js';
import { type BatchWriterOptions, resolveBatchOptions } from './batch/options.js';
import { backoffMs, busyTimeout } from './busy-retry.js';
import type { Connection, SqliteConnection, SqliteStatement } from './connection.js';
import { writeAtExit } from './exit-write.js';
import type { OpenReport } from './initialise.js';
import { readSnapshot, releaseLocked, settleLocked, writeLockOptions } from './locked-write.js';
import type { Concurrency, ResolvedOptions } from './options.js';
import type { Transactor, WriteStats } from './transaction.js';
import { WalBound } from './wal-bound.js';
import { walStatusPath } from './wal-status.js';

/**
 * A database opened by `openDatabase()`.
 * @example
 * await using db = await openDatabase('app.db', { migrations: './migrations' });
 * await db.write((sqlite) => sqlite.prepare('INSERT INTO jobs (name) VALUES (?)').run('build'));
 * const n = await db.read((sqlite) => sqlite.prepare('SELECT count(*) FROM jobs').pluck().get());
 */
export interface Database extends AsyncDisposable {
  /** The canonical path of the database file. */
  readonly path: string;
  readonly concurrency: Concurrency;
  /** The journal mode in force when the database was opened. */
  readonly journalMode: string;
  readonly readonly: boolean;
  /** What opening did: fast path, migrations applied, journal mode kept. */
  readonly opened: OpenReport;
  /**
   * Run `fn` in one write transaction and return its result: in-process queue, then `.lock`
   * (serialized mode), `BEGIN IMMEDIATE`, `fn`, `COMMIT`, the invariant, release. `fn` must be
   * synchronous and may run any number of statements (a batch is one call). Any throw rolls back.
   * Inside `withLock()` on the same database, or under `dblock exec`, the held lock passes through.
   * @throws DblockError ELOCKTIMEOUT, EINVARIANT (the commit is durable), EUSAGE; or what `fn` threw
   */
  write<T>(fn: (sqlite: SqliteConnection) => T): Promise<T>;
  /** Run `fn` in a read transaction (one consistent snapshot), without any lock. `fn` must not write. */
  read<T>(fn: (sqlite: SqliteConnection) => T): Promise<T>;
  /**
   * A writer that batches many small writes into few transactions (async batching):
   * `write(item)` returns at once with a promise that settles when the item's batch commits. See
   * {@link BatchWriter} for flushing, backpressure and what happens when one item fails.
   * @throws DblockError EUSAGE (bad options, readonly or closed database); SQLite's error for a bad `statement`
   * @example
   * const log = db.batchWriter({ statement: 'INSERT INTO events (at, name) VALUES (?, ?)', bufferSize: 100 });
   * log.write([Date.now(), 'started']).catch(console.error);
   * await log.close();
   */
  batchWriter<P = BindParameters>(options?: BatchWriterOptions): BatchWriter<P>;
  /** Counters of this handle's writes. */
  stats(): WriteStats;
  /** Close this handle's batch writers (draining them), wait for queued writes, then close the connection. Idempotent. */
  close(): Promise<void>;
}

/** The one implementation of `Database`. */
export class SqliteDatabase implements Database {
  readonly path: string;
  readonly concurrency: Concurrency;
  readonly journalMode: string;
  readonly readonly: boolean;
  readonly opened: OpenReport;
  readonly #conn: Connection;
  readonly #transactor: Transactor | undefined;
  readonly #opts: ResolvedOptions;
  /** Keeps `-wal` under `maxWalBytes` (undefined when off, readonly, or not in WAL mode). */
  readonly #walBound: WalBound | undefined;
  /** One transaction per connection at a time; FIFO so concurrent callers are served in order. */
  readonly #mutex = new FifoMutex();
  #closed = false;
  #closing: Promise<void> | undefined;
  /** Writes accepted and not yet finished; `close()` waits for them. */
  #inflight = 0;
  #drained: (() => void) | undefined;
  /** Open batch writers: close() drains them first, so no buffered item is lost. */
  readonly #writers = new Set<{ close(): Promise<void> }>();
  /** A read of the schema cookie: it takes the read snapshot (SQLite's read lock) before a read's callback. */
  readonly #snapshot: SqliteStatement;

  constructor(path: string, conn: Connection, transactor: Transactor | undefined, opts: ResolvedOptions, report: OpenReport) {
    this.path = path;
    this.#conn = conn;
    this.#transactor = transactor;
    this.#opts = opts;
    this.concurrency = opts.concurrency;
    this.journalMode = report.journalMode;
    this.readonly = opts.readonly;
    this.opened = report;
    this.#snapshot = conn.sqlite.prepare<[]>('PRAGMA schema_version');
    const bounded = transactor !== undefined && report.journalMode === 'wal' && Number.isFinite(opts.maxWalBytes);
    this.#walBound = bounded ? new WalBound(conn.sqlite, path, walStatusPath(path, opts.lockDir), opts.maxWalBytes) : undefined;
  }

  write<T>(fn: (sqlite: SqliteConnection) => T): Promise<T> {
    const transactor = this.#transactor;
    if (transactor === undefined)
      return Promise.reject(new DblockError('EUSAGE', `cannot write: ${this.path} was opened readonly`));
    if (this.#closed) return Promise.reject(closedError(this.path));
    const deadline = performance.now() + this.#opts.timeoutMs;
    this.#inflight += 1;
    if (this.concurrency === 'wal') {
      return this.#onConnection(() => this.#transact(transactor, fn, deadline), deadline).finally(this.#writeEnded);
    }
    // The lock first (its own in-process FIFO mutex queues this process's writers): a write nested in a
    // withLock() on this database passes through it instead of queueing behind an outer write.
    return lock(this.path, writeLockOptions(this.#opts, deadline)).then(
      (held) => this.#underLock(held, transactor, fn, deadline),
      (err: unknown) => {
        this.#writeEnded();
        throw err;
      },
    );
  }

  /**
   * Under `.lock`, synchronously unless SQLite is busy: BEGIN right after the acquisition, release before
   * the caller's promise settles. A write passing through an outer hold may find the connection busy: it queues.
   */
  #underLock<T>(held: LockHandle, transactor: Transactor, fn: (sqlite: SqliteConnection) => T, deadline: number): T | Promise<T> {
    if (!this.#mutex.tryAcquire('exclusive')) {
      return settleLocked(
        held,
        this.#onConnection(() => this.#transact(transactor, fn, deadline), deadline),
        this.#writeEnded,
      );
    }
    let pending = false;
    try {
      const result = this.#transact(transactor, fn, deadline);
      if (!(result instanceof Promise)) return result;
      pending = true; // met SQLITE_BUSY: released once the retries settle
      return settleLocked(held, result.finally(this.#releaseConnection), this.#writeEnded);
    } finally {
      if (!pending) {
        this.#mutex.release();
        releaseLocked(held, this.#writeEnded);
      }
    }
  }

  /** The transaction, then (still on this connection and, in serialized mode, under `.lock`) the WAL bound. */
  #transact<T>(transactor: Transactor, fn: (sqlite: SqliteConnection) => T, deadline: number): T | Promise<T> {
    const result = transactor.run(fn, deadline);
    const bound = this.#walBound;
    if (bound === undefined) return result;
    if (result instanceof Promise) {
      return result.then((value) => {
        bound.afterCommit();
        return value;
      });
    }
    bound.afterCommit();
    return result;
  }

  readonly #releaseConnection = (): void => this.#mutex.release();

  readonly #writeEnded = (): void => {
    this.#inflight -= 1;
    if (this.#inflight === 0) this.#drained?.();
  };

  /**
   * Read in one snapshot, without a lock. The snapshot is taken before `fn` runs: when another
   * connection's lock keeps it out, that wait happens here, off the event loop, for up to `busyTimeoutMs`.
   */
  async read<T>(fn: (sqlite: SqliteConnection) => T): Promise<T> {
    const started = performance.now();
    for (let attempt = 0; ; attempt += 1) {
      this.#assertOpen();
      // A write waiting to COMMIT keeps its transaction open: reading now would see its uncommitted rows.
      if (this.#conn.sqlite.inTransaction) {
        await this.#mutex.acquire('shared');
        this.#mutex.release();
        this.#assertOpen();
      }
      const read = readSnapshot(this.#conn.sqlite, this.#snapshot, fn);
      if (!read.busy) return read.value;
      const control = { phase: 'read' as const, path: this.path, deadline: started + this.#opts.busyTimeoutMs, started };
      if (performance.now() >= control.deadline) throw busyTimeout(control, read.error);
      this.#opts.onBusy?.({ phase: 'read', attempt });
      await sleep(Math.min(backoffMs(attempt), control.deadline - performance.now()));
    }
  }

  batchWriter<P = BindParameters>(options: BatchWriterOptions = {}): BatchWriter<P> {
    const resolved = resolveBatchOptions(options);
    if (this.#transactor === undefined) throw new DblockError('EUSAGE', `cannot write: ${this.path} was opened readonly`);
    this.#assertOpen();
    const writer: BatchWriter<P> = new BatchWriter<P>(this, this.#conn.sqlite, resolved, () => this.#writers.delete(writer));
    this.#writers.add(writer);
    return writer;
  }

  stats(): WriteStats {
    return { ...(this.#transactor?.stats ?? { writes: 0, rollbacks: 0, busyRetries: 0 }) };
  }

  /** @internal For batch writers at process exit: one synchronous transaction (see exit-write.ts). */
  writeAtExit(fn: (sqlite: SqliteConnection) => void): string | undefined {
    if (this.#transactor === undefined) return `${this.path} was opened readonly`;
    return writeAtExit(this.#conn.sqlite, this.path, this.#opts, fn);
  }

  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  #assertOpen(): void {
    if (this.#closed) throw closedError(this.path);
  }

  async #close(): Promise<void> {
    await Promise.all([...this.#writers].map((writer) => writer.close()));
    this.#closed = true;
    // Writes already accepted finish first (including those still waiting for the lock).
    if (this.#inflight > 0) await new Promise<void>((resolve) => (this.#drained = resolve));
    this.#conn.close();
  }

  /** One transaction at a time on this connection, in arrival order. */
  async #onConnection<T>(run: () => T | Promise<T>, deadline: number): Promise<T> {
    if (!this.#mutex.tryAcquire('exclusive')) {
      const remaining = deadline - performance.now();
      const signal = Number.isFinite(remaining) ? AbortSignal.timeout(Math.max(0, Math.ceil(remaining))) : undefined;
      if (!(await this.#mutex.acquire('exclusive', signal))) {
        throw new DblockError('ELOCKTIMEOUT', `timed out waiting for earlier writes on ${this.path} in this process`);
      }
    }
    try {
      return await run();
    } finally {
      this.#mutex.release();
    }
  }
}

function closedError(path: string): DblockError {
  return new DblockError('EUSAGE', `database ${path} is closed`);
}
