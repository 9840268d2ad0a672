import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killAfterTest, runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

// The background sleep must not keep the test's stdout pipe open, or the run never "closes".
const DAEMON = 'sleep 300 </dev/null >/dev/null 2>&1 & echo $!';

function pidFrom(stdout: string): number {
  const pid = Number(stdout.trim());
  killAfterTest(pid);
  return pid;
}

describe('a lock leaked into a background process', () => {
  it('exec warns once, naming the process that inherited the descriptor, and suggests --close', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--db', db, '--', 'sh', '-c', DAEMON]);
    const pid = pidFrom(result.stdout);
    expect(result.code).toBe(0);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    // Named as dblock saw it: on a busy machine the forked shell may not have exec'd sleep yet.
    expect(lines[0]).toMatch(new RegExp(`pid ${pid} \\((sleep 300|sh -c .*)\\)`));
    expect(lines[0]).toContain('--close');
  });

  it('exec says nothing with --close (nothing was inherited) nor when the command leaves nothing behind', async () => {
    const db = join(tempDir(), 'app.db');
    const closed = await runDblock(['exec', '--close', '--db', db, '--', 'sh', '-c', DAEMON]);
    pidFrom(closed.stdout);
    expect(closed.code).toBe(0);
    expect(closed.stderr).toBe('');
    const clean = await runDblock(['exec', '--db', db, '--', 'sh', '-c', 'sleep 0.1 & wait']);
    expect(clean.stderr).toBe('');
  });

  it('status names the daemon that keeps a lock flock(1) took and left behind', async () => {
    const db = join(tempDir(), 'app.db');
    const lockPath = `${db}.lock`;
    const flock = spawnSync('flock', [lockPath, 'sh', '-c', DAEMON]);
    const pid = pidFrom(flock.stdout.toString());
    expect(spawnSync('flock', ['-n', lockPath, 'true']).status).not.toBe(0); // the daemon holds it
    const text = await runDblock(['status', '--db', db]);
    expect(text.stdout).toContain(`inherited by pid ${pid} (sleep 300)`);
    const json = await runDblock(['status', '--json', '--db', db]);
    const locks = JSON.parse(json.stdout).locks as { lockPath: string; inherited: { pid: number }[] }[];
    expect(locks.find((lock) => lock.lockPath === lockPath)?.inherited.map((holder) => holder.pid)).toEqual([pid]);
  });
});
