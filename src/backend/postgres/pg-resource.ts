import type { DblockError } from '../../errors.js';
import type { LockMode, LockResource, WaitControl } from '../types.js';
import type { SessionOptions } from './connect.js';
import { holderRecordBytes, holdersOf } from './holders.js';
import { PgLockSession } from './session.js';

/** How long a released lock's session is kept for a next acquisition before it is ended. */
const IDLE_SESSION_MS = 2000;

/** Fields of the holder record this backend stores in its table (the rest comes from the server). */
interface RecordFields {
  pid?: unknown;
  command?: unknown;
}

/**
 * The `LockResource` of one lock name on PostgreSQL: its own dedicated session for each hold
 * (one unpooled connection per held lock), kept a moment after release for the next one.
 */
export class PgLockResource implements LockResource {
  readonly path: string;
  readonly waitsInServer = true;
  readonly #options: SessionOptions;
  #session: PgLockSession | undefined;
  #fence: bigint | undefined;
  #holder: { pid: number; command: string };
  #idleTimer: NodeJS.Timeout | undefined;
  onCompromised: ((error: DblockError) => void) | undefined;
  /** Told the holder record seen whenever a wait finds the lock busy (the backend keeps it for messages). */
  onHolderSeen: ((record: Buffer | undefined) => void) | undefined;

  constructor(name: string, options: SessionOptions, command: string) {
    this.path = name;
    this.#options = options;
    this.#holder = { pid: process.pid, command };
  }

  /** The session's socket while held: a child inheriting it keeps the session (and the lock) alive. */
  get fd(): number | undefined {
    return this.#session?.fd;
  }

  /** The fencing token of the current exclusive hold. */
  get fence(): bigint | undefined {
    return this.#fence;
  }

  /** The server process of the current session (nested `dblock` calls check it in `pg_locks`). */
  get backendPid(): number | undefined {
    return this.#session?.backendPid;
  }

  /** Monotonic instant until which the current hold is known valid. */
  get validUntil(): number | undefined {
    return this.#session?.validUntil;
  }

  async tryAcquire(mode: LockMode): Promise<boolean> {
    const session = await this.#fresh();
    // A busy lock's holder is read only if the wait fails (for the message): not on every hand-off.
    if (!(await this.#lock(session, mode, undefined))) {
      this.onHolderSeen?.(undefined);
      return false;
    }
    return true;
  }

  async acquire(mode: LockMode, wait: WaitControl): Promise<boolean> {
    this.onHolderSeen?.(undefined); // asked without a try first: a record from an earlier wait is stale
    const session = await this.#fresh();
    if (!(await this.#lock(session, mode, wait))) {
      await this.#noteHolder(session);
      session.close();
      return false;
    }
    return true;
  }

  release(): void {
    this.#fence = undefined;
    const session = this.#session;
    if (session === undefined) return;
    session.unlock();
    // Kept for this lock's next acquisition (a connect costs far more than the lock), for a while.
    clearTimeout(this.#idleTimer);
    this.#idleTimer = setTimeout(() => {
      if (this.#session === session) this.#session = undefined;
      session.end();
    }, IDLE_SESSION_MS);
    this.#idleTimer.unref();
  }

  /** Re-record the holder (e.g. `dblock exec` names its child); the first record was written at the grant. */
  writeRecord(record: Buffer): void {
    let fields: RecordFields;
    try {
      fields = JSON.parse(record.toString('utf8').trim()) as RecordFields;
    } catch {
      return;
    }
    const pid = typeof fields.pid === 'number' ? fields.pid : this.#holder.pid;
    const command = typeof fields.command === 'string' ? fields.command : this.#holder.command;
    if (pid === this.#holder.pid && command === this.#holder.command) return;
    this.#holder = { pid, command };
    const session = this.#session;
    if (session === undefined || session.closed) return;
    session.client
      .query('UPDATE dblock_holder SET pid = $1, command = $2 WHERE backend_pid = pg_backend_pid()', [pid, command])
      .catch(() => {}); // advisory only
  }

  /** Reads who holds the lock through the waiter's own session (advisory: failures are ignored). */
  async #noteHolder(session: PgLockSession): Promise<void> {
    if (session.closed || this.onHolderSeen === undefined) return;
    try {
      const holders = await holdersOf(session.client, this.path);
      this.onHolderSeen(holderRecordBytes(holders.find((h) => h.backendPid !== session.backendPid && h.pid !== undefined)));
    } catch {
      // advisory only
    }
  }

  close(): void {
    clearTimeout(this.#idleTimer);
    this.#session?.close();
    this.#session = undefined;
  }

  /** A new session unless an unused open one is at hand (a failed try leaves it open for the wait). */
  async #fresh(): Promise<PgLockSession> {
    clearTimeout(this.#idleTimer);
    if (this.#session !== undefined && !this.#session.closed) return this.#session;
    this.#session = await PgLockSession.open(this.path, this.#options);
    return this.#session;
  }

  /** Lock, fence and record in one round trip; a failure other than "not granted" costs the session. */
  async #lock(session: PgLockSession, mode: LockMode, wait: WaitControl | undefined): Promise<boolean> {
    try {
      if (!(await session.lock(mode, this.#holder, wait))) return false;
    } catch (err) {
      session.close();
      this.#session = undefined;
      throw err;
    }
    this.#fence = session.fence;
    session.onLost = (error) => this.onCompromised?.(error);
    return true;
  }
}
