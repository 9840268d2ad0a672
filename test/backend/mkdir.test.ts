import { existsSync, mkdirSync, readFileSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DblockError, type LockOptions, lock, withLock } from '../../src/index.js';
import { BIN, finished, nextMessage, runDblock, startDblock, startFixture, waitForLine } from '../helpers/processes.js';
import { tempDir } from '../helpers/temp-dir.js';
import { backendConformance } from './conformance.js';

backendConformance('mkdir');

const MKDIR: LockOptions = { backend: 'mkdir', stale: '2s' };
type Reply = { ready?: boolean; code?: string; released?: boolean };

async function errorOf(promise: Promise<unknown>): Promise<DblockError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof DblockError) return err;
  throw new Error(`expected a DblockError, got ${String(err)}`);
}

async function holdElsewhere(db: string, options: LockOptions) {
  const child = startFixture('hold-lock', [db, JSON.stringify(options)]);
  const reply = await nextMessage<Reply>(child);
  expect(reply).toMatchObject({ ready: true });
  return child;
}

/** The reason `signal` aborts with; fails the test if it does not abort within `ms`. */
function abortReason(signal: AbortSignal, ms = 8000): Promise<unknown> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) return resolve(signal.reason);
    const timer = setTimeout(() => reject(new Error('the lock was not reported compromised')), ms);
    signal.addEventListener('abort', () => {
      clearTimeout(timer);
      resolve(signal.reason);
    });
  });
}

/** Block the event loop (a stalled process) until `done()`, polling every 10 ms; throws after 20 s. */
function blockUntil(done: () => boolean): void {
  const nap = new Int32Array(new SharedArrayBuffer(4));
  const until = Date.now() + 20_000;
  while (!done()) {
    if (Date.now() > until) throw new Error('blockUntil: gave up after 20 s');
    Atomics.wait(nap, 0, 0, 10);
  }
}

describe('mkdir backend: mixing with flock', () => {
  it('refuses a target whose lock is a flock sidecar file, held or not, and flock refuses a mkdir lock directory', async () => {
    const dir = tempDir();
    const a = join(dir, 'a.db');
    const flockHolder = await holdElsewhere(a, { backend: 'flock' });
    expect((await errorOf(lock(a, { ...MKDIR, timeout: 0 }))).code).toBe('EBACKENDMISMATCH');
    flockHolder.send('release');
    await nextMessage<Reply>(flockHolder, (m) => m.released === true);
    expect((await errorOf(lock(a, { ...MKDIR, timeout: '1s' }))).code).toBe('EBACKENDMISMATCH');

    const b = join(dir, 'b.db');
    const mkdirHolder = await holdElsewhere(b, MKDIR);
    const err = await errorOf(lock(b, { backend: 'flock', timeout: '1s' }));
    expect(err.code).toBe('EBACKENDMISMATCH');
    expect(err.message).toContain('mkdir');
    mkdirHolder.send('release');
    await nextMessage<Reply>(mkdirHolder, (m) => m.released === true);
    (await lock(b, { backend: 'flock', timeout: 0 })).release(); // the directory went with the lock
  });

  it('never lets a flock and a mkdir process both hold one fresh target when they race to create it', async () => {
    const dir = tempDir();
    for (const name of ['r1.db', 'r2.db']) {
      const db = join(dir, name);
      const racers = ['flock', 'mkdir', 'flock', 'mkdir'].map((backend) =>
        startFixture('hold-lock', [db, JSON.stringify({ ...MKDIR, backend, timeout: 0 })]),
      );
      const replies = await Promise.all(racers.map((child) => nextMessage<Reply>(child)));
      const winners = replies.filter((r) => r.ready === true);
      expect(winners.length).toBeLessThanOrEqual(1);
      for (const r of replies) if (!r.ready) expect(['ELOCKTIMEOUT', 'EBACKENDMISMATCH']).toContain(r.code);
    }
  });
});

describe('mkdir backend: a lost lock', () => {
  it('reaches the holder as ECOMPROMISED (signal, then withLock rejects), and never removes the next holder’s lock', async () => {
    const db = join(tempDir(), 'app.db');
    let other: ReturnType<typeof startFixture> | undefined;
    const err = await errorOf(
      withLock(
        db,
        async (held) => {
          rmSync(held.lockPath, { recursive: true }); // an operator "cleaned up" a live lock
          expect(await abortReason(held.signal)).toMatchObject({ code: 'ECOMPROMISED' });
          other = await holdElsewhere(db, { ...MKDIR, timeout: 0 });
        },
        MKDIR,
      ),
    );
    expect(err.code).toBe('ECOMPROMISED');
    expect(other).toBeDefined();
    expect(existsSync(join(`${db}.lock`, 'holder.json'))).toBe(true); // our release left theirs alone
    expect((await errorOf(lock(db, { ...MKDIR, timeout: 0 }))).code).toBe('ELOCKTIMEOUT');
  });

  it('is reported when another process takes it over as stale (a holder whose heartbeat stalled)', async () => {
    const db = join(tempDir(), 'app.db');
    const held = await lock(db, MKDIR);
    const holder = join(held.lockPath, 'holder.json');
    const ours = statSync(holder).ino;
    const past = new Date(Date.now() - 60_000);
    utimesSync(held.lockPath, past, past);
    const taker = startFixture('hold-lock', [db, JSON.stringify({ ...MKDIR, timeout: '10s' })]);
    // A stalled heartbeat, for real: this event loop stays blocked until the taker has replaced our lock.
    blockUntil(() => statSync(holder, { throwIfNoEntry: false })?.ino !== ours && existsSync(holder));
    expect(await nextMessage<Reply>(taker)).toMatchObject({ ready: true });
    expect(await abortReason(held.signal)).toMatchObject({ code: 'ECOMPROMISED' });
    held.release();
    expect((await errorOf(lock(db, { ...MKDIR, timeout: 0 }))).code).toBe('ELOCKTIMEOUT');
    taker.send('release');
    await nextMessage<Reply>(taker, (m) => m.released === true);
    (await lock(db, { ...MKDIR, timeout: 0 })).release();
  });

  it('makes dblock exec report it, stop the command and exit 70', async () => {
    const db = join(tempDir(), 'app.db');
    const exec = startDblock([
      'exec',
      '--db',
      db,
      '--backend',
      'mkdir',
      '--stale',
      '2s',
      '--',
      'sh',
      '-c',
      'echo ready; exec sleep 30',
    ]);
    const done = finished(exec);
    await waitForLine(exec, (line) => line === 'ready');
    rmSync(`${db}.lock`, { recursive: true });
    const result = await done;
    expect(result.code).toBe(70);
    expect(result.stderr).toContain('lost the lock');
  });
});

