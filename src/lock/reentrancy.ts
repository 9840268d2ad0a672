import type { BackendOptions, LockBackend, LockMode } from '../backend/types.js';
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
export function reentrantHandle(
  resolved: LockTarget,
  mode: LockMode,
  backend: LockBackend,
  connection?: Pick<BackendOptions, 'url' | 'leaseMs'>,
): LockHandle | undefined | Promise<LockHandle | undefined> {
  const inContext = heldInContext(resolved.lockPath);
  const inherited = inContext === undefined ? inheritedLocks().get(resolved.lockPath) : undefined;
  // An inherited descriptor is trusted only if it is open, is this sidecar, and holds the lock — in the
  // mode the kernel reports, never the one DBLOCK_HELD claims (anyone can edit an environment variable).
  const heldMode =
    inContext ?? (inherited === undefined ? undefined : backend.inheritedMode(inherited.fd, resolved.lockPath, connection));
  // A network backend asks its server (postgres): the answer is a promise.
  if (heldMode instanceof Promise)
    return heldMode.then((m) => passThroughHandle(resolved, mode, backend, m, inherited?.fd, connection));
  return passThroughHandle(resolved, mode, backend, heldMode, inherited?.fd, connection);
}

function passThroughHandle(
  resolved: LockTarget,
  mode: LockMode,
  backend: LockBackend,
  heldMode: LockMode | undefined,
  inheritedFd: number | undefined,
  connection: Pick<BackendOptions, 'url' | 'leaseMs'> | undefined,
): LockHandle | undefined {
  if (heldMode === undefined) return undefined;
  if (heldMode === 'shared' && mode === 'exclusive') {
    throw new DblockError(
      'EUPGRADE',
      `cannot upgrade a shared lock to exclusive on ${resolved.lockPath}: release it and acquire exclusive (flock upgrades are not atomic)`,
    );
  }
  return new LockHandle({
    target: resolved.canonical,
    lockPath: resolved.lockPath,
    mode: heldMode,
    fd: inheritedFd ?? existingState(backend, resolved.lockPath, connection?.url)?.resource?.fd,
    reentrant: true,
    waitedMs: 0,
    waitedFor: undefined,
    signal: existingState(backend, resolved.lockPath, connection?.url)?.compromise?.signal,
    release: () => {},
  });
}

/**
 * For a lock DBLOCK_HELD lists but this process does not hold through the listed descriptor: a check
 * to run when the lock is found busy, which fails at once if an ancestor holds it — the ancestor waits
 * for us, so waiting would deadlock (e.g. Python's subprocess closed the descriptor on the way down).
 */
export function ancestorDeadlockCheck(resolved: LockTarget, backend: LockBackend): (() => void) | undefined {
  const listed = inheritedLocks().get(resolved.lockPath);
  if (listed === undefined || backend.heldByAncestor === undefined) return undefined;
  return () => {
    const pid = backend.heldByAncestor?.(resolved.lockPath);
    if (pid === undefined) return;
    const fd = listed.fd;
    throw new DblockError(
      'EDEADLOCK',
      `${resolved.lockPath} is held by pid ${pid}, an ancestor of this process, which passed it down as descriptor ${fd} (DBLOCK_HELD), but descriptor ${fd} here is not that lock: a process in between closed it, and waiting would deadlock. Keep descriptor ${fd} open on the way down (Python: subprocess.run(..., pass_fds=[${fd}]); Node: stdio[${fd}] = ${fd})`,
    );
  };
}
