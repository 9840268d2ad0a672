import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { lock } from '../../../src/index.js';
import { groupLimits } from '../../../src/sqlite/batch/batch-group.js';
import { freshDatabase, INSERT, type Tracked, track, turn, values } from './helpers.js';

const limits = { ...groupLimits };
beforeEach(() => {
  // No hold-time cut (a stalled test machine must not change how batches group).
  groupLimits.maxHoldMs = Number.POSITIVE_INFINITY;
});
afterEach(() => {
  vi.useRealTimers();
  Object.assign(groupLimits, limits);
});

const letters = (n: number): string[] => Array.from({ length: n }, (_, i) => `v${String(i).padStart(3, '0')}`);

describe('batchWriter beyond capacity', () => {
  it('keeps pending at most capacity while many writes wait, then commits them all as full batches, in write order', async () => {
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 3, capacity: 6, flushIntervalMs: 60_000 });
    const held = await lock(path); // nothing commits until this is released
    const all = letters(31);
    let most = 0;
    const writes = all.map((v) => {
      const write = writer.write([v]);
      most = Math.max(most, writer.pending);
      // Each settle happens while the others may still wait: pending must stay bounded throughout.
      return write.then(() => {
        most = Math.max(most, writer.pending);
      });
    });
    await turn();
    expect(writer.pending).toBe(6);
    const before = db.stats().writes;
    held.release();
    await writer.flush();
    await Promise.all(writes);
    expect(most).toBe(6);
    expect(writer.pending).toBe(0);
    expect(await values(db)).toEqual(all);
    // 31 items in batches of 3: 10 full batches and the last item alone (flushed), nothing fragmented;
    // each hold writes the two batches capacity lets queue: 5 transactions of 6, then the last item.
    expect(db.stats().writes - before).toBe(6);
    await db.close();
  });

  it('lets waiting writes in part of a batch at a time when capacity is not a multiple of bufferSize', async () => {
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 4, capacity: 6, flushIntervalMs: 60_000 });
    const held = await lock(path);
    const all = letters(23);
    let most = 0;
    const writes = all.map((v) =>
      writer.write([v]).then(() => {
        most = Math.max(most, writer.pending);
      }),
    );
    held.release();
    await writer.flush();
    await Promise.all(writes);
    expect(most).toBeLessThanOrEqual(6);
    expect(await values(db)).toEqual(all);
    await db.close();
  });

  it('settles in write order across the sealed, queued and waiting batches', async () => {
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 4, flushIntervalMs: 60_000 });
    const held = await lock(path);
    const order: number[] = [];
    const writes = letters(11).map((v, i) => writer.write([v]).finally(() => order.push(i)));
    held.release();
    await writer.flush();
    await Promise.all(writes);
    expect(order).toEqual([...Array(11).keys()]);
    await db.close();
  });

  it('fails only the bad item of one batch: the batches queued and waiting behind it commit', async () => {
    const { db, path } = await freshDatabase();
    await db.write((s) => s.prepare(INSERT).run('taken'));
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 4, flushIntervalMs: 60_000 });
    const held = await lock(path);
    // Batch 1 holds the duplicate; batch 2 is sealed and queued behind it; the rest wait for room.
    const items = ['a', 'taken', 'b', 'c', 'd', 'e', 'f'];
    const writes = items.map((v) => writer.write([v]));
    held.release();
    void writer.flush(); // the last item is alone in its batch
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', ...Array(5).fill('fulfilled')]);
    expect((results[1] as PromiseRejectedResult).reason).toMatchObject({ code: 'SQLITE_CONSTRAINT_UNIQUE' });
    expect(await values(db)).toEqual(['taken', 'a', 'b', 'c', 'd', 'e', 'f']);
    await db.close();
  });

  it('fails a bad item that waited for room with its own error, and nothing else', async () => {
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 2, flushIntervalMs: 60_000 });
    const held = await lock(path);
    const boom = new Error('boom');
    const writes = [
      writer.write(['a']),
      writer.write(['b']),
      writer.write(['c']), // waits for room, like the two after it
      writer.write(() => {
        throw boom;
      }),
      writer.write(['d']),
    ];
    held.release();
    void writer.flush(); // the last item is alone in its batch
    const results = await Promise.allSettled(writes);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled']);
    expect((results[3] as PromiseRejectedResult).reason).toBe(boom);
    expect(await values(db)).toEqual(['a', 'b', 'c', 'd']);
    await db.close();
  });

  it('flushes a part batch let in from the waiting writes on the interval (fake timers)', async () => {
    vi.useFakeTimers();
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 4, capacity: 4, flushIntervalMs: 500 });
    const first = letters(4).map((v) => writer.write([v])); // full: sealed at once
    const waiting = ['x', 'y'].map((v) => writer.write([v])); // wait for room
    const rest: Tracked[] = waiting.map(track);
    await Promise.all(first); // no timer advanced: the size alone flushed them
    expect(writer.pending).toBe(2); // let in, as a part batch waiting for its timer
    await vi.advanceTimersByTimeAsync(499);
    expect(rest.map((t) => t.state)).toEqual(['pending', 'pending']);
    await vi.advanceTimersByTimeAsync(1);
    await Promise.all(waiting);
    expect(await values(db)).toEqual([...letters(4), 'x', 'y']);
    await db.close();
  });

  it('resolves ready only once no write waits and pending is below capacity', async () => {
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 2, flushIntervalMs: 60_000 });
    const held = await lock(path);
    const writes = letters(7).map((v) => writer.write([v]));
    const ready = track(writer.ready);
    await turn();
    expect(ready.state).toBe('pending');
    held.release();
    await writer.flush();
    expect(ready.state).toBe('resolved');
    await Promise.all(writes);
    await db.close();
  });
});
