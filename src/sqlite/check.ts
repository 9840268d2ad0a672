import { statSync } from 'node:fs';
import { DblockError, isDblockError } from '../errors.js';
import { assertKnownOptions, resolveTimeoutMs } from '../options.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { retryBusy } from './busy-retry.js';
import { type Connection, isBusy, openConnection, type SqliteConnection } from './connection.js';
import { type HeaderInfo, readHeader } from './header.js';
import { tornExtend } from './invariant.js';
import { readWalStatus, type WalCheckpointStatus, walStatusPath } from './wal-status.js';

/** What `checkDatabase()` found. `ok` is false when anything failed; `problems` says what. */
export interface CheckReport {
  path: string;
  ok: boolean;
  header: { state: HeaderInfo['state']; pageSize: number | null; walFlag: boolean | null };
  journalMode: string | null;
  pageSize: number | null;
  pageCount: number | null;
  userVersion: number | null;
  fileBytes: number;
  /** Size of `-wal`, or null when there is none. */
  walBytes: number | null;
  /** Size of a rollback `-journal`, or null when there is none (a non-empty one after a crash is hot). */
  journalBytes: number | null;
  /**
   * The last checkpoint a writer ran because `-wal` passed `maxWalBytes` (read from dblock's
   * `.wal-status` file), or null when none ran. `blocked`: readers kept it from truncating the WAL.
   */
  walCheckpoint: WalCheckpointStatus | null;
  integrity: { check: 'quick_check' | 'integrity_check'; ok: boolean; messages: string[] } | null;
  invariant: { applies: boolean; ok: boolean; detail: string } | null;
  problems: string[];
}

/** Options of `checkDatabase()`. */
export interface CheckOptions {
  /** Run `integrity_check` (slower, checks indexes too) instead of `quick_check`. @default false */
  full?: boolean | undefined;
  /**
   * How long to wait while another connection holds SQLite's lock so that nothing can be read (a
   * writer in `BEGIN EXCLUSIVE`, a rollback-journal commit). Milliseconds, or a string with a unit (`5s`);
   * `0` = try once. @default DBLOCK_TIMEOUT or 30s
   */
  timeout?: string | number | undefined;
  /** Where the sidecars live, if not beside the database (for the `.wal-status` file). */
  lockDir?: string | undefined;
}

/**
 * Inspect a database without changing it: the header (read before any connection exists), then a
 * read-only connection for the journal mode, page size and count, `quick_check` (or
 * `integrity_check` with `full`) and the WAL-aware invariant. A file that is not SQLite is reported,
 * not thrown. (A read-only connection may create SQLite's `-shm` index; it never writes the database or `-wal`.)
 * A database another connection keeps locked is not a failed check: it throws ELOCKTIMEOUT.
 * @throws DblockError ENOINPUT when the file does not exist, EBADTARGET when it is not a regular file,
 * ELOCKTIMEOUT when it stayed locked for `timeout`, EUSAGE for a bad or unknown option
 * @example const report = await checkDatabase('app.db', { full: true }); if (!report.ok) console.log(report.problems);
 */
export async function checkDatabase(path: string, options: CheckOptions = {}): Promise<CheckReport> {
  assertKnownOptions(options, ['full', 'timeout', 'lockDir'], 'checkDatabase');
  const started = performance.now();
  const deadline = started + resolveTimeoutMs(options.timeout);
  const canonical = canonicalizeTarget(path);
  const header = readHeader(canonical);
  if (header.state === 'missing') throw new DblockError('ENOINPUT', `no such database: ${canonical}`);
  const report: CheckReport = {
    path: canonical,
    ok: false,
    header: { state: header.state, pageSize: header.pageSize ?? null, walFlag: header.wal ?? null },
    journalMode: null,
    pageSize: null,
    pageCount: null,
    userVersion: null,
    fileBytes: header.fileBytes,
    walBytes: sizeOf(`${canonical}-wal`),
    journalBytes: sizeOf(`${canonical}-journal`),
    walCheckpoint: readWalStatus(walStatusPath(canonical, options.lockDir)),
    integrity: null,
    invariant: null,
    problems: [],
  };
  if (header.state === 'not-sqlite') {
    report.problems.push('not a SQLite database: the header does not say "SQLite format 3"');
    return report;
  }
  let conn: Connection | undefined;
  try {
    // Busy timeout 0: a held lock answers at once, and retryBusy waits for it off the event loop.
    conn = openConnection(canonical, { readonly: true, busyTimeoutMs: 0 });
    const sqlite = conn.sqlite;
    const control = { phase: 'open', path: canonical, deadline, started, what: 'reading the database' } as const;
    await retryBusy(() => inspect(sqlite, canonical, report, options.full === true), control);
  } catch (err) {
    if (isDblockError(err) && err.code === 'ELOCKTIMEOUT') throw err;
    report.problems.push(unreadable(err, canonical));
  } finally {
    conn?.close();
  }
  report.invariant ??= invariantFromHeader(header, report);
  if (report.invariant !== null && !report.invariant.ok) report.problems.push(`invariant: ${report.invariant.detail}`);
  report.ok = report.problems.length === 0;
  return report;
}

