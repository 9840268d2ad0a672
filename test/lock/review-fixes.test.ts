import { spawnSync } from 'node:child_process';
import { readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock, withLock } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { BIN, finished, runDblock, startProcess, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** util-linux flock(1) holding `file` until its stdin closes. */
async function holdWithFlock(file: string) {
  const holder = startProcess('flock', [file, 'sh', '-c', 'echo locked; read x; exit 0'], { stdio: ['pipe', 'pipe', 'pipe'] });
  await waitForLine(holder, (line) => line === 'locked');
  return holder;
}

describe('lock engine edge cases', () => {
  it('keeps a record for a long multi-byte command within its slot and still locks', async () => {
    const db = join(tempDir(), 'app.db');
    const held = await lock(db, { command: `${'日本語"\\'.repeat(120)}` });
    const record = JSON.parse(readFileSync(held.lockPath, 'utf8'));
    expect(record.command.length).toBeGreaterThan(0);
    expect(spawnSync('flock', ['-n', held.lockPath, 'true']).status).toBe(1);
    held.release();
    expect(spawnSync('flock', ['-n', held.lockPath, 'true']).status).toBe(0);
  });

  it('rejects a failed shared acquisition cleanly (no unhandled rejection)', async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'victim'), 'x');
    symlinkSync(join(dir, 'victim'), join(dir, 'c.db.lock'));
    expect(await codeOf(lock(join(dir, 'c.db'), { shared: true }))).toBe('ESIDECAR');
  });

  it('bounds a second in-process shared caller by its own timeout', async () => {
    const db = join(tempDir(), 'app.db');
    const holder = await holdWithFlock(`${db}.lock`);
    const first = lock(db, { shared: true, timeout: '20s' });
    expect(await codeOf(lock(db, { shared: true, timeout: '200ms' }))).toBe('ELOCKTIMEOUT');
    holder.stdin?.end();
    (await first).release();
  });

  it('does not pass a lock through to code that runs after it was released', async () => {
    const db = join(tempDir(), 'app.db');
    let later: Promise<boolean> | undefined;
    await withLock(db, () => {
      later = new Promise((resolve) => setTimeout(() => resolve(withLock(db, (held) => held.reentrant)), 20));
    });
    expect(await later).toBe(false);
  });

  it('steps past a door whose holder stopped, once the lock itself is free', async () => {
    const db = join(tempDir(), 'app.db');
    (await lock(db)).release(); // create the sidecars
    const stuck = await holdWithFlock(`${db}.lock.turn`); // a door holder that never moves
    const result = await runDblock(['exec', '--db', db, '--timeout', '10s', '--', 'true']);
    expect(result.code).toBe(0);
    stuck.stdin?.end();
  });

  it('passes an ancestor exec lock down through an exec on another target', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.db');
    const b = join(dir, 'b.db');
    const inner = `"${process.execPath}" "${BIN}" exec --db "${a}" --timeout 0 -- echo nested-ok`;
    const middle = `"${process.execPath}" "${BIN}" exec --db "${b}" -- sh -c '${inner}'`;
    const result = await finished(startProcess(process.execPath, [BIN, 'exec', '--db', a, '--', 'sh', '-c', middle]));
    expect(result).toMatchObject({ code: 0, stdout: 'nested-ok\n' });
  });
});
