import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock, withLock } from '../../src/index.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Whether Node's async hooks book-keep promises now: a tracked promise carries async-id symbols. */
function promisesTracked(): boolean {
  return Object.getOwnPropertySymbols(new Promise<void>(() => {})).length > 0;
}

describe('the held-lock context', () => {
  it('stops tracking every promise of the process once the last withLock() body has settled', async () => {
    const dir = tempDir();
    expect(promisesTracked()).toBe(false);
    let inside = false;
    await withLock(join(dir, 'a'), async () => {
      await null;
      inside = promisesTracked();
    });
    expect(inside).toBe(true);
    expect(promisesTracked()).toBe(false);
  });

  it('keeps nested and concurrent holds working across the tracking turning off and on', async () => {
    const dir = tempDir();
    const a = join(dir, 'a');
    const b = join(dir, 'b');
    let later: Promise<boolean> | undefined;
    await withLock(a, async () => {
      // Started inside, run after the release: the released hold must not pass through.
      later = new Promise((resolve) => setTimeout(resolve, 0))
        .then(() => lock(a, { timeout: 0 }))
        .then((handle) => {
          handle.release();
          return handle.reentrant;
        });
    });
    expect(await later).toBe(false);
    await withLock(b, async () => {
      await withLock(a, async () => {
        await null;
        // Nested on a lock held by the enclosing body: passes through, however the tracking went.
        const inner = await lock(b, { timeout: 0 });
        expect(inner.reentrant).toBe(true);
        inner.release();
      });
    });
    expect(promisesTracked()).toBe(false);
  });
});
