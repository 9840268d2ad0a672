import { accessSync, constants, lstatSync } from 'node:fs';
import { dirname } from 'node:path';
import type { BackendName, LockBackend, LockMode, WaitControl } from '../backend/types.js';
import { DblockError, LockTimeoutError } from '../errors.js';
import type { FifoMutex } from '../mutex/fifo-mutex.js';
import { parseDuration, parseStale, resolveTimeoutMs } from '../options.js';
import type { LockTarget, SidecarKind } from '../path/sidecar-path.js';
import { boundedWait } from '../util/bounded-wait.js';
import { selectBackend } from './backends.js';
import { type HeldToken, runHolding } from './held-locks.js';
import { HolderRecordWriter } from './holder-record.js';
import { LockHandle } from './lock-handle.js';
import { acquireOs, currentHolder, type OsOutcome, releaseOs, watchCompromise, writeRecordQuietly } from './os-lock.js';
import { type PathState, resolveCached, stateFor } from './path-state.js';
import { ancestorDeadlockCheck, reentrantHandle } from './reentrancy.js';
import { lockSlot, parseSlots } from './slots.js';

/** Options of `lock()` and `withLock()`. */
export interface LockOptions {
  /**
   * How long to wait: a number is milliseconds; a string needs a unit (`250ms`, `5s`, `2m`), or is `0`
   * (try once) or `inf`. A unitless string such as `'1'` is refused (EUSAGE): write `'1s'` or `1000`.
   * @default DBLOCK_TIMEOUT (where a bare number is seconds, as on the command line) or 30s
   */
  timeout?: string | number | undefined;
  /** Take a shared (read) lock instead of an exclusive one. @default false */
  shared?: boolean | undefined;
  /** The target is itself the lock file (like `flock FILE`), not a database with a `.lock` sidecar. @default false */
  exact?: boolean | undefined;
  /** Which sidecar of a database target. @default 'lock' */
  sidecar?: SidecarKind | undefined;
  /** Keep sidecars in this directory instead of beside the target. */
  lockDir?: string | undefined;
  /** Lock backend. @default 'flock' */
  backend?: BackendName | undefined;
  /** Give up waiting when this signal aborts (the lock is then not held). */
  signal?: AbortSignal | undefined;
  /** The command named in the holder record. @default this process's command line */
  command?: string | undefined;
  /**
   * mkdir backend: a lock whose heartbeat stopped this long ago is taken over (at least `2s`). Fixed by
   * the first acquisition of a path in this process. @default '10s'
   */
  stale?: string | number | undefined;
  /**
   * Admit up to this many holders at once ("two GPU jobs"): each holds the lock shared plus one of N
   * slot files exclusively; an exclusive holder still excludes them all. Every user of a target must
   * use the same N. flock backend only. @default 1 (an ordinary exclusive lock)
   */
  slots?: number | string | undefined;
  /**
   * Cap how long the lock may be held (`10m`, or milliseconds): after it, the handle's `signal` aborts
   * with an `EMAXHOLD` DblockError, and `withLock` throws it. Work must watch `held.signal` to stop; the
   * lock is released when the holder releases it (synchronous code cannot be interrupted). @default none
   */
  maxHold?: string | number | undefined;
  /** Receives warnings (a flock lock on a network filesystem), once per process. @default process.emitWarning */
  onWarning?: ((message: string) => void) | undefined;
  /** postgres backend: the server's URL. @default DBLOCK_POSTGRES_URL, else the PG* variables */
  url?: string | undefined;
  /**
   * postgres backend: the lock counts as lost (`held.lost` aborts with `ELOCKLOST`) this long after the
   * last answered heartbeat. @default '10s'
   */
  lease?: string | number | undefined;
}

/**
 * Take a lock on `target` across threads of control and processes: the in-process FIFO mutex
 * first, then the OS lock. Waiting never blocks the event loop; a timed-out waiter never holds it.
 * @throws DblockError `ELOCKTIMEOUT` (names the holder), `EUPGRADE`, `EBADTARGET`, `ESIDECAR`, `EABORTED`
 * @example
 * const held = await lock('app.db', { timeout: '5s' });
 * try { … } finally { held.release(); }
 */
