import { type ChildProcess, execFileSync, type spawn } from 'node:child_process';
import { mkdtempSync, rmdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterThisTest } from './after-test.js';
import { BIN, startProcess, waitForLine } from './processes.js';

/** A tiny tmpfs to fill up, for a real ENOSPC. */
export interface SmallTmpfs {
  /** The mount point, as the commands started with `startDblock` see it. */
  readonly dir: string;
  /** Start `bin/dblock.js ARGS` where the mount is visible (tracked and killed after the test). */
  startDblock(args: string[], options?: Parameters<typeof spawn>[2]): ChildProcess;
  /** The path the test process itself uses for `fs` calls on `path` (a path under `dir`). */
  local(path: string): string;
}

/**
 * Mount a `sizeKb` tmpfs. Root mounts it directly; anyone else gets it inside `unshare -rm`
 * (a private mount namespace that vanishes with its holder process). Never skips.
 * DBLOCK_TEST_UNSHARE=1 forces the unshare path, to check it as root.
 */
export async function mountSmallTmpfs(sizeKb: number): Promise<SmallTmpfs> {
  const dir = mkdtempSync(join(tmpdir(), 'dblock-tmpfs-'));
  afterThisTest(() => rmdirSync(dir));
  const direct = process.getuid?.() === 0 && process.env.DBLOCK_TEST_UNSHARE !== '1';
  if (direct) {
    execFileSync('mount', ['-t', 'tmpfs', '-o', `size=${sizeKb}k`, 'tmpfs', dir]);
    // Lazy: a child still holding a file there must not keep the mount alive after the test.
    afterThisTest(() => execFileSync('umount', ['-l', dir]));
    return {
      dir,
      startDblock: (args, options = {}) => startProcess(process.execPath, [BIN, ...args], options),
      local: (path) => path,
    };
  }
  const script = `mount -t tmpfs -o size=${sizeKb}k tmpfs "$0" && echo mounted && exec sleep 100000`;
  const holder = startProcess('unshare', ['-rm', 'sh', '-c', script, dir], { stdio: ['ignore', 'pipe', 'inherit'] });
  afterThisTest(() => holder.kill('SIGKILL'));
  await waitForLine(holder, (line) => line === 'mounted');
  const pid = String(holder.pid);
  const enter = ['-t', pid, '-U', '-m', '--preserve-credentials', process.execPath, BIN];
  return {
    dir,
    startDblock: (args, options = {}) => startProcess('nsenter', [...enter, ...args], options),
    local: (path) => `/proc/${pid}/root${path}`,
  };
}
