import { readFileSync } from 'node:fs';
import type { LockMode } from './types.js';

/**
 * The flock(2) mode held through descriptor `fd`'s open file description, read from
 * /proc/self/fdinfo without touching the lock: `null` when it holds none, `undefined` where the
 * kernel does not say (not Linux). Trying a flock on an inherited descriptor to find out would
 * convert the ancestor's lock (flock(2) drops the old mode first), so it is never done here.
 */
export function flockModeThrough(fd: number): LockMode | null | undefined {
  let info: string;
  try {
    info = readFileSync(`/proc/self/fdinfo/${fd}`, 'latin1');
  } catch (err) {
    // ENOENT: the descriptor is closed; anything else: no /proc to ask.
    return (err as NodeJS.ErrnoException).code === 'ENOENT' ? null : undefined;
  }
  // lock:\t1: FLOCK  ADVISORY  WRITE 4121 fe:00:2146338 0 EOF
  const held = /^lock:\s+\d+: FLOCK\s+\S+\s+(READ|WRITE)\b/m.exec(info);
  if (held === null) return null;
  return held[1] === 'WRITE' ? 'exclusive' : 'shared';
}

/**
 * Pids that hold a flock on the file with this device and inode, from /proc/locks (Linux; empty
 * elsewhere). A lock taken by one process and inherited is listed under the process that took it.
 */
export function flockHolderPids(dev: number, ino: number): number[] {
  let table: string;
  try {
    table = readFileSync('/proc/locks', 'latin1');
  } catch {
    return [];
  }
  const major = Math.floor(dev / 256) & 0xfff;
  const minor = (dev & 0xff) | (Math.floor(dev / 4096) & ~0xff);
  const id = `${major.toString(16).padStart(2, '0')}:${minor.toString(16).padStart(2, '0')}:${ino}`;
  const pids: number[] = [];
  for (const line of table.split('\n')) {
    // 1: FLOCK  ADVISORY  WRITE 4121 fe:00:2146338 0 EOF   ("->" marks a blocked waiter: not a holder)
    const m = /^\d+: FLOCK\s+\S+\s+(?:READ|WRITE)\s+(\d+)\s+(\S+)/.exec(line);
    if (m !== null && m[2] === id) pids.push(Number(m[1]));
  }
  return pids;
}
