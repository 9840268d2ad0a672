import { getEventListeners } from 'node:events';
import { join } from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { boundedWait } from '../../src/util/bounded-wait.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Timers alive in this process now (a settled wait must leave none behind). */
function liveTimers(): number {
  return process.getActiveResourcesInfo().filter((name) => name === 'Timeout').length;
}

function abortListeners(signal: AbortSignal): number {
  return getEventListeners(signal, 'abort').length;
}

describe('boundedWait', () => {
  it('ends with timeout after the delay, leaving no timer and no abort listener', async () => {
    const controller = new AbortController();
    const before = liveTimers();
    let cleanups = 0;
    const outcome = await boundedWait(5, controller.signal, () => () => {
      cleanups += 1;
    });
    expect(outcome).toBe('timeout');
    expect(cleanups).toBe(1);
    expect(liveTimers()).toBeLessThanOrEqual(before);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('ends with woken on a wake-up: clears its timer and listener, runs the clean-up once', async () => {
    const controller = new AbortController();
    const before = liveTimers();
    let wake = (): void => {};
    let cleanups = 0;
    const waiting = boundedWait(60_000, controller.signal, (w) => {
      wake = w;
      return () => {
        cleanups += 1;
      };
    });
    expect(liveTimers()).toBe(before + 1);
    expect(abortListeners(controller.signal)).toBe(1);
    wake();
    wake(); // a second wake-up, or a late abort, changes nothing
    controller.abort();
    expect(await waiting).toBe('woken');
    expect(cleanups).toBe(1);
    expect(liveTimers()).toBeLessThanOrEqual(before);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('ends with aborted on abort, clearing its timer and running the clean-up', async () => {
    const controller = new AbortController();
    const before = liveTimers();
    let cleanups = 0;
    const waiting = boundedWait(60_000, controller.signal, () => () => {
      cleanups += 1;
    });
    controller.abort();
    expect(await waiting).toBe('aborted');
    expect(cleanups).toBe(1);
    expect(liveTimers()).toBeLessThanOrEqual(before);
  });

  it('an already aborted signal ends it at once, without arming anything', async () => {
    const controller = new AbortController();
    controller.abort();
    let armed = false;
    const outcome = await boundedWait(60_000, controller.signal, () => {
      armed = true;
    });
    expect(outcome).toBe('aborted');
    expect(armed).toBe(false);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('a wake-up from inside arm ends it at once and still runs the clean-up', async () => {
    const before = liveTimers();
    let cleanups = 0;
    const outcome = await boundedWait(60_000, undefined, (wake) => {
      wake();
      return () => {
        cleanups += 1;
      };
    });
    expect(outcome).toBe('woken');
    expect(cleanups).toBe(1);
    expect(liveTimers()).toBeLessThanOrEqual(before);
  });

  it('Infinity sets no timer: only a wake-up or the signal ends it', async () => {
    const controller = new AbortController();
    const before = liveTimers();
    const waiting = boundedWait(Number.POSITIVE_INFINITY, controller.signal);
    expect(liveTimers()).toBeLessThanOrEqual(before);
    await delay(10);
    controller.abort();
    expect(await waiting).toBe('aborted');
  });

  it('a wait longer than a Node timer can hold (24.8 days) does not end after 1 ms', async () => {
    let wake = (): void => {};
    const waiting = boundedWait(30 * 24 * 3600 * 1000, undefined, (w) => {
      wake = w;
    });
    await delay(20); // an overflowed setTimeout would have fired by now
    wake();
    expect(await waiting).toBe('woken');
  });

  it('a throwing arm rejects the wait and leaves no timer or listener', async () => {
    const controller = new AbortController();
    const before = liveTimers();
    const waiting = boundedWait(60_000, controller.signal, () => {
      throw new Error('arm failed');
    });
    await expect(waiting).rejects.toThrow('arm failed');
    expect(liveTimers()).toBeLessThanOrEqual(before);
    expect(abortListeners(controller.signal)).toBe(0);
  });

  it('a NaN delay is no delay (never a wait without end)', async () => {
    expect(await boundedWait(Number.NaN)).toBe('timeout');
  });
});

describe('lock waits built on it', () => {
  it('a waiter with a timeout longer than 24.8 days waits instead of timing out at once', async () => {
    const db = join(tempDir(), 'app.db');
    const first = await lock(db);
    const second = lock(db, { timeout: '30d' });
    await delay(30);
    first.release();
    const held = await second;
    expect(held.mode).toBe('exclusive');
    held.release();
  });

  it('a timed-out in-process waiter does not hold the lock, and leaves no timer behind', async () => {
    const db = join(tempDir(), 'app.db');
    const first = await lock(db);
    const before = liveTimers();
    await expect(lock(db, { timeout: '20ms' })).rejects.toMatchObject({ code: 'ELOCKTIMEOUT' });
    expect(liveTimers()).toBeLessThanOrEqual(before);
    first.release();
    const again = await lock(db, { timeout: 0 });
    again.release();
  });

  it('an aborted in-process waiter leaves the queue and the lock to the next caller', async () => {
    const db = join(tempDir(), 'app.db');
    const first = await lock(db);
    const controller = new AbortController();
    const gaveUp = lock(db, { signal: controller.signal, timeout: 'inf' });
    const next = lock(db, { timeout: '10s' });
    controller.abort();
    await expect(gaveUp).rejects.toMatchObject({ code: 'EABORTED' });
    first.release();
    const held = await next;
    held.release();
  });
});

describe('timers built on it', () => {
  it('a maxHold longer than 24.8 days does not abort the handle after 1 ms', async () => {
    const held = await lock(join(tempDir(), 'app.db'), { maxHold: '30d' });
    try {
      await delay(20); // an overflowed setTimeout would have fired by now
      expect(held.signal.aborted).toBe(false);
    } finally {
      held.release();
    }
  });
});
