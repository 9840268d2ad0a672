import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DblockError } from '../../errors.js';
import type { LockOptions } from '../../lock/acquire.js';
import type { LockHandle } from '../../lock/lock-handle.js';
import { DEFAULT_STALE_MS, parseStale } from '../../options.js';
import { packageRoot } from '../../util/package-root.js';
import type { CommandContext } from '../command-spec.js';
import type { ChildSetup } from './exec-child.js';

/** Beats per stale period: proper-lockfile beats twice; a third leaves slack on a loaded machine. */
const BEATS_PER_STALE = 3;

/** The keeper of a mkdir lock held for CMD (see src/backend/lock-keeper.ts). */
export interface LockKeeper {
  /** The setup with the keeper's liveness pipe added to CMD's descriptors. */
  around(setup: ChildSetup): ChildSetup;
  /** After the lock is released: close our end of the pipe, so the keeper exits once CMD's end is closed too. */
  stop(): void;
}

/**
 * The flock lock lives on in the descriptor CMD inherits; a mkdir lock lives only while someone
 * refreshes its mtime. So for a mkdir lock passed to CMD, start a keeper process that refreshes it
 * for as long as a pipe stays open at CMD's end (or ours): a SIGKILLed or SIGSTOPped dblock then no
 * longer lets a second writer in while CMD runs. Undefined (nothing started) for every other case:
 * flock, `--close`, a lock passed through from an ancestor (whose keeper covers it), no lock.
 */
export function startKeeper(
  ctx: CommandContext,
  found: { options: LockOptions } | undefined,
  held: LockHandle | undefined,
  close: boolean | undefined,
): LockKeeper | undefined {
  if (found === undefined || held === undefined || close === true) return undefined;
  // Windows: the keeper's open holder file would keep the directory from being removed at release.
  if (found.options.backend !== 'mkdir' || process.platform === 'win32') return undefined;
  const locks = ownLocks(held);
  if (locks.length === 0) return undefined;
  const staleMs = found.options.stale === undefined ? DEFAULT_STALE_MS : parseStale(found.options.stale);
  const intervalMs = Math.floor(staleMs / BEATS_PER_STALE);
  const args = [keeperScript(), String(intervalMs), ...locks.map((lock) => lock.path)];
  // Detached (its own session): a Ctrl-Z or a hang-up aimed at dblock and CMD does not stop the keeper.
  const keeper = spawn(process.execPath, args, {
    stdio: ['pipe', 'ignore', 'ignore', ...locks.map((lock) => lock.fd)],
    detached: true,
  });
  keeper.unref();
  let stopped = false;
  const warn = (why: string): void => {
    if (!stopped) {
      ctx.out.warn(
        `the keeper of mkdir lock ${held.lockPath} ${why}: should dblock die now, the lock is freed after the stale period even if the command still runs`,
      );
    }
  };
  keeper.once('error', (err) => warn(`could not start (${err.message})`));
  // Exit 0: the lock is no longer ours (released, or lost: dblock reports that itself).
  keeper.once('exit', (code, signal) => {
    if (code !== 0) warn(`exited (${signal ?? `code ${code}`})`);
  });
  const pipe = keeper.stdin;
  pipe?.on('error', () => {}); // EPIPE if the keeper died: its exit says so
  return {
    // On the first number past every other descriptor of CMD's: a free one.
    around: (setup) => (pipe === null ? setup : { ...setup, stdio: [...setup.stdio, pipe] }),
    stop: () => {
      stopped = true;
      pipe?.destroy();
    },
  };
}

/** The lock directories this acquisition took itself (one passed through from an ancestor has its own keeper). */
function ownLocks(held: LockHandle): { path: string; fd: number }[] {
  const locks: { path: string; fd: number }[] = [];
  // With --lock-dir, the sidecar beside the target is taken too (a companion), and must live as long.
  for (const handle of [held, ...held.companions]) {
    if (handle.fd !== undefined && !handle.reentrant) locks.push({ path: handle.lockPath, fd: handle.fd });
  }
  return locks;
}

/** The keeper's entry point, as tsc emits it. */
function keeperScript(): string {
  const script = join(packageRoot(), 'dist', 'backend', 'lock-keeper.js');
  if (!existsSync(script)) throw new DblockError('EINTERNAL', `missing ${script}: run \`npm run build\``);
  return script;
}
