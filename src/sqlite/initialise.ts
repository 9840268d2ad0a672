import { DblockError } from '../errors.js';
import { type LockOptions, withLock } from '../lock/acquire.js';
import { heldInContext, inheritedLocks } from '../lock/held-locks.js';
import { detectNetworkFs } from '../path/fs-type.js';
import { resolveLockTarget } from '../path/sidecar-path.js';
import { type Connection, fromSqliteError, openConnection, type SqliteConnection } from './connection.js';
import { assertSqliteHeader, readHeader } from './header.js';
import { isInitialised, rememberInitialised } from './init-cache.js';
import type { Migration } from './migrations.js';
import type { ResolvedOptions } from './options.js';
import { Transactor } from './transaction.js';

/** What opening a database did. */
export interface OpenReport {
  /** This process had initialised the file already and skipped the init lock. */
  fastPath: boolean;
  /** The file was missing or empty before this open. */
  created: boolean;
  /** The journal mode in force now. */
  journalMode: string;
  /** `PRAGMA user_version` now. */
  userVersion: number;
  /** Names of the migrations this open applied (usually none: another opener got there first). */
  applied: string[];
  /** A rollback journal was asked for, but the database is in WAL and dblock never downgrades it. */
  keptWal: boolean;
}

/** A connection ready for writes, and what initialising it did. */
export interface Initialised {
  readonly conn: Connection;
  readonly transactor: Transactor;
  readonly report: OpenReport;
}

/**
 * Open `path` (canonical) read-write and bring it to the asked journal mode and schema version:
 * under `.init.lock`, taking `.lock` only while changing the database (lock order: init first).
 * A process that initialised the file before takes the fast path: no init lock.
 */
export async function openInitialised(path: string, opts: ResolvedOptions, migrations: Migration[]): Promise<Initialised> {
  const deadline = performance.now() + opts.lockTimeoutMs;
  const version = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (isInitialised(path, opts.journalMode, version)) {
    const fast = openFast(path, opts, version);
    if (fast !== undefined) return fast;
  }
  // Refuse a file that is not SQLite before creating sidecars beside it (checked again under the lock).
  assertSqliteHeader(path, readHeader(path));
  const lockOptions = (): LockOptions => ({
    timeout: Math.max(0, deadline - performance.now()),
    lockDir: opts.lockDir,
    backend: opts.backend,
  });
  // Holding `.lock` already (an enclosing withLock or `dblock exec`): taking `.init.lock` now would
  // reverse the lock order; `.lock` alone suffices, since every change is made under it anyway.
  const sidecar = holdsWriteLock(path, opts) ? 'lock' : 'init';
  return withLock(path, () => initialiseHolding(path, opts, migrations, deadline, lockOptions), { ...lockOptions(), sidecar });
}

async function initialiseHolding(
  path: string,
  opts: ResolvedOptions,
  migrations: Migration[],
  deadline: number,
  lockOptions: () => LockOptions,
): Promise<Initialised> {
  const header = readHeader(path);
  assertSqliteHeader(path, header);
  if ((opts.journalMode === 'wal' || header.wal === true) && !opts.force) refuseWalOnNetworkFs(path);
  const conn = openConnection(path, { readonly: false, busyTimeoutMs: opts.busyTimeoutMs });
  try {
    const before = readState(conn.sqlite);
    const transactor = new Transactor(conn.sqlite, path, before.journalMode, opts);
    const report: OpenReport = {
      fastPath: false,
      created: header.state === 'missing' || header.state === 'empty',
      ...before,
      applied: [],
      keptWal: before.journalMode === 'wal' && opts.journalMode !== 'wal',
    };
    if (needsJournalChange(before.journalMode, opts.journalMode) || migrations.some((m) => m.version > before.userVersion)) {
      await withLock(path, () => applyChanges(conn.sqlite, transactor, opts, migrations, deadline, report), lockOptions());
    }
    setSynchronous(conn.sqlite, report.journalMode, opts);
    rememberInitialised(path, report.journalMode, report.userVersion);
    return { conn, transactor, report };
  } catch (err) {
    conn.close();
    throw fromSqliteError(err, path);
  }
}

