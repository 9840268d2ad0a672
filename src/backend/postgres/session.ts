import { DblockError } from '../../errors.js';
import { hostName } from '../../util/host-name.js';
import type { LockMode, WaitControl } from '../types.js';
import { connectError, openSession, type PgClient, type SessionOptions } from './connect.js';
import { LeaseWatch, type LossReason } from './lease-watch.js';
import { type LockKey, lockKeyOf } from './lock-key.js';
import { GRANTED_SQL, LOCK_SQL } from './lock-sql.js';
import { withSchema } from './schema.js';

/** SQLSTATE lock_not_available: `lock_timeout` ran out while waiting in the server. */
const LOCK_NOT_AVAILABLE = '55P03';
/** How long past the wait's deadline the server may take to answer before we give the session up. */
const SERVER_SLACK_MS = 2000;

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
  /** The session's `lock_timeout` as last set by us (ms; 0 = none); -1 until then (the server's may differ). */
  #lockTimeout = -1;
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

  /** Try once, without waiting. */
  async tryLock(mode: LockMode): Promise<boolean> {
    this.#busy();
    const { rows } = await this.#run<{ ok: boolean; backend_pid: number }>(LOCK_SQL.try[mode], [this.#key.key]);
    this.#backendPid ??= rows[0]?.backend_pid;
    return rows[0]?.ok === true;
  }

  /**
   * Wait in the server (its queue is FIFO), bounded by `lock_timeout`; an abort or a server silent past
   * the deadline closes the session instead. False = not held, now or later.
   */
  async waitLock(mode: LockMode, wait: WaitControl): Promise<boolean> {
    const remaining = wait.deadline - performance.now();
    if (remaining <= 0 || wait.signal?.aborted) return false;
    this.#busy();
    const finite = Number.isFinite(remaining);
    const lockTimeout = finite ? Math.max(1, Math.ceil(remaining)) : 0;
    // A round trip saved on every unbounded wait: the setting stays until changed.
    if (lockTimeout !== this.#lockTimeout) await this.#run(`SET lock_timeout = ${lockTimeout}`);
    this.#lockTimeout = lockTimeout;
    let settle: (held: boolean) => void = () => {};
    const cut = new Promise<boolean>((resolve) => {
      settle = resolve;
    });
    const giveUp = (): void => {
      this.close();
      settle(false);
    };
    const guard = finite ? setTimeout(giveUp, remaining + SERVER_SLACK_MS) : undefined;
    wait.signal?.addEventListener('abort', giveUp, { once: true });
    const attempt = this.#client.query<{ backend_pid: number }>(LOCK_SQL.wait[mode], [this.#key.key]).then(
      ({ rows }) => {
        this.#backendPid ??= rows[0]?.backend_pid;
        return !this.#closed;
      },
      (err: unknown) => {
        if ((err as { code?: string }).code === LOCK_NOT_AVAILABLE || this.#closed) return false;
        throw connectError(err, undefined);
      },
    );
    try {
      return await Promise.race([attempt, cut]);
    } finally {
      clearTimeout(guard);
      wait.signal?.removeEventListener('abort', giveUp);
    }
  }

  /**
   * Right after a grant, in this session: bump the fence (exclusive), record the holder, and refuse a
   * pooled session (our `pg_locks` row missing, or another backend answering). Returns the fence.
   */
  async granted(mode: LockMode, holder: HolderFields): Promise<bigint | undefined> {
    const sentAt = performance.now();
    const params = [this.name, this.#key.key, mode, holder.pid, hostName(), holder.command, this.#key.classid, this.#key.objid];
    const { rows } = await withSchema(this.#client, () =>
      this.#run<{ fence: string | null; backend_pid: number; ours: boolean }>(GRANTED_SQL[mode], params),
    );
    const row = rows[0];
    if (row === undefined || !row.ours || row.backend_pid !== this.#backendPid) {
      this.close();
      throw new DblockError(
        'EBACKENDPOOLED',
        `postgres: the session for lock "${this.name}" changed under us (a transaction-pooling proxy such as PgBouncer?); connect directly or through a session pool`,
      );
    }
    this.#mode = mode;
    this.#watch = new LeaseWatch(this.#client, this.#leaseMs, sentAt, (reason, cause) => this.#lost(reason, cause));
    // A held lock must not keep the process alive, as with flock; the heartbeat still runs while it lives.
    this.#idle();
    return row.fence === null ? undefined : BigInt(row.fence);
  }

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
    this.#client.query(LOCK_SQL.unlock[mode], [this.#key.key]).catch(() => this.close());
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
