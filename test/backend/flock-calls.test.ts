import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { tryFlock, unlock } from '../../src/backend/flock-calls.js';
import { isDblockError } from '../../src/errors.js';
import { tempDir } from '../helpers/temp-dir.js';

describe('tryFlock', () => {
  const fds: number[] = [];
  afterEach(() => {
    for (const fd of fds.splice(0)) closeSync(fd);
  });
  const open = (path: string): number => {
    const fd = openSync(path, 'a');
    fds.push(fd);
    return fd;
  };

  it('answers false for a lock held through another open file description, and leaves Error.stackTraceLimit as it was', () => {
    const path = join(tempDir(), 'x.lock');
    const holder = open(path);
    const other = open(path);
    const limit = Error.stackTraceLimit;
    expect(tryFlock(holder, 'exnb')).toBe(true);
    expect(tryFlock(other, 'exnb')).toBe(false);
    expect(tryFlock(other, 'shnb')).toBe(false);
    expect(Error.stackTraceLimit).toBe(limit);
    unlock(holder);
    expect(tryFlock(other, 'shnb')).toBe(true);
    expect(tryFlock(holder, 'shnb')).toBe(true); // shared beside shared
    expect(Error.stackTraceLimit).toBe(limit);
  });

  it('throws a DblockError for a bad descriptor, with a stack, and leaves Error.stackTraceLimit as it was', () => {
    const limit = Error.stackTraceLimit;
    const fd = openSync(join(tempDir(), 'y.lock'), 'a');
    closeSync(fd);
    let caught: unknown;
    try {
      tryFlock(fd, 'exnb');
    } catch (err) {
      caught = err;
    }
    expect(isDblockError(caught)).toBe(true);
    expect((caught as Error).stack).toContain('tryFlock');
    expect(Error.stackTraceLimit).toBe(limit);
  });
});
