import { describeHolder } from '../errors.js';
import { type LockOptions, lock, withLock } from '../lock/acquire.js';
import { selectBackend } from '../lock/backends.js';
import { readHolder } from '../lock/holder-record.js';
import type { LockHandle } from '../lock/lock-handle.js';
import { writeWaitReport } from '../lock/wait-report.js';
import { resolveLockTarget } from '../path/sidecar-path.js';
import type { CommandContext } from './command-spec.js';

/** A wait shorter than this says nothing: most locks are taken at once or within a hand-off. */
export const WAIT_NOTICE_MS = 1000;
const CLEAR_LINE = '\r\x1b[K';

/**
 * `lock()` as a command takes it: after about a second of waiting, one line on stderr naming the
 * lock and its holder (on a terminal, or with -v), updated in place on a terminal and erased once
 * the lock is held; with -v, how long it took and whom it waited for.
 */
export async function lockForCommand(ctx: CommandContext, target: string, options: LockOptions): Promise<LockHandle> {
  const notice = watchWait(ctx, target, options);
  let held: LockHandle;
  try {
    held = await lock(target, options);
  } finally {
    notice.stop();
  }
  reportAcquired(ctx, held);
  return held;
}

/** `withLock()` with the same reporting as lockForCommand (nested library calls on the target pass through). */
export async function withLockForCommand<T>(
  ctx: CommandContext,
  target: string,
  options: LockOptions,
  fn: () => Promise<T> | T,
): Promise<T> {
  const notice = watchWait(ctx, target, options);
  try {
    return await withLock(
      target,
      (held) => {
        notice.stop();
        reportAcquired(ctx, held);
        return fn();
      },
      options,
    );
  } finally {
    notice.stop();
  }
}

/** With -v: `exclusive lock /srv/app.db.lock acquired in 1203.4ms (waited for pid 4121 "…" …)`. */
export function reportAcquired(ctx: CommandContext, held: LockHandle): void {
  const how = held.reentrant ? 'already held by an ancestor; passing through' : `acquired in ${held.waitedMs.toFixed(1)}ms`;
  const after = held.waitedFor === undefined ? '' : ` (waited for ${describeHolder(held.waitedFor)})`;
  ctx.out.verbose(`${held.mode} lock ${held.lockPath} ${how}${after}`);
  writeWaitReport(held);
}

/** The waiting line's timer; `stop()` cancels it and erases a line drawn in place. */
function watchWait(ctx: CommandContext, target: string, options: LockOptions): { stop: () => void } {
  const { out, io } = ctx;
  if (out.quiet || !(io.isTTY || out.flags.verbose === true)) return { stop: () => {} };
  // In place only on a terminal that understands the escape; elsewhere one plain line, once.
  const live = io.isTTY && process.env.TERM !== 'dumb';
  const started = performance.now();
  let drawn = false;
  let timer: NodeJS.Timeout | undefined;
  const draw = (): void => {
    const line = `dblock: ${describeWait(target, options)} (${Math.round((performance.now() - started) / 1000)}s)`;
    if (live) {
      io.stderr(`${CLEAR_LINE}${line}`);
      timer = setTimeout(draw, 1000).unref();
    } else {
      io.stderr(`${line}\n`);
    }
    drawn = true;
  };
  timer = setTimeout(draw, WAIT_NOTICE_MS).unref();
  return {
    stop: () => {
      clearTimeout(timer);
      if (drawn && live) io.stderr(CLEAR_LINE);
      drawn = false;
    },
  };
}

/** `waiting for /srv/app.db.lock, held by pid 4121 "sleep 9" on host ci-3 since 12:04:31` */
function describeWait(target: string, options: LockOptions): string {
  try {
    const kind = options.exact ? 'lock' : 'db';
    const { lockPath } = resolveLockTarget(target, { kind, sidecar: options.sidecar, lockDir: options.lockDir });
    const holder = readHolder(selectBackend(options.backend), lockPath);
    return `waiting for ${lockPath}${holder === undefined ? '' : `, held by ${describeHolder(holder)}`}`;
  } catch {
    return `waiting for the lock on ${target}`;
  }
}
