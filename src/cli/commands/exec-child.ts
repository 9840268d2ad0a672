import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';
import type { Stream } from 'node:stream';
import { isatty } from 'node:tty';
import { DEFAULTS } from '../../defaults.js';
import { DblockError, EXIT, isDblockError } from '../../errors.js';
import type { LockHandle } from '../../lock/lock-handle.js';
import type { CommandContext } from '../command-spec.js';
import type { StdioEntry } from '../inherited-fds.js';

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
/** Signals a terminal sends to its whole foreground process group when a key is typed. */
const KEYBOARD_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGINT', 'SIGQUIT']);

/** What the child gets besides its command line. */
export interface ChildSetup {
  /** The child's descriptors: entry i is what it gets as descriptor i (see layoutChildFds; a mkdir lock's keeper pipe last). */
  readonly stdio: readonly (StdioEntry | Stream)[];
  readonly env: NodeJS.ProcessEnv;
  /** The lock held for it (annotated with its pid; a lost mkdir lock stops it). */
  readonly held: LockHandle | undefined;
  /** After a lost lock's SIGTERM, how long CMD has before SIGKILL. @default DEFAULTS.lostGraceMs */
  readonly lostGraceMs?: number | undefined;
  /** Called once CMD runs (e.g. to watch --max-hold). */
  readonly onSpawn?: ((child: ChildProcess) => void) | undefined;
}

/** Run CMD with signals forwarded; resolve with its status (128+N when killed by signal N). */
export function runChild(ctx: CommandContext, file: string, args: string[], setup: ChildSetup): Promise<number> {
  const { held } = setup;
  return new Promise<number>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, { stdio: [...setup.stdio], env: setup.env });
    } catch (err) {
      resolve(spawnFailure(ctx, file, err));
      return;
    }
    const forward = (signal: NodeJS.Signals): void => {
      // Ctrl-C / Ctrl-\ at the terminal reached CMD already (same process group): a second copy would
      // make e.g. the sqlite3 shell quit after two presses instead of three. Node cannot see who sent
      // a signal, so this is a judgement: typed only if we are in the terminal's foreground group and
      // read from the terminal (a script's background job shares the group but reads /dev/null).
      if (KEYBOARD_SIGNALS.has(signal) && isatty(0) && inTerminalForeground()) return;
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    // The lock was lost (mkdir, postgres), so CMD now writes unprotected: say so and stop it, by force
    // if it lingers (a lost lock's new holder may already be writing).
    let lost: number | undefined;
    let killer: NodeJS.Timeout | undefined;
    const onLost = (): void => {
      const graceMs = setup.lostGraceMs ?? DEFAULTS.lostGraceMs;
      lost = ctx.out.error(lostError(held?.signal.reason, child.pid, graceMs));
      child.kill('SIGTERM');
      killer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    };
    held?.signal.addEventListener('abort', onLost, { once: true });
    const done = (code: number): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      held?.signal.removeEventListener('abort', onLost);
      clearTimeout(killer);
      resolve(lost ?? code);
    };
    child.once('spawn', () => {
      setup.onSpawn?.(child);
      if (held !== undefined && child.pid !== undefined && !held.reentrant) {
        held.annotate({ pid: child.pid, command: [file, ...args].join(' ') });
      }
    });
    child.once('error', (err) => done(spawnFailure(ctx, file, err)));
    child.once('exit', (code, signal) => {
      if (signal !== null) done(128 + (constants.signals[signal] ?? 0));
      else done(code ?? EXIT.SOFTWARE);
    });
  });
}

/** The loss, plus what was done about it, as one line. */
function lostError(reason: unknown, pid: number | undefined, graceMs: number): unknown {
  if (!isDblockError(reason)) return reason;
  const what = `sent SIGTERM to pid ${pid ?? '?'}, SIGKILL after ${(graceMs / 1000).toFixed(1)}s if it has not exited`;
  return new DblockError(reason.code, `${reason.message}; ${what}`, { cause: reason.cause, exitCode: reason.exitCode });
}

/**
 * Whether this process is in the foreground process group of its controlling terminal, where a
 * typed Ctrl-C reaches every member (Linux /proc; elsewhere false, so signals are forwarded).
 */
export function inTerminalForeground(): boolean {
  let stat: string;
  try {
    stat = readFileSync('/proc/self/stat', 'utf8');
  } catch {
    return false;
  }
  // After "pid (comm)": state ppid pgrp session tty_nr tpgid …
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const pgrp = Number(fields[2]);
  const ttyNr = Number(fields[4]);
  const tpgid = Number(fields[5]);
  return ttyNr !== 0 && tpgid > 0 && tpgid === pgrp;
}

/** Like a shell: 127 when the program is not found, 126 when it cannot be executed. */
function spawnFailure(ctx: CommandContext, file: string, err: unknown): number {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') {
    ctx.out.error(new DblockError('ENOINPUT', `${file}: command not found`, { cause: err, exitCode: EXIT.NOTFOUND }));
    return EXIT.NOTFOUND;
  }
  if (code === 'EACCES' || code === 'EISDIR' || code === 'ENOEXEC') {
    ctx.out.error(new DblockError('EPERM', `${file}: cannot execute (${code})`, { cause: err, exitCode: EXIT.NOEXEC }));
    return EXIT.NOEXEC;
  }
  return ctx.out.error(err);
}
