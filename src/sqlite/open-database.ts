import { DblockError } from '../errors.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { openStep, readState, setSynchronous } from './apply-changes.js';
import { fromSqliteError, openConnection } from './connection.js';
import { type Database, SqliteDatabase } from './database.js';
import { assertSqliteHeader, readHeader } from './header.js';
import { openInitialised } from './initialise.js';
import { loadMigrations } from './migrations.js';
import { type OpenDatabaseOptions, type ResolvedOptions, resolveOpenOptions } from './options.js';

/**
 * Open a SQLite database for many processes at once. The first open in a process runs
 * initialisation under the `.init.lock` sidecar: the header is checked before any connection exists
 * (a file that is not SQLite is refused and left unchanged), the journal mode is set only when it
 * differs (never away from WAL), and migrations are applied exactly once across all openers.
 * Every wait (dblock's locks, and SQLite's own lock held by another connection) is bounded by `timeout`.
 * @throws DblockError ENOTDB, ENETFS, EMIGRATION, ELOCKTIMEOUT, EBADTARGET, ENOINPUT (readonly, missing), EUSAGE (bad or unknown option)
 * @example
 * const db = await openDatabase('app.db', { migrations: ['CREATE TABLE jobs (id INTEGER PRIMARY KEY, name TEXT)'] });
 * await db.write((sqlite) => sqlite.prepare('INSERT INTO jobs (name) VALUES (?)').run('build'));
 * await db.close();
 */
export async function openDatabase(path: string, options: OpenDatabaseOptions = {}): Promise<Database> {
  const opts = resolveOpenOptions(options);
  const canonical = canonicalizeTarget(path);
  if (opts.readonly) return await openReadonly(canonical, opts);
  const { conn, transactor, report } = await openInitialised(canonical, opts, loadMigrations(opts.migrations));
  return new SqliteDatabase(canonical, conn, transactor, opts, report);
}

async function openReadonly(path: string, opts: ResolvedOptions): Promise<Database> {
  const step = openStep(path, opts, () => false);
  const header = readHeader(path);
  if (header.state === 'missing') throw new DblockError('ENOINPUT', `no such database: ${path}`);
  assertSqliteHeader(path, header);
  const conn = openConnection(path, { readonly: true, busyTimeoutMs: 0 });
  try {
    const { journalMode, userVersion } = await step(() => readState(conn.sqlite), 'reading the journal mode and user_version');
    setSynchronous(conn.sqlite, journalMode, opts);
    const report = { fastPath: false, created: false, journalMode, userVersion, applied: [], keptWal: false };
    return new SqliteDatabase(path, conn, undefined, opts, report);
  } catch (err) {
    conn.close();
    throw fromSqliteError(err, path);
  }
}
