import { type ChildProcess, fork, spawn } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterThisTest } from './after-test.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const BIN = join(ROOT, 'bin', 'dblock.js');
export const FIXTURES = join(ROOT, 'fixtures');

/** SIGKILL a child the test started, after the test (pass or fail), unless it has ended. */
function killChildAfterTest(child: ChildProcess): void {
  afterThisTest(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
}

/**
 * A process the test did not start itself (a script's background job, an orphan): SIGKILLed after the
 * test. `pid` must be a real pid (`process.kill(0)` would signal the test runner's whole group).
 */
export function killAfterTest(...pids: number[]): void {
  for (const pid of pids) {
    if (!(Number.isInteger(pid) && pid > 1)) continue;
    afterThisTest(() => {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    });
  }
}

/** Start a fixture script (`fixtures/NAME.mjs`) with an IPC channel. */
export function startFixture(
  name: string,
  args: string[] = [],
  env: NodeJS.ProcessEnv = {},
  options: { uid?: number; gid?: number } = {},
): ChildProcess {
  const child = fork(join(FIXTURES, `${name}.mjs`), args, {
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
    env: { ...process.env, ...env },
    ...options,
  });
  killChildAfterTest(child);
  return child;
}

/** Start any command (tracked and killed after the test). */
export function startProcess(file: string, args: string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options });
  killChildAfterTest(child);
  return child;
}

/** Start `bin/dblock.js ARGS` (tracked). */
export function startDblock(args: string[], options: Parameters<typeof spawn>[2] = {}): ChildProcess {
  return startProcess(process.execPath, [BIN, ...args], options);
}

/** The next IPC message matching `predicate` (default: any). Rejects if the child exits first. */
export function nextMessage<T = Record<string, unknown>>(
  child: ChildProcess,
  predicate: (message: T) => boolean = () => true,
): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onMessage = (message: unknown): void => {
      if (!predicate(message as T)) return;
      cleanup();
      resolve(message as T);
    };
    // 'disconnect', not 'exit': a last message may still be in the channel when 'exit' fires.
    const onExit = (): void => {
      cleanup();
      reject(new Error(`child exited (${child.exitCode ?? child.signalCode}) before the expected message`));
    };
    const cleanup = (): void => {
      child.off('message', onMessage);
      child.off('disconnect', onExit);
    };
    child.on('message', onMessage);
    child.once('disconnect', onExit);
  });
}

/** Result of a finished process. */
export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Wait for a child to exit, collecting its output. */
export function finished(child: ChildProcess): Promise<Finished> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) {
      resolve({ code: child.exitCode, signal: child.signalCode, stdout, stderr });
      return;
    }
    child.once('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Run `bin/dblock.js ARGS` to completion. */
export function runDblock(args: string[], options: Parameters<typeof spawn>[2] = {}): Promise<Finished> {
  return finished(startDblock(args, options));
}

/** Read lines from a child's stdout (or stderr) until one satisfies `predicate`. */
export function waitForLine(
  child: ChildProcess,
  predicate: (line: string) => boolean,
  from: 'stdout' | 'stderr' = 'stdout',
): Promise<string> {
  const stream = child[from];
  return new Promise((resolve, reject) => {
    let buffer = '';
    const onData = (chunk: Buffer): void => {
      buffer += chunk.toString();
      const lines = buffer.split('\n');
      buffer = lines.pop() ?? '';
      const hit = lines.find(predicate);
      if (hit !== undefined) {
        stream?.off('data', onData);
        stream?.off('end', onEnd);
        resolve(hit);
      }
    };
    // 'end' of the stream, not 'exit': output may still be buffered when the process has exited.
    const onEnd = (): void => reject(new Error(`child closed its ${from} before the expected line`));
    stream?.on('data', onData);
    stream?.once('end', onEnd);
  });
}
