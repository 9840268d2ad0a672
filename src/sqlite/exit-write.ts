import type { LockResource } from '../backend/types.js';
import { selectBackend } from '../lock/backends.js';
import { inheritedLocks } from '../lock/held-locks.js';
import { existingState } from '../lock/path-state.js';
import { resolveLockTarget } from '../path/sidecar-path.js';
import type { SqliteConnection } from './connection.js';
import type { ResolvedOptions } from './options.js';

/**
 * The longest a write at exit may block: the event loop is gone (an `exit` listener cannot await),
 * so the lock is tried in a synchronous loop and SQLite's own busy handler waits, both on the main
 * thread. Short, so that a held lock delays the process's end by at most this much.
 */
export const EXIT_WAIT_MS = 1000;

const sleeper = new Int32Array(new SharedArrayBuffer(4));

/**
 * One write transaction run synchronously while the process ends (`process.exit()`, an uncaught
 * exception): the sidecar `.lock` in serialized mode (tried for up to EXIT_WAIT_MS, never past the
 * handle's timeout), then `BEGIN IMMEDIATE`, `fn`, `COMMIT`. Returns undefined when committed, else
 * why not (the caller reports it: nothing is lost silently).
 */
export function writeAtExit(
  sqlite: SqliteConnection,
  path: string,
  opts: ResolvedOptions,
  fn: (sqlite: SqliteConnection) => void,
): string | undefined {
  if (!sqlite.open) return 'the database was already closed';
  // A write of this handle was waiting for its COMMIT: its transaction cannot be shared or finished here.
  if (sqlite.inTransaction) return 'another write transaction on this connection was still open';
  const budget = Math.min(EXIT_WAIT_MS, opts.timeoutMs);
  let release: (() => void) | undefined;
  if (opts.concurrency === 'serialized') {
    const taken = takeLockSync(path, opts, budget);
    if (typeof taken === 'string') return taken;
    release = taken;
  }
  try {
    sqlite.pragma(`busy_timeout = ${budget}`);
    sqlite.exec('BEGIN IMMEDIATE');
    fn(sqlite);
    sqlite.exec('COMMIT');
    return undefined;
  } catch (err) {
    if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
    return (err as Error).message;
  } finally {
    release?.();
  }
}

/** Hold `.lock` now, synchronously: returns how to let go, or why it cannot be had. */
function takeLockSync(path: string, opts: ResolvedOptions, budget: number): (() => void) | string {
  const backend = selectBackend(opts.backend);
  let lockPath: string;
  try {
    ({ lockPath } = resolveLockTarget(path, { lockDir: opts.lockDir }));
  } catch (err) {
    return (err as Error).message;
  }
  // Held by this process (a write waiting at BEGIN, the caller's own withLock) or passed down by `dblock exec`:
  // nothing else of this process will run again, so the write is covered by that hold.
  if ((existingState(backend, lockPath)?.osHolders ?? 0) > 0) return () => {};
  const inherited = inheritedLocks().get(lockPath);
  if (inherited !== undefined && backend.inheritedMode(inherited.fd, lockPath) === 'exclusive') return () => {};
  let resource: LockResource;
  try {
    resource = backend.open(lockPath);
  } catch (err) {
    return (err as Error).message;
  }
  const until = performance.now() + budget;
  for (let attempt = 0; ; attempt += 1) {
    const got = resource.tryAcquire('exclusive');
    if (got === true) {
      return () => {
        resource.release();
        resource.close();
      };
    }
    if (got !== false) {
      // The mkdir backend answers with a promise, which nothing will ever settle now.
      got.catch(() => {});
      resource.close();
      return `the ${backend.name} backend cannot take ${lockPath} synchronously`;
    }
    const remaining = until - performance.now();
    if (remaining <= 0) {
      resource.close();
      return `${lockPath} stayed held by another process for ${budget} ms`;
    }
    Atomics.wait(sleeper, 0, 0, Math.min(remaining, 1 + attempt));
  }
}
