import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { killAfterTest, runDblock } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  // A zombie (not yet reaped by init) runs nothing and holds nothing.
  const state = spawnSync('ps', ['-o', 'stat=', '-p', String(pid)])
    .stdout.toString()
    .trim();
  return state !== '' && !state.startsWith('Z');
}

/** The pids a script printed, one a line, remembered for cleanup. */
function printedPids(stdout: string): number[] {
  const pids = stdout.trim().split('\n').filter(Boolean).map(Number);
  killAfterTest(...pids);
  return pids;
}

function flockFree(lockPath: string): boolean {
  return spawnSync('flock', ['-n', lockPath, 'true']).status === 0;
}

describe('dblock exec --max-hold', () => {
  it('stops the command and the background job it started, exits 124 and names what it killed', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--db', db, '--max-hold', '1s', '--', 'sh', '-c', 'sleep 300 & echo $!; wait']);
    const [sleepPid] = printedPids(result.stdout);
    expect(result.code).toBe(124);
    expect(sleepPid).toBeGreaterThan(0);
    expect(alive(sleepPid ?? 0)).toBe(false);
    const lines = result.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('--max-hold');
    expect(lines[0]).toContain('1 descendant');
    expect(flockFree(`${db}.lock`)).toBe(true);
  });

  it('SIGKILLs a tree that ignores SIGTERM once --kill-after has passed', async () => {
    const db = join(tempDir(), 'app.db');
    // An ignored signal stays ignored across fork and exec: the sleep ignores SIGTERM too.
    const script = 'trap "" TERM; sleep 300 & echo $!; wait';
    const result = await runDblock([
      'exec',
      '--db',
      db,
      '--max-hold',
      '500ms',
      '--kill-after',
      '500ms',
      '--',
      'sh',
      '-c',
      script,
    ]);
    const [sleepPid] = printedPids(result.stdout);
    expect(result.code).toBe(124);
    expect(alive(sleepPid ?? 0)).toBe(false);
    expect(result.stderr).toContain('SIGKILL');
    expect(flockFree(`${db}.lock`)).toBe(true);
  });

  it("returns the command's own status when it ends in time (the cap's timer does not keep dblock alive)", async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--db', db, '--max-hold', '1h', '--', 'sh', '-c', 'exit 3']);
    expect(result.code).toBe(3);
    expect(result.stderr).toBe('');
  });

  it.each([
    [['--max-hold', '0']],
    [['--max-hold', 'inf']],
    [['--max-hold', 'soon']],
    [['--kill-after', '1s']],
    [['--max-hold', '1s', '--kill-after', 'later']],
  ])('refuses %j with a one-line usage error before taking the lock', async (flags) => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--db', db, ...flags, '--', 'true']);
    expect(result.code).toBe(64);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
  });

  // Node fires a setTimeout longer than 2^31-1 ms (24.8 days) after 1 ms: a long cap must not end CMD at once.
  it('a cap longer than 24.8 days lets the command finish (exit 0), and so does a TTL that long', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const script = 'sleep 0.3; echo finished';
    const capped = await runDblock(['exec', '--db', db, '--max-hold', '30d', '--kill-after', '30d', '--', 'sh', '-c', script]);
    expect([capped.code, capped.stdout.trim(), capped.stderr]).toEqual([0, 'finished', '']);
    const env = { ...process.env, DBLOCK_HOME: join(dir, 'home') };
    const ttl = await runDblock(['exec', '--writes', join(dir, 'out.json'), '--ttl', '30d', '--', 'sh', '-c', script], { env });
    expect([ttl.code, ttl.stdout.trim(), ttl.stderr]).toEqual([0, 'finished', '']);
  });
});
