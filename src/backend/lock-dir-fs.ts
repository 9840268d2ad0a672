import { closeSync, constants, promises as fsp, fstatSync, lstatSync, open, rmdirSync, type Stats, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DblockError } from '../errors.js';

/** The holder record lives inside the lock directory, so it appears and disappears with the lock. */
export const HOLDER_FILE = 'holder.json';
/** Sibling directory taken (by mkdir) while removing a stale lock, so only one process reaps at a time. */
export const REAPER_SUFFIX = '.reap';

const { O_RDWR, O_CREAT, O_EXCL, O_NOFOLLOW } = constants;

/** What one lock directory's owner keeps: the open holder file, proof of which directory is ours. */
export interface LockDirState {
  holderFd: number | undefined;
  /** The mtime proper-lockfile last saw or set on our lock (see statLockDir). */
  knownMtime?: Date | undefined;
}

type Callback<T = void> = (err: Error | null, value?: T) => void;

/**
 * The `fs` that proper-lockfile drives for one lock (it takes an `fs` option). Four changes to plain fs:
 * - mkdir also creates `holder.json` inside, before proper-lockfile reads the directory's mtime: adding
 *   the file later would change that mtime and the heartbeat would call its own lock compromised.
 * - stat is lstat and refuses anything but a directory (a regular file is flock's sidecar); while we hold
 *   the lock it also checks the holder file is still ours: proper-lockfile tells a taken-over lock by its
 *   mtime alone, and two acquisitions in one second can get the same mtime from its precision probe.
 *   Ownership being settled by the holder file, stat then reports the mtime proper-lockfile expects, so
 *   a second heartbeat (`dblock exec`'s keeper process, lock-keeper.ts) is not mistaken for a takeover.
 * - rmdir is only ever a stale-lock removal: under a reaper lock it checks again that the lock is still
 *   stale, so two waiters that both saw it stale cannot remove the fresh lock the first one then took.
 * - rmdirSync is only ever our own release (and proper-lockfile's exit hook): it removes the directory
 *   only if the holder file in it is still the one we created.
 */
export function lockDirFs(staleMs: number, state: LockDirState) {
  return {
    mkdir: (path: string, cb: Callback) => settle(createLockDir(path, state), cb),
    stat: (path: string, cb: Callback<Stats>) => settle(statLockDir(path, state), cb),
    utimes: (path: string, atime: Date, mtime: Date, cb: Callback) => settle(touchLockDir(path, atime, mtime, state), cb),
    rmdir: (path: string, cb: Callback) => settle(reapStale(path, staleMs), cb),
    rmdirSync: (path: string) => releaseLockDir(path, state),
  };
}

function settle<T>(promise: Promise<T>, cb: Callback<T>): void {
  promise.then(
    (value) => cb(null, value),
    (err: Error) => cb(err),
  );
}

async function createLockDir(path: string, state: LockDirState): Promise<void> {
  await fsp.mkdir(path);
  state.knownMtime = undefined;
  try {
    state.holderFd = await openHolder(join(path, HOLDER_FILE));
  } catch (err) {
    await fsp.rmdir(path).catch(() => {});
    throw err;
  }
}

function openHolder(path: string): Promise<number> {
  return new Promise((resolve, reject) => {
    open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW, 0o666, (err, fd) => (err ? reject(err) : resolve(fd)));
  });
}

/** lstat the lock, refusing what is not a lock directory (never follows a planted symlink). */
async function statLockDir(path: string, state: LockDirState): Promise<Stats> {
  const st = await fsp.lstat(path);
  checkLockDir(path, st);
  if (state.holderFd !== undefined && !isOurs(path, state.holderFd)) {
    // ENOENT is what makes proper-lockfile declare the lock compromised at once rather than retry.
    throw Object.assign(new Error('the lock directory was replaced: another process took it over'), { code: 'ENOENT' });
  }
  if (state.holderFd === undefined) return st;
  // The first stat of an acquisition is proper-lockfile's precision probe: it learns the real mtime.
  if (state.knownMtime === undefined) state.knownMtime = st.mtime;
  else st.mtime = state.knownMtime;
  return st;
}

