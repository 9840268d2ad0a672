import { closeSync, constants, fstatSync, openSync, statSync, unlinkSync } from 'node:fs';
import { DblockError, fromSystemError } from '../errors.js';
import { tryFlock, unlock } from './flock-calls.js';

const { O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;

/** What a probe of a liveness file sees. */
export type LivenessState = 'held' | 'free' | 'absent';

/**
 * Create a new, uniquely named file and hold an exclusive flock on it; returns the descriptor.
 * The kernel drops the lock the moment the last process holding the descriptor dies, which is
 * what makes it a liveness signal that pid reuse cannot fool.
 * @throws DblockError ESIDECAR / EPERM when the file cannot be created
 */
export function createHeldFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_NONBLOCK, 0o644);
  } catch (err) {
    throw fromSystemError(err, `cannot create liveness file ${path}`, 'ESIDECAR');
  }
  if (!tryFlock(fd, 'exnb')) {
    // Only possible if another process opened our brand-new file and locked it: refuse, never share.
    closeSync(fd);
    throw new DblockError('ESIDECAR', `liveness file ${path} was locked by someone else as it was created`);
  }
  return fd;
}

/** Drop the lock, close the descriptor and remove the file (each step tolerates it being done already). */
export function releaseHeldFile(fd: number, path: string): void {
  try {
    unlock(fd);
  } catch {
    // Closing below drops the lock anyway.
  }
  try {
    closeSync(fd);
  } catch {
    // Already closed.
  }
  removeFile(path);
}

/** Unlink a liveness file; a missing file is fine (a reaper got there first). */
export function removeFile(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // ENOENT: already gone. Anything else leaves an orphan that `dblock reap` sweeps later.
  }
}

/**
 * Is anyone holding `path` exclusively? A shared non-blocking try through a fresh descriptor: shared
 * probes never fail each other, so two concurrent probes of a dead task both see it dead.
 */
export function probeHeldFile(path: string): LivenessState {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return 'absent';
    throw fromSystemError(err, `cannot probe liveness file ${path}`, 'ESIDECAR');
  }
  try {
    if (!tryFlock(fd, 'shnb')) return 'held';
    unlock(fd);
    return 'free';
  } finally {
    closeSync(fd);
  }
}

/**
 * True when the inherited descriptor `fd` is `path` (same device and inode) and is the one holding
 * its exclusive lock: someone holds it (a fresh probe fails) and `fd` can take it (same open file).
 */
export function verifyHeldFd(fd: number, path: string): boolean {
  try {
    const held = fstatSync(fd);
    const named = statSync(path);
    if (held.dev !== named.dev || held.ino !== named.ino) return false;
    return probeHeldFile(path) === 'held' && tryFlock(fd, 'exnb');
  } catch {
    return false;
  }
}
