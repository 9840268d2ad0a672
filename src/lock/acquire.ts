import type { BackendName, LockBackend, LockMode, LockResource, WaitControl } from '../backend/types.js';
import { DblockError, LockTimeoutError } from '../errors.js';
import { FifoMutex } from '../mutex/fifo-mutex.js';
import { parseStale, resolveTimeoutMs } from '../options.js';
import { type LockTarget, resolveLockTarget, type SidecarKind } from '../path/sidecar-path.js';
import { selectBackend } from './backends.js';
import { heldInContext, inheritedLocks, runHolding } from './held-locks.js';
import { type HolderRecord, HolderRecordWriter, parseHolderRecord, unlessStale } from './holder-record.js';
import { LockHandle } from './lock-handle.js';
import { warnIfNetworkFs } from './network-warning.js';

/** Options of `lock()` and `withLock()`. */
export interface LockOptions {
  /** How long to wait: `5s`, `250ms`, a number of milliseconds, `0` = try once, `inf`. @default DBLOCK_TIMEOUT or 30s */
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
  /** Receives warnings (a flock lock on a network filesystem), once per process. @default process.emitWarning */
  onWarning?: ((message: string) => void) | undefined;
}

interface PathState {
  readonly backend: LockBackend;
  readonly lockPath: string;
  /** The stale period the resource is opened with (mkdir): the first acquisition's. */
  readonly staleMs: number | undefined;
  readonly mutex: FifoMutex;
  resource: LockResource | undefined;
  /** In-process holders sharing the one OS lock (several only in shared mode). */
  osHolders: number;
  /** A shared OS acquisition in progress, which other in-process shared callers join. */
  sharedPending: Promise<void> | undefined;
  /** Aborted when the current acquisition's lock is lost (only on backends that can lose one). */
  compromise?: AbortController | undefined;
}

const states = new Map<string, PathState>();
const targets = new Map<string, LockTarget>();
const TARGET_CACHE_MAX = 1024;
let recordWriter: HolderRecordWriter | undefined;

/**
 * Take a lock on `target` across threads of control and processes: the in-process FIFO mutex
 * first, then the OS lock. Waiting never blocks the event loop; a timed-out waiter never holds it.
 * @throws DblockError `ELOCKTIMEOUT` (names the holder), `EUPGRADE`, `EBADTARGET`, `ESIDECAR`, `EABORTED`
 * @example
 * const held = await lock('app.db', { timeout: '5s' });
 * try { … } finally { held.release(); }
 */
export async function lock(target: string, options: LockOptions = {}): Promise<LockHandle> {
  const started = performance.now();
  const mode: LockMode = options.shared ? 'shared' : 'exclusive';
  const backend = selectBackend(options.backend);
  if (mode === 'shared' && !backend.supportsShared) {
    throw new DblockError('EUSAGE', `the ${backend.name} backend has no shared mode; drop --shared or use --backend flock`);
  }
  const timeoutMs = resolveTimeoutMs(options.timeout);
  const staleMs = options.stale === undefined ? undefined : parseStale(options.stale);
  const resolved = resolveCached(target, options);
  const passThrough = reentrantHandle(resolved, mode, backend);
  if (passThrough !== undefined) return passThrough;

  const state = stateFor(backend, resolved.lockPath, options.onWarning, staleMs);
  const wait: WaitControl = { deadline: started + timeoutMs, signal: options.signal };
  if (!state.mutex.tryAcquire(mode) && !(await waitForMutex(state.mutex, mode, wait))) {
    throw waitFailed(state, started, timeoutMs, options.signal);
  }
  let outcome: OsOutcome;
  try {
    outcome = await acquireOs(state, mode, wait, options.command);
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
    reentrant: false,
    waitedMs: performance.now() - started,
    waitedFor: outcome.waitedFor,
    signal: backend.canBeCompromised ? watchCompromise(state) : undefined,
    release: () => releaseOs(state),
    annotate: (fields) => state.resource?.writeRecord(new HolderRecordWriter({ ...fields, mode }).encode()),
  });
}

/**
 * Run `fn` while holding the lock; nested `lock`/`withLock` calls on the same target inside `fn`
 * pass through instead of deadlocking. The lock is released however `fn` ends.
 * @throws DblockError `ECOMPROMISED` after `fn` when the lock was lost while it ran (mkdir backend);
 * long work should watch `held.signal` instead of finishing unprotected.
 * @example await withLock('app.db', async (held) => { … }, { timeout: '10s' });
 */
export async function withLock<T>(
  target: string,
  fn: (held: LockHandle) => T | Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const held = await lock(target, options);
  try {
    const result = await runHolding(held.lockPath, held.mode, () => fn(held));
    held.signal.throwIfAborted();
    return result;
  } finally {
    held.release();
  }
}

/** The OS-level result: held or not, and the holder record seen if we had to wait. */
interface OsOutcome {
  held: boolean;
  waitedFor?: HolderRecord | undefined;
}

const HELD: OsOutcome = { held: true };

function resolveCached(target: string, options: LockOptions): LockTarget {
  // realpath costs more than the whole uncontended acquire: resolve each spelling once per process.
  const key = `${options.exact ? 'x' : 'd'}|${options.sidecar ?? 'lock'}|${options.lockDir ?? ''}|${target.startsWith('/') ? '' : process.cwd()}|${target}`;
  let resolved = targets.get(key);
  if (resolved === undefined) {
    resolved = resolveLockTarget(target, {
      kind: options.exact ? 'lock' : 'db',
      sidecar: options.sidecar ?? 'lock',
      lockDir: options.lockDir,
    });
    if (targets.size >= TARGET_CACHE_MAX) targets.clear();
    targets.set(key, resolved);
  }
  return resolved;
}

