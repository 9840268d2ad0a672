import type { ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import type { BackendName } from '../../src/backend/types.js';
import { DblockError, type LockOptions, LockTimeoutError, lock } from '../../src/index.js';
import { selectBackend } from '../../src/lock/backends.js';
import { nextMessage, startFixture } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';

/** What a test needs to know about a backend beyond its name. */
function traitsOf(name: BackendName): { options: LockOptions; recoversAtOnce: boolean; afterCrash: LockOptions } {
  const backend = selectBackend(name);
  if (name === 'postgres') {
    // The server frees a dead client's lock when it reads the FIN, a moment after the kernel sent it:
    // "at once" is a short wait, far below any lease, not a try-once.
    return { options: { backend: name, url: inject('postgresUrl') }, recoversAtOnce: true, afterCrash: { timeout: '5s' } };
  }
  // A short stale period keeps mkdir's crash recovery within a test's budget.
  return {
    options: { backend: name, ...(backend.canBeCompromised ? { stale: '2s' } : {}) },
    recoversAtOnce: !backend.canBeCompromised,
    afterCrash: { timeout: 0 },
  };
}

type Reply = { ready?: boolean; error?: string; code?: string; ops?: number; pid?: number };

async function rejection(promise: Promise<unknown>): Promise<DblockError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DblockError);
  return err as DblockError;
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
}

/**
 * The contract every lock backend keeps (SPEC §1–§3), run against real processes: one suite, every
 * backend, so a backend cannot pass by being tested more gently than another.
 */
export function backendConformance(name: BackendName): void {
  const { options, recoversAtOnce, afterCrash } = traitsOf(name);
  const json = JSON.stringify(options);

  const holder = async (db: string, extra: LockOptions = {}): Promise<ChildProcess> => {
    const child = startFixture('hold-lock', [db, JSON.stringify({ ...options, ...extra })]);
    const reply = await nextMessage<Reply>(child);
    expect(reply).toMatchObject({ ready: true });
    return child;
  };

  const contend = async (workers: number, durationMs: number, holdUs: number): Promise<{ ops: number[]; counter: number }> => {
    const dir = tempDir();
    const counter = join(dir, 'counter');
    writeFileSync(counter, '0');
    const args = ['contend', join(dir, 'app.db'), json, counter, String(durationMs), String(holdUs)];
    const children = Array.from({ length: workers }, () => startFixture('backend-worker', args));
    await Promise.all(children.map((child) => nextMessage<Reply>(child, (m) => m.ready === true)));
    const results = children.map((child) => nextMessage<Reply>(child, (m) => m.ops !== undefined));
    for (const child of children) child.send('go');
    const ops = (await Promise.all(results)).map((m) => m.ops ?? 0);
    return { ops, counter: Number(readFileSync(counter, 'utf8')) };
  };

  describe(`${name} backend conformance`, () => {
    it('excludes across processes: a read-modify-write counter ends exact', async () => {
      const { ops, counter } = await contend(4, 1200, 300);
      expect(counter).toBe(ops.reduce((a, b) => a + b, 0));
      expect(counter).toBeGreaterThan(0);
    });

    it('is fair enough that every one of 6 processes in a tight loop makes progress', async () => {
      const { ops, counter } = await contend(6, 1500, 100);
      expect(counter).toBe(ops.reduce((a, b) => a + b, 0));
      for (const n of ops) expect(n).toBeGreaterThan(0);
    });

    it('times out while another process holds the lock, and the waiter never ends up holding it', async () => {
      const db = join(tempDir(), 'app.db');
      const child = await holder(db);
      const err = await rejection(lock(db, { ...options, timeout: '300ms' }));
      expect(err).toBeInstanceOf(LockTimeoutError);
      expect(err.code).toBe('ELOCKTIMEOUT');
      child.send('release');
      await nextMessage<{ released?: boolean }>(child, (m) => m.released === true);
      // Not a try-once: flock's abandoned wait may still be finishing on the threadpool (it lets go at once).
      const held = await lock(db, { ...options, timeout: '5s' });
      held.release();
    });

    it('names the holder (pid and command) from its record in the timeout error', async () => {
      const db = join(tempDir(), 'app.db');
      const child = await holder(db);
      const err = (await rejection(lock(db, { ...options, timeout: '50ms' }))) as LockTimeoutError;
      expect(err.holder).toMatchObject({ pid: child.pid });
      expect(err.holder?.command).toContain('hold-lock');
    });

    it('tries once with timeout 0, without waiting', async () => {
      const db = join(tempDir(), 'app.db');
      await holder(db);
      const err = (await rejection(lock(db, { ...options, timeout: 0 }))) as LockTimeoutError;
      expect(err.code).toBe('ELOCKTIMEOUT');
      expect(err.waitedMs).toBe(0);
    });

    it('releases idempotently: a second release() never frees a later acquisition', async () => {
      const db = join(tempDir(), 'app.db');
      const first = await lock(db, options);
      first.release();
      first.release();
      expect(first.held).toBe(false);
      const second = await lock(db, { ...options, timeout: 0 });
      first.release();
      const probe = startFixture('hold-lock', [db, JSON.stringify({ ...options, timeout: 0 })]);
      expect(await nextMessage<Reply>(probe)).toMatchObject({ code: 'ELOCKTIMEOUT' });
      second.release();
      await holder(db, { timeout: 0 });
    });

    it(
      recoversAtOnce
        ? 'recovers at once from a holder killed by SIGKILL'
        : 'recovers from a holder killed by SIGKILL once its lock goes stale',
      async () => {
        const db = join(tempDir(), 'app.db');
        const child = startFixture('backend-worker', ['crash', db, json]);
        await nextMessage<Reply>(child, (m) => m.ready === true);
        await exited(child);
        if (recoversAtOnce) {
          (await lock(db, { ...options, ...afterCrash })).release();
          return;
        }
        // The dead holder's directory is still there and still fresh: a try must fail…
        expect((await rejection(lock(db, { ...options, timeout: 0 }))).code).toBe('ELOCKTIMEOUT');
        // …and a wait must succeed once the heartbeat has been silent for the stale period.
        const held = await lock(db, { ...options, timeout: '20s' });
        expect(held.waitedFor === undefined || held.waitedFor.pid === child.pid).toBe(true);
        held.release();
      },
    );
  });
}
