import { statSync } from 'node:fs';
import { DblockError } from '../errors.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { type Connection, openConnection, type SqliteConnection } from './connection.js';
import { type HeaderInfo, readHeader } from './header.js';
import { tornExtend } from './invariant.js';
import { DEFAULT_BUSY_TIMEOUT_MS } from './options.js';

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
  integrity: { check: 'quick_check' | 'integrity_check'; ok: boolean; messages: string[] } | null;
  invariant: { applies: boolean; ok: boolean; detail: string } | null;
  problems: string[];
}

/**
 * Inspect a database without changing it: the header (read before any connection exists), then a
 * read-only connection for the journal mode, page size and count, `quick_check` (or
 * `integrity_check` with `full`) and the WAL-aware invariant. A file that is not SQLite is reported,
 * not thrown. (A read-only connection may create SQLite's `-shm` index; it never writes the database or `-wal`.)
 * @throws DblockError ENOINPUT when the file does not exist, EBADTARGET when it is not a regular file
 * @example const report = await checkDatabase('app.db', { full: true }); if (!report.ok) console.log(report.problems);
 */
export async function checkDatabase(path: string, options: { full?: boolean } = {}): Promise<CheckReport> {
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
    conn = openConnection(canonical, { readonly: true, busyTimeoutMs: DEFAULT_BUSY_TIMEOUT_MS });
    inspect(conn.sqlite, canonical, report, options.full === true);
  } catch (err) {
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
  report.journalMode = String(pragma('journal_mode')).toLowerCase();
  // One read transaction: in rollback mode it holds SHARED, so no commit lands between count and stat.
  sqlite.exec('BEGIN');
  try {
    report.pageSize = pragma('page_size') as number;
    report.pageCount = pragma('page_count') as number;
    report.userVersion = pragma('user_version') as number;
    report.fileBytes = statSync(path).size;
    report.invariant = invariantOf(report.journalMode, report.fileBytes, report.pageCount, report.pageSize);
  } finally {
    sqlite.exec('COMMIT');
  }
  const check = full ? 'integrity_check' : 'quick_check';
  try {
    const messages = (sqlite.pragma(check) as Record<string, string>[]).map((row) => String(Object.values(row)[0]));
    const ok = messages.length === 1 && messages[0] === 'ok';
    report.integrity = { check, ok, messages };
    if (!ok) report.problems.push(`${check}: ${messages.slice(0, 5).join('; ')}`);
  } catch (err) {
    report.integrity = { check, ok: false, messages: [(err as Error).message] };
    report.problems.push(`${check}: ${(err as Error).message}`);
  }
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
