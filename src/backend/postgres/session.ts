import { DblockError } from '../../errors.js';
import { hostName } from '../../util/host-name.js';
import type { LockMode, WaitControl } from '../types.js';
import { connectError, openSession, type PgClient, type SessionOptions } from './connect.js';
import { LeaseWatch, type LossReason } from './lease-watch.js';
import { LOCK_CALL } from './lock-function.js';
import { type LockKey, lockKeyOf } from './lock-key.js';
import { LOCK_SQL, UNLOCK } from './lock-sql.js';
import { FUNCTION_MISSING, withSchema } from './schema.js';
import { withinWait } from './wait-cut.js';

/** SQLSTATE lock_not_available: `lock_timeout` ran out while waiting in the server. */
const LOCK_NOT_AVAILABLE = '55P03';
/** SQLSTATE invalid_sql_statement_name: a statement this session prepared is gone, so another session answered. */
const STATEMENT_GONE = '26000';

interface LockRow {
  ok: boolean;
  fence: string | null;
  backend_pid: number;
}

/** Who holds the lock, as written by the holder in the same session. */
export interface HolderFields {
  pid: number;
  command: string;
}

/**
 * One held-or-wanted PostgreSQL session advisory lock on one dedicated connection. Every way out of a
 * wait that did not return true closes the session, so a grant racing a timeout dies with it.
 */
export class PgLockSession {
  readonly name: string;
  readonly #key: LockKey;
  readonly #client: PgClient;
  readonly #leaseMs: number;
  #backendPid: number | undefined;
  #mode: LockMode | undefined;
  #watch: LeaseWatch | undefined;
  #closed = false;
  #fence: bigint | undefined;
  /** Closed because a wait was abandoned (abort or a silent server), not because of an error. */
  #closedByCut = false;
  #onLost: ((error: DblockError) => void) | undefined;

