import type { LockMode, LockResource, WaitControl } from '../backend/types.js';
import { boundedWait } from '../util/bounded-wait.js';
import { type HolderRecord, HolderRecordWriter, readHolderThrough } from './holder-record.js';
import type { PathState } from './path-state.js';

/** The OS-level result: held or not, and the holder record seen if we had to wait. */
export interface OsOutcome {
  held: boolean;
  waitedFor?: HolderRecord | undefined;
}

const HELD: OsOutcome = { held: true };

let recordWriter: HolderRecordWriter | undefined;

/**
 * Take the OS lock (unless in-process shared holders already have it). Returns the holder seen while
 * waiting. An uncontended exclusive flock answers synchronously, without a promise.
 */
export function acquireOs(
  state: PathState,
  mode: LockMode,
  wait: WaitControl,
  command: string | undefined,
  beforeWait?: (() => void) | undefined,
): OsOutcome | Promise<OsOutcome> {
  if (mode === 'shared') return acquireShared(state, wait, command, beforeWait);
  const resource = resourceOf(state);
  const got = firstTry(resource, mode, wait);
  if (got === true) return held(state, mode, command, undefined);
  return waitForOsLock(state, resource, mode, wait, command, got, beforeWait);
}

/** The first try, skipped (false) where the backend waits in its server and there is time to wait. */
function firstTry(resource: LockResource, mode: LockMode, wait: WaitControl): boolean | Promise<boolean> {
  if (resource.waitsInServer === true && wait.deadline > performance.now() && wait.signal?.aborted !== true) return false;
  return resource.tryAcquire(mode);
}

/** The path's lock resource, opened on first use. */
function resourceOf(state: PathState): LockResource {
  state.resource ??= state.backend.open(state.lockPath, {
    staleMs: state.staleMs,
    userFile: state.userFile,
    ...state.connection,
  });
  return state.resource;
}

async function acquireShared(
  state: PathState,
  wait: WaitControl,
  command: string | undefined,
  beforeWait: (() => void) | undefined,
): Promise<OsOutcome> {
  while (state.osHolders === 0 && state.sharedPending !== undefined) {
    // Another in-process shared caller is taking the OS lock: join it, within our own deadline.
    if (!(await settledWithin(state.sharedPending, wait))) return { held: false };
  }
  if (state.osHolders > 0) {
    state.osHolders += 1;
    return HELD;
  }
  const resource = resourceOf(state);
  const attempt = waitForOsLock(state, resource, 'shared', wait, command, firstTry(resource, 'shared', wait), beforeWait);
  // Handled here so a failed attempt nobody joined is not an unhandled rejection.
  state.sharedPending = attempt.then(
    () => {},
    () => {},
  );
  try {
    return await attempt;
  } finally {
    state.sharedPending = undefined;
  }
}

/** After a first try (mkdir's is a promise): wait if it failed, then mark the lock held. */
async function waitForOsLock(
  state: PathState,
  resource: LockResource,
  mode: LockMode,
  wait: WaitControl,
  command: string | undefined,
  first: boolean | Promise<boolean>,
  beforeWait?: (() => void) | undefined,
): Promise<OsOutcome> {
  let waitedFor: HolderRecord | undefined;
  if (!(await first)) {
    beforeWait?.();
    waitedFor = currentHolder(state);
    if (!(await resource.acquire(mode, wait))) return { held: false };
  }
  return held(state, mode, command, waitedFor);
}

function held(state: PathState, mode: LockMode, command: string | undefined, waitedFor: HolderRecord | undefined): OsOutcome {
  state.osHolders = 1;
  if (mode === 'exclusive') writeRecordQuietly(state, () => recordWriterFor(command).encode());
  return waitedFor === undefined ? HELD : { held: true, waitedFor };
}

/** The record is advisory: failing to build or write it must neither fail nor leak the lock. */
export function writeRecordQuietly(state: PathState, record: () => Buffer): void {
  try {
    state.resource?.writeRecord(record());
  } catch {
    // advisory only
  }
}

/** Whether `promise` settles before the wait's deadline or abort. */
async function settledWithin(promise: Promise<void>, wait: WaitControl): Promise<boolean> {
  const remaining = wait.deadline - performance.now();
  if (remaining <= 0) return false;
  const outcome = await boundedWait(remaining, wait.signal, (wake) => {
    promise.then(wake, wake);
  });
  return outcome === 'woken';
}

function recordWriterFor(command: string | undefined): HolderRecordWriter {
  if (command !== undefined) return new HolderRecordWriter({ command });
  recordWriter ??= new HolderRecordWriter();
  return recordWriter;
}

export function releaseOs(state: PathState): void {
  state.osHolders -= 1;
  try {
    if (state.osHolders === 0) {
      state.compromise = undefined;
      state.resource?.release();
    }
  } finally {
    state.mutex.release(); // whatever the OS said, this process's other callers must not wait forever
  }
}

export function currentHolder(state: PathState): HolderRecord | undefined {
  return readHolderThrough(state.resource, state.backend, state.lockPath);
}

/** A signal that aborts with ECOMPROMISED if this acquisition's lock is lost (backends that can lose one). */
export function watchCompromise(state: PathState): AbortSignal {
  const controller = new AbortController();
  state.compromise = controller;
  if (state.resource !== undefined) state.resource.onCompromised = (error) => controller.abort(error);
  return controller.signal;
}
