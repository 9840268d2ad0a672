import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { finished, nextMessage, runDblock, startDblock, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** Resolve once process PID has PATH open (read from /proc; checked every 20 ms). */
async function untilOpen(pid: number, path: string): Promise<void> {
  const isOpen = (): boolean =>
    readdirSync(`/proc/${pid}/fd`).some((fd) => {
      try {
        return readlinkSync(`/proc/${pid}/fd/${fd}`) === path;
      } catch {
        return false; // closed meanwhile
      }
    });
  while (!isOpen()) await new Promise((resolve) => setTimeout(resolve, 20));
}

/** Run `dblock append` on TARGET and expect a one-line usage error (64) naming it. */
async function expectRefused(target: string, shown: string = target): Promise<void> {
  const result = await runDblock(['append', '--timeout', '1s', target, 'x']);
  expect(result.code).toBe(64);
  expect(result.stderr.trim().split('\n')).toHaveLength(1);
  expect(result.stderr).toContain(shown);
}

describe('dblock append refuses targets that are not regular files', () => {
  it('a FIFO is refused at once with 64, before any lock wait, and nothing reads or writes it', async () => {
    const dir = tempDir();
    const fifo = join(dir, 'pipe');
    execFileSync('mkfifo', [fifo]);
    await expectRefused(fifo); // open(2) of a FIFO without a reader would block forever
    // A holder of FIFO's lock: a wait would end in 75 after the timeout, a refusal comes first.
    const holder = startFixture('hold-lock', [fifo]);
    await nextMessage(holder, (message) => message.ready === true);
    await expectRefused(fifo);
  }, 20_000);

  it('a FIFO swapped in while append waits for the lock is refused with 64, not opened and waited on', async () => {
    const dir = tempDir();
    const file = join(dir, 'log');
    const lockFile = join(dir, 'log.lock');
    writeFileSync(file, '');
    const holder = startFixture('hold-lock', [lockFile, '{"exact":true}']);
    await nextMessage(holder, (message) => message.ready === true);
    const child = startDblock(['append', '--lock', lockFile, file, 'x']);
    const done = finished(child);
    await untilOpen(child.pid ?? 0, lockFile); // it waits on the lock: its first check has passed
    rmSync(file);
    execFileSync('mkfifo', [file]);
    holder.send('release');
    const result = await done;
    expect(result.code).toBe(64);
    expect(result.stderr).toContain('FIFO');
  }, 20_000);

  it('a directory, a socket and a character device (/dev/null) are refused with 64', async () => {
    const dir = tempDir();
    const sub = join(dir, 'sub');
    mkdirSync(sub);
    await expectRefused(sub);
    const socket = join(dir, 'sock');
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(socket, resolve));
    try {
      await expectRefused(socket);
    } finally {
      server.close();
    }
    await expectRefused('/dev/null');
  }, 20_000);

  it('/dev/stdout is refused with 64 (a pipe here), not written to', async () => {
    const child = startDblock(['append', '--timeout', '1s', '/dev/stdout', 'x']);
    const result = await finished(child);
    expect(result.code).toBe(64);
    expect(result.stdout).toBe('');
    expect(result.stderr).toContain('/dev/stdout');
  }, 20_000);

  it('a symlink to a regular file appends to the file it points to', async () => {
    const dir = tempDir();
    const real = join(dir, 'real.log');
    writeFileSync(real, 'one\n');
    symlinkSync(real, join(dir, 'link.log'));
    expect((await runDblock(['append', join(dir, 'link.log'), 'two'])).code).toBe(0);
    expect(readFileSync(real, 'utf8')).toBe('one\ntwo\n');
  });
});
