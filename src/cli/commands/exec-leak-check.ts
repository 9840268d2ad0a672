import type { LockHandle } from '../../lock/lock-handle.js';
import type { CommandContext } from '../command-spec.js';
import { describeFdHolders, inheritedHolders } from '../lock-holders.js';

/**
 * After CMD exited (we still hold our own descriptor): warn once if a process CMD left behind — a
 * background job, a daemon — holds the lock through the descriptor it inherited. dblock's release
 * unlocks the shared open file description, so that process runs on believing it holds a lock it
 * no longer has (with flock(1), or if dblock is SIGKILLed, it would hold the lock forever instead).
 * Linux only; a scan of /proc/PID/fd of the processes created since CMD, once per exec.
 */
export function warnInheritedHolders(ctx: CommandContext, held: LockHandle, commandPid: number | undefined): void {
  for (const handle of [held, ...held.companions]) {
    // A pass-through lock was taken by an ancestor, whose own exit check covers it.
    if (handle.fd === undefined || handle.reentrant) continue;
    const holders = inheritedHolders(handle.lockPath, process.pid, commandPid);
    if (holders.length === 0) continue;
    ctx.out.warn(
      `${describeFdHolders(holders)} inherited the lock on ${handle.lockPath} and outlived the command: ` +
        'releasing it now, so that process runs on unprotected; use --close (-o) so background processes do not inherit it',
    );
    return; // once: the companions would name the same processes
  }
}
