import { type ChildProcess, spawnSync } from 'node:child_process';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { captureIo } from '../helpers/capture-io.js';
import { finished, runDblock, startDblock, startProcess, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** util-linux flock(1) holding `lockfile` (shared with `--shared`) until its stdin closes. */
async function flockHolder(lockfile: string, ...flags: string[]): Promise<ChildProcess> {
  const holder = startProcess('flock', [...flags, lockfile, 'sh', '-c', 'echo locked; read x; exit 0'], {
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  await waitForLine(holder, (line) => line === 'locked');
  return holder;
}

/** util-linux's tests/ts/misc/flock scenarios, with dblock exec in flock's place and flock's own short flags. */
describe('dblock exec as flock(1): the util-linux scenarios', () => {
  it('non-block, shared, exclusive, and a timeout that ends when the shared holder ends', async () => {
    const lockfile = join(tempDir(), 'lockfile');
    const general = await flockHolder(lockfile, '--shared');
    const generalDone = finished(general);

    const nonBlock = await runDblock(['exec', '-n', '-E', '123', lockfile, 'echo', 'You will never see this!']);
    expect(nonBlock).toMatchObject({ code: 123, stdout: '' });
    const shared = await runDblock(['exec', '-s', lockfile, 'echo', 'Have shared lock']);
    expect(shared).toMatchObject({ code: 0, stdout: 'Have shared lock\n' });
    const exclusive = await runDblock(['exec', '-n', '-x', '-E', '123', lockfile, 'echo', 'You will never see this!']);
    expect(exclusive).toMatchObject({ code: 123, stdout: '' });

    // timeout + time check: the exclusive waiter is still waiting (it says so) until the holder ends.
    const events: string[] = [];
    const waiter = startDblock(['exec', '-v', '-w', '20', '-E', '5', lockfile, 'echo', 'After timeout.']);
    const waiterDone = finished(waiter).then((result) => {
      events.push('waiter done');
      return result;
    });
    await waitForLine(waiter, (line) => line.includes(`waiting for ${lockfile}`), 'stderr');
    events.push('holder released');
    general.stdin?.end();
    expect((await generalDone).code).toBe(0);
    const timeout = await waiterDone;
    expect(timeout).toMatchObject({ code: 0, stdout: 'After timeout.\n' });
    expect(events).toEqual(['holder released', 'waiter done']);
  });

  it('-w takes fractional seconds and -E sets the conflict code', async () => {
    const lockfile = join(tempDir(), 'lockfile');
    const holder = await flockHolder(lockfile);
    expect((await runDblock(['exec', '-w', '0.2', '-E', '7', lockfile, 'true'])).code).toBe(7);
    expect((await runDblock(['exec', '-w', '0.2', lockfile, 'true'])).code).toBe(75); // not flock's 1
    holder.stdin?.end();
  });

  it('-o (--close) does not pass the lock to the command, which still runs under it', async () => {
    const lockfile = join(tempDir(), 'lockfile');
    // The command sees no descriptor of the lock file; flock(1) from inside finds it held by dblock.
    const script = `ls -l /proc/$$/fd | grep -c "${lockfile}"; flock -n "${lockfile}" true || echo busy`;
    const closed = await runDblock(['exec', '-o', lockfile, 'sh', '-c', script]);
    expect(closed).toMatchObject({ code: 0, stdout: '0\nbusy\n' });
    const kept = await runDblock(['exec', lockfile, 'sh', '-c', `ls -l /proc/$$/fd | grep -c "${lockfile}"`]);
    expect(kept.stdout).toBe('1\n');
  });

  it('FILE -c "shell command" runs through sh -c, creates FILE and locks FILE itself (= --lock FILE)', async () => {
    const dir = tempDir();
    const lockfile = join(dir, 'new.lock');
    const inside = startDblock(['exec', lockfile, '-c', 'echo "locked $0"; read x; exit 0'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(inside, (line) => line === 'locked sh');
    expect(statSync(lockfile).isFile()).toBe(true);
    expect(spawnSync('flock', ['-n', lockfile, 'true']).status).toBe(1);
    inside.stdin?.end();
    expect((await finished(inside)).code).toBe(0);
    expect((await runDblock(['exec', '-c', 'exit 6', lockfile])).code).toBe(6);
  });

  it('keeps dblock’s own form: with --db/--lock/--writes the arguments are the command', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const result = await runDblock(['exec', '--db', db, 'sh', '-c', 'echo "$DBLOCK_HELD"']);
    expect(JSON.parse(result.stdout)[0]).toMatchObject({ path: `${db}.lock`, fd: 3 });
    const separated = await runDblock(['exec', join(dir, 'f.lock'), '--', 'echo', 'after dashes']);
    expect(separated.stdout).toBe('after dashes\n');
  });

  it('refuses contradictory flock flags with one line and 64', async () => {
    const lockfile = join(tempDir(), 'lockfile');
    const cases = [
      ['exec', '-s', '-x', lockfile, 'true'],
      ['exec', '-n', '-w', '5', lockfile, 'true'],
      ['exec', lockfile, '-c', 'true', 'extra'],
      ['exec', '-c', 'true', '--db', lockfile, 'extra'],
    ];
    for (const args of cases) {
      const result = await runDblock(args);
      expect({ args, code: result.code }).toEqual({ args, code: 64 });
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
    }
  });
});

describe('dblock exec: commander takes the same forms as the fast path', () => {
  it.each([
    ['FILE CMD', (lock: string, out: string) => ['exec', lock, 'sh', '-c', `echo "$DBLOCK_HELD" > "${out}"`]],
    ['FILE -c STRING', (lock: string, out: string) => ['exec', '-n', lock, '-c', `echo "$DBLOCK_HELD" > "${out}"`]],
    ['-c STRING FILE', (lock: string, out: string) => ['exec', '-x', '-c', `echo "$DBLOCK_HELD" > "${out}"`, lock]],
    [
      'FILE -- CMD',
      (lock: string, out: string) => ['exec', '-w', '1.5', lock, '--', 'sh', '-c', `echo "$DBLOCK_HELD" > "${out}"`],
    ],
  ])('%s', async (_form, argv) => {
    const dir = tempDir();
    const lock = join(dir, 'job.lock');
    const out = join(dir, 'out');
    const { io } = captureIo();
    expect(await main(['node', 'dblock', ...argv(lock, out)], io)).toBe(0);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual([{ path: lock, fd: 3, mode: 'exclusive' }]);
  });
});

describe('dblock exec: quiet when asked', () => {
  it("the README's cron recipe (--timeout 0 --conflict-exit-code 0 -q) prints nothing when the lock is busy", async () => {
    const lockfile = join(tempDir(), 'nightly.lock');
    const holder = await flockHolder(lockfile);
    for (const args of [
      ['exec', '--lock', lockfile, '--timeout', '0', '--conflict-exit-code', '0', '-q', '--', './nightly.sh'],
      ['exec', '-n', '-E', '0', '-q', lockfile, './nightly.sh'],
    ]) {
      expect(await runDblock(args)).toMatchObject({ code: 0, stdout: '', stderr: '' });
    }
    // Without -q the conflict is still said, once; -q alone does not hide an unmapped conflict.
    const said = await runDblock(['exec', '-n', '-E', '9', lockfile, 'true']);
    expect(said.code).toBe(9);
    expect(said.stderr.trim().split('\n')).toHaveLength(1);
    const error = await runDblock(['exec', '-n', '-q', lockfile, 'true']);
    expect(error.code).toBe(75);
    expect(error.stderr).toContain(lockfile);
    holder.stdin?.end();
  });

  it('--json reports the exit code really used', async () => {
    const lockfile = join(tempDir(), 'nightly.lock');
    const holder = await flockHolder(lockfile);
    const mapped = await runDblock(['exec', '-n', '-E', '0', '-q', '--json', lockfile, 'true']);
    expect(mapped).toMatchObject({ code: 0, stderr: '' });
    expect(JSON.parse(mapped.stdout).error).toMatchObject({ code: 'ELOCKTIMEOUT', exitCode: 0 });
    const plain = await runDblock(['exec', '-n', '--json', lockfile, 'true']);
    expect(plain.code).toBe(75);
    expect(JSON.parse(plain.stdout).error).toMatchObject({ exitCode: 75 });
    holder.stdin?.end();
  });
});
