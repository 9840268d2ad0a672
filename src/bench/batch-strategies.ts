import { openSync } from 'node:fs';
import BetterSqlite3 from 'better-sqlite3';
import fsExt from 'fs-ext';
import { openDatabase } from '../sqlite/open-database.js';

/** Agent turns, a ~200-byte JSON body each. */
export const TURNS_SCHEMA =
  'CREATE TABLE turns (id INTEGER PRIMARY KEY, run TEXT NOT NULL, turn INTEGER NOT NULL, at INTEGER NOT NULL, body TEXT NOT NULL)';
const INSERT = 'INSERT INTO turns (run, turn, at, body) VALUES (?, ?, ?, ?)';

export type Journal = 'wal' | 'delete';

/** Rows to insert, made once and shared by every strategy (no allocation inside the timed loops). */
export function makeRows(count: number): unknown[][] {
  const body = JSON.stringify({ role: 'assistant', tool: 'edit_file', path: 'src/batch/batch-writer.ts', tokens: 1834 }).padEnd(
    200,
  );
  return Array.from({ length: count }, (_, i) => ['run-7f3a', i, 1_700_000_000_000 + i, body]);
}

/** Rows written and the time taken. */
export interface Measured {
  rows: number;
  ms: number;
}

/** How much to write: stop at `maxRows` or once `budgetMs` has passed (checked between transactions). */
export interface Budget {
  rows: unknown[][];
  budgetMs: number;
}

/**
 * The raw floor: better-sqlite3 in a loop, `flock` on the sidecar + `BEGIN IMMEDIATE` + K inserts
 * + `COMMIT` + unlock, with the pragmas dblock would use (WAL: synchronous NORMAL; else FULL).
 * Blocking: the lock wait and every statement hold the event loop.
 */
export function runSyncLoop(path: string, journal: Journal, k: number, { rows, budgetMs }: Budget): Measured {
  const sqlite = new BetterSqlite3(path);
  try {
    sqlite.pragma(`journal_mode = ${journal}`);
    sqlite.pragma(`synchronous = ${journal === 'wal' ? 'NORMAL' : 'FULL'}`);
    sqlite.exec(TURNS_SCHEMA);
    const insert = sqlite.prepare(INSERT);
    const begin = sqlite.prepare('BEGIN IMMEDIATE');
    const commit = sqlite.prepare('COMMIT');
    const fd = openSync(`${path}.lock`, 'a');
    const start = performance.now();
    const stop = start + budgetMs;
    let done = 0;
    while (done + k <= rows.length && performance.now() < stop) {
      fsExt.flockSync(fd, 'ex');
      begin.run();
      for (let j = 0; j < k; j++) insert.run(rows[done + j]);
      commit.run();
      fsExt.flockSync(fd, 'un');
      done += k;
    }
    return { rows: done, ms: performance.now() - start };
  } finally {
    sqlite.close();
  }
}

async function openTurns(path: string, journal: Journal) {
  return openDatabase(path, { journalMode: journal, migrations: [TURNS_SCHEMA] });
}

/** dblock, one row per `await db.write()`: never blocks the event loop, pays a transaction per row. */
export async function runAsyncSingle(path: string, journal: Journal, { rows, budgetMs }: Budget): Promise<Measured> {
  const db = await openTurns(path, journal);
  try {
    const insert = await db.read((sqlite) => sqlite.prepare(INSERT));
    const start = performance.now();
    const stop = start + budgetMs;
    let done = 0;
    while (done < rows.length && performance.now() < stop) {
      const row = rows[done];
      await db.write(() => insert.run(row));
      done += 1;
    }
    return { rows: done, ms: performance.now() - start };
  } finally {
    await db.close();
  }
}

/**
 * dblock's batch writer with `bufferSize` K: the producer writes without awaiting each commit,
 * awaits `ready` when `capacity` items are pending, and the time runs until the last commit.
 */
export async function runAsyncBatched(path: string, journal: Journal, k: number, { rows, budgetMs }: Budget): Promise<Measured> {
  const db = await openTurns(path, journal);
  try {
    const writer = db.batchWriter({ statement: INSERT, bufferSize: k });
    const start = performance.now();
    const stop = start + budgetMs;
    let done = 0;
    let last: Promise<void> = Promise.resolve();
    while (done + k <= rows.length && performance.now() < stop) {
      for (let j = 0; j < k; j++) {
        if (writer.pending >= writer.capacity) await writer.ready;
        last = writer.write(rows[done + j] as unknown[]);
      }
      done += k;
    }
    await last; // batches commit in order: the last one settles after all the others
    const ms = performance.now() - start;
    await writer.close();
    return { rows: done, ms };
  } finally {
    await db.close();
  }
}
