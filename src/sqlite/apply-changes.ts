import { DblockError } from '../errors.js';
import { type BusyPhase, retryBusy } from './busy-retry.js';
import { isBusy, type SqliteConnection } from './connection.js';
import type { Migration } from './migrations.js';
import type { ResolvedOptions } from './options.js';
import type { Transactor } from './transaction.js';

/** The part of an open's report that applying changes fills in. */
export interface ChangeReport {
  journalMode: string;
  userVersion: number;
  applied: string[];
}

/** Under `.lock`: re-read (another opener may have done the work while we waited), then change. */
export async function applyChanges(
  sqlite: SqliteConnection,
  transactor: Transactor,
  opts: ResolvedOptions,
  migrations: Migration[],
  step: OpenStep,
  report: ChangeReport,
): Promise<void> {
  const now = await step(() => readState(sqlite), 'reading the journal mode');
  if (needsJournalChange(now.journalMode, opts.journalMode)) {
    // Needs every other connection gone (SQLITE_BUSY until then): retried within the timeout.
    const pragma = `journal_mode = ${opts.journalMode}`;
    const set = String(await step(() => sqlite.pragma(pragma, { simple: true }), `PRAGMA ${pragma}`)).toLowerCase();
    if (set !== opts.journalMode) {
      throw new DblockError(
        'ELOCKTIMEOUT',
        `could not set journal_mode=${opts.journalMode} on ${sqlite.name} (still ${set}): other connections kept it busy`,
      );
    }
    transactor.rollbackJournal = set !== 'wal';
  }
  report.journalMode = (await step(() => readState(sqlite), 'reading the journal mode')).journalMode;
  for (const migration of migrations) {
    const applied = await transactor.run((db) => applyMigration(db, migration), step.deadline);
    if (applied) report.applied.push(migration.name);
  }
  report.userVersion = (await step(() => readState(sqlite), 'reading user_version')).userVersion;
}

/**
 * Runs one synchronous step of opening (a read or PRAGMA on a connection whose busy timeout is 0),
 * retrying SQLITE_BUSY off the event loop until `deadline`; `what` names the step in a timeout.
 */
export interface OpenStep {
  <T>(fn: () => T, what: string): Promise<T>;
  readonly deadline: number;
}

/** The OpenStep of one open: all its waits share one deadline and report to `onBusy`. */
export function openStep(path: string, opts: Pick<ResolvedOptions, 'timeoutMs' | 'onBusy'>, holdsLock: () => boolean): OpenStep {
  const started = performance.now();
  const deadline = started + opts.timeoutMs;
  const onBusy = opts.onBusy === undefined ? undefined : (phase: BusyPhase, attempt: number) => opts.onBusy?.({ phase, attempt });
  const step = <T>(fn: () => T, what: string): Promise<T> =>
    retryBusy(fn, { phase: 'open', path, deadline, started, onBusy, what, holdsLock: holdsLock() });
  return Object.assign(step, { deadline });
}

/** One migration in the caller's transaction, unless `user_version` shows it is already in. */
function applyMigration(sqlite: SqliteConnection, migration: Migration): boolean {
  if ((sqlite.pragma('user_version', { simple: true }) as number) >= migration.version) return false;
  try {
    sqlite.exec(migration.sql);
  } catch (err) {
    // Another connection's lock is not the migration's fault: the caller maps it to ELOCKTIMEOUT.
    if (isBusy(err)) throw err;
    const message = (err as Error).message;
    throw new DblockError('EMIGRATION', `migration ${migration.name} failed (rolled back): ${message}`, { cause: err });
  }
  // loadMigrations refuses transaction control up front; should a statement still end our transaction, stop here.
  if (!sqlite.inTransaction) {
    throw new DblockError('EMIGRATION', `migration ${migration.name} ended dblock's transaction itself; user_version not moved`);
  }
  sqlite.pragma(`user_version = ${migration.version}`);
  return true;
}

/** The journal mode and schema version as the connection sees them now (reading changes nothing). */
export function readState(sqlite: SqliteConnection): { journalMode: string; userVersion: number } {
  return {
    journalMode: String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase(),
    userVersion: sqlite.pragma('user_version', { simple: true }) as number,
  };
}

/** Set only when different, and never away from WAL: re-issuing it under live writers has recreated `-wal`/`-shm`. */
export function needsJournalChange(current: string, wanted: string): boolean {
  return current !== wanted && current !== 'wal';
}

/** The connection's `synchronous`: the option, else NORMAL in WAL (see OpenDatabaseOptions.synchronous). */
export function setSynchronous(sqlite: SqliteConnection, journalMode: string, opts: ResolvedOptions): void {
  const level = opts.synchronous ?? (journalMode === 'wal' ? 'NORMAL' : undefined);
  if (level !== undefined) sqlite.pragma(`synchronous = ${level}`);
}
