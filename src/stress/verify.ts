import { isDblockError } from '../errors.js';
import { lock } from '../lock/acquire.js';
import type { SidecarKind } from '../path/sidecar-path.js';
import { checkDatabase } from '../sqlite/check.js';
import type { Database } from '../sqlite/database.js';
import { openDatabase } from '../sqlite/open-database.js';
import type { JournalMode } from '../sqlite/options.js';
import type { StressLock } from './options.js';
import { STRESS_TABLE } from './table.js';

/** What the database checks found. */
export interface DatabaseVerdict {
  /** `ok`, or SQLite's first complaints; null when the target is not a SQLite database. */
  readonly quickCheck: string | null;
  readonly integrityCheck: string | null;
  readonly journalMode: string | null;
  readonly problems: string[];
}

const SHOWN = 3;

/** quick_check and integrity_check (read-only), and the journal mode, compared with the one the run started in. */
export async function checkIntegrity(db: string, expectedJournal: string | null): Promise<DatabaseVerdict> {
  const quick = await checkDatabase(db);
  const full = await checkDatabase(db, { full: true });
  if (quick.header.state !== 'sqlite') {
    return { quickCheck: null, integrityCheck: null, journalMode: null, problems: [] };
  }
  const verdict = (report: typeof quick): string =>
    report.integrity?.ok ? 'ok' : (report.integrity?.messages.slice(0, SHOWN).join('; ') ?? 'not run');
  const problems = [...new Set([...quick.problems, ...full.problems])];
  if (expectedJournal !== null && quick.journalMode !== expectedJournal) {
    problems.push(`journal mode is ${quick.journalMode}, expected ${expectedJournal}`);
  }
  return { quickCheck: verdict(quick), integrityCheck: verdict(full), journalMode: quick.journalMode, problems };
}

/**
 * Compare the table with what the workers reported: every committed (worker, seq) present with
 * exactly `txnRows` distinct rows, and nothing else (no rolled-back or killed transaction).
 */
export async function checkRows(
  db: string,
  committed: readonly Set<number>[],
  txnRows: number,
  lock: StressLock = {},
): Promise<{ rowsFound: number; problems: string[] }> {
  const database = await openDatabase(db, { readonly: true, ...lock });
  let groups: { worker: number; seq: number; n: number; distinct: number }[];
  try {
    groups = await database.read(
      (sqlite) =>
        sqlite
          .prepare(
            `SELECT worker, seq, count(*) AS n, count(DISTINCT row) AS "distinct" FROM ${STRESS_TABLE} GROUP BY worker, seq`,
          )
          .all() as typeof groups,
    );
  } finally {
    await database.close();
  }
  const problems: string[] = [];
  const note = (kind: string, list: string[]): void => {
    if (list.length > 0)
      problems.push(`${list.length} ${kind}: ${list.slice(0, SHOWN).join(', ')}${list.length > SHOWN ? ', …' : ''}`);
  };
  const found = new Set<string>();
  const stray: string[] = [];
  const torn: string[] = [];
  for (const g of groups) {
    found.add(`${g.worker}/${g.seq}`);
    if (!committed[g.worker]?.has(g.seq)) stray.push(`(${g.worker}, ${g.seq})`);
    else if (g.n !== txnRows || g.distinct !== txnRows) torn.push(`(${g.worker}, ${g.seq}) has ${g.n} rows`);
  }
  const missing: string[] = [];
  committed.forEach((seqs, worker) => {
    for (const seq of seqs) if (!found.has(`${worker}/${seq}`)) missing.push(`(${worker}, ${seq})`);
  });
  note('committed transactions missing', missing);
  note('transactions present that never committed', stray);
  note(`transactions without exactly ${txnRows} distinct rows`, torn);
  return { rowsFound: groups.reduce((sum, g) => sum + g.n, 0), problems };
}

/**
 * No lock may stay stuck: a non-blocking try of both sidecars, then (for a SQLite target, opened in
 * `journalMode` so nothing changes) an empty write transaction with busy timeout 0: SQLite's own
 * write lock, which wal and unsafe workers take.
 */
export async function probeLocks(
  db: string,
  journalMode: JournalMode | null,
  sidecars: readonly SidecarKind[] = ['lock', 'init'],
  options: StressLock = {},
): Promise<string[]> {
  const problems: string[] = [];
  for (const sidecar of sidecars) {
    try {
      (await lock(db, { sidecar, timeout: 0, ...options })).release();
    } catch (err) {
      problems.push(`the ${sidecar === 'lock' ? '.lock' : '.init.lock'} sidecar is still held: ${(err as Error).message}`);
    }
  }
  if (journalMode === null) return problems;
  let database: Database | undefined;
  try {
    database = await openDatabase(db, { concurrency: 'wal', journalMode, busyTimeoutMs: 0, lockTimeoutMs: 0, ...options });
    await database.write(() => {});
  } catch (err) {
    const held = isDblockError(err) && err.code === 'ELOCKTIMEOUT';
    problems.push(
      held ? `SQLite's write lock is still held: ${err.message}` : `cannot write after the run: ${(err as Error).message}`,
    );
  } finally {
    await database?.close();
  }
  return problems;
}
