import { closeSync, constants, openSync } from 'node:fs';
import { dirname } from 'node:path';
import { DblockError } from '../errors.js';
import { describeFilesystem } from '../path/fs-type.js';
import { tryFlock, unlock } from './flock-calls.js';

const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * Prove that flock(2) excludes here before trusting it: with the lock taken through `fd`, a
 * non-blocking try through a second open file description of the same file must fail. Some mounts
 * accept flock and exclude nothing (a Docker Desktop VirtioFS share, NFS with `nolock`, SMB with
 * `nobrl`): there, two processes would both be told they hold the lock. Run once per lock file per
 * process, when it is opened. A lock someone else holds proves it too (a no-op flock never fails).
 * @throws DblockError ELOCKUNSUPPORTED naming the filesystem and the portable backends
 */
export function proveExclusion(path: string, fd: number): void {
  if (!tryFlock(fd, 'exnb')) return; // held elsewhere: flock does exclude
  let other: number | undefined;
  try {
    other = openSync(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
    if (!tryFlock(other, 'exnb')) return;
    unlock(other);
  } catch {
    return; // could not check (e.g. no descriptor left): the acquisition reports its own error
  } finally {
    if (other !== undefined) closeSync(other);
    unlock(fd);
  }
  const fs = describeFilesystem(dirname(path));
  throw new DblockError(
    'ELOCKUNSUPPORTED',
    `flock(2) does not exclude on ${dirname(path)} (${fs.type}): two descriptors of ${path} both got an exclusive lock; use --backend mkdir (or a PostgreSQL backend) there`,
  );
}
