import { type ChildProcess, execFileSync, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  BIN,
  finished,
  nextMessage,
  runDblock,
  startDblock,
  startFixture,
  startProcess,
  waitForLine,
} from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

function flockBusy(lockPath: string): boolean {
  return spawnSync('flock', ['-n', lockPath, 'true']).status !== 0;
}

const NODE = process.execPath;

describe('dblock exec', () => {
  it("returns the child's status and passes the lock's descriptor and DBLOCK_HELD", async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--db', db, '--', 'sh', '-c', 'readlink /proc/$$/fd/3; echo "$DBLOCK_HELD"; exit 3']);
    expect(result.code).toBe(3);
    const [fdTarget, held] = result.stdout.trim().split('\n');
    expect(fdTarget?.endsWith('app.db.lock')).toBe(true);
    expect(JSON.parse(held ?? '')).toEqual([{ path: fdTarget, fd: 3, mode: 'exclusive' }]);
  });

  it('accepts the command without `--`, like flock(1), with the same options', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '-w', '5s', '--db', db, 'sh', '-c', 'echo "$DBLOCK_HELD"; exit 4']);
    expect(result.code).toBe(4);
    expect(JSON.parse(result.stdout)[0]).toMatchObject({ fd: 3, mode: 'exclusive' });
  });

  it('passes nothing down with --close', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock([
      'exec',
      '--close',
      '--db',
      db,
      '--',
      'sh',
      '-c',
      'test -e /proc/$$/fd/3 || echo none; echo "[$DBLOCK_HELD]"',
    ]);
    expect(result.stdout).toBe('none\n[]\n');
  });

  it('maps not found → 127, not executable → 126, death by signal N → 128+N', async () => {
    const db = join(tempDir(), 'app.db');
    const notFound = await runDblock(['exec', '--db', db, '--', 'no-such-command-xyz']);
    expect(notFound.code).toBe(127);
    expect(notFound.stderr.trim().split('\n')).toHaveLength(1);
    const script = join(tempDir(), 'script.sh');
    writeFileSync(script, '#!/bin/sh\necho hi\n', { mode: 0o644 });
    expect((await runDblock(['exec', '--db', db, '--', script])).code).toBe(126);
    expect((await runDblock(['exec', '--db', db, '--', 'sh', '-c', 'kill -9 $$'])).code).toBe(137);
  });

  it('excludes and is excluded by util-linux flock(1) on the same lock file', async () => {
    const db = join(tempDir(), 'app.db');
    const outside = startProcess('flock', [`${db}.lock`, 'sh', '-c', 'echo locked; read x'], { stdio: ['pipe', 'pipe', 'pipe'] });
    await waitForLine(outside, (line) => line === 'locked');
    const busy = await runDblock(['exec', '--db', db, '--timeout', '0', '--', 'true']);
    expect(busy.code).toBe(75);
    expect(busy.stderr).toContain('app.db.lock');
    // A timed-out wait exits at once even though its flock(2) call is still blocked in the kernel.
    const timedOut = await runDblock(['exec', '--db', db, '--timeout', '200ms', '--', 'true']);
    expect(timedOut.code).toBe(75);
    expect(timedOut.stderr).toMatch(/timed out after 0\.\ds waiting for .*app\.db\.lock/);
    const custom = await runDblock(['exec', '--db', db, '-w', '0', '-E', '9', '--', 'true']);
    expect(custom.code).toBe(9);
    outside.stdin?.end();
    expect((await runDblock(['exec', '--db', db, '--timeout', '20s', '--', 'true'])).code).toBe(0);

    const inside = startDblock(['exec', '--db', db, '--', 'sh', '-c', 'echo locked; read x; exit 0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await waitForLine(inside, (line) => line === 'locked');
    expect(flockBusy(`${db}.lock`)).toBe(true);
    inside.stdin?.end();
    expect((await finished(inside)).code).toBe(0);
    expect(flockBusy(`${db}.lock`)).toBe(false);
  });

  it('keeps the lock held by the child when dblock itself is SIGKILLed', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    const fifo = join(dir, 'go');
    execFileSync('mkfifo', [fifo]);
    // The child waits on a FIFO, not on dblock's stdin (Node closes that pipe when dblock dies).
    const wrapper = startDblock(['exec', '--db', db, '--', 'sh', '-c', `echo started; read x < "${fifo}"; echo done`]);
    await waitForLine(wrapper, (line) => line === 'started');
    const closed = new Promise((resolve) => wrapper.stdout?.once('end', resolve));
    wrapper.kill('SIGKILL');
    await new Promise((resolve) => wrapper.once('exit', resolve));
    expect(flockBusy(`${db}.lock`)).toBe(true); // the child still writes: nobody else may hold it
    writeFileSync(fifo, 'go\n'); // let the orphaned child finish
    await closed;
    expect(flockBusy(`${db}.lock`)).toBe(false);
  });

  it.each(['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const)(
    'forwards %s to the child and returns its status',
    async (signal) => {
      const db = join(tempDir(), 'app.db');
      const code = `for (const s of ['SIGINT','SIGTERM','SIGHUP','SIGQUIT']) process.on(s, () => { console.log('got ' + s); process.exit(7); }); console.log('ready'); setInterval(() => {}, 1000);`;
      const wrapper = startDblock(['exec', '--db', db, '--', NODE, '-e', code]);
      const done = finished(wrapper);
      await waitForLine(wrapper, (line) => line === 'ready');
      wrapper.kill(signal);
      const result = await done;
      expect(result.stdout).toContain(`got ${signal}`);
      expect(result.code).toBe(7);
    },
  );

  /**
   * `dblock exec -- node SCRIPT` on a pseudo-terminal (script(1)), in its foreground process group,
   * where \x03 written to the terminal is a typed Ctrl-C. SCRIPT prints `ready <dblock pid>` first.
   */
  const inTerminal = async (script: string[], redirect = ''): Promise<{ term: ChildProcess; dblockPid: number }> => {
    const dir = tempDir();
    const child = join(dir, 'child.js');
    writeFileSync(child, [...script, "console.log('ready ' + process.ppid);", 'setInterval(() => {}, 1000);'].join('\n'));
    const line = `"${NODE}" "${BIN}" exec --db "${join(dir, 'app.db')}" -- "${NODE}" "${child}" ${redirect}`;
    const term = startProcess('script', ['-qec', line, '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] });
    const ready = await waitForLine(term, (l) => l.includes('ready '));
    return { term, dblockPid: Number(/ready (\d+)/.exec(ready)?.[1]) };
  };

  it('does not send a Ctrl-C typed at the terminal twice (the command already got it from the terminal)', async () => {
    // Counts its SIGINTs; on SIGTERM (forwarded by dblock) prints the count and exits.
    const { term, dblockPid } = await inTerminal([
      'let n = 0;',
      "process.on('SIGINT', () => console.log('sigint ' + ++n));",
      "process.on('SIGTERM', () => { console.log('total ' + n); process.exit(0); });",
    ]);
    term.stdin?.write('\x03');
    await waitForLine(term, (l) => l.includes('sigint 1'));
    process.kill(dblockPid, 'SIGTERM'); // forwarded after any SIGINT dblock would have forwarded
    const total = await waitForLine(term, (l) => l.includes('total '));
    expect(total.trim()).toBe('total 1');
  });

  it('forwards a SIGINT sent with kill when it does not read from the terminal (a background job of a script)', async () => {
    // In the terminal's foreground group, but stdin is /dev/null: the signal can only have come from kill.
    const { term, dblockPid } = await inTerminal(
      ["process.on('SIGINT', () => { console.log('got SIGINT'); process.exit(0); });"],
      '< /dev/null',
    );
    process.kill(dblockPid, 'SIGINT');
    await waitForLine(term, (l) => l.includes('got SIGINT'));
  });

  it('keeps its exit status when its stderr reader is gone (EPIPE)', async () => {
    const wrapper = startDblock(['exec', '--db', join(tempDir(), 'app.db'), '--', '/nonexistent-dblock-command']);
    wrapper.stderr?.destroy(); // the "command not found" line meets a closed pipe
    const [code] = (await once(wrapper, 'exit')) as [number | null];
    expect(code).toBe(127);
  });

  it('returns 128+N when the forwarded signal kills the child', async () => {
    const db = join(tempDir(), 'app.db');
    const wrapper = startDblock(['exec', '--db', db, '--', NODE, '-e', "console.log('ready'); setInterval(() => {}, 1000)"]);
    const done = finished(wrapper);
    await waitForLine(wrapper, (line) => line === 'ready');
    wrapper.kill('SIGTERM');
    expect((await done).code).toBe(143);
  });

  it('passes through a nested exec on the same target, and never trusts a stray DBLOCK_HELD', async () => {
    const db = join(tempDir(), 'app.db');
    const nested = await runDblock(['exec', '--db', db, '--', NODE, BIN, 'exec', '--db', db, '-w', '0', '--', 'echo', 'inner']);
    expect(nested).toMatchObject({ code: 0, stdout: 'inner\n' });

    const holder = startFixture('hold-lock', [db]);
    const { lockPath } = await nextMessage<{ lockPath: string }>(holder);
    const stray = JSON.stringify([{ path: lockPath, fd: 0, mode: 'exclusive' }]);
    const forged = await runDblock(['exec', '--db', db, '-w', '0', '--', 'true'], {
      env: { ...process.env, DBLOCK_HELD: stray },
    });
    expect(forged.code).toBe(75);
  });

  it('4 processes doing read-modify-write on a counter through exec end exact', async () => {
    const dir = tempDir();
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    // The value is held 0.1 s between read and write: with one lock file per process, every run measured lost updates.
    const loop = `for i in $(seq 5); do "${NODE}" "${BIN}" exec --lock "${counter}.lock" -- sh -c 'n=$(cat "${counter}"); sleep 0.1; echo $((n+1)) > "${counter}"' || exit 1; done`;
    const workers = Array.from({ length: 4 }, () => finished(startProcess('sh', ['-c', loop])));
    for (const result of await Promise.all(workers)) expect(result.code).toBe(0);
    expect(Number(readFileSync(counter, 'utf8'))).toBe(20);
  }, 240_000); // 20 process starts: a minute on a loaded 2-core machine

  it('takes shared locks together and refuses bad input with one line and the right code', async () => {
    const db = join(tempDir(), 'app.db');
    const reader = startDblock(['exec', '--shared', '--db', db, '--', 'sh', '-c', 'echo locked; read x'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await waitForLine(reader, (line) => line === 'locked');
    expect((await runDblock(['exec', '--shared', '--db', db, '-w', '0', '--', 'true'])).code).toBe(0);
    expect((await runDblock(['exec', '--db', db, '-w', '0', '--', 'true'])).code).toBe(75);
    reader.stdin?.end();

    const cases: [string[], number][] = [
      [['exec', '--', 'true'], 64],
      [['exec', '--db', db, '--lock', db, '--', 'true'], 64],
      [['exec', '--db', db, '--timeout', 'soon', '--', 'true'], 64],
      [['exec', '--db', db, '-E', 'x', '--', 'true'], 64],
      [['exec', '--db', join(db, 'missing', 'x.db'), '--', 'true'], 66],
      [['exec', '--db', db, '--backend', 'zzz', '--', 'true'], 64],
      [['exec', '--bogus-flag', '--db', db, '--', 'true'], 64],
      [['nosuchcommand'], 64],
    ];
    for (const [args, code] of cases) {
      const result = await runDblock(args);
      expect({ args, code: result.code }).toEqual({ args, code });
      expect(result.stderr.trim().split('\n')).toHaveLength(1);
      expect(result.stderr).not.toMatch(/\n\s+at /);
    }
  });
});
