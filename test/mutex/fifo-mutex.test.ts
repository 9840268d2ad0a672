import { describe, expect, it } from 'vitest';
import { FifoMutex } from '../../src/mutex/fifo-mutex.js';

describe('FifoMutex', () => {
  it('serves exclusive waiters in arrival order', async () => {
    const mutex = new FifoMutex();
    expect(mutex.tryAcquire('exclusive')).toBe(true);
    const order: number[] = [];
    const waits = [1, 2, 3].map((n) => mutex.acquire('exclusive').then(() => order.push(n)));
    expect(mutex.waiting).toBe(3);
    for (let i = 0; i < 3; i++) {
      mutex.release();
      await Promise.resolve();
      await Promise.resolve();
    }
    await Promise.all(waits);
    expect(order).toEqual([1, 2, 3]);
  });

  it('lets readers share but queues readers behind a waiting writer', async () => {
    const mutex = new FifoMutex();
    expect(mutex.tryAcquire('shared')).toBe(true);
    expect(mutex.tryAcquire('shared')).toBe(true);
    const writer = mutex.acquire('exclusive');
    expect(mutex.tryAcquire('shared')).toBe(false); // no jumping the queue
    const reader = mutex.acquire('shared');
    mutex.release();
    mutex.release();
    await writer;
    expect(mutex.holders).toBe(1);
    expect(mutex.waiting).toBe(1);
    mutex.release();
    await reader;
    expect(mutex.holders).toBe(1);
  });

  it('drops an aborted waiter and lets the next one through', async () => {
    const mutex = new FifoMutex();
    mutex.tryAcquire('exclusive');
    const controller = new AbortController();
    const first = mutex.acquire('exclusive', controller.signal);
    const second = mutex.acquire('exclusive');
    controller.abort();
    expect(await first).toBe(false);
    mutex.release();
    expect(await second).toBe(true);
    expect(mutex.holders).toBe(1);
  });

  it('refuses a release without a holder', () => {
    expect(() => new FifoMutex().release()).toThrow();
  });
});
