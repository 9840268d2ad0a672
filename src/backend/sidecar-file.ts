import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { DblockError, fromSystemError, isDblockError } from '../errors.js';

const { O_RDWR, O_RDONLY, O_CREAT, O_EXCL, O_NOFOLLOW, O_NONBLOCK } = constants;
// O_NONBLOCK: a FIFO planted as a sidecar must not hang open(2); it is refused by the fstat check.
const SAFE = O_NOFOLLOW | O_NONBLOCK;
const ACCESS_OR_EXISTS = new Set(['EEXIST', 'EACCES', 'EPERM', 'EROFS']);

export interface SidecarFile {
  readonly fd: number;
  readonly writable: boolean;
}

/**
 * Open a sidecar lock file safely: created non-empty with mode 0666 & ~umask, never through a
 * symlink, never a directory or device, and read-only when that is all the caller may do.
 * @param initial bytes written into a newly created sidecar (Windows byte-range locks need one)
 */
export function openSidecarFile(path: string, initial: Buffer): SidecarFile {
  let fd: number;
  let writable = true;
  let createError: unknown;
  try {
    fd = openSync(path, O_RDWR | O_CREAT | O_EXCL | SAFE, 0o666);
    try {
      writeSync(fd, initial, 0, initial.length, 0);
    } catch (err) {
      closeSync(fd);
      throw fromSystemError(err, `cannot write sidecar ${path}`, 'ESIDECAR');
    }
    return { fd, writable };
  } catch (err) {
    if (isDblockError(err)) throw err;
    if (!ACCESS_OR_EXISTS.has((err as NodeJS.ErrnoException).code ?? '')) throw openError(err, path);
    createError = err;
  }
  try {
    fd = openSync(path, O_RDWR | SAFE);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // The directory refused the create and there is nothing to open: report the create.
    if (code === 'ENOENT') throw openError(createError, path);
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw openError(err, path);
    // flock needs only a read fd, so a sidecar we may not write still works.
    try {
      fd = openSync(path, O_RDONLY | SAFE);
      writable = false;
    } catch (err2) {
      throw openError(err2, path);
    }
  }
  refuseIfNotRegular(fd, path);
  if (writable) refuseIfLinked(fd, path);
  return { fd, writable };
}

/**
 * Open a lock file the user named (`--lock FILE`, like `flock FILE`) without ever writing it: read-only,
 * created empty when missing (as flock(1) does), never truncated, never through a symlink.
 */
export function openUserLockFile(path: string): number {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | O_CREAT | SAFE, 0o666);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    // O_CREAT on a read-only directory or filesystem: an existing file still opens without it.
    if (code !== 'EACCES' && code !== 'EPERM' && code !== 'EROFS') throw openError(err, path);
    try {
      fd = openSync(path, O_RDONLY | SAFE);
    } catch (err2) {
      throw openError((err2 as NodeJS.ErrnoException).code === 'ENOENT' ? err : err2, path);
    }
  }
  refuseIfNotRegular(fd, path);
  return fd;
}

/** Open an existing sidecar read-only for a probe; undefined when it does not exist. */
export function openSidecarForProbe(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, O_RDONLY | SAFE);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw openError(err, path);
  }
  refuseIfNotRegular(fd, path);
  return fd;
}

function refuseIfNotRegular(fd: number, path: string): void {
  const st = fstatSync(fd);
  if (st.isFile()) return;
  closeSync(fd);
  if (st.isDirectory()) throw directoryError(path);
  throw new DblockError('ESIDECAR', `refusing sidecar ${path}: not a regular file`);
}

/**
 * A file dblock writes into must have no other name: a hard link planted in a shared directory
 * (`app.db.lock` → `/etc/passwd`) would otherwise have the holder record written into its target.
 */
function refuseIfLinked(fd: number, path: string): void {
  const links = fstatSync(fd).nlink;
  if (links <= 1) return;
  closeSync(fd);
  throw new DblockError(
    'ESIDECAR',
    `refusing sidecar ${path}: it has ${links} hard links, so writing it would change another file; remove it and let dblock recreate it`,
  );
}

function directoryError(path: string): DblockError {
  return new DblockError(
    'EBACKENDMISMATCH',
    `refusing sidecar ${path}: it is a directory (the mkdir backend's lock); use --backend mkdir for this target`,
  );
}

function openError(err: unknown, path: string): DblockError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ELOOP') {
    return new DblockError('ESIDECAR', `refusing sidecar ${path}: it is a symbolic link`, { cause: err });
  }
  if (code === 'EISDIR') return directoryError(path);
  if (code === 'ENXIO' || code === 'EWOULDBLOCK' || code === 'EAGAIN') {
    return new DblockError('ESIDECAR', `refusing sidecar ${path}: not a regular file`, { cause: err });
  }
  if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
    return new DblockError(
      'ESIDECAR',
      `cannot create sidecar ${path}: permission denied (use --lock-dir DIR for a read-only directory)`,
      { cause: err },
    );
  }
  return fromSystemError(err, `cannot open sidecar ${path}`, 'ESIDECAR');
}

/**
 * A writable companion file of dblock's own (the door, a record beside a user's lock file), or undefined.
 * Without one (a read-only directory that has only the lock file, a planted hard link) exclusion is
 * intact: only arrival order is weaker, or the holder goes unnamed.
 */
export function openOptionalSidecar(path: string, initial: Buffer): number | undefined {
  try {
    const file = openSidecarFile(path, initial);
    if (file.writable) return file.fd;
    closeSync(file.fd);
  } catch {
    // see above
  }
  return undefined;
}