function inspect(sqlite: SqliteConnection, path: string, report: CheckReport, full: boolean): void {
  const pragma = (name: string): unknown => sqlite.pragma(name, { simple: true });
  const journalMode = String(pragma('journal_mode')).toLowerCase();
  // One read transaction: in rollback mode it holds SHARED, so no commit lands between count and stat.
  sqlite.exec('BEGIN');
  let facts: { pageSize: number; pageCount: number; userVersion: number; fileBytes: number };
  try {
    facts = {
      pageSize: pragma('page_size') as number,
      pageCount: pragma('page_count') as number,
      userVersion: pragma('user_version') as number,
      fileBytes: statSync(path).size,
    };
  } finally {
    // A BUSY read leaves the transaction open (and is retried from the top).
    if (sqlite.inTransaction) sqlite.exec('COMMIT');
  }
  const check = full ? 'integrity_check' : 'quick_check';
  let integrity: NonNullable<CheckReport['integrity']>;
  try {
    const messages = (sqlite.pragma(check) as Record<string, string>[]).map((row) => String(Object.values(row)[0]));
    integrity = { check, ok: messages.length === 1 && messages[0] === 'ok', messages };
  } catch (err) {
    // Locked out is not corrupt: retried, then ELOCKTIMEOUT, never a failed check.
    if (isBusy(err)) throw err;
    integrity = { check, ok: false, messages: [(err as Error).message] };
  }
  // Filled in only once every step has run, so a retried attempt never reports twice.
  Object.assign(report, { journalMode, ...facts, integrity });
  report.invariant = invariantOf(journalMode, facts.fileBytes, facts.pageCount, facts.pageSize);
  if (!integrity.ok) report.problems.push(`${check}: ${integrity.messages.slice(0, 5).join('; ')}`);
}

/** The invariant as `check` runs it: the torn-extend test in rollback modes, whole pages in WAL. */
function invariantOf(journalMode: string, fileBytes: number, pageCount: number, pageSize: number): CheckReport['invariant'] {
  if (journalMode === 'wal') {
    // Committed pages may still live in -wal, so the page count says nothing about the main file;
    // but SQLite only ever writes whole pages to it.
    const whole = fileBytes % pageSize === 0;
    const detail = whole
      ? `WAL mode: main file is ${fileBytes / pageSize} whole pages (page_count check skipped: pages may live in -wal)`
      : `main file is ${fileBytes} bytes, not a whole number of ${pageSize}-byte pages (torn write)`;
    return { applies: false, ok: whole, detail };
  }
  const problem = tornExtend({ fileBytes, pageCount, pageSize });
  return { applies: true, ok: problem === undefined, detail: problem ?? `main file holds all ${pageCount} pages` };
}

/** When SQLite refused the file, judge the invariant from the header's own page count. */
function invariantFromHeader(header: HeaderInfo, report: CheckReport): CheckReport['invariant'] {
  if (header.pageSize === undefined) return null;
  if (header.wal === true) return invariantOf('wal', header.fileBytes, 0, header.pageSize);
  if (header.pageCount === undefined) return null;
  return invariantOf(report.journalMode ?? 'delete', header.fileBytes, header.pageCount, header.pageSize);
}

function unreadable(err: unknown, path: string): string {
  if ((err as { code?: unknown }).code === 'SQLITE_READONLY_ROLLBACK') {
    return `hot journal: a writer crashed mid-transaction and ${path}-journal must be rolled back by a read-write open (e.g. dblock init --db ${path} --journal delete)`;
  }
  return `cannot read the database: ${(err as Error).message}`;
}

function sizeOf(path: string): number | null {
  try {
    return statSync(path).size;
  } catch {
    return null;
  }
}
