import { randomBytes } from 'node:crypto';
import { DEFAULTS } from '../defaults.js';
import { DblockError } from '../errors.js';
import { parseDuration, resolveTimeoutMs } from '../options.js';
import { printable } from '../util/printable.js';
import { canonicalizeIntentPaths, type IntentPath } from './paths.js';
import { checkScopeName, findScopeRoot, isPostgresRegistry, toScopePaths } from './scope.js';
import type { StoreWhere } from './store-where.js';
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
  /**
   * The registry: a SQLite database file, or a PostgreSQL database shared by several machines
   * (`postgres://user@host/db`, or `postgres` for DBLOCK_POSTGRES_URL / the PG* variables; needs `scope`).
   * @default `$DBLOCK_HOME/intents.db` (`~/.local/state/dblock/intents.db`)
   */
  registry?: string | undefined;
  /** With a postgres registry: the shared root paths are relative to, by name (a repo URL, a share). */
  scope?: string | undefined;
  /** The local directory that is the scope's root. @default DBLOCK_SCOPE_ROOT, else the git checkout's top */
  scopeRoot?: string | undefined;
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
  readonly where: StoreWhere;
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
  const where = resolveWhere(options.registry, options.scope, options.scopeRoot);
  const local = canonicalizeIntentPaths(typeof paths === 'string' ? [paths] : paths);
  return {
    paths: where.kind === 'postgres' ? toScopePaths(local, findScopeRoot(options.scopeRoot)) : local,
    policy,
    timeoutMs: resolveTimeoutMs(options.timeout),
    ttlMs: ttlMs === Number.POSITIVE_INFINITY ? undefined : ttlMs,
    taskId,
    where,
    command: options.command,
    signal: options.signal,
  };
}

/** `t-` and 10 hex digits: short enough to say, random enough never to meet another in-flight id. */
export function newTaskId(): string {
  return `t-${randomBytes(5).toString('hex')}`;
}

/**
 * Which store a registry option names. `scope` belongs to a postgres registry only (a SQLite file is
 * one machine's, where canonical paths already name every file). @throws DblockError EUSAGE
 */
export function resolveWhere(registry: string | undefined, scope: string | undefined, scopeRoot?: string): StoreWhere {
  if (isPostgresRegistry(registry)) {
    return { kind: 'postgres', url: registry === 'postgres' ? undefined : registry, scope: checkScopeName(scope) };
  }
  if (scope !== undefined || scopeRoot !== undefined) {
    throw new DblockError(
      'EUSAGE',
      `--${scope !== undefined ? 'scope' : 'scope-root'} needs a postgres registry (--registry postgres://…)`,
    );
  }
  return { kind: 'sqlite', registry };
}