function reentrantHandle(resolved: LockTarget, mode: LockMode, backend: LockBackend): LockHandle | undefined {
  const inContext = heldInContext(resolved.lockPath);
  const inherited = inContext === undefined ? inheritedLocks().get(resolved.lockPath) : undefined;
  const heldMode = inContext ?? inherited?.mode;
  if (heldMode === undefined) return undefined;
  if (heldMode === 'shared' && mode === 'exclusive') {
    throw new DblockError(
      'EUPGRADE',
      `cannot upgrade a shared lock to exclusive on ${resolved.lockPath}: release it and acquire exclusive (flock upgrades are not atomic)`,
    );
  }
  // An inherited descriptor is trusted only if it is open, is this sidecar, and holds the lock.
  if (inherited !== undefined && !backend.verifyInherited(inherited.fd, resolved.lockPath, inherited.mode)) return undefined;
  return new LockHandle({
    target: resolved.canonical,
    lockPath: resolved.lockPath,
    mode: heldMode,
    fd: inherited?.fd ?? states.get(stateKey(backend, resolved.lockPath))?.resource?.fd,
    reentrant: true,
    waitedMs: 0,
    waitedFor: undefined,
    signal: states.get(stateKey(backend, resolved.lockPath))?.compromise?.signal,
    release: () => {},
  });
}

function stateKey(backend: LockBackend, lockPath: string): string {
  return `${backend.name}:${lockPath}`;
}

function stateFor(backend: LockBackend, lockPath: string, onWarning: LockOptions['onWarning'], staleMs?: number): PathState {
  const key = stateKey(backend, lockPath);
  let state = states.get(key);
  if (state === undefined) {
    if (backend.name === 'flock') warnIfNetworkFs(lockPath, onWarning);
    state = { backend, lockPath, staleMs, mutex: new FifoMutex(), resource: undefined, osHolders: 0, sharedPending: undefined };
    states.set(key, state);
  }
  return state;
}

/** A signal that aborts with ECOMPROMISED if this acquisition's lock is lost (backends that can lose one). */
function watchCompromise(state: PathState): AbortSignal {
  const controller = new AbortController();
  state.compromise = controller;
  if (state.resource !== undefined) state.resource.onCompromised = (error) => controller.abort(error);
  return controller.signal;
}

async function waitForMutex(mutex: FifoMutex, mode: LockMode, wait: WaitControl): Promise<boolean> {
  const remaining = wait.deadline - performance.now();
  if (remaining <= 0 || wait.signal?.aborted) return false;
  const controller = new AbortController();
  const timer = Number.isFinite(remaining) ? setTimeout(() => controller.abort(), remaining) : undefined;
  const onAbort = (): void => controller.abort();
  wait.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    return await mutex.acquire(mode, controller.signal);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    wait.signal?.removeEventListener('abort', onAbort);
  }
}

/** Take the OS lock (unless in-process shared holders already have it). Returns the holder seen while waiting. */
async function acquireOs(state: PathState, mode: LockMode, wait: WaitControl, command: string | undefined): Promise<OsOutcome> {
  if (mode === 'shared') {
    while (state.osHolders === 0 && state.sharedPending !== undefined) {
      await state.sharedPending.catch(() => {});
    }
    if (state.osHolders > 0) {
      state.osHolders += 1;
      return HELD;
    }
  }
  const attempt = takeOsLock(state, mode, wait, command);
  if (mode === 'shared') state.sharedPending = attempt.then(() => {});
  try {
    return await attempt;
  } finally {
    if (mode === 'shared') state.sharedPending = undefined;
  }
}

async function takeOsLock(state: PathState, mode: LockMode, wait: WaitControl, command: string | undefined): Promise<OsOutcome> {
  state.resource ??= state.backend.open(state.lockPath, { staleMs: state.staleMs });
  const resource = state.resource;
  let waitedFor: HolderRecord | undefined;
  let got = resource.tryAcquire(mode);
  // flock answers synchronously: no promise on its uncontended path.
  if (typeof got !== 'boolean') got = await got;
  if (!got) {
    waitedFor = currentHolder(state);
    if (!(await resource.acquire(mode, wait))) return { held: false };
  }
  state.osHolders = 1;
  if (mode === 'exclusive') {
    resource.writeRecord(recordWriterFor(command).encode());
  }
  return waitedFor === undefined ? HELD : { held: true, waitedFor };
}

function recordWriterFor(command: string | undefined): HolderRecordWriter {
  if (command !== undefined) return new HolderRecordWriter({ command });
  recordWriter ??= new HolderRecordWriter();
  return recordWriter;
}

function releaseOs(state: PathState): void {
  state.osHolders -= 1;
  if (state.osHolders === 0) {
    state.resource?.release();
    state.compromise = undefined;
  }
  state.mutex.release();
}

function currentHolder(state: PathState): HolderRecord | undefined {
  return unlessStale(parseHolderRecord(state.backend.readRecord(state.lockPath)));
}

function waitFailed(state: PathState, started: number, timeoutMs: number, signal: AbortSignal | undefined): DblockError {
  if (signal?.aborted) {
    return new DblockError('EABORTED', `gave up waiting for ${state.lockPath}: aborted`, { cause: signal.reason });
  }
  // waitedMs 0 marks a try-once in the message.
  const waited = timeoutMs === 0 ? 0 : performance.now() - started;
  return new LockTimeoutError(state.lockPath, waited, currentHolder(state));
}
