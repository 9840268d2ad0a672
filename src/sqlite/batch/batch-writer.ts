import { DblockError } from '../../errors.js';
import type { SqliteConnection } from '../connection.js';
import { Batch } from './batch.js';
import { BatchRunner, type WriteTarget } from './batch-runner.js';
import { flushOnExit, forgetOnExit } from './exit-flush.js';
import type { ResolvedBatchOptions } from './options.js';
import { WaitingWrites } from './waiting-writes.js';

/** A statement's parameters: positional (an array), named (an object) or a single value. */
export type BindParameters =
  | readonly unknown[]
  | Readonly<Record<string, unknown>>
  | string
  | number
  | bigint
  | Uint8Array
  | null;

/** An item of a batch writer: the statement's parameters, or a function run inside the batch's transaction. */
export type BatchItem<P = BindParameters> = P | ((sqlite: SqliteConnection) => void);

// One executor for every item promise: no closure per write (see the hot-path note in write()).
let capturedResolve: () => void = () => {};
let capturedReject: (err: unknown) => void = () => {};
const capture = (resolve: () => void, reject: (err: unknown) => void): void => {
  capturedResolve = resolve;
  capturedReject = reject;
};
const RESOLVED = Promise.resolve();

/**
 * Buffers writes and commits them in batches through `db.write` (async batching). Create it with
 * `db.batchWriter(options)`.
 *
 * - `write(item)` returns a promise that settles when the item's batch commits, or rejects.
 * - A batch is flushed when it holds `bufferSize` items, `flushIntervalMs` after its first item,
 *   when `capacity` is reached, on `flush()`/`close()`, when the event loop runs dry
 *   (`beforeExit`), and on SIGINT/SIGTERM (then the signal is re-raised).
 * - Batches commit in write order. A transaction starts once the producer yields to the event loop,
 *   and takes every batch sealed by the time it holds the lock (at most 10,000 items or 20 ms of
 *   writing; never more than `capacity`): one lock hand-off and one COMMIT for all of them.
 * - **When an item fails** (a constraint, a bad parameter, a throwing function item), the
 *   transaction rolls back and is rerun with each item in its own savepoint: only the bad item
 *   rejects, with its own error, and the others commit. So function items may run twice: keep
 *   their effects in the database. A failure that is not an item's (lock timeout, SQLITE_BUSY past
 *   the deadline, disk full) fails a batch only of its own (batches that shared the transaction run
 *   again alone; a batch alone rejects every item with it). EINVARIANT, raised after a durable
 *   commit (the rows are there, the file needs `dblock check`), rejects the transaction's items.
 *   Nothing is dropped silently: a rejection nobody handles is an `unhandledRejection`.
 *
 * **When the process ends.** The queue is flushed when the event loop runs dry and on SIGINT/SIGTERM
 * (as above). On `process.exit()` and after an uncaught exception the event loop is gone, so the
 * items no transaction has touched yet are written in one last *synchronous* transaction from
 * Node's `exit` event: the lock is tried for at most 1 s (never past the database's `timeout`),
 * blocking the main thread meanwhile. If it cannot be had (another process holds it that long, the
 * mkdir backend, a transaction of this handle still waiting for its COMMIT), those items are lost
 * and one line on stderr says how many and why. SIGKILL loses whatever is not committed (all of the
 * transaction in flight). To be sure, `await writer.close()` (or `flush()`) before `process.exit()`.
 * @example
 * await using log = db.batchWriter({ statement: 'INSERT INTO turns (run, n, body) VALUES (?, ?, ?)' });
 * log.write([runId, 1, body]).catch(report);             // returns at once; commits within 500 ms
 * for (const row of rows) {
 *   if (log.pending >= log.capacity) await log.ready;    // backpressure without awaiting each commit
 *   log.write(row).catch(report);
 * }
 * await log.flush();                                     // everything written so far has settled
 */
export class BatchWriter<P = BindParameters> implements AsyncDisposable {
  /** Items per batch. */
  readonly bufferSize: number;
  /** Bound on items accepted and not yet settled. */
  readonly capacity: number;
  readonly #runner: BatchRunner;
  readonly #target: WriteTarget;
  readonly #intervalMs: number;
  readonly #onClose: () => void;
  #buffer = new Batch();
  /** Writes beyond `capacity`, in order, waiting for room. */
  readonly #waiting: WaitingWrites;
  #timer: NodeJS.Timeout | undefined;
  /** Counters in write order: written = settledCount + pending + waiting.count. */
  #written = 0;
  #settledCount = 0;
  #pending = 0;
  /** Items written before this count are being flushed: seal them as soon as they are admitted. */
  #flushTarget = 0;
  readonly #drains: { target: number; resolve: () => void }[] = [];
  #room: { promise: Promise<void>; resolve: () => void } | undefined;
  #closed = false;
  #closing: Promise<void> | undefined;

  /** @internal Use `db.batchWriter()`. */
  constructor(target: WriteTarget, sqlite: SqliteConnection, options: ResolvedBatchOptions, onClose: () => void = () => {}) {
    const statement = options.statement === undefined ? undefined : sqlite.prepare(options.statement);
    this.#target = target;
    this.#runner = new BatchRunner(target, sqlite, statement, (count) => this.#settled(count));
    this.bufferSize = options.bufferSize;
    this.capacity = options.capacity;
    this.#waiting = new WaitingWrites(options.bufferSize);
    this.#intervalMs = options.flushIntervalMs;
    this.#onClose = onClose;
    flushOnExit(this);
  }

  /** Items accepted and not yet settled (buffered or being written); at most `capacity`. */
  get pending(): number {
    return this.#pending;
  }

