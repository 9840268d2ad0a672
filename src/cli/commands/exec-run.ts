import { fstatSync } from 'node:fs';
import { DblockError, describeHolder } from '../../errors.js';
import { encodeIntentsEnv, INTENTS_ENV, type InheritedIntent, inheritedIntents, TASK_ID_ENV } from '../../intent/inherited.js';
import type { IntentHandle } from '../../intent/intent-handle.js';
import { lock } from '../../lock/acquire.js';
import { encodeHeldEnv, HELD_ENV, type InheritedLock, inheritedLocks } from '../../lock/held-locks.js';
import type { LockHandle } from '../../lock/lock-handle.js';
import { parseCount, parseDuration } from '../../options.js';
import type { CommandContext } from '../command-context.js';
import { targetFromFlags } from '../target-options.js';
import { type ChildSetup, runChild } from './exec-child.js';
import type { ExecFlags } from './exec-options.js';

const FIRST_PASSED_FD = 3;
/** The fencing token of the lock held for CMD, and the lock it belongs to (postgres). */
const FENCE_ENV = 'DBLOCK_FENCE';
const FENCE_NAME_ENV = 'DBLOCK_FENCE_NAME';
const INTENT_FLAGS = ['writes', 'policy', 'ttl', 'taskId', 'registry'] as const;
/** A busy lock and a refused intent both mean "someone else has it": --conflict-exit-code covers both. */
const CONFLICT_CODES = new Set(['ELOCKTIMEOUT', 'EINTENTCONFLICT']);

/**
 * `dblock exec`: declare the write intent (if `--writes`), take the lock (if `--db`/`--lock`), run
 * the command with their descriptors, return its status. Intent first: a refusal must come before
 * any wait for the lock, and one order everywhere means no deadlock between the two.
 */
export async function runExec(ctx: CommandContext, flags: ExecFlags, args: string[]): Promise<number> {
  const [file, ...rest] = args;
  if (file === undefined) throw new DblockError('EUSAGE', 'exec needs a command to run (after --)');
  const conflictExit =
    flags.conflictExitCode === undefined ? undefined : parseCount(flags.conflictExitCode, 'conflict-exit-code');
  if (conflictExit !== undefined && conflictExit > 255) {
    throw new DblockError('EUSAGE', `Expected \`conflict-exit-code\` to be 0-255, got \`${conflictExit}\``);
  }
  const found = targetFromFlags(flags);
  if (found === undefined && (flags.writes === undefined || flags.writes.length === 0)) {
    throw new DblockError('EUSAGE', 'exec needs --db PATH, --lock PATH or --writes PATH');
  }
  const command = [file, ...rest].join(' ');
  let intent: IntentHandle | undefined;
  let held: LockHandle | undefined;
  // The registry needs SQLite: load it only when an intent flag asks for it (exec start-up is per job).
  const intents = INTENT_FLAGS.some((name) => flags[name] !== undefined) ? await import('./exec-intent.js') : undefined;
  try {
    intent = await intents?.declareFromFlags(ctx, flags, command);
    if (found !== undefined) {
      held = await lock(found.target, {
        ...found.options,
        shared: flags.shared === true,
        timeout: flags.timeout,
        command,
        onWarning: (message) => ctx.out.warn(message),
      });
      reportAcquired(ctx, held);
    }
  } catch (err) {
    await intent?.release();
    if (conflictExit !== undefined && err instanceof DblockError && CONFLICT_CODES.has(err.code)) {
      ctx.out.error(err);
      return conflictExit;
    }
    throw err;
  }
  const stopTtlWatch = intents?.warnOnExpiry(ctx, intent) ?? (() => {});
  try {
    const setup = { ...childSetup(flags, held, intent), lostGraceMs: lostGraceOf(flags) };
    return await runChild(ctx, file, rest, setup);
  } finally {
    stopTtlWatch();
    held?.release();
    await intent?.release();
  }
}

