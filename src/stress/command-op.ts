import { type ChildProcess, spawn } from 'node:child_process';
import { rmSync } from 'node:fs';
import { constants } from 'node:os';
import { readWaitReports, WAIT_REPORT_ENV } from '../lock/wait-report.js';
import { toSharedClock } from './protocol.js';

const STDERR_TAIL_BYTES = 2000;

/** How one operation of a user-command stress run went. */
export interface OpResult {
  /** Exit status; 128+N for death by signal N, 127 when the program is not found (like a shell). */
  readonly status: number;
  /** When it was spawned, on the clock every process shares (protocol.ts). */
  readonly startedAt: number;
  readonly latencyMs: number;
  /** The lock wait `dblock exec` reported (undefined when the command ran without it). */
  readonly waitMs: number | undefined;
  /** The end of the operation's stderr. */
  readonly stderr: string;
  /** Why it could not be started (spawn's 'error'), if so. */
  readonly error?: NodeJS.ErrnoException;
}

/**
 * Run one operation (`argv`, with `env` added) to its end; stdout is dropped, stderr kept for a failure
 * report. While it runs, its process is in `running` (so the runner can stop it). With `waitReport`
 * (a file that must not exist yet), `dblock exec` writes its lock wait there (DBLOCK_WAIT_REPORT):
 * read, then removed, when the operation ends.
 */
export function runOp(
  argv: readonly string[],
  env: Record<string, string>,
  running?: Set<ChildProcess>,
  waitReport?: string,
): Promise<OpResult> {
  const started = performance.now();
  const [file, ...args] = argv as [string, ...string[]];
  const reportEnv = waitReport === undefined ? {} : { [WAIT_REPORT_ENV]: waitReport };
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env, ...reportEnv } });
    running?.add(child);
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    let finished = false;
    let error: NodeJS.ErrnoException | undefined;
    const finish = (status: number): void => {
      if (finished) return;
      finished = true;
      running?.delete(child);
      const latencyMs = performance.now() - started;
      resolve({
        status,
        startedAt: toSharedClock(started),
        latencyMs,
        waitMs: waitReport === undefined ? undefined : takeWait(waitReport),
        stderr: stderr.trim(),
        ...(error === undefined ? {} : { error }),
      });
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      error = err;
      stderr += err.message;
      finish(err.code === 'ENOENT' ? 127 : 126);
    });
    const status = (code: number | null, signal: NodeJS.Signals | null): number =>
      signal === null ? (code ?? 1) : 128 + (constants.signals[signal] ?? 0);
    // 'close' (all of stderr read), except after a SIGKILL: a command that outlived its dblock exec
    // still holds the stderr pipe open, and 'close' would never come.
    child.once('close', (code, signal) => finish(status(code, signal)));
    child.once('exit', (code, signal) => {
      if (signal !== 'SIGKILL') return;
      finish(status(code, signal));
      child.stderr?.destroy(); // or the pipe the orphan holds keeps this process alive
    });
  });
}

/** The wait of the operation's lock (its first line: `exec --db` takes one), and the file removed. */
function takeWait(path: string): number | undefined {
  const [report] = readWaitReports(path);
  rmSync(path, { force: true });
  return report?.waitedMs;
}
