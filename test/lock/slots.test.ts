import type { ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock } from '../../src/index.js';
import { codeOf } from '../helpers/error-code.js';
import { nextMessage, runDblock, startDblock, startFixture, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

async function hold(target: string, options: Record<string, unknown>): Promise<ChildProcess> {
  const child = startFixture('hold-lock', [target, JSON.stringify(options)]);
  expect(await nextMessage(child)).toMatchObject({ ready: true });
  return child;
}

describe('lock(target, { slots: N })', () => {
  it('admits N holders across processes, then refuses the next; a SIGKILLed holder frees its slot at once', async () => {
    const db = join(tempDir(), 'gpu.db');
    const first = await hold(db, { slots: 2 });
    await hold(db, { slots: 2 });
    expect(await codeOf(lock(db, { slots: 2, timeout: 0 }))).toBe('ELOCKTIMEOUT');
    const third = startFixture('hold-lock', [db, JSON.stringify({ slots: 2, timeout: '20s' })]);
    const admitted = nextMessage(third);
    first.kill('SIGKILL');
    expect(await admitted).toMatchObject({ ready: true });
  });

  it('and an exclusive lock excludes slot holders, both ways', async () => {
    const db = join(tempDir(), 'gpu.db');
    const slot = await hold(db, { slots: 3 });
    expect(await codeOf(lock(db, { timeout: 0 }))).toBe('ELOCKTIMEOUT');
    slot.send('release');
    await nextMessage(slot, (m) => m.released === true);
    const writer = await hold(db, {});
    expect(await codeOf(lock(db, { slots: 3, timeout: 0 }))).toBe('ELOCKTIMEOUT');
    writer.kill('SIGKILL');
    const held = await lock(db, { slots: 3, timeout: '10s' });
    expect(held.companions).toHaveLength(1);
    held.release();
  });

  it('in one process, gives each concurrent caller its own slot', async () => {
    const db = join(tempDir(), 'gpu.db');
    const a = await lock(db, { slots: 2 });
    const b = await lock(db, { slots: 2 });
    expect(a.companions[0]?.lockPath).not.toBe(b.companions[0]?.lockPath);
    expect(await codeOf(lock(db, { slots: 2, timeout: 0 }))).toBe('ELOCKTIMEOUT');
    const waiting = lock(db, { slots: 2, timeout: '10s' });
    a.release();
    const c = await waiting;
    expect(c.companions[0]?.lockPath).toBe(a.companions[0]?.lockPath);
    b.release();
    c.release();
  });

  it('rejects a bad slot count with EUSAGE', async () => {
    const db = join(tempDir(), 'gpu.db');
    expect(await codeOf(lock(db, { slots: 0 }))).toBe('EUSAGE');
    expect(await codeOf(lock(db, { slots: 'two' }))).toBe('EUSAGE');
    expect(await codeOf(lock(db, { slots: 2, shared: true }))).toBe('EUSAGE');
  });
});

describe('slots under contention', () => {
  it('never admits more than N at once, and every process gets its turns', async () => {
    const dir = tempDir();
    const db = join(dir, 'gpu.db');
    const log = join(dir, 'log');
    const workers = Array.from({ length: 6 }, (_, id) => startFixture('slot-worker', [db, '2', String(id), '15', log]));
    await Promise.all(workers.map((worker) => nextMessage(worker, (m) => m.done === true)));
    let inside = 0;
    let most = 0;
    const turns = new Map<string, number>();
    for (const line of readFileSync(log, 'utf8').trim().split('\n')) {
      inside += line.startsWith('+') ? 1 : -1;
      most = Math.max(most, inside);
      if (line.startsWith('+')) turns.set(line.slice(1), (turns.get(line.slice(1)) ?? 0) + 1);
    }
    expect(most).toBeLessThanOrEqual(2);
    expect([...turns.values()]).toEqual(Array(6).fill(15));
  });
});

describe('dblock exec --slots N', () => {
  it('runs two commands at once, refuses a third, and status lists the holder of each slot', async () => {
    const db = join(tempDir(), 'gpu.db');
    const job = (name: string) =>
      startDblock(['exec', '--db', db, '--slots', '2', '--', 'sh', '-c', `echo ${name}; read x`], {
        stdio: ['pipe', 'pipe', 'pipe'],
      });
    const jobs = [job('one'), job('two')];
    await Promise.all(jobs.map((child, i) => waitForLine(child, (line) => line === ['one', 'two'][i])));
    const third = await runDblock(['exec', '--db', db, '--slots', '2', '-n', '--', 'true']);
    expect(third.code).toBe(75);
    const status = await runDblock(['status', '--db', db]);
    expect(status.stdout).toMatch(/slot-0: held exclusive by pid \d+ "sh -c echo (one|two); read x"/);
    expect(status.stdout).toMatch(/slot-1: held exclusive by pid \d+ "sh -c echo (one|two); read x"/);
    for (const child of jobs) child.stdin?.end();
  });
});