/** Under `.lock`: re-read (another opener may have done the work while we waited), then change. */
async function applyChanges(
  sqlite: SqliteConnection,
  transactor: Transactor,
  opts: ResolvedOptions,
  migrations: Migration[],
  deadline: number,
  report: OpenReport,
): Promise<void> {
  const now = readState(sqlite);
  if (needsJournalChange(now.journalMode, opts.journalMode)) {
    const set = String(sqlite.pragma(`journal_mode = ${opts.journalMode}`, { simple: true })).toLowerCase();
    if (set !== opts.journalMode) {
      throw new DblockError(
        'ELOCKTIMEOUT',
        `could not set journal_mode=${opts.journalMode} on ${sqlite.name} (still ${set}): other connections kept it busy`,
      );
    }
    transactor.rollbackJournal = set !== 'wal';
  }
  report.journalMode = readState(sqlite).journalMode;
  for (const migration of migrations) {
    const applied = await transactor.run((db) => applyMigration(db, migration), deadline);
    if (applied) report.applied.push(migration.name);
  }
  report.userVersion = readState(sqlite).userVersion;
}

/** One migration in the caller's transaction, unless `user_version` shows it is already in. */
function applyMigration(sqlite: SqliteConnection, migration: Migration): boolean {
  if ((sqlite.pragma('user_version', { simple: true }) as number) >= migration.version) return false;
  try {
    sqlite.exec(migration.sql);
  } catch (err) {
    const message = (err as Error).message;
    throw new DblockError('EMIGRATION', `migration ${migration.name} failed (rolled back): ${message}`, { cause: err });
  }
  sqlite.pragma(`user_version = ${migration.version}`);
  return true;
}

function readState(sqlite: SqliteConnection): { journalMode: string; userVersion: number } {
  return {
    journalMode: String(sqlite.pragma('journal_mode', { simple: true })).toLowerCase(),
    userVersion: sqlite.pragma('user_version', { simple: true }) as number,
  };
}

/** Set only when different, and never away from WAL: re-issuing it under live writers has recreated `-wal`/`-shm`. */
function needsJournalChange(current: string, wanted: string): boolean {
  return current !== wanted && current !== 'wal';
}

/** The connection's `synchronous`: the option, else NORMAL in WAL (see OpenDatabaseOptions.synchronous). */
export function setSynchronous(sqlite: SqliteConnection, journalMode: string, opts: ResolvedOptions): void {
  const level = opts.synchronous ?? (journalMode === 'wal' ? 'NORMAL' : undefined);
  if (level !== undefined) sqlite.pragma(`synchronous = ${level}`);
}

function openFast(path: string, opts: ResolvedOptions, version: number): Initialised | undefined {
  const conn = openConnection(path, { readonly: false, busyTimeoutMs: opts.busyTimeoutMs });
  // The file may have been replaced between the check and the open: then initialise properly.
  if (!isInitialised(path, opts.journalMode, version)) {
    conn.close();
    return undefined;
  }
  const state = readState(conn.sqlite);
  setSynchronous(conn.sqlite, state.journalMode, opts);
  const transactor = new Transactor(conn.sqlite, path, state.journalMode, opts);
  const keptWal = state.journalMode === 'wal' && opts.journalMode !== 'wal';
  return { conn, transactor, report: { fastPath: true, created: false, ...state, applied: [], keptWal } };
}

function refuseWalOnNetworkFs(path: string): void {
  const fs = detectNetworkFs(path);
  if (fs === undefined) return;
  throw new DblockError(
    'ENETFS',
    `${path} is on a network filesystem (${fs}): SQLite's WAL needs shared memory that ${fs} does not provide; use journal mode delete, or force it`,
  );
}

function holdsWriteLock(path: string, opts: ResolvedOptions): boolean {
  const { lockPath } = resolveLockTarget(path, { lockDir: opts.lockDir });
  return heldInContext(lockPath) === 'exclusive' || inheritedLocks().get(lockPath)?.mode === 'exclusive';
}
