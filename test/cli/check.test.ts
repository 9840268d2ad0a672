import { mkdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase } from '../../src/index.js';
import { runDblock } from '../helpers/processes.js';
import { snapshotDir, sqlite3 } from '../helpers/sqlite-files.js';
import { startSqliteShell } from '../helpers/sqlite-shell.js';
import { tempDir } from '../helpers/temp-dir.js';

const FILL = "INSERT INTO t (v) SELECT printf('%0500d', value) FROM generate_series(1, 200);";

describe('dblock check', () => {
  it('fails a rollback-journal database with a torn tail (exit 65) and leaves every file unchanged', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    sqlite3(path, `PRAGMA journal_mode=delete; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); ${FILL}`);
    const pages = Number(sqlite3(path, 'PRAGMA page_count'));
    // Cut the last pages, ending mid-page: what a torn extend leaves behind.
    truncateSync(path, (pages - 3) * 4096 + 1000);
    const before = snapshotDir(dir);
    const run = await runDblock(['check', '--db', path, '--json']);
    expect(run.code).toBe(65);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: false, invariant: { applies: true, ok: false } });
    expect(report.invariant.detail).toContain(`${pages} × 4096`);
    expect(snapshotDir(dir)).toEqual(before);
  });

  it('passes a WAL database whose committed pages live in -wal, and the next write passes the invariant', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const shell = startSqliteShell(path);
    // The writer keeps its connection open with auto-checkpoint off: the main file lags behind.
    await shell.run(
      `PRAGMA journal_mode=wal; PRAGMA wal_autocheckpoint=0; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); ${FILL}`,
    );
    const run = await runDblock(['check', '--db', path, '--full', '--json']);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report).toMatchObject({ ok: true, journalMode: 'wal', integrity: { check: 'integrity_check', ok: true } });
    expect(report.fileBytes).toBeLessThan(report.pageCount * report.pageSize); // the false-positive case
    const db = await openDatabase(path);
    try {
      await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('after check'));
    } finally {
      await db.close();
    }
    await shell.run('SELECT 1;');
    expect(sqlite3(path, 'SELECT count(*) FROM t')).toBe('201');
  });

  it('reports a text file as not SQLite (exit 65) without touching it', async () => {
    const dir = tempDir();
    const path = join(dir, 'notes.db');
    writeFileSync(path, 'plain text\n');
    const before = snapshotDir(dir);
    const run = await runDblock(['check', '--db', path]);
    expect(run.code).toBe(65);
    expect(run.stdout).toMatch(/NOT a SQLite database/);
    expect(snapshotDir(dir)).toEqual(before);
  });
});

describe('dblock checkpoint', () => {
  it('checkpoints the WAL under the write lock and reports frames and sizes', async () => {
    const path = join(tempDir(), 'app.db');
    const shell = startSqliteShell(path);
    await shell.run(
      `PRAGMA journal_mode=wal; PRAGMA wal_autocheckpoint=0; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT); ${FILL}`,
    );
    const run = await runDblock(['checkpoint', '--db', path, '--mode', 'truncate', '--json']);
    expect(run.code).toBe(0);
    const report = JSON.parse(run.stdout);
    expect(report.walFrames).toBeGreaterThan(0);
    expect(report).toMatchObject({ busy: false, checkpointedFrames: report.walFrames, walBytesAfter: 0 });
    expect(report.walBytesBefore).toBeGreaterThan(0);
  });
});

describe('init, check and checkpoint against a foreign SQLite lock (sqlite3 in BEGIN EXCLUSIVE)', () => {
  it.each(['delete', 'wal'] as const)(
    'exit 75 naming the database with --timeout 0 (%s), and check never says FAILED',
    async (journal) => {
      const dir = tempDir();
      const path = join(dir, 'app.db');
      sqlite3(path, `PRAGMA journal_mode=${journal}; CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT);`);
      const shell = startSqliteShell(path);
      await shell.run("BEGIN EXCLUSIVE; INSERT INTO t (v) VALUES ('outside');");
      const runs: [string[], boolean][] = [
        // A WAL database lets readers in: there, only what needs the write lock must wait.
        [['init', '--db', path, '--timeout', '0', '--migrations', join(dir, 'none')], journal === 'delete'],
        [['check', '--db', path, '--timeout', '0'], journal === 'delete'],
        [['checkpoint', '--db', path, '--timeout', '0', '--mode', 'truncate'], true],
      ];
      mkdirSync(join(dir, 'none'));
      for (const [args, blocked] of runs) {
        const run = await runDblock(args);
        if (!blocked) {
          expect({ args, code: run.code, stderr: run.stderr }).toEqual({ args, code: 0, stderr: '' });
          continue;
        }
        expect({ args, code: run.code }).toEqual({ args, code: 75 });
        expect(run.stderr).toMatch(/^dblock: /);
        expect(run.stderr).toContain(`${path}: the database is locked by another SQLite connection`);
        expect(run.stderr.trim().split('\n')).toHaveLength(1);
        expect(run.stdout).not.toMatch(/FAILED/);
        expect(run.stderr).not.toMatch(/readers/);
      }
      await shell.run('COMMIT;');
      const after = await runDblock(['check', '--db', path, '--timeout', '0']);
      expect(after.code).toBe(0);
      expect(sqlite3(path, 'SELECT count(*) FROM t')).toBe('1');
    },
  );
});
