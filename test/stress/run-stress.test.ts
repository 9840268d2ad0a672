import { spawnSync } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runStress } from '../../src/index.js';
import { sqlite3 } from '../helpers/sqlite-files.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('runStress (built-in workload)', () => {
  it('kills workers inside a transaction, restarts them, and still verifies exactly (WAL, temporary database)', async () => {
    const report = await runStress({ workers: 4, ops: 12, kill: 2, seed: 11, keep: true });
    try {
      expect(report.problems).toEqual([]);
      expect(report).toMatchObject({ ok: true, mode: 'serialized', kills: 2, failedOps: 0, locks: 'free', journalMode: 'wal' });
      expect(report).toMatchObject({
        rowsExpected: 48,
        rowsCommitted: 48,
        rowsFound: 48,
        quickCheck: 'ok',
        integrityCheck: 'ok',
      });
      // Each (worker, seq) exactly once: the killed transactions left nothing, their redo is there once.
      const db = report.db;
      expect(sqlite3(db, 'SELECT count(*) FROM (SELECT DISTINCT worker, seq FROM dblock_stress)')).toBe('48');
    } finally {
      rmSync(dirname(report.db), { recursive: true, force: true });
    }
  });

  it('keeps a rollback-journal database in its journal mode, and kills mid-transaction there still verify', async () => {
    const db = join(tempDir(), 'app.db');
    sqlite3(db, 'PRAGMA journal_mode=delete; CREATE TABLE mine (v TEXT); INSERT INTO mine VALUES (1);');
    const report = await runStress({ db, workers: 3, ops: 8, txnRows: 3, kill: 2, seed: 5, mode: 'wal' });
    expect(report.problems).toEqual([]);
    expect(report).toMatchObject({ ok: true, kept: true, kills: 2, journalMode: 'delete', rowsExpected: 72, rowsFound: 72 });
    expect(sqlite3(db, 'PRAGMA journal_mode')).toBe('delete');
    expect(sqlite3(db, 'SELECT v FROM mine')).toBe('1');
  });

  it('unsafe mode reports lost writes instead of crashing, and its check stays exact', async () => {
    const report = await runStress({ workers: 4, ops: 15, mode: 'unsafe' });
    expect(existsSync(report.db)).toBe(false);
    expect(report.rowsFound).toBe(report.rowsCommitted);
    expect(report).toMatchObject({ quickCheck: 'ok', integrityCheck: 'ok', locks: 'free', retries: 0 });
    // Whether writers collide on this machine is timing; what a collision must look like is not.
    expect(report.ok).toBe(report.busyErrors === 0);
    expect(report.failedOps).toBe(report.busyErrors);
    expect((report.rowsExpected ?? 0) - (report.rowsCommitted ?? 0)).toBe(report.failedOps);
  });

  /** A long run stopped as soon as its workers start writing; `db()` is the database it chose. */
  const stoppedRun = (options: { keep?: boolean } = {}): { run: Promise<unknown>; db: () => string } => {
    const stop = new AbortController();
    let db = '';
    const run = runStress({
      ...options,
      workers: 2,
      ops: 10_000_000,
      signal: stop.signal,
      onTarget: (path) => (db = path),
      onStart: () => stop.abort('test'),
    });
    return { run, db: () => db };
  };

  it('rejects with EABORTED, no verdict, when stopped while writing: workers gone, the temporary database removed', async () => {
    const { run, db } = stoppedRun();
    await expect(run).rejects.toMatchObject({ code: 'EABORTED' });
    expect(db()).not.toBe('');
    expect(existsSync(dirname(db()))).toBe(false);
    expect(spawnSync('pgrep', ['-f', db()]).status).toBe(1); // no worker (their argv names the database) left
  });

  it('keeps the database it names through onTarget when stopped with keep', async () => {
    const { run, db } = stoppedRun({ keep: true });
    try {
      await expect(run).rejects.toMatchObject({ code: 'EABORTED' });
      expect(existsSync(db())).toBe(true);
    } finally {
      if (db() !== '') rmSync(dirname(db()), { recursive: true, force: true });
    }
  });

  it('does nothing when the signal is already aborted', async () => {
    let chosen = false;
    const run = runStress({ signal: AbortSignal.abort('early'), onTarget: () => (chosen = true) });
    await expect(run).rejects.toMatchObject({ code: 'EABORTED' });
    expect(chosen).toBe(false);
  });
});
