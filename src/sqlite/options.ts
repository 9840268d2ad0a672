import type { BackendName } from '../backend/types.js';
import { DblockError } from '../errors.js';
import { assertKnownOptions, parseStale, resolveTimeoutMs } from '../options.js';
import type { BusyPhase } from './busy-retry.js';

/**
 * How writers are kept apart. `serialized`: every write holds the sidecar `.lock` from
 * `BEGIN IMMEDIATE` to after the invariant, so writers queue fairly and never see SQLITE_BUSY from
 * each other. `wal`: no sidecar lock; SQLite's own locking with busy timeout and jittered retries.
 */
export type Concurrency = 'serialized' | 'wal';

/** SQLite journal modes dblock will set (`memory` and `off` lose data on a crash, so they are refused). */
export type JournalMode = 'wal' | 'delete' | 'truncate' | 'persist';

/** `PRAGMA synchronous` levels. */
export type SynchronousMode = 'OFF' | 'NORMAL' | 'FULL' | 'EXTRA';

/** Options of `openDatabase()`. */
export interface OpenDatabaseOptions {
  /** How writers are kept apart (see {@link Concurrency}). @default 'serialized' */
  concurrency?: Concurrency | undefined;
  /** Journal mode to set when the database is initialised; a live WAL database is never downgraded. @default 'wal' */
  journalMode?: JournalMode | undefined;
  /**
   * `PRAGMA synchronous` for this connection. In WAL mode `NORMAL` (the default there) never
   * corrupts the database, but a power loss or OS crash (not an application crash) may roll back the
   * last transactions committed before it; `FULL` fsyncs the WAL on every commit and keeps them, at
   * a cost per commit. In rollback-journal modes the default is SQLite's own, `FULL`.
   * @default 'NORMAL' in WAL mode, else 'FULL'
   */
  synchronous?: SynchronousMode | undefined;
  /**
   * How long any wait may last: opening and initialising (dblock's locks and SQLite's own, held by
   * another connection), and each write (the lock, SQLITE_BUSY retries at BEGIN and COMMIT). `5s`,
   * `250ms`, a number of milliseconds, `0` = try once, `inf`. The same name as `lock()`'s.
   * @default DBLOCK_TIMEOUT or 30s
   */
  timeout?: number | string | undefined;
  /** @deprecated The old name of {@link OpenDatabaseOptions.timeout}; give one or the other. */
  lockTimeoutMs?: number | string | undefined;
  /**
   * How long `read()` waits for another connection's lock before its snapshot (then ELOCKTIMEOUT),
   * off the event loop. SQLite's own busy handler, which sleeps on the main thread, stays off.
   * @default 5000, or `timeout` when that is shorter
   */
  busyTimeoutMs?: number | undefined;
  /**
   * Schema migrations, tracked by `PRAGMA user_version`, each applied once in its own transaction:
   * an array of SQL strings (migration i is version i + 1) or a directory of numbered `.sql` files
   * (`001_init.sql`, `002_users.sql`; the number is the version).
   */
  migrations?: readonly string[] | string | undefined;
  /** Open read-only: no initialisation, no locks; `write()` is refused. @default false */
  readonly?: boolean | undefined;
  /** Keep sidecars in this directory instead of beside the database. */
  lockDir?: string | undefined;
  /** Lock backend for the sidecars. @default 'flock' */
  backend?: BackendName | undefined;
  /** mkdir backend: take over a lock whose heartbeat stopped this long ago (at least 2 s). @default '10s' */
  stale?: number | string | undefined;
  /** postgres backend: the lock server's URL. @default DBLOCK_POSTGRES_URL, else the PG* variables */
  url?: string | undefined;
  /** Use WAL even on a network filesystem, where SQLite's shared memory does not work. @default false */
  force?: boolean | undefined;
  /**
   * Called each time SQLITE_BUSY is met and dblock is about to back off and retry: at a write's BEGIN
   * or COMMIT, or (`open`) while opening, when another connection holds SQLite's lock.
   */
  onBusy?: ((event: { phase: BusyPhase; attempt: number }) => void) | undefined;
  /**
   * Keep `-wal` under this many bytes: past it, a write (still under the write lock) runs
   * `wal_checkpoint(TRUNCATE)` without waiting for readers; readers that block it are recorded for
   * `dblock check` and it is retried after later writes. SQLite's own auto-checkpoint keeps a healthy WAL
   * near 4 MiB, so the default fires only when readers kept checkpoints from finishing.
   * `0` or `Infinity` turns it off. WAL mode only.
   * @default 67108864 (64 MiB)
   */
  maxWalBytes?: number | undefined;
}

