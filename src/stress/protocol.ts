import { writeSync } from 'node:fs';
import type { Readable } from 'node:stream';
import type { JournalMode } from '../sqlite/options.js';
import type { StressLock, StressMode } from './options.js';

/**
 * The worker's report channel is a plain pipe on fd 3, written with blocking `writeSync`, not Node's
 * IPC channel (`process.send`). Why: `process.send` queues in the sender's memory, so a worker
 * SIGKILLed right after a COMMIT can lose the message that says so, and the runner could no longer
 * tell a committed row from a stray one. A `writeSync` has reached the kernel's pipe buffer before the
 * worker's next statement runs, and a pipe's buffered data outlives its writer; the one stream also
 * keeps every report in order. So the runner knows each commit exactly, kills included: it kills a
 * worker only while that worker holds a transaction open (after its `hold` report), when every earlier
 * commit has already been reported and the held one can never commit.
 */
export const REPORT_FD = 3;

/** What the runner tells a worker to do (argv[2], as JSON). */
export interface WorkerConfig {
  readonly db: string;
  readonly mode: StressMode;
  /** The journal mode the database is in, so opening it never changes it. */
  readonly journalMode: JournalMode;
  readonly worker: number;
  /** First sequence number to write (a restarted worker resumes at the transaction it was killed in). */
  readonly from: number;
  /** One past the last sequence number. */
  readonly to: number;
  readonly txnRows: number;
  /** Stop inside this transaction, or the first later one that begins (rows inserted, before COMMIT), report `hold` and wait to be killed. */
  readonly holdAt: number | null;
  readonly lock: StressLock;
  /** Bound on each write's wait for the lock. */
  readonly lockTimeoutMs: number;
}

/** One line on the report pipe. Times are milliseconds. */
export type WorkerReport =
  | { readonly t: 'ready' }
  | { readonly t: 'hold'; readonly seq: number }
  | { readonly t: 'commit'; readonly seq: number; readonly waitMs: number; readonly latencyMs: number; readonly retries: number }
  | { readonly t: 'fail'; readonly seq: number; readonly busy: boolean; readonly code: string; readonly message: string }
  | { readonly t: 'done' };

/** Write one report to the pipe before returning (see REPORT_FD for why it must be synchronous). */
export function writeReport(report: WorkerReport): void {
  const bytes = Buffer.from(`${JSON.stringify(report)}\n`);
  let written = 0;
  while (written < bytes.length) {
    try {
      written += writeSync(REPORT_FD, bytes, written);
    } catch (err) {
      // A pipe opened non-blocking by someone else: the runner is reading, so try again.
      if ((err as NodeJS.ErrnoException).code !== 'EAGAIN') throw err;
    }
  }
}

/** Call `onReport` for each complete line the worker writes. */
export function readReports(stream: Readable, onReport: (report: WorkerReport) => void): void {
  let buffer = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline);
      buffer = buffer.slice(newline + 1);
      if (line !== '') onReport(JSON.parse(line) as WorkerReport);
      newline = buffer.indexOf('\n');
    }
  });
}
