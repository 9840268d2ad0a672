import { setTimeout as sleep } from 'node:timers/promises';
import { DblockError } from '../errors.js';
import { isBusy } from './connection.js';

/**
 * Where a SQLITE_BUSY was met. A write retries only at BEGIN and COMMIT (never its body); `open`
 * covers the reads and PRAGMAs of initialisation, `check` and `checkpoint`; `read` a `db.read()`
 * taking its snapshot (before its callback runs).
 */
export type BusyPhase = 'begin' | 'commit' | 'open' | 'read';

/** Backoff floor and cap, in milliseconds. */
const BASE_MS = 0.5;
const CAP_MS = 20;

/**
 * The wait before retry number `attempt` (0-based): exponential, capped, with half of it random
 * ("equal jitter"), so writers that met the same holder do not all wake in lockstep again.
 */
export function backoffMs(attempt: number): number {
  const ceiling = Math.min(CAP_MS, BASE_MS * 2 ** attempt);
  return ceiling / 2 + Math.random() * (ceiling / 2);
}

/** What a retried step needs to know. */
export interface RetryControl {
  readonly phase: BusyPhase;
  readonly path: string;
  /** Absolute deadline on the `performance.now()` clock. */
  readonly deadline: number;
  readonly started: number;
  /** Called before each wait (counts retries, lets tests observe them). */
  readonly onBusy?: ((phase: BusyPhase, attempt: number) => void) | undefined;
  /** What the step does, for the timeout message. @default 'BEGIN IMMEDIATE' or 'COMMIT' by phase */
  readonly what?: string | undefined;
  /** The caller holds dblock's lock, so whoever holds SQLite's lock bypasses dblock. */
  readonly holdsLock?: boolean | undefined;
}

/**
 * Run `step` (a synchronous BEGIN or COMMIT); while it fails with SQLITE_BUSY, wait a jittered
 * backoff without blocking the event loop and try again, until the deadline. Returns undefined when
 * the first try succeeds, so the common path costs no promise.
 * @throws DblockError ELOCKTIMEOUT (cause: the last SqliteError) when the deadline passes; any other error as is
 */
export function runRetryingBusy(step: () => void, control: RetryControl): Promise<void> | undefined {
  try {
    step();
    return undefined;
  } catch (err) {
    if (!isBusy(err)) throw err;
    return retryAfterBusy(step, control, err);
  }
}

/**
 * Like runRetryingBusy for any synchronous step that returns a value (reads and PRAGMAs of
 * initialisation, `check`, `checkpoint`): the connection must have SQLite's busy timeout at 0, so a
 * held lock answers at once and the wait happens here, off the event loop and within the deadline.
 * @throws DblockError ELOCKTIMEOUT naming the database and the step; any other error as is
 */
export async function retryBusy<T>(step: () => T, control: RetryControl): Promise<T> {
  let result: T | undefined;
  const run = (): void => {
    result = step();
  };
  const retried = runRetryingBusy(run, control);
  if (retried !== undefined) await retried;
  return result as T;
}

/**
 * After `step` failed with SQLITE_BUSY (`first`): wait a jittered backoff and try again, until it
 * succeeds or the deadline passes.
 * @throws DblockError ELOCKTIMEOUT (cause: the last SqliteError); any other error of `step` as is
 */
export async function retryAfterBusy(step: () => void, control: RetryControl, first: unknown): Promise<void> {
  let last = first;
  for (let attempt = 0; ; attempt += 1) {
    const remaining = control.deadline - performance.now();
    if (remaining <= 0) throw busyTimeout(control, last);
    control.onBusy?.(control.phase, attempt);
    await sleep(Math.min(backoffMs(attempt), remaining));
    try {
      step();
      return;
    } catch (err) {
      if (!isBusy(err)) throw err;
      last = err;
    }
  }
}

const AT: Record<BusyPhase, string> = {
  begin: 'BEGIN IMMEDIATE',
  commit: 'COMMIT',
  open: 'opening',
  read: 'the start of a read',
};

/** The timeout names the database, who holds it (SQLite's own lock, not dblock's) and where we met it. */
export function busyTimeout(control: Omit<RetryControl, 'onBusy'>, cause: unknown): DblockError {
  const waitedMs = performance.now() - control.started;
  const code = (cause as { code?: string } | undefined)?.code ?? 'SQLITE_BUSY';
  const at = control.what ?? AT[control.phase];
  // A try-once (timeout 0) reaches the deadline before its first wait.
  const head =
    control.deadline - control.started <= 0
      ? 'database is busy (try-once):'
      : `timed out after ${(waitedMs / 1000).toFixed(1)}s waiting for`;
  // Holding dblock's lock ourselves, whoever holds SQLite's lock cannot be a dblock writer in serialized mode.
  const who = control.holdsLock ? 'another SQLite connection that does not go through dblock' : 'another SQLite connection';
  return new DblockError('ELOCKTIMEOUT', `${head} ${control.path}: the database is locked by ${who} (${code} at ${at})`, {
    cause,
  });
}
