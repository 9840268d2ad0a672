import { join } from 'node:path';
import { type Database, openDatabase } from '../../../src/index.js';
import { tempDir } from '../../helpers/temp-dir.js';

export const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT UNIQUE)';
export const INSERT = 'INSERT INTO t (v) VALUES (?)';

/** A fresh database with table `t`, and its path. */
export async function freshDatabase(options: { timeout?: number } = {}): Promise<{ db: Database; path: string }> {
  const path = join(tempDir(), 'app.db');
  return { db: await openDatabase(path, { migrations: [SCHEMA], ...options }), path };
}

/** The values in `t`, in rowid order. */
export function values(db: Database): Promise<string[]> {
  return db.read((s) => s.prepare('SELECT v FROM t ORDER BY id').pluck().all() as string[]);
}

/** Where a promise stands, readable synchronously: to assert that something has not happened yet. */
export interface Tracked {
  state: 'pending' | 'resolved' | 'rejected';
  error: unknown;
}

export function track(promise: Promise<unknown>): Tracked {
  const tracked: Tracked = { state: 'pending', error: undefined };
  promise.then(
    () => {
      tracked.state = 'resolved';
    },
    (err: unknown) => {
      tracked.state = 'rejected';
      tracked.error = err;
    },
  );
  return tracked;
}

/** Let every queued microtask and one turn of the event loop run (real timers). */
export function turn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
