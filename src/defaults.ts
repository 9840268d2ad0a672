/**
 * Every default and every list of allowed values, in one place: the library's resolvers apply them and
 * the CLI's help text prints them, so the two cannot drift. Imports nothing (any layer may import it).
 */

/** Lock backends: `flock` (kernel lock, local filesystems), `mkdir` (portable), `postgres` (several machines). */
export const BACKEND_NAMES = ['flock', 'mkdir', 'postgres'] as const;
/** SQLite journal modes dblock will set (`memory` and `off` lose data on a crash, so they are refused). */
export const JOURNAL_MODES = ['wal', 'delete', 'truncate', 'persist'] as const;
/** `passive` never waits for readers; `truncate` also resets `-wal` to zero bytes. */
export const CHECKPOINT_MODES = ['passive', 'truncate'] as const;
/** How `openDatabase` keeps writers apart. */
export const CONCURRENCY_MODES = ['serialized', 'wal'] as const;
/** `PRAGMA synchronous` levels. */
export const SYNCHRONOUS_MODES = ['OFF', 'NORMAL', 'FULL', 'EXTRA'] as const;
/** How stress workers write: through dblock's lock, SQLite's own locking, or neither. */
export const STRESS_MODES = ['serialized', 'wal', 'unsafe'] as const;
/** What a write intent does when another in-flight task declared an overlapping path. */
export const INTENT_POLICIES = ['refuse', 'queue', 'warn'] as const;

/** The defaults, by option. Durations are in milliseconds. */
export const DEFAULTS = {
  /** Bound on every lock wait (overridden by `DBLOCK_TIMEOUT`). */
  timeoutMs: 30_000,
  backend: 'flock',
  /** mkdir backend: a lock whose heartbeat stopped this long ago is abandoned (proper-lockfile's default). */
  staleMs: 10_000,
  /** postgres backend: how long a held lock survives without an answered heartbeat (etcdctl's default TTL). */
  leaseMs: 10_000,
  journalMode: 'wal',
  concurrency: 'serialized',
  checkpointMode: 'passive',
  /** SQLite's own busy timeout for the statements dblock cannot retry. */
  busyTimeoutMs: 5000,
  /** 16× the ~4 MiB WAL that SQLite's auto-checkpoint keeps, so it never fires on a healthy database. */
  maxWalBytes: 64 * 1024 * 1024,
  policy: 'refuse',
  /** exec: after a lost lock's SIGTERM, how long CMD has before SIGKILL. */
  lostGraceMs: 2000,
  /** exec --max-hold: how long the process tree gets between SIGTERM and SIGKILL. */
  killAfterMs: 5000,
  stressWorkers: 8,
  stressOps: 40,
  stressMode: 'serialized',
  stressTxnRows: 1,
  /** A stress run's mkdir stale period: each SIGKILLed worker blocks the lock this long at most. */
  stressStaleMs: 3000,
} as const satisfies Record<string, string | number>;

/** `30s`, `250ms`, `2m`: a default duration as help text shows it. */
export function formatDefaultDuration(ms: number): string {
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  if (ms % 1000 === 0) return `${ms / 1000}s`;
  return `${ms}ms`;
}