/** Options with defaults applied and values validated. */
export interface ResolvedOptions {
  readonly concurrency: Concurrency;
  readonly journalMode: JournalMode;
  readonly synchronous: SynchronousMode | undefined;
  readonly busyTimeoutMs: number;
  /** Bound on every wait, in milliseconds (`Infinity` waits forever). */
  readonly timeoutMs: number;
  readonly migrations: readonly string[] | string;
  readonly readonly: boolean;
  readonly lockDir: string | undefined;
  readonly backend: BackendName | undefined;
  readonly staleMs: number | undefined;
  readonly url: string | undefined;
  readonly force: boolean;
  readonly onBusy: OpenDatabaseOptions['onBusy'];
  /** The WAL bound in bytes; `Infinity` when off. */
  readonly maxWalBytes: number;
}

const CONCURRENCY: readonly Concurrency[] = ['serialized', 'wal'];
const JOURNAL_MODES: readonly JournalMode[] = ['wal', 'delete', 'truncate', 'persist'];
const SYNCHRONOUS: readonly SynchronousMode[] = ['OFF', 'NORMAL', 'FULL', 'EXTRA'];

const OPTION_NAMES: readonly (keyof OpenDatabaseOptions)[] = [
  'concurrency',
  'journalMode',
  'synchronous',
  'timeout',
  'lockTimeoutMs',
  'busyTimeoutMs',
  'migrations',
  'readonly',
  'lockDir',
  'backend',
  'stale',
  'url',
  'force',
  'onBusy',
  'maxWalBytes',
];

/** Default WAL bound: 16× the ~4 MiB WAL that SQLite's auto-checkpoint (1000 pages) keeps, so it never fires on a healthy database. */
export const DEFAULT_MAX_WAL_BYTES = 64 * 1024 * 1024;

/** Default SQLite busy timeout, in milliseconds. */
export const DEFAULT_BUSY_TIMEOUT_MS = 5000;

/** Apply defaults and validate, with messages that name the option and the bad value. */
export function resolveOpenOptions(options: OpenDatabaseOptions): ResolvedOptions {
  assertKnownOptions(options, OPTION_NAMES, 'openDatabase');
  if (options.timeout !== undefined && options.lockTimeoutMs !== undefined) {
    throw new DblockError('EUSAGE', 'give `timeout` or its old name `lockTimeoutMs`, not both');
  }
  const timeoutMs = resolveTimeoutMs(options.timeout ?? options.lockTimeoutMs);
  const synchronous = options.synchronous?.toUpperCase() as SynchronousMode | undefined;
  // SQLite's busy handler sleeps on the main thread: never longer than the caller's own bound.
  const busyTimeoutMs = options.busyTimeoutMs ?? Math.min(DEFAULT_BUSY_TIMEOUT_MS, timeoutMs);
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new DblockError('EUSAGE', `Expected \`busyTimeoutMs\` to be an integer ≥ 0, got \`${String(busyTimeoutMs)}\``);
  }
  const migrations = options.migrations ?? [];
  if (typeof migrations !== 'string' && !(Array.isArray(migrations) && migrations.every((m) => typeof m === 'string'))) {
    throw new DblockError('EUSAGE', 'Expected `migrations` to be an array of SQL strings or a directory path');
  }
  const maxWalBytes = options.maxWalBytes ?? DEFAULT_MAX_WAL_BYTES;
  if (
    typeof maxWalBytes !== 'number' ||
    !(Number.isSafeInteger(maxWalBytes) || maxWalBytes === Number.POSITIVE_INFINITY) ||
    maxWalBytes < 0
  ) {
    throw new DblockError(
      'EUSAGE',
      `Expected \`maxWalBytes\` to be a number of bytes ≥ 0 or Infinity, got \`${String(maxWalBytes)}\``,
    );
  }
  return {
    concurrency: oneOf('concurrency', options.concurrency ?? 'serialized', CONCURRENCY),
    journalMode: oneOf('journalMode', (options.journalMode ?? 'wal').toLowerCase() as JournalMode, JOURNAL_MODES),
    synchronous: synchronous === undefined ? undefined : oneOf('synchronous', synchronous, SYNCHRONOUS),
    busyTimeoutMs,
    timeoutMs,
    migrations,
    readonly: options.readonly === true,
    lockDir: options.lockDir,
    backend: options.backend,
    staleMs: options.stale === undefined ? undefined : parseStale(options.stale),
    url: options.url,
    force: options.force === true,
    onBusy: options.onBusy,
    maxWalBytes: maxWalBytes === 0 ? Number.POSITIVE_INFINITY : maxWalBytes,
  };
}

function oneOf<T extends string>(name: string, value: T, allowed: readonly T[]): T {
  if (!allowed.includes(value)) {
    throw new DblockError('EUSAGE', `Expected \`${name}\` to be one of ${allowed.join(', ')}, got \`${String(value)}\``);
  }
  return value;
}
