import type { PgClient } from './connect.js';

/** What ends a held session lock, in words for the one-line message. */
export type LossReason = 'connection dropped' | 'heartbeat failed' | 'no heartbeat answer within the lease';

/**
 * Watches a held session: a heartbeat every lease/3, and a deadline on the monotonic clock at the
 * send time of the last answered heartbeat plus the lease (the server saw that heartbeat after we sent
 * it, so it cannot have let the session go before then). Calls `onLost` once.
 */
export class LeaseWatch {
  readonly #client: PgClient;
  readonly #leaseMs: number;
  readonly #onLost: (reason: LossReason, cause?: unknown) => void;
  #validUntil: number;
  #beat: NodeJS.Timeout | undefined;
  #deadline: NodeJS.Timeout | undefined;
  #inFlight = false;
  #stopped = false;

  constructor(client: PgClient, leaseMs: number, grantedSentAt: number, onLost: (reason: LossReason, cause?: unknown) => void) {
    this.#client = client;
    this.#leaseMs = leaseMs;
    this.#onLost = onLost;
    this.#validUntil = grantedSentAt + leaseMs;
    this.#beat = setInterval(() => this.#heartbeat(), Math.max(10, Math.floor(leaseMs / 3)));
    this.#beat.unref();
    this.#armDeadline();
  }

  /** The monotonic instant (`performance.now()`) until which the lock is known to be held. */
  get validUntil(): number {
    return this.#validUntil;
  }

  /** The connection ended or failed: the server frees a session's locks when it ends. */
  connectionDropped(cause?: unknown): void {
    this.#lose('connection dropped', cause);
  }

  stop(): void {
    this.#stopped = true;
    clearInterval(this.#beat);
    clearTimeout(this.#deadline);
  }

  #heartbeat(): void {
    if (this.#inFlight || this.#stopped) return;
    this.#inFlight = true;
    const sentAt = performance.now();
    this.#client.query('SELECT 1').then(
      () => {
        this.#inFlight = false;
        if (this.#stopped) return;
        this.#validUntil = sentAt + this.#leaseMs;
        this.#armDeadline();
      },
      (err: unknown) => {
        this.#inFlight = false;
        this.#lose('heartbeat failed', err);
      },
    );
  }

  #armDeadline(): void {
    clearTimeout(this.#deadline);
    this.#deadline = setTimeout(
      () => this.#lose('no heartbeat answer within the lease'),
      Math.max(0, this.#validUntil - performance.now()),
    );
    this.#deadline.unref();
  }

  #lose(reason: LossReason, cause?: unknown): void {
    if (this.#stopped) return;
    this.stop();
    this.#onLost(reason, cause);
  }
}
