import { describe, expect, it } from 'vitest';
import { resolveTimeoutMs } from '../../src/options.js';
import { resolveStressOptions } from '../../src/stress/options.js';
import { codeOf } from '../helpers/error-code.js';

describe('stress options: lock waits sized for the run’s kills', () => {
  it('gives mkdir runs a short stale period and room in every wait for each killed worker’s lock', () => {
    const base = resolveTimeoutMs(undefined);
    const mkdir = resolveStressOptions({ backend: 'mkdir', workers: 8, kill: 4 });
    expect(mkdir.lock).toMatchObject({ backend: 'mkdir', stale: 3000 });
    expect(mkdir.lockTimeoutMs).toBe(base + 4 * 2 * 3000);
    expect(resolveStressOptions({ backend: 'mkdir', stale: '10s', kill: 1 }).lockTimeoutMs).toBe(base + 2 * 10_000);
    expect(resolveStressOptions({ backend: 'mkdir' }).lockTimeoutMs).toBe(base);
    // flock's kernel frees a killed worker's lock at once: nothing to wait out.
    const flock = resolveStressOptions({ kill: 4 });
    expect(flock.lock.stale).toBeUndefined();
    expect(flock.lockTimeoutMs).toBe(base);
  });

  it('refuses a stale period below 2 s, or without the mkdir backend', async () => {
    expect(await codeOf(Promise.resolve().then(() => resolveStressOptions({ backend: 'mkdir', stale: '1s' })))).toBe('EUSAGE');
    expect(await codeOf(Promise.resolve().then(() => resolveStressOptions({ stale: '5s' })))).toBe('EUSAGE');
  });
});
