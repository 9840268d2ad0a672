import type { LockBackend, LockResource } from '../backend/types.js';
import { FifoMutex } from '../mutex/fifo-mutex.js';
import { type LockTarget, refuseHardLinks, resolveLockTarget, type SidecarKind } from '../path/sidecar-path.js';
import { warnIfNetworkFs } from './network-warning.js';

/** Everything this process knows about one lock file: its in-process queue and its OS lock. */
export interface PathState {
  readonly backend: LockBackend;
  readonly lockPath: string;
  /** The stale period the resource is opened with (mkdir): the first acquisition's. */
  readonly staleMs: number | undefined;
  /** The lock file is one the user named (never written); fixed by the first acquisition, like staleMs. */
  readonly userFile: boolean;
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
/** Locks kept open per process (2 descriptors each for flock); idle ones beyond this are closed. */
const OPEN_PATHS_MAX = 256;

/** How a caller names its target (the fields of LockOptions that decide the lock file). */
export interface TargetOptions {
  exact?: boolean | undefined;
  sidecar?: SidecarKind | undefined;
  lockDir?: string | undefined;
}

/** Canonical target and lock file, resolved once per spelling per process. */
export function resolveCached(target: string, options: TargetOptions): LockTarget {
  // realpath costs more than the whole uncontended acquire: resolve each spelling once per process.
  // Relative spellings (of the target or of lockDir) mean something else after process.chdir().
  const relative = !target.startsWith('/') || (options.lockDir !== undefined && !options.lockDir.startsWith('/'));
  const key = `${options.exact ? 'x' : 'd'}|${options.sidecar ?? 'lock'}|${options.lockDir ?? ''}|${relative ? process.cwd() : ''}|${target}`;
  let resolved = targets.get(key);
  if (resolved === undefined) {
    resolved = resolveLockTarget(target, {
      kind: options.exact ? 'lock' : 'db',
      sidecar: options.sidecar ?? 'lock',
      lockDir: options.lockDir,
    });
    // A lock file the user named is locked by inode, so its hard links share it; a database's sidecar is per name.
    if (!options.exact) refuseHardLinks(resolved.canonical);
    if (targets.size >= TARGET_CACHE_MAX) targets.clear();
    targets.set(key, resolved);
  }
  return resolved;
}

/** The state of a lock file if this process has used it. */
export function existingState(backend: LockBackend, lockPath: string): PathState | undefined {
  return states.get(stateKey(backend, lockPath));
}

function stateKey(backend: LockBackend, lockPath: string): string {
  return `${backend.name}:${lockPath}`;
}

export function stateFor(
  backend: LockBackend,
  lockPath: string,
  onWarning: ((message: string) => void) | undefined,
  staleMs?: number,
  userFile = false,
): PathState {
  const key = stateKey(backend, lockPath);
  let state = states.get(key);
  if (state === undefined) {
    if (states.size >= OPEN_PATHS_MAX) closeIdleStates();
    if (backend.name === 'flock') warnIfNetworkFs(lockPath, onWarning);
    state = {
      backend,
      lockPath,
      staleMs,
      userFile,
      mutex: new FifoMutex(),
      resource: undefined,
      osHolders: 0,
      sharedPending: undefined,
    };
    states.set(key, state);
  }
  return state;
}

/** A process locking many distinct files must not keep a descriptor per file forever. */
function closeIdleStates(): void {
  for (const [key, state] of states) {
    const idle = state.osHolders === 0 && state.mutex.holders === 0 && state.mutex.waiting === 0 && !state.sharedPending;
    if (!idle) continue;
    state.resource?.close();
    states.delete(key);
  }
}
