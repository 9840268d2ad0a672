import { boundedWait } from '../util/bounded-wait.js';

/** First poll delay: a lock held for a single short transaction is often free again within a millisecond. */
export const POLL_START_MS = 1;
/** Base delay stops doubling here; with jitter a poll is never more than 50 ms away. */
export const POLL_CAP_MS = 40;

/**
 * Delays between polls of a lock that cannot wake its waiters (the mkdir backend): doubling from
 * 1 ms to a cap, each jittered by ±25% so that waiters that failed together do not retry in lockstep.
 * (proper-lockfile's own retries start at 1 s, the most common complaint of its users.)
 */
export class PollSchedule {
  readonly #cap: number;
  #base = POLL_START_MS;

  /** @param capMs where the base delay stops doubling. @default POLL_CAP_MS */
  constructor(capMs = POLL_CAP_MS) {
    this.#cap = capMs;
  }

  /** The next delay in milliseconds. */
  next(): number {
    const base = this.#base;
    this.#base = Math.min(this.#cap, base * 2);
    return base * (0.75 + Math.random() / 2);
  }
}

/** Sleep `ms` without blocking the event loop. Resolves false (at once) when `signal` aborts. */
export async function sleep(ms: number, signal?: AbortSignal): Promise<boolean> {
  return (await boundedWait(ms, signal)) === 'timeout';
}
