import {
  closeSync,
  constants,
  fstatSync,
  fsyncSync,
  ftruncateSync,
  lstatSync,
  openSync,
  readSync,
  type Stats,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { getSystemErrorMap } from 'node:util';
import { DblockError, fromSystemError, isDblockError } from '../../errors.js';
import { notRegularFile } from './append-target.js';

// O_NONBLOCK: opening a FIFO that slipped in after the first check fails (ENXIO) instead of hanging.
const APPEND_FLAGS = constants.O_APPEND | constants.O_NONBLOCK;
const CREATE_FLAGS = constants.O_CREAT | constants.O_EXCL;
const NEWLINE = 0x0a;
const NEWLINE_BUFFER = Buffer.from('\n');
const IO_ERRORS = new Set(['ENOSPC', 'EDQUOT', 'EFBIG', 'EIO']);

/**
 * Append `lines` to the regular file `path` (the caller holds its lock): one write() per line, then
 * fsync. If any of it fails (disk full, quota, file size limit, I/O error), the file is cut back to
 * its length before this call, a file this call created is removed, and `EIO` (exit 74) is thrown.
 */
export function appendLines(path: string, lines: readonly Buffer[]): void {
  const { fd, created } = openForAppend(path);
  try {
    const before = fstatSync(fd);
    if (!before.isFile()) throw notRegularFile(path, before);
    const progress = { written: 0 };
    try {
      // An appender killed mid-write (SIGKILL, power loss) leaves a line without its newline: never glue onto it.
      const last = before.size > 0 ? lastByte(fd, before.size) : NEWLINE;
      if (last !== undefined && last !== NEWLINE) writeWhole(fd, NEWLINE_BUFFER, progress);
      for (const line of lines) writeWhole(fd, line, progress);
      fsyncSync(fd);
    } catch (err) {
      throw undoAppend(fd, path, { before, written: progress.written, created }, err);
    }
  } finally {
    closeSync(fd);
  }
}

function openForAppend(path: string): { fd: number; created: boolean } {
  try {
    return openOrCreate(path, constants.O_RDWR);
  } catch (err) {
    // A write-only file still takes appends; only its last-newline check is skipped.
    if (!(isDblockError(err) && err.code === 'EPERM')) throw err;
    return openOrCreate(path, constants.O_WRONLY);
  }
}

function openOrCreate(path: string, access: number): { fd: number; created: boolean } {
  // Create with O_EXCL so that a failed first append knows the file is its own to remove.
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return { fd: openSync(path, access | APPEND_FLAGS), created: false };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw openError(path, err);
    }
    try {
      return { fd: openSync(path, access | APPEND_FLAGS | CREATE_FLAGS, 0o666), created: true };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw openError(path, err);
    }
  }
  throw new DblockError('ENOINPUT', `cannot open ${path} for appending: it keeps appearing and vanishing`);
}

/** The file's last byte, or undefined when the fd is write-only (nothing to check then). */
function lastByte(fd: number, size: number): number | undefined {
  const byte = Buffer.alloc(1);
  try {
    return readSync(fd, byte, 0, 1, size - 1) === 1 ? byte[0] : undefined;
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'EBADF') return undefined;
    throw err;
  }
}

function openError(path: string, err: unknown): DblockError {
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (code === 'ENXIO' || code === 'EISDIR') {
    const stats = statSync(path, { throwIfNoEntry: false });
    return stats === undefined ? fromSystemError(err, path, 'EUSAGE') : notRegularFile(path, stats);
  }
  if (IO_ERRORS.has(code)) return new DblockError('EIO', `cannot create ${path}: ${describeErrno(err)}`, { cause: err });
  return fromSystemError(err, `cannot open ${path} for appending`, 'ENOINPUT');
}

/** One write() per line; a short write continues where it stopped, still under the lock. */
function writeWhole(fd: number, line: Buffer, progress: { written: number }): void {
  let offset = 0;
  while (offset < line.length) {
    const written = writeSync(fd, line, offset, line.length - offset);
    if (written === 0) throw new Error('write() wrote nothing');
    offset += written;
    progress.written += written;
  }
}

interface AppendAttempt {
  before: Stats;
  written: number;
  created: boolean;
}

/** Cut the file back to its length before (nothing of the failed batch stays); returns the error to throw. */
function undoAppend(fd: number, path: string, { before, written, created }: AppendAttempt, err: unknown): DblockError {
  const what = `cannot append to ${path}: ${describeErrno(err)}`;
  try {
    // Bytes beyond ours come from a writer outside this lock (another hard link's lock?): never cut theirs.
    if (fstatSync(fd).size !== before.size + written) {
      return new DblockError('EIO', `${what}; a partial line may remain: another writer not using this lock appended too`, {
        cause: err,
      });
    }
    ftruncateSync(fd, before.size);
    if (created && isSameFile(path, before)) unlinkSync(path);
  } catch (undoErr) {
    return new DblockError('EIO', `${what}; cutting off the partial line failed too: ${describeErrno(undoErr)}`, {
      cause: err,
    });
  }
  try {
    fsyncSync(fd);
  } catch {
    // Every reader already sees the shorter file; the lost bytes were never fsynced either.
  }
  return new DblockError('EIO', `${what} (the file is as it was before this append)`, { cause: err });
}

function isSameFile(path: string, stats: Stats): boolean {
  const now = lstatSync(path, { throwIfNoEntry: false });
  return now !== undefined && now.dev === stats.dev && now.ino === stats.ino;
}

/** `no space left on device`, the system's words for the errno (not Node's `ENOSPC: …, write`). */
function describeErrno(err: unknown): string {
  const errno = (err as NodeJS.ErrnoException).errno;
  const known = errno === undefined ? undefined : getSystemErrorMap().get(errno);
  return known?.[1] ?? (err as Error).message ?? String(err);
}
