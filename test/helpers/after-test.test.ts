import type { ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { existsSync } from 'node:fs';
import { describe, expect } from 'vitest';
import { concurrentIt } from './after-test.js';
import { startProcess } from './processes.js';
import { tempDir } from './temp-dir.js';

// Two tests side by side: the short one's end must clean up its own child and directory, not the long one's.
describe('concurrentIt: each test cleans up what it made, and only that', { timeout: 30_000 }, () => {
  let started: () => void = () => {};
  const shortStarted = new Promise<void>((resolve) => {
    started = resolve;
  });
  let shortChild: ChildProcess | undefined;
  let shortDir = '';

  concurrentIt('a long test keeps its child and directory when a sibling ends', async () => {
    const mine = startProcess('sleep', ['60']);
    const myDir = tempDir();
    await shortStarted;
    if (shortChild === undefined) throw new Error('the short test started no child');
    await once(shortChild, 'exit'); // the short test has ended and its clean-up has run
    expect(existsSync(shortDir)).toBe(false);
    expect(mine.exitCode === null && mine.signalCode === null).toBe(true);
    expect(existsSync(myDir)).toBe(true);
  });

  concurrentIt('a short test', () => {
    shortChild = startProcess('sleep', ['60']);
    shortDir = tempDir(); // made after the child, so it is removed before the child is killed
    started();
  });
});
