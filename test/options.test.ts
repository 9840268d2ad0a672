import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { lock } from '../src/index.js';
import { parseCliDuration, parseDuration, parseStale, resolveTimeoutMs } from '../src/options.js';
import { runDblock, startProcess, waitForLine } from './helpers/processes.js';
import { tempDir } from './helpers/temp-dir.js';

describe('durations in the library: a number is milliseconds, a string carries a unit', () => {
  it('reads units, 0 (try once) and inf', () => {
    expect(parseDuration(250)).toBe(250);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('5s')).toBe(5000);
    expect(parseDuration('2m')).toBe(120_000);
    expect(parseDuration('0')).toBe(0);
    expect(parseDuration('inf')).toBe(Number.POSITIVE_INFINITY);
  });

  it('refuses a string without a unit as EUSAGE, naming both fixes', () => {
    for (const text of ['1', ' 1 ', '1.5', '.5', '30']) {
      expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'EUSAGE' }));
    }
    expect(() => parseDuration('1')).toThrow("'1' is ambiguous: write '1s' or 1000");
    expect(() => parseStale('10')).toThrow(expect.objectContaining({ code: 'EUSAGE' }));
  });

  it('lock() refuses timeout: "1" before taking anything, and takes timeout: 1 as 1 ms', async () => {
    const db = join(tempDir(), 'app.db');
    await expect(lock(db, { timeout: '1' })).rejects.toMatchObject({ code: 'EUSAGE' });
    const first = await lock(db);
    try {
      await expect(lock(db, { timeout: 1 })).rejects.toMatchObject({ code: 'ELOCKTIMEOUT' });
    } finally {
      first.release();
    }
  });
});

describe('durations on the command line: a bare number is seconds, like flock(1) -w', () => {
  it('parses flags and DBLOCK_TIMEOUT with bare seconds', () => {
    expect(parseCliDuration('1', 'timeout')).toBe(1000);
    expect(parseCliDuration('1.5', 'timeout')).toBe(1500);
    expect(parseCliDuration('250ms', 'timeout')).toBe(250);
    expect(parseCliDuration(undefined, 'timeout')).toBeUndefined();
    expect(parseStale('10', 'seconds')).toBe(10_000);
    expect(resolveTimeoutMs(undefined, { DBLOCK_TIMEOUT: '2' })).toBe(2000);
    expect(resolveTimeoutMs(undefined, { DBLOCK_TIMEOUT: '2s' })).toBe(2000);
  });

  it('dblock exec -w 1 waits a second (not a millisecond) for a lock flock(1) holds, then exits 75', async () => {
    const lockfile = join(tempDir(), 'lockfile');
    const holder = startProcess('flock', [lockfile, 'sh', '-c', 'echo locked; read x; exit 0'], {
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    await waitForLine(holder, (line) => line === 'locked');
    try {
      for (const args of [
        ['exec', '--json', '-w', '1', '--lock', lockfile, '--', 'true'],
        ['exec', '--json', '--lock', lockfile, '--', 'true'],
      ]) {
        const env = { ...process.env, DBLOCK_TIMEOUT: '1' };
        const result = await runDblock(args, { env });
        expect(result.code).toBe(75);
        const { error } = JSON.parse(result.stdout) as { error: { code: string; waitedMs: number } };
        expect(error.code).toBe('ELOCKTIMEOUT');
        expect(error.waitedMs).toBeGreaterThanOrEqual(1000);
      }
    } finally {
      holder.stdin?.end();
    }
  });

  it('dblock --stale takes bare seconds too (so its 2s floor is not misread as 2 ms)', async () => {
    const db = join(tempDir(), 'app.db');
    const result = await runDblock(['exec', '--backend', 'mkdir', '--stale', '5', '--db', db, '--', 'true']);
    expect(result.code).toBe(0);
  });
});
