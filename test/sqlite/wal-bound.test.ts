import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Concurrency, type Database, openDatabase } from '../../src/index.js';
import { runDblock } from '../helpers/processes.js';
import { startSqliteShell } from '../helpers/sqlite-shell.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v BLOB)';
const BOUND = 256 * 1024;
const walBytes = (path: string): number => (existsSync(`${path}-wal`) ? statSync(`${path}-wal`).size : 0);
const status = (path: string): Record<string, unknown> => JSON.parse(readFileSync(`${path}.wal-status`, 'utf8'));

/** Enough 32 KiB rows to pass the bound several times over. */
async function fill(db: Database, rows: number): Promise<void> {
  for (let i = 0; i < rows; i += 1) {
    await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (randomblob(32768))').run());
  }
}

async function check(path: string): Promise<{ walBytes: number; walCheckpoint: Record<string, unknown> | null }> {
  const run = await runDblock(['check', '--db', path, '--json']);
  expect(run.stderr).toBe('');
  expect(run.code).toBe(0);
  return JSON.parse(run.stdout);
}

describe('maxWalBytes', () => {
  for (const concurrency of ['serialized', 'wal'] as Concurrency[]) {
    it(`${concurrency}: a reader blocks the TRUNCATE, check says so; once it lets go the WAL is truncated`, async () => {
      const path = join(tempDir(), 'app.db');
      const db = await openDatabase(path, { migrations: [SCHEMA], maxWalBytes: BOUND, concurrency });
      try {
        await fill(db, 1);
        // An outside reader holds a snapshot taken before the big writes: no checkpoint can pass it.
        const reader = startSqliteShell(path);
        await reader.run('BEGIN; SELECT count(*) FROM t;');
        await fill(db, 40);
        expect(walBytes(path)).toBeGreaterThan(BOUND);
        expect(status(path)).toMatchObject({ blocked: true, maxWalBytes: BOUND, pid: process.pid });
        const blocked = await check(path);
        expect(blocked.walBytes).toBeGreaterThan(BOUND);
        expect(blocked.walCheckpoint).toMatchObject({ blocked: true });
        const human = await runDblock(['check', '--db', path]);
        expect(human.stdout).toMatch(/wal: +\d+\.\d MiB; readers blocked the last checkpoint at /);

        await reader.run('COMMIT;');
        // The next stat comes within 16 commits; the write path retries there (small rows: the WAL stays small after).
        for (let i = 0; i < 16; i += 1) await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (1)').run());
        expect(walBytes(path)).toBeLessThan(BOUND);
        expect(status(path)).toMatchObject({ blocked: false, frames: 0 });
        expect((await check(path)).walCheckpoint).toMatchObject({ blocked: false });
        expect(await db.read((s) => s.prepare('SELECT count(*) FROM t').pluck().get())).toBe(57);
      } finally {
        await db.close();
      }
    });
  }

  it('dblock checkpoint --mode truncate records a reader that blocked it, and check names it', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const db = await openDatabase(path, { migrations: [SCHEMA], maxWalBytes: 0 });
    const reader = startSqliteShell(path);
    try {
      await reader.run('BEGIN; SELECT count(*) FROM t;');
      await fill(db, 10);
      const run = await runDblock(['checkpoint', '--db', path, '--mode', 'truncate', '--timeout', '0', '--json']);
      expect(run.code).toBe(75); // EX_TEMPFAIL: run it again later
      expect(JSON.parse(run.stdout)).toMatchObject({ busy: true });
      expect((await check(path)).walCheckpoint).toMatchObject({ blocked: true, maxWalBytes: null });
      const human = await runDblock(['check', '--db', path]);
      expect(human.stdout).toMatch(/readers blocked the last checkpoint at .*dblock checkpoint/);
      await reader.run('COMMIT;');
      expect((await runDblock(['checkpoint', '--db', path, '--mode', 'truncate'])).code).toBe(0);
      expect((await check(path)).walCheckpoint).toMatchObject({ blocked: false, maxWalBytes: null });
    } finally {
      await db.close();
    }
  });

  it('keeps the status file in --lock-dir when sidecars live there', async () => {
    const dir = tempDir();
    const locks = tempDir();
    const path = join(dir, 'app.db');
    const db = await openDatabase(path, { migrations: [SCHEMA], maxWalBytes: BOUND, lockDir: locks });
    try {
      await fill(db, 20);
    } finally {
      await db.close();
    }
    expect(existsSync(`${path}.wal-status`)).toBe(false);
    const run = await runDblock(['check', '--db', path, '--lock-dir', locks, '--json']);
    expect(JSON.parse(run.stdout).walCheckpoint).toMatchObject({ blocked: false, maxWalBytes: BOUND });
  });

  it('0 turns it off: the WAL grows past any bound and no status file appears', async () => {
    const path = join(tempDir(), 'app.db');
    const db = await openDatabase(path, { migrations: [SCHEMA], maxWalBytes: 0 });
    try {
      await db.write((s) => s.exec('PRAGMA wal_autocheckpoint = 0'));
      await fill(db, 40);
      expect(walBytes(path)).toBeGreaterThan(BOUND);
      expect(existsSync(`${path}.wal-status`)).toBe(false);
      expect((await check(path)).walCheckpoint).toBeNull();
    } finally {
      await db.close();
    }
  });

  it('the default bound truncates nothing on a small healthy database', async () => {
    const path = join(tempDir(), 'app.db');
    const db = await openDatabase(path, { migrations: [SCHEMA] });
    try {
      await fill(db, 40);
      expect(walBytes(path)).toBeGreaterThan(0);
      expect(existsSync(`${path}.wal-status`)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it.each([-1, 1.5, '64MiB', Number.NaN])('refuses maxWalBytes %s with EUSAGE', async (value) => {
    const path = join(tempDir(), 'app.db');
    const err = await openDatabase(path, { maxWalBytes: value as number }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EUSAGE' });
    expect(existsSync(path)).toBe(false);
  });
});
