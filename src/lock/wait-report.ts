import { closeSync, constants, fstatSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import type { LockMode } from '../backend/types.js';

/**
 * A file that every dblock command appends one JSON line to for each lock it takes (the machine
 * channel beside `-v`'s human line): `dblock stress -- CMD` sets it for each `dblock exec`. Not
 * passed on to CMD, so a nested dblock never writes to its parent's report.
 */
export const WAIT_REPORT_ENV = 'DBLOCK_WAIT_REPORT';

/** One line of the report: which lock, how it was held, how long taking it took. */
export interface WaitReport {
  readonly lockPath: string;
  readonly mode: LockMode;
  readonly waitedMs: number;
  /** Held already by an ancestor `dblock exec`: passed through, no wait. */
  readonly reentrant: boolean;
}

/** How every report line starts: a file that starts otherwise is somebody else's, never appended to. */
const LINE_START = '{"lockPath":';

/**
 * Append `held`'s line to the report file named in `env`, if any; the report never fails the command.
 * A non-empty regular file that is not a report (a database, a log named by mistake) is left untouched.
 */
export function writeWaitReport(held: WaitReport, env: NodeJS.ProcessEnv = process.env): void {
  const path = env[WAIT_REPORT_ENV];
  if (path === undefined || path === '') return;
  const line: WaitReport = { lockPath: held.lockPath, mode: held.mode, waitedMs: held.waitedMs, reentrant: held.reentrant };
  let fd: number | undefined;
  try {
    // O_NONBLOCK: a FIFO nobody reads fails at once (ENXIO) instead of hanging with the lock held.
    fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NONBLOCK, 0o600);
    if (!isReportOrEmpty(path, fd)) return;
    writeSync(fd, `${JSON.stringify(line)}\n`);
  } catch {
    // diagnostics only: a full disk or a vanished directory must not fail the locked command
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/** Whether the file behind `fd` may take a report line: not a regular file (a FIFO), empty, or a report already. */
function isReportOrEmpty(path: string, fd: number): boolean {
  const st = fstatSync(fd);
  if (!st.isFile() || st.size === 0) return true;
  const head = Buffer.alloc(LINE_START.length);
  const reader = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const same = fstatSync(reader);
    if (same.ino !== st.ino || same.dev !== st.dev) return false;
    const n = readSync(reader, head, 0, head.length, 0);
    return head.subarray(0, n).toString('latin1') === LINE_START;
  } finally {
    closeSync(reader);
  }
}

/** The lines of a report file (none when it is missing); lines that are not a report are skipped. */
export function readWaitReports(path: string): WaitReport[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    return [];
  }
  const reports: WaitReport[] = [];
  for (const line of text.split('\n')) {
    try {
      const parsed = JSON.parse(line) as Partial<WaitReport>;
      if (typeof parsed.waitedMs === 'number' && typeof parsed.lockPath === 'string') reports.push(parsed as WaitReport);
    } catch {
      // an empty last line, or a torn one
    }
  }
  return reports;
}
