import { DblockError } from '../errors.js';
import { type LockOptions, withLock } from '../lock/acquire.js';
import { heldInContext, inheritedLocks } from '../lock/held-locks.js';
import { detectNetworkFs } from '../path/fs-type.js';
import { resolveLockTarget } from '../path/sidecar-path.js';
import { applyChanges, needsJournalChange, readState, setSynchronous } from './apply-changes.js';
import { type Connection, fromSqliteError, openConnection } from './connection.js';
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
    url: opts.url,
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
