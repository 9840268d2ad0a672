import { openConnection, type SqliteConnection } from '../sqlite/connection.js';
import { openDatabase } from '../sqlite/open-database.js';
import type { JournalMode } from '../sqlite/options.js';
import type { StressLock, StressMode } from './options.js';

/** One write transaction at a time, in whichever way the stress mode writes. */
export interface StressWriter {
  /** BEGIN IMMEDIATE, `fn`, COMMIT (rolled back if anything throws). */
  write(fn: (sqlite: SqliteConnection) => void): Promise<void>;
  /** SQLITE_BUSY retries so far (at BEGIN or COMMIT). */
  retries(): number;
  close(): Promise<void>;
}

/** Open `db` (canonical, already initialised by the runner) the way `mode` says. */
export async function openStressWriter(
  db: string,
  mode: StressMode,
  journalMode: JournalMode,
  lock: StressLock,
  lockTimeoutMs?: number,
): Promise<StressWriter> {
  if (mode === 'unsafe') return openBareWriter(db);
  const database = await openDatabase(db, { concurrency: mode, journalMode, timeout: lockTimeoutMs, ...lock });
  return {
    write: (fn) => database.write(fn),
    retries: () => database.stats().busyRetries,
    close: () => database.close(),
  };
}

/**
 * `unsafe`: a bare connection with busy timeout 0 and no retries, as an application without dblock
 * would write. The first SQLITE_BUSY fails the transaction, so lost writes show up in the report.
 */
function openBareWriter(db: string): StressWriter {
  const conn = openConnection(db, { readonly: false, busyTimeoutMs: 0 });
  const { sqlite } = conn;
  const begin = sqlite.prepare<[]>('BEGIN IMMEDIATE');
  const commit = sqlite.prepare<[]>('COMMIT');
  return {
    write: async (fn) => {
      begin.run();
      try {
        fn(sqlite);
        commit.run();
      } catch (err) {
        if (sqlite.inTransaction) sqlite.exec('ROLLBACK');
        throw err;
      }
    },
    retries: () => 0,
    close: async () => conn.close(),
  };
}
