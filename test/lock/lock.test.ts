import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DblockError, LockTimeoutError, lock, withLock } from '../../src/index.js';
import { nextMessage, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Is the file free right now, according to util-linux flock(1) (an outside client)? */
function freeForFlock(lockPath: string): boolean {
  return spawnSync('flock', ['-n', lockPath, 'true']).status === 0;
}

async function errorOf(promise: Promise<unknown>): Promise<DblockError> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof DblockError) return err;
    throw err;
  }
  throw new Error('expected a DblockError');
}

async function holdInOtherProcess(target: string, options: object = {}) {
  const child = startFixture('hold-lock', [target, JSON.stringify(options)]);
  const ready = await nextMessage<{ ready?: boolean; lockPath: string; error?: string }>(child);
  if (!ready.ready) throw new Error(`fixture failed: ${ready.error}`);
  return { child, lockPath: ready.lockPath };
}

describe('lock()', () => {
  it('holds the OS lock until released; release is idempotent', async () => {
    const db = join(tempDir(), 'app.db');
    const held = await lock(db);
    expect(held.lockPath).toBe(`${held.target}.lock`);
    expect(freeForFlock(held.lockPath)).toBe(false);
    held.release();
    held.release();
    expect(held.held).toBe(false);
    expect(freeForFlock(held.lockPath)).toBe(true);
  });

  it('writes a holder record and names the holder when a try-once fails', async () => {
    const db = join(tempDir(), 'app.db');
    const { child, lockPath } = await holdInOtherProcess(db);
    const record = JSON.parse(readFileSync(lockPath, 'utf8'));
    expect(record).toMatchObject({ pid: child.pid, mode: 'exclusive' });
    const err = await errorOf(lock(db, { timeout: 0 }));
    expect(err).toBeInstanceOf(LockTimeoutError);
    expect(err.code).toBe('ELOCKTIMEOUT');
    expect(err.exitCode).toBe(75);
    expect((err as LockTimeoutError).holder?.pid).toBe(child.pid);
  });

  it('a timed-out waiter never ends up holding the lock, and its process can exit at once', async () => {
    const db = join(tempDir(), 'app.db');
    const { child, lockPath } = await holdInOtherProcess(db);
    const err = await errorOf(lock(db, { timeout: '300ms' }));
    expect(err.code).toBe('ELOCKTIMEOUT');
    child.send('release');
    await nextMessage(child, (m: { released?: boolean }) => m.released === true);
    // Nothing of the timed-out wait lingers: the next acquire succeeds and leaves the file free.
    const again = await lock(db, { timeout: '10s' });
    again.release();
    expect(freeForFlock(lockPath)).toBe(true);
    const other = await holdInOtherProcess(db, { timeout: '10s' });
    expect(other.lockPath).toBe(lockPath);
  });

  it('does not block the event loop while waiting', async () => {
    const db = join(tempDir(), 'app.db');
    const { child } = await holdInOtherProcess(db);
    let ticks = 0;
    const interval = setInterval(() => {
      ticks += 1;
      if (ticks === 5) child.send('release');
    }, 10);
    const held = await lock(db, { timeout: '20s' });
    clearInterval(interval);
    expect(ticks).toBeGreaterThanOrEqual(5);
    held.release();
  });

  it('gives up on abort without holding the lock', async () => {
    const db = join(tempDir(), 'app.db');
    const { child, lockPath } = await holdInOtherProcess(db);
    const controller = new AbortController();
    const waiting = errorOf(lock(db, { timeout: 'inf', signal: controller.signal }));
    setTimeout(() => controller.abort(), 50);
    expect((await waiting).code).toBe('EABORTED');
    child.send('release');
    await nextMessage(child, (m: { released?: boolean }) => m.released === true);
    (await lock(db, { timeout: '10s' })).release();
    expect(freeForFlock(lockPath)).toBe(true);
  });

  it('queues in-process callers in FIFO order', async () => {
    const db = join(tempDir(), 'app.db');
    const first = await lock(db);
    const order: number[] = [];
    const waiters = [1, 2, 3].map((n) =>
      lock(db).then((h) => {
        order.push(n);
        h.release();
      }),
    );
    first.release();
    await Promise.all(waiters);
    expect(order).toEqual([1, 2, 3]);
  });

  it('lets shared holders coexist across processes and excludes writers', async () => {
    const db = join(tempDir(), 'app.db');
    const { lockPath } = await holdInOtherProcess(db, { shared: true });
    const mine = await lock(db, { shared: true, timeout: 0 });
    expect(mine.mode).toBe('shared');
    const second = await lock(db, { shared: true, timeout: 0 }); // in-process shared: no second OS lock
    const writer = startFixture('hold-lock', [db, JSON.stringify({ timeout: 0 })]);
    expect(await nextMessage(writer)).toMatchObject({ code: 'ELOCKTIMEOUT' });
    mine.release();
    second.release();
    expect(freeForFlock(lockPath)).toBe(false); // the other process still holds it shared
  });

  it('does not keep a descriptor open for every file it ever locked', async () => {
    const dir = tempDir();
    const openFds = () => readdirSync('/proc/self/fd').length;
    const before = openFds();
    for (let i = 0; i < 600; i++) (await lock(join(dir, `f${i}.db`))).release();
    expect(openFds() - before).toBeLessThan(600);
    // Files closed along the way still lock correctly when used again.
    const again = await lock(join(dir, 'f0.db'), { timeout: 0 });
    expect(freeForFlock(again.lockPath)).toBe(false);
    again.release();
  });

  it('supports await using', async () => {
    const db = join(tempDir(), 'app.db');
    let lockPath = '';
    {
      await using held = await lock(db);
      lockPath = held.lockPath;
      expect(freeForFlock(lockPath)).toBe(false);
    }
    expect(freeForFlock(lockPath)).toBe(true);
  });
});

describe('re-entrancy', () => {
  it('passes nested acquisitions in the same async context through', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await withLock(db, async () => {
      const inner = await lock(db, { timeout: 0 });
      expect(inner.reentrant).toBe(true);
      inner.release();
      return withLock(db, () => 'nested', { timeout: 0 });
    });
    expect(result).toBe('nested');
  });

  it('refuses a shared→exclusive upgrade clearly', async () => {
    const db = join(tempDir(), 'app.db');
    const err = await errorOf(withLock(db, () => lock(db), { shared: true }));
    expect(err.code).toBe('EUPGRADE');
  });

  it('still excludes a different async context in the same process', async () => {
    const db = join(tempDir(), 'app.db');
    const outer = await lock(db);
    expect((await errorOf(lock(db, { timeout: 0 }))).code).toBe('ELOCKTIMEOUT');
    outer.release();
  });

  it('releases the lock when the function throws', async () => {
    const db = join(tempDir(), 'app.db');
    await expect(
      withLock(db, () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    (await lock(db, { timeout: 0 })).release();
  });
});
