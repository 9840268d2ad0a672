import { flockBackend } from '../backend/flock-backend.js';
import { FlockSlots, slotPath } from '../backend/flock-slots.js';
import { DblockError, LockTimeoutError } from '../errors.js';
import { resolveTimeoutMs } from '../options.js';
import type { LockOptions } from './acquire.js';
import { HolderRecordWriter, readHolder } from './holder-record.js';
import { LockHandle } from './lock-handle.js';
import { resolveCached } from './path-state.js';
import { reentrantHandle } from './reentrancy.js';

const pools = new Map<string, FlockSlots>();

/** Parse `slots`: an integer from 1 (a plain exclusive lock) to 1024. */
export function parseSlots(value: number | string | undefined): number | undefined {
  if (value === undefined) return undefined;
  const n = typeof value === 'number' ? value : Number(value);
  if (!Number.isInteger(n) || n < 1 || n > 1024 || (typeof value === 'string' && !/^\d+$/.test(value.trim()))) {
    throw new DblockError('EUSAGE', `Expected \`slots\` to be an integer from 1 to 1024, got \`${String(value)}\``);
  }
  return n;
}

/**
 * Take one of `count` slots of `target` (`--slots N`): up to N holders at once, each holding the lock
 * shared plus one slot file exclusively — so an exclusive holder of the lock still excludes them all,
 * and a crashed holder frees its slot at once. Slot first, then the shared lock: a slot holder blocked
 * behind an exclusive writer holds only its slot, never the lock the writer waits for.
 */
export async function lockSlot(
  target: string,
  options: LockOptions,
  count: number,
  lockWhole: (target: string, options: LockOptions) => Promise<LockHandle>,
): Promise<LockHandle> {
  if (options.shared) throw new DblockError('EUSAGE', 'give either --slots or --shared, not both');
  if ((options.backend ?? 'flock') !== 'flock') throw new DblockError('EUSAGE', 'slots need the flock backend');
  const started = performance.now();
  const timeoutMs = resolveTimeoutMs(options.timeout);
  const resolved = resolveCached(target, options);
  // A child of a slot holder already has the lock shared (and a slot): it passes through.
  const passThrough = reentrantHandle(resolved, 'shared', flockBackend);
  if (passThrough !== undefined) return passThrough;
  let pool = pools.get(`${resolved.lockPath}|${count}`);
  if (pool === undefined) {
    pool = new FlockSlots(resolved.lockPath, count);
    pools.set(`${resolved.lockPath}|${count}`, pool);
  }
  const slot = pool.tryAcquire() ?? (await pool.acquire({ deadline: started + timeoutMs, signal: options.signal }));
  if (slot === undefined) throw slotsBusy(resolved.lockPath, count, timeoutMs === 0 ? 0 : performance.now() - started, options);
  const taken = pool;
  const path = slotPath(resolved.lockPath, slot);
  const writeRecord = (fields: { pid?: number; command?: string }): void => {
    try {
      taken.writeRecord(slot, new HolderRecordWriter({ command: options.command, ...fields }).encode());
    } catch {
      // advisory only
    }
  };
  writeRecord({});
  const slotHandle = new LockHandle({
    target: resolved.canonical,
    lockPath: path,
    mode: 'exclusive',
    fd: pool.fdOf(slot),
    reentrant: false,
    waitedMs: performance.now() - started,
    waitedFor: undefined,
    release: () => taken.release(slot),
    annotate: writeRecord,
  });
  try {
    const left = timeoutMs === 0 ? 0 : Math.max(0, timeoutMs - (performance.now() - started));
    const whole = await lockWhole(target, { ...options, slots: undefined, shared: true, timeout: left });
    return whole.withCompanion(slotHandle);
  } catch (err) {
    slotHandle.release();
    throw err;
  }
}

function slotsBusy(lockPath: string, count: number, waitedMs: number, options: LockOptions): DblockError {
  if (options.signal?.aborted) {
    return new DblockError('EABORTED', `gave up waiting for a slot of ${lockPath}: aborted`, { cause: options.signal.reason });
  }
  const holder = readHolder(flockBackend, slotPath(lockPath, 0));
  return new LockTimeoutError(`${lockPath} (all ${count} slots)`, waitedMs, holder);
}
