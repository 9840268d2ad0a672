import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { openDatabase, withLock } from '../../src/index.js';
import { sqlite3 } from '../helpers/sqlite-files.js';
import { tempDir } from '../helpers/temp-dir.js';

const SCHEMA = 'CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)';

/** Whether another process (util-linux flock(1)) finds `lockPath` held right now. */
function heldOutside(lockPath: string): boolean {
  return spawnSync('flock', ['-n', lockPath, 'true']).status !== 0;
}

describe('the serialized write path', () => {
  it('a write started inside another write callback waits for the lock, never runs on the outer (finished) hold', async () => {
    const db = await openDatabase(join(tempDir(), 'app.db'), { migrations: [SCHEMA] });
    try {
      const seen: boolean[] = [];
      let inner: Promise<unknown> | undefined;
      await db.write((s) => {
        s.prepare('INSERT INTO t (v) VALUES (?)').run('outer');
        // Not awaited (the callback is synchronous): it runs after the outer write has released `.lock`.
        inner = db.write((t) => {
          seen.push(heldOutside(`${db.path}.lock`));
          t.prepare('INSERT INTO t (v) VALUES (?)').run('inner');
        });
      });
      await inner;
      expect(seen).toEqual([true]);
      expect(sqlite3(db.path, 'SELECT v FROM t ORDER BY id')).toBe('outer\ninner');
      expect(heldOutside(`${db.path}.lock`)).toBe(false);
    } finally {
      await db.close();
    }
  });

  it('releases `.lock` before the caller resumes, and inside withLock() on the database passes through', async () => {
    const db = await openDatabase(join(tempDir(), 'app.db'), { migrations: [SCHEMA] });
    try {
      await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('a'));
      expect(heldOutside(`${db.path}.lock`)).toBe(false);
      await withLock(db.path, async () => {
        await db.write((s) => s.prepare('INSERT INTO t (v) VALUES (?)').run('b'));
        expect(heldOutside(`${db.path}.lock`)).toBe(true); // still the outer hold
      });
      expect(heldOutside(`${db.path}.lock`)).toBe(false);
      // A throwing callback rolls back and releases too.
      await expect(db.write((() => Promise.resolve(1)) as never)).rejects.toMatchObject({ code: 'EUSAGE' });
      await expect(
        db.write(() => {
          throw new Error('boom');
        }),
      ).rejects.toThrow('boom');
      expect(heldOutside(`${db.path}.lock`)).toBe(false);
      expect(sqlite3(db.path, 'SELECT v FROM t ORDER BY id')).toBe('a\nb');
    } finally {
      await db.close();
    }
  });

  it.each(['serialized', 'wal'] as const)(
    'never lets SQLite sleep on the main thread: a write callback sees busy_timeout 0 (%s)',
    async (concurrency) => {
      const db = await openDatabase(join(tempDir(), 'app.db'), { migrations: [SCHEMA], concurrency, busyTimeoutMs: 60_000 });
      try {
        expect(await db.write((s) => s.pragma('busy_timeout', { simple: true }))).toBe(0);
        expect(await db.write((s) => s.pragma('busy_timeout', { simple: true }))).toBe(0);
        expect(await db.read((s) => s.pragma('busy_timeout', { simple: true }))).toBe(0);
      } finally {
        await db.close();
      }
    },
  );
});
