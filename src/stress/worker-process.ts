import { type ChildProcess, spawn } from 'node:child_process';
import type { Readable } from 'node:stream';
import { readReports, type WorkerConfig, type WorkerReport } from './protocol.js';

const STDERR_TAIL_BYTES = 2000;

/** How a worker process ended. */
export interface WorkerExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  /** The end of what it wrote to stderr (a crash's stack trace). */
  readonly stderr: string;
  /** Why it could not be started (spawn's 'error': EMFILE, ENOENT…); it never ran. */
  readonly error?: Error;
}

/** The runner's side of one worker process: spawn, reports, go, kill, exit. */
export class WorkerProcess {
  readonly config: WorkerConfig;
  readonly exited: Promise<WorkerExit>;
  readonly #child: ChildProcess;

  constructor(script: string, config: WorkerConfig, onReport: (report: WorkerReport) => void) {
    this.config = config;
    // stdin: "go"; stdout ignored; stderr kept for a crash report; fd 3: the report pipe.
    this.#child = spawn(process.execPath, [script, JSON.stringify(config)], { stdio: ['pipe', 'ignore', 'pipe', 'pipe'] });
    let stderr = '';
    // 'close', not 'exit': every report the worker wrote before it died has been read by then. A
    // spawn that failed (EMFILE: no descriptor for its pipes) emits 'error' and has no stdio at all.
    this.exited = new Promise((resolve) => {
      this.#child.once('close', (code, signal) => resolve({ code, signal, stderr }));
      this.#child.once('error', (err) => resolve({ code: null, signal: null, stderr: err.message, error: err }));
    });
    this.#child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    this.#child.stdin?.on('error', () => {}); // EPIPE when the worker dies first: its exit says why.
    const reports = this.#child.stdio?.[3];
    if (reports) readReports(reports as Readable, onReport);
  }

  /** Start writing (sent once every worker has opened the database). */
  go(): void {
    this.#child.stdin?.write('go\n');
  }

  kill(): void {
    if (this.#child.exitCode === null && this.#child.signalCode === null) this.#child.kill('SIGKILL');
  }
}
