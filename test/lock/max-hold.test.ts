import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DblockError } from '../../src/errors.js';
import { lock, withLock } from '../../src/index.js';
import { ROOT } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}

describe('maxHold', () => {
  it("aborts the handle's signal with EMAXHOLD; withLock throws it and releases the lock", async () => {
    const db = join(tempDir(), 'app.db');
    let reason: unknown;
    const run = withLock(
      db,
      async (held) => {
        await untilAborted(held.signal);
        reason = held.signal.reason;
        return 'finished anyway';
      },
      { maxHold: '200ms' },
    );
    await expect(run).rejects.toMatchObject({ code: 'EMAXHOLD' });
    expect(reason instanceof DblockError && reason.code).toBe('EMAXHOLD');
    expect(spawnSync('flock', ['-n', `${db}.lock`, 'true']).status).toBe(0);
  });

  it('leaves work that ends in time alone, and its timer does not keep the process alive', () => {
    const db = join(tempDir(), 'app.db');
    const script = `import { withLock } from ${JSON.stringify(join(ROOT, 'dist', 'index.js'))};
      const held = await withLock(${JSON.stringify(db)}, (h) => h.signal.aborted, { maxHold: '1h' });
      console.log(String(held));`;
    const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], { timeout: 20_000 });
    expect(child.status).toBe(0);
    expect(child.stdout.toString()).toBe('false\n');
  });

  it.each(['0', 'soon', -1])('refuses maxHold %j with EUSAGE before taking the lock', async (maxHold) => {
    const db = join(tempDir(), 'app.db');
    await expect(lock(db, { maxHold })).rejects.toMatchObject({ code: 'EUSAGE' });
    expect(spawnSync('flock', ['-n', `${db}.lock`, 'true']).status).toBe(0);
  });
});
