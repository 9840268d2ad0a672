import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect } from 'vitest';
import { concurrentIt } from '../helpers/after-test.js';
import { finished, killAfterTest, runDblock, startDblock, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

interface Holder {
  wrapper: ChildProcess;
  /** The pid of CMD (a shell waiting on `fifo`). */
  childPid: number;
  /** Lets CMD finish. */
  finish: () => void;
  lock: string;
  dir: string;
  /** The stale period every process uses (a waiter judges staleness by its own). */
  stale: string;
}

/** `dblock exec --backend mkdir --lock L -- sh` whose CMD reports its pid and then waits on a FIFO. */
async function holdLock(stale: string, options: { detached?: boolean } = {}): Promise<Holder> {
  const dir = tempDir();
  const lock = join(dir, 'L');
  const fifo = join(dir, 'go');
  execFileSync('mkfifo', [fifo]);
  // CMD waits on a FIFO, not on dblock's stdin (Node closes that pipe when dblock dies).
  const script = `echo "started $$"; read x < "${fifo}"; echo done`;
  const wrapper = startDblock(
    ['exec', '--backend', 'mkdir', '--stale', stale, '--lock', lock, '--', 'sh', '-c', script],
    options,
  );
  const line = await waitForLine(wrapper, (l) => l.startsWith('started '));
  const childPid = Number(line.split(' ')[1]);
  if (!(childPid > 1)) throw new Error(`no pid in ${JSON.stringify(line)}`); // kill(0) would hit our own group
  killAfterTest(childPid);
  return { wrapper, childPid, finish: () => writeFileSync(fifo, 'go\n'), lock, dir, stale };
}

/** A second `dblock exec` on the same lock whose CMD writes a marker file; its exit code and whether it wrote. */
async function secondWriter(holder: Holder, timeout: string): Promise<{ code: number | null; wrote: boolean }> {
  const marker = join(holder.dir, 'second-wrote');
  const args = ['exec', '--backend', 'mkdir', '--stale', holder.stale, '--lock', holder.lock, '--timeout', timeout];
  const result = await runDblock([...args, '--', 'sh', '-c', `echo second > "${marker}"`]);
  return { code: result.code, wrote: existsSync(marker) };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

// The second writer waits 3 stale periods: without a keeper the first lock is taken over within one.
// The tests mostly wait out those periods, so they run side by side, each with its own lock and children.
describe('dblock exec --backend mkdir: the lock lives exactly as long as CMD', { timeout: 60_000 }, () => {
  concurrentIt('a SIGKILLed dblock never frees the lock while its child still runs', async () => {
    const holder = await holdLock('2s');
    const closed = new Promise((resolve) => holder.wrapper.stdout?.once('end', resolve));
    holder.wrapper.kill('SIGKILL');
    await new Promise((resolve) => holder.wrapper.once('exit', resolve));
    expect(await secondWriter(holder, '6s')).toEqual({ code: 75, wrote: false });
    expect(alive(holder.childPid)).toBe(true); // so it was alive throughout the second writer's wait
    holder.finish();
    await closed; // the child has exited (it held dblock's stdout)
    expect(await secondWriter(holder, '10s')).toEqual({ code: 0, wrote: true });
  });

  concurrentIt(
    'with --lock-dir, keeps both locks it took (in DIR and beside the target) while the child of a SIGKILLed dblock runs',
    async () => {
      const dir = tempDir();
      const db = join(dir, 'app.db');
      const fifo = join(dir, 'go');
      execFileSync('mkfifo', [fifo]);
      const common = ['--backend', 'mkdir', '--stale', '2s', '--db', db];
      const script = `echo "started $$"; read x < "${fifo}"`;
      const wrapper = startDblock(['exec', ...common, '--lock-dir', tempDir(), '--', 'sh', '-c', script]);
      const line = await waitForLine(wrapper, (l) => l.startsWith('started '));
      const childPid = Number(line.split(' ')[1]);
      if (!(childPid > 1)) throw new Error(`no pid in ${JSON.stringify(line)}`);
      killAfterTest(childPid);
      wrapper.kill('SIGKILL');
      const marker = join(dir, 'second-wrote');
      const second = await runDblock(['exec', ...common, '--timeout', '6s', '--', 'sh', '-c', `echo > "${marker}"`]);
      expect({ code: second.code, wrote: existsSync(marker) }).toEqual({ code: 75, wrote: false });
      expect(alive(childPid)).toBe(true);
      writeFileSync(fifo, 'go\n');
    },
  );

  concurrentIt('frees the lock as soon as the child of a SIGKILLed dblock ends, not a stale period later', async () => {
    const holder = await holdLock('60s');
    const closed = new Promise((resolve) => holder.wrapper.stdout?.once('end', resolve));
    holder.wrapper.kill('SIGKILL');
    await new Promise((resolve) => holder.wrapper.once('exit', resolve));
    holder.finish();
    await closed;
    expect(await secondWriter(holder, '10s')).toEqual({ code: 0, wrote: true });
  });

  concurrentIt(
    'a SIGSTOPped dblock past the stale period lets no second writer in, and ends normally when continued',
    async () => {
      const holder = await holdLock('2s');
      const done = finished(holder.wrapper);
      holder.wrapper.kill('SIGSTOP');
      expect(await secondWriter(holder, '6s')).toEqual({ code: 75, wrote: false });
      expect(alive(holder.childPid)).toBe(true);
      holder.wrapper.kill('SIGCONT');
      holder.finish();
      const result = await done;
      expect(result.code).toBe(0); // not ECOMPROMISED: the keeper's heartbeats are no takeover
      expect(result.stderr).toBe('');
      expect(existsSync(holder.lock)).toBe(false);
    },
  );

  concurrentIt('a stopped job (Ctrl-Z: dblock and CMD stopped together) keeps its lock', async () => {
    const holder = await holdLock('2s', { detached: true }); // its own process group, like a shell job
    const done = finished(holder.wrapper);
    const pid = holder.wrapper.pid;
    if (pid === undefined) throw new Error('dblock exec did not start');
    const group = -pid;
    process.kill(group, 'SIGSTOP');
    try {
      expect(await secondWriter(holder, '6s')).toEqual({ code: 75, wrote: false });
    } finally {
      process.kill(group, 'SIGCONT');
    }
    holder.finish();
    expect((await done).code).toBe(0);
    expect(existsSync(holder.lock)).toBe(false);
  });

  concurrentIt('a SIGKILLed keeper is reported, and dblock alone still keeps the lock while it lives', async () => {
    const holder = await holdLock('2s');
    const done = finished(holder.wrapper);
    // The keeper's command line: `node …/lock-keeper.js INTERVAL_MS LOCK_DIR`.
    const found = spawnSync('pgrep', ['-f', `lock-keeper\\.js [0-9]+ ${holder.lock}$`], { encoding: 'utf8' }).stdout;
    const keepers = found.split('\n').filter((pid) => /^[1-9][0-9]*$/.test(pid)); // never 0: that is our own group
    expect(keepers).toHaveLength(1);
    const warned = waitForLine(holder.wrapper, (line) => line.includes('keeper'), 'stderr');
    process.kill(Number(keepers[0]), 'SIGKILL');
    expect(await warned).toMatch(/^dblock: .*keeper .*exited \(SIGKILL\)/);
    expect(await secondWriter(holder, '6s')).toEqual({ code: 75, wrote: false });
    holder.finish();
    expect((await done).code).toBe(0);
    expect(existsSync(holder.lock)).toBe(false);
  });
});
