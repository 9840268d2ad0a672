import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock, openDatabase } from '../../../src/index.js';
import { tempDir } from '../../helpers/temp-dir.js';
import { freshDatabase, INSERT, SCHEMA, values } from './helpers.js';

describe('batchWriter failures', () => {
  it('rejects only the bad item of a batch, with its own error; the others commit', async () => {
    const { db } = await freshDatabase();
    await db.write((s) => s.prepare(INSERT).run('taken'));
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 4 });
    const results = await Promise.allSettled([
      writer.write(['a']),
      writer.write(['taken']), // UNIQUE violation
      writer.write(['b']),
      writer.write(['c']),
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(await values(db)).toEqual(['taken', 'a', 'b', 'c']);
    await db.close();
  });

  it('undoes all of a failing function item (its earlier statements too), and refuses async items', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 3 });
    const boom = new Error('boom');
    const [half, asyncItem, good] = await Promise.allSettled([
      writer.write((s) => {
        s.prepare(INSERT).run('half');
        throw boom;
      }),
      writer.write(async () => {}),
      writer.write(['good']),
    ]);
    expect(half).toMatchObject({ status: 'rejected', reason: boom });
    expect(asyncItem).toMatchObject({ status: 'rejected', reason: { code: 'EUSAGE' } });
    expect(good.status).toBe('fulfilled');
    expect(await values(db)).toEqual(['good']);
    await db.close();
  });

  it('rejects parameter items when the writer has no statement', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ bufferSize: 1 });
    await expect(writer.write(['x'])).rejects.toMatchObject({ code: 'EUSAGE' });
    await db.close();
  });

  it('rejects every item of a batch that cannot commit (lock timeout), then carries on', async () => {
    const path = join(tempDir(), 'app.db');
    const db = await openDatabase(path, { migrations: [SCHEMA], timeout: 0 });
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 3 });
    const held = await lock(path);
    const batch = ['a', 'b', 'c'].map((v) => writer.write([v]));
    const results = await Promise.allSettled(batch);
    for (const result of results) expect(result).toMatchObject({ status: 'rejected', reason: { code: 'ELOCKTIMEOUT' } });
    held.release();
    await Promise.all(['d', 'e', 'f'].map((v) => writer.write([v])));
    expect(await values(db)).toEqual(['d', 'e', 'f']);
    await db.close();
  });

  it('keeps settling in write order when a failed batch is rerun', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2 });
    const order: number[] = [];
    const writes = ['a', 'a', 'b', 'c'].map((v, i) => writer.write([v]).finally(() => order.push(i)));
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(order).toEqual([0, 1, 2, 3]);
    expect(await values(db)).toEqual(['a', 'b', 'c']);
    await db.close();
  });
});