export function lock(target: string, options: LockOptions = {}): Promise<LockHandle> {
  // No async wrapper on the common path: each layer of async function costs a promise hop per acquire.
  if (options.maxHold === undefined) return lockAny(target, options);
  return lockCapped(target, options, options.maxHold);
}

async function lockCapped(target: string, options: LockOptions, maxHold: string | number): Promise<LockHandle> {
  const maxHoldMs = parseDuration(maxHold, 'maxHold');
  if (maxHoldMs <= 0)
    throw new DblockError('EUSAGE', `Expected \`maxHold\` to be a positive duration such as 10m, got \`${maxHold}\``);
  const held = await lockAny(target, { ...options, maxHold: undefined });
  // inf: no cap, and no timer keeping the process alive.
  return Number.isFinite(maxHoldMs) ? held.withMaxHold(maxHoldMs, String(maxHold)) : held;
}

function lockAny(target: string, options: LockOptions): Promise<LockHandle> {
  let slots: number | undefined;
  try {
    slots = parseSlots(options.slots);
  } catch (err) {
    return Promise.reject(err);
  }
  if (slots !== undefined && slots > 1) return lockSlot(target, options, slots, lock);
  if (options.lockDir === undefined || options.exact || options.backend === 'postgres') return lockOne(target, options);
  return lockWithBeside(target, options);
}

async function lockWithBeside(target: string, options: LockOptions): Promise<LockHandle> {
  // A process without --lock-dir takes the sidecar beside the target, and cannot know where others keep
  // theirs: so a --lock-dir acquisition takes that one too (first, in one order everywhere), unless it
  // cannot exist — a read-only directory where it was never created, where nobody else can take it either.
  const started = performance.now();
  const besidePath = resolveCached(target, { sidecar: options.sidecar }).lockPath;
  if (!besideUsable(besidePath, selectBackend(options.backend))) return lockOne(target, options);
  const beside = await lockOne(target, { ...options, lockDir: undefined });
  try {
    const timeoutMs = resolveTimeoutMs(options.timeout);
    const left = Math.max(0, timeoutMs - (performance.now() - started));
    const main = await lockOne(target, { ...options, timeout: timeoutMs === 0 ? 0 : left });
    return main.withCompanion(beside);
  } catch (err) {
    beside.release();
    throw err;
  }
}

/** Whether the sidecar beside a target can be taken: it exists, or its directory lets us create it. */
function besideUsable(lockPath: string, backend: LockBackend): boolean {
  if (backend.name === 'flock' && existsLstat(lockPath)) return true;
  try {
    accessSync(dirname(lockPath), constants.W_OK);
    return true;
  } catch {
    return false;
  }
}

function existsLstat(path: string): boolean {
  try {
    lstatSync(path);
    return true;
  } catch {
    return false;
  }
}

async function lockOne(target: string, options: LockOptions): Promise<LockHandle> {
  const started = performance.now();
  const mode: LockMode = options.shared ? 'shared' : 'exclusive';
  const backend = selectBackend(options.backend);
  if (mode === 'shared' && !backend.supportsShared) {
    throw new DblockError('EUSAGE', `the ${backend.name} backend has no shared mode; drop --shared or use --backend flock`);
  }
  const timeoutMs = resolveTimeoutMs(options.timeout);
  const staleMs = options.stale === undefined ? undefined : parseStale(options.stale);
  const connection = backend.name === 'postgres' ? connectionOf(options) : undefined;
  const resolved = backend.name === 'postgres' ? resolveLockName(target, options) : resolveCached(target, options);
  const reentrant = reentrantHandle(resolved, mode, backend, connection);
  const passThrough = reentrant instanceof Promise ? await reentrant : reentrant;
  if (passThrough !== undefined) return passThrough;

  const state = stateFor(backend, resolved.lockPath, options.onWarning, staleMs, options.exact === true, connection);
  const wait: WaitControl = { deadline: started + timeoutMs, signal: options.signal };
  if (!state.mutex.tryAcquire(mode) && !(await waitForMutex(state.mutex, mode, wait))) {
    throw waitFailed(state, started, timeoutMs, options.signal);
  }
  let outcome: OsOutcome;
  try {
    const taken = acquireOs(state, mode, wait, options.command, ancestorDeadlockCheck(resolved, backend));
    outcome = taken instanceof Promise ? await taken : taken;
  } catch (err) {
    state.mutex.release();
    throw err;
  }
  if (!outcome.held) {
    state.mutex.release();
    throw waitFailed(state, started, timeoutMs, options.signal);
  }
  return new LockHandle({
    target: resolved.canonical,
    lockPath: resolved.lockPath,
    mode,
    fd: state.resource?.fd,
    fence: state.resource?.fence,
    reentrant: false,
    waitedMs: performance.now() - started,
    waitedFor: outcome.waitedFor,
    signal: backend.canBeCompromised ? watchCompromise(state) : undefined,
    release: () => releaseOs(state),
    annotate: (fields) => writeRecordQuietly(state, () => new HolderRecordWriter({ ...fields, mode }).encode()),
  });
}