describe('mkdir backend: surface', () => {
  it('refuses --shared and a stale period under 2s, as usage errors', async () => {
    const db = join(tempDir(), 'app.db');
    expect((await errorOf(lock(db, { ...MKDIR, shared: true }))).code).toBe('EUSAGE');
    for (const stale of ['1s', 'inf', 'soon']) expect((await errorOf(lock(db, { ...MKDIR, stale }))).code).toBe('EUSAGE');
    const cli = await runDblock(['exec', '--db', db, '--backend', 'mkdir', '--shared', '--', 'true']);
    expect(cli.code).toBe(64);
    expect(cli.stderr).toContain('no shared mode');
  });

  it('passes a nested dblock exec through, verified by the holder file, and never trusts a stray DBLOCK_HELD', async () => {
    const db = join(tempDir(), 'app.db');
    const inner = ['exec', '--db', db, '--backend', 'mkdir', '--timeout', '0', '--', 'true'];
    const nested = await runDblock(['exec', '--db', db, '--backend', 'mkdir', '--', process.execPath, BIN, ...inner]);
    expect(nested.code).toBe(0);
    await holdElsewhere(db, MKDIR);
    const stray = JSON.stringify([{ path: `${db}.lock`, fd: 0, mode: 'exclusive' }]);
    const refused = await runDblock(inner, { env: { ...process.env, DBLOCK_HELD: stray } });
    expect(refused.code).toBe(75);
  });

  it('shows the holder and the filesystem type in dblock status', async () => {
    const db = join(tempDir(), 'app.db');
    const child = await holdElsewhere(db, MKDIR);
    const status = JSON.parse((await runDblock(['status', '--db', db, '--backend', 'mkdir', '--json'])).stdout);
    expect(status.locks[0]).toMatchObject({ state: 'exclusive', holder: { pid: child.pid } });
    expect(status.filesystem).toMatchObject({ network: false });
    expect(typeof status.filesystem.type).toBe('string');
  });

  it('is not stalled by the .next marker of a waiter that died (it only slows a new try into the poll loop)', async () => {
    const db = join(tempDir(), 'app.db');
    mkdirSync(`${db}.lock.next`);
    const held = await lock(db, { ...MKDIR, timeout: '1s' }); // well inside the 2s stale period
    expect(held.waitedMs).toBeGreaterThan(0);
    held.release();
  });

  it('refuses a planted symlink or a file where its directory should be', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'elsewhere'));
    symlinkSync(join(dir, 'elsewhere'), join(dir, 'a.db.lock'));
    expect((await errorOf(lock(join(dir, 'a.db'), { ...MKDIR, timeout: 0 }))).code).toBe('ESIDECAR');
    writeFileSync(join(dir, 'b.db.lock'), '\n');
    expect((await errorOf(lock(join(dir, 'b.db'), { ...MKDIR, timeout: 0 }))).code).toBe('EBACKENDMISMATCH');
  });

  it('refuses a directory of the user own at the lock path at once, fresh or old, and leaves its files', async () => {
    const dir = tempDir();
    const mine = join(dir, 'mine');
    mkdirSync(mine);
    writeFileSync(join(mine, 'keep.txt'), 'keep');
    for (const age of [0, 3600]) {
      const when = Date.now() / 1000 - age; // an old directory looks stale: its takeover must not touch the files
      utimesSync(mine, when, when);
      const err = await errorOf(lock(mine, { ...MKDIR, exact: true, timeout: '5s' }));
      expect(err.code).toBe('EBADTARGET');
      expect(readFileSync(join(mine, 'keep.txt'), 'utf8')).toBe('keep');
    }
  });

  it('locks a database-style target that is a directory through its sidecar (a directory has no hard links to refuse)', async () => {
    for (const backend of ['flock', 'mkdir'] as const) {
      const dir = tempDir();
      mkdirSync(join(dir, 'cache', 'sub'), { recursive: true });
      const held = await lock(join(dir, 'cache'), { ...MKDIR, backend, timeout: 0 });
      expect(held.lockPath).toBe(join(dir, 'cache.lock'));
      held.release();
    }
  });
});