/** The descriptors CMD inherits (the lock, then the intents' liveness locks) and the variables naming them. */
function childSetup(flags: ExecFlags, held: LockHandle | undefined, intent: IntentHandle | undefined): ChildSetup {
  const env = { ...process.env };
  delete env[HELD_ENV];
  delete env[INTENTS_ENV];
  if (intent !== undefined) env[TASK_ID_ENV] = intent.taskId;
  Object.assign(env, fenceEnv(flags, held));
  // --close: nothing is passed down, so the child must not believe it holds anything.
  if (flags.close) return { fds: [], env, held };
  // Our lock, then every lock an ancestor passed to us (a grandchild may nest on those too).
  const own: InheritedLock[] = [];
  for (const handle of held === undefined ? [] : [held, ...held.companions]) {
    if (handle.fd !== undefined) own.push({ path: handle.lockPath, fd: handle.fd, mode: handle.mode });
  }
  const ancestors = [...inheritedLocks().values()].filter(
    (lock) => !own.some((mine) => mine.path === lock.path) && isOpen(lock.fd),
  );
  const locks = [...own, ...ancestors];
  const inherited = locks.map((lock, i) => ({ ...lock, fd: FIRST_PASSED_FD + i }));
  if (inherited.length > 0) env[HELD_ENV] = encodeHeldEnv(inherited);
  const intents = intentsForChild(intent, FIRST_PASSED_FD + locks.length);
  if (intents.value !== undefined) env[INTENTS_ENV] = intents.value;
  return { fds: [...locks.map((lock) => lock.fd), ...intents.fds], env, held };
}

/**
 * postgres: the fence for CMD to present to the resource (DBLOCK_FENCE, DBLOCK_FENCE_NAME), and the
 * server for nested dblock calls (a URL given by --url is not otherwise in CMD's environment).
 */
function fenceEnv(flags: ExecFlags, held: LockHandle | undefined): NodeJS.ProcessEnv {
  if (flags.backend !== 'postgres' || held === undefined) return {};
  const env: NodeJS.ProcessEnv = {};
  if (held.fence !== undefined) {
    env[FENCE_ENV] = held.fence.toString();
    env[FENCE_NAME_ENV] = `postgres:${held.lockPath}`;
  }
  if (flags.url !== undefined) env.DBLOCK_POSTGRES_URL = flags.url;
  return env;
}

function lostGraceOf(flags: ExecFlags): number | undefined {
  if (flags.lostGrace === undefined) return undefined;
  const ms = parseDuration(flags.lostGrace, 'lost-grace');
  if (!Number.isFinite(ms))
    throw new DblockError('EUSAGE', `Expected \`lost-grace\` to be a finite duration such as 2s, got \`${flags.lostGrace}\``);
  return ms;
}

function reportAcquired(ctx: CommandContext, held: LockHandle): void {
  const how = held.reentrant ? 'already held by an ancestor; passing through' : `acquired in ${held.waitedMs.toFixed(1)}ms`;
  const after = held.waitedFor === undefined ? '' : ` (waited for ${describeHolder(held.waitedFor)})`;
  ctx.out.verbose(`${held.mode} lock ${held.lockPath} ${how}${after}`);
}

/**
 * The intents to hand down to CMD — ancestors' (verified) and ours — at descriptors from `firstFd`,
 * so a nested `dblock exec --writes` inside CMD passes through them instead of refusing itself.
 */
export function intentsForChild(intent: IntentHandle | undefined, firstFd: number): { fds: number[]; value: string | undefined } {
  const list: InheritedIntent[] = inheritedIntents();
  if (intent !== undefined) list.push({ registry: intent.registry, task: intent.taskId, token: intent.token, fd: intent.fd });
  if (list.length === 0) return { fds: [], value: undefined };
  return { fds: list.map((item) => item.fd), value: encodeIntentsEnv(list.map((item, i) => ({ ...item, fd: firstFd + i }))) };
}

/** Whether `fd` is an open descriptor (a stale DBLOCK_HELD entry must not make spawn fail). */
function isOpen(fd: number): boolean {
  try {
    fstatSync(fd);
    return true;
  } catch {
    return false;
  }
}
