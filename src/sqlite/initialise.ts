import { DblockError } from '../errors.js';
import { type LockOptions, withLock } from '../lock/acquire.js';
import { heldInContext, inheritedLocks } from '../lock/held-locks.js';
import { detectNetworkFs } from '../path/fs-type.js';
import { resolveLockTarget } from '../path/sidecar-path.js';
import { applyChanges, needsJournalChange, type OpenStep, openStep, readState, setSynchronous } from './apply-changes.js';
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
  const underLock = { held: false };
  const step = openStep(path, opts, () => underLock.held);
  const deadline = step.deadline;
  const version = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  if (isInitialised(path, opts.journalMode, version)) {
    const fast = await openFast(path, opts, version, step);
    if (fast !== undefined) return fast;
  }
  // Refuse a file that is not SQLite before creating sidecars beside it (checked again under the lock).
  assertSqliteHeader(path, readHeader(path));
  const lockOptions = (): LockOptions => ({
    timeout: Math.max(0, deadline - performance.now()),
    lockDir: opts.lockDir,
    backend: opts.backend,
    stale: opts.staleMs,
    url: opts.url,
  });
  // Holding `.lock` already (an enclosing withLock or `dblock exec`): taking `.init.lock` now would
  // reverse the lock order; `.lock` alone suffices, since every change is made under it anyway.
  const sidecar = holdsWriteLock(path, opts) ? 'lock' : 'init';
  const init = { opts, migrations, step, lockOptions, underLock };
  return withLock(path, () => initialiseHolding(path, init), { ...lockOptions(), sidecar });
}

interface InitContext {
  readonly opts: ResolvedOptions;
  readonly migrations: Migration[];
  readonly step: OpenStep;
  readonly lockOptions: () => LockOptions;
  readonly underLock: { held: boolean };
}

async function initialiseHolding(path: string, init: InitContext): Promise<Initialised> {
  const { opts, migrations, step } = init;
  const header = readHeader(path);
  assertSqliteHeader(path, header);
  if ((opts.journalMode === 'wal' || header.wal === true) && !opts.force) refuseWalOnNetworkFs(path);
  // Busy timeout 0 while opening: another connection's lock answers at once and is waited for off the event loop.
  const conn = openConnection(path, { readonly: false, busyTimeoutMs: 0 });
  try {
    const before = await step(() => readState(conn.sqlite), 'reading the journal mode and user_version');
    const transactor = new Transactor(conn.sqlite, path, before.journalMode, opts);
    const report: OpenReport = {
      fastPath: false,
      created: header.state === 'missing' || header.state === 'empty',
      ...before,
      applied: [],
      keptWal: before.journalMode === 'wal' && opts.journalMode !== 'wal',
    };
    if (needsJournalChange(before.journalMode, opts.journalMode) || migrations.some((m) => m.version > before.userVersion)) {
      const change = async (): Promise<void> => {
        init.underLock.held = true;
        transactor.holdsLock = true;
        try {
          await applyChanges(conn.sqlite, transactor, opts, migrations, step, report);
        } finally {
          init.underLock.held = false;
          transactor.holdsLock = opts.concurrency !== 'wal';
        }
      };
      await withLock(path, change, init.lockOptions());
    }
    setSynchronous(conn.sqlite, report.journalMode, opts);
    rememberInitialised(path, report.journalMode, report.userVersion);
    return { conn, transactor, report };
  } catch (err) {
    conn.close();
    throw fromSqliteError(err, path);
  }
}

async function openFast(path: string, opts: ResolvedOptions, version: number, step: OpenStep): Promise<Initialised | undefined> {
  const conn = openConnection(path, { readonly: false, busyTimeoutMs: 0 });
  try {
    // The file may have been replaced between the check and the open: then initialise properly.
    if (!isInitialised(path, opts.journalMode, version)) {
      conn.close();
      return undefined;
    }
    const state = await step(() => readState(conn.sqlite), 'reading the journal mode and user_version');
    setSynchronous(conn.sqlite, state.journalMode, opts);
    const transactor = new Transactor(conn.sqlite, path, state.journalMode, opts);
    const keptWal = state.journalMode === 'wal' && opts.journalMode !== 'wal';
    return { conn, transactor, report: { fastPath: true, created: false, ...state, applied: [], keptWal } };
  } catch (err) {
    conn.close();
    throw fromSqliteError(err, path);
  }
}

function refuseWalOnNetworkFs(path: string): void {
  const fs = detectNetworkFs(path);
  if (fs === undefined) return;
  throw new DblockError(
    'ENETFS',
    `${path} is on a network filesystem (${fs}): SQLite's WAL needs shared memory that ${fs} does not provide; use journal mode delete, or force it`,
  );
}

/** Whether `.lock` of `path` (canonical) is held exclusive here already: then init must not take `.init.lock` after it. */
export function holdsWriteLock(path: string, opts: { lockDir?: string | undefined }): boolean {
  const { lockPath } = resolveLockTarget(path, { lockDir: opts.lockDir });
  return heldInContext(lockPath) === 'exclusive' || inheritedLocks().get(lockPath)?.mode === 'exclusive';
}
