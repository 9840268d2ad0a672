import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkDatabase, checkpointDatabase, DblockError, openDatabase } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { sqlite3 } from '../helpers/sqlite-files.js';
import { type SqliteShell, startSqliteShell } from '../helpers/sqlite-shell.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)';

/** A database in `journal` mode, and the sqlite3 CLI holding it in BEGIN EXCLUSIVE (SQLite's lock, not dblock's). */
async function lockedByForeignClient(journal: 'delete' | 'wal'): Promise<{ path: string; shell: SqliteShell }> {
  const path = join(tempDir(), 'app.db');
  sqlite3(path, `PRAGMA journal_mode=${journal}; ${SCHEMA};`);
  const shell = startSqliteShell(path);
  await shell.run("BEGIN EXCLUSIVE; INSERT INTO t (v) VALUES ('outside');");
  return { path, shell };
}

/** Resolves after `n` timer ticks: only if the event loop keeps turning while something waits. */
function ticks(n: number): Promise<void> {
  return new Promise((resolve) => {
    let seen = 0;
    const timer = setInterval(() => {
      if (++seen === n) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
}

describe('waits for a foreign SQLite lock are bounded by `timeout`, off the event loop', () => {
  // busyTimeoutMs 60 s: were SQLite's own (blocking) busy handler used while opening, these would outlast the test.
  it('openDatabase({ timeout }) gives ELOCKTIMEOUT naming the database, while timers keep firing', async () => {
    const { path } = await lockedByForeignClient('delete');
    const opening = openDatabase(path, { timeout: '300ms', busyTimeoutMs: 60_000 });
    const outcome = codeOf(opening);
    await ticks(5);
    expect(await outcome).toBe('ELOCKTIMEOUT');
    const err = await opening.catch((e: unknown) => e);
    expect((err as DblockError).exitCode).toBe(75);
    expect((err as Error).message).toContain(`${path}: the database is locked by another SQLite connection`);
    // The deprecated name still works, and as a bound too.
    expect(await codeOf(openDatabase(path, { lockTimeoutMs: 0, busyTimeoutMs: 60_000 }))).toBe('ELOCKTIMEOUT');
    expect(await codeOf(openDatabase(path, { readonly: true, timeout: 0, busyTimeoutMs: 60_000 }))).toBe('ELOCKTIMEOUT');
  });

  it('openDatabase waits while the foreign writer holds it, then opens once it commits', async () => {
    const { path, shell } = await lockedByForeignClient('delete');
    const phases: string[] = [];
    const db = await openDatabase(path, {
      timeout: '30s',
      busyTimeoutMs: 60_000,
      onBusy: ({ phase, attempt }) => {
        phases.push(phase);
        if (attempt === 0) shell.send('COMMIT;');
      },
    });
    try {
      expect(phases[0]).toBe('open');
      expect(await db.read((s) => s.prepare('SELECT v FROM t').pluck().all())).toEqual(['outside']);
    } finally {
      await db.close();
    }
  });

  it('checkDatabase: a locked database is ELOCKTIMEOUT, never a failed check', async () => {
    const { path } = await lockedByForeignClient('delete');
    expect(await codeOf(checkDatabase(path, { timeout: 0 }))).toBe('ELOCKTIMEOUT');
    expect(await codeOf(checkDatabase(path, { timeout: '200ms' }))).toBe('ELOCKTIMEOUT');
  });

  it('checkpointDatabase: a writer outside dblock is ELOCKTIMEOUT, not "readers"', async () => {
    const { path } = await lockedByForeignClient('wal');
    const err = await checkpointDatabase(path, { mode: 'truncate', timeout: '200ms' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DblockError);
    expect((err as DblockError).code).toBe('ELOCKTIMEOUT');
    expect((err as Error).message).toMatch(/does not go through dblock.*write transaction/);
    // PASSIVE never waits for a writer: it copies what is committed and succeeds.
    expect(await checkpointDatabase(path, { timeout: 0 })).toMatchObject({ busy: false, journalMode: 'wal' });
  });
});

describe('option names', () => {
  it('refuses unknown options with EUSAGE naming the key; `timeout` and `lockTimeoutMs` are not both allowed', async () => {
    const path = join(tempDir(), 'app.db');
    const typo = { timout: '2s' } as unknown as Parameters<typeof openDatabase>[1];
    const err = await openDatabase(path, typo).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'EUSAGE' });
    expect((err as Error).message).toContain('`timout`');
    expect(await codeOf(openDatabase(path, { timeout: 1, lockTimeoutMs: 1 }))).toBe('EUSAGE');
    expect(await codeOf(openDatabase(path, { timeout: 'soon' }))).toBe('EUSAGE');
    expect(await codeOf(checkDatabase(path, { fulll: true } as never))).toBe('EUSAGE');
    expect(await codeOf(checkpointDatabase(path, { timout: 0 } as never))).toBe('EUSAGE');
  });
});

describe('db.read() waits for a foreign writer off the event loop, for up to busyTimeoutMs', () => {
  /** A rollback-journal database opened by dblock, then locked by the sqlite3 CLI mid-write (readers get BUSY). */
  async function openThenLock(options: Parameters<typeof openDatabase>[1]) {
    const path = join(tempDir(), 'app.db');
    sqlite3(path, `PRAGMA journal_mode=delete; ${SCHEMA}; INSERT INTO t (v) VALUES ('before');`);
    const db = await openDatabase(path, { journalMode: 'delete', ...options });
    const shell = startSqliteShell(path);
    await shell.run("BEGIN EXCLUSIVE; INSERT INTO t (v) VALUES ('outside');");
    return { db, shell };
  }

  it.each([false, true])('gives ELOCKTIMEOUT at busyTimeoutMs while timers keep firing (readonly: %s)', async (readonly) => {
    const path = join(tempDir(), 'app.db');
    sqlite3(path, `PRAGMA journal_mode=delete; ${SCHEMA};`);
    const db = await openDatabase(path, { journalMode: 'delete', readonly, busyTimeoutMs: 300 });
    const shell = startSqliteShell(path);
    try {
      await shell.run("BEGIN EXCLUSIVE; INSERT INTO t (v) VALUES ('outside');");
      const reading = db.read((s) => s.prepare('SELECT count(*) FROM t').pluck().get());
      const outcome = codeOf(reading);
      await ticks(5);
      expect(await outcome).toBe('ELOCKTIMEOUT');
    } finally {
      await db.close();
    }
  });

  it('reads once the foreign writer commits, reporting the wait to onBusy as phase "read"', async () => {
    const phases: string[] = [];
    let shell: SqliteShell | undefined;
    const { db, shell: opened } = await openThenLock({
      busyTimeoutMs: 60_000,
      onBusy: ({ phase, attempt }) => {
        phases.push(phase);
        if (attempt === 0) shell?.send('COMMIT;');
      },
    });
    shell = opened;
    try {
      expect(await db.read((s) => s.prepare('SELECT v FROM t ORDER BY id').pluck().all())).toEqual(['before', 'outside']);
      expect(phases[0]).toBe('read');
    } finally {
      await db.close();
    }
  });
});
