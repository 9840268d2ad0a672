import { randomBytes } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { DblockError } from '../errors.js';
import { parseDuration, resolveTimeoutMs } from '../options.js';
import { printable } from '../util/printable.js';
import { canonicalizeIntentPaths, type IntentPath } from './paths.js';
import type { IntentConflict, IntentPolicy } from './types.js';
import { INTENT_POLICIES } from './types.js';

/** Options of `declareIntent()`. */
export interface DeclareIntentOptions {
  /** What to do when another in-flight task overlaps these paths. @default 'refuse' */
  policy?: IntentPolicy | undefined;
  /** `queue`: how long to wait for the overlapping tasks: `5s`, `2m`, `inf`, a number of ms. @default DBLOCK_TIMEOUT or 30s */
  timeout?: string | number | undefined;
  /** The intent lapses this long after admission even if the task still runs (`10m`, ms). @default none */
  ttl?: string | number | undefined;
  /** Name of the task (unique among in-flight tasks). @default a generated `t-…` id */
  taskId?: string | undefined;
  /** The registry database file. @default `$DBLOCK_HOME/intents.db` (`~/.local/state/dblock/intents.db`) */
  registry?: string | undefined;
  /** The command named in the registry and in others' errors. @default this process's command line */
  command?: string | undefined;
  /** Give up a `queue` wait when this signal aborts. */
  signal?: AbortSignal | undefined;
  /** `warn`: receives the one-line warning. @default process.emitWarning */
  onWarning?: ((message: string, conflicts: readonly IntentConflict[]) => void) | undefined;
  /** `queue`: called once when the submission has to wait, with the tasks in the way. */
  onQueued?: ((conflicts: readonly IntentConflict[]) => void) | undefined;
}

/** Options validated, with defaults applied. */
export interface ResolvedIntentOptions {
  readonly paths: IntentPath[];
  readonly policy: IntentPolicy;
  readonly timeoutMs: number;
  readonly ttlMs: number | undefined;
  readonly taskId: string;
  readonly registry: string | undefined;
  readonly command: string | undefined;
  readonly signal: AbortSignal | undefined;
}

const TASK_ID = /^[^\s\p{Cc}]{1,200}$/u;

/**
 * Validate at the boundary, with messages naming the option and the bad value.
 * @throws DblockError EUSAGE (empty paths, unknown policy, bad duration or task id), EBADTARGET
 */
export function resolveIntentOptions(paths: string | readonly string[], options: DeclareIntentOptions): ResolvedIntentOptions {
  const policy = options.policy ?? DEFAULTS.policy;
  if (!INTENT_POLICIES.includes(policy)) {
    throw new DblockError('EUSAGE', `Expected \`policy\` to be one of ${INTENT_POLICIES.join(', ')}, got \`${String(policy)}\``);
  }
  const ttlMs = options.ttl === undefined ? undefined : parseDuration(options.ttl, 'ttl');
  if (ttlMs === 0) throw new DblockError('EUSAGE', 'Expected `ttl` to be a duration above 0 such as 10m, or inf, got `0`');
  const taskId = options.taskId ?? newTaskId();
  if (typeof taskId !== 'string' || !TASK_ID.test(taskId)) {
    throw new DblockError(
      'EUSAGE',
      `Expected \`task-id\` to be 1-200 characters without spaces, got \`${printable(String(taskId))}\``,
    );
  }
  return {
    paths: canonicalizeIntentPaths(typeof paths === 'string' ? [paths] : paths),
    policy,
    timeoutMs: resolveTimeoutMs(options.timeout),
    ttlMs: ttlMs === Number.POSITIVE_INFINITY ? undefined : ttlMs,
    taskId,
    registry: options.registry,
    command: options.command,
    signal: options.signal,
  };
}

/** `t-` and 10 hex digits: short enough to say, random enough never to meet another in-flight id. */
export function newTaskId(): string {
  return `t-${randomBytes(5).toString('hex')}`;
}
