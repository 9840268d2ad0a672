import { type ChildProcess, spawn } from 'node:child_process';
import { constants } from 'node:os';
import { DblockError, describeHolder, EXIT } from '../../errors.js';
import { lock } from '../../lock/acquire.js';
import { encodeHeldEnv, HELD_ENV, type InheritedLock } from '../../lock/held-locks.js';
import type { LockHandle } from '../../lock/lock-handle.js';
import { parseCount } from '../../options.js';
import type { CommandContext } from '../command-context.js';
import { requireTarget } from '../target-options.js';
import type { ExecFlags } from './exec.js';

const FORWARDED_SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'];
const FIRST_PASSED_FD = 3;

/** `dblock exec`: take the lock, run the command with the lock's descriptor, return its status. */
export async function runExec(ctx: CommandContext, flags: ExecFlags, args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (file === undefined) throw new DblockError('EUSAGE', 'exec needs a command to run (after --)');
  const conflictExit =
    flags.conflictExitCode === undefined ? undefined : parseCount(flags.conflictExitCode, 'conflict-exit-code');
  if (conflictExit !== undefined && conflictExit > 255) {
    throw new DblockError('EUSAGE', `Expected \`conflict-exit-code\` to be 0-255, got \`${conflictExit}\``);
  }
  const { target, options } = requireTarget(flags, 'exec');
  let held: LockHandle;
  try {
    held = await lock(target, {
      ...options,
      shared: flags.shared === true,
      timeout: flags.timeout,
      command: [file, ...rest].join(' '),
      onWarning: (message) => ctx.out.warn(message),
    });
  } catch (err) {
    if (conflictExit !== undefined && err instanceof DblockError && err.code === 'ELOCKTIMEOUT') {
      ctx.out.error(err);
      return conflictExit;
    }
    throw err;
  }
  try {
    reportAcquired(ctx, held);
    const passed = flags.close || held.fd === undefined ? [] : [held];
    return await runChild(ctx, file, rest, passed, held);
  } finally {
    held.release();
  }
}

function reportAcquired(ctx: CommandContext, held: LockHandle): void {
  const how = held.reentrant ? 'already held by an ancestor; passing through' : `acquired in ${held.waitedMs.toFixed(1)}ms`;
  const after = held.waitedFor === undefined ? '' : ` (waited for ${describeHolder(held.waitedFor)})`;
  ctx.out.verbose(`${held.mode} lock ${held.lockPath} ${how}${after}`);
}

function runChild(ctx: CommandContext, file: string, args: string[], passed: LockHandle[], held: LockHandle): Promise<number> {
  const inherited: InheritedLock[] = passed.map((handle, i) => ({
    path: handle.lockPath,
    fd: FIRST_PASSED_FD + i,
    mode: handle.mode,
  }));
  const env = { ...process.env };
  if (inherited.length > 0) env[HELD_ENV] = encodeHeldEnv(inherited);
  else delete env[HELD_ENV];
  return new Promise<number>((resolve) => {
    let child: ChildProcess;
    try {
      child = spawn(file, args, {
        stdio: ['inherit', 'inherit', 'inherit', ...passed.map((handle) => handle.fd as number)],
        env,
      });
    } catch (err) {
      resolve(spawnFailure(ctx, file, err));
      return;
    }
    const forward = (signal: NodeJS.Signals): void => {
      child.kill(signal);
    };
    for (const signal of FORWARDED_SIGNALS) process.on(signal, forward);
    // mkdir backend: the lock was lost, so CMD now writes unprotected. Say so and stop it.
    let lost: number | undefined;
    const onLost = (): void => {
      lost = ctx.out.error(held.signal.reason);
      child.kill('SIGTERM');
    };
    held.signal.addEventListener('abort', onLost, { once: true });
    const done = (code: number): void => {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, forward);
      held.signal.removeEventListener('abort', onLost);
      resolve(lost ?? code);
    };
    child.once('spawn', () => {
      if (child.pid !== undefined && !held.reentrant) held.annotate({ pid: child.pid, command: [file, ...args].join(' ') });
    });
    child.once('error', (err) => done(spawnFailure(ctx, file, err)));
    child.once('exit', (code, signal) => {
      if (signal !== null) done(128 + (constants.signals[signal] ?? 0));
      else done(code ?? EXIT.SOFTWARE);
    });
  });
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
