import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DblockError, isDblockError } from '../errors.js';
import { canonicalizeTarget } from '../path/canonicalize.js';
import { openDatabase } from '../sqlite/open-database.js';
import type { JournalMode } from '../sqlite/options.js';
import type { StressLock } from './options.js';
import { STRESS_COLUMNS, STRESS_SCHEMA, STRESS_TABLE } from './table.js';

/** The database a run uses, and how to clean up after it. */
export interface StressTarget {
  /** Canonical path. */
  readonly db: string;
  /** True when dblock made it (no `--db`). */
  readonly temporary: boolean;
  /** Remove a temporary database (a no-op for the user's own). */
  readonly remove: () => void;
}

/**
 * The user's `--db` (canonicalised now: a missing directory is an error before any worker starts),
 * or a fresh database in a new temporary directory.
 * @throws DblockError EBADTARGET, ENOINPUT for a `--db` that cannot exist
 */
export function resolveStressTarget(db: string | undefined): StressTarget {
  if (db !== undefined) return { db: canonicalizeTarget(db), temporary: false, remove: () => {} };
  const dir = mkdtempSync(join(tmpdir(), 'dblock-stress-'));
  return { db: join(dir, 'stress.db'), temporary: true, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Create the stress table, emptied, in the database's current journal mode (WAL for a new file):
 * a stress run on someone's existing database must not switch its journal mode. A table of the same
 * name with other columns is the user's own: refused, and the database is left as it was.
 * @throws DblockError ENOTDB for a file that is not SQLite, EUSAGE for a foreign `dblock_stress` table
 */
export async function prepareStressDatabase(db: string, lock: StressLock = {}): Promise<JournalMode> {
  const journalMode = await currentJournalMode(db, lock);
  const database = await openDatabase(db, { journalMode, ...lock });
  try {
    await database.write((sqlite) => {
      const columns = sqlite.prepare<[], { name: string }>(`PRAGMA table_info(${STRESS_TABLE})`).all();
      const names = columns.map((c) => c.name);
      if (names.length > 0 && names.join() !== STRESS_COLUMNS.join()) {
        throw new DblockError(
          'EUSAGE',
          `${db} has its own ${STRESS_TABLE} table (columns ${names.join(', ')}): stress would empty it; use another --db`,
        );
      }
      sqlite.exec(STRESS_SCHEMA);
      sqlite.exec(`DELETE FROM ${STRESS_TABLE}`);
    });
    return database.journalMode as JournalMode;
  } finally {
    await database.close();
  }
}

/** The journal mode in force; WAL for a database that does not exist yet. */
export async function currentJournalMode(db: string, lock: StressLock = {}): Promise<JournalMode> {
  let database: Awaited<ReturnType<typeof openDatabase>>;
  try {
    database = await openDatabase(db, { readonly: true, ...lock });
  } catch (err) {
    if (isDblockError(err) && err.code === 'ENOINPUT') return 'wal';
    throw err;
  }
  await database.close();
  return database.journalMode as JournalMode;
}
