import { closeSync, constants, lstatSync, openSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { fromSystemError } from '../errors.js';
import { DEFAULT_STALE_MS } from '../options.js';
import { checkLockDir, HOLDER_FILE, isOurs } from './lock-dir-fs.js';
import { MkdirResource } from './mkdir-resource.js';
import type { BackendOptions, LockBackend, LockMode, LockResource, ProbeState } from './types.js';

const RECORD_READ_MAX = 4096;
const { O_RDONLY, O_NOFOLLOW, O_NONBLOCK } = constants;

/**
 * The portable backend: proper-lockfile's atomic mkdir with an mtime heartbeat, for filesystems where
 * flock(2) is not reliable (NFS, SMB, some FUSE mounts). The lock is the directory `<canonical>.lock`
 * and the holder record is `<canonical>.lock/holder.json`. Exclusive only. A crashed holder's lock is
 * taken over after `staleMs`, not at once, and only while its heartbeat runs is a holder protected:
 * a `dblock exec` killed by SIGKILL stops the heartbeat, so its child is unprotected after `staleMs`.
 */
export const mkdirBackend: LockBackend = {
  name: 'mkdir',
  supportsShared: false,
  canBeCompromised: true,

  open(lockPath: string, options?: BackendOptions): LockResource {
    return new MkdirResource(lockPath, options?.staleMs ?? DEFAULT_STALE_MS);
  },

  probe(lockPath: string, options?: BackendOptions): ProbeState {
    let st: ReturnType<typeof lstatSync>;
    try {
      st = lstatSync(lockPath);
    } catch (err) {
      // No directory is the normal free state of this backend, not a missing sidecar.
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return 'free';
      throw fromSystemError(err, `cannot inspect lock ${lockPath}`);
    }
    checkLockDir(lockPath, st);
    const staleMs = options?.staleMs ?? DEFAULT_STALE_MS;
    return st.mtimeMs < Date.now() - staleMs ? 'free' : 'exclusive';
  },

  readRecord(lockPath: string): Buffer | undefined {
    let fd: number | undefined;
    try {
      fd = openSync(join(lockPath, HOLDER_FILE), O_RDONLY | O_NOFOLLOW | O_NONBLOCK);
      const buf = Buffer.alloc(RECORD_READ_MAX);
      return buf.subarray(0, readSync(fd, buf, 0, buf.length, 0));
    } catch {
      return undefined;
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  },

  inheritedMode(fd: number, lockPath: string): LockMode | undefined {
    // The holder file is created anew with each acquisition: the same file means the same, live acquisition.
    return isOurs(lockPath, fd) ? 'exclusive' : undefined;
  },
};