  private constructor(name: string, client: PgClient, leaseMs: number) {
    this.name = name;
    this.#key = lockKeyOf(name);
    this.#client = client;
    this.#leaseMs = leaseMs;
    client.on('error', (err) => this.#dropped(err));
    client.on('end', () => this.#dropped());
  }

  /** Connects a dedicated session for `name`. @throws `EUNAVAILABLE` (69), `EPERM` (77) */
  static async open(name: string, options: SessionOptions): Promise<PgLockSession> {
    return new PgLockSession(name, await openSession(options), options.leaseMs);
  }

  get key(): LockKey {
    return this.#key;
  }

  /** The session's socket descriptor, for a child to inherit so the session outlives a killed parent. */
  get fd(): number | undefined {
    const fd = (this.#client.connection.stream as unknown as { _handle?: { fd?: number } })._handle?.fd;
    return typeof fd === 'number' && fd >= 0 ? fd : undefined;
  }

  /** The server process serving this session (for nested callers to verify in `pg_locks`). */
  get backendPid(): number | undefined {
    return this.#backendPid;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** The query side of the session, for holder look-ups while it is open. */
  get client(): PgClient {
    return this.#client;
  }

  /**
   * Take the lock — try once (`wait` undefined), or wait in the server (its queue is FIFO) bounded by
   * `lock_timeout` — and, once granted, bump the fence and record the holder: one statement, one round
   * trip (lock-function.ts). An abort, or a server silent past the deadline, closes the session instead.
   * False = not held, now or later. @throws `EBACKENDPOOLED` when another server session answered
   */
  async lock(mode: LockMode, holder: HolderFields, wait?: WaitControl): Promise<boolean> {
    const remaining = wait === undefined ? 0 : wait.deadline - performance.now();
    if (wait !== undefined && (remaining <= 0 || wait.signal?.aborted)) return false;
    this.#busy();
    // Once per session: the server process that must answer every later statement (a pooler swaps it).
    this.#backendPid ??= (await this.#run<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid;
    const finite = Number.isFinite(remaining);
    const params = [this.#key.key, this.name, mode, holder.pid, hostName(), holder.command, wait !== undefined];
    params.push(finite ? Math.max(1, Math.ceil(remaining)) : 0);
    const sentAt = performance.now();
    const call = (): Promise<{ rows: LockRow[] }> => this.#client.query<LockRow>({ ...LOCK_CALL, values: params });
    let row: LockRow | undefined;
    try {
      row = (await withinWait(withSchema(this.#client, call, FUNCTION_MISSING), wait, remaining, this.#cut))?.rows[0];
    } catch (err) {
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE && !this.#closed) return false;
      // Anything else may have come after the grant: ending the session is the one sure way to let go.
      this.close();
      if (this.#closedByCut) return false;
      const state = (err as { code?: unknown }).code;
      if (typeof state !== 'string' || !/^[0-9A-Z]{5}$/.test(state)) throw connectError(err, undefined);
      if (state === STATEMENT_GONE) throw this.#pooled();
      throw new DblockError(
        'EUNAVAILABLE',
        `postgres: taking lock "${this.name}" failed: ${(err as Error).message} (SQLSTATE ${state})`,
        {
          cause: err,
        },
      );
    }
    if (row === undefined || this.#closed) return false;
    if (!row.ok) return false;
    if (row.backend_pid !== this.#backendPid) {
      this.close();
      throw this.#pooled();
    }
    this.#mode = mode;
    this.#fence = row.fence === null ? undefined : BigInt(row.fence);
    this.#watch = new LeaseWatch(this.#client, this.#leaseMs, sentAt, (reason, cause) => this.#lost(reason, cause));
    // A held lock must not keep the process alive, as with flock; the heartbeat still runs while it lives.
    this.#idle();
    return true;
  }

  #pooled(): DblockError {
    return new DblockError(
      'EBACKENDPOOLED',
      `postgres: the session for lock "${this.name}" changed under us (a transaction-pooling proxy such as PgBouncer?); connect directly or through a session pool`,
    );
  }

  /** The fencing token of the current exclusive hold. */
  get fence(): bigint | undefined {
    return this.#fence;
  }

  /**
   * Wait in the server until the lock is free, without keeping or recording it (the wait takes it
   * shared or exclusive for an instant, then lets go). False = not free by the deadline, or aborted.
   */
  async waitFree(mode: LockMode, wait: WaitControl): Promise<boolean> {
    const remaining = wait.deadline - performance.now();
    if (remaining <= 0 || wait.signal?.aborted) return false;
    this.#busy();
    const lockTimeout = Number.isFinite(remaining) ? Math.max(1, Math.ceil(remaining)) : 0;
    try {
      await withinWait(this.#client.query(`SET lock_timeout = ${lockTimeout}`), wait, remaining, this.#cut);
      const got = await withinWait(this.#client.query(LOCK_SQL.wait[mode], [this.#key.key]), wait, remaining, this.#cut);
      if (got === undefined || this.#closed) return false;
      await this.#client.query({ ...UNLOCK[mode], values: [this.#key.key] });
      return true;
    } catch (err) {
      if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE || this.#closed) return false;
      throw connectError(err, undefined);
    }
  }

  /** Abandon a wait: close the session, so the server drops anything it was about to grant. */
  readonly #cut = (): void => {
    this.#closedByCut = true;
    this.close();
  };

  /** Called once if the held lock is lost. */
  set onLost(listener: ((error: DblockError) => void) | undefined) {
    this.#onLost = listener;
  }

  /** The monotonic instant until which the lock is known held (undefined when not held). */
  get validUntil(): number | undefined {
    return this.#watch?.validUntil;
  }

  /**
   * Unlock, keeping the session for this lock's next acquisition (queries on one session run in order,
   * so the unlock precedes any later try). An idle session never keeps the process alive.
   */
  unlock(): void {
    this.#watch?.stop();
    this.#watch = undefined;
    const mode = this.#mode;
    this.#mode = undefined;
    if (this.#closed || mode === undefined) return;
    this.#client.query({ ...UNLOCK[mode], values: [this.#key.key] }).catch(() => this.close());
    this.#idle();
  }

  /** End the session politely (the server frees anything it still holds). */
  end(): void {
    this.#watch?.stop();
    this.#watch = undefined;
    this.#mode = undefined;
    if (this.#closed) return;
    this.#closed = true;
    this.#client.end().catch(() => {});
  }

  /** While an acquisition waits for the server, the process must stay alive for the answer. */
  #busy(): void {
    this.#client.connection.stream.ref();
  }

  #idle(): void {
    this.#client.connection.stream.unref();
  }

  /** Drop the session at once: the server frees whatever it held or was granted. */
  close(): void {
    this.#watch?.stop();
    this.#watch = undefined;
    this.#mode = undefined;
    if (this.#closed) return;
    this.#closed = true;
    this.#client.connection.stream.destroy();
  }

  async #run<R>(text: string, values?: unknown[]): Promise<{ rows: R[] }> {
    try {
      return await this.#client.query<R>(text, values);
    } catch (err) {
      if (typeof (err as { code?: unknown }).code === 'string' && /^[0-9A-Z]{5}$/.test((err as { code: string }).code)) throw err;
      this.close();
      throw connectError(err, undefined);
    }
  }

  #dropped(cause?: unknown): void {
    if (this.#watch !== undefined) this.#watch.connectionDropped(cause);
    this.#closed = true;
  }

  #lost(reason: LossReason, cause: unknown): void {
    this.close();
    const error = new DblockError('ELOCKLOST', `postgres lock "${this.name}" lost: ${reason}`, { cause });
    this.#onLost?.(error);
  }
}
