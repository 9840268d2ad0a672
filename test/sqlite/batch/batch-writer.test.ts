import { afterEach, describe, expect, it, vi } from 'vitest';
import { lock } from '../../../src/index.js';
import { freshDatabase, INSERT, track, turn, values } from './helpers.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('batchWriter flushing', () => {
  it('flushes a batch as soon as it holds bufferSize items, and not before', async () => {
    vi.useFakeTimers();
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 3 });
    const first = ['a', 'b', 'c'].map((v) => writer.write([v]));
    await Promise.all(first); // no timer advanced: the size alone flushed them
    expect(await values(db)).toEqual(['a', 'b', 'c']);
    const late = track(writer.write(['d']));
    await vi.advanceTimersByTimeAsync(499);
    expect(late.state).toBe('pending');
    expect(writer.pending).toBe(1);
    expect(await values(db)).toEqual(['a', 'b', 'c']);
    await db.close();
    expect(late.state).toBe('resolved');
  });

  it('flushes flushIntervalMs after the batch’s first item (fake timers)', async () => {
    vi.useFakeTimers();
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, flushIntervalMs: 500 });
    const a = track(writer.write(['a']));
    await vi.advanceTimersByTimeAsync(300);
    const b = track(writer.write(['b'])); // joins the batch timed from 'a'
    await vi.advanceTimersByTimeAsync(199);
    expect([a.state, b.state]).toEqual(['pending', 'pending']);
    expect(await values(db)).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect([a.state, b.state]).toEqual(['resolved', 'resolved']);
    expect(await values(db)).toEqual(['a', 'b']);
    // The next batch is timed from its own first item.
    const c = track(writer.write(['c']));
    await vi.advanceTimersByTimeAsync(499);
    expect(c.state).toBe('pending');
    await vi.advanceTimersByTimeAsync(1);
    expect(c.state).toBe('resolved');
    await writer.close();
    await db.close();
  });

  it('flushes on the interval with real timers', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, flushIntervalMs: 20 });
    await writer.write(['x']); // settles only through the timer: bufferSize is 10
    expect(await values(db)).toEqual(['x']);
    await db.close();
  });

  it('makes the write after capacity wait for room, and keeps write order', async () => {
    const { db, path } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 4 });
    const held = await lock(path); // batches cannot commit until this is released
    const accepted = ['a', 'b', 'c', 'd'].map((v) => track(writer.write([v])));
    const fifth = track(writer.write(['e']));
    const ready = track(writer.ready);
    await turn();
    expect(writer.pending).toBe(4);
    expect([...accepted, fifth, ready].map((t) => t.state)).toEqual(Array(6).fill('pending'));
    held.release();
    await writer.flush();
    expect([...accepted, fifth, ready].map((t) => t.state)).toEqual(Array(6).fill('resolved'));
    expect(await values(db)).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(writer.pending).toBe(0);
    await db.close();
  });

  it('close() drains everything, then refuses writes; db.close() closes open writers first', async () => {
    vi.useFakeTimers();
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, capacity: 3, bufferSize: 2, flushIntervalMs: 60_000 });
    const all = ['a', 'b', 'c', 'd', 'e'].map((v) => track(writer.write([v]))); // 2 wait for room
    await writer.close();
    expect(all.map((t) => t.state)).toEqual(Array(5).fill('resolved'));
    expect(await values(db)).toEqual(['a', 'b', 'c', 'd', 'e']);
    await expect(writer.write(['f'])).rejects.toMatchObject({ code: 'EUSAGE' });
    expect(vi.getTimerCount()).toBe(0); // the flush timer is gone

    const other = db.batchWriter({ statement: INSERT, flushIntervalMs: 60_000 });
    const g = track(other.write(['g']));
    await db.close();
    expect(g.state).toBe('resolved');
    await expect(other.write(['h'])).rejects.toMatchObject({ code: 'EUSAGE' });
  });

  it('flush() covers writes still waiting for room', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ statement: INSERT, bufferSize: 2, capacity: 2, flushIntervalMs: 60_000 });
    const all = ['a', 'b', 'c'].map((v) => track(writer.write([v])));
    await writer.flush();
    expect(all.map((t) => t.state)).toEqual(['resolved', 'resolved', 'resolved']);
    await db.close();
  });

  it('runs function items inside the batch transaction', async () => {
    const { db } = await freshDatabase();
    const writer = db.batchWriter({ bufferSize: 2 });
    await Promise.all([
      writer.write((s) => s.prepare(INSERT).run('f1')),
      writer.write((s) => {
        s.prepare(INSERT).run('f2');
        s.prepare(INSERT).run('f3');
      }),
    ]);
    expect(await values(db)).toEqual(['f1', 'f2', 'f3']);
    await db.close();
  });

  it('validates its options with EUSAGE', async () => {
    const { db } = await freshDatabase();
    for (const bad of [{ bufferSize: 0 }, { bufferSize: 20, capacity: 10 }, { flushIntervalMs: -1 }, { statement: ' ' }]) {
      expect(() => db.batchWriter(bad)).toThrow(expect.objectContaining({ code: 'EUSAGE' }));
    }
    await db.close();
    expect(() => db.batchWriter({})).toThrow(expect.objectContaining({ code: 'EUSAGE' }));
  });
});
