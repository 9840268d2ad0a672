import { writeSync } from 'node:fs';

/** Something with buffered work to push out before the process ends. */
export interface Flushable {
  flush(): Promise<void>;
  /** Write what is buffered synchronously (the `exit` event); returns a line to report, if any. */
  flushAtExit(): string | undefined;
}

const SIGNALS = ['SIGINT', 'SIGTERM'] as const;
type ExitSignal = (typeof SIGNALS)[number];

const open = new Set<Flushable>();
let flushingFor: ExitSignal | undefined;

/**
 * Flush `writer` when the event loop runs dry (`beforeExit`: the unref'd flush timer alone never
 * keeps the process alive), on SIGINT/SIGTERM, and synchronously on `exit` (process.exit(), an
 * uncaught exception: no event loop is left, see BatchWriter). Until `forgetOnExit`.
 */
export function flushOnExit(writer: Flushable): void {
  if (open.size === 0) install();
  open.add(writer);
}

export function forgetOnExit(writer: Flushable): void {
  open.delete(writer);
  if (open.size === 0) uninstall();
}

function install(): void {
  process.on('beforeExit', onBeforeExit);
  process.on('exit', onExit);
  for (const signal of SIGNALS) process.on(signal, onSignal);
}

function uninstall(): void {
  process.off('beforeExit', onBeforeExit);
  process.off('exit', onExit);
  for (const signal of SIGNALS) process.off(signal, onSignal);
}

/** Last chance, synchronous: `exit` listeners cannot await, and nothing runs after them. */
function onExit(): void {
  for (const writer of open) {
    let line: string | undefined;
    try {
      line = writer.flushAtExit();
    } catch (err) {
      line = `batched writes lost at exit: ${(err as Error).message}`;
    }
    // fs.writeSync: a stream write might still be queued when the process ends.
    if (line === undefined) continue;
    try {
      writeSync(2, `dblock: ${line}\n`);
    } catch {
      // stderr closed or full: nothing more can be said.
    }
  }
}

// Flushing schedules writes, so the loop runs on; once drained, beforeExit comes again and finds nothing.
function onBeforeExit(): void {
  for (const writer of open) void writer.flush();
}

/**
 * Listening for a signal replaces Node's default (exit). So: flush every writer, then, unless
 * the application listens for the signal too (it then decides), stop listening and re-raise it:
 * the process dies of the signal, as it would have, and its parent sees 128+N. A second signal
 * during the flush re-raises at once (a user pressing Ctrl-C twice means it).
 */
function onSignal(signal: ExitSignal): void {
  if (flushingFor !== undefined) {
    reraise(signal);
    return;
  }
  flushingFor = signal;
  const flushes = [...open].map((writer) => writer.flush());
  void Promise.allSettled(flushes).then(() => {
    flushingFor = undefined;
    if (process.listenerCount(signal) === 1) reraise(signal);
  });
}

function reraise(signal: ExitSignal): void {
  uninstall();
  process.kill(process.pid, signal);
}
