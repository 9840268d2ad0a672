import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type Database, DblockError, openDatabase, withLock } from '../../src/index.js';
import { companions, sqlite3 } from '../helpers/sqlite-files.js';
import { startSqliteShell } from '../helpers/sqlite-shell.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)';
const count = (db: Database): Promise<unknown> => db.read((s) => s.prepare('SELECT count(*) FROM t').pluck().get());

describe('openDatabase', () => {
  it('refuses a text file with ENOTDB and leaves it byte-for-byte unchanged', async () => {
    const path = join(tempDir(), 'notes.txt');
    writeFileSync(path, 'these are my notes, not a database\n'.repeat(20));
    const before = readFileSync(path);
    const err = await openDatabase(path).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DblockError);
    expect((err as DblockError).code).toBe('ENOTDB');
    expect((err as DblockError).exitCode).toBe(65);
    expect(readFileSync(path).equals(before)).toBe(true);
    expect(companions(path)).toEqual([]);
  });

  it('rolls a write back when its callback throws, and the next write still works', async () => {
    const db = await openDatabase(join(tempDir(), 'app.db'), { migrations: [SCHEMA] });
    try {
      const before = db.stats();
      const boom = new Error('boom');
      await expect(
        db.write((s) => {
          s.prepare('INSERT INTO t (v) VALUES (?)').run('lost');
          throw boom;
        }),
      ).rejects.toBe(boom);
      await expect(db.write((s) => Promise.resolve(s))).rejects.toMatchObject({ code: 'EUSAGE' });
      expect(await count(db)).toBe(0);
      const id = await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('kept').lastInsertRowid);
      expect(id).toBe(1);
      expect(await count(db)).toBe(1);
      expect(db.stats()).toMatchObject({ writes: before.writes + 1, rollbacks: before.rollbacks + 2 });
    } finally {
      await db.close();
    }
  });

  it('lets a write nested in withLock() pass through while another write waits for that lock', async () => {
    const path = join(tempDir(), 'app.db');
    // A deadlock would end in ELOCKTIMEOUT after 3 s instead of both writes landing.
    const db = await openDatabase(path, { migrations: [SCHEMA], timeout: 3_000 });
    try {
      let entered!: () => void;
      let open!: () => void;
      const inside = new Promise<void>((resolve) => (entered = resolve));
      const gate = new Promise<void>((resolve) => (open = resolve));
      const holder = withLock(path, async () => {
        entered();
        await gate;
        await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('nested'));
      });
      await inside;
      // Outside the holder's context: this write queues for the lock.
      const outer = db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('queued'));
      open();
      await Promise.all([holder, outer]);
      expect(sqlite3(path, 'SELECT v FROM t ORDER BY id')).toBe('nested\nqueued');
    } finally {
      await db.close();
    }
  });

  it.each(['serialized', 'wal'] as const)(
    'retries SQLITE_BUSY at BEGIN while another connection holds the write lock (%s)',
    async (concurrency) => {
      const path = join(tempDir(), 'app.db');
      const shell = startSqliteShell(path);
      await shell.run(`PRAGMA journal_mode=wal; ${SCHEMA};`);
      const phases: string[] = [];
      const db = await openDatabase(path, {
        concurrency,
        // Were SQLite's own (blocking) busy handler used at BEGIN, the write would outlast its lock timeout.
        busyTimeoutMs: 60_000,
        timeout: 5_000,
        onBusy: ({ phase, attempt }) => {
          phases.push(phase);
          // Only once our write has met the held lock does the outside client let go.
          if (attempt === 0) shell.send('COMMIT;');
        },
      });
      try {
        await shell.run("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ('outside');");
        await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('ours'));
        expect(phases[0]).toBe('begin');
        expect(db.stats().busyRetries).toBeGreaterThanOrEqual(1);
        expect(sqlite3(path, 'SELECT v FROM t ORDER BY id')).toBe('outside\nours');
      } finally {
        await db.close();
      }
    },
  );

  it('retries SQLITE_BUSY at COMMIT while a reader holds a rollback-journal database', async () => {
    const path = join(tempDir(), 'app.db');
    const phases: string[] = [];
    const shell = startSqliteShell(path);
    const db = await openDatabase(path, {
      journalMode: 'delete',
      migrations: [SCHEMA],
      onBusy: ({ phase }) => {
        // The reader ends its transaction only once our COMMIT has met it.
        if (phases.push(phase) === 1) shell.send('COMMIT;');
      },
    });
    try {
      await shell.run('BEGIN; SELECT count(*) FROM t;');
      await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('ours'));
      expect(phases[0]).toBe('commit');
      expect(sqlite3(path, 'SELECT v FROM t')).toBe('ours');
      expect(sqlite3(path, 'PRAGMA journal_mode')).toBe('delete');
    } finally {
      await db.close();
    }
  });
});

describe('openDatabase initialisation', () => {
  it('takes the fast path once initialised, until the file is replaced; a readonly handle refuses writes', async () => {
    const dir = tempDir();
    const path = join(dir, 'app.db');
    const first = await openDatabase(path, { migrations: [SCHEMA] });
    expect(first.opened).toMatchObject({ fastPath: false, created: true, journalMode: 'wal', userVersion: 1 });
    const again = await openDatabase(path, { migrations: [SCHEMA] });
    expect(again.opened.fastPath).toBe(true);
    await Promise.all([first.close(), again.close()]);
    // A new file at the same path (restored backup, `mv`): initialise it properly again.
    renameSync(path, join(dir, 'old.db'));
    const replaced = await openDatabase(path, { migrations: [SCHEMA] });
    expect(replaced.opened).toMatchObject({ fastPath: false, created: true, applied: ['migration 1'] });
    await replaced.close();
    const reader = await openDatabase(path, { readonly: true });
    await expect(reader.write(() => 1)).rejects.toMatchObject({ code: 'EUSAGE' });
    expect(await count(reader)).toBe(0);
    await reader.close();
  });
});
