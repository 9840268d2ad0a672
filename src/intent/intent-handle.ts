import type { IntentStore, TaskLiveness } from './store.js';
import type { IntentConflict, IntentPolicy } from './types.js';

/** What a handle knows when it is made. */
export interface IntentHandleInit {
  readonly taskId: string;
  readonly paths: readonly string[];
  readonly policy: IntentPolicy;
  readonly store: IntentStore;
  readonly seq: number;
  readonly token: string;
  readonly live: TaskLiveness;
  readonly expiresAt: number | undefined;
  readonly waitedMs: number;
  readonly conflicts: readonly IntentConflict[];
}

/**
 * An admitted write intent. `release()` is idempotent; `await using` releases at scope end.
 * @example
 * await using intent = await declareIntent(['data/report.json']);
 * // … write data/report.json …
 */
export class IntentHandle implements AsyncDisposable {
  readonly taskId: string;
  /** The canonical paths declared (directories end in `/`). */
  readonly paths: readonly string[];
  readonly policy: IntentPolicy;
  /** The registry: its database file, or `postgres://host:port/db#scope`. */
  readonly registry: string;
  /** Names this task's liveness file in the registry. */
  readonly token: string;
  /** The descriptor of the liveness lock (a locked file, or a PostgreSQL session's socket): a child process that inherits it keeps the intent alive. */
  readonly fd: number;
  /** When the intent lapses (TTL), if it has a TTL. */
  readonly expiresAt: Date | undefined;
  /** How long the submission waited in the queue, in milliseconds (0 when admitted at once). */
  readonly waitedMs: number;
  /** Overlaps met on the way in: warned about (`warn`) or waited for (`queue`). */
  readonly conflicts: readonly IntentConflict[];
  /**
   * Fires (reason code `ELOCKLOST`) if the intent is lost while held: its PostgreSQL session ended, so
   * other tasks may claim its paths from then on. Never fires for a SQLite registry.
   */
  readonly lost: AbortSignal;
  #release: (() => Promise<void>) | undefined;

  constructor(init: IntentHandleInit) {
    this.taskId = init.taskId;
    this.paths = init.paths;
    this.policy = init.policy;
    this.registry = init.store.id;
    this.token = init.token;
    this.fd = init.live.fd;
    this.expiresAt = init.expiresAt === undefined ? undefined : new Date(init.expiresAt);
    this.waitedMs = init.waitedMs;
    this.conflicts = init.conflicts;
    this.lost = init.live.lost ?? new AbortController().signal;
    this.#release = async () => {
      // The liveness lock first: waiters wake at once, and a task with a free lock is dead to every
      // reader anyway, so the row delete below is tidying that a failure cannot make unsafe.
      init.live.release();
      try {
        await init.store.transact(true, (tx) => tx.removeTask(init.seq, init.token));
      } catch {
        // The row is dead (its lock is free): the next submission or `dblock reap` removes it.
      }
    };
  }

  /** True until `release()` is called. */
  get held(): boolean {
    return this.#release !== undefined;
  }

  /** Release the intent: the paths are free for others at once. Calling it again does nothing. */
  async release(): Promise<void> {
    const release = this.#release;
    this.#release = undefined;
    await release?.();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.release();
  }
}
