import { spawn } from 'node:child_process';
import { constants } from 'node:os';

const STDERR_TAIL_BYTES = 2000;
/** `dblock exec --verbose` says how long the lock took: `… acquired in 1.2ms (waited for pid …)`. */
const ACQUIRED = /^dblock: \w+ lock .* acquired in ([\d.]+)ms.*\n?/m;

/** How one operation of a user-command stress run went. */
export interface OpResult {
  /** Exit status; 128+N for death by signal N, 127 when the program is not found (like a shell). */
  readonly status: number;
  readonly latencyMs: number;
  /** The lock wait `dblock exec` reported (undefined when the command ran without it). */
  readonly waitMs: number | undefined;
  /** The end of the operation's stderr, without dblock's own verbose line. */
  readonly stderr: string;
}

/**
 * Run one operation (`argv`, with `env` added) to its end; stdout is dropped, stderr kept for a failure
 * report. `signal` stops it with SIGTERM (`dblock exec` forwards that to the command).
 */
export function runOp(argv: readonly string[], env: Record<string, string>, signal?: AbortSignal): Promise<OpResult> {
  const started = performance.now();
  const [file, ...args] = argv as [string, ...string[]];
  return new Promise((resolve) => {
    let stderr = '';
    const child = spawn(file, args, { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, ...env }, signal });
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-STDERR_TAIL_BYTES);
    });
    const finish = (status: number): void => {
      const waited = ACQUIRED.exec(stderr);
      resolve({
        status,
        latencyMs: performance.now() - started,
        waitMs: waited === null ? undefined : Number(waited[1]),
        stderr: stderr.replace(ACQUIRED, '').trim(),
      });
    };
    child.once('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') return; // 'close' follows with the signal
      stderr += err.message;
      finish(err.code === 'ENOENT' ? 127 : 126);
    });
    child.once('close', (code, signal) => finish(signal === null ? (code ?? 1) : 128 + (constants.signals[signal] ?? 0)));
  });
}
