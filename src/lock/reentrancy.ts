import type { LockBackend, LockMode } from '../backend/types.js';
import { DblockError } from '../errors.js';
import type { LockTarget } from '../path/sidecar-path.js';
import { heldInContext, inheritedLocks } from './held-locks.js';
import { LockHandle } from './lock-handle.js';
import { existingState } from './path-state.js';

/**
 * A pass-through handle when the caller already holds this lock: in the same async context
 * (withLock), or through an ancestor `dblock exec` (DBLOCK_HELD, verified). Undefined otherwise.
 * @throws DblockError EUPGRADE for a shared→exclusive request
 */
export function reentrantHandle(resolved: LockTarget, mode: LockMode, backend: LockBackend): LockHandle | undefined {
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
    fd: inherited?.fd ?? existingState(backend, resolved.lockPath)?.resource?.fd,
    reentrant: true,
    waitedMs: 0,
    waitedFor: undefined,
    signal: existingState(backend, resolved.lockPath)?.compromise?.signal,
    release: () => {},
  });
}
