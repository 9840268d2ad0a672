import type { ChildProcess } from 'node:child_process';
import { DblockError, isDblockError } from '../../errors.js';
import { encodeIntentsEnv, INTENTS_ENV, type InheritedIntent, inheritedIntents, TASK_ID_ENV } from '../../intent/inherited.js';
import type { IntentHandle } from '../../intent/intent-handle.js';
import { encodeHeldEnv, HELD_ENV, type InheritedLock, inheritedLocks } from '../../lock/held-locks.js';
import type { LockHandle } from '../../lock/lock-handle.js';
import { WAIT_REPORT_ENV } from '../../lock/wait-report.js';
import { parseCliDuration, parseCount } from '../../options.js';
import type { CommandContext } from '../command-spec.js';
import { INHERITED_FDS_ENV, inheritedFds, isOpen, layoutChildFds } from '../inherited-fds.js';
import { lockForCommand } from '../lock-wait.js';
import { targetFromFlags } from '../target-options.js';
import { type ChildSetup, runChild } from './exec-child.js';
import { resolveInvocation } from './exec-invocation.js';
import { type LockKeeper, startKeeper } from './exec-keeper.js';
import { warnInheritedHolders } from './exec-leak-check.js';
import { fenceEnv, lostGraceOf } from './exec-lost.js';
import { MAX_HOLD_EXIT, MaxHoldWatch, parseMaxHold } from './exec-max-hold.js';
import type { ExecFlags } from './exec-options.js';
import { spawnableCommand } from './exec-raw-command.js';

const INTENT_FLAGS = ['writes', 'policy', 'ttl', 'taskId', 'registry', 'scope', 'scopeRoot'] as const;
/** A busy lock and a refused intent both mean "someone else has it": --conflict-exit-code covers both. */
const CONFLICT_CODES = new Set(['ELOCKTIMEOUT', 'EINTENTCONFLICT']);

/**
 * `dblock exec`: declare the write intent (if `--writes`), take the lock (if `--db`/`--lock`), run
 * the command with their descriptors, return its status. Intent first: a refusal must come before
 * any wait for the lock, and one order everywhere means no deadlock between the two.
 */
export async function run(ctx: CommandContext, given: ExecFlags, positional: string[]): Promise<number> {
  const { flags, file, args: rest } = resolveInvocation(given, positional);
  const conflictExit =
    flags.conflictExitCode === undefined ? undefined : parseCount(flags.conflictExitCode, 'conflict-exit-code');
  if (conflictExit !== undefined && conflictExit > 255) {
    throw new DblockError('EUSAGE', `Expected \`conflict-exit-code\` to be 0-255, got \`${conflictExit}\``);
  }
  const maxHold = parseMaxHold(flags.maxHold, flags.killAfter);
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
      held = await lockForCommand(ctx, found.target, {
        ...found.options,
        shared: flags.shared === true,
        slots: flags.slots,
        timeout: parseCliDuration(flags.timeout, 'timeout'),
        command,
        onWarning: (message) => ctx.out.warn(message),
      });
    }
  } catch (err) {
    await intent?.release();
    if (conflictExit !== undefined && isDblockError(err) && CONFLICT_CODES.has(err.code)) {
      return ctx.out.mappedConflict(err, conflictExit);
    }
    throw err;
  }
  const stopTtlWatch = intents?.warnOnExpiry(ctx, intent) ?? (() => {});
  let keeper: LockKeeper | undefined;
  try {
    keeper = startKeeper(ctx, found, held, flags.close);
    const spawned = spawnableCommand([file, ...rest]); // raw bytes of a non-UTF-8 argument reach CMD unchanged
    let watch: MaxHoldWatch | undefined;
    let commandPid: number | undefined;
    const onSpawn = (child: ChildProcess): void => {
      commandPid = child.pid;
      if (maxHold !== undefined) watch = new MaxHoldWatch(ctx, child, maxHold);
    };
    const setup = { ...childSetup(flags, held, intent), lostGraceMs: lostGraceOf(flags), onSpawn };
    const code = await runChild(ctx, spawned.file, spawned.args, keeper?.around(setup) ?? setup);
    watch?.cancel();
    await watch?.settle();
    if (held !== undefined && !flags.close) warnInheritedHolders(ctx, held, commandPid);
    return watch?.fired ? MAX_HOLD_EXIT : code;
  } finally {
    stopTtlWatch();
    held?.release();
    keeper?.stop(); // after the release: the keeper must find the lock no longer ours
    await intent?.release();
  }
}

/**
 * The descriptors CMD inherits — every one dblock inherited, at its own number, then the lock and
 * the intents' liveness locks on free numbers — and the variables naming those numbers.
 */
function childSetup(flags: ExecFlags, held: LockHandle | undefined, intent: IntentHandle | undefined): ChildSetup {
  const env = { ...process.env };
  delete env[HELD_ENV];
  delete env[INTENTS_ENV];
  delete env[INHERITED_FDS_ENV];
  delete env[WAIT_REPORT_ENV];
  if (intent !== undefined) env[TASK_ID_ENV] = intent.taskId;
  Object.assign(env, fenceEnv(flags, held));
  const inherited = inheritedFds();
  // --close: nothing of ours is passed down, so the child must not believe it holds anything.
  if (flags.close) return { stdio: layoutChildFds(inherited, []).stdio, env, held };
  // Our lock, then every lock an ancestor passed to us (a grandchild may nest on those too).
  const own: InheritedLock[] = [];
  for (const handle of held === undefined ? [] : [held, ...held.companions]) {
    if (handle.fd !== undefined) own.push({ path: handle.lockPath, fd: handle.fd, mode: handle.mode });
  }
  const ancestors = [...inheritedLocks().values()].filter(
    (lock) => !own.some((mine) => mine.path === lock.path) && isOpen(lock.fd),
  );
  const locks = [...own, ...ancestors];
  const intents = intentsForChild(intent);
  const { stdio, numbers } = layoutChildFds(inherited, [...locks.map((lock) => lock.fd), ...intents.map((item) => item.fd)]);
  if (locks.length > 0) env[HELD_ENV] = encodeHeldEnv(locks.map((lock, i) => ({ ...lock, fd: numbers[i] ?? lock.fd })));
  if (intents.length > 0) {
    env[INTENTS_ENV] = encodeIntentsEnv(intents.map((item, i) => ({ ...item, fd: numbers[locks.length + i] ?? item.fd })));
  }
  return { stdio, env, held };
}

/** The intents to hand down to CMD — ancestors' (verified) and ours — so a nested `dblock exec --writes` passes through them. */
export function intentsForChild(intent: IntentHandle | undefined): InheritedIntent[] {
  const list: InheritedIntent[] = inheritedIntents();
  if (intent !== undefined && intent.fd >= 0)
    list.push({ registry: intent.registry, task: intent.taskId, token: intent.token, fd: intent.fd });
  return list;
}
