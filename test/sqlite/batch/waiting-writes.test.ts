import { describe, expect, it } from 'vitest';
import { Batch } from '../../../src/sqlite/batch/batch.js';
import { Fifo } from '../../../src/sqlite/batch/fifo.js';
import { WaitingWrites } from '../../../src/sqlite/batch/waiting-writes.js';

const noop = (): void => {};

describe('Fifo', () => {
  it('keeps first-in first-out order across its internal cuts, interleaved pushes and drains', () => {
    const fifo = new Fifo<number>();
    const out: number[] = [];
    let next = 0;
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 97; i++) fifo.push(next++);
      for (let i = 0; i < 60; i++) out.push(fifo.shift() as number);
    }
    expect(fifo.length).toBe(next - out.length);
    expect(fifo.peek()).toBe(out.length);
    out.push(...fifo.drain());
    expect(out).toEqual([...Array(next).keys()]);
    expect(fifo.length).toBe(0);
    expect(fifo.shift()).toBeUndefined();
  });
});

describe('WaitingWrites', () => {
  it('hands over a whole waiting chunk as the next batch, without moving its items', () => {
    const waiting = new WaitingWrites(3);
    for (let i = 0; i < 7; i++) waiting.add(i, noop, noop);
    expect(waiting.count).toBe(7);
    const first = waiting.admit(3, new Batch());
    const second = waiting.admit(10, new Batch());
    expect([first.items, second.items]).toEqual([
      [0, 1, 2],
      [3, 4, 5],
    ]);
    expect(first.resolves).toHaveLength(3);
    // Only part of the last chunk fits: the rest stays first in line.
    const open = new Batch();
    open.add('earlier', noop, noop);
    expect(waiting.admit(1, open)).toBe(open);
    expect(open.items).toEqual(['earlier', 6]);
    expect(waiting.count).toBe(0);
  });

  it('moves part of a chunk when room is short, keeping order and each item’s settle functions', () => {
    const waiting = new WaitingWrites(4);
    const settles = Array.from({ length: 6 }, () => () => {});
    for (const [i, resolve] of settles.entries()) waiting.add(i, resolve, noop);
    const part = waiting.admit(2, new Batch());
    expect(part.items).toEqual([0, 1]);
    expect(part.resolves).toEqual(settles.slice(0, 2));
    const restOfChunk = waiting.admit(4, new Batch());
    expect(restOfChunk.items).toEqual([2, 3]);
    expect(waiting.drainItems()).toEqual([4, 5]);
    expect(waiting.count).toBe(0);
  });
});