/** proper-lockfile's heartbeat (and its precision probe): remember what it set, for statLockDir. */
async function touchLockDir(path: string, atime: Date, mtime: Date, state: LockDirState): Promise<void> {
  await fsp.utimes(path, atime, mtime);
  if (state.knownMtime !== undefined) state.knownMtime = mtime;
}

/** Whether the holder file in lock directory `path` is the one open at `holderFd` (the same, live acquisition). */
export function isOurs(path: string, holderFd: number): boolean {
  try {
    const mine = fstatSync(holderFd);
    const named = lstatSync(join(path, HOLDER_FILE));
    return mine.ino === named.ino && mine.dev === named.dev;
  } catch {
    return false;
  }
}

/** Throw EBACKENDMISMATCH for flock's sidecar file, ESIDECAR for a symlink or device. */
export function checkLockDir(path: string, st: Stats): void {
  if (st.isDirectory()) return;
  if (st.isFile()) {
    throw new DblockError(
      'EBACKENDMISMATCH',
      `refusing lock ${path}: it is a regular file, the flock backend's lock (dblock --backend flock or flock(1)); use --backend flock for this target`,
    );
  }
  throw new DblockError('ESIDECAR', `refusing lock ${path}: not a directory (a symbolic link or a device)`);
}

/** The error proper-lockfile itself gives for a busy lock: the caller polls again. */
function busy(path: string): Error {
  return Object.assign(new Error(`lock is busy: ${path}`), { code: 'ELOCKED' });
}

async function reapStale(path: string, staleMs: number): Promise<void> {
  const reaper = path + REAPER_SUFFIX;
  try {
    await fsp.mkdir(reaper);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    // A reaper dies only between two mkdir-sized steps; one that old is abandoned.
    const st = await fsp.lstat(reaper).catch(() => undefined);
    if (st?.isDirectory() && st.mtimeMs < Date.now() - staleMs) await fsp.rmdir(reaper).catch(() => {});
    throw busy(path);
  }
  try {
    const st = await fsp.lstat(path).catch(ignoreMissing);
    if (st === undefined) return; // already gone: proper-lockfile goes on to mkdir
    checkLockDir(path, st);
    if (st.mtimeMs >= Date.now() - staleMs) throw busy(path); // refreshed, or already replaced by a fresh lock
    await fsp.unlink(join(path, HOLDER_FILE)).catch(ignoreMissing);
    await fsp.rmdir(path).catch(ignoreMissing);
  } finally {
    await fsp.rmdir(reaper).catch(() => {});
  }
}

function ignoreMissing(err: NodeJS.ErrnoException): undefined {
  if (err.code === 'ENOENT') return undefined;
  throw err;
}

/** Remove the lock directory we created, only if its holder file is still ours; closes the holder file. */
export function releaseLockDir(path: string, state: LockDirState): void {
  const fd = state.holderFd;
  if (fd === undefined) return;
  state.holderFd = undefined;
  state.knownMtime = undefined;
  const ours = isOurs(path, fd);
  // Closed before the unlink: Windows keeps a deleted-but-open file in the directory, and rmdir would fail.
  closeSync(fd);
  // Taken over as stale while we still thought we held it: the directory is someone else's now.
  if (!ours) return;
  try {
    unlinkSync(join(path, HOLDER_FILE));
    rmdirSync(path);
  } catch {
    // Already gone (reaped): nothing of ours is left to remove.
  }
}

/** Close the holder file of a lock we no longer hold, leaving the directory alone. */
export function forgetLockDir(state: LockDirState): void {
  const fd = state.holderFd;
  state.holderFd = undefined;
  state.knownMtime = undefined;
  if (fd !== undefined) closeSync(fd);
}
