import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { lock, openDatabase } from '../../../src/index.js';
import { groupLimits } from '../../../src/sqlite/batch/batch-group.js';
import { finished, nextMessage, startFixture, waitForLine } from '../../helpers/processes.js';
import { mountSmallTmpfs } from '../../helpers/small-tmpfs.js';
import { sqlite3 } from '../../helpers/sqlite-files.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { freshDatabase, INSERT, values } from './helpers.js';

const limits = { ...groupLimits };
beforeEach(() => {
  // No hold-time cut: a stalled test machine must not change how batches group.
  groupLimits.maxHoldMs = Number.POSITIVE_INFINITY;
});
afterEach(() => {
  Object.assign(groupLimits, limits);
});

const ROWS = 'CREATE TABLE rows (id INTEGER PRIMARY KEY, writer INTEGER NOT NULL, seq INTEGER NOT NULL, UNIQUE (writer, seq))';

describe('batchWriter: batches queued behind a busy lock share one hold', () => {
  it('commits them in one transaction once another process lets go; a bad item still fails alone, in write order', async () => {
    const { db, path } = await freshDatabase();
    await db.write((s) => s.prepare(INSERT).run('taken'));
    const holder = startFixture('hold-lock', [path]);
    await nextMessage(holder, (m) => m.ready === true);
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 3, capacity: 100, flushIntervalMs: 60_000 });
    const input = ['a', 'b', 'c', 'd', 'taken', 'e', 'f', 'g', 'h', 'i', 'j', 'k'];
    const order: number[] = [];
    const writes = input.map((v, i) => writer.write([v]).finally(() => order.push(i)));
    const before = db.stats().writes;
    holder.send('release');
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(input.map((v) => (v === 'taken' ? 'rejected' : 'fulfilled')));
    expect((results[4] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(order).toEqual([...input.keys()]);
    expect(await values(db)).toEqual(['taken', ...input.filter((v) => v !== 'taken')]);
    // Four batches, two transactions: the fast pass stopped at 'taken' (batch 2), so batches 1-2 were
    // rerun item by item in one; batches 3-4 then shared the next.
    expect(db.stats().writes - before).toBe(2);
    await db.close();
  });

  it('lets a producer awaiting ready fill batches up to capacity before a transaction starts: one hold writes them all', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 10, capacity: 100, flushIntervalMs: 60_000 });
    const input = Array.from({ length: 100 }, (_, i) => `v${i}`);
    const before = db.stats().writes;
    for (const v of input) {
      await writer.ready; // resolved until capacity: the producer runs on microtasks meanwhile
      writer.write([v]).catch(() => {});
    }
    await writer.flush();
    expect(await values(db)).toEqual(input);
    // Ten batches of 10, sealed before the producer first yielded to the event loop: one transaction.
    expect(db.stats().writes - before).toBe(1);
    await db.close();
  });

  it('writes no more than maxItems in one hold beyond the first batch, and keeps order across holds', async () => {
    groupLimits.maxItems = 5;
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 100, flushIntervalMs: 60_000 });
    const held = await lock(path);
    const input = Array.from({ length: 10 }, (_, i) => `v${i}`);
    const writes = input.map((v) => writer.write([v]));
    const before = db.stats().writes;
    held.release();
    await Promise.all(writes);
    expect(await values(db)).toEqual(input);
    // Five batches of 2: holds of 2 batches (4 items; a third would make 6 > 5), 2 batches, 1 batch.
    expect(db.stats().writes - before).toBe(3);
    await db.close();
  });

  it('splits a group whose COMMIT finds the disk full: each batch then commits or fails whole, on its own', async () => {
    const disk = await mountSmallTmpfs(160);
    const lockDir = tempDir();
    const path = join(disk.dir, 'app.db');
    const db = await openDatabase(path, { lockDir, migrations: ['CREATE TABLE b (batch INT, n INT, body TEXT)'] });
    const writer = db.batchWriter({ statement: 'INSERT INTO b VALUES (?, ?, ?)', bufferSize: 2, capacity: 100 });
    const held = await lock(path, { lockDir });
    const body = 'x'.repeat(12_000);
    const batches = 6;
    const writes = Array.from({ length: 2 * batches }, (_, i) => writer.write([Math.floor(i / 2), i % 2, body]));
    held.release();
    const results = await Promise.allSettled(writes);
    const outcome = (batch: number): string[] =>
      results.slice(2 * batch, 2 * batch + 2).map((r) => (r.status === 'fulfilled' ? 'ok' : (r.reason as { code: string }).code));
    const committed = (await db.read((s) => s.prepare('SELECT batch, count(*) AS n FROM b GROUP BY batch').all())) as {
      batch: number;
      n: number;
    }[];
    // The six batches (~150 KB) cannot fit together; the first ones fit alone and are kept.
    const kept = committed.map((row) => row.batch);
    expect(kept.length).toBeGreaterThan(0);
    expect(kept.length).toBeLessThan(batches);
    for (let batch = 0; batch < batches; batch++) {
      if (kept.includes(batch)) expect(outcome(batch)).toEqual(['ok', 'ok']);
      else expect(outcome(batch)).toEqual(['SQLITE_FULL', 'SQLITE_FULL']);
    }
    for (const row of committed) expect(row.n).toBe(2);
    expect(sqlite3(path, 'PRAGMA integrity_check')).toBe('ok');
    await writer.close();
    await db.close();
  });

  it('loses the whole uncommitted hold when the process is SIGKILLed in it, and leaves the database intact and unlocked', async () => {
    const path = join(tempDir(), 'app.db');
    await (await openDatabase(path, { migrations: [ROWS] })).close();
    const child = startFixture('batch-hold', [JSON.stringify({ db: path })]);
    const exit = finished(child);
    await waitForLine(child, (line) => line === 'in-hold');
    child.kill('SIGKILL');
    expect(await exit).toMatchObject({ signal: 'SIGKILL' });
    // Batch A committed before; B0..B2 were one transaction, never committed: none of their rows.
    expect(sqlite3(path, 'SELECT writer, count(*) FROM rows GROUP BY writer')).toBe('1|2');
    expect(sqlite3(path, 'PRAGMA integrity_check')).toBe('ok');
    const db = await openDatabase(path, { timeout: 5000 });
    await db.write((s) => s.prepare('INSERT INTO rows (writer, seq) VALUES (3, 0)').run());
    expect(await db.read((s) => s.prepare('SELECT count(*) FROM rows').pluck().get())).toBe(3);
    await db.close();
  });
});