/**
 * Run `fn` while holding the lock; nested `lock`/`withLock` calls on the same target inside `fn`
 * pass through instead of deadlocking. The lock is released however `fn` ends.
 * @throws DblockError `ECOMPROMISED` after `fn` when the lock was lost while it ran (mkdir backend),
 * `EMAXHOLD` when `fn` outlasted `maxHold`; long work should watch `held.signal` instead of
 * finishing unprotected or overtime.
 * @example await withLock('app.db', async (held) => { … }, { timeout: '10s' });
 */
export async function withLock<T>(
  target: string,
  fn: (held: LockHandle) => T | Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const held = await lock(target, options);
  const token: HeldToken = { mode: held.mode, released: false };
  try {
    // A pass-through keeps the outer acquisition's token: nested code is covered exactly as long as it is.
    const result = await (held.reentrant ? fn(held) : runHolding(held.lockPath, token, () => fn(held)));
    held.signal.throwIfAborted();
    return result;
  } finally {
    token.released = true;
    held.release();
  }
}

/** postgres: `--lock NAME` is any string, taken as is; `--db P` is named by P's canonical path. */
function resolveLockName(target: string, options: LockOptions): LockTarget {
  if (options.exact) {
    if (target === '') throw new DblockError('EUSAGE', 'Expected a lock name after --lock, got an empty string');
    return { given: target, canonical: target, lockPath: target };
  }
  const canonical = resolveCached(target, { sidecar: options.sidecar }).canonical;
  return { given: target, canonical, lockPath: options.sidecar === 'init' ? `${canonical}#init` : canonical };
}

function connectionOf(options: LockOptions): { url: string | undefined; leaseMs: number | undefined } {
  const leaseMs = options.lease === undefined ? undefined : parseDuration(options.lease, 'lease');
  if (leaseMs !== undefined && (leaseMs < 100 || !Number.isFinite(leaseMs))) {
    throw new DblockError(
      'EUSAGE',
      `Expected \`lease\` to be a duration of at least 100ms such as 10s, got \`${options.lease}\``,
    );
  }
  return { url: options.url, leaseMs };
}

async function waitForMutex(mutex: FifoMutex, mode: LockMode, wait: WaitControl): Promise<boolean> {
  const remaining = wait.deadline - performance.now();
  if (remaining <= 0 || wait.signal?.aborted) return false;
  const leave = new AbortController();
  const granted = mutex.acquire(mode, leave.signal);
  const outcome = await boundedWait(remaining, wait.signal, (wake) => {
    granted.then(wake);
  });
  // Out of time or aborted: leave the queue. A grant that came first stands (the mutex decides, once).
  if (outcome !== 'woken') leave.abort();
  return granted;
}

function waitFailed(state: PathState, started: number, timeoutMs: number, signal: AbortSignal | undefined): DblockError {
  if (signal?.aborted) {
    return new DblockError('EABORTED', `gave up waiting for ${state.lockPath}: aborted`, { cause: signal.reason });
  }
  // waitedMs 0 marks a try-once in the message.
  const waited = timeoutMs === 0 ? 0 : performance.now() - started;
  return new LockTimeoutError(state.lockPath, waited, currentHolder(state));
}
