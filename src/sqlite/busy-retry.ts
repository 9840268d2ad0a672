import { setTimeout as sleep } from 'node:timers/promises';
import { DblockError } from '../errors.js';
import { isBusy } from './connection.js';

/** Where in a transaction a SQLITE_BUSY was met: the only two places dblock retries. */
export type BusyPhase = 'begin' | 'commit';

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
  readonly onBusy: (phase: BusyPhase, attempt: number) => void;
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
    return retryLoop(step, control, err);
  }
}

async function retryLoop(step: () => void, control: RetryControl, first: unknown): Promise<void> {
  let last = first;
  for (let attempt = 0; ; attempt += 1) {
    const remaining = control.deadline - performance.now();
    if (remaining <= 0) throw busyTimeout(control, last);
    control.onBusy(control.phase, attempt);
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

function busyTimeout(control: RetryControl, cause: unknown): DblockError {
  const waited = ((performance.now() - control.started) / 1000).toFixed(1);
  const code = (cause as { code?: string }).code ?? 'SQLITE_BUSY';
  const at = control.phase === 'begin' ? 'BEGIN IMMEDIATE' : 'COMMIT';
  return new DblockError('ELOCKTIMEOUT', `timed out after ${waited}s: ${control.path} stayed busy (${code}) at ${at}`, { cause });
}
