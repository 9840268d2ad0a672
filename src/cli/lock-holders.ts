import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { commandOf, listPids } from './process-tree.js';

/** A process holding a flock lock through a descriptor, as /proc shows it. */
export interface FdHolder {
  /** The process that has the descriptor open. */
  pid: number;
  command: string;
  /** The process that took the lock (/proc/locks names only it): another pid means the descriptor was inherited. */
  lockedBy: number;
  mode: 'shared' | 'exclusive';
}

/**
 * The processes holding a flock lock on `lockPath` through an open descriptor: each /proc/PID/fd
 * link to the file whose /proc/PID/fdinfo carries a FLOCK line. A waiter has the file open too but
 * no lock line, so it is not listed. Linux only (elsewhere empty); processes we may not inspect are skipped.
 */
export function flockHolders(lockPath: string): FdHolder[] {
  let wanted: string;
  try {
    wanted = realpathSync(lockPath);
  } catch {
    return [];
  }
  const holders: FdHolder[] = [];
  for (const pid of listPids()) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // exited, or not ours to look at
    }
    for (const fd of fds) {
      if (safeReadlink(`/proc/${pid}/fd/${fd}`) !== wanted) continue;
      const lock = flockLine(pid, fd);
      if (lock === undefined) continue;
      holders.push({ pid, command: commandOf(pid), ...lock });
      break; // one line per process is enough
    }
  }
  return holders;
}

/** The processes other than `owner` holding the lock `owner` took, through a descriptor they inherited from it. */
export function inheritedHolders(lockPath: string, owner: number = process.pid): FdHolder[] {
  return flockHolders(lockPath).filter((holder) => holder.lockedBy === owner && holder.pid !== owner);
}

/** One line naming processes that hold a lock through an inherited descriptor: `pid 12 (sleep 300)`. */
export function describeFdHolders(holders: readonly FdHolder[]): string {
  return holders.map((holder) => `pid ${holder.pid} (${holder.command})`).join(', ');
}

function safeReadlink(path: string): string | undefined {
  try {
    return readlinkSync(path);
  } catch {
    return undefined;
  }
}

// fdinfo: "lock:\t1: FLOCK  ADVISORY  WRITE 15607 fe:00:2146311 0 EOF" — the pid is whoever called flock(2).
function flockLine(pid: number, fd: string): { lockedBy: number; mode: 'shared' | 'exclusive' } | undefined {
  let info: string;
  try {
    info = readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8');
  } catch {
    return undefined;
  }
  const match = /^lock:\s+\d+:\s+FLOCK\s+\S+\s+(READ|WRITE)\s+(\d+)/m.exec(info);
  if (match === null) return undefined;
  return { lockedBy: Number(match[2]), mode: match[1] === 'WRITE' ? 'exclusive' : 'shared' };
}