  /** Resolves when a `write()` would join a batch at once (fewer than `capacity` items pending). */
  get ready(): Promise<void> {
    if (this.#pending < this.capacity && this.#waiting.count === 0) return RESOLVED;
    if (this.#room === undefined) {
      let resolve: () => void = () => {};
      const promise = new Promise<void>((r) => (resolve = r));
      this.#room = { promise, resolve };
    }
    return this.#room.promise;
  }

  /**
   * Queue one item: the statement's parameters (an array, an object of named parameters, or one
   * value) or a synchronous function `(sqlite) => void`. Returns a promise that settles when the
   * item's batch commits (or rejects, see the class notes). When `capacity` items are pending the
   * item waits for room first (in order); `await writer.ready` to stop producing meanwhile.
   */
  write(item: BatchItem<P>): Promise<void> {
    if (this.#closed) return Promise.reject(new DblockError('EUSAGE', 'this batch writer is closed'));
    this.#written += 1;
    // Hot path (hundreds of thousands of items a second): one promise, three array slots, whether
    // the item joins the open batch or waits for room.
    const promise = new Promise<void>(capture);
    if (this.#pending >= this.capacity || this.#waiting.count > 0) this.#waiting.add(item, capturedResolve, capturedReject);
    else this.#admit(item, capturedResolve, capturedReject);
    return promise;
  }

  /** Flush now; resolves once every item written before the call has settled. Never rejects. */
  flush(): Promise<void> {
    const target = this.#written;
    if (this.#settledCount >= target) return RESOLVED;
    if (target > this.#flushTarget) this.#flushTarget = target;
    this.#seal();
    return new Promise<void>((resolve) => this.#drains.push({ target, resolve }));
  }

  /**
   * @internal Called by the `exit` listener (process.exit(), an uncaught exception): write every item
   * no transaction has touched yet in one synchronous transaction. Returns what was lost or failed,
   * for one line on stderr; undefined when everything is in.
   */
  flushAtExit(): string | undefined {
    const items = [
      ...this.#runner.takeUnstarted().flatMap((batch) => batch.items),
      ...this.#buffer.items,
      ...this.#waiting.drainItems(),
    ];
    this.#buffer = new Batch();
    if (items.length === 0) return undefined;
    let failures = new Map<number, unknown>();
    const writeAtExit = this.#target.writeAtExit?.bind(this.#target);
    const why =
      writeAtExit === undefined
        ? 'this writer cannot write synchronously'
        : writeAtExit((sqlite) => {
            failures = this.#runner.runAtExit(sqlite, items);
          });
    if (why !== undefined) return `${items.length} batched writes lost at exit: ${why}`;
    const first = failures.values().next();
    if (first.done) return undefined;
    return `${failures.size} of ${items.length} batched writes failed at exit: ${(first.value as Error)?.message ?? String(first.value)}`;
  }

  /** Stop accepting items (`write` then rejects with EUSAGE), drain everything, stop the timer. Idempotent. */
  close(): Promise<void> {
    this.#closing ??= this.#close();
    return this.#closing;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #close(): Promise<void> {
    this.#closed = true;
    await this.flush();
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    forgetOnExit(this);
    this.#onClose();
  }

  #admit(item: unknown, resolve: () => void, reject: (err: unknown) => void): void {
    const size = this.#buffer.add(item, resolve, reject);
    this.#pending += 1;
    if (size === 1) this.#armTimer();
    // At capacity nothing more can join this batch until one commits: waiting for the timer helps nobody.
    if (size >= this.bufferSize || this.#pending >= this.capacity) this.#seal();
  }

  /** Time the current batch from its first item. One timer, re-armed with refresh(): no allocation per batch. */
  #armTimer(): void {
    if (this.#intervalMs === Number.POSITIVE_INFINITY) return;
    if (this.#timer === undefined) {
      this.#timer = setTimeout(this.#onTimer, this.#intervalMs);
      // Never keep the process alive for the timer: beforeExit flushes what is left.
      this.#timer.unref();
    } else {
      this.#timer.refresh();
    }
  }

  // The timer was last re-armed by the current batch's first item, so a non-empty batch is due.
  readonly #onTimer = (): void => {
    this.#seal();
  };

  #seal(): void {
    const batch = this.#buffer;
    if (batch.items.length === 0) return;
    this.#buffer = new Batch();
    this.#runner.enqueue(batch);
  }

  /** A batch settled: make room, let waiting writes in, wake `ready` and `flush()` callers. */
  #settled(count: number): void {
    this.#pending -= count;
    this.#settledCount += count;
    this.#admitWaiting();
    if (this.#room !== undefined && this.#pending < this.capacity && this.#waiting.count === 0) {
      this.#room.resolve();
      this.#room = undefined;
    }
    while (this.#drains.length > 0 && (this.#drains[0]?.target ?? 0) <= this.#settledCount) this.#drains.shift()?.resolve();
  }

  /** Writes that waited for room join batches in order, a chunk at a time; those a flush() covers are sealed at once. */
  #admitWaiting(): void {
    while (this.#waiting.count > 0 && this.#pending < this.capacity) {
      const before = this.#buffer.size;
      const room = Math.min(this.capacity - this.#pending, this.bufferSize - before);
      if (room <= 0) break; // a full buffer is always sealed: never spin on one that is not
      this.#buffer = this.#waiting.admit(room, this.#buffer);
      this.#pending += this.#buffer.size - before;
      if (this.#buffer.size >= this.bufferSize || this.#pending >= this.capacity) this.#seal();
      else if (before === 0) this.#armTimer();
    }
    // The buffer's first item is number settled + pending - buffer length, in write order.
    if (this.#settledCount + this.#pending - this.#buffer.items.length < this.#flushTarget) this.#seal();
  }
}
