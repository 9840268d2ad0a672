import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, readdirSync, readFileSync, readlinkSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { lock } from '../../src/index.js';
import { nextMessage, runDblock, startDblock, startFixture, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

const NUMBERS = `${Array.from({ length: 500 }, (_, i) => i + 1).join('\n')}\n`;

/** A file the user owns, as `seq 1 500 > big.txt` makes it. */
function userFile(dir: string, name = 'big.txt'): string {
  const path = join(dir, name);
  writeFileSync(path, NUMBERS);
  return path;
}

/** Whether this process has an inotify watch on `path` (Linux: listed in the inotify descriptor's fdinfo). */
function watchedHere(path: string): boolean {
  let ino: string;
  try {
    ino = statSync(path).ino.toString(16);
  } catch {
    return false;
  }
  return readdirSync('/proc/self/fd').some((fd) => {
    try {
      if (readlinkSync(`/proc/self/fd/${fd}`) !== 'anon_inode:inotify') return false;
      return readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8').includes(` ino:${ino} `);
    } catch {
      return false;
    }
  });
}

describe('a lock file the user names (--lock FILE, exact)', () => {
  it('is never written by dblock exec, and the timeout message still names the holder', async () => {
    const file = userFile(tempDir());
    const before = statSync(file);
    const holder = startDblock(['exec', '--lock', file, '--', 'sh', '-c', 'echo held; read x'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await waitForLine(holder, (line) => line === 'held');
    const busy = await runDblock(['exec', '--lock', file, '--timeout', '0', '--', 'true']);
    expect(busy.code).toBe(75);
    expect(busy.stderr).toMatch(/held by pid \d+ "sh -c echo held; read x"/);
    holder.stdin?.end();
    expect(readFileSync(file, 'utf8')).toBe(NUMBERS);
    expect(statSync(file).mtimeMs).toBe(before.mtimeMs);
  });

  it('is never written by dblock append --lock', async () => {
    const dir = tempDir();
    const keep = userFile(dir, 'keep.txt');
    const result = await runDblock(['append', '--lock', keep, join(dir, 'log.jsonl'), '{"a":1}']);
    expect(result.code).toBe(0);
    expect(readFileSync(keep, 'utf8')).toBe(NUMBERS);
    expect(readFileSync(join(dir, 'log.jsonl'), 'utf8')).toBe('{"a":1}\n');
  });

  it('locks a script by its own path (flock -n "$0") without changing a byte of it', async () => {
    const dir = tempDir();
    const script = join(dir, 'job.sh');
    const text = '#!/bin/sh\necho job ran\n';
    writeFileSync(script, text, { mode: 0o755 });
    const result = await runDblock(['exec', '--lock', script, '--timeout', '0', '--', script]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe('job ran\n');
    expect(readFileSync(script, 'utf8')).toBe(text);
  });

  it('is created empty when missing, like flock(1), and excludes flock(1) on it', async () => {
    const file = join(tempDir(), 'nightly.lock');
    const held = await lock(file, { exact: true });
    expect(readFileSync(file).length).toBe(0);
    expect(spawnSync('flock', ['-n', file, 'true']).status).toBe(1);
    held.release();
    expect(spawnSync('flock', ['-n', file, 'true']).status).toBe(0);
    expect(readFileSync(file).length).toBe(0);
  });

  it('works on a read-only file, and names its holder from the record beside it', async () => {
    const file = userFile(tempDir());
    chmodSync(file, 0o444);
    const holder = startFixture('hold-lock', [file, '{"exact":true,"command":"nightly report"}']);
    expect(await nextMessage(holder)).toMatchObject({ ready: true });
    expect(existsSync(`${file}.holder`)).toBe(true);
    const status = await runDblock(['status', '--lock', file]);
    expect(status.stdout).toMatch(/held exclusive by pid \d+ "nightly report"/);
    expect(readFileSync(file, 'utf8')).toBe(NUMBERS);
  });

  it('names the holder of the same file however each side spells it: --lock FILE (record beside it) or the database', async () => {
    const dir = tempDir();
    const db = join(dir, 'app.db');
    // A database user first, so the sidecar holds an old record of its own.
    (await lock(db)).release();
    const holder = startFixture('hold-lock', [`${db}.lock`, '{"exact":true,"command":"nightly report"}']);
    expect(await nextMessage(holder)).toMatchObject({ ready: true });
    const err = await lock(db, { timeout: 0 }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'ELOCKTIMEOUT', holder: { command: 'nightly report' } });
    holder.send('exit');
  });

  it('a waiter learns who it waited for, read from the holder record', async () => {
    const db = join(tempDir(), 'app.db');
    const holder = startFixture('hold-lock', [db, '{"command":"slow migration"}']);
    const ready = await nextMessage<{ ready: boolean; pid: number }>(holder);
    const waiting = lock(db, { timeout: '30s' });
    // The waiter watches the door file once its first try has failed: release only then.
    await vi.waitFor(() => expect(watchedHere(`${db}.lock.turn`)).toBe(true), { timeout: 20_000, interval: 5 });
    holder.send('release');
    const held = await waiting;
    expect(held.waitedFor).toMatchObject({ pid: ready.pid, command: 'slow migration' });
    held.release();
    holder.send('exit');
  });
});
