import { existsSync, mkdirSync, utimesSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { HOLDER_FILE, lockDirFs, REAPER_SUFFIX } from '../../src/backend/lock-dir-fs.js';
import { POLL_CAP_MS, POLL_START_MS, PollSchedule, sleep } from '../../src/backend/poll-schedule.js';
import { tempDir } from '../helpers/temp-dir.js';

const STALE_MS = 2000;
const past = new Date(Date.now() - 60_000);

/** A lock directory as a holder leaves it, aged as asked. */
function lockDir(aged: boolean): string {
  const path = join(tempDir(), 'app.db.lock');
  mkdirSync(path);
  writeFileSync(join(path, HOLDER_FILE), '{}');
  if (aged) utimesSync(path, past, past);
  return path;
}

function reap(path: string): Promise<string | undefined> {
  const fs = lockDirFs(STALE_MS, { holderFd: undefined });
  return new Promise((resolve) =>
    fs.rmdir(path, (err) => resolve(err ? ((err as NodeJS.ErrnoException).code ?? 'ERR') : undefined)),
  );
}

describe('stale-lock removal (the rmdir proper-lockfile calls)', () => {
  it('removes a stale lock with its holder record, and leaves no reaper behind', async () => {
    const path = lockDir(true);
    expect(await reap(path)).toBeUndefined();
    expect(existsSync(path)).toBe(false);
    expect(existsSync(path + REAPER_SUFFIX)).toBe(false);
  });

  it('re-checks under the reaper: a lock that is fresh by now (refreshed, or retaken) is busy, not removed', async () => {
    const path = lockDir(false);
    expect(await reap(path)).toBe('ELOCKED');
    expect(existsSync(join(path, HOLDER_FILE))).toBe(true);
  });

  it('waits while another process reaps, and clears a reaper abandoned by a crash', async () => {
    const path = lockDir(true);
    mkdirSync(path + REAPER_SUFFIX);
    expect(await reap(path)).toBe('ELOCKED');
    expect(existsSync(path)).toBe(true);
    utimesSync(path + REAPER_SUFFIX, past, past);
    expect(await reap(path)).toBe('ELOCKED'); // clears the dead reaper; the next poll reaps
    expect(await reap(path)).toBeUndefined();
    expect(existsSync(path)).toBe(false);
  });
});

describe('poll schedule', () => {
  it('starts near 1 ms, never exceeds 50 ms, and jitters', () => {
    const schedule = new PollSchedule();
    const delays = Array.from({ length: 200 }, () => schedule.next());
    expect(delays[0]).toBeLessThanOrEqual(POLL_START_MS * 1.25);
    for (const d of delays) expect(d).toBeGreaterThan(0);
    for (const d of delays) expect(d).toBeLessThanOrEqual(50);
    expect(new Set(delays.slice(-50)).size).toBeGreaterThan(1);
    expect(Math.max(...delays)).toBeGreaterThan(POLL_CAP_MS * 0.75);
  });

  it('sleeps without blocking, and stops at once when the signal aborts', async () => {
    expect(await sleep(1)).toBe(true);
    const controller = new AbortController();
    const pending = sleep(60_000, controller.signal);
    controller.abort();
    expect(await pending).toBe(false);
    expect(await sleep(1, controller.signal)).toBe(false);
  });
});
