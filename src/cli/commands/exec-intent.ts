import { constants } from 'node:os';
import { DblockError } from '../../errors.js';
import { declareIntent } from '../../intent/declare.js';
import { formatAge } from '../../intent/format.js';
import type { IntentHandle } from '../../intent/intent-handle.js';
import type { IntentConflict, IntentPolicy } from '../../intent/types.js';
import { parseCliDuration } from '../../options.js';
import { setLongTimeout } from '../../util/bounded-wait.js';
import type { CommandContext } from '../command-spec.js';

/** The write-intent flags of `dblock exec`. */
export interface IntentFlags {
  writes?: string[];
  policy?: string;
  ttl?: string;
  taskId?: string;
  registry?: string;
  /** With a postgres:// registry: the shared root that --writes paths are relative to. */
  scope?: string;
  /** The local directory that is the scope's root. */
  scopeRoot?: string;
  timeout?: string;
}

/** Declare the intent `--writes` asks for (undefined without `--writes`), saying what happened on stderr. */
export async function declareFromFlags(
  ctx: CommandContext,
  flags: IntentFlags,
  command: string,
): Promise<IntentHandle | undefined> {
  if (flags.writes === undefined || flags.writes.length === 0) {
    const stray = (['policy', 'ttl', 'taskId', 'registry', 'scope', 'scopeRoot'] as const).find(
      (name) => flags[name] !== undefined,
    );
    const flag = stray === 'taskId' ? 'task-id' : stray === 'scopeRoot' ? 'scope-root' : stray;
    if (flag !== undefined) throw new DblockError('EUSAGE', `--${flag} needs --writes PATH`);
    return undefined;
  }
  // Ctrl-C while queued: leave the queue cleanly (row removed, conflict logged `aborted`), exit 128+N.
  const controller = new AbortController();
  let interrupted: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupted = signal;
    controller.abort();
  };
  for (const signal of INTERRUPTS) process.on(signal, onSignal);
  let intent: IntentHandle;
  try {
    intent = await declareIntent(flags.writes, {
      policy: flags.policy as IntentPolicy | undefined,
      ttl: parseCliDuration(flags.ttl, 'ttl'),
      taskId: flags.taskId,
      registry: flags.registry,
      scope: flags.scope,
      scopeRoot: flags.scopeRoot,
      timeout: parseCliDuration(flags.timeout, 'timeout'),
      command,
      signal: controller.signal,
      onWarning: (message) => ctx.out.warn(message),
      onQueued: (conflicts) => ctx.out.note(`queued: waiting for ${describeWait(conflicts)}`),
    });
  } catch (err) {
    throw interrupted === undefined ? err : interruption(interrupted, err);
  } finally {
    for (const signal of INTERRUPTS) process.off(signal, onSignal);
  }
  if (interrupted !== undefined) {
    await intent.release();
    throw interruption(interrupted, undefined);
  }
  const waited = intent.waitedMs > 0 && intent.policy === 'queue' ? ` after waiting ${formatAge(intent.waitedMs)}` : '';
  ctx.out.verbose(`write intent ${intent.taskId} admitted${waited}: ${intent.paths.join(' ')}`);
  return intent;
}

const INTERRUPTS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

function interruption(signal: NodeJS.Signals, cause: unknown): DblockError {
  return new DblockError('EABORTED', `interrupted by ${signal} before the command started; write intent withdrawn`, {
    cause,
    exitCode: 128 + (constants.signals[signal] ?? 0),
  });
}

/** `task t-1 (/srv/data/) and 2 more` */
function describeWait(conflicts: readonly IntentConflict[]): string {
  const first = conflicts[0];
  if (first === undefined) return 'overlapping tasks';
  return `task ${first.otherTaskId} (${first.otherPath})${conflicts.length > 1 ? ` and ${conflicts.length - 1} more` : ''}`;
}

/**
 * Warn once if the intent's TTL lapses, or its PostgreSQL session is lost, while CMD still runs:
 * other tasks may claim its paths from then on.
 */
export function warnOnExpiry(ctx: CommandContext, intent: IntentHandle | undefined): () => void {
  if (intent === undefined) return () => {};
  const onLost = (): void =>
    ctx.out.warn(
      `write intent ${intent.taskId} lost (its postgres session ended): other tasks may now claim ${intent.paths.join(' ')}`,
    );
  intent.lost.addEventListener('abort', onLost, { once: true });
  const stopLost = (): void => intent.lost.removeEventListener('abort', onLost);
  const at = intent.expiresAt?.getTime();
  if (at === undefined) return stopLost;
  const cancel = setLongTimeout(
    () => ctx.out.warn(`write intent ${intent.taskId} expired (TTL): other tasks may now claim ${intent.paths.join(' ')}`),
    Math.max(0, at - Date.now()),
    { unref: true },
  );
  return () => {
    cancel();
    stopLost();
  };
}
