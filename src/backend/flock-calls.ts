import fsExt from 'fs-ext';
import { fromSystemError } from '../errors.js';

// Numbers, not fs-ext's flag strings: its string switch runs on every call of the hot path.
const { LOCK_SH, LOCK_EX, LOCK_NB, LOCK_UN } = fsExt.constants as Record<'LOCK_SH' | 'LOCK_EX' | 'LOCK_NB' | 'LOCK_UN', number>;
const OPS = { shnb: LOCK_SH | LOCK_NB, exnb: LOCK_EX | LOCK_NB } as const;

/** A non-blocking flock: true when taken, false when someone else holds it; other errors throw. */
export function tryFlock(fd: number, op: 'shnb' | 'exnb'): boolean {
  // fs-ext reports a busy lock by throwing: without a stack trace the throw costs a third less, and
  // waiters woken by a release fail this try many times per hand-off.
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  let failure: unknown;
  try {
    fsExt.flockSync(fd, OPS[op]);
    return true;
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'EAGAIN' || code === 'EWOULDBLOCK') return false;
    failure = err;
  } finally {
    Error.stackTraceLimit = limit;
  }
  throw fromSystemError(failure, 'flock'); // built after the limit is back: a real failure keeps its stack for --debug
}

/** Release a flock held through `fd`. */
export function unlock(fd: number): void {
  fsExt.flockSync(fd, LOCK_UN);
}
