import { readdirSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { commandOf, listPids } from '../util/process-tree.js';

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
export function flockHolders(lockPath: string, pids: readonly number[] = listPids()): FdHolder[] {
  let wanted: string;
  try {
    wanted = realpathSync(lockPath);
  } catch {
    return [];
  }
  const holders: FdHolder[] = [];
  for (const pid of pids) {
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

/**
 * The processes other than `owner` holding the lock `owner` took, through a descriptor they inherited
 * from it. With `bornAfter` (the pid of the command that got the descriptor), only processes created
 * since are looked at: pids are handed out in increasing order, so that is those with a higher pid —
 * unless the counter wrapped (the last pid given out, in /proc/loadavg, is lower), then all of them.
 */
export function inheritedHolders(lockPath: string, owner: number = process.pid, bornAfter?: number): FdHolder[] {
  let pids = listPids();
  const last = lastPid();
  if (bornAfter !== undefined && last !== undefined && last >= bornAfter) pids = pids.filter((pid) => pid > bornAfter);
  return flockHolders(lockPath, pids).filter((holder) => holder.lockedBy === owner && holder.pid !== owner);
}

/** The most recently created pid (5th field of /proc/loadavg: "0.10 0.20 0.30 1/150 4242"). */
function lastPid(): number | undefined {
  try {
    const last = Number(readFileSync('/proc/loadavg', 'utf8').trim().split(/\s+/)[4]);
    return Number.isInteger(last) ? last : undefined;
  } catch {
    return undefined;
  }
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
